"""Choosing creators: the estimate against closed forms and the simulation, diminishing returns
from overlapping audiences, lazy greedy against plain greedy, and greedy against exhaustive search."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.core.cascade import independent_cascade
from sim.core.scenario import scenario_from_dict
from sim.core.world import World
from sim.planning.celf import GUARANTEE, Limits, celf, exhaustive, lazy_greedy
from sim.planning.estimate import build_estimate, wom_tie_chances, word_of_mouth_worth
from sim.planning.rosters import RosterRuns

from .conftest import small


def market(**sections):
    return scenario_from_dict(
        small(market={"population": 40_000, "consumers": 2_000, "days": 30}, **sections), "market.toml"
    )


def twelve(seed: int = 4) -> pd.DataFrame:
    """Twelve creators of three tiers, some sharing an audience (groups g1, g2)."""
    rng = np.random.default_rng(seed)
    tiers = rng.choice(["nano", "micro", "mid"], 12, p=[0.5, 0.35, 0.15])
    ranges = {"nano": (1_000, 10_000), "micro": (10_000, 50_000), "mid": (50_000, 200_000)}
    followers = [int(np.exp(rng.uniform(*np.log(ranges[t])))) for t in tiers]
    return pd.DataFrame(
        {
            "handle": [f"@c{i:02d}" for i in range(12)],
            "tier": tiers,
            "followers": followers,
            "fee_per_post": [round(0.01 * f * rng.lognormal(0, 0.4)) for f in followers],
            "audience_group": [None, "g1", "g1", None, "g2", None, "g2", "g2", None, None, None, "g1"],
        }
    )


def triplet() -> pd.DataFrame:
    """Three creators alike but for their audience: @a and @b share one, @c has its own (in
    another niche, so it hardly meets theirs by chance)."""
    return pd.DataFrame(
        {
            "handle": ["@a", "@b", "@c"],
            "tier": "micro",
            "followers": 40_000,
            "fee_per_post": 400.0,
            "reach_rate": 0.6,  # most of an audience sees a post: overlap shows
            "engagement_rate": 0.05,
            "niche": [0, 0, 1],
            "audience_group": ["same", "same", None],
        }
    )


@pytest.mark.parametrize("objective", ["reach", "adopters", "profit"])
def test_two_creators_with_one_audience_are_worth_less_than_two_with_different_audiences(objective):
    sc = market(contracts={"posts": 2})
    world = World.build(sc, creators=triplet())
    est = build_estimate(sc, world, objective)
    same, different = est.evaluate([0, 1]), est.evaluate([0, 2])
    alone = est.evaluate([0])
    assert est.evaluate([2]) == pytest.approx(alone, rel=0.2)  # alike on their own
    assert same - alone < 0.9 * (different - alone)  # after @a, @b adds clearly less than @c
    if objective == "reach":  # exact: @b's posts reach only those of @a's audience @a's posts missed
        miss = (1 - world.candidates.reach_rate[1]) ** 2
        assert same - alone == pytest.approx(miss * alone)
        assert different - alone == pytest.approx(est.evaluate([2]), rel=0.1)  # overlap by chance only
    limits = Limits(est.cost, world.candidates.tier, est.cost[:2].sum(), np.full(5, np.inf), np.zeros(5))
    chosen = celf(est, limits).chosen.order
    assert 2 in chosen and len(chosen) == 2  # the greedy takes one of @a, @b and the creator with new people


def test_overlapping_audiences_reach_fewer_people_in_the_simulation_too():
    sc = market(contracts={"posts": 2})
    creators = triplet()
    with RosterRuns(sc, creators, workers=1) as runs:
        k = runs.simulate([["@a", "@b"], ["@a", "@c"]], range(4))
    reach = k.pivot(index="replication", columns="point", values="reach")
    assert (reach[0] < reach[1]).all()  # on every seed, paired


def test_estimated_reach_is_the_simulated_reach_in_expectation():
    """Reach is exact in expectation: the simulation's mean over 40 seeds is within 4 SE."""
    sc = market()
    creators = twelve()
    world = World.build(sc, creators=creators)
    est = build_estimate(sc, world, "reach")
    roster = [0, 1, 3, 4, 6]
    with RosterRuns(sc, creators, workers=1) as runs:
        k = runs.simulate([creators["handle"].iloc[roster].tolist()], range(40))
    sim = k["reach"].to_numpy()
    assert abs(sim.mean() - est.evaluate(roster)) < 4 * sim.std(ddof=1) / np.sqrt(sim.size) + 1e-9


@pytest.mark.parametrize(("q", "close"), [(2.0, True), (8.0, False)])
def test_word_of_mouth_worth_against_the_compiled_cascade(q, close):
    """The branching series against the compiled Independent Cascade (20,000 trials per node): an
    upper bound always, and close (5%) while cascades rarely meet (q = 2 per year, 30 days)."""
    sc = market(word_of_mouth={"q": q})
    world = World.build(sc)
    nodes = np.array([0, 5, 17, 123, 999])
    worth, converged = word_of_mouth_worth(sc, world, nodes)
    assert converged and np.all(worth > 1.0)
    p, adj = wom_tie_chances(sc, world), world.graph.adjacency
    for node, w in zip(nodes, worth, strict=True):
        r = independent_cascade(adj.indptr, adj.indices, [node], p, trials=20_000, seed=int(node))
        se = r.spread.std(ddof=1) / np.sqrt(r.spread.size)
        assert r.mean <= w + 4 * se  # cascades that meet count people once, the series twice
        if close:
            assert w - r.mean < 0.05 * w + 4 * se


