"""Exact boundaries: the promo-code attribution window, the referral budget, the horizon.

Each test reads a finished run's records (real-people units) and recounts the quantity by hand
from the consumers' final state, so an off-by-one in the model shows as a mismatch.
"""

from __future__ import annotations

import dataclasses

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from sim import InfluenceModel
from sim.core.network import from_networkx
from sim.core.scenario import scenario_from_dict
from sim.core.world import World

from .conftest import small

POST_DAY = 3


def one_post_world(window: int):
    """One creator posting once, on day ``POST_DAY``, seen by every follower; steady baseline
    adoption among them, so there are sales on every day around the window's edge."""
    sc = scenario_from_dict(
        small(
            market={"population": 20_000, "consumers": 2_000, "days": 20},
            consumers={"baseline_p": 12.0, "susceptibility_sigma": 0.0},
            word_of_mouth={"q": 0.0},
            influence={"conversion": 0.02, "attribution_window": window},
            contracts={"start_day": POST_DAY, "interval_days": 100},
            budget={"total": 1_000, "split": {"micro": 1.0}},
            tiers={"micro": {"backlash_prob": 0.0}},
        )
    )
    creators = pd.DataFrame(
        {"handle": ["@one"], "tier": ["micro"], "followers": [40_000], "fee_per_post": [500.0], "reach_rate": [1.0]}
    )
    return sc, World.build(sc, creators=creators, roster=["@one"])


@pytest.mark.parametrize("window", [1, 4])
def test_a_touch_counts_for_window_days_starting_on_the_day_of_the_view(window):
    """``influence.attribution_window`` = w: a view on day t credits sales on days t .. t+w-1
    (w days, the day of the view included); a sale on day t+w is not credited."""
    sc, world = one_post_world(window)
    model = InfluenceModel(sc, world=world).run()
    s, scale = model.state, model.scale
    viewer = s.last_touch >= 0
    assert np.array_equal(np.flatnonzero(viewer), np.flatnonzero(s.exposures > 0))
    assert (s.last_touch_day[viewer] == POST_DAY).all()
    day = np.where(s.adopted & viewer, s.adopt_day, -1)
    inside, edge = (day >= POST_DAY) & (day <= POST_DAY + window - 1), day == POST_DAY + window
    assert inside.sum() > 0 and edge.sum() > 0  # sales on both sides of the edge: the test can fail
    attributed = model.influencer_frame()["attributed_sales"].iloc[0]
    assert attributed == inside.sum() * scale
    assert model.records().influencers["attributed_sales"].sum() == attributed


REFERRAL = small(
    market={"population": 20_000, "consumers": 400, "days": 40},
    referral={"enabled": True, "budget": 5_250, "reward": 10, "code_share": 1.0},  # 10.5 simulated rewards
    budget={"total": 40_000, "split": {"micro": 5_000, "macro": 10_000}, "split_unit": "usd"},  # fees fixed
    word_of_mouth={"q": 40.0},
    consumers={"baseline_p": 2.0, "satisfaction": 0.95},
    influence={"conversion": 0.1},
)


def test_referral_rewards_stop_exactly_when_the_next_would_exceed_the_budget():
    """Every referred sale is paid ``reward`` (a simulated one stands for ``scale`` real ones), the
    budget is never exceeded, and the programme closes only when one more reward would not fit."""
    sc = scenario_from_dict(REFERRAL)
    rich = InfluenceModel(sc.with_overrides({"referral.budget": 20_000})).run().records()
    model = InfluenceModel(sc).run()
    rec = model.records()
    reward, budget = sc.referral.reward, sc.referral.budget
    referred = rec.daily["new_referral"].to_numpy()  # real people, per day
    assert rec.referral_spend == pytest.approx(reward * referred.sum())
    assert rec.referral_spend <= budget
    assert budget - rec.referral_spend < reward * model.scale  # one more simulated referral would not fit
    # the programme closed on a day with more referred sales than it could still pay for
    last = np.flatnonzero(referred)[-1]
    wanted = rich.daily["new_referral"].to_numpy()
    assert np.array_equal(wanted[:last], referred[:last]) and wanted[last] > referred[last] > 0
    spend = rec.daily["spend"].sum()
    assert spend == pytest.approx(rec.influencers["spend"].sum() + rec.referral_spend)


def test_the_counterfactual_has_no_referral_programme():
    """Without the campaign, a scenario with a referral programme is the same market as one without."""
    sc = scenario_from_dict(REFERRAL)
    with_programme = InfluenceModel(sc, campaign=False).run()
    without = InfluenceModel(sc.with_overrides({"referral.enabled": False}), campaign=False).run()
    assert np.array_equal(with_programme.state.adopt_day, without.state.adopt_day)
    assert not with_programme.state.has_code.any()
    rec = with_programme.records()
    assert rec.referral_spend == 0 and rec.daily["new_referral"].sum() == 0 and len(rec.influencers) == 0


def test_a_run_simulates_exactly_its_days():
    sc = scenario_from_dict(small(market={"population": 20_000, "consumers": 400, "days": 9}))
    model = InfluenceModel(sc).run()
    assert model.steps == 9 and model.daily_frame()["day"].tolist() == list(range(1, 10))
    assert model.state.adopt_day.max() <= 9


@pytest.mark.parametrize("active_days", [1, 3])
def test_an_adopter_talks_from_the_next_day_for_active_days(active_days):
    """A star: the hub adopted on day 0; each leaf can only hear the hub, so leaves adopt on days
    1 .. active_days (each day a chance tie_prob) and never after."""
    sc = scenario_from_dict(
        small(
            budget={"total": 0, "split": {}},
            consumers={"baseline_p": 0.0, "susceptibility_sigma": 0.0, "satisfaction": 1.0},  # the hub talks
            word_of_mouth={"mode": "cascade", "tie_prob": 0.5, "active_days": active_days, "negative_ratio": 0.0},
        )
    )
    star = from_networkx(nx.star_graph(300), 1, np.random.default_rng(0))
    world = dataclasses.replace(World.build(sc), graph=star)
    s = InfluenceModel(sc, world=world, campaign=False, initial_adopters=[0]).run().state
    days = np.bincount(s.adopt_day[1:][s.adopted[1:]], minlength=sc.market.days + 1)
    assert days[0] == 0 and (days[1 : active_days + 1] > 0).all() and days[active_days + 1 :].sum() == 0
