"""KPIs of one replication (campaign against its no-campaign counterfactual) and their
summaries across replications: estimate, 95% confidence interval, 95% range of outcomes.

Counts are summarised by their mean (interval clipped at their natural bounds); ratios of money
to an outcome (ROI, CPA, CPE, CPM) by the ratio of totals over all replications, so a
replication with no lift is never dropped (``sim.reporting.intervals``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.core import rules
from sim.core.records import RunRecords
from sim.reporting.intervals import (
    Interval,
    mean_interval,
    outcome_range,
    ratio_interval,
    ratio_outcomes,
)

KPI_UNITS = {
    "adopters": "people",
    "baseline_adopters": "people",
    "incremental_adopters": "people",
    "revenue": "USD",
    "incremental_revenue": "USD",
    "incremental_profit": "USD",
    "spend": "USD",
    "unspent": "USD",
    "roi": "ratio",
    "cpa": "USD per incremental adopter",
    "attributed_cpa": "USD per attributed sale",
    "cpe": "USD per engagement",
    "cpm": "USD per 1000 impressions",
    "reach": "people",
    "reach_overlap": "ratio (sum of each influencer's reach / unique reach)",
    "impressions": "views",
    "engagements": "engagements",
    "attributed_sales": "people",
    "nps": "points",
}

INF = math.inf
# Natural bounds of each KPI: an interval never reaches past them (counts are never negative).
KPI_BOUNDS = {
    "adopters": (0.0, INF),
    "baseline_adopters": (0.0, INF),
    "revenue": (0.0, INF),
    "spend": (0.0, INF),
    "unspent": (0.0, INF),
    "reach": (0.0, INF),
    "reach_overlap": (1.0, INF),
    "impressions": (0.0, INF),
    "engagements": (0.0, INF),
    "attributed_sales": (0.0, INF),
    "nps": (-100.0, 100.0),
}
# Ratio KPIs: (numerator, denominator, scale, the denominator in words), summarised as ratios of totals.
RATIOS = {
    "roi": ("incremental_profit", "spend", 1.0, "spend"),
    "cpa": ("spend", "incremental_adopters", 1.0, "incremental adopters"),
    "attributed_cpa": ("spend", "attributed_sales", 1.0, "attributed sales"),
    "cpe": ("spend", "engagements", 1.0, "engagements"),
    "cpm": ("spend", "impressions", 1000.0, "impressions"),
}


def _ratio(num: float, den: float) -> float:
    return num / den if den > 0 else math.nan


def nps(classes: np.ndarray) -> float:
    """Net Promoter Score of adopters: % promoters minus % detractors."""
    classes = classes[classes >= 0]
    if classes.size == 0:
        return math.nan
    return 100.0 * (np.mean(classes == rules.PROMOTER) - np.mean(classes == rules.DETRACTOR))


def replication_kpis(campaign: RunRecords, baseline: RunRecords, price: float, margin: float) -> dict[str, float]:
    """KPIs of one replication from the records of its campaign run and its no-campaign run."""
    adopters, base = campaign.adopters, baseline.adopters
    incremental = adopters - base
    infl = campaign.influencers
    spend = float(infl["spend"].sum()) + campaign.referral_spend
    impressions, engagements = float(infl["impressions"].sum()), float(infl["engagements"].sum())
    attributed = float(infl["attributed_sales"].sum())
    profit = incremental * margin - spend
    return {
        "adopters": adopters,
        "baseline_adopters": base,
        "incremental_adopters": incremental,
        "revenue": adopters * price,
        "incremental_revenue": incremental * price,
        "incremental_profit": profit,
        "spend": spend,
        "roi": _ratio(profit, spend),
        "cpa": _ratio(spend, incremental),
        "attributed_cpa": _ratio(spend, attributed),
        "cpe": _ratio(spend, engagements),
        "cpm": _ratio(1000 * spend, impressions),
        "reach": campaign.reach,
        "reach_overlap": _ratio(float(infl["reach"].sum()), campaign.reach),
        "impressions": impressions,
        "engagements": engagements,
        "attributed_sales": attributed,
        "nps": nps(campaign.state.nps),
    }


def tier_rows(
    campaign: RunRecords,
    allocation: dict[str, float],
    incremental: float,
    margin: float,
    money: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per-tier totals of one replication.

    ``reach`` counts distinct people reached by the tier's posts; ``reach_overlap`` is the sum
    of its influencers' own reach over that (1: no two audiences overlap). Incremental adopters
    are allocated to tiers in proportion to the adopters each tier's posts converted directly
    (one counterfactual cannot separate tiers any finer). ``money``: the world's
    ``sim.core.budget.spend_report``, whose unspent money, candidates and reasons are added.
    """
    names = list(campaign.tier_reach.index)
    infl = campaign.influencers
    tier = pd.Categorical(infl["tier"], categories=names).codes

    def per_tier(values) -> np.ndarray:
        return np.bincount(tier, weights=np.asarray(values, dtype=float), minlength=len(names))

    def ratio(num, den) -> np.ndarray:
        return np.divide(num, den, out=np.full(len(names), np.nan), where=den > 0)

    out = {"tier": names, "allocated": np.array([float(allocation.get(n, 0.0)) for n in names])}
    out["influencers"] = np.bincount(tier, minlength=len(names))
    for col in ("posts", "spend", "impressions", "engagements", "converted", "attributed_sales"):
        out[col] = per_tier(infl[col])
    reach = campaign.tier_reach.to_numpy(dtype=float)
    out["reach"] = reach
    out["reach_overlap"] = ratio(per_tier(infl["reach"]), reach)
    direct = out["converted"].sum()
    out["incremental_adopters"] = incremental * out["converted"] / direct if direct > 0 else np.zeros(len(names))
    spend = out["spend"]
    out["roi"] = ratio(out["incremental_adopters"] * margin - spend, spend)
    out["cpe"] = ratio(spend, out["engagements"])
    out["cpm"] = ratio(1000 * spend, out["impressions"])
    out["cpa"] = ratio(spend, out["incremental_adopters"])
    frame = pd.DataFrame(out)
    if money is not None:
        extra = money.set_index("tier")[["unspent", "candidates", "cheapest_unhired", "unspent_reason"]]
        frame = frame.join(extra, on="tier")
    return frame


