"""The vectorised engine and the Mesa-agent engine run the same rules, and the model's word-of-mouth
facts (per-tie chance, who counts for complex contagion, awareness, certain chances)."""

import dataclasses

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from sim import InfluenceModel, run
from sim.core import decision, rules
from sim.core.network import from_networkx
from sim.core.scenario import scenario_from_dict
from sim.core.world import World

from .conftest import small

# Every mechanism on: word of mouth with negative talk, referral codes, influencers, backlash.
MIXED = small(
    market={"population": 30_000, "consumers": 300, "days": 30},
    referral={"enabled": True, "budget": 2_000, "reward": 5},
    tiers={"micro": {"backlash_prob": 0.2}},
    word_of_mouth={"q": 60.0, "negative_ratio": 0.5},
    influence={"conversion": 0.1},
)


def outcome(model):
    s = model.state
    adopters = s.adopted.sum()
    names = model.source_names
    share = np.bincount(s.source[s.adopted], minlength=len(names)) / max(adopters, 1)
    return {
        "adopters": adopters,
        "wom_share": share[names.index("word_of_mouth")],
        "micro_share": share[names.index("micro")],
        "mean_day": s.adopt_day[s.adopted].mean(),
    }


@pytest.mark.slow
def test_engines_agree_in_distribution_on_independent_streams():
    """Mean final adoption and source mix within 3 standard errors, different seeds per engine."""
    runs = {}
    for engine, seed in (("vector", 101), ("agents", 202)):
        sc = scenario_from_dict({**MIXED, "seed": seed})
        world = World.build(sc)
        runs[engine] = pd.DataFrame(
            [outcome(InfluenceModel(sc, replication=r, world=world, engine=engine).run()) for r in range(24)]
        )
    v, a = runs["vector"], runs["agents"]
    for col in ("adopters", "wom_share", "micro_share", "mean_day"):
        se = np.sqrt(v[col].var() / len(v) + a[col].var() / len(a))
        assert abs(v[col].mean() - a[col].mean()) < 3 * se, (col, v[col].mean(), a[col].mean(), se)
    assert v["adopters"].mean() > 30  # the scenario really spreads


@pytest.mark.parametrize(
    "mechanisms",
    [
        {},  # bass: negative talk, referral codes, backlash
        {"word_of_mouth": {"mode": "cascade", "tie_prob": 0.08, "active_days": 4}, "network": {"kind": "erdos_renyi"}},
        {"word_of_mouth": {"q": 100.0, "complex_threshold": 2}, "influence": {"conversion": 1.0}},  # certain views
    ],
    ids=["bass", "cascade", "complex-certain"],
)
def test_engines_match_exactly_on_shared_streams(mechanisms):
    sc = scenario_from_dict({**MIXED, **{k: {**MIXED.get(k, {}), **v} for k, v in mechanisms.items()}})
    world = World.build(sc)
    vec = InfluenceModel(sc, world=world).run()
    agt = InfluenceModel(sc, world=world, engine="agents").run()
    for field in ("adopted", "adopt_day", "source", "aware", "attitude", "has_code", "exposures", "last_touch"):
        assert np.array_equal(getattr(vec.state, field), getattr(agt.state, field)), field
    assert np.array_equal(vec.caused, agt.caused) and np.array_equal(vec.attributed, agt.attributed)
    names = vec.source_names
    sources = np.bincount(vec.state.source[vec.state.adopted], minlength=len(names))
    assert sources[names.index("word_of_mouth")] > 0 and sources[names.index("micro")] > 0  # both paths used
    assert vec.state.has_code.any() and sources[names.index("referral")] > 0  # referral really happened
    assert any(i.backlashes for i in vec.influencers)
    assert len(agt.consumers) == 300 and agt.consumers[0].cell is not None  # Mesa agents on the Network


def test_engines_give_identical_results_tables():
    """The pass condition for the two engines is an exact match, down to every KPI and daily row."""
    sc = scenario_from_dict({**MIXED, "replications": 1})
    world = World.build(sc)
    vector, agents = run(sc, world=world), run(sc, world=world, engine="agents")
    for frame in ("kpis", "daily", "tiers", "influencers"):
        pd.testing.assert_frame_equal(getattr(vector, frame), getattr(agents, frame), check_exact=True, obj=frame)
    assert vector.kpis["incremental_adopters"].min() > 0


def test_engines_match_exactly_on_a_complete_graph():
    """Mean field: the vectorised engine decides everyone daily from one count of talkers (no
    calendar); the agents walk all their neighbours. Same states, exactly."""
    sc = scenario_from_dict(
        {
            **MIXED,
            "market": {"population": 12_000, "consumers": 120, "days": 20},
            "network": {"kind": "complete"},
            "word_of_mouth": {"q": 100.0, "negative_ratio": 1.0, "active_days": 6},
        }
    )
    world = World.build(sc)
    vec = InfluenceModel(sc, world=world).run()
    agt = InfluenceModel(sc, world=world, engine="agents").run()
    for field in ("adopted", "adopt_day", "source", "aware", "attitude", "exposures", "accrued", "negative_hits"):
        assert np.array_equal(getattr(vec.state, field), getattr(agt.state, field)), field
    assert vec.state.adopted.sum() > 20 and vec.state.negative_hits.any()  # talk and negative hits happened


