"""Validation: the checks behind `wom validate`, their helpers, and planted bugs they must catch.

The Monte-Carlo checks run with the QUICK effort, lightened where a check is slow; every
tolerance comes from the run's own standard errors. Each strengthened check is also run with a
realistic bug planted in the model (monkeypatched into ``sim.core.rules``, which both engines
read) or in its inputs, and must then fail.
"""

import dataclasses
import itertools

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from sim.cli import app
from sim.core import engine as eng
from sim.core import rules
from sim.validation import bass, bound, campaign, engines, facts, ic, run
from sim.validation.closed_forms import (
    bass_cumulative,
    bass_daily,
    bass_peak,
    bass_rate,
    default_mean_field,
    exact_cascade,
)
from sim.validation.common import QUICK, Check

LIGHT = dataclasses.replace(
    QUICK,
    bass_reps=(3, 4),
    default_reps=3,
    ic_reps=100,
    peer_reps=50,
    bound_graphs=5,
    bound_reps=12,
    campaign_reps=4,
    engine_reps=4,
)


def failures(checks):
    return [(c.name, c.measured, c.tolerance, c.detail) for c in checks if not c.passed]


def by_name(checks):
    return {c.name: c for c in checks}


# --- closed forms and exact enumeration ------------------------------------------------------


def test_bass_closed_form_identities():
    p, q = 0.03, 0.38
    t_star = bass_peak(p, q)
    assert bass_cumulative(t_star, p, q) == pytest.approx((1 - p / q) / 2)  # F at the peak
    t = np.linspace(0.1, 20, 400)
    h = 1e-6
    numeric = (bass_cumulative(t + h, p, q) - bass_cumulative(t - h, p, q)) / (2 * h)
    assert np.allclose(numeric, bass_rate(t, p, q), rtol=1e-6)
    assert bass_rate(t, p, q).argmax() == np.abs(t - t_star).argmin()


def test_daily_recursion_lags_the_closed_form_by_about_a_day():
    p, q = 0.03, 0.38
    daily = bass_daily(p, q, 15 * 365)
    exact = bass_cumulative(np.arange(daily.size) / 365, p, q)
    assert np.all(daily <= exact + 1e-12)  # start-of-day shares: always behind
    delay_days = (exact - daily).max() / bass_rate(bass_peak(p, q), p, q) * 365
    assert 0.5 < delay_days < 2.0


def brute_force_cascade(g, seeds, p, directed):
    """Expected IC spread by listing every live-edge world: each tie, or each direction of it."""
    arcs = [*g.edges, *((b, a) for a, b in g.edges)] if directed else list(g.edges)
    total = 0.0
    for live in itertools.product((False, True), repeat=len(arcs)):
        on = [arc for arc, keep in zip(arcs, live, strict=True) if keep]
        h = nx.DiGraph(on) if directed else nx.Graph(on)
        h.add_nodes_from(g)
        reached = set(seeds).union(
            *(nx.descendants(h, s) if directed else nx.node_connected_component(h, s) for s in seeds)
        )
        k = sum(live)
        total += p**k * (1 - p) ** (len(arcs) - k) * len(reached)
    return total


@pytest.mark.parametrize(
    "g, seeds",
    [(nx.path_graph(4), [0]), (nx.cycle_graph(4), [0]), (nx.Graph([(0, 1), (1, 2), (2, 0), (2, 3)]), [3])],
)
def test_exact_cascade_matches_brute_force_both_ways(g, seeds):
    """Enumerating ties equals enumerating both directions: each tie is tried at most once."""
    mean, sd = exact_cascade(g, seeds, 0.4)
    assert mean == pytest.approx(brute_force_cascade(g, seeds, 0.4, directed=False))
    assert mean == pytest.approx(brute_force_cascade(g, seeds, 0.4, directed=True))
    assert sd > 0


def test_exact_cascade_closed_forms():
    p = 0.5
    assert exact_cascade(nx.path_graph(10), [0], p)[0] == pytest.approx(sum(p**k for k in range(10)))
    assert exact_cascade(nx.star_graph(12), [1], 0.4)[0] == pytest.approx(1 + 0.4 * (1 + 11 * 0.4))
    with pytest.raises(ValueError, match="too many"):
        exact_cascade(nx.complete_graph(10), [0], p)


def test_reference_simulation_is_exact_on_a_pair():
    """The docking reference: one seed, one tie, chance c per day -> P(adopted by day d) = 1 - (1 - c)^d."""
    pair = nx.to_scipy_sparse_array(nx.path_graph(2), format="csr")
    paths = facts.reference_paths(pair, lambda r: [0], 0.3, 1, 0.0, 3, 4000, np.random.default_rng(0))
    share = 2 * paths[:, 1:].mean(0) - 1  # the second node's adoption share per day
    assert np.allclose(share, 1 - 0.7 ** np.arange(1, 4), atol=4 * 0.5 / np.sqrt(4000))


