"""Drawing for the classroom page and ``wom animate``; the page's model behind the sliders."""

from __future__ import annotations

import numpy as np
import pytest

from sim.core.scenario import load_scenario
from sim.core.world import World
from sim.drawing import picture as drawing

CLASSROOM = "scenarios/classroom.toml"


def test_state_codes_distinguish_the_funnel():
    adopted = np.array([False, False, True, True, True])
    aware = np.array([False, True, True, True, True])
    nps = np.array([-1, -1, 1, 2, 0])
    assert drawing.state_codes(adopted, aware, nps).tolist() == [0, 1, 2, 3, 4]
    assert [drawing.STATES[c] for c in range(5)] == ["unaware", "aware", "adopted", "promoter", "detractor"]


def test_layout_is_computed_once_per_graph():
    scenario = load_scenario(CLASSROOM)
    graph = World.build(scenario).graph
    first = drawing.layout(graph)
    assert first.shape == (graph.n, 2) and np.isfinite(first).all()
    assert drawing.layout(World.build(scenario).graph) is first  # a rebuilt, equal graph: cache hit
    other = World.build(scenario.with_overrides({"market.consumers": 300})).graph
    assert drawing.graph_key(other) != drawing.graph_key(graph)


def test_force_layout_keeps_neighbours_closer_than_strangers():
    graph = World.build(load_scenario(CLASSROOM)).graph
    pos = drawing.force_layout(graph)
    coo = graph.adjacency.tocoo()
    tie = np.linalg.norm(pos[coo.row] - pos[coo.col], axis=1).mean()
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, graph.n, (2, 5000))
    stranger = np.linalg.norm(pos[a] - pos[b], axis=1).mean()
    assert tie < 0.8 * stranger


@pytest.mark.parametrize("consumers, aggregated", [(500, False), (drawing.AGGREGATE_ABOVE + 500, True)])
def test_picture_switches_to_niches_above_the_threshold(consumers, aggregated):
    from sim.core.model import InfluenceModel

    scenario = load_scenario(CLASSROOM).with_overrides({"market.consumers": consumers})
    model = InfluenceModel(scenario)
    picture = drawing.NetworkPicture(model.world, [inf.tier_name for inf in model.influencers])
    assert picture.aggregated is aggregated
    points = scenario.network.niches if aggregated else consumers
    assert len(picture.points) == points
    for _ in range(10):
        model.step()
    picture.update(model.state, model.influencers, model.steps, highlight=[0])
    if aggregated:
        share = np.bincount(model.world.graph.niche, model.state.adopted) / np.bincount(model.world.graph.niche)
        assert np.allclose(picture.nodes.get_array(), share)
    else:
        codes = drawing.state_codes(model.state.adopted, model.state.aware, model.state.nps)
        assert np.allclose(picture.nodes.get_facecolors(), drawing.STATE_COLOURS[codes])
    assert len(picture.rings.get_offsets()) > 0  # influencer 0's audience is outlined
    assert picture.png()[:8] == b"\x89PNG\r\n\x1a\n"


def test_classroom_model_steps_campaign_and_baseline_in_lockstep():
    from sim.classroom.app import ClassroomModel
    from sim.core.model import InfluenceModel

    page = ClassroomModel(CLASSROOM)
    for _ in range(15):
        page.step()
    scenario = load_scenario(CLASSROOM)
    alone = InfluenceModel(scenario, campaign=False)
    for _ in range(15):
        alone.step()
    assert page.baseline.steps == page.steps == 15
    assert np.array_equal(page.baseline.state.adopted, alone.state.adopted)  # same streams as runner's
    tally = page.tally()
    assert tally["incremental"] == tally["adopters"] - tally["baseline"]
    assert tally["spend"] == pytest.approx(sum(inf.spend for inf in page.influencers))


def test_a_share_too_small_for_one_post_moves_to_the_other_tier():
    from sim.classroom.app import ClassroomModel

    page = ClassroomModel(CLASSROOM, budget=12_000, micro_share=0.9)
    assert page.scenario.budget.split["macro"] == 0 and page.scenario.budget.split["micro"] == 1
    assert len(page.notes) == 1 and "macro" in page.notes[0]
    assert {inf.tier_name for inf in page.influencers} == {"micro"}