class Coverage:
    """Weighted set cover: a monotone submodular objective with an exact answer."""

    def __init__(self, sets: list[set[int]], weight: np.ndarray) -> None:
        self.sets, self.weight = sets, weight
        self.evaluations = 0
        self.reset()

    def reset(self) -> None:
        self.covered: set[int] = set()
        self.value = 0.0

    def gain(self, j: int) -> float:
        self.evaluations += 1
        return float(self.weight[list(self.sets[j] - self.covered)].sum())

    def add(self, j: int) -> None:
        self.value += self.gain(j)
        self.evaluations -= 1
        self.covered |= self.sets[j]


def plain_greedy(cover: Coverage, limits: Limits, by: str) -> list[int]:
    """Greedy that recomputes every gain at every step (no laziness)."""
    cover.reset()
    chosen, spend = [], 0.0
    while True:
        best, key = None, 0.0
        for j in range(limits.cost.size):
            if j in chosen or spend + limits.cost[j] > limits.budget:
                continue
            g = cover.gain(j)
            k = g / limits.cost[j] if by == "gain per USD" else g
            if g > 0 and (best is None or k > key):
                best, key = j, k
        if best is None:
            return chosen
        cover.add(best)
        chosen.append(best)
        spend += limits.cost[best]


@pytest.mark.parametrize("by", ["gain", "gain per USD"])
def test_lazy_greedy_chooses_what_plain_greedy_does_with_fewer_evaluations(by):
    rng = np.random.default_rng(2)
    sets = [set(rng.choice(300, rng.integers(5, 60), replace=False).tolist()) for _ in range(80)]
    cover = Coverage(sets, rng.exponential(1.0, 300))
    limits = Limits(rng.uniform(1, 10, 80), np.zeros(80, np.int64), 60.0, np.array([np.inf]), np.zeros(1))
    plain = plain_greedy(cover, limits, by)
    plain_evaluations = cover.evaluations
    cover.evaluations = 0
    lazy, _ = lazy_greedy(cover, limits, by)
    assert lazy.order == plain
    assert cover.evaluations < plain_evaluations / 2


def test_tier_caps_and_the_budget_hold_in_every_pass():
    rng = np.random.default_rng(3)
    sets = [set(rng.choice(200, 30, replace=False).tolist()) for _ in range(40)]
    cover = Coverage(sets, np.ones(200))
    tier = np.arange(40) % 2
    limits = Limits(rng.uniform(1, 5, 40), tier, 40.0, np.array([10.0, np.inf]), np.array([0.0, 0.0]))
    for selection in celf(cover, limits).passes.values():
        cost = limits.cost[selection.order]
        assert cost.sum() <= 40.0 and cost[tier[selection.order] == 0].sum() <= 10.0


@pytest.mark.parametrize("objective", ["reach", "adopters", "profit"])
@pytest.mark.parametrize("share", [0.15, 0.35, 0.6])
def test_greedy_against_exhaustive_search_over_twelve_candidates(objective, share, capsys):
    """Every affordable roster of 12 candidates, valued on the same draws: the greedy reaches the
    (1 - 1/e)/2 guarantee (a theorem for reach) and in practice is close to the optimum."""
    sc = market()
    world = World.build(sc, creators=twelve())
    est = build_estimate(sc, world, objective)
    limits = Limits(est.cost, world.candidates.tier, share * est.cost.sum(), np.full(5, np.inf), np.zeros(5))
    greedy = celf(est, limits).chosen.value
    _, best, rosters = exhaustive(est.evaluate, limits)
    with capsys.disabled():
        print(
            f"\n{objective} at {share:.0%} of all fees: greedy {greedy:,.1f}, exhaustive {best:,.1f} ({rosters} rosters)"
        )
    assert greedy >= GUARANTEE * best
    assert greedy >= 0.9 * best


@pytest.mark.slow
def test_the_estimate_ranks_rosters_as_the_simulation_does(capsys):
    """24 random rosters of the twelve creators and the greedy's, each simulated on the same 8
    seeds: the estimate orders them as the simulation does (Spearman correlation)."""
    from scipy.stats import spearmanr

    sc = market()
    creators = twelve()
    world = World.build(sc, creators=creators)
    rng = np.random.default_rng(9)
    rosters = [sorted(rng.choice(12, rng.integers(1, 7), replace=False).tolist()) for _ in range(24)]
    with RosterRuns(sc, creators, workers=1) as runs:
        k = runs.simulate([creators["handle"].iloc[r].tolist() for r in rosters], range(8))
    simulated = k.groupby("point")[["incremental_adopters", "reach"]].mean()
    for objective, column, floor in (("adopters", "incremental_adopters", 0.8), ("reach", "reach", 0.95)):
        est = build_estimate(sc, world, objective)
        rho = spearmanr([est.evaluate(r) for r in rosters], simulated[column]).statistic
        with capsys.disabled():
            print(f"\n{objective}: Spearman correlation of estimate and simulation over 24 rosters {rho:.3f}")
        assert rho >= floor
