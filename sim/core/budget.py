"""Hiring: which candidates post, when, and at what cost; and what the money bought.

``hire`` signs contracts under a budget split and a policy: spend never exceeds a tier's
allocation, because a contract is signed only if its full cost fits in what is left of that
tier's money. ``hire_exactly`` signs a given roster at its fees (creator selection, calibration).
Both take plain arguments, so they can be used without a scenario. ``spend_report`` says, per
tier, what was spent, what was left and why (``unspent_reason``: the one place for that rule).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, get_args

import numpy as np
import pandas as pd

from sim.core.market import Candidates
from sim.core.sections import Contracts, Policy

if TYPE_CHECKING:
    from sim.core.world import World

POLICIES: tuple[str, ...] = get_args(Policy)  # the one list is the Literal in sections


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


def contract_posts(contracts: Contracts, days: int) -> int:
    """The fewest posts a contract on these terms buys within ``days`` (0: none fits).

    Starts are staggered over one interval (``post_days``) and posts past the horizon are not
    bought, so the latest start buys the fewest: a one-off contract its ``posts`` (or fewer near
    the horizon), an ambassador one post per interval from that start to the horizon.
    """
    if contracts.start_day > days:
        return 0
    latest = min(contracts.start_day + contracts.interval_days - 1, days)
    fits = (days - latest) // contracts.interval_days + 1
    return fits if contracts.kind == "ambassador" else min(contracts.posts, fits)


def contract_floor(followers_min: float, cost_per_follower: float, contracts: Contracts, days: int) -> float:
    """A tier's nominal cheapest contract: its fewest posts at the fee of its smallest account
    (``followers_min x cost_per_follower`` per post). Generated fees spread around the nominal
    one, so the marketplace's real cheapest candidate is known only once the world is drawn
    (``spend_report``)."""
    return contract_posts(contracts, days) * followers_min * cost_per_follower


def contract_cost(candidates: Candidates, which: np.ndarray, contracts: Contracts, days: int) -> np.ndarray:
    """What a contract with each candidate ``which`` costs (first stagger: the most posts; 0 for
    a candidate with no posting day within ``days``)."""
    which = np.asarray(which, dtype=np.int64)
    own = candidates.posts[which]
    counts = {int(p): post_days(contracts, days, 0, int(p)).size for p in np.unique(own)}
    posts = np.array([counts[int(p)] for p in own], dtype=float)
    return candidates.cost_per_post[which] * posts


LEFT_OVER = 0.5  # USD: less than this left in a tier counts as fully spent


def unspent_reason(allocated: float, spent: float, hired: int, candidates: int, cheapest_unhired: float) -> str:
    """Why a tier's money was not all spent ("" when it was): the one place for this rule.

    ``cheapest_unhired``: the cheapest contract of a candidate not hired (NaN: none left).

    >>> unspent_reason(1_000, 900, 10, 10, math.nan)
    'all 10 candidates hired'
    >>> unspent_reason(1_000, 900, 3, 10, 400)
    'no whole contract fits the 100 USD left (the cheapest unhired costs 400 USD)'
    """
    left = allocated - spent
    if allocated <= 0:
        return "nothing allocated"
    if left < LEFT_OVER:
        return ""
    if candidates == 0:
        return "no candidates in this tier (marketplace.candidates)"
    if hired >= candidates:
        return f"all {candidates} candidates hired"
    if not math.isfinite(cheapest_unhired) or cheapest_unhired <= 0:
        return "no other candidate has a posting day within market.days"
    if cheapest_unhired > left:
        digits = 0 if round(left) != round(cheapest_unhired) else 2  # never "59 USD left, the cheapest costs 59"
        return (
            f"no whole contract fits the {left:,.{digits}f} USD left "
            f"(the cheapest unhired costs {cheapest_unhired:,.{digits}f} USD)"
        )
    return f"a {cheapest_unhired:,.0f} USD contract fits but was not signed (roster chosen by hand)"


SPEND_COLUMNS = ["tier", "allocated", "spent", "unspent", "hired", "candidates", "cheapest_unhired", "unspent_reason"]


def tier_spend(
    candidates: Candidates, roster: Roster, allocation: Mapping[str, float], contracts: Contracts, days: int
) -> pd.DataFrame:
    """Per tier: money allocated, spent (whole contracts signed), unspent and why."""
    hired_tier = candidates.tier[roster.candidate]
    rows = []
    for t, name in enumerate(candidates.tier_names):
        mine = hired_tier == t
        unhired = np.setdiff1d(np.flatnonzero(candidates.tier == t), roster.candidate)
        costs = contract_cost(candidates, unhired, contracts, days)
        costs = costs[costs > 0]
        allocated, spent = float(allocation.get(name, 0.0)), float(roster.cost[mine].sum())
        n, hired = int((candidates.tier == t).sum()), int(mine.sum())
        cheapest = float(costs.min()) if costs.size else math.nan
        rows.append(
            [name, allocated, spent, max(0.0, allocated - spent), hired, n, cheapest]
            + [unspent_reason(allocated, spent, hired, n, cheapest)]
        )
    return pd.DataFrame(rows, columns=SPEND_COLUMNS)


def spend_report(world: World) -> pd.DataFrame:
    """``tier_spend`` of a world: what its hiring did with each tier's money, and why any is left.

    The world is fixed for every replication, so this holds for all of them; referral rewards,
    paid per referred sale, come on top (``metrics.replication_kpis``).
    """
    sc = world.scenario
    return tier_spend(world.candidates, world.roster, sc.tier_allocation(), sc.contracts, sc.market.days)


def unspent_words(report: pd.DataFrame, at_least: float = LEFT_OVER) -> str:
    """The tiers of a ``tier_spend`` report that left at least ``at_least`` USD, how much and why:
    "macro 4,543 USD, no whole contract fits ...; mega ..." ("" when every tier spent its money)."""
    columns = (report[c] for c in ("tier", "unspent", "allocated", "unspent_reason"))
    rows = zip(*columns, strict=True)  # plain Python: a handful of rows, asked once per replication
    return "; ".join(
        f"{tier} {left:,.0f} USD, {why}" for tier, left, given, why in rows if left >= at_least and given > 0
    )


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
