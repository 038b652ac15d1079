"""Budgeted creator selection: cost-effective lazy greedy with the best-single-candidate guard.

Leskovec, Krause, Guestrin, Faloutsos, VanBriesen & Glance (2007), "Cost-effective outbreak
detection in networks", KDD ("CELF"): two lazy greedy passes, one by marginal gain and one by
marginal gain per USD, each adding the best candidate that still fits the budget (and its tier's
maximum); the better roster is kept. Khuller, Moss & Naor (1999): the greedy by gain per cost
plus the best single affordable candidate. For a monotone submodular objective (unique reach, an
Independent Cascade's spread) the better of these is at least (1 - 1/e) / 2 of the optimum.

Lazy evaluation: for a submodular objective a candidate's gain can only fall as the roster grows,
so a gain computed earlier bounds today's; only the top of the priority queue is recomputed, and
a candidate whose fresh gain is still on top is hired. Objectives that are not submodular (profit
with costs; wear-out) keep the rule as a heuristic.

The objective is any ``Oracle``: ``gain(j)`` (one evaluation), ``add(j)``, ``reset()``.
"""

from __future__ import annotations

import dataclasses
import heapq
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np

Rule = Literal["gain", "gain per USD", "best single"]
GUARANTEE = (1 - 1 / np.e) / 2  # of the optimum, for monotone submodular objectives


class Oracle(Protocol):
    value: float
    evaluations: int

    def gain(self, j: int) -> float: ...

    def add(self, j: int) -> object: ...

    def reset(self) -> None: ...


@dataclass
class Selection:
    """A roster in the order it was chosen, each member's marginal gain then, and its value."""

    rule: str
    order: list[int] = field(default_factory=list)
    gains: list[float] = field(default_factory=list)
    value: float = 0.0
    cost: float = 0.0


@dataclass(frozen=True)
class Limits:
    """Money: ``budget`` in all, per tier at most ``caps[t]`` and at least ``floors[t]`` (USD)."""

    cost: np.ndarray  # per candidate
    tier: np.ndarray  # per candidate, index into caps
    budget: float
    caps: np.ndarray
    floors: np.ndarray

    def fits(self, j: int, spend: float, tier_spend: np.ndarray) -> bool:
        c, t = self.cost[j], self.tier[j]
        return spend + c <= self.budget * (1 + 1e-12) and tier_spend[t] + c <= self.caps[t] * (1 + 1e-12)


Accept = Callable[[int, float], bool]  # (candidate, fresh gain) -> may it be hired?


def lazy_greedy(
    oracle: Oracle,
    limits: Limits,
    by: Literal["gain", "gain per USD"],
    *,
    allowed: Sequence[int] | None = None,
    start: Sequence[int] = (),
    accept: Accept | None = None,
    until: tuple[int, float] | None = None,
    forced: bool = False,
    known: dict[int, float] | None = None,
) -> tuple[Selection, dict[int, float]]:
    """One lazy greedy pass; returns the selection and every candidate's gain on the first round
    (``known``: those gains from an earlier pass with the same ``start``, not computed again).

    ``start`` is hired first (in order); ``allowed`` limits the candidates; ``until`` = (tier,
    amount) stops once that tier spends the amount; ``forced`` hires the best even when its gain
    is not positive (to meet a tier's minimum). Without ``forced`` the pass stops when the best
    fresh gain is not positive, and skips candidates ``accept`` refuses.
    """
    oracle.reset()
    sel = Selection(by)
    tier_spend = np.zeros(limits.caps.size)
    for j in start:
        sel.gains.append(float(oracle.gain(j)))
        oracle.add(j)
        sel.order.append(int(j))
        sel.cost += limits.cost[j]
        tier_spend[limits.tier[j]] += limits.cost[j]
    chosen = set(sel.order)
    pool = [int(j) for j in (range(limits.cost.size) if allowed is None else allowed) if int(j) not in chosen]

    def key(j: int, gain: float) -> float:
        return gain / limits.cost[j] if by == "gain per USD" else gain

    first: dict[int, float] = {}
    heap = []
    for j in pool:
        if limits.fits(j, sel.cost, tier_spend):
            first[j] = g = known[j] if known is not None and j in known else float(oracle.gain(j))
            heap.append((-key(j, g), j, g, 0))
    heapq.heapify(heap)
    round_ = 0
    while heap:
        if until is not None and tier_spend[until[0]] >= until[1]:
            break
        _, j, g, stamp = heapq.heappop(heap)
        if not limits.fits(j, sel.cost, tier_spend):
            continue  # money only shrinks: it will never fit again
        if stamp != round_:
            g = float(oracle.gain(j))
            heapq.heappush(heap, (-key(j, g), j, g, round_))
            continue
        if not forced and g <= 0:
            break  # the best fresh gain adds nothing
        if not forced and accept is not None and not accept(j, g):
            continue
        oracle.add(j)
        sel.order.append(j)
        sel.gains.append(g)
        sel.cost += limits.cost[j]
        tier_spend[limits.tier[j]] += limits.cost[j]
        round_ += 1
    sel.value = oracle.value
    return sel, first


