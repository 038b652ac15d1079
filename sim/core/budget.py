"""Hiring: which candidates post, when, and at what cost.

``hire`` signs contracts under a budget split and a policy: spend never exceeds a tier's
allocation, because a contract is signed only if its full cost fits in what is left of that
tier's money. ``hire_exactly`` signs a given roster at its fees (creator selection, calibration).
Both take plain arguments, so they can be used without a scenario.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import get_args

import numpy as np

from sim.core.market import Candidates
from sim.core.scenario import Contracts, Hiring

Policy = Hiring.model_fields["policy"].annotation
POLICIES: tuple[str, ...] = get_args(Policy)


@dataclass(frozen=True)
class Roster:
    """Hired influencers: candidate index, the days they post and what their contract costs."""

    candidate: np.ndarray
    post_days: list[np.ndarray]
    cost: np.ndarray

    def __len__(self) -> int:
        return self.candidate.size


def post_days(contracts: Contracts, days: int, offset: int, posts: int = 0) -> np.ndarray:
    """Posting days of one contract; starts are staggered by ``offset`` over one interval.

    ``posts`` > 0 overrides the contract's number of posts (a one-off contract's, or an
    ambassador's, which otherwise posts to the end of the horizon).
    """
    first = contracts.start_day + offset % contracts.interval_days
    if contracts.kind == "ambassador" and posts == 0:
        return np.arange(first, days + 1, contracts.interval_days)
    schedule = first + contracts.interval_days * np.arange(posts or contracts.posts)
    return schedule[schedule <= days]


def policy_order(
    candidates: Candidates,
    idx: np.ndarray,
    policy: str,
    scale: float,
    target_niches: Sequence[int],
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


def hire(
    candidates: Candidates,
    allocation: Mapping[str, float],
    *,
    policy: str,
    contracts: Contracts,
    days: int,
    scale: float,
    rng: np.random.Generator,
    target_niches: Sequence[int] = (0,),
) -> Roster:
    """Sign contracts tier by tier, in policy order, while each contract fits the tier's money.

    ``allocation``: USD per tier name for fees; ``scale``: real people per simulated consumer
    (for reach-based policies); ``target_niches``: niches ``niche_fit`` approaches first.
    """
    hired: list[int] = []
    schedules: list[np.ndarray] = []
    costs: list[float] = []
    for t, name in enumerate(candidates.tier_names):
        left = allocation.get(name, 0.0)
        idx = np.flatnonzero(candidates.tier == t)
        for j in policy_order(candidates, idx, policy, scale, target_niches, rng):
            days_ = post_days(contracts, days, len(schedules), int(candidates.posts[j]))
            cost = float(candidates.cost_per_post[j]) * days_.size
            if days_.size and cost <= left:
                left -= cost
                hired.append(int(j))
                schedules.append(days_)
                costs.append(cost)
    return Roster(np.array(hired, dtype=np.int64), schedules, np.array(costs))


def hire_exactly(candidates: Candidates, chosen: np.ndarray, *, contracts: Contracts, days: int) -> Roster:
    """Sign exactly the candidates ``chosen`` (in that order) at their fees, whatever the policy and split.

    Each posts on the contract's schedule (or its own ``posts``); starts are staggered by
    position as in ``hire``. Posts past the horizon are not bought.
    """
    chosen = np.asarray(chosen, dtype=np.int64)
    schedules = [post_days(contracts, days, k, int(candidates.posts[j])) for k, j in enumerate(chosen)]
    costs = np.array([float(candidates.cost_per_post[j]) * d.size for j, d in zip(chosen, schedules, strict=True)])
    return Roster(chosen, schedules, costs)
