"""Response curves: what each extra dollar in one tier buys, with the other tiers held still.

Each tier's money goes from 0 to its maximum in ``levels`` steps while the other tiers keep the
current allocation; every level runs on the same replications, so the step from one level to
the next is a paired difference. Marginal ROI of a step is extra incremental profit per extra
USD actually spent (break-even at 0). Why returns fall is read from an exact decomposition of
extra adopters per extra USD into three factors, each compared with the tier's first step:

    dA/dS = (dI/dS) x (dU/dI) x (dA/dU)
    impressions per USD (weaker candidates: later hires sell fewer views per USD),
    new people reached per impression (audience overlap, within and across tiers),
    adopters per newly reached person (wear-out and people already won).

A step that adds no spend at all is explained by the hiring: every candidate hired, or no whole
contract fits the money left.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.core.budget import unspent_reason
from sim.planning.evaluate import Outcome
from sim.planning.spec import Constraints
from sim.reporting.intervals import mean_ci

FALLING = 0.75  # a factor below 75% of its first-step value is "falling" (ASSUMPTION, docs/planning.md)
SATURATED = 0.25  # saturation: extra adopters per USD below 25% of the first step's (ASSUMPTION)


def tier_levels(cons: Constraints, tier: str, levels: int) -> np.ndarray:
    """0, then ``levels - 1`` amounts up to the tier's max, denser where curves bend most (low
    spend: quadratic spacing), none below one post's cost."""
    hi = cons.hi[tier]
    if hi <= 0:
        return np.zeros(1)
    floor = min(cons.floor[tier], hi)
    amounts = floor + (hi - floor) * (np.arange(levels - 1) / (levels - 2)) ** 2
    return np.concatenate([[0.0], np.unique(np.round(amounts, 2))])


def curve_splits(cons: Constraints, current: dict[str, float], levels: int) -> tuple[list[dict], pd.DataFrame]:
    """Splits to simulate (point 0 is the current split) and which tier and level each one is."""
    splits = [dict(current)]
    rows = []
    for t in cons.free:
        for amount in tier_levels(cons, t, levels):
            if math.isclose(amount, current.get(t, 0.0), abs_tol=0.005):
                continue
            rows.append({"point": len(splits), "tier": t, "allocated": float(amount)})
            splits.append({**current, t: float(amount)})
        rows.append({"point": 0, "tier": t, "allocated": float(current.get(t, 0.0))})
    index = pd.DataFrame(rows).sort_values(["tier", "allocated"], kind="stable").reset_index(drop=True)
    order = {t: i for i, t in enumerate(cons.free)}
    return splits, index.sort_values("tier", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)


