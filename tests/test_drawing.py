"""Pictures of a run (sim.drawing): state codes, the cached layout, the two kinds of network picture."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pytest
from matplotlib.colors import to_rgba
from PIL import Image

from sim.core.model import InfluenceModel
from sim.core.scenario import load_scenario
from sim.core.world import World
from sim.drawing import colours, layout
from sim.drawing.picture import (
    AGGREGATE_ABOVE,
    ConsumerPicture,
    NichePicture,
    hired_tiers,
    network_picture,
)

CLASSROOM = "scenarios/classroom.toml"


def test_state_codes_distinguish_the_funnel():
    adopted = np.array([False, False, True, True, True])
    aware = np.array([False, True, True, True, True])
    nps = np.array([-1, -1, 1, 2, 0])
    assert colours.state_codes(adopted, aware, nps).tolist() == [0, 1, 2, 3, 4]
    assert [colours.STATES[c] for c in range(5)] == ["unaware", "aware", "adopted", "promoter", "detractor"]


def test_layout_is_computed_once_per_graph():
    scenario = load_scenario(CLASSROOM)
    graph = World.build(scenario).graph
    first = layout.layout(graph)
    assert first.shape == (graph.n, 2) and np.isfinite(first).all()
    assert not first.flags.writeable  # shared between pictures: nobody may move a node
    assert layout.layout(World.build(scenario).graph) is first  # a rebuilt, equal graph: cache hit
    other = World.build(scenario.with_overrides({"market.consumers": 300})).graph
    assert layout.graph_key(other) != layout.graph_key(graph)
    assert layout.layout(other) is not first


def test_force_layout_keeps_neighbours_closer_than_strangers():
    graph = World.build(load_scenario(CLASSROOM)).graph
    pos = layout.force_layout(graph)
    coo = graph.adjacency.tocoo()
    tie = np.linalg.norm(pos[coo.row] - pos[coo.col], axis=1).mean()
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, graph.n, (2, 5000))
    stranger = np.linalg.norm(pos[a] - pos[b], axis=1).mean()
    assert tie < 0.8 * stranger


def test_nice_layout_helpers():
    assert layout.spread_angles(np.array([0.0, 0.01, 0.02])).tolist() == pytest.approx([0.0, 0.09, 0.18])
    circle = layout.niche_circle(4)
    assert np.allclose(np.linalg.norm(circle, axis=1), 1) and np.allclose(circle[0], [0, 1])


def stepped(consumers: int, days: int = 10) -> InfluenceModel:
    model = InfluenceModel(load_scenario(CLASSROOM).with_overrides({"market.consumers": consumers}))
    for _ in range(days):
        model.step()
    return model


@pytest.mark.parametrize("consumers, kind", [(500, ConsumerPicture), (AGGREGATE_ABOVE + 500, NichePicture)])
def test_picture_kind_follows_the_size_and_recolours_by_state(consumers, kind):
    model = stepped(consumers)
    tiers = hired_tiers(model.world)
    assert tiers == [inf.tier_name for inf in model.influencers]
    picture = network_picture(model.world, tiers)
    assert type(picture) is kind
    picture.update(model.state)
    if kind is NichePicture:
        graph = model.world.graph
        share = np.bincount(graph.niche, model.state.adopted) / np.bincount(graph.niche)
        assert len(picture.points) == model.scenario.network.niches
        assert np.allclose(picture.nodes.get_array(), share)
        assert [t.get_text().split("\n")[0] for t in picture.labels] == [f"{s:.0%}" for s in share]
    else:
        codes = colours.state_codes(model.state.adopted, model.state.aware, model.state.nps)
        assert len(picture.points) == consumers
        assert np.allclose(picture.nodes.get_facecolors(), colours.STATE_COLOURS[codes])
    assert picture.png()[:8] == b"\x89PNG\r\n\x1a\n"


def test_highlight_rings_exactly_the_chosen_audience():
    model = stepped(500, 0)
    picture = ConsumerPicture(model.world, hired_tiers(model.world))
    audience = np.unique(model.world.audiences[0])
    picture.update(model.state, highlight=[0])
    assert sorted(map(tuple, picture.rings.get_offsets())) == sorted(map(tuple, picture.points[audience]))
    assert len(picture.links.get_segments()) == audience.size
    picture.update(model.state, highlight=[])
    assert len(picture.rings.get_offsets()) == 0 and len(picture.links.get_segments()) == 0


def test_posting_and_backlash_marks_differ():
    model = stepped(500, 0)
    tiers = hired_tiers(model.world)
    picture = ConsumerPicture(model.world, tiers)
    k = len(tiers)
    posting, backlashed = np.zeros(k, bool), np.zeros(k, bool)
    posting[0], backlashed[1] = True, True
    picture.update(model.state, posting=posting, backlashed=backlashed)
    marks = {}
    for idx, art in picture.tier_points.values():
        for j, size, edge in zip(idx, art.get_sizes(), art.get_edgecolors(), strict=True):
            marks[int(j)] = (float(size), tuple(edge))
    assert marks[0][1] == to_rgba(colours.POSTING_COLOUR) and marks[0][0] > marks[2][0]
    assert marks[1][1] == to_rgba(colours.BACKLASH_COLOUR)
    assert marks[2][1] == to_rgba(colours.LIGHT.text)  # resting: the theme's text colour
    labels = [e.label for e in picture.legend_entries()]
    assert any("posting today" in label for label in labels) and any("backlash" in label for label in labels)


@pytest.mark.parametrize("kind, tolerance", [("png", 0.0), ("png8", 3.0), ("jpeg", 4.0)])
def test_fast_encodings_look_like_the_lossless_picture(kind, tolerance):
    model = stepped(500)
    picture = ConsumerPicture(model.world, hired_tiers(model.world), legend=False, caption_lines=0)
    picture.update(model.state)
    exact = np.asarray(picture.image(), dtype=np.int16)
    shown = np.asarray(Image.open(io.BytesIO(picture.encoded(kind))).convert("RGB"), dtype=np.int16)
    assert shown.shape == exact.shape
    assert np.abs(shown - exact).mean() <= tolerance  # mean error per channel, out of 255


def test_dark_theme_paints_the_background_only():
    model = stepped(500, 0)
    tiers = hired_tiers(model.world)
    light = ConsumerPicture(model.world, tiers, legend=False, caption_lines=0).image()
    dark = ConsumerPicture(model.world, tiers, legend=False, caption_lines=0, theme=colours.DARK).image()
    corner = (2, 2)
    assert light.getpixel(corner) == (255, 255, 255)
    assert dark.getpixel(corner) == tuple(int(colours.DARK.background[i : i + 2], 16) for i in (1, 3, 5))


def test_the_run_figures_draw_without_the_classroom(tmp_path):
    """Layering: reporting draws through sim.drawing, the layer below both it and the classroom."""
    code = (
        "import sys, sim; from pathlib import Path; from sim.reporting.figures import network_figure\n"
        "r = sim.run(sim.load_scenario('scenarios/classroom.toml'), replications=1)\n"
        f"assert network_figure(r, Path({str(tmp_path / 'network.png')!r}))\n"
        "print(sorted(m for m in sys.modules if m.startswith('sim.classroom')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
    assert Image.open(tmp_path / "network.png").size[0] == 700
