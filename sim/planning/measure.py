"""Simulated splits kept side by side, so any two measured on the same seeds can be compared.

A ``Ledger`` holds, for every split simulated on the search seeds, its KPIs per replication and
what the hiring did with its money. Paired differences (same replications) give the intervals
the plan reports; every interval is a Student-t 95% interval of a mean over replications and
covers simulation noise only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from sim.planning.evaluate import KPIS, Outcome
from sim.reporting.intervals import mean_ci


@dataclass
class Measured:
    """One split on one set of replications: KPI per replication, per tier what was spent."""

    stage: str
    label: str
    split: dict[str, float]
    kpis: pd.DataFrame  # index: replication, columns: KPIS
    static: pd.DataFrame  # index: tier; sim.core.budget.spend_report's columns

    def mean(self, metric: str) -> float:
        return float(self.kpis[metric].mean())

    def interval(self, metric: str, floor: float | None = None) -> tuple[float, float, float]:
        m, lo, hi = mean_ci(self.kpis[metric].to_numpy(), floor=floor)
        return float(m), float(lo), float(hi)

    @property
    def spent(self) -> float:
        return float(self.static["spent"].sum())

    @property
    def allocated(self) -> float:
        return float(sum(self.split.values()))


def measured(out: Outcome, stage: str, labels: list[str], splits: list[dict[str, float]]) -> list[Measured]:
    """Split an ``Outcome`` into one ``Measured`` per point."""
    found = []
    for point, (label, split) in enumerate(zip(labels, splits, strict=True)):
        k = out.kpis[out.kpis["point"] == point].set_index("replication")[KPIS]
        s = out.static[out.static["point"] == point].set_index("tier")
        found.append(Measured(stage, label, dict(split), k, s))
    return found


def paired(a: Measured, b: Measured, metric: str) -> tuple[float, float, float]:
    """Mean and 95% CI of ``a - b`` over the replications both were run on."""
    d = (a.kpis[metric] - b.kpis[metric]).dropna()
    if d.empty:
        return math.nan, math.nan, math.nan
    m, lo, hi = mean_ci(d.to_numpy())
    return float(m), float(lo), float(hi)


def marginal(a: Measured, b: Measured) -> tuple[float, float, float]:
    """Marginal ROI from ``b`` to ``a``: extra incremental profit per extra USD spent, per
    replication (spend is the same in every replication of a split)."""
    d_spend = a.spent - b.spent
    if abs(d_spend) < 0.005:
        return math.nan, math.nan, math.nan
    d = (a.kpis["incremental_profit"] - b.kpis["incremental_profit"]) / d_spend
    m, lo, hi = mean_ci(d.to_numpy())
    return float(m), float(lo), float(hi)


@dataclass
class Ledger:
    """Every split simulated on the search seeds, in the order they were run."""

    entries: list[Measured] = field(default_factory=list)

    def add(self, items: list[Measured]) -> list[Measured]:
        self.entries.extend(items)
        return items

    def best(self, metric: str, feasible) -> Measured:
        """The entry with the highest mean ``metric`` among those ``feasible(split)`` accepts."""
        ok = [e for e in self.entries if feasible(e.split)]
        return max(ok, key=lambda e: e.mean(metric))

    def table(self, reference: Measured, metric: str, tiers: list[str]) -> pd.DataFrame:
        """One row per simulated split: stage, allocation per tier, spend, metric and its paired
        difference to ``reference`` with 95% CI."""
        rows = []
        for e in self.entries:
            m, lo, hi = e.interval(metric)
            d, d_lo, d_hi = paired(e, reference, metric)
            rows.append(
                {
                    "stage": e.stage,
                    "label": e.label,
                    **{f"allocated_{t}": e.split.get(t, 0.0) for t in tiers},
                    "allocated": e.allocated,
                    "spent": e.spent,
                    metric: m,
                    f"{metric}_low": lo,
                    f"{metric}_high": hi,
                    "difference_to_current": d,
                    "difference_low": d_lo,
                    "difference_high": d_hi,
                    "replications": len(e.kpis),
                }
            )
        return pd.DataFrame(rows)
