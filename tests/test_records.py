"""Metrics read records only: KPIs and tier rows from hand-built records, exactly."""

import math

import numpy as np
import pandas as pd
import pytest

from sim.core.engine import ConsumerState
from sim.core.records import INFLUENCER_COLUMNS, RunRecords
from sim.reporting.metrics import replication_kpis, tier_rows


def records(adopters: float, influencers: list[dict], tier_reach: dict, reach: float, nps=(), referral=0.0):
    state = ConsumerState.initial(len(nps) or 1, 0.0, 0.8, np.random.default_rng(0))
    state.nps[: len(nps)] = nps
    frame = pd.DataFrame(
        [{c: row.get(c, 0) for c in INFLUENCER_COLUMNS} for row in influencers], columns=INFLUENCER_COLUMNS
    )
    reach_by_tier = pd.Series(tier_reach, dtype=float).rename_axis("tier")
    return RunRecords(pd.DataFrame(), frame, reach_by_tier, reach, adopters, referral, 10.0, state)


CAMPAIGN = records(
    1_500.0,
    [
        {
            "tier": "micro",
            "spend": 300.0,
            "impressions": 5_000.0,
            "engagements": 100.0,
            "reach": 800.0,
            "converted": 60.0,
            "attributed_sales": 30.0,
            "posts": 1,
        },
        {
            "tier": "micro",
            "spend": 200.0,
            "impressions": 3_000.0,
            "engagements": 50.0,
            "reach": 600.0,
            "converted": 20.0,
            "attributed_sales": 10.0,
            "posts": 1,
        },
        {
            "tier": "macro",
            "spend": 1_000.0,
            "impressions": 20_000.0,
            "engagements": 100.0,
            "reach": 2_000.0,
            "converted": 20.0,
            "attributed_sales": 10.0,
            "posts": 2,
        },
    ],
    {"nano": 0.0, "micro": 1_000.0, "macro": 2_000.0},
    2_500.0,
    nps=(2, 2, 1, 0),
    referral=500.0,
)
BASELINE = records(1_100.0, [], {"nano": 0.0, "micro": 0.0, "macro": 0.0}, 0.0)


def test_kpis_from_records():
    k = replication_kpis(CAMPAIGN, BASELINE, price=60.0, margin=25.0)
    spend = 1_500.0 + 500.0
    assert k["incremental_adopters"] == 400.0 and k["spend"] == spend
    assert k["roi"] == (400 * 25.0 - spend) / spend
    assert k["cpa"] == spend / 400 and k["attributed_cpa"] == spend / 50 and k["cpe"] == spend / 250
    assert k["cpm"] == 1000 * spend / 28_000
    assert k["reach"] == 2_500.0 and k["reach_overlap"] == pytest.approx(3_400.0 / 2_500.0)
    assert k["nps"] == pytest.approx(100 * (2 / 4 - 1 / 4))


def test_tier_rows_count_unique_reach_and_overlap():
    rows = tier_rows(CAMPAIGN, {"nano": 0.0, "micro": 800.0, "macro": 1_200.0}, 400.0, 25.0).set_index("tier")
    assert rows.index.tolist() == ["nano", "micro", "macro"]
    assert rows.loc["micro", "reach"] == 1_000.0 and rows.loc["micro", "reach_overlap"] == pytest.approx(1.4)
    assert rows.loc["macro", "reach_overlap"] == 1.0 and math.isnan(rows.loc["nano", "reach_overlap"])
    assert rows.loc["micro", "incremental_adopters"] == pytest.approx(400 * 80 / 100)  # by direct conversions
    assert rows.loc["macro", "roi"] == pytest.approx((80 * 25.0 - 1_000) / 1_000)