# --- the checks of `wom validate --quick`, and bugs they catch --------------------------------


@pytest.mark.slow
def test_cascade_exact_on_small_graphs(tmp_path):
    assert all(g.number_of_edges() <= 20 for _, g, _, _ in ic.small_graphs())
    checks = ic.check_cascade_exact(LIGHT, tmp_path)
    assert len(checks) == 6 and not failures(checks)


def test_campaign_effects_and_no_influence_limit(tmp_path):
    checks = by_name(campaign.check_proportional(LIGHT, tmp_path) + campaign.check_no_influence(LIGHT, tmp_path))
    assert len(checks) == 3 and not failures(checks.values())
    assert checks["campaign.no_influence"].measured == 0


def test_trust_ignored_fails_the_trust_check(tmp_path, monkeypatch):
    """Planted bug from the mutation study: trust ignored when a view becomes a purchase chance."""
    real = rules.sponsored_chance
    monkeypatch.setattr(rules, "sponsored_chance", lambda c, trust, *a: real(c, np.ones_like(trust), *a))
    checks = by_name(campaign.check_proportional(LIGHT, tmp_path))
    assert not checks["campaign.trust"].passed
    assert checks["campaign.reach"].passed  # the bug is pinned on trust, not on everything


def test_conversion_leak_fails_the_no_influence_check(tmp_path, monkeypatch):
    """A campaign that converts although its conversion is 0 (e.g. a floor on the chance)."""
    real = rules.sponsored_chance
    monkeypatch.setattr(rules, "sponsored_chance", lambda c, *a: real(np.maximum(c, 0.01), *a))
    assert not campaign.check_no_influence(LIGHT, tmp_path)[0].passed


def test_complex_contagion_with_size_checks(tmp_path):
    checks = facts.check_complex(LIGHT, tmp_path)
    assert len(checks) == 3 and not failures(checks)


def plant_day_rules(monkeypatch, change):
    """Plant a bug in every run's day rules (``change`` maps ``decision.DayRules`` to the buggy ones):
    the rules are compiled, so the bug goes in through their parameters."""
    create = eng.Context.create.__func__

    def planted(cls, scenario, graph, campaign):
        ctx = create(cls, scenario, graph, campaign)
        return dataclasses.replace(ctx, day_rules=change(ctx.day_rules))

    monkeypatch.setattr(eng.Context, "create", classmethod(planted))


def test_threshold_off_by_one_fails_centola(tmp_path, monkeypatch):
    """Complex contagion counting one talker too few: the sizes no longer match the reference."""
    plant_day_rules(monkeypatch, lambda r: r._replace(threshold=r.threshold - 1))
    checks = by_name(facts.check_complex(LIGHT, tmp_path))
    assert not checks["facts.centola.size"].passed
    assert not checks["facts.centola.complex"].passed


def test_engines_agree_exactly(tmp_path):
    checks = engines.check_engines(LIGHT, tmp_path)
    assert len(checks) == 1 and not failures(checks) and checks[0].measured == LIGHT.engine_reps


def test_diverging_engines_fail(tmp_path, monkeypatch):
    """The agents engine on other streams (or any rule it applies differently) breaks the exact match."""
    real = engines.run_both

    def diverging(scenario, world, replication):
        vector, _ = real(scenario, world, replication)
        return vector, real(scenario, world, replication + 1)[1]

    monkeypatch.setattr(engines, "run_both", diverging)
    check = engines.check_engines(LIGHT, tmp_path)[0]
    assert not check.passed and check.measured < LIGHT.engine_reps


@pytest.mark.slow
def test_bass_limit(tmp_path):
    checks = bass.check_bass(LIGHT, tmp_path)
    assert {c.name for c in checks} >= {"bass.sfl.curve", "bass.anylogic.peak", "bass.anylogic.daily"}
    assert not failures(checks)
    assert (tmp_path / "bass_sfl.png").stat().st_size > 10_000


def test_default_mean_field_limits():
    """Without damping the recursion is Bass's daily-step recursion; damping only slows it."""
    days = 2000
    plain = default_mean_field(0.03, 0.38, days, 0.0, 0.0, 0.3, 10**9)
    assert np.allclose(plain, bass_daily(0.03, 0.38, days), atol=1e-9)
    damped = default_mean_field(0.03, 0.38, days, 0.5, 1 / 3, 0.3, 10**9)
    assert np.all(damped <= plain + 1e-12) and damped[-1] < plain[-1] - 0.01


