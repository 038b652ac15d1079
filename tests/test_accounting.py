"""Spend accounting and honest intervals: every unspent dollar has its real reason, CPA is a ratio
of totals that drops no replication, counts never get a negative interval, compare shows "no
campaign", the affordability check uses a whole contract, and plan draws each replication's
parameters. Numbers are worked out by hand in the comments."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from scipy.special import stdtrit

from sim.core import tomlio
from sim.core.budget import Roster, contract_posts, post_days, spend_report, tier_spend, unspent_reason
from sim.core.errors import InputError
from sim.core.market import Candidates
from sim.core.scenario import Contracts, as_scenario, scenario_from_dict
from sim.core.world import World
from sim.experiments.compare import NO_CAMPAIGN, best_variant, compare, comparison_text, variant_table
from sim.experiments.compare_figures import BETTER, UNCLEAR, WORSE, difference_colour
from sim.inference.draws import draw
from sim.planning.evaluate import Evaluator, split_scenario
from sim.reporting.figures import TIER_PANELS
from sim.reporting.intervals import mean_interval, ratio_interval
from sim.reporting.metrics import kpi_summary
from sim.reporting.report import findings, render_html, spend_warnings, terminal_summary
from sim.reporting.runner import run, run_replication

from .conftest import REPOSITORY, small

T2 = float(stdtrit(2, 0.975))  # Student t, 97.5%, 2 degrees of freedom (3 replications)
T3 = float(stdtrit(3, 0.975))


# --- CPA: a ratio of totals over every replication --------------------------------------------


def test_cpa_is_total_spend_over_total_lift_and_keeps_a_zero_lift_replication():
    kpis = pd.DataFrame(
        {"spend": [1_000.0, 1_000.0, 1_000.0, 1_000.0], "incremental_adopters": [10.0, 0.0, 20.0, 10.0]}
    )
    kpis["cpa"] = np.where(kpis["incremental_adopters"] > 0, kpis["spend"] / kpis["incremental_adopters"], np.nan)
    s = kpi_summary(kpis, "cpa")
    assert s["mean"] == pytest.approx(4_000 / 40) and s["n"] == 4  # 100; dropping the zero gives 3000/40 = 75
    assert kpis["cpa"].mean() == pytest.approx((100 + 50 + 100) / 3)  # the old mean of per-replication CPAs: 83.3
    # Lift 10, 0, 20, 10: mean 10, sd sqrt(200/3), half-width t3 x sd / 2 = 12.99: its CI includes 0, so CPA
    # has no upper bound; the lower bound is spend / the lift's upper end: 1000 / 22.99.
    half = T3 * math.sqrt(200 / 3) / 2
    assert s["ci95_high"] == math.inf and "unbounded above" in s["note"]
    assert s["ci95_low"] == pytest.approx(1_000 / (10 + half))
    assert s["p97_5"] == math.inf  # a single replication spent 1,000 USD for nobody


def test_ratio_interval_with_constant_spend_inverts_the_lift_interval():
    """Fieller with a fixed numerator: CPA's interval is spend over the ends of the lift's t-interval."""
    lift = np.array([10.0, 12.0, 20.0, 10.0])
    iv = ratio_interval(np.full(4, 100.0), lift)
    half = T3 * lift.std(ddof=1) / 2  # lift 13 +- 7.57
    assert iv.estimate == pytest.approx(400 / 52)
    assert (iv.low, iv.high) == pytest.approx((100 / (13 + half), 100 / (13 - half)))
    assert iv.method == "fieller" and not iv.note


@given(
    st.lists(st.floats(50, 500), min_size=3, max_size=8),
    st.lists(st.floats(-5, 40), min_size=3, max_size=8),
)
@example(spend=[145.0, 50.0, 50.0], lift=[1.0, 0.0, 0.0])
def test_fieller_interval_is_the_set_a_t_test_does_not_reject(spend, lift):
    """R is accepted iff |mean(x - R y)| <= t x sd(x - R y) / sqrt(n). Bounded interval: exactly the
    accepted set on a grid of R. Unbounded (the lift's CI includes 0): the accepted set can be two
    rays, (-inf, r1] u [r2, inf); the interval [low, inf) holds every accepted R >= 0 and its low end
    is 0 or accepted itself, so the gap (r1, r2) is the only place it may hold a rejected R.
    (Hypothesis found spend 145, 50, 50 with lift 1, 0, 0: rays up to 49.6 and from 123.3; the
    interval once reported only [123.3, inf), leaving out the accepted 0-49.6.)"""
    n = min(len(spend), len(lift))
    x, y = np.array(spend[:n]), np.array(lift[:n])
    iv = ratio_interval(x, y)
    if not y.sum() > 0:
        assert math.isnan(iv.estimate)
        return
    t = float(stdtrit(n - 1, 0.975))

    def accepted(r: float) -> bool:
        d = x - r * y
        return abs(d.mean()) <= t * d.std(ddof=1) / math.sqrt(n) + 1e-9

    def at_edge(r: float) -> bool:  # rounding decides right at an end
        return min(abs(r - iv.low), abs(r - iv.high)) < 1e-6 * max(1.0, abs(r))

    for r in np.linspace(0.0, iv.estimate * 5, 61):
        inside = iv.low - 1e-6 * abs(r) <= r <= iv.high + 1e-6 * abs(r)
        if accepted(r) and not inside:
            assert at_edge(r), (r, iv)
        if inside and not accepted(r) and not iv.unbounded:
            assert at_edge(r), (r, iv)
    if iv.unbounded:
        assert iv.low == 0 or accepted(iv.low * (1 + 1e-9)), iv


def test_ratio_interval_without_spread_is_the_estimate_itself():
    """Every replication alike (e.g. one roster, no lift: ROI = -spend / spend): the interval is the
    estimate, never an end a rounding error past it (a sweep figure's error bar cannot be negative)."""
    rng = np.random.default_rng(0)
    for spend, ratio in zip(rng.uniform(1, 1e4, 50), rng.uniform(-2, 2, 50), strict=True):
        iv = ratio_interval(np.full(4, spend * ratio), np.full(4, spend))
        assert iv.low <= iv.estimate <= iv.high and iv.high - iv.low < 1e-6 * max(1.0, abs(ratio)), iv


def test_fieller_unbounded_interval_keeps_the_cheap_ray():
    """Spend 145, 50, 50 with lift 1, 0, 0: the t-test accepts R <= 49.6 and R >= 123.3 (the lift's CI
    includes 0), so R = 30 is plausible and the interval is [0, inf), not [123.3, inf)."""
    iv = ratio_interval([145.0, 50.0, 50.0], [1.0, 0.0, 0.0])
    assert iv.estimate == 245 and iv.low == 0 and iv.unbounded and "unbounded above" in iv.note
    d = np.array([145.0, 50.0, 50.0]) - 30 * np.array([1.0, 0.0, 0.0])
    assert abs(d.mean()) <= stdtrit(2, 0.975) * d.std(ddof=1) / math.sqrt(3)  # 30 is accepted


def test_a_run_reports_cpa_as_spend_over_lift_with_no_replication_dropped():
    res = run(scenario_from_dict(small(replications=4)))
    k = res.kpis
    s = res.summary
    assert s["cpa"]["n"] == 4 and s["cpa"]["mean"] == pytest.approx(k["spend"].sum() / k["incremental_adopters"].sum())
    assert s["roi"]["mean"] == pytest.approx(k["incremental_profit"].sum() / k["spend"].sum())


# --- intervals of counts never below 0 ----------------------------------------------------------


def test_count_interval_is_clipped_at_zero_and_says_so():
    """-r 3 with one large replication: mean 10, t-interval 10 +- 4.30 x 17.32 / 1.73 = [-33, 53]."""
    kpis = pd.DataFrame({"baseline_adopters": [0.0, 0.0, 30.0]})
    s = kpi_summary(kpis, "baseline_adopters")
    half = T2 * math.sqrt(300) / math.sqrt(3)
    assert s["mean"] == 10 and s["ci95_low"] == 0 and s["ci95_high"] == pytest.approx(10 + half)
    assert "clipped at 0" in s["note"]
    free = kpi_summary(pd.DataFrame({"incremental_adopters": [0.0, 0.0, 30.0]}), "incremental_adopters")
    assert free["ci95_low"] == pytest.approx(10 - half) and not free["note"]  # a lift may be negative


@given(st.lists(st.floats(0, 1e6), min_size=2, max_size=30))
def test_intervals_of_counts_never_go_below_zero(values):
    iv = mean_interval(values, (0.0, math.inf))
    assert iv.low >= 0 and iv.high >= iv.estimate >= iv.low


@given(st.lists(st.floats(-100, 100), min_size=2, max_size=30))
def test_nps_intervals_stay_within_minus_100_and_100(values):
    s = kpi_summary(pd.DataFrame({"nps": values}), "nps")
    assert -100 <= s["ci95_low"] <= s["ci95_high"] <= 100


def test_missing_values_are_counted_not_dropped_silently():
    iv = mean_interval([1.0, np.nan, 3.0])
    assert iv.n == 2 and "1 of 3 replications without a value" in iv.note


# --- unspent money and its real reason ----------------------------------------------------------


def candidates(costs: dict[str, list[float]]) -> Candidates:
    """A hand-built marketplace: one tier per key, one candidate per fee per post."""
    names = list(costs)
    tier = np.concatenate([np.full(len(v), t) for t, v in enumerate(costs.values())]).astype(np.int64)
    fee = np.concatenate([np.asarray(v, float) for v in costs.values()])
    n = fee.size
    ones, zeros = np.ones(n), np.zeros(n)
    return Candidates(
        names, np.array([f"c{i}" for i in range(n)], dtype=object), tier, 1000 * ones, 0.05 * ones, 0.5 * ones,
        zeros, 0.8 * ones, fee, zeros, 0.5 * ones, ones, np.zeros(n, np.int64), np.zeros(n, np.int64),
        np.full(n, -1, np.int64),
    )  # fmt: skip


def test_unspent_reasons_on_hand_built_tiers():
    """Two-post contracts. a: three candidates (fees 100, 150, 200 per post: contracts 200, 300, 400),
    all hired for 900 of 2,000. b: contracts 400 and 1,000; 1,200 buys the 400 one and leaves 800,
    less than the 1,000 contract. c: nothing allocated."""
    c = candidates({"a": [100, 150, 200], "b": [200, 500], "c": [50]})
    terms = Contracts(posts=2, interval_days=7)
    roster = Roster(
        np.array([0, 1, 2, 3]), [post_days(terms, 30, k) for k in range(4)], np.array([200, 300, 400, 400.0])
    )
    report = tier_spend(c, roster, {"a": 2_000.0, "b": 1_200.0, "c": 0.0}, terms, 30).set_index("tier")
    assert report["spent"].tolist() == [900, 400, 0] and report["unspent"].tolist() == [1_100, 800, 0]
    assert report.loc["a", "unspent_reason"] == "all 3 candidates hired"
    assert report.loc["b", "cheapest_unhired"] == 1_000
    assert (
        report.loc["b", "unspent_reason"]
        == "no whole contract fits the 800 USD left (the cheapest unhired costs 1,000 USD)"
    )
    assert report.loc["c", "unspent_reason"] == "nothing allocated"
    assert unspent_reason(1_000, 999.8, 1, 5, 300) == ""  # less than half a dollar left: spent
    assert unspent_reason(500, 0, 0, 0, math.nan).startswith("no candidates")


def test_spend_report_of_a_world_adds_up_to_its_roster():
    sc = scenario_from_dict(small(marketplace={"candidates": {"micro": 5, "macro": 20}}))
    world = World.build(sc)
    report = spend_report(world).set_index("tier")
    assert report["spent"].sum() == pytest.approx(world.roster.cost.sum())
    assert report.loc["micro", "unspent_reason"] == "all 5 candidates hired"  # 10,000 USD for 5 micro accounts
    assert report.loc["micro", "hired"] == 5 and report.loc["micro", "unspent"] > 5_000


@pytest.fixture(scope="module")
def exhausted():
    """Micro has 3 candidates for 10,000 USD: they run out, and its average ROI must not invite more money."""
    return run(scenario_from_dict(small(marketplace={"candidates": {"micro": 3, "macro": 20}}, replications=3)))


def test_report_says_why_money_is_unspent_next_to_the_roi(exhausted):
    lines = findings(exhausted)
    text = "\n".join(lines)
    assert "all 3 candidates hired" in text and "stays unspent" in text
    assert "not what its next dollar would earn" in text and "wom plan" in text
    assert "could be spent" not in text  # the old "< 50% spent" warning and its wrong reason are gone
    micro = exhausted.tiers[exhausted.tiers["tier"] == "micro"]
    assert (micro["unspent_reason"] == "all 3 candidates hired").all() and (micro["unspent"] > 0).all()
    terminal = terminal_summary(exhausted)
    assert "all 3 candidates hired" in terminal and "Unspent budget, USD" in terminal
    assert "Intervals cover simulation noise only" in terminal


def test_a_tier_whose_money_buys_no_real_contract_gets_a_warning(tmp_path):
    """Macro 10,000 USD passes the nominal floor (two posts x 500,000 x 0.01 = 10,000) but no real
    candidate's two-post contract costs that little (fees spread around the nominal)."""
    sc = scenario_from_dict(small(contracts={"posts": 2}, marketplace={"candidates": {"micro": 20, "macro": 2}}))
    res = run(sc)
    assert (res.spend.set_index("tier").loc["macro", "hired"]) == 0
    (warning,) = spend_warnings(res)
    assert warning.startswith("tier macro hired no one with its 10,000 USD: no whole contract fits")
    out = res.write(tmp_path / "out")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["warnings"] == [warning] and "simulation noise only" in summary["intervals"]["cover"]
    assert "Warning" in (out / "report.md").read_text() and "Warning: tier macro" in (out / "report.html").read_text()


# --- the affordability check ---------------------------------------------------------------------


@given(
    kind=st.sampled_from(["one_off", "ambassador"]),
    posts=st.integers(1, 6),
    start=st.integers(1, 40),
    interval=st.integers(1, 20),
    days=st.integers(1, 60),
)
def test_contract_posts_is_the_fewest_posts_any_stagger_buys(kind, posts, start, interval, days):
    terms = Contracts(kind=kind, posts=posts, start_day=start, interval_days=interval)
    sizes = [post_days(terms, days, offset).size for offset in range(interval)]
    positive = [s for s in sizes if s > 0]
    assert contract_posts(terms, days) == (min(positive) if positive else 0)


def test_budget_split_mega_share_is_refused_with_the_real_minimum(tmp_path):
    """The shipped budget_split.toml once gave mega 15,000 USD: a two-post contract costs at least
    2 x 1,000,000 followers x 0.01 USD = 20,000 USD."""
    text = (REPOSITORY / "scenarios/budget_split.toml").read_text()
    path = tmp_path / "old.toml"
    path.write_text(
        text.replace("{ micro = 0.1, macro = 0.4, mega = 0.5 }", "{ micro = 0.1, macro = 0.6, mega = 0.3 }")
    )
    with pytest.raises(InputError) as err:
        as_scenario(path)
    message = str(err.value)
    assert "\n" not in message and "variants.macro_heavy.budget.split.mega" in message
    assert "15,000 USD for tier mega is below one contract's cost there: at least 20,000 USD (2 posts" in message
    as_scenario(REPOSITORY / "scenarios/budget_split.toml")  # the shipped file buys whole contracts


def test_an_ambassador_contract_counts_every_posting_day():
    """Ambassador, 30 days, a post every 7 days from day 1: the latest stagger (start day 7) posts on
    days 7, 14, 21, 28: 4 posts x 500,000 x 0.01 = 20,000 USD for a macro contract."""
    data = small(contracts={"kind": "ambassador", "interval_days": 7})
    sc = scenario_from_dict({**data, "budget": {"total": 40_000, "split": {"micro": 0.5, "macro": 0.5}}})
    assert sc.contract_floor()["macro"] == 20_000
    with pytest.raises(InputError, match="at least 20,000 USD"):
        scenario_from_dict({**data, "budget": {"total": 39_000, "split": {"micro": 0.5, "macro": 0.5}}})


# --- compare: spend, unspent, "no campaign", and a lead bought by spending less -----------------


def runs_frame(values: dict[str, dict[str, list[float]]]) -> pd.DataFrame:
    rows = []
    for variant, kpis in values.items():
        for r in range(len(next(iter(kpis.values())))):
            rows.append({"variant": variant, "replication": r, **{k: v[r] for k, v in kpis.items()}})
    return pd.DataFrame(rows)


def test_no_campaign_row_is_exactly_zero():
    runs = runs_frame({"a": {"incremental_adopters": [5.0, 7.0], "spend": [100.0, 100.0], "unspent": [0.0, 0.0]}})
    table = variant_table(runs, ["a"], ["incremental_adopters", "spend", "unspent", "cpa"], budget=100.0)
    none = table[table["variant"] == NO_CAMPAIGN].set_index("metric")
    assert (none.loc[["incremental_adopters", "spend"], ["mean", "ci95_low", "ci95_high"]] == 0).all().all()
    assert none.loc["unspent", "mean"] == 100 and math.isnan(none.loc["cpa", "mean"])


def test_the_verdict_says_when_the_lead_comes_from_spending_less():
    """Both sell 100 incremental adopters (margin 25: 2,500 USD); 'cheap' spends 6,000 less, so its
    whole 6,000 USD profit lead is money it did not spend."""
    runs = runs_frame(
        {
            "cheap": {"incremental_profit": [-51_500, -51_000, -52_000], "spend": [54_000] * 3,
                      "incremental_adopters": [100, 120, 80]},
            "full": {"incremental_profit": [-57_500, -57_000, -58_000], "spend": [60_000] * 3,
                     "incremental_adopters": [100, 120, 80]},
        }
    )  # fmt: skip
    b = best_variant(runs, ["cheap", "full"], "incremental_profit")
    assert b["best"] == "cheap" and b["lead"] == pytest.approx(6_000) and b["spend_difference"] == pytest.approx(-6_000)
    assert b["spending_less"].startswith("its whole lead comes from spending less: cheap spends 6,000 USD less")
    assert b["no_campaign"].startswith("every variant does worse than no campaign")


def test_compare_shows_spend_unspent_and_no_campaign():
    data = small(replications=2, marketplace={"candidates": {"micro": 3, "macro": 20}})
    exp = scenario_from_dict({**data, "variants": {"even": {}, "macro_only": {"budget": {"split": {"macro": 1.0}}}}})
    c = compare(exp, workers=1, progress=False)
    assert (c.runs["unspent"] == exp.budget.total - c.runs["spend"]).all()
    assert c.runs.loc[c.runs["variant"] == "even", "unspent_reason"].str.contains("all 3 candidates hired").all()
    none = c.table[c.table["variant"] == NO_CAMPAIGN].set_index("metric")
    assert none.loc["incremental_adopters", "mean"] == 0 and none.loc["incremental_profit", "mean"] == 0
    assert none.loc["spend", "mean"] == 0 and none.loc["unspent", "mean"] == exp.budget.total
    text = comparison_text(c)
    assert "no campaign" in text and "unspent money and why" in text and "Intervals cover" in text


# --- figures -------------------------------------------------------------------------------------


def test_tier_roi_label_subtracts_spend_once():
    (label,) = [unit for col, _, unit in TIER_PANELS if col == "roi"]
    assert label == "incremental profit / spend"  # incremental profit already has the spend taken off


@pytest.mark.parametrize(
    ("low", "high", "lower_is_better", "colour"),
    [
        (1, 3, False, BETTER),
        (-3, -1, False, WORSE),
        (-1, 2, False, UNCLEAR),
        (1, 3, True, WORSE),
        (-3, -1, True, BETTER),
    ],
)
def test_difference_colours_tell_better_from_worse(low, high, lower_is_better, colour):
    assert difference_colour(low, high, lower_is_better) == colour


def test_sweep_title_fits_a_one_parameter_figure():
    from sim.experiments.sweep import SweepResult, sweep_drawing

    points = pd.DataFrame(
        {"point": [0, 1], "tiers.micro.trust": [0.2, 0.8], "replications": [3, 3], "roi": [0.1, 0.2],
         "roi_ci95_low": [0.0, 0.1], "roi_ci95_high": [0.2, 0.3]}
    )  # fmt: skip
    fig = sweep_drawing(SweepResult(pd.DataFrame(), points, None, "grid", ["tiers.micro.trust"], ["roi"]))
    fig.canvas.draw()
    box = fig._suptitle.get_window_extent(fig.canvas.get_renderer())
    assert box.x0 >= 0 and box.x1 <= fig.bbox.width and box.y1 <= fig.bbox.height


# --- plan on a calibrated scenario: each replication draws its parameters ------------------------


def test_plan_evaluations_draw_each_replications_parameters():
    from tests.test_plan import scenario as plan_scenario

    ranges = {"influence.conversion": {"min": 0.01, "max": 0.2, "log": True}, "word_of_mouth.q": {"min": 1, "max": 20}}
    sc = plan_scenario(uncertain={"parameters": ranges})
    assert draw(sc, 0) != draw(sc, 1)  # two replications get different parameters
    split = {"nano": 6_000.0, "macro": 10_000.0}
    with Evaluator(sc) as ev:
        first = ev.evaluate([split], [0, 1])
    with Evaluator(sc) as ev:
        again = ev.evaluate([split], [0, 1])
    pd.testing.assert_frame_equal(first.kpis, again.kpis)  # same seed, same draws, same numbers
    s = split_scenario(sc, split)
    world = World.build(s)
    fixed = s.with_overrides({"uncertain": {"parameters": {}}})
    for r in (0, 1):
        row = first.kpis[first.kpis["replication"] == r].iloc[0]
        assert row["incremental_adopters"] == run_replication(s, world, r).kpis["incremental_adopters"]
        assert row["baseline_adopters"] == run_replication(s, world, r).kpis["baseline_adopters"]
        assert row["baseline_adopters"] != run_replication(fixed, world, r).kpis["baseline_adopters"]


# --- pages and scripts ---------------------------------------------------------------------------


def test_report_html_is_self_contained(exhausted, tmp_path):
    out = exhausted.write(tmp_path / "out")
    page = (out / "report.html").read_text()
    assert "http://" not in page and "https://" not in page and 'src="figures/' not in page
    assert page.count("data:image/png;base64,") >= 3
    assert "all 3 candidates hired" in page and "simulation noise only" in page
    assert render_html(exhausted, {}).startswith("<!DOCTYPE html>")


@pytest.mark.slow
def test_plain_script_calling_compare_on_two_workers(tmp_path):
    """The README's sim.compare(...) in a script without a main guard: worker processes must not re-run it."""
    data = {**small(replications=2), "experiment": {"split_grid": {"tiers": ["micro", "macro"], "step": 0.5}}}
    scenario = tmp_path / "s.toml"
    scenario.write_text(tomlio.dumps(data))
    script = tmp_path / "plain.py"
    script.write_text(
        f"import sim\nc = sim.compare({str(scenario)!r}, workers=2, progress=False)\nprint('ran once:', len(c.runs))\n"
    )
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.count("ran once: 6") == 1
