"""The best split under the constraints: an exact search on a surrogate, then simulation.

The surrogate is built from the response curves. Per tier, money becomes spend through the
hiring rule itself (``sim.core.budget.hire`` on the scenario's marketplace: whole contracts
only, so 12,000 USD may buy one macro contract and 9,000 none), and spend becomes the objective
through the tier's curve, made non-decreasing (isotonic regression) and interpolated linearly.
Tiers add up (separable surrogate). Dynamic programming then finds the exact best split on a
grid of ``STEPS`` equal steps of the money: bounds, fixed tiers and the total hold exactly, and
lumpy, non-concave curves are no problem. Resampling the replications (bootstrap) and solving
again gives other plausible optima; these and local moves around the best are simulated on the
search seeds, and the best simulated split is verified on fresh seeds by the caller.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import isotonic_regression

from sim.core.scenario import Scenario
from sim.core.world import World
from sim.planning.evaluate import hire_with
from sim.planning.spec import Constraints

STEPS = 100  # the search grid: the free money in 100 equal steps (1% each)
BOOTSTRAP = 40  # resampled surrogates proposing candidates (ASSUMPTION: enough to see the spread)


@dataclass(frozen=True)
class Grid:
    """The lattice the search works on: ``step`` USD, tier amounts ``k * step`` for free tiers."""

    step: float
    size: int  # lattice points 0..size
    fixed: dict[str, float]

    def amounts(self) -> np.ndarray:
        return np.arange(self.size + 1) * self.step


def make_grid(cons: Constraints, fees_max: float) -> Grid:
    """``STEPS`` steps of the free money at the largest total considered."""
    free_money = max(0.0, fees_max - sum(cons.fixed.values()))
    step = free_money / STEPS if free_money > 0 else 1.0
    return Grid(step, STEPS if free_money > 0 else 0, dict(cons.fixed))


def spend_table(base: Scenario, world: World, tiers: list[str], amounts: np.ndarray) -> pd.DataFrame:
    """USD each tier spends when given each amount alone: the hiring rule itself (whole
    contracts, in policy order), so the surrogate's lumps are the simulation's."""
    out = {}
    c = world.candidates
    for t in tiers:
        code = c.tier_names.index(t)
        spent = []
        for a in amounts:
            roster = hire_with(base, world, {t: float(a)})
            spent.append(float(roster.cost[c.tier[roster.candidate] == code].sum()))
        out[t] = spent
    return pd.DataFrame(out, index=amounts)


@dataclass
class Surrogate:
    """Objective of a split = value at the current split + sum over tiers of the curve's change."""

    tiers: list[str]
    spent: dict[str, np.ndarray]  # per tier: spend at each curve point
    value: dict[str, np.ndarray]  # per tier: fitted objective at each curve point
    margin: float
    objective: str

    def tier_value(self, tier: str, spend: np.ndarray) -> np.ndarray:
        """The tier's contribution at ``spend`` USD spent (profit counts the spend itself)."""
        v = np.interp(spend, self.spent[tier], self.value[tier])
        return self.margin * v - spend if self.objective == "profit" else v


def fit_surrogate(curves: pd.DataFrame, per_rep: pd.DataFrame, metric: str, margin: float, objective: str) -> Surrogate:
    """Isotonic fits of the metric (adopters for profit) against each tier's spend.

    ``per_rep`` is point x replication of the metric; a bootstrap passes a resampled one.
    """
    spent, value = {}, {}
    tiers = list(dict.fromkeys(curves["tier"]))
    means = per_rep.mean(axis=1)
    for t in tiers:
        sub = curves[curves["tier"] == t]
        frame = pd.DataFrame({"spent": sub["spent"].to_numpy(), "y": means.loc[sub["point"]].to_numpy()})
        g = frame.groupby("spent", sort=True)["y"]
        x, y, w = g.mean().index.to_numpy(), g.mean().to_numpy(), g.size().to_numpy()
        spent[t] = x
        value[t] = isotonic_regression(y, weights=w.astype(float), increasing=True).x if len(y) > 1 else y
    return Surrogate(tiers, spent, value, margin, objective)


def tier_options(cons: Constraints, grid: Grid, tier: str, spend: np.ndarray, s: Surrogate, fees: float) -> np.ndarray:
    """Surrogate value of each lattice amount for a free tier; -inf where the bounds forbid it."""
    amounts = grid.amounts()
    ok = (amounts >= cons.lo[tier] - 1e-6) & (amounts <= min(cons.hi[tier], fees) + 1e-6)
    ok &= (amounts == 0) | (amounts >= cons.floor[tier] - 1e-9)
    values = s.tier_value(tier, spend) if tier in s.tiers else np.zeros_like(amounts)
    return np.where(ok, values, -np.inf)


def best_on_lattice(options: list[np.ndarray], total: int) -> tuple[float, list[int]] | None:
    """Exact maximum of ``sum_t options[t][k_t]`` subject to ``sum_t k_t == total`` (dynamic programming)."""
    if not options:
        return (0.0, []) if total == 0 else None
    size = len(options[0])
    best = options[0].copy()
    choices = []
    k = np.arange(size)
    for v in options[1:]:
        # cand[b, k] = best[b - k] + v[k]
        shifted = np.where(k[None, :] <= k[:, None], best[np.clip(k[:, None] - k[None, :], 0, None)], -np.inf)
        cand = shifted + v[None, :]
        arg = np.argmax(cand, axis=1)
        choices.append(arg)
        best = cand[k, arg]
    if total >= size or not np.isfinite(best[total]):
        return None
    ks = [0] * len(options)
    b = total
    for i in range(len(options) - 1, 0, -1):
        ks[i] = int(choices[i - 1][b])
        b -= ks[i]
    ks[0] = b
    return float(best[total]), ks


