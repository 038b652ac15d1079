"""The plan's arithmetic, exactly: the lattice search, marginal ROI, curve levels, spend, and the
shared no-campaign world."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from sim.core.budget import unspent_reason
from sim.core.world import World
from sim.planning import optimise as opt
from sim.planning.curves import marginal_roi, tier_levels
from sim.planning.evaluate import Evaluator, clear_caches, split_scenario
from sim.planning.spec import Constraints, constraints, parse_plan
from sim.reporting.intervals import mean_ci
from sim.reporting.runner import run_replication
from tests.test_plan import scenario


def test_lattice_search_is_exact_against_brute_force():
    rng = np.random.default_rng(3)
    for _ in range(30):
        tiers, size = int(rng.integers(1, 4)), int(rng.integers(1, 9))
        options = [rng.normal(size=size + 1) for _ in range(tiers)]
        for v in options:  # forbidden amounts
            v[rng.random(size + 1) < 0.3] = -np.inf
        total = int(rng.integers(0, size + 1))
        best = -np.inf
        for ks in itertools.product(range(size + 1), repeat=tiers):
            if sum(ks) == total:
                best = max(best, sum(options[t][k] for t, k in enumerate(ks)))
        found = opt.best_on_lattice(options, total)
        if not np.isfinite(best):
            assert found is None
            continue
        value, ks = found
        assert sum(ks) == total
        assert value == pytest.approx(best)
        assert sum(options[t][k] for t, k in enumerate(ks)) == pytest.approx(best)


def test_marginal_roi_by_hand():
    # three levels, two replications; spend 0 -> 1,000 -> 1,000 (no extra spend) -> 3,000
    profit = np.array([[0.0, 0.0], [500.0, 300.0], [520.0, 280.0], [100.0, -300.0]])
    spent = np.array([0.0, 1000.0, 1000.0, 3000.0])
    mean, low, high = marginal_roi(profit, spent)
    assert math.isnan(mean[0]) and math.isnan(mean[2])  # first level; a step that spends nothing more
    assert mean[1] == pytest.approx(0.4)  # (0.5 + 0.3) / 2
    # step 2 -> 3 per replication: (100 - 520) / 2000 = -0.21 and (-300 - 280) / 2000 = -0.29
    assert mean[3] == pytest.approx(-0.25)
    half = 12.706204736 * np.std([-0.21, -0.29], ddof=1) / math.sqrt(2)  # t(0.975, 1 df)
    assert low[3] == pytest.approx(-0.25 - half) and high[3] == pytest.approx(-0.25 + half)


def test_mean_ci_clips_counts_at_zero():
    mean, low, high = mean_ci(np.array([0.0, 0.0, 30.0]), floor=0.0)
    assert mean == 10 and low == 0 and high > 30


def _cons(**kw) -> Constraints:
    base = {
        "tiers": ["a", "b", "c"],
        "fees": 10_000.0,
        "lo": {"a": 0.0, "b": 2_000.0, "c": 0.0},
        "hi": {"a": 10_000.0, "b": 5_000.0, "c": 10_000.0},
        "fixed": {},
        "floor": {"a": 10.0, "b": 100.0, "c": 3_000.0},
    }
    return Constraints(**{**base, **kw})


@pytest.mark.parametrize("fixed", [{}, {"c": 3_500.0}])
def test_solved_split_meets_bounds_fixed_and_total_exactly(fixed):
    cons = _cons(fixed=fixed, lo={"a": 0.0, "b": 2_000.0, "c": fixed.get("c", 0.0)})
    grid = opt.make_grid(cons, cons.fees)
    rng = np.random.default_rng(1)
    for _ in range(20):
        sur = opt.Surrogate(
            ["a", "b", "c"],
            {t: np.array([0.0, 5_000.0, 10_000.0]) for t in "abc"},
            {t: np.sort(rng.normal(size=3)) * 1e3 for t in "abc"},
            margin=25.0,
            objective=str(rng.choice(["profit", "adopters"])),
        )
        spend = {t: grid.amounts() * rng.uniform(0.5, 1.0) for t in "abc"}
        split = opt.solve(sur, cons, grid, pd.DataFrame(spend, index=grid.amounts()), cons.fees)
        assert split is not None
        assert sum(split.values()) == pytest.approx(cons.fees, abs=1e-9)
        assert 2_000 - 1e-9 <= split["b"] <= 5_000 + 1e-9
        assert split["c"] == 0 or split["c"] >= 3_000 - 1e-9  # nothing below one post's cost
        if fixed:
            assert split["c"] == 3_500.0
        assert cons.holds(split)


def test_holds_rejects_each_broken_constraint():
    cons = _cons(fixed={"c": 3_500.0}, lo={"a": 0.0, "b": 2_000.0, "c": 3_500.0})
    ok = {"a": 4_500.0, "b": 2_000.0, "c": 3_500.0}
    assert cons.holds(ok)
    assert not cons.holds({**ok, "a": 4_400.0})  # total short
    assert not cons.holds({**ok, "a": 5_500.0, "b": 1_000.0})  # below a minimum
    assert not cons.holds({**ok, "a": 3_500.0, "c": 4_500.0})  # fixed tier moved
    assert not cons.holds({"a": 0.0, "b": 6_500.0, "c": 3_500.0})  # above a maximum
    free = _cons()
    assert free.holds({"a": 10.0, "b": 5_000.0, "c": 4_990.0})
    assert not free.holds({"a": 5.0, "b": 5_000.0, "c": 4_995.0})  # 5 USD cannot buy a post


def test_curve_levels():
    cons = _cons()
    for tier in "abc":
        levels = tier_levels(cons, tier, 8)
        assert levels[0] == 0 and levels[-1] == pytest.approx(cons.hi[tier]) and len(levels) >= 8
        assert np.all(np.diff(levels) > 0)
        assert not np.any((levels > 0) & (levels < cons.floor[tier]))


def test_spend_table_is_what_the_world_hires():
    """The surrogate's money-to-spend rule agrees with the worlds the simulation builds."""
    sc = scenario()
    world = World.build(sc)
    amounts = np.array([0.0, 50.0, 700.0, 3_000.0, 9_000.0, 40_000.0])
    table = opt.spend_table(sc, world, ["nano", "macro"], amounts)
    for tier in ("nano", "macro"):
        for a in amounts:
            try:
                w = World.build(split_scenario(sc, {tier: float(a)}))
            except ValueError:  # less than one post's cost: the scenario refuses it, and it buys nothing
                assert table.loc[a, tier] == 0
                continue
            assert table.loc[a, tier] == pytest.approx(w.roster.cost.sum()), (tier, a)
    assert table.loc[40_000.0, "nano"] < 40_000  # 40 candidates cannot take it all


