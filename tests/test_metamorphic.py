"""Metamorphic tests: change one input in a known direction and check the outputs move the right way.

Runs are paired on common random numbers (same seed and replication: same graph, roster,
audiences, consumers and daily draws). When nothing can lower a consumer's hazard as others
adopt (no negative word of mouth, no backlash, no referral budget to run out, adopters talk for
ever), raising a chance can only add adopters: the coupled runs are *nested*, consumer by
consumer, so the comparison is exact and needs no tolerance. Where negative word of mouth makes
the coupling non-monotone, the comparison is over paired replications with a tolerance of three
paired standard errors.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim import InfluenceModel, run
from sim.core.scenario import scenario_from_dict
from sim.core.world import World

from .conftest import small

QUIET = {"backlash_prob": 0.0}
# Every chance only adds: no negative talk, no backlash, no referral programme, talk for ever.
MONOTONE = small(
    market={"population": 20_000, "consumers": 400, "days": 25},
    tiers={"micro": QUIET, "macro": QUIET},
    word_of_mouth={"q": 20.0, "negative_ratio": 0.0},
    consumers={"baseline_p": 1.0},
    influence={"conversion": 0.1},
    contracts={"posts": 3, "interval_days": 4},
    budget={"total": 30_000},  # 15,000 USD per tier: a whole 3-post macro contract
)
# Detractors talk: many of them (satisfaction 0.5), loud (3:1), and enough adopters to hear.
GRUMPY = small(
    market={"population": 20_000, "consumers": 400, "days": 40},
    word_of_mouth={"q": 30.0, "negative_ratio": 3.0},
    consumers={"satisfaction": 0.5, "baseline_p": 3.0},
    budget={"total": 0, "split": {}},
)


def scenario(base: dict = MONOTONE, **overrides):
    """``base`` with dotted-key overrides (``{"influence.conversion": 0.1}``)."""
    sc = scenario_from_dict(base)
    return sc.with_overrides(overrides) if overrides else sc


def adopted(sc, replication: int = 0, world: World | None = None) -> np.ndarray:
    return InfluenceModel(sc, replication=replication, world=world).run().state.adopted.copy()


def assert_nested(fewer: np.ndarray, more: np.ndarray, margin: int = 1) -> None:
    """Every adopter of the ``fewer`` run adopts in the ``more`` run, which has at least ``margin`` more."""
    lost = np.flatnonzero(fewer & ~more)
    assert lost.size == 0, f"consumers {lost[:10].tolist()} adopt only with the smaller chance"
    assert more.sum() >= fewer.sum() + margin, (int(fewer.sum()), int(more.sum()))


@pytest.mark.parametrize(
    ("key", "low", "high"),
    [
        ("influence.conversion", 0.02, 0.08),
        ("influence.engaged_boost", 1.0, 20.0),
        ("influence.wearout_decay", 0.2, 1.0),
        ("influence.off_niche_relevance", 0.0, 1.0),
        ("consumers.baseline_p", 0.5, 3.0),
        ("word_of_mouth.q", 2.0, 20.0),
    ],
)
def test_a_larger_chance_adds_adopters_and_loses_none(key, low, high):
    for r in range(2):
        assert_nested(adopted(scenario(**{key: low}), r), adopted(scenario(**{key: high}), r))


def test_more_trust_adds_adopters_and_loses_none():
    """Trust scales each sponsored view's purchase chance (the marketplace is drawn the same way)."""
    low = scenario(**{"tiers.micro.trust": 0.2, "tiers.macro.trust": 0.2})
    high = scenario(**{"tiers.micro.trust": 0.9, "tiers.macro.trust": 0.9})
    assert np.array_equal(World.build(low).roster.candidate, World.build(high).roster.candidate)
    for r in range(2):
        assert_nested(adopted(low, r), adopted(high, r), margin=5)


def test_a_longer_attribution_window_attributes_at_least_as_many_sales():
    """The window is bookkeeping only: the same run, more of its sales credited, influencer by influencer."""
    counts, adopt_days = [], []
    for window in (1, 3, 10):
        model = InfluenceModel(scenario(**{"influence.attribution_window": window})).run()
        counts.append(model.influencer_frame()["attributed_sales"].to_numpy())
        adopt_days.append(model.state.adopt_day)
    assert all(np.array_equal(adopt_days[0], a) for a in adopt_days)  # the dynamics do not change
    assert np.all(counts[0] <= counts[1]) and np.all(counts[1] <= counts[2])
    assert counts[0].sum() < counts[1].sum() < counts[2].sum()


def test_relevance_outside_the_niche_is_irrelevant_when_every_follower_is_inside_it():
    """Audiences drawn entirely from the influencer's niche: off-niche relevance cannot matter;
    and with off-niche relevance 0 the campaign still sells (in-niche views keep relevance 1)."""
    focused = small(
        market={"population": 100_000, "consumers": 400, "days": 20},  # audiences smaller than a niche
        tiers={"micro": {"niche_focus": 1.0, **QUIET}},
        budget={"total": 8_000, "split": {"micro": 1.0}},
        influence={"conversion": 0.5},
        contracts={"posts": 3, "interval_days": 5},
    )
    world = World.build(scenario(focused))
    niche = world.graph.niche
    inside = all(
        np.all(niche[a] == world.candidates.niche[j])
        for a, j in zip(world.audiences, world.roster.candidate, strict=True)
    )
    assert inside and len(world.roster) > 2
    runs = [
        InfluenceModel(scenario(focused, **{"influence.off_niche_relevance": rel}), world=world).run()
        for rel in (0.0, 1.0)
    ]
    for field in ("adopted", "adopt_day", "source"):
        assert np.array_equal(getattr(runs[0].state, field), getattr(runs[1].state, field)), field
    assert runs[0].caused.sum() >= 20  # sponsored views did convert (about 40), at relevance 1