@dataclass
class CelfResult:
    """The kept roster and what each rule found (their estimated objective and cost)."""

    chosen: Selection
    passes: dict[str, Selection]
    evaluations: int


def celf(oracle: Oracle, limits: Limits, *, accept: Accept | None = None) -> CelfResult:
    """Both lazy greedy passes and the best single affordable candidate; the best is kept.

    Tiers with a minimum (``limits.floors``) are filled first, by gain per USD within the tier,
    and both passes start from that roster (the guarantee then covers the rest only).
    """
    start: list[int] = []
    for t in np.flatnonzero(limits.floors > 0):
        members = np.flatnonzero(limits.tier == t)
        sel, _ = lazy_greedy(
            oracle, limits, "gain per USD", allowed=members, start=start, until=(int(t), limits.floors[t]), forced=True
        )
        start = sel.order
    passes: dict[str, Selection] = {}
    singles: dict[int, float] = {}
    for by in ("gain", "gain per USD"):
        passes[by], singles = lazy_greedy(oracle, limits, by, start=start, accept=accept, known=singles)
    if not start and singles:
        fits = [j for j, g in singles.items() if g > 0 and (accept is None or accept(j, g))]
        if fits:
            best = max(fits, key=lambda j: (singles[j], -j))
            passes["best single"] = Selection("best single", [best], [singles[best]], singles[best], limits.cost[best])
    chosen = max(passes.values(), key=lambda s: s.value)
    oracle.reset()
    for j in chosen.order:
        oracle.add(j)
    return CelfResult(chosen, passes, oracle.evaluations)


@dataclass
class Frontier:
    """The kept roster followed by the best use of the money left (by gain per USD, whatever its
    sign), so a report can show what hiring more would do; ``marks``: prefix lengths to check."""

    result: CelfResult
    order: list[int]
    chosen: int  # the roster is order[:chosen]
    marks: list[int]


def spend_marks(cost: np.ndarray, first: int, count: int) -> list[int]:
    """Prefix lengths at about ``count`` equal steps of spend over ``cost[first:]``, its end last.

    >>> spend_marks(np.array([1.0, 1.0, 1.0, 1.0]), 0, 2), spend_marks(np.array([5.0, 1.0, 1.0]), 1, 2)
    ([2, 4], [2, 3])
    """
    if cost.size <= first:
        return []
    spend = np.cumsum(cost[first:])
    marks = [first + int(np.searchsorted(spend, spend[-1] * k / count - 1e-9)) + 1 for k in range(1, count + 1)]
    return sorted(set(marks))


def frontier(oracle: Oracle, limits: Limits, *, accept: Accept | None, checkpoints: int, beyond: int) -> Frontier:
    """``celf``, then the greedy continued by gain per USD up to the budget; ``checkpoints``
    marks along the roster and ``beyond`` past it."""
    result = celf(oracle, limits, accept=accept)
    more, _ = lazy_greedy(oracle, limits, "gain per USD", start=result.chosen.order, forced=True)
    n = len(result.chosen.order)
    cost = limits.cost[more.order] if more.order else np.zeros(0)
    return Frontier(result, more.order, n, spend_marks(cost[:n], 0, checkpoints) + spend_marks(cost, n, beyond))


def random_roster(limits: Limits, money: float, rng: np.random.Generator) -> list[int]:
    """Candidates in a random order, each hired while ``money`` and the tier bounds allow; tiers
    with a minimum are served first (a reference roster of about the same cost)."""
    order = rng.permutation(limits.cost.size)
    within = dataclasses.replace(limits, budget=money)
    chosen: list[int] = []
    spend, tier_spend = 0.0, np.zeros(limits.caps.size)
    for first in (True, False):
        for j in order:
            t = limits.tier[j]
            below = limits.floors[t] > 0 and tier_spend[t] < limits.floors[t]
            if (below or not first) and j not in chosen and within.fits(j, spend, tier_spend):
                chosen.append(int(j))
                spend += limits.cost[j]
                tier_spend[t] += limits.cost[j]
    return chosen


def exhaustive(oracle_value: Callable[[Sequence[int]], float], limits: Limits) -> tuple[list[int], float, int]:
    """The best affordable roster by brute force over every subset (small shortlists only):
    (roster, value, rosters evaluated)."""
    n = limits.cost.size
    if n > 20:
        raise ValueError("exhaustive search is for at most 20 candidates")
    best, best_value, count = [], oracle_value([]), 1
    for mask in range(1, 2**n):
        members = [j for j in range(n) if mask >> j & 1]
        tier_spend = np.bincount(limits.tier[members], limits.cost[members], minlength=limits.caps.size)
        if tier_spend.sum() > limits.budget * (1 + 1e-12) or np.any(tier_spend > limits.caps * (1 + 1e-12)):
            continue
        if np.any(tier_spend < limits.floors * (1 - 1e-12)):
            continue
        value = oracle_value(members)
        count += 1
        if value > best_value:
            best, best_value = members, value
    return best, best_value, count