def tiny_graph_model(edges, n, engine="vector", talkers=(), **word_of_mouth):
    """A no-campaign model on an explicit small graph, nobody adopting on their own; ``talkers``
    adopted on day 0."""
    sc = scenario_from_dict(
        small(
            budget={"total": 0, "split": {}},
            consumers={"baseline_p": 0.0, "susceptibility_sigma": 0.0},
            word_of_mouth=word_of_mouth,
        )
    )
    g = nx.Graph(edges)
    g.add_nodes_from(range(n))
    graph = from_networkx(g, 1, np.random.default_rng(0))
    world = dataclasses.replace(World.build(sc), graph=graph)
    return InfluenceModel(sc, world=world, campaign=False, engine=engine, initial_adopters=list(talkers))


def day_one(edges, n, talkers: dict[int, int], engine="vector", **word_of_mouth):
    """Talk and hazards on day 1 when ``talkers`` (consumer -> NPS class) adopted on day 0, as the
    engine gathers them (the frontier's counts, or each Mesa agent walking its neighbours)."""
    model = tiny_graph_model(edges, n, engine, list(talkers), **word_of_mouth)
    s, ctx = model.state, model.context
    for i, cls_ in talkers.items():
        s.nps[i] = cls_
    everyone = np.arange(n)
    if engine == "vector":
        model.frontier.hear(1, s, ctx)
        counts, rows = model.frontier.talk(everyone)
        counts = counts[rows]
    else:
        counts = np.array([model.consumers[i].talk_heard(1) for i in everyone])
    none = np.zeros(0, np.int64)
    return counts, decision.day_hazards(counts, ctx.degree, none, np.zeros(0), ctx.day_rules)


@pytest.mark.parametrize("cls_", [rules.PROMOTER, rules.PASSIVE])
def test_cascade_tie_fires_with_exactly_tie_prob(cls_):
    """docs/model.md: in cascade mode each talking tie is one chance tie_prob per day, whatever the class."""
    _, h = day_one([(0, 1)], 2, {0: cls_}, mode="cascade", tie_prob=0.05, negative_ratio=1 / 3)
    assert rules.chance_from_rate(h.total[1]) == pytest.approx(0.05, rel=1e-12)
    assert h.negative[1] == 0.0


def test_cascade_detractor_tie_is_a_negative_chance_of_tie_prob():
    _, h = day_one([(0, 1)], 2, {0: rules.DETRACTOR}, mode="cascade", tie_prob=0.05, negative_ratio=1 / 3)
    assert h.total[1] == 0.0  # no positive word of mouth from a detractor
    assert rules.chance_from_rate(h.negative[1]) == pytest.approx(0.05, rel=1e-12)


@pytest.mark.parametrize("engine", ["vector", "agents"])
def test_complex_contagion_counts_positive_talkers_only(engine):
    """A promoter and a detractor are one positive talker: below a threshold of 2, no word of mouth."""
    for classes, gated in (((rules.PROMOTER, rules.DETRACTOR), True), ((rules.PROMOTER, rules.PASSIVE), False)):
        talkers = dict(zip((1, 2), classes, strict=True))
        heard, h = day_one([(0, 1), (0, 2)], 3, talkers, engine, q=50.0, complex_threshold=2)
        assert h.positive_talkers[0] == (1 if gated else 2)
        assert (h.channels[0, rules.WORD_OF_MOUTH] == 0.0) == gated
        other, _ = day_one(
            [(0, 1), (0, 2)], 3, talkers, "agents" if engine == "vector" else "vector", q=50.0, complex_threshold=2
        )
        assert np.array_equal(heard, other)  # both engines gather the same talk, exactly


def test_awareness_is_a_recorded_state_only():
    """Making everyone aware up front changes no adoption: awareness is a funnel record."""
    sc = scenario_from_dict(MIXED)
    world = World.build(sc)
    plain = InfluenceModel(sc, world=world).run()
    aware = InfluenceModel(sc, world=world)
    aware.state.aware[:] = True
    aware.run()
    for field in ("adopted", "adopt_day", "source", "attitude"):
        assert np.array_equal(getattr(plain.state, field), getattr(aware.state, field)), field


def test_negative_hits_in_a_run_are_daily_chances_with_a_fresh_threshold_each():
    """A detractor talks to 2,000 neighbours for 30 days, each tie one negative chance of 0.5 a day
    (cascade). Through the whole engine (calendar, commit, threshold layers) every neighbour's
    number of hits is Binomial(30, 0.5): mean and variance within 4 standard errors. Reusing a spent
    threshold would space hits evenly and shrink the variance."""
    n, days = 2_001, 30
    model = tiny_graph_model([(0, i) for i in range(1, n)], n, talkers=[0], mode="cascade", tie_prob=0.5)
    model.state.nps[0] = rules.DETRACTOR
    model.run()
    hits = model.state.negative_hits[1:]
    assert not model.state.adopted[1:].any()  # negative talk only: nobody adopts
    mean, var = days * 0.5, days * 0.25
    assert abs(hits.mean() - mean) < 4 * np.sqrt(var / hits.size)
    assert abs(hits.var(ddof=1) - var) < 4 * var * np.sqrt(2 / (hits.size - 1))