def test_backlash_with_a_larger_negative_impact_removes_adopters_and_adds_none():
    """Backlash hits every viewer of the post (a campaign draw, the same in both runs): the larger
    impact lowers their attitudes further, so the larger-impact run's adopters are a subset."""
    loud = small(
        market={"population": 20_000, "consumers": 400, "days": 25},
        tiers={"micro": {"backlash_prob": 0.5}, "macro": {"backlash_prob": 0.5}},
        word_of_mouth={"q": 8.0, "negative_ratio": 0.0},
        consumers={"baseline_p": 2.0},
        contracts={"posts": 3, "interval_days": 4},
        budget={"total": 30_000},  # each tier's half buys a whole 3-post contract
    )
    for r in range(2):
        mild = InfluenceModel(scenario(loud, **{"word_of_mouth.negative_impact": 0.1}), replication=r).run()
        harsh = InfluenceModel(scenario(loud, **{"word_of_mouth.negative_impact": 0.9}), replication=r).run()
        assert sum(i.backlashes for i in harsh.influencers) > 0
        assert_nested(harsh.state.adopted, mild.state.adopted, margin=3)


def test_a_backlash_lowers_the_influencers_trust_for_its_later_posts():
    """Each backlash multiplies the influencer's trust by (1 - backlash_trust_drop); a larger drop
    removes adopters (later posts convert less) and adds none."""
    risky = small(
        market={"population": 20_000, "consumers": 400, "days": 30},
        tiers={"micro": {"backlash_prob": 0.4}, "macro": {"backlash_prob": 0.4}},
        word_of_mouth={"q": 8.0, "negative_ratio": 0.0, "negative_impact": 0.0},
        influence={"conversion": 0.3},
        contracts={"posts": 5, "interval_days": 4},
        budget={"total": 50_000},  # each tier's half buys a whole 5-post contract
    )
    world = World.build(scenario(risky))
    runs = {}
    for drop in (0.0, 0.9):
        model = InfluenceModel(scenario(risky, **{"influence.backlash_trust_drop": drop}), world=world).run()
        frame = model.influencer_frame()
        hired = world.candidates.trust[world.roster.candidate]
        assert np.allclose(frame["trust"], hired * (1 - drop) ** frame["backlashes"])
        runs[drop] = model.state.adopted
    assert frame["backlashes"].sum() > 5
    assert_nested(runs[0.9], runs[0.0], margin=3)


def test_negative_word_of_mouth_only_lowers_attitudes():
    """Attitudes start at 1 and each hit multiplies them by (1 - impact): every final attitude is
    a power of 0.7, at most 1, and some are below 1."""
    attitude = InfluenceModel(scenario(GRUMPY, **{"word_of_mouth.negative_impact": 0.3})).run().state.attitude
    hits = np.log(attitude) / np.log(0.7)
    assert np.allclose(hits, np.round(hits)) and hits.min() >= 0
    assert (hits >= 1).sum() > 20


def test_a_larger_negative_impact_of_detractor_talk_does_not_add_adopters():
    """Detractors' talk: more adopters also mean more detractors, so runs are not nested; compare
    paired replications and allow three paired standard errors."""
    diffs = []
    for r in range(12):
        counts = [
            InfluenceModel(scenario(GRUMPY, **{"word_of_mouth.negative_impact": i}), replication=r)
            .run()
            .state.adopted.sum()
            for i in (0.0, 0.9)
        ]
        diffs.append(counts[1] - counts[0])
    d = np.array(diffs, dtype=float)
    se = d.std(ddof=1) / np.sqrt(d.size)
    assert d.mean() < -3 * se, (d.mean(), se)


def test_a_campaign_that_cannot_convert_adds_exactly_nothing():
    """Conversion 0, no backlash and no referral programme: the campaign and its counterfactual are
    the same run, draw for draw, so incremental adopters are exactly 0 in every replication."""
    sc = scenario(**{"influence.conversion": 0.0})
    res = run(sc, replications=3)
    assert res.kpis["spend"].min() > 0 and res.kpis["adopters"].min() > 0
    assert (res.kpis["incremental_adopters"] == 0).all()
    assert res.tiers["incremental_adopters"].abs().sum() == 0


def test_more_budget_never_spends_less_and_never_more_than_the_budget():
    spends = []
    micro_only = {**MONOTONE, "budget": {"total": 0, "split": {"micro": 1.0}}}
    for total in (0, 500, 2_000, 5_000, 10_000, 20_000):
        world = World.build(scenario(micro_only, **{"budget.total": total}))
        spend = float(world.roster.cost.sum())
        assert spend <= total
        spends.append(spend)
    assert spends == sorted(spends) and spends[0] == 0 and spends[-1] > spends[2] > 0


def test_a_shorter_run_is_the_start_of_a_longer_one():
    """Day d of a run does not depend on how many days follow: a 12-day run ends where day 12 of a
    20-day run is, and both simulate exactly the days asked for."""
    short = InfluenceModel(scenario(**{"market.days": 12})).run()
    long = InfluenceModel(scenario(**{"market.days": 20})).run()
    assert short.steps == 12 and long.steps == 20
    day12 = long.daily_frame().set_index("day").loc[12]
    assert short.state.adopted.sum() * short.scale == day12["cumulative_adopters"]
    assert short.records().adopters == day12["cumulative_adopters"]
    assert long.state.adopted.sum() > short.state.adopted.sum()  # days 13-20 did add adopters