def test_shared_no_campaign_world_gives_the_same_kpis_as_a_full_run():
    sc = scenario()
    splits = [{"nano": 2_000.0, "macro": 10_000.0}, {"micro": 5_000.0}]
    clear_caches()
    with Evaluator(sc) as ev:
        out = ev.evaluate(splits, [0, 3])
    for p, split in enumerate(splits):
        s = split_scenario(sc, split)
        world = World.build(s)
        for r in (0, 3):
            full = run_replication(s, world, r).kpis
            row = out.kpis[(out.kpis["point"] == p) & (out.kpis["replication"] == r)].iloc[0]
            for k in ("incremental_adopters", "incremental_profit", "spend", "reach", "baseline_adopters"):
                assert row[k] == full[k], (p, r, k)
    assert ev.baseline_runs == 2  # one no-campaign run per replication, shared by both splits


def test_a_world_is_not_reused_under_another_seed():
    """The world cache once keyed on the scenario hash only, which leaves the seed out: a second seed
    in the same process then ran on the first seed's graph and roster."""
    base = scenario()
    split = {"micro": 5_000.0}
    clear_caches()
    for seed in (base.seed, base.seed + 1):
        sc = base.with_overrides({"seed": seed})
        with Evaluator(sc) as ev:
            row = ev.evaluate([split], [0]).kpis.iloc[0]
        s = split_scenario(sc, split)
        full = run_replication(s, World.build(s), 0).kpis
        assert row["incremental_adopters"] == full["incremental_adopters"], seed
        assert row["spend"] == full["spend"], seed


def test_splits_hiring_the_same_roster_run_once():
    sc = scenario()
    # the 40 nano candidates cost less than 5,000 USD in all, so both splits hire all of them
    splits = [{"nano": 5_000.0}, {"nano": 6_000.0}]
    with Evaluator(sc) as ev:
        out = ev.evaluate(splits, [0, 1])
    assert ev.evaluations == 1 and ev.campaign_runs == 2
    a, b = (out.kpis[out.kpis["point"] == p].reset_index(drop=True) for p in (0, 1))
    assert (a["incremental_profit"] == b["incremental_profit"]).all()
    static = out.static.set_index(["point", "tier"])
    assert static.loc[(1, "nano"), "allocated"] == 6_000 and static.loc[(1, "nano"), "hired"] == 40


def test_unspent_reasons():
    assert unspent_reason(1_000, 1_000, 3, 10, 50) == ""
    assert unspent_reason(1_000, 900, 10, 10, math.nan) == "all 10 candidates hired"
    assert "no whole contract fits the 100 USD left" in unspent_reason(1_000, 900, 3, 10, 400)