@pytest.mark.slow
def test_default_model_sits_below_bass_on_its_mean_field(tmp_path):
    checks = by_name(bass.check_default_gap(LIGHT, tmp_path))
    assert not failures(checks.values())
    assert checks["bass.defaults.gap"].measured > 0.05


@pytest.mark.slow
def test_negative_word_of_mouth_raising_attitude_fails_the_default_model_checks(tmp_path, monkeypatch):
    """Planted bug from the mutation study: negative word of mouth raises attitude instead of lowering it."""
    monkeypatch.setattr(rules, "attitude_after_negative", lambda a, hit, impact: np.where(hit, a * (1 + impact), a))
    assert not by_name(bass.check_default_gap(LIGHT, tmp_path))["bass.defaults.mean_field"].passed


@pytest.mark.slow
def test_cascade_matches_cynetdiff(tmp_path):
    checks = ic.check_cascade_peer(LIGHT, tmp_path)
    assert len(checks) == 4 and not failures(checks)


@pytest.mark.slow
def test_bound_and_its_word_of_mouth_guard(tmp_path):
    checks = bound.check_bound(LIGHT, tmp_path)
    assert len(checks) == 2 and not failures(checks)


@pytest.mark.slow
def test_killing_word_of_mouth_fails_the_bound_guard(tmp_path, monkeypatch):
    """Without word of mouth the bound holds trivially; the guard must fail."""
    plant_day_rules(monkeypatch, lambda r: r._replace(q=0.0, tie_prob=0.0))
    checks = by_name(bound.check_bound(LIGHT, tmp_path))
    assert checks["bound.fibich_levin"].passed  # the bound alone cannot see it
    assert not checks["bound.word_of_mouth"].passed


@pytest.mark.slow
def test_hubs_and_tiers(tmp_path):
    checks = facts.check_hubs(LIGHT, tmp_path) + campaign.check_tiers(LIGHT, tmp_path)
    assert len(checks) == 4 and not failures(checks)


@pytest.mark.slow
def test_weaker_ties_fail_the_hub_sizes(tmp_path, monkeypatch):
    """Word of mouth at half the hazard (q halved, and a tie's rate -log(1 - p) halved): the hubs'
    days saved no longer match the reference."""
    plant_day_rules(monkeypatch, lambda r: r._replace(q=r.q / 2, tie_prob=-np.expm1(np.log1p(-r.tie_prob) / 2)))
    assert not by_name(facts.check_hubs(LIGHT, tmp_path))["facts.hubs.size"].passed


GRAPHS = st.sampled_from(bound.GRAPH_FAMILIES)


@pytest.mark.slow
@settings(max_examples=8, deadline=None, derandomize=True)
@given(
    kind=GRAPHS,
    n=st.integers(12, 150),
    graph_seed=st.integers(0, 2**31 - 1),
    p=st.floats(0.2, 2.0),
    q=st.floats(1.0, 10.0),
)
def test_network_adoption_never_exceeds_the_bass_curve(kind, n, graph_seed, p, q):
    """Fibich & Levin: on any graph, mean adoption stays below complete mixing (up to 3 SE)."""
    g = bound.random_graph(kind, n, graph_seed)
    paths = bound.graph_bass_paths(g, p, q, days=120, reps=20)
    assert bound.bound_excess(paths, p, q).max() <= 0


# --- the command ------------------------------------------------------------------------------

runner = CliRunner()


def test_validate_command_writes_report(tmp_path):
    out = tmp_path / "validation"
    result = runner.invoke(app, ["validate", "--quick", "--only", "complex", "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = (out / "report.md").read_text()
    assert "| PASS | `facts.centola.complex`" in report and "![facts.centola.complex](figures/complex.png)" in report
    assert (out / "figures" / "complex.png").is_file() and (out / "checks.csv").is_file()
    assert "3 of 3 checks passed" in result.output


def test_validate_exits_1_when_a_check_fails(tmp_path, monkeypatch):
    def failing(effort, figures):
        return [Check("demo", "a check that fails", 2.0, 1.0, "measured <= tolerance", False, "none.png", "x", "y")]

    monkeypatch.setattr(run, "CHECKS", {"demo": failing})
    out = tmp_path / "validation"
    result = runner.invoke(app, ["validate", "--quick", "--out", str(out)])
    assert result.exit_code == 1
    assert "| **FAIL** | `demo`" in (out / "report.md").read_text()


def test_validate_rejects_unknown_family(tmp_path):
    result = runner.invoke(app, ["validate", "--only", "bas", "--out", str(tmp_path / "v")])
    assert result.exit_code == 2
    assert "--only: only = 'bas': check families are bass," in result.output
    assert not (tmp_path / "v").exists()
