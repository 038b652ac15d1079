"""Metrics read records only: every KPI formula against a hand-built record set, numbers worked
out by hand in the comments; and the unit identities a real run's records must satisfy."""

import math

import numpy as np
import pandas as pd
import pytest

from sim import InfluenceModel
from sim.core.engine import ConsumerState
from sim.core.records import INFLUENCER_COLUMNS, RunRecords, unique_reach
from sim.core.scenario import Scenario, scenario_from_dict
from sim.core.streams import Streams
from sim.reporting.intervals import ci95_halfwidth
from sim.reporting.metrics import nps, replication_kpis, summarize, tier_rows

from .conftest import small


def records(adopters: float, influencers: list[dict], tier_reach: dict, reach: float, nps=(), referral=0.0):
    state = ConsumerState.initial(len(nps) or 1, Scenario(), Streams.for_replication(0, 0))
    state.nps[: len(nps)] = nps
    frame = pd.DataFrame(
        [{c: row.get(c, 0) for c in INFLUENCER_COLUMNS} for row in influencers], columns=INFLUENCER_COLUMNS
    )
    reach_by_tier = pd.Series(tier_reach, dtype=float).rename_axis("tier")
    return RunRecords(pd.DataFrame(), frame, reach_by_tier, reach, adopters, referral, 10.0, state)


def influencer(tier, spend, impressions, engagements, reach, converted, attributed, posts):
    return {
        "tier": tier,
        "spend": spend,
        "impressions": impressions,
        "engagements": engagements,
        "reach": reach,
        "converted": converted,
        "attributed_sales": attributed,
        "posts": posts,
    }


# Two micro influencers and one macro; conversions and promo-code sales deliberately in different
# proportions (micro converts 90% of direct conversions but holds 40 of 60 attributed sales).
CAMPAIGN = records(
    1_500.0,
    [
        influencer("micro", 300.0, 5_000.0, 100.0, 800.0, 60.0, 10.0, 1),
        influencer("micro", 200.0, 3_000.0, 50.0, 600.0, 30.0, 30.0, 1),
        influencer("macro", 1_000.0, 20_000.0, 100.0, 2_000.0, 10.0, 20.0, 2),
    ],
    {"nano": 0.0, "micro": 1_000.0, "macro": 2_000.0},
    2_500.0,
    nps=(2, 2, 1, 0, -1),  # four adopters (two promoters, a passive, a detractor) and one non-adopter
    referral=500.0,
)
BASELINE = records(1_100.0, [], {"nano": 0.0, "micro": 0.0, "macro": 0.0}, 0.0)


def test_every_kpi_of_a_replication_by_hand():
    k = replication_kpis(CAMPAIGN, BASELINE, price=60.0, margin=25.0)
    expected = {
        "adopters": 1_500.0,
        "baseline_adopters": 1_100.0,
        "incremental_adopters": 400.0,  # 1500 - 1100: the counterfactual is subtracted
        "revenue": 90_000.0,  # 1500 x 60
        "incremental_revenue": 24_000.0,  # 400 x 60
        "spend": 2_000.0,  # fees 300 + 200 + 1000, plus 500 of referral rewards
        "incremental_profit": 8_000.0,  # 400 x 25 - 2000
        "roi": 4.0,  # 8000 / 2000
        "cpa": 5.0,  # 2000 / 400
        "attributed_sales": 60.0,  # 10 + 30 + 20
        "attributed_cpa": 2_000.0 / 60.0,
        "engagements": 250.0,
        "cpe": 8.0,  # 2000 / 250
        "impressions": 28_000.0,
        "cpm": 2_000.0 / 28.0,  # 1000 x 2000 / 28000
        "reach": 2_500.0,
        "reach_overlap": 1.36,  # (800 + 600 + 2000) / 2500
        "nps": 25.0,  # 100 x (2/4 - 1/4): the non-adopter is not asked
    }
    assert set(k) == set(expected)
    for key, value in expected.items():
        assert k[key] == pytest.approx(value, rel=1e-12), key


def test_ratios_without_a_positive_denominator_are_not_numbers():
    """No CPA for a campaign that added no one (or lost adopters), no ROI without spend."""
    loss = replication_kpis(CAMPAIGN, records(1_600.0, [], {}, 0.0), price=60.0, margin=25.0)
    assert loss["incremental_adopters"] == -100.0 and math.isnan(loss["cpa"])
    assert loss["roi"] == pytest.approx((-100 * 25.0 - 2_000.0) / 2_000.0)
    idle = records(1_100.0, [], {"micro": 0.0}, 0.0)
    k = replication_kpis(idle, BASELINE, price=60.0, margin=25.0)
    assert k["spend"] == 0 and all(math.isnan(k[x]) for x in ("roi", "cpa", "cpe", "cpm", "attributed_cpa"))


def test_nps_is_share_of_promoters_minus_share_of_detractors():
    assert nps(np.array([2, 2, 2, 1, 0, -1, -1])) == pytest.approx(100 * (3 / 5 - 1 / 5))
    assert nps(np.array([0, 0, 1])) == pytest.approx(-100 * 2 / 3)
    assert math.isnan(nps(np.array([-1, -1])))


