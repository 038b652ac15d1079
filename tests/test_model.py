"""InfluenceModel as a Mesa 3.5 model: seeds, scenario overrides, DataCollector, batch_run, agents."""

import multiprocessing

import mesa
import numpy as np
import pandas as pd
import pytest
from mesa.experimental.scenarios import Scenario as MesaScenario

from sim import InfluenceModel
from sim.core.agents import Consumer, Influencer
from sim.core.errors import InputError
from sim.core.scenario import scenario_from_dict
from sim.core.world import World

from .conftest import small

TINY = small(market={"population": 10_000, "consumers": 200, "days": 12})


@pytest.fixture(scope="module")
def tiny():
    return scenario_from_dict(TINY)


def adoption(model):
    return model.state.adopt_day.copy()


def test_seed_and_rng_replace_the_scenario_seed(tiny):
    same = InfluenceModel(tiny.with_overrides({"seed": 5})).run()
    assert np.array_equal(adoption(InfluenceModel(tiny, seed=5).run()), adoption(same))
    assert np.array_equal(adoption(InfluenceModel(tiny, rng=5).run()), adoption(same))
    assert InfluenceModel(tiny, rng=5).scenario.seed == 5
    default = InfluenceModel(tiny).run()
    assert np.array_equal(adoption(default), adoption(InfluenceModel(tiny, seed=tiny.seed).run()))
    assert not np.array_equal(adoption(default), adoption(same))
    a = InfluenceModel(tiny, rng=np.random.default_rng(3)).run()
    b = InfluenceModel(tiny, rng=np.random.default_rng(3)).run()
    assert np.array_equal(adoption(a), adoption(b)) and a.scenario.seed == b.scenario.seed


def test_replications_use_their_own_streams_under_one_seed(tiny):
    r0, r1 = InfluenceModel(tiny, replication=0).run(), InfluenceModel(tiny, replication=1).run()
    assert not np.array_equal(adoption(r0), adoption(r1))
    assert r0.world.graph.adjacency.nnz == r1.world.graph.adjacency.nnz  # one world per seed


def test_bad_seed_arguments_are_input_errors(tiny):
    with pytest.raises(InputError, match="not both"):
        InfluenceModel(tiny, rng=1, seed=2)
    with pytest.raises(InputError, match="seed"):
        InfluenceModel(tiny, seed=-1)
    with pytest.raises(InputError, match="world was built with seed"):
        InfluenceModel(tiny, seed=99, world=World.build(tiny))
    with pytest.raises(InputError, match="engine"):
        InfluenceModel(tiny, engine="turbo")


def test_flat_keywords_override_the_scenario_and_are_validated(tiny):
    m = InfluenceModel(tiny, budget__total=0, word_of_mouth__q=2.5)
    assert m.scenario.budget.total == 0 and m.scenario.word_of_mouth.q == 2.5
    assert len(m.influencers) == 0 and tiny.budget.total == 20_000  # the given scenario is untouched
    with pytest.raises(InputError, match="did you mean 'word_of_mouth.q'"):
        InfluenceModel(tiny, word_of_mouth__qq=1.0)
    with pytest.raises(InputError, match="budget.total"):
        InfluenceModel(tiny, budget__total=-5)


def test_model_scenario_is_mesas_slot_carrying_wom_scenario(tiny):
    m = InfluenceModel(tiny)
    assert isinstance(m.scenario, MesaScenario)  # what SolaraViz and Mesa agents expect
    assert m.scenario.spec is tiny
    assert m.scenario.market.days == 12 and m.scenario.content_hash() == tiny.content_hash()
    assert m.influencers[0].scenario is m.scenario  # Mesa's agent.scenario


def test_steps_and_datacollector_hold_the_daily_records(tiny):
    m = InfluenceModel(tiny).run()
    assert m.steps == 12 and not m.running and not hasattr(m, "daily") and not hasattr(m, "day")
    frame = m.daily_frame()
    assert frame["day"].tolist() == list(range(1, 13))
    assert frame["cumulative_adopters"].iloc[-1] == m.state.adopted.sum() * m.scale
    new = frame[[c for c in frame.columns if c.startswith("new_") and c != "new_adopters"]].sum(axis=1)
    assert np.allclose(new, frame["new_adopters"])
    assert frame["spend"].sum() == pytest.approx(sum(i.spend for i in m.influencers))
    assert frame.equals(m.datacollector.get_model_vars_dataframe().assign(cumulative_spend=frame["spend"].cumsum()))


def test_agents_hold_influencers_and_consumers_only_on_request(tiny):
    vector = InfluenceModel(tiny)
    assert set(vector.agent_types) == {Influencer} and len(vector.agents) == len(vector.influencers) > 0
    agents = InfluenceModel(tiny, engine="agents")
    assert len(agents.agents_by_type[Consumer]) == 200
    assert agents.consumers[0].cell is not None  # on a mesa.discrete_space.Network


@pytest.fixture
def keep_start_method():
    """mesa.batch_run forces the 'spawn' start method process-wide; put back what was there."""
    before = multiprocessing.get_start_method(allow_none=True)
    yield
    multiprocessing.set_start_method(before, force=True)


def test_mesa_batch_run_varies_a_scenario_key(tiny, keep_start_method):
    params = {"scenario": [tiny], "budget__total": [0, 20_000], "market__days": 8}
    rows = pd.DataFrame(
        mesa.batch_run(InfluenceModel, params, rng=[1, 2], data_collection_period=1, display_progress=False)
    )
    assert len(rows) == 2 * 2 * 8  # budgets x seeds x days
    spend = rows.groupby("budget__total")["spend"].sum()
    assert spend[0] == 0 and spend[20_000] > 0
    direct = InfluenceModel(tiny, seed=2, budget__total=20_000, market__days=8).run().daily_frame()
    mine = rows[(rows.budget__total == 20_000) & (rows.seed == 2)]
    assert mine["cumulative_adopters"].tolist() == direct["cumulative_adopters"].tolist()  # seed -> same numbers
    again = pd.DataFrame(
        mesa.batch_run(InfluenceModel, params, rng=[1, 2], data_collection_period=1, display_progress=False)
    )
    pd.testing.assert_frame_equal(rows, again)
