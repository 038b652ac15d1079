"""Pictures of a run's social graph, shared by the classroom page and ``wom animate``.

Drawing must keep up with a class watching day by day, so the costly parts are done once:
the layout is computed once per graph and cached (resets and new runs on the same graph reuse
it), and a ``NetworkPicture`` draws ties and markers once, then only recolours them each day.
Graphs above ``AGGREGATE_ABOVE`` consumers are drawn as niches (super-nodes sized by
consumers, coloured by the share adopted) instead of one dot per consumer.
"""

from __future__ import annotations

import hashlib
import io
import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from PIL import Image

from sim.core.network import SocialGraph
from sim.core.world import World

AGGREGATE_ABOVE = 2_000  # consumers; above this the page and the animation draw niches
LAYOUT_CACHE_SIZE = 16

# Funnel states, in the order of the codes returned by ``state_codes``.
STATES = ("unaware", "aware", "adopted", "promoter", "detractor")
STATE_LABELS = ("unaware", "aware, not bought", "adopted (passive)", "adopted, promoter", "adopted, detractor")
STATE_COLOURS = np.array(
    [
        [0.83, 0.83, 0.83, 1.0],
        [0.65, 0.81, 0.89, 1.0],
        [0.12, 0.47, 0.71, 1.0],
        [0.2, 0.63, 0.17, 1.0],
        [0.89, 0.1, 0.11, 1.0],
    ]
)
TIER_MARKERS = {"nano": "o", "micro": "^", "mid": "s", "macro": "*", "mega": "P"}
TIER_ORDER = list(TIER_MARKERS)  # small to large: larger tiers sit further out
TIER_COLOURS = {"nano": "#fdae6b", "micro": "#f16913", "mid": "#a63603", "macro": "#6a51a3", "mega": "#3f007d"}
SOURCE_COLOURS = {"baseline": "#bdbdbd", "word_of_mouth": "#33a02c", "referral": "#b15928"}

_layouts: OrderedDict[str, np.ndarray] = OrderedDict()
_layouts_lock = threading.Lock()


def tier_colour(name: str) -> str:
    return TIER_COLOURS.get(name, "#525252")


def source_colour(name: str) -> str:
    return SOURCE_COLOURS.get(name) or tier_colour(name)


def state_codes(adopted: np.ndarray, aware: np.ndarray, nps: np.ndarray) -> np.ndarray:
    """Each consumer's funnel state as an index into ``STATES``.

    ``nps`` is 2 promoter, 1 passive, 0 detractor, -1 not adopted (``engine.ConsumerState``).
    """
    bought = np.select([nps == 2, nps == 0], [3, 4], 2)
    return np.where(adopted, bought, np.where(aware, 1, 0)).astype(np.int8)