def test_tier_rows_by_hand():
    rows = tier_rows(CAMPAIGN, {"nano": 0.0, "micro": 800.0, "macro": 1_200.0}, 400.0, 25.0).set_index("tier")
    assert rows.index.tolist() == ["nano", "micro", "macro"]
    micro, macro, nano = rows.loc["micro"], rows.loc["macro"], rows.loc["nano"]
    assert (micro["allocated"], macro["allocated"], nano["allocated"]) == (800.0, 1_200.0, 0.0)
    assert (micro["influencers"], macro["influencers"], nano["influencers"]) == (2, 1, 0)
    assert (micro["posts"], micro["spend"], micro["impressions"], micro["engagements"]) == (2, 500, 8_000, 150)
    assert (micro["converted"], micro["attributed_sales"]) == (90.0, 40.0)
    # incremental adopters follow direct conversions (90 of 100), not promo-code sales (40 of 60)
    assert micro["incremental_adopters"] == pytest.approx(360.0) and macro["incremental_adopters"] == pytest.approx(40)
    assert micro["roi"] == pytest.approx((360 * 25.0 - 500) / 500) and macro["roi"] == pytest.approx(0.0)
    assert micro["cpa"] == pytest.approx(500 / 360) and macro["cpa"] == pytest.approx(25.0)
    assert micro["cpe"] == pytest.approx(500 / 150) and macro["cpe"] == pytest.approx(10.0)
    assert micro["cpm"] == pytest.approx(62.5) and macro["cpm"] == pytest.approx(50.0)
    assert micro["reach"] == 1_000.0 and micro["reach_overlap"] == pytest.approx(1.4)  # (800 + 600) / 1000
    assert macro["reach_overlap"] == 1.0 and math.isnan(nano["reach_overlap"]) and math.isnan(nano["roi"])
    assert rows["incremental_adopters"].sum() == pytest.approx(400.0)  # allocation keeps the total


def test_no_direct_conversion_allocates_nothing():
    quiet = records(1_000.0, [influencer("micro", 300.0, 5_000.0, 100.0, 800.0, 0.0, 5.0, 1)], {"micro": 800.0}, 800.0)
    rows = tier_rows(quiet, {"micro": 300.0}, 50.0, 25.0)
    assert rows["incremental_adopters"].tolist() == [0.0] and math.isnan(rows["cpa"].iloc[0])


def test_summary_mean_interval_and_range_by_hand():
    s = summarize(pd.Series([1.0, 2.0, 6.0, np.nan]))
    t = 4.302652729911275  # Student t, 97.5% quantile, 2 degrees of freedom
    half = t * math.sqrt(7.0) / math.sqrt(3.0)  # sample sd of (1, 2, 6) is sqrt(7)
    assert s["n"] == 3 and s["mean"] == pytest.approx(3.0)  # a missing value is left out and n says so
    assert s["ci95_low"] == pytest.approx(3.0 - half) and s["ci95_high"] == pytest.approx(3.0 + half)
    assert s["p2_5"] == pytest.approx(1.05) and s["p97_5"] == pytest.approx(5.8)  # linear interpolation
    assert ci95_halfwidth(2.0, 100) == pytest.approx(1.9842169515086827 * 0.2)
    one = summarize(pd.Series([4.0]))
    assert one["mean"] == 4.0 and math.isnan(one["ci95_low"]) and one["n"] == 1
    assert summarize(pd.Series([], dtype=float))["n"] == 0


def test_unique_reach_counts_each_person_once_per_group_and_overall():
    audiences = [np.array([0, 1, 2, 3]), np.array([2, 3, 4]), np.array([3, 7])]
    seen = [np.array([True, True, False, True]), np.array([True, True, True]), np.array([True, False])]
    per_group, overall = unique_reach(audiences, seen, np.array([0, 0, 1]), 3, 10)
    # group 0 saw {0, 1, 3} and {2, 3, 4}: five people; group 1 saw {3}; group 2 none; all: {0..4}
    assert per_group.tolist() == [5, 1, 0] and overall == 5


MIXED = small(
    market={"population": 30_000, "consumers": 300, "days": 30},
    referral={"enabled": True, "budget": 2_000, "reward": 5},
    tiers={"micro": {"backlash_prob": 0.0}, "macro": {"backlash_prob": 0.0}},
    word_of_mouth={"q": 60.0},
    consumers={"baseline_p": 1.0},
    influence={"conversion": 0.1},
)


def test_a_runs_records_are_in_real_people_and_add_up():
    """Every count is simulated consumers x scale, and the frames agree with each other."""
    model = InfluenceModel(scenario_from_dict(MIXED)).run()
    rec, s, scale = model.records(), model.state, model.scale
    assert scale == 100.0 and rec.scale == scale
    assert rec.adopters == s.adopted.sum() * scale == rec.daily["cumulative_adopters"].iloc[-1]
    names = model.source_names
    by_source = np.bincount(s.source[s.adopted], minlength=len(names)) * scale
    for j, name in enumerate(names):
        assert rec.daily[f"new_{name}"].sum() == by_source[j], name
    infl = rec.influencers
    tier_sales = sum(rec.daily[f"new_{t}"].sum() for t in model.world.candidates.tier_names)
    assert infl["converted"].sum() == tier_sales > 0  # every sponsored adoption credited to one post
    assert infl["reach"].sum() >= rec.tier_reach.sum() >= rec.reach >= rec.tier_reach.max() > 0
    assert rec.reach == (s.exposures > 0).sum() * scale  # viewers of a positive post (no backlash here)
    assert (infl["spend"] == infl["cost_per_post"] * infl["posts"]).all() and infl["posts"].sum() > 0
    assert rec.daily["spend"].sum() == pytest.approx(infl["spend"].sum() + rec.referral_spend)
    assert rec.daily["impressions"].sum() == pytest.approx(infl["impressions"].sum())
    assert rec.daily["engagements"].sum() == pytest.approx(infl["engagements"].sum())
