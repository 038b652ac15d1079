"""KPIs of one replication (campaign against its no-campaign counterfactual) and their
summaries across replications: mean, 95% confidence interval of the mean, 95% range."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.special import stdtrit

from sim.core import rules
from sim.core.records import RunRecords

KPI_UNITS = {
    "adopters": "people",
    "baseline_adopters": "people",
    "incremental_adopters": "people",
    "revenue": "USD",
    "incremental_revenue": "USD",
    "incremental_profit": "USD",
    "spend": "USD",
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


def tier_rows(campaign: RunRecords, allocation: dict[str, float], incremental: float, margin: float) -> pd.DataFrame:
    """Per-tier totals of one replication.

    ``reach`` counts distinct people reached by the tier's posts; ``reach_overlap`` is the sum
    of its influencers' own reach over that (1: no two audiences overlap). Incremental adopters
    are allocated to tiers in proportion to the adopters each tier's posts converted directly
    (one counterfactual cannot separate tiers any finer).
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
    return pd.DataFrame(out)


def ci95_halfwidth(sd, n):
    """Half-width of the Student-t 95% confidence interval of a mean (n >= 2)."""
    return stdtrit(np.maximum(np.asarray(n) - 1, 1), 0.975) * sd / np.sqrt(n)


def summarize(values: pd.Series) -> dict[str, float]:
    """Mean, 95% confidence interval of the mean (Student t) and the 2.5-97.5% range."""
    v = values.dropna().to_numpy(dtype=float)
    if v.size == 0:
        return {
            "mean": math.nan,
            "ci95_low": math.nan,
            "ci95_high": math.nan,
            "p2_5": math.nan,
            "p97_5": math.nan,
            "n": 0,
        }
    mean = float(v.mean())
    half = float(ci95_halfwidth(v.std(ddof=1), v.size)) if v.size > 1 else math.nan
    return {
        "mean": mean,
        "ci95_low": mean - half,
        "ci95_high": mean + half,
        "p2_5": float(np.percentile(v, 2.5)),
        "p97_5": float(np.percentile(v, 97.5)),
        "n": int(v.size),
    }
