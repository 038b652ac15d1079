"""What a finished run leaves behind: tidy frames and the final consumer arrays.

``InfluenceModel.records()`` produces a ``RunRecords`` at the end of a run; metrics, tables and
reports read records only, never the live model, so data flows one way:
scenario -> world -> model -> records -> metrics.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.core.engine import ConsumerState

INFLUENCER_COLUMNS = [
    "influencer",
    "handle",
    "tier",
    "followers",
    "niche",
    "engagement_rate",
    "reach_rate",
    "trust",
    "cost_per_post",
    "posts_planned",
    "posts",
    "spend",
    "impressions",
    "engagements",
    "reach",
    "backlashes",
    "converted",
    "attributed_sales",
]


@dataclass(frozen=True)
class RunRecords:
    """One run's records, in real-people units (simulated counts x ``scale``).

    ``daily``: one row per day (the model's DataCollector). ``influencers``: one row per hired
    influencer (``INFLUENCER_COLUMNS``). ``tier_reach``: unique people reached by each tier's
    posts (every tier of the scenario, 0 where none was hired); ``reach``: unique people reached
    by any post. ``state``: the final consumer arrays (None in a cached no-campaign run's records).
    """

    daily: pd.DataFrame
    influencers: pd.DataFrame
    tier_reach: pd.Series
    reach: float
    adopters: float
    referral_spend: float
    scale: float
    state: ConsumerState | None


def unique_reach(audiences: list[np.ndarray], seen: list[np.ndarray], groups: np.ndarray, n_groups: int, n: int):
    """Per group (e.g. tier), how many distinct consumers saw at least one post of its members,
    and the same over all groups together."""
    by_group = np.zeros((n_groups, n), bool)
    for audience, saw, g in zip(audiences, seen, groups, strict=True):
        by_group[g, audience[saw]] = True
    return by_group.sum(axis=1), int(by_group.any(axis=0).sum())