def summarize(values: pd.Series, bounds: tuple[float, float] = (-INF, INF)) -> dict:
    """Mean, 95% CI of the mean (Student t, clipped at ``bounds``) and the 2.5-97.5% range."""
    return _as_summary(mean_interval(values.to_numpy(dtype=float), bounds), outcome_range(values))


def _as_summary(interval: Interval, spread: tuple[float, float]) -> dict:
    return {**interval.as_dict(), "p2_5": spread[0], "p97_5": spread[1]}


def kpi_interval(kpis: pd.DataFrame, key: str) -> Interval:
    """The 95% interval of one KPI over the replications in ``kpis`` (a ratio of totals for ratio KPIs)."""
    if key in RATIOS and {RATIOS[key][0], RATIOS[key][1]} <= set(kpis.columns):
        num, den, scale, what = RATIOS[key]
        return ratio_interval(kpis[num], kpis[den], scale, what=what)
    return mean_interval(kpis[key].to_numpy(dtype=float), KPI_BOUNDS.get(key, (-INF, INF)))


def kpi_summary(kpis: pd.DataFrame, key: str) -> dict:
    """Estimate, 95% CI and 95% range of outcomes of one KPI over the replications in ``kpis``."""
    if key in RATIOS and {RATIOS[key][0], RATIOS[key][1]} <= set(kpis.columns):
        num, den, scale, _ = RATIOS[key]
        spread = outcome_range(ratio_outcomes(kpis[num], kpis[den], scale))
    else:
        spread = outcome_range(kpis[key])
    return _as_summary(kpi_interval(kpis, key), spread)
