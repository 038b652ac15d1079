"""The plan's tables from measured splits: per tier (allocation) and per option (spend
nothing, current, recommended, best single tier), every figure with its paired 95% interval."""

from __future__ import annotations

import math

import pandas as pd

from sim.core.budget import unspent_reason
from sim.planning.measure import Measured, marginal, paired


def interval_columns(m: Measured, metric: str) -> dict[str, float]:
    mean, lo, hi = m.interval(metric, floor=0.0 if metric == "reach" else None)
    return {metric: mean, f"{metric}_low": lo, f"{metric}_high": hi}


def allocation_table(sc, spec, cons, current_m, rec_m, curves, probes) -> pd.DataFrame:
    """Per tier: current and recommended money, bounds, spend, marginal ROI, contribution."""
    rows = []
    metric = spec.metric
    by_label = {m.label: m for m in probes}
    for t in sc.tiers.names:
        cur, rec = current_m.split.get(t, 0.0), rec_m.split.get(t, 0.0)
        row = {
            "tier": t,
            "current": cur,
            "current_share": cur / current_m.allocated if current_m.allocated else 0.0,
            "current_spent": float(current_m.static.loc[t, "spent"]),
            "recommended": rec,
            "recommended_share": rec / rec_m.allocated if rec_m.allocated else 0.0,
            "recommended_spent": float(rec_m.static.loc[t, "spent"]),
            "recommended_unspent": max(0.0, rec - float(rec_m.static.loc[t, "spent"])),
            "unspent_reason": unspent_reason(
                rec,
                float(rec_m.static.loc[t, "spent"]),
                int(rec_m.static.loc[t, "hired"]),
                int(rec_m.static.loc[t, "candidates"]),
                float(rec_m.static.loc[t, "cheapest_unhired"]),
            ),
            "hired": int(rec_m.static.loc[t, "hired"]),
            "candidates": int(rec_m.static.loc[t, "candidates"]),
            "min": cons.lo[t],
            "max": cons.hi[t],
            "fixed": t in cons.fixed,
        }
        up, down = by_label.get(f"up {t}"), by_label.get(f"down {t}")
        roi = marginal(up, rec_m) if up is not None else (math.nan,) * 3  # the next step's return
        last = marginal(rec_m, down) if down is not None else (math.nan,) * 3  # the last step's
        row.update(marginal_roi=roi[0], marginal_roi_low=roi[1], marginal_roi_high=roi[2])
        row.update(last_step_roi=last[0], last_step_roi_low=last[1], last_step_roi_high=last[2])
        without = by_label.get(f"without {t}")
        for m in dict.fromkeys(["incremental_adopters", "incremental_profit", metric]):
            d = paired(rec_m, without, m) if without is not None else (0.0, 0.0, 0.0)
            row.update({f"{m}_contribution": d[0], f"{m}_contribution_low": d[1], f"{m}_contribution_high": d[2]})
        sub = curves[curves["tier"] == t]
        zero = sub[sub["allocated"] == 0]
        if cur > 0 and not zero.empty:
            at = sub[sub["point"] == 0]
            row["current_profit_contribution"] = float(
                at["incremental_profit"].iloc[0] - zero["incremental_profit"].iloc[0]
            )
        rows.append(row)
    return pd.DataFrame(rows)


def options_table(items: dict[str, Measured], current: Measured, metric: str) -> pd.DataFrame:
    """Spend nothing, current, recommended and the best single tier on the fresh seeds."""
    rows = [
        {
            "option": "spend nothing",
            "allocated": 0.0,
            "spent": 0.0,
            "unspent": 0.0,
            **{
                f"{k}{end}": 0.0
                for k in ("incremental_adopters", "incremental_profit", "reach")
                for end in ("", "_low", "_high")
            },
            "note": "no campaign: the campaign world is the no-campaign world, so every difference is 0",
        }
    ]
    for name, m in items.items():
        row = {"option": name, "allocated": m.allocated, "spent": m.spent, "unspent": m.allocated - m.spent}
        for k in dict.fromkeys(["incremental_adopters", "incremental_profit", "reach", metric]):
            row.update(interval_columns(m, k))
        roi = m.kpis["incremental_profit"] / m.spent if m.spent > 0 else pd.Series([math.nan])
        row["roi"] = float(roi.mean())
        d = paired(m, current, metric)
        row.update(difference_to_current=d[0], difference_low=d[1], difference_high=d[2])
        row["replications"] = len(m.kpis)
        rows.append(row)
    cur_metric = current.interval(metric)
    rows[0].update(difference_to_current=-cur_metric[0], difference_low=-cur_metric[2], difference_high=-cur_metric[1])
    return pd.DataFrame(rows)
