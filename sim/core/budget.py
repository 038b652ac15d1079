"""Hiring under a budget split and a policy: which candidates post, when, and at what cost.

Spend never exceeds a tier's allocation: a contract is signed only if its full cost fits in
what is left of that tier's money.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.core.market import Candidates
from sim.core.scenario import Contracts, Scenario

POLICIES = ("engagement_per_cost", "reach_per_cost", "niche_fit", "random")


@dataclass(frozen=True)
class Roster:
    """Hired influencers: candidate index, the days they post and what their contract costs."""

    candidate: np.ndarray
    post_days: list[np.ndarray]
    cost: np.ndarray

    def __len__(self) -> int:
        return self.candidate.size


def post_days(contracts: Contracts, days: int, offset: int) -> np.ndarray:
    """Posting days of one contract; starts are staggered by ``offset`` over one interval."""
    first = contracts.start_day + offset % contracts.interval_days
    if contracts.kind == "ambassador":
        return np.arange(first, days + 1, contracts.interval_days)
    schedule = first + contracts.interval_days * np.arange(contracts.posts)
    return schedule[schedule <= days]


def policy_order(
    candidates: Candidates,
    idx: np.ndarray,
    policy: str,
    scale: float,
    target_niches: list[int],
    rng: np.random.Generator,
) -> np.ndarray:
    """Candidates ``idx`` in the order a policy would approach them."""
    c = candidates
    if policy == "random":
        return rng.permutation(idx)
    engagement_per_cost = c.followers[idx] * c.engagement_rate[idx] / c.cost_per_post[idx]
    if policy == "engagement_per_cost":
        return idx[np.argsort(-engagement_per_cost, kind="stable")]
    if policy == "reach_per_cost":
        reach = c.expected_audience(scale)[idx] * c.reach_rate[idx]
        return idx[np.argsort(-reach / c.cost_per_post[idx], kind="stable")]
    if policy == "niche_fit":
        off_target = ~np.isin(c.niche[idx], target_niches)
        return idx[np.lexsort((-engagement_per_cost, off_target))]
    raise ValueError(f"unknown hiring policy {policy!r}; allowed: {', '.join(POLICIES)}")


def hire(scenario: Scenario, candidates: Candidates, rng: np.random.Generator, scale: float) -> Roster:
    """Sign contracts tier by tier, in policy order, while each contract fits the tier's money.

    ``scale`` is real people per simulated consumer (for reach-based policies).
    """
    allocation = scenario.tier_allocation()
    hired: list[int] = []
    schedules: list[np.ndarray] = []
    costs: list[float] = []
    for t, name in enumerate(candidates.tier_names):
        left = allocation.get(name, 0.0)
        idx = np.flatnonzero(candidates.tier == t)
        for j in policy_order(candidates, idx, scenario.hiring.policy, scale, scenario.hiring.niches, rng):
            days = post_days(scenario.contracts, scenario.market.days, len(schedules))
            cost = float(candidates.cost_per_post[j]) * days.size
            if days.size and cost <= left:
                left -= cost
                hired.append(int(j))
                schedules.append(days)
                costs.append(cost)
    return Roster(np.array(hired, dtype=np.int64), schedules, np.array(costs))