def split_from(ks: list[int], free: list[str], grid: Grid, fees: float) -> dict[str, float]:
    """USD per tier for lattice choices; the largest free tier takes the rounding so sums are exact."""
    split = {**grid.fixed, **{t: k * grid.step for t, k in zip(free, ks, strict=True)}}
    if free:
        rest = fees - sum(v for t, v in split.items() if t != free[int(np.argmax(ks))])
        split[free[int(np.argmax(ks))]] = max(0.0, rest)
    return split


def solve(s: Surrogate, cons: Constraints, grid: Grid, spend: pd.DataFrame, fees: float) -> dict[str, float] | None:
    """The surrogate's best split of ``fees`` USD (None if the lattice cannot meet the bounds)."""
    free = cons.free
    total = round((fees - sum(grid.fixed.values())) / grid.step) if grid.size else 0
    options = [tier_options(cons, grid, t, spend[t].to_numpy(), s, fees) for t in free]
    found = best_on_lattice(options, total)
    return None if found is None else split_from(found[1], free, grid, fees)


def predicted(s: Surrogate, split: dict[str, float], spend: pd.DataFrame, grid: Grid) -> float:
    """Surrogate value of a split (up to a constant: only differences mean anything)."""
    total = 0.0
    for t in s.tiers:
        k = int(round(split.get(t, 0.0) / grid.step)) if grid.step > 0 else 0
        total += float(s.tier_value(t, np.array([spend[t].iloc[min(k, grid.size)]]))[0])
    return total


def bootstrap_candidates(
    curves: pd.DataFrame,
    per_rep: pd.DataFrame,
    metric_args: tuple[str, float, str],
    cons: Constraints,
    grid: Grid,
    spend: pd.DataFrame,
    fees: float,
    seed: int,
) -> list[dict[str, float]]:
    """Optima of the mean surrogate and of resampled ones, most frequent first (mean first)."""
    rng = np.random.default_rng(seed)
    first = solve(fit_surrogate(curves, per_rep, *metric_args), cons, grid, spend, fees)
    if first is None:
        return []
    seen: Counter = Counter()
    found = {}
    cols = per_rep.columns.to_numpy()
    for _ in range(BOOTSTRAP):
        pick = rng.choice(cols, cols.size, replace=True)
        sample = per_rep[pick]
        sample.columns = range(cols.size)
        split = solve(fit_surrogate(curves, sample, *metric_args), cons, grid, spend, fees)
        if split is not None:
            key = _key(split)
            seen[key] += 1
            found[key] = split
    ordered = [first] + [found[k] for k, _ in seen.most_common() if k != _key(first)]
    return ordered


def local_moves(
    split: dict[str, float], cons: Constraints, grid: Grid, fees: float, s: Surrogate, spend: pd.DataFrame
) -> list[dict[str, float]]:
    """Splits one move away (10% of the free money, or a whole tier, from one tier to another),
    best predicted first; every one satisfies the constraints."""
    free = cons.free
    moves = []
    big = max(1, STEPS // 10) * grid.step
    for i in free:
        for j in free:
            if i == j:
                continue
            for amount in {min(big, split[i]), split[i]}:
                if amount <= 0:
                    continue
                new = dict(split)
                new[i] -= amount
                new[j] += amount
                if new[i] < 1e-6:
                    new[i] = 0.0
                if cons.holds(new):
                    moves.append(new)
    unique = {_key(m): m for m in moves}
    return sorted(unique.values(), key=lambda m: -predicted(s, m, spend, grid))


def _key(split: dict[str, float]) -> tuple:
    return tuple(sorted((t, round(v, 2)) for t, v in split.items() if round(v, 2) != 0))


def distinct(splits: list[dict[str, float]], exclude: list[dict[str, float]] = ()) -> list[dict[str, float]]:
    """``splits`` without repeats and without any of ``exclude``, order kept."""
    seen = {_key(s) for s in exclude}
    out = []
    for s in splits:
        if _key(s) not in seen:
            seen.add(_key(s))
            out.append(s)
    return out


def single_tier_splits(cons: Constraints, fees: float) -> dict[str, dict[str, float]]:
    """For reference: all the fees in one tier (bounds ignored; what a tier cannot spend stays unspent)."""
    out = {}
    for t in cons.tiers:
        if (cons.hi[t] > 0 or t in cons.fixed) and fees >= cons.floor[t]:
            out[t] = {t: fees}
    return out


def frontier_totals(fees_max: float, fixed: float, n: int, grid: Grid) -> list[float]:
    """``n`` totals of influencer fees from the fixed amounts up to ``fees_max``, on the lattice."""
    ks = np.unique(np.round(np.linspace(0, grid.size, n)).astype(int))
    return [fixed + k * grid.step for k in ks if math.isfinite(k)]
