"""How much to spend: the best split at each total budget, simulated, and the chosen total.

Totals run from the fixed amounts to ``total_max`` in ``totals`` equal steps; at each, the
surrogate's best split (``optimise.solve``) is simulated on the search seeds. Without a target
the chosen total has the highest mean objective (where the marginal return falls to 0); with
``min_roi`` / ``max_cpa`` spending goes on while each step still meets the target. The step
around the chosen total is then halved ``ZOOM`` times, so the answer is not limited to the
coarse grid.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.core.errors import InputError
from sim.core.scenario import Scenario
from sim.planning import optimise as opt
from sim.planning.measure import Measured, marginal, measured
from sim.planning.spec import PlanSpec, constraints, fees_of, plan_total
from sim.planning.tables import interval_columns

ZOOM = 2  # rounds of halving the frontier's step around the chosen total


def budget_frontier(ev, spec, sc, sur, grid, spend, ledger, source, search) -> tuple[pd.DataFrame, float]:
    """The best surrogate split at totals from 0 to ``total_max``, simulated; then the step
    around the chosen total is halved ``ZOOM`` times. Returns the table and the chosen fees."""
    fixed = sum(grid.fixed.values())
    fees_max = fees_of(sc, plan_total(spec, sc))
    found: dict[float, Measured] = {}

    def simulate(fees_list: list[float]) -> None:
        splits, kept = [], []
        for fees in fees_list:
            try:
                cons = constraints(spec, sc, fees, source)
            except InputError:
                continue  # minimums do not fit this total
            split = opt.solve(sur, cons, grid, spend, fees)
            if split is not None:
                splits.append(split)
                kept.append(fees)
        if splits:
            out = ev.evaluate(splits, search, desc="budget frontier")
            items = ledger.add(measured(out, "frontier", [f"total {f:,.0f}" for f in kept], splits))
            found.update(zip(kept, items, strict=True))

    simulate(opt.frontier_totals(fees_max, fixed, spec.totals, grid))
    for _ in range(ZOOM):
        table = frontier_table(found, spec, sc)
        c = choose_total(table, spec)
        fees = table["fees"].to_numpy()
        around = [fees[j] for j in (c - 1, c + 1) if 0 <= j < len(fees)]
        mids = {fixed + round((f + fees[c] - 2 * fixed) / 2 / grid.step) * grid.step for f in around}
        new = [f for f in sorted(mids) if all(abs(f - g) > 0.5 * grid.step for g in found)]
        if not new:
            break
        simulate(new)
    table = frontier_table(found, spec, sc)
    choice = choose_total(table, spec)
    table["chosen"] = np.arange(len(table)) == choice
    return table, float(table["fees"].iloc[choice])


def frontier_table(found: dict[float, Measured], spec: PlanSpec, sc: Scenario) -> pd.DataFrame:
    """One row per simulated total: split, spend, objective and profit with CIs, marginal ROI and
    marginal cost per adopter of the step from the total before."""
    rows, metric = [], spec.metric
    items = sorted(found.items())
    for i, (fees, m) in enumerate(items):
        prev = items[i - 1][1] if i else None
        roi = marginal(m, prev) if prev is not None else (math.nan,) * 3
        d_ad = m.mean("incremental_adopters") - prev.mean("incremental_adopters") if prev is not None else math.nan
        d_sp = m.spent - prev.spent if prev is not None else math.nan
        rows.append(
            {
                "total": fees + sc.referral.budget,
                "fees": fees,
                **{f"allocated_{t}": m.split.get(t, 0.0) for t in sc.tiers.names},
                "spent": m.spent,
                **interval_columns(m, metric),
                **({} if metric == "incremental_profit" else interval_columns(m, "incremental_profit")),
                "marginal_roi": roi[0],
                "marginal_roi_low": roi[1],
                "marginal_roi_high": roi[2],
                "marginal_cpa": d_sp / d_ad if prev is not None and d_ad > 0 else math.nan,
            }
        )
    return pd.DataFrame(rows)


def choose_total(table: pd.DataFrame, spec: PlanSpec) -> int:
    """With a target, spend while each step still meets it; without, the total with the best mean."""
    if spec.min_roi is None and spec.max_cpa is None:
        return int(np.nanargmax(table[spec.metric].to_numpy()))
    chosen = 0
    for i in range(1, len(table)):
        ok = (
            table["marginal_roi"].iloc[i] >= spec.min_roi
            if spec.min_roi is not None
            else table["marginal_cpa"].iloc[i] <= spec.max_cpa
        )
        if not ok:
            break
        chosen = i
    return chosen