def graph_key(graph: SocialGraph) -> str:
    """A digest of the graph's ties and niches: equal graphs share one layout."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{graph.n}:{graph.kind}:{graph.complete}".encode())
    h.update(np.ascontiguousarray(graph.niche).tobytes())
    if graph.adjacency is not None:
        h.update(np.ascontiguousarray(graph.adjacency.indptr).tobytes())
        h.update(np.ascontiguousarray(graph.adjacency.indices).tobytes())
    return h.hexdigest()


def layout(graph: SocialGraph) -> np.ndarray:
    """Node positions (n x 2) for ``graph``, computed once per distinct graph and cached."""
    key = graph_key(graph)
    with _layouts_lock:
        if key in _layouts:
            _layouts.move_to_end(key)
            return _layouts[key]
    pos = force_layout(graph)
    pos.setflags(write=False)
    with _layouts_lock:
        _layouts[key] = pos
        while len(_layouts) > LAYOUT_CACHE_SIZE:
            _layouts.popitem(last=False)
    return pos


def force_layout(graph: SocialGraph, seed: int = 0, iterations: int = 50) -> np.ndarray:
    """Fruchterman-Reingold over numpy arrays, started with niches around a circle.

    networkx's ``spring_layout`` loops in Python above 500 nodes (16 s at 2,000); this dense
    vectorised version takes about a second at 2,000 and keeps niches visibly apart.
    """
    n = graph.n
    rng = np.random.default_rng(seed)
    niches = int(graph.niche.max()) + 1 if n else 1
    angle = 2 * np.pi * graph.niche / niches
    x = (0.5 * np.cos(angle) + rng.normal(0, 0.25, n)).astype(np.float32)
    y = (0.5 * np.sin(angle) + rng.normal(0, 0.25, n)).astype(np.float32)
    if graph.complete or n < 2:  # everyone is tied to everyone: forces carry no structure
        return np.c_[x, y]
    coo = graph.adjacency.tocoo()
    rows, cols = coo.row, coo.col
    k2 = np.float32(1.0 / n)
    k = np.sqrt(k2)
    temperature = 0.1
    cooling = temperature / (iterations + 1)
    for _ in range(iterations):
        dx = x[:, None] - x[None, :]
        dy = y[:, None] - y[None, :]
        w = dx * dx
        w += dy * dy
        np.maximum(w, 1e-4, out=w)
        np.divide(k2, w, out=w)  # repulsion k^2 / d, along the unit vector: k^2 / d^2 * delta
        fx = (dx * w).sum(1)
        fy = (dy * w).sum(1)
        ex, ey = x[rows] - x[cols], y[rows] - y[cols]
        pull = np.sqrt(ex * ex + ey * ey) / k  # attraction d^2 / k along ties
        fx -= np.bincount(rows, ex * pull, n).astype(np.float32)
        fy -= np.bincount(rows, ey * pull, n).astype(np.float32)
        length = np.sqrt(fx * fx + fy * fy)
        step = temperature / np.where(length < 0.01, 0.1, length)
        x += fx * step
        y += fy * step
        temperature -= cooling
    return np.c_[x, y]


def niche_ties(graph: SocialGraph) -> np.ndarray:
    """Ties between each pair of niches (k x k, symmetric; diagonal: ties inside a niche)."""
    k = int(graph.niche.max()) + 1
    sizes = np.bincount(graph.niche, minlength=k).astype(np.float64)
    if graph.adjacency is None:
        ties = np.outer(sizes, sizes)
        np.fill_diagonal(ties, sizes * (sizes - 1))
        return ties / 2
    coo = graph.adjacency.tocoo()
    pair = graph.niche[coo.row] * k + graph.niche[coo.col]
    return np.bincount(pair, minlength=k * k).reshape(k, k) / 2


def spread_angles(angles: np.ndarray, gap: float = 0.09) -> np.ndarray:
    """Angles nudged apart (in sorted order) so markers on a ring do not sit on each other."""
    if angles.size < 2:
        return angles
    gap = min(gap, 2 * np.pi / angles.size)
    order = np.argsort(angles, kind="stable")
    spread = angles[order].copy()
    for j in range(1, spread.size):
        spread[j] = max(spread[j], spread[j - 1] + gap)
    out = np.empty_like(spread)
    out[order] = spread
    return out


class Blitter:
    """Renders a figure fast: the static artists once, then only the changing ones over them.

    Redrawing the 3,000 ties of a 1,000-consumer graph takes most of a full draw; restoring
    them as pixels and drawing the dots on top is several times quicker (docs/performance.md).
    """

    def __init__(self, figure: Figure, dynamic: Sequence[Artist]) -> None:
        self.figure = figure
        self.canvas = FigureCanvasAgg(figure)
        self.dynamic = list(dynamic)
        for artist in self.dynamic:
            artist.set_animated(True)
        self.background = None

    def invalidate(self) -> None:
        """Call after changing a static artist (axis limits, legend): the next frame redraws all."""
        self.background = None

    def image(self) -> Image.Image:
        if self.background is None:
            self.canvas.draw()
            self.background = self.canvas.copy_from_bbox(self.figure.bbox)
        self.canvas.restore_region(self.background)
        for artist in self.dynamic:
            self.figure.draw_artist(artist)
        rgba = Image.frombuffer("RGBA", self.canvas.get_width_height(), self.canvas.buffer_rgba())
        return rgba.convert("RGB")

    def png(self) -> bytes:
        out = io.BytesIO()
        self.image().save(out, format="PNG", compress_level=1)  # fast: encoding dominates otherwise
        return out.getvalue()


class NetworkPicture:
    """One world's graph as a matplotlib figure: drawn once, recoloured by ``update``.

    Consumers are dots coloured by funnel state (or, above ``AGGREGATE_ABOVE`` consumers,
    niches coloured by the share adopted); hired influencers sit on a ring around the
    graph, on the side where their audience lives, marked by tier. ``update(..., highlight)``
    outlines the audiences of the given influencers and links them to it.
    """

    def __init__(self, world: World, tiers: Sequence[str], *, size: float = 6.0, dpi: int = 100) -> None:
        self.world = world
        self.tiers = list(tiers)
        self.aggregated = world.n > AGGREGATE_ABOVE
        graph = world.graph
        self.figure = Figure(figsize=(size, size + 0.6), dpi=dpi)
        self.axes = ax = self.figure.add_axes((0.01, 0.13, 0.98, 0.8))
        ax.set_axis_off()
        ax.set_aspect("equal")
        if self.aggregated:
            self._draw_niches(graph)
        else:
            self._draw_consumers(graph)
        self._place_influencers()
        self.links = LineCollection([], linewidths=0.5, alpha=0.35, zorder=1)
        ax.add_collection(self.links)
        self.rings = ax.scatter([], [], s=[], facecolors="none", linewidths=1.2, zorder=3)
        self.title = ax.set_title("", fontsize=12)
        self._legend()
        self._ring = None
        dynamic = [self.links, self.nodes, *self.labels, self.rings, *(a for _, a in self.tier_points.values())]
        self.blitter = Blitter(self.figure, [*dynamic, self.title])
        self.lock = threading.Lock()  # the page may draw from the play loop and an event at once

    def png(self) -> bytes:
        """The current picture as PNG bytes."""
        with self.lock:
            return self.blitter.png()

    def image(self) -> Image.Image:
        """The current picture as an RGB image (a frame of ``wom animate``)."""
        with self.lock:
            return self.blitter.image()

    # --- static parts -----------------------------------------------------------------

    def _draw_consumers(self, graph: SocialGraph) -> None:
        self.points = pos = layout(graph)
        self.member = np.arange(graph.n)  # the point each consumer belongs to
        if graph.adjacency is not None:
            coo = graph.adjacency.tocoo()
            keep = coo.row < coo.col
            segments = np.stack([pos[coo.row[keep]], pos[coo.col[keep]]], axis=1)
            self.axes.add_collection(
                LineCollection(segments, colors="#9e9e9e", linewidths=0.3, alpha=0.35, zorder=0, rasterized=True)
            )
        self.dot_size = float(np.clip(6000 / max(graph.n, 1), 4, 40))
        self.nodes = self.axes.scatter(
            pos[:, 0], pos[:, 1], s=self.dot_size, c=np.tile(STATE_COLOURS[0], (graph.n, 1)), linewidths=0, zorder=2
        )
        self.labels = []

    def _draw_niches(self, graph: SocialGraph) -> None:
        k = int(graph.niche.max()) + 1
        angle = 2 * np.pi * np.arange(k) / k + np.pi / 2
        self.points = pos = np.c_[np.cos(angle), np.sin(angle)] * (0.0 if k == 1 else 1.0)
        self.member = graph.niche
        self.sizes = np.bincount(graph.niche, minlength=k)
        ties = niche_ties(graph)
        iu = np.triu_indices(k, 1)
        between = ties[iu]
        if between.size and between.max() > 0:
            widths = 0.5 + 8 * between / between.max()
            segments = np.stack([pos[iu[0]], pos[iu[1]]], axis=1)
            self.axes.add_collection(LineCollection(segments, colors="#9e9e9e", linewidths=widths, alpha=0.5, zorder=0))
        self.dot_size = 400 + 3000 * self.sizes / max(self.sizes.max(), 1)
        self.nodes = self.axes.scatter(
            pos[:, 0],
            pos[:, 1],
            s=self.dot_size,
            c=np.zeros(k),
            cmap="Greens",
            vmin=0,
            vmax=1,
            edgecolors="#525252",
            linewidths=0.8,
            zorder=2,
        )
        self.labels = [self.axes.text(x, y, "", ha="center", va="center", fontsize=8, zorder=4) for x, y in pos[:, :2]]

    def _place_influencers(self) -> None:
        """Each influencer on a ring outside the graph, in the direction of its audience's centre."""
        pts = self.points
        centre = pts.mean(axis=0) if len(pts) else np.zeros(2)
        radius = float(np.max(np.linalg.norm(pts - centre, axis=1))) if len(pts) else 0.0
        radius = (radius or 1.0) * (1.25 if self.aggregated else 1.0)
        angles = np.zeros(len(self.tiers))
        for i, audience in enumerate(self.world.audiences):
            spot = pts[self.member[audience]].mean(axis=0) - centre if audience.size else np.zeros(2)
            centred = np.hypot(*spot) < 1e-3 * radius
            angles[i] = 2.4 * i if centred else np.arctan2(spot[1], spot[0])  # centred audience: spread
        angles = spread_angles(angles % (2 * np.pi))
        offset = np.array([TIER_ORDER.index(t) if t in TIER_ORDER else 0 for t in self.tiers]) * 0.05
        ring = radius * (1.12 + offset)
        self.influencer_xy = centre + np.c_[np.cos(angles), np.sin(angles)] * ring[:, None]
        self.tier_points = {}
        for name in dict.fromkeys(self.tiers):
            idx = np.array([i for i, t in enumerate(self.tiers) if t == name])
            xy = self.influencer_xy[idx]
            art = self.axes.scatter(
                xy[:, 0],
                xy[:, 1],
                s=np.full(idx.size, 70.0),
                marker=TIER_MARKERS.get(name, "D"),
                c=tier_colour(name),
                edgecolors="black",
                linewidths=0.6,
                zorder=5,
            )
            self.tier_points[name] = (idx, art)
        lim = radius * 1.4
        self.axes.set_xlim(centre[0] - lim, centre[0] + lim)
        self.axes.set_ylim(centre[1] - lim, centre[1] + lim)

    def _legend(self) -> None:
        handles = []
        if not self.aggregated:
            handles += [
                Line2D([], [], marker="o", ls="", color=STATE_COLOURS[i], label=STATE_LABELS[i], markersize=7)
                for i in range(len(STATES))
            ]
        for name in dict.fromkeys(self.tiers):
            handles.append(
                Line2D(
                    [],
                    [],
                    marker=TIER_MARKERS.get(name, "D"),
                    ls="",
                    color=tier_colour(name),
                    markeredgecolor="black",
                    label=f"{name} influencer",
                    markersize=9,
                )
            )
        if self.aggregated:
            handles.append(Line2D([], [], marker="o", ls="", color="#74c476", label="niche: green = share adopted"))
        handles.append(Line2D([], [], marker="o", ls="", mfc="white", mec="black", label="posting today (large)"))
        self.figure.legend(handles=handles, loc="lower center", ncol=3, fontsize=8, frameon=False)

    # --- per-day update ---------------------------------------------------------------

    def update(
        self,
        state,
        influencers: Sequence,
        day: int,
        highlight: Sequence[int] = (),
        caption: str | None = None,
    ) -> None:
        """Recolour for the model's current day; outline the audiences of ``highlight``."""
        with self.lock:
            self._update(state, influencers, day, list(highlight), caption)

    def _update(self, state, influencers, day, highlight, caption) -> None:
        codes = state_codes(state.adopted, state.aware, state.nps)
        if self.aggregated:
            adopted = np.bincount(self.member, weights=state.adopted, minlength=len(self.sizes))
            share = adopted / np.maximum(self.sizes, 1)
            self.nodes.set_array(share)
            for text, s, size in zip(self.labels, share, self.sizes, strict=True):
                text.set_text(f"{s:.0%}\n{size:,}")
                text.set_color("white" if s > 0.6 else "black")
        else:
            self.nodes.set_facecolors(STATE_COLOURS[codes])
        posting = np.array([inf.posts_on(day) for inf in influencers], bool) if influencers else np.zeros(0, bool)
        for idx, art in self.tier_points.values():
            live = idx < posting.size
            sizes = np.full(idx.size, 70.0)
            sizes[live] = np.where(posting[idx[live]], 260.0, 70.0)
            art.set_sizes(sizes)
            backlash = np.array([influencers[i].backlashes > 0 if i < len(influencers) else False for i in idx])
            art.set_edgecolors(np.where(backlash[:, None], [[0.89, 0.1, 0.11, 1.0]], [[0, 0, 0, 1.0]]))
            art.set_linewidths(np.where(backlash, 2.0, 0.6))
        self._highlight(highlight)
        if caption is None:
            adopters = int(state.adopted.sum())
            caption = f"Day {day}: {adopters:,} of {state.adopted.size:,} consumers adopted"
        self.title.set_text(caption)

    def _highlight(self, chosen: list[int]) -> None:
        if chosen == self._ring:
            return
        self._ring = chosen
        segments, ring_xy, ring_size, ring_colour, link_colour = [], [], [], [], []
        for i in chosen:
            audience = self.world.audiences[i]
            colour = tier_colour(self.tiers[i])
            if self.aggregated:
                counts = np.bincount(self.member[audience], minlength=len(self.points))
                where = np.flatnonzero(counts)
                sizes = self.dot_size[where] * 1.3
            else:
                where = np.unique(audience)
                sizes = np.full(where.size, self.dot_size * 3.0)
            xy = self.points[where]
            ring_xy.append(xy)
            ring_size.append(sizes)
            ring_colour += [colour] * where.size
            segments += [(self.influencer_xy[i], p) for p in xy]
            link_colour += [colour] * where.size
        self.rings.set_offsets(np.concatenate(ring_xy) if ring_xy else np.zeros((0, 2)))
        self.rings.set_sizes(np.concatenate(ring_size) if ring_size else [])
        self.rings.set_edgecolors(ring_colour or "none")
        self.links.set_segments(segments)
        self.links.set_colors(link_colour or "none")
