"""Hiring under a budget: never overspend, and each policy does what it says."""

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sim.core.budget import hire, hire_exactly, policy_order, post_days
from sim.core.errors import InputError
from sim.core.market import generate_marketplace
from sim.core.scenario import Contracts, scenario_from_dict
from sim.core.streams import world_rng

from .conftest import small


def scale(sc):
    """Real people per simulated consumer."""
    return sc.market.population / sc.market.consumers


def market(policy="engagement_per_cost", total=20_000.0, split=None, **contracts):
    data = small(
        budget={"total": total, "split": split or {"micro": 0.5, "macro": 0.5}},
        hiring={"policy": policy},
        contracts=contracts,
    )
    sc = scenario_from_dict(data)
    rng = world_rng(sc.seed)
    tiers = {name: tier.model_dump() for name, tier in sc.tiers.table.items()}
    return sc, generate_marketplace(tiers, sc.marketplace.candidates, 4, rng), rng


def hire_for(sc, cands, rng):
    """``hire`` with the plain arguments ``World.build`` gathers from a scenario."""
    return hire(
        cands,
        sc.tier_allocation(),
        policy=sc.hiring.policy,
        contracts=sc.contracts,
        days=sc.market.days,
        scale=scale(sc),
        rng=rng,
        target_niches=sc.hiring.niches,
    )


@settings(deadline=None, derandomize=True, max_examples=60)
@given(
    total=st.floats(50_000, 400_000),
    micro=st.floats(0.05, 0.9),
    policy=st.sampled_from(["engagement_per_cost", "reach_per_cost", "niche_fit", "random"]),
    posts=st.integers(1, 4),
    kind=st.sampled_from(["one_off", "ambassador"]),
)
def test_spend_never_exceeds_any_tier_allocation(total, micro, policy, posts, kind):
    try:
        sc, cands, rng = market(policy, total, {"micro": micro, "macro": 1 - micro}, posts=posts, kind=kind)
    except InputError:  # a tier's money below one whole contract is refused (test_accounting)
        assume(False)
    roster = hire_for(sc, cands, rng)
    tiers = cands.tier[roster.candidate]
    for t, name in enumerate(cands.tier_names):
        assert roster.cost[tiers == t].sum() <= sc.tier_allocation()[name] + 1e-6
    assert roster.cost.sum() <= sc.budget.total + 1e-6
    costs = np.array([cands.cost_per_post[j] * d.size for j, d in zip(roster.candidate, roster.post_days, strict=True)])
    assert np.allclose(costs, roster.cost)
    assert len(set(roster.candidate.tolist())) == len(roster)  # nobody hired twice


def test_greedy_fill_stops_only_when_nothing_else_fits():
    sc, cands, rng = market()
    roster = hire_for(sc, cands, rng)
    for t, name in enumerate(cands.tier_names):
        left = sc.tier_allocation()[name] - roster.cost[cands.tier[roster.candidate] == t].sum()
        unhired = np.setdiff1d(np.flatnonzero(cands.tier == t), roster.candidate)
        assert np.all(cands.cost_per_post[unhired] > left)  # one-off single posts: each would overspend


def test_engagement_per_cost_hires_in_that_order():
    sc, cands, rng = market()
    idx = np.flatnonzero(cands.tier == cands.tier_names.index("micro"))
    order = policy_order(cands, idx, "engagement_per_cost", scale(sc), [0], rng)
    value = cands.followers[order] * cands.engagement_rate[order] / cands.cost_per_post[order]
    assert np.all(np.diff(value) <= 0)
    roster = hire_for(sc, cands, rng)
    hired_micro = [j for j in roster.candidate if cands.tier[j] == cands.tier_names.index("micro")]
    positions = [list(order).index(j) for j in hired_micro]
    assert positions == sorted(positions)  # signed in policy order


def test_reach_per_cost_orders_by_expected_reach_per_dollar():
    sc, cands, rng = market("reach_per_cost")
    idx = np.arange(len(cands))
    order = policy_order(cands, idx, "reach_per_cost", scale(sc), [0], rng)
    value = cands.expected_audience(scale(sc))[order] * cands.reach_rate[order] / cands.cost_per_post[order]
    assert np.all(np.diff(value) <= 1e-12)


def test_niche_fit_puts_target_niches_first():
    sc, cands, rng = market("niche_fit")
    idx = np.arange(len(cands))
    order = policy_order(cands, idx, "niche_fit", scale(sc), [2], rng)
    on_target = cands.niche[order] == 2
    assert on_target[: on_target.sum()].all() and not on_target[on_target.sum() :].any()


def test_random_policy_is_a_seeded_permutation():
    sc, cands, _ = market("random")
    idx = np.arange(len(cands))
    a = policy_order(cands, idx, "random", 1.0, [0], np.random.default_rng(1))
    b = policy_order(cands, idx, "random", 1.0, [0], np.random.default_rng(1))
    c = policy_order(cands, idx, "random", 1.0, [0], np.random.default_rng(2))
    assert sorted(a) == list(idx) and list(a) == list(b) and list(a) != list(c)


def test_contract_schedules():
    one_off = Contracts(kind="one_off", posts=3, start_day=2, interval_days=5)
    assert list(post_days(one_off, 30, 0)) == [2, 7, 12]
    assert list(post_days(one_off, 30, 1)) == [3, 8, 13]  # staggered starts
    assert list(post_days(one_off, 8, 0)) == [2, 7]  # posts past the horizon are not bought
    ambassador = Contracts(kind="ambassador", start_day=1, interval_days=10)
    assert list(post_days(ambassador, 30, 0)) == [1, 11, 21]
    assert list(post_days(one_off, 30, 0, posts=2)) == [2, 7]  # a creator's own number of posts
    assert list(post_days(ambassador, 30, 0, posts=2)) == [1, 11]


def test_generated_marketplace_needs_no_scenario():
    """networkx style: the generator takes plain tier parameters."""
    from sim.core.defaults import tier_defaults

    c = generate_marketplace({"micro": tier_defaults(10_000, 50_000)}, {"micro": 30}, 3, np.random.default_rng(0))
    assert len(c) == 30 and set(c.niche) <= {0, 1, 2}
    assert ((c.followers >= 10_000) & (c.followers <= 50_000)).all()
    assert c.handle[0] == "micro-0000" and len(set(c.handle)) == 30


def test_hire_exactly_signs_the_given_roster_in_order():
    _, cands, _ = market()
    roster = hire_exactly(cands, np.array([5, 2]), contracts=Contracts(posts=2, interval_days=3), days=10)
    assert roster.candidate.tolist() == [5, 2]
    assert [d.tolist() for d in roster.post_days] == [[1, 4], [2, 5]]  # staggered starts
    assert roster.cost.tolist() == [2 * cands.cost_per_post[5], 2 * cands.cost_per_post[2]]
