"""The no-campaign world is shared: one run per (what it depends on, seed, replication), and the
shared run is the very run each variant would have simulated."""

import dataclasses

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from sim.core.model import InfluenceModel
from sim.core.network import from_networkx
from sim.core.scenario import scenario_from_dict
from sim.core.world import World
from sim.reporting.runner import BaselineCache, baseline_key, run_replication

from .conftest import small

BASE = small(
    market={"population": 20_000, "consumers": 400, "days": 25},
    referral={"enabled": True, "budget": 1_000, "reward": 5},
    word_of_mouth={"q": 30.0, "negative_ratio": 0.5},
    consumers={"baseline_p": 2.0},  # about 50 adopt without any campaign
)
# Campaign-only changes: the no-campaign world must not see any of them.
CAMPAIGN_ONLY = {
    "budget": {"total": 30_000, "split": {"micro": 1.0}},
    "hiring": {"policy": "random"},
    "contracts": {"posts": 1, "interval_days": 5},  # one post: 9,500 USD buys a whole macro contract
    "influence": {"conversion": 0.2, "off_niche_relevance": 0.9},
    "referral": {"budget": 3_000, "reward": 2, "talk_boost": 4.0},
    "tiers": {"micro": {"trust": 0.9, "backlash_prob": 0.3}},
    "marketplace": {"candidates": {"micro": 30, "macro": 3}},
    "market": {"price": 99.0, "unit_margin": 40.0},
}
# Changes the no-campaign world does depend on.
NO_CAMPAIGN = {
    "seed": 12,
    "word_of_mouth": {"q": 10.0},
    "consumers": {"susceptibility_sigma": 0.2},
    "market": {"days": 20},
    "network": {"mean_degree": 4},
}


def scenario(**sections):
    data = dict(BASE)
    for key, value in sections.items():
        data[key] = {**data.get(key, {}), **value} if isinstance(value, dict) else value
    return scenario_from_dict(data)


def fresh_baseline(sc, world, r=0):
    return InfluenceModel(sc, world=world, replication=r, campaign=False).run().records()


@pytest.mark.parametrize("section", sorted(CAMPAIGN_ONLY))
def test_campaign_only_changes_share_one_no_campaign_run_bit_for_bit(section):
    """A variant's cached no-campaign run is exactly what it would have simulated itself."""
    base, variant = scenario(), scenario(**{section: CAMPAIGN_ONLY[section]})
    world_a, world_b = World.build(base), World.build(variant)
    assert baseline_key(base, world_a, 1) == baseline_key(variant, world_b, 1)
    cache = BaselineCache()
    shared = cache.records(base, world_a, 1)
    reused = cache.records(variant, world_b, 1)
    assert reused is shared and (cache.hits, cache.misses) == (1, 1)
    own = fresh_baseline(variant, world_b, 1)
    pd.testing.assert_frame_equal(reused.daily, own.daily)
    assert reused.adopters == own.adopters


@pytest.mark.parametrize("change", sorted(NO_CAMPAIGN))
def test_what_the_no_campaign_world_depends_on_is_in_the_key(change):
    """Each of these changes the no-campaign run, so each must change the key."""
    base = scenario()
    value = NO_CAMPAIGN[change]
    other = scenario(**{change: value})
    world_a, world_b = World.build(base), World.build(other)
    assert baseline_key(base, world_a, 0) != baseline_key(other, world_b, 0)
    a, b = fresh_baseline(base, world_a), fresh_baseline(other, world_b)
    assert not a.daily[["cumulative_adopters"]].equals(b.daily[["cumulative_adopters"]])


def test_replication_engine_and_a_hand_made_graph_are_in_the_key():
    sc = scenario()
    world = World.build(sc)
    key = baseline_key(sc, world, 0)
    assert key != baseline_key(sc, world, 1)
    assert key != baseline_key(sc, world, 0, "agents")
    graph = from_networkx(nx.gnm_random_graph(world.n, 1_600, seed=3), 4, np.random.default_rng(1))
    other = dataclasses.replace(world, graph=graph)
    assert baseline_key(sc, other, 0) != key  # same scenario, another graph: another no-campaign run


def test_run_replication_with_and_without_the_cache_gives_identical_numbers():
    sc = scenario()
    world = World.build(sc)
    cache = BaselineCache()
    cached = [run_replication(sc, world, r, baselines=cache) for r in (0, 1, 0)]
    assert (cache.hits, cache.misses) == (1, 2)
    for r, rep in zip((0, 1, 0), cached, strict=True):
        alone = run_replication(sc, world, r, baselines=None)
        pd.testing.assert_frame_equal(rep.daily, alone.daily)
        assert pd.Series(rep.kpis).equals(pd.Series(alone.kpis))


def test_the_cache_forgets_the_least_recently_used_run():
    sc = scenario()
    world = World.build(sc)
    cache = BaselineCache(maxsize=2)
    for r in (0, 1, 0, 2):  # 0 is used again before 2 arrives, so 1 goes
        cache.records(sc, world, r)
    assert len(cache.runs) == 2
    cache.records(sc, world, 0)
    cache.records(sc, world, 1)
    assert (cache.hits, cache.misses) == (2, 4)
