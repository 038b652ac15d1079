"""Validation: the checks behind `wom validate --quick`, run with fixed seeds, plus their helpers.

The Monte-Carlo checks run with the QUICK effort, lightened where a check is slow (fewer
replications); every tolerance is derived from the standard errors of the run itself.
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
from sim.validation import checks as v

LIGHT = dataclasses.replace(v.QUICK, bass_reps=(3, 4), ic_reps=200, peer_reps=50, engine_reps=15)


def failures(checks):
    return [(c.name, c.measured, c.tolerance, c.detail) for c in checks if not c.passed]


# --- closed forms and exact enumeration ------------------------------------------------------


def test_bass_closed_form_identities():
    p, q = 0.03, 0.38
    t_star = v.bass_peak(p, q)
    assert v.bass_cumulative(t_star, p, q) == pytest.approx((1 - p / q) / 2)  # F at the peak
    t = np.linspace(0.1, 20, 400)
    h = 1e-6
    numeric = (v.bass_cumulative(t + h, p, q) - v.bass_cumulative(t - h, p, q)) / (2 * h)
    assert np.allclose(numeric, v.bass_rate(t, p, q), rtol=1e-6)
    assert v.bass_rate(t, p, q).argmax() == np.abs(t - t_star).argmin()


def test_daily_recursion_lags_the_closed_form_by_about_a_day():
    p, q = 0.03, 0.38
    daily = v.bass_daily(p, q, 15 * 365)
    exact = v.bass_cumulative(np.arange(daily.size) / 365, p, q)
    assert np.all(daily <= exact + 1e-12)  # start-of-day shares: always behind
    delay_days = (exact - daily).max() / v.bass_rate(v.bass_peak(p, q), p, q) * 365
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
    mean, sd = v.exact_cascade(g, seeds, 0.4)
    assert mean == pytest.approx(brute_force_cascade(g, seeds, 0.4, directed=False))
    assert mean == pytest.approx(brute_force_cascade(g, seeds, 0.4, directed=True))
    assert sd > 0


def test_exact_cascade_closed_forms():
    p = 0.5
    assert v.exact_cascade(nx.path_graph(10), [0], p)[0] == pytest.approx(sum(p**k for k in range(10)))
    assert v.exact_cascade(nx.star_graph(12), [1], 0.4)[0] == pytest.approx(1 + 0.4 * (1 + 11 * 0.4))
    with pytest.raises(ValueError, match="too many"):
        v.exact_cascade(nx.complete_graph(10), [0], p)


# --- the checks of `wom validate --quick` ----------------------------------------------------


@pytest.mark.slow
def test_bass_limit(tmp_path):
    checks = v.check_bass(LIGHT, tmp_path)
    assert {c.name for c in checks} >= {"bass.sfl.curve", "bass.anylogic.peak", "bass.anylogic.daily"}
    assert not failures(checks)
    assert (tmp_path / "bass_sfl.png").stat().st_size > 10_000


@pytest.mark.slow
def test_cascade_exact_on_small_graphs(tmp_path):
    assert all(g.number_of_edges() <= 20 for _, g, _, _ in v.small_graphs())
    checks = v.check_cascade_exact(LIGHT, tmp_path)
    assert len(checks) == 5 and not failures(checks)


@pytest.mark.slow
def test_cascade_matches_cynetdiff(tmp_path):
    checks = v.check_cascade_peer(LIGHT, tmp_path)
    assert len(checks) == 2 and not failures(checks)


@pytest.mark.slow
def test_stylised_facts(tmp_path):
    checks = v.check_tiers(LIGHT, tmp_path) + v.check_hubs(LIGHT, tmp_path) + v.check_complex(LIGHT, tmp_path)
    assert len(checks) == 6 and not failures(checks)


@pytest.mark.slow
def test_engines_agree(tmp_path):
    checks = v.check_engines(LIGHT, tmp_path)
    assert len(checks) == 2 and not failures(checks)


GRAPHS = st.sampled_from(v.GRAPH_FAMILIES)


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
    g = v.random_graph(kind, n, graph_seed)
    paths = v.graph_bass_paths(g, p, q, days=120, reps=20)
    assert v.bound_excess(paths, p, q).max() <= 0


# --- the command ------------------------------------------------------------------------------

runner = CliRunner()


def test_validate_command_writes_report(tmp_path):
    out = tmp_path / "validation"
    result = runner.invoke(app, ["validate", "--quick", "--only", "complex", "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = (out / "report.md").read_text()
    assert "| PASS | `facts.centola.complex`" in report and "![facts.centola.complex](figures/complex.png)" in report
    assert (out / "figures" / "complex.png").is_file() and (out / "checks.csv").is_file()
    assert "2 of 2 checks passed" in result.output


def test_validate_exits_1_when_a_check_fails(tmp_path, monkeypatch):
    def failing(effort, figures):
        return [v.Check("demo", "a check that fails", 2.0, 1.0, "measured <= tolerance", False, "none.png", "x", "y")]

    monkeypatch.setattr(v, "CHECKS", {"demo": failing})
    out = tmp_path / "validation"
    result = runner.invoke(app, ["validate", "--quick", "--out", str(out)])
    assert result.exit_code == 1
    assert "| **FAIL** | `demo`" in (out / "report.md").read_text()


def test_validate_rejects_unknown_family(tmp_path):
    result = runner.invoke(app, ["validate", "--only", "bas", "--out", str(tmp_path / "v")])
    assert result.exit_code == 2
    assert "--only: only = 'bas': check families are bass," in result.output
    assert not (tmp_path / "v").exists()