def test_share_bounds_scale_with_the_fees():
    sc = scenario()
    spec = parse_plan({"unit": "share", "tiers": {"nano": {"min": 0.1, "max": 0.5}}})
    cons = constraints(spec, sc, 20_000)
    assert cons.lo["nano"] == pytest.approx(2_000) and cons.hi["nano"] == pytest.approx(10_000)
    assert cons.hi["mid"] == 0  # no candidates
    assert cons.hi["macro"] == pytest.approx(18_000)  # nano's minimum comes first


def _outcome(spent, impressions, reach, adopters, hired, candidates=10, reps=3):
    """A made-up Outcome of one tier's curve: level i is point i, identical replications."""
    from sim.planning.evaluate import Outcome

    levels = range(len(spent))
    kpis = pd.DataFrame(
        [
            {
                "point": i,
                "replication": r,
                "incremental_adopters": adopters[i],
                "incremental_profit": 25.0 * adopters[i] - spent[i],
                "spend": spent[i],
                "reach": reach[i],
            }
            for i in levels
            for r in range(reps)
        ]
    )
    tiers = pd.DataFrame(
        [
            {"point": i, "replication": r, "tier": "a", "impressions": impressions[i]}
            for i in levels
            for r in range(reps)
        ]
    )
    static = pd.DataFrame(
        [
            {
                "point": i,
                "tier": "a",
                "allocated": 1000.0 * i,
                "spent": spent[i],
                "hired": hired[i],
                "candidates": candidates,
                "cheapest_unhired": 400.0 if hired[i] < candidates else math.nan,
            }
            for i in levels
        ]
    )
    index = pd.DataFrame({"point": list(levels), "tier": "a", "allocated": [1000.0 * i for i in levels]})
    return index, Outcome(kpis, tiers, static)


@pytest.mark.parametrize(
    ("impressions", "reach", "adopters", "step3"),
    [
        ([0, 1e4, 2e4, 3e4, 3e4], [0, 5e3, 1e4, 1.1e4, 1.1e4], [0, 100, 200, 220, 220], "audience overlap"),
        ([0, 1e4, 2e4, 3e4, 3e4], [0, 5e3, 1e4, 1.5e4, 1.5e4], [0, 100, 200, 210, 210], "wear-out or already won"),
        ([0, 1e4, 2e4, 2.2e4, 2.2e4], [0, 5e3, 1e4, 1.1e4, 1.1e4], [0, 100, 200, 220, 220], "weaker candidates"),
    ],
)
def test_curve_reasons_from_the_decomposition(impressions, reach, adopters, step3):
    """Extra adopters per USD = impressions/USD x new reach/impression x adopters/new reach: the
    factor that fell is the reason; a step that buys nothing is explained by the hiring."""
    from sim.planning.curves import curve_table

    index, out = _outcome([0, 1000, 2000, 3000, 3000], impressions, reach, adopters, hired=[0, 3, 6, 10, 10])
    table = curve_table(index, out, margin=25.0)
    assert list(table["step_reason"]) == ["", "", "", step3, "no extra spend: all 10 candidates hired"]
    assert table["marginal_roi"].iloc[1] == pytest.approx(25 * 100 / 1000 - 1)
    assert math.isnan(table["marginal_roi"].iloc[4])
    assert table["saturates_at"].iloc[0] == 2000 and table["saturation_reason"].iloc[0] == step3
    assert table["unspent_reason"].iloc[4] == "all 10 candidates hired" and table["unspent"].iloc[4] == 1000


def test_choosing_the_total():
    from sim.planning.frontier import choose_total
    from sim.planning.spec import parse_plan

    table = pd.DataFrame(
        {
            "incremental_profit": [0.0, 500.0, 700.0, 650.0, 900.0],
            "incremental_adopters": [0.0, 40.0, 60.0, 70.0, 90.0],
            "marginal_roi": [math.nan, 0.5, 0.1, -0.2, 0.3],
            "marginal_cpa": [math.nan, 10.0, 30.0, 50.0, 20.0],
        }
    )
    assert choose_total(table, parse_plan({"total_max": 1e4})) == 4  # the best mean
    # a target stops spending at the first step that misses it, even if a later one meets it again
    assert choose_total(table, parse_plan({"total_max": 1e4, "min_roi": 0.0})) == 2
    assert choose_total(table, parse_plan({"total_max": 1e4, "min_roi": 0.2})) == 1
    assert choose_total(table, parse_plan({"total_max": 1e4, "objective": "adopters", "max_cpa": 40.0})) == 2
    assert choose_total(table, parse_plan({"total_max": 1e4, "objective": "adopters"})) == 4
