"""Worlds from an explicit table of creators: defaults, exact rosters, shared audiences, errors."""

import numpy as np
import pandas as pd
import pytest

from sim import InfluenceModel
from sim.core.errors import InputError
from sim.core.market import creators_marketplace
from sim.core.scenario import scenario_from_dict
from sim.core.world import World
from sim.reporting.metrics import tier_rows

from .conftest import small


@pytest.fixture(scope="module")
def scenario():
    return scenario_from_dict(
        small(
            market={"population": 20_000, "consumers": 2_000, "days": 20},
            word_of_mouth={"q": 0.0},
            consumers={"baseline_p": 0.0},
            influence={"conversion": 0.3},
        )
    )


def creators(**columns) -> pd.DataFrame:
    base = {
        "handle": ["@ann", "@bob", "@cy", "@dee"],
        "tier": ["micro", "micro", "micro", "macro"],
        "followers": [40_000, 40_000, 40_000, 600_000],
        "fee_per_post": [300.0, 310.0, 320.0, 5_000.0],
    }
    return pd.DataFrame({**base, **columns})


def test_missing_figures_take_the_tier_defaults_and_given_ones_are_kept(scenario):
    tiers = {n: t.model_dump() for n, t in scenario.tiers.table.items()}
    frame = creators(trust=[0.9, None, None, None], posts=[3, None, None, None], niche=[2, None, None, 1])
    c = creators_marketplace(frame, tiers, niches=4, rng=np.random.default_rng(0))
    micro = scenario.tiers.table["micro"]
    assert c.trust.tolist()[:2] == [0.9, micro.trust]
    assert c.reach_rate[1] == micro.reach_rate and c.engagement_rate[1] == micro.engagement_rate
    assert c.cost_per_post.tolist() == [300.0, 310.0, 320.0, 5_000.0]
    assert c.posts.tolist() == [3, 0, 0, 0] and c.niche[0] == 2 and c.niche[3] == 1
    assert c.handle.tolist() == ["@ann", "@bob", "@cy", "@dee"]
    again = creators_marketplace(c.frame(), tiers, niches=4, rng=np.random.default_rng(1))  # round trip
    for field in (
        "handle",
        "tier",
        "followers",
        "trust",
        "reach_rate",
        "cost_per_post",
        "niche",
        "posts",
        "audience_group",
    ):
        assert np.array_equal(getattr(again, field), getattr(c, field)), field


def test_exact_roster_is_hired_at_its_fees_and_the_frame_carries_handles(scenario):
    world = World.build(scenario, creators=creators(posts=[2, None, None, None]), roster=["@dee", "@ann"])
    assert world.candidates.handle[world.roster.candidate].tolist() == ["@dee", "@ann"]
    assert world.roster.cost.tolist() == [5_000.0, 600.0]  # one contract post, and @ann's own 2 posts
    frame = InfluenceModel(scenario, world=world).run().influencer_frame()
    assert frame["handle"].tolist() == ["@dee", "@ann"]
    assert frame["spend"].sum() == pytest.approx(5_600.0)


def test_rosters_of_one_creators_world_share_audiences(scenario):
    world = World.build(scenario, creators=creators())
    one, two = world.with_roster(["@ann"]), world.with_roster(["@bob", "@ann"])
    assert np.array_equal(one.audiences[0], two.audiences[1])  # @ann reaches the same people either way
    assert one.graph is world.graph


def overlap(a: np.ndarray, b: np.ndarray) -> float:
    return np.intersect1d(a, b).size / np.union1d(a, b).size


def test_an_audience_group_shares_one_pool(scenario):
    frame = creators(audience_group=["fans", "fans", None, None], niche=[0, 0, 1, 2])
    ann, bob, cy = World.build(scenario, creators=frame).pool[:3]
    assert overlap(ann, bob) > 0.9 and overlap(ann, cy) < 0.2  # other niche, drawn apart


def test_two_creators_with_one_audience_are_worth_less_than_two_with_different_ones(scenario):
    """Same sizes and fees; the pair sharing an audience reaches fewer people and sells less."""
    frame = creators(audience_group=["fans", "fans", None, None], reach_rate=[1.0, 1.0, 1.0, None], niche=[0, 0, 1, 2])
    world = World.build(scenario, creators=frame)
    shared, apart = world.with_roster(["@ann", "@bob"]), world.with_roster(["@ann", "@cy"])
    gains = []
    for r in range(6):
        sold = [InfluenceModel(scenario, world=w, replication=r).run().state.adopted.sum() for w in (shared, apart)]
        gains.append(sold[1] - sold[0])
    gains = np.array(gains, dtype=float)
    assert gains.mean() > 3 * gains.std(ddof=1) / np.sqrt(gains.size), gains


def test_tier_reach_counts_unique_people_and_reports_the_overlap(scenario):
    frame = creators(audience_group=["fans", "fans", None, None], reach_rate=[1.0, 1.0, 1.0, None])
    world = World.build(scenario, creators=frame, roster=["@ann", "@bob", "@cy"])
    records = InfluenceModel(scenario, world=world).run().records()
    union = np.unique(np.concatenate(world.audiences)).size * world.scale  # reach rate 1: everyone sees
    assert records.tier_reach["micro"] == union and records.tier_reach["macro"] == 0 and records.reach == union
    tiers = tier_rows(records, scenario.tier_allocation(), 0.0, 1.0).set_index("tier")
    summed = sum(a.size for a in world.audiences) * world.scale
    assert tiers.loc["micro", "reach"] == union
    assert tiers.loc["micro", "reach_overlap"] == pytest.approx(summed / union)
    assert tiers.loc["micro", "reach_overlap"] > 1.4  # @ann and @bob reach largely the same people


@pytest.mark.parametrize(
    ("frame", "key", "allowed"),
    [
        (creators().drop(columns="fee_per_post"), "fee_per_post", "needs columns"),
        (creators(tier=["micro", "micr", "micro", "macro"]), "tier", "did you mean 'micro'"),
        (creators(handle=["@a", "@a", "@b", "@c"]), "handle", "unique"),
        (creators(reach_rate=[1.5, None, None, None]), "reach_rate", "must be in (0, 1]"),
        (
            creators(engagement_rate=[0.5, None, None, None], reach_rate=[0.2, None, None, None]),
            "engagement_rate",
            "reach_rate",
        ),
        (creators(followrs=[1, 2, 3, 4]), "followrs", "did you mean 'followers'"),
        (creators(posts=[1.5, None, None, None]), "posts", "whole number"),
    ],
)
def test_bad_creator_tables_are_one_line_errors(scenario, frame, key, allowed):
    with pytest.raises(InputError) as err:
        World.build(scenario, creators=frame)
    assert err.value.key == key and allowed in err.value.allowed


def test_a_roster_over_budget_or_with_unknown_handles_is_refused(scenario):
    with pytest.raises(InputError, match="more than budget.total"):
        World.build(
            scenario.with_overrides({"budget.total": 1_000, "budget.split": {"micro": 1.0}}),
            creators=creators(),
            roster=["@dee"],
        )
    with pytest.raises(InputError, match="handle"):
        World.build(scenario, creators=creators(), roster=["@nobody"])
    with pytest.raises(ValueError, match="explicit creators table"):
        World.build(scenario).with_roster(["micro-0001"])