def marginal_roi(profit: np.ndarray, spent: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Marginal ROI of each step between consecutive levels, with its 95% interval.

    ``profit`` is levels x replications (paired: the same replications in every row), ``spent``
    the USD spent at each level (the same in every replication). Step ``i`` (level i-1 to i)
    earns ``(profit[i] - profit[i-1]) / (spent[i] - spent[i-1])`` per replication; the first
    level, and steps that spend nothing more, have none (NaN).

    >>> mean, low, high = marginal_roi([[0, 0], [500, 300], [500, 300]], [0, 1000, 1000])
    >>> [round(float(m), 2) for m in mean]
    [nan, 0.4, nan]
    """
    profit = np.asarray(profit, dtype=float)
    spent = np.asarray(spent, dtype=float)
    d_spent = np.diff(spent)
    per_rep = np.diff(profit, axis=0) / np.where(d_spent > 0.005, d_spent, np.nan)[:, None]
    mean, low, high = mean_ci(per_rep, axis=1)
    pad = np.array([np.nan])
    return np.concatenate([pad, mean]), np.concatenate([pad, low]), np.concatenate([pad, high])


def _step_reason(ratios: dict[str, float]) -> str:
    finite = {k: v for k, v in ratios.items() if np.isfinite(v)}
    if not finite:
        return ""
    name, value = min(finite.items(), key=lambda kv: kv[1])
    return name if value < FALLING else ""


def curve_table(index: pd.DataFrame, out: Outcome, margin: float) -> pd.DataFrame:
    """One row per tier and level: spend, unspent and why, KPIs with 95% CIs, marginal ROI, reasons."""
    rows = []
    static = out.static.set_index(["point", "tier"])
    reach = out.values("reach")
    adopters = out.values("incremental_adopters")
    profit = out.values("incremental_profit")
    spend = out.values("spend")
    tier_impr = out.tiers.groupby(["point", "tier"])["impressions"].mean()
    for tier, sub in index.groupby("tier", sort=False):
        points = sub["point"].to_numpy()
        st = static.loc[[(p, tier) for p in points]]
        spent = st["spent"].to_numpy()
        total_spent = spend.loc[points].mean(axis=1).to_numpy()
        a = adopters.loc[points].to_numpy()
        p = profit.loc[points].to_numpy()
        u = reach.loc[points].to_numpy()
        impressions = np.array([tier_impr.get((q, tier), 0.0) for q in points])
        m_roi, m_low, m_high = marginal_roi(p, spent)
        a_mean, a_low, a_high = mean_ci(a, axis=1)
        p_mean, p_low, p_high = mean_ci(p, axis=1)
        u_mean, u_low, u_high = mean_ci(u, axis=1, floor=0.0)
        d_s, d_i = np.diff(spent), np.diff(impressions)
        d_u, d_a = np.diff(u_mean), np.diff(a_mean)
        with np.errstate(divide="ignore", invalid="ignore"):
            factors = {
                "weaker candidates": d_i / d_s,
                "audience overlap": d_u / d_i,
                "wear-out or already won": d_a / d_u,
            }
            per_usd = d_a / d_s
        buying = np.flatnonzero(d_s > 0.005)  # the tier's first step that buys anything is the yardstick
        k0 = int(buying[0]) if buying.size else -1
        first = {k: v[k0] if k0 >= 0 else math.nan for k, v in factors.items()}
        first_per_usd = per_usd[k0] if k0 >= 0 else math.nan
        saturated_at = math.nan
        saturation_reason = ""
        for j in range(len(points)):
            allocated = float(sub["allocated"].iloc[j])
            why_unspent = unspent_reason(
                allocated,
                spent[j],
                int(st["hired"].iloc[j]),
                int(st["candidates"].iloc[j]),
                st["cheapest_unhired"].iloc[j],
            )
            reason = ""
            if j > 0:
                if d_s[j - 1] <= 0.005:
                    reason = f"no extra spend: {why_unspent}" if why_unspent else "no extra spend"
                elif j - 1 > k0:
                    ratios = {k: factors[k][j - 1] / first[k] if first[k] > 0 else math.nan for k in factors}
                    reason = _step_reason(ratios)
                if d_s[j - 1] <= 0.005 and spent[j - 1] <= 0.005:
                    reason = "below the cheapest contract: nothing spent yet"
                elif math.isnan(saturated_at) and (
                    d_s[j - 1] <= 0.005 or (first_per_usd > 0 and per_usd[j - 1] < SATURATED * first_per_usd)
                ):
                    saturated_at = float(spent[j - 1])
                    saturation_reason = reason or "returns fell below a quarter of the first step's"
            rows.append(
                {
                    "tier": tier,
                    "level": j,
                    "allocated": allocated,
                    "spent": float(spent[j]),
                    "unspent": max(0.0, allocated - float(spent[j])),
                    "unspent_reason": why_unspent,
                    "hired": int(st["hired"].iloc[j]),
                    "candidates": int(st["candidates"].iloc[j]),
                    "campaign_spend": float(total_spent[j]),
                    "incremental_adopters": a_mean[j],
                    "incremental_adopters_low": a_low[j],
                    "incremental_adopters_high": a_high[j],
                    "incremental_profit": p_mean[j],
                    "incremental_profit_low": p_low[j],
                    "incremental_profit_high": p_high[j],
                    "reach": u_mean[j],
                    "reach_low": u_low[j],
                    "reach_high": u_high[j],
                    "tier_impressions": float(impressions[j]),
                    "marginal_roi": m_roi[j],
                    "marginal_roi_low": m_low[j],
                    "marginal_roi_high": m_high[j],
                    "step_reason": reason,
                    "point": int(points[j]),
                }
            )
        for row in rows[-len(points) :]:
            row["saturates_at"] = saturated_at
            row["saturation_reason"] = saturation_reason
    return pd.DataFrame(rows)
