"""Pictures of a run's social graph: the report's network figure, the classroom page, ``wom animate``.

Drawing must keep up with a class watching day by day, so the costly parts are done once: the
layout is cached per graph (``layout.py``), and a picture draws ties and markers once, then only
recolours them each day (``Blitter``). Two kinds share one base: ``ConsumerPicture`` draws one
dot per consumer; ``NichePicture``, for graphs above ``AGGREGATE_ABOVE`` consumers, one circle
per niche, sized by consumers and coloured by the share adopted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.core.network import SocialGraph
from sim.core.world import World
from sim.drawing.colours import (
    BACKLASH_COLOUR,
    LIGHT,
    NICHE_CMAP,
    POSTING_COLOUR,
    STATE_COLOURS,
    STATE_LABELS,
    TIER_ORDER,
    Theme,
    state_codes,
    tier_colour,
    tier_marker,
)
from sim.drawing.frames import Blitter, Drawn
from sim.drawing.layout import layout, niche_circle, niche_ties, spread_angles

AGGREGATE_ABOVE = 2_000  # consumers; above this the page and the animation draw niches
RESTING, POSTING = 70.0, 260.0  # influencer marker sizes (points^2)
MARKER_AREA = {"*": 2.2, "P": 1.3}  # a star covers less of its box than a triangle: draw it bigger


@dataclass(frozen=True)
class LegendEntry:
    """One legend line; the page draws these as HTML, figures as matplotlib handles.

    ``marker`` is a matplotlib marker, or ``_`` / ``--`` for a solid / dashed line."""

    label: str
    colour: str
    marker: str = "o"
    edge: str = "none"
    hollow: bool = False

    def handle(self) -> Line2D:
        if self.marker in ("_", "--"):  # a line, solid or dashed
            return Line2D([], [], color=self.colour, lw=3, ls="-" if self.marker == "_" else "--", label=self.label)
        face = "none" if self.hollow else self.colour
        edge = self.colour if self.hollow else self.edge
        return Line2D([], [], marker=self.marker, ls="", mfc=face, mec=edge, mew=1.5, markersize=10, label=self.label)


def pull_in_strays(pos: np.ndarray, keep: float = 0.98) -> np.ndarray:
    """Positions with the farthest 2% moved in to the 98th-percentile radius: consumers without
    ties drift far out in a force layout and would shrink everyone else to a dot."""
    if len(pos) < 50:
        return pos
    centre = np.median(pos, axis=0)
    distance = np.linalg.norm(pos - centre, axis=1)
    limit = float(np.quantile(distance, keep))
    factor = np.minimum(1.0, limit / np.maximum(distance, 1e-12))
    return centre + (pos - centre) * factor[:, None]


def hired_tiers(world: World) -> list[str]:
    """The tier name of each hired influencer, in roster order."""
    c = world.candidates
    return [c.tier_names[int(c.tier[j])] for j in world.roster.candidate]


class NetworkPicture(Drawn):
    """One world's graph as a matplotlib figure: drawn once, recoloured by ``update``.

    Hired influencers sit on a ring around the graph, on the side where their audience lives,
    marked by tier; one posting today is drawn large with a gold edge, one that has caused a
    backlash gets a red edge. ``update(..., highlight=[i, ...])`` rings the audiences of those
    influencers and links them to it. Subclasses draw the consumers (``_draw_points``), recolour
    them (``_recolour``) and say where an audience is (``_audience_marks``).
    """

    def __init__(
        self,
        world: World,
        tiers: Sequence[str],
        *,
        size: float = 6.0,
        dpi: int = 100,
        legend: bool = True,
        caption_lines: int = 1,
        theme: Theme = LIGHT,
    ) -> None:
        super().__init__()
        self.world, self.tiers, self.theme = world, list(tiers), theme
        self.scale = size / 6.0  # marker sizes are tuned for a 6-inch picture
        entries = self.legend_entries() if legend else []
        below = 0.12 + 0.3 * -(-len(entries) // 2) if legend else 0.0  # inches: two legend columns
        above = 0.15 + 0.3 * caption_lines if caption_lines else 0.0
        height = size + below + above
        self.figure = Figure(figsize=(size, height), dpi=dpi, facecolor=theme.background)
        self.axes = ax = self.figure.add_axes((0.0, below / height, 1.0, size / height))
        ax.set_axis_off()
        ax.set_aspect("equal")
        self._draw_points(world.graph)
        self._place_influencers()
        self.links = LineCollection([], linewidths=0.6, alpha=0.4, zorder=1)
        ax.add_collection(self.links)
        self.rings = ax.scatter([], [], s=[], facecolors="none", linewidths=1.6, zorder=3)
        self.title = ax.set_title("", fontsize=13, color=theme.text) if caption_lines else None
        if entries:
            self.figure.legend(
                handles=[e.handle() for e in entries],
                loc="lower center",
                ncol=2,
                fontsize=11,
                frameon=False,
                labelcolor=theme.text,
                handletextpad=0.3,
                columnspacing=1.0,
            )
        self._ring: list[int] | None = None
        dynamic = [self.links, self.nodes, *self.labels, self.rings, *(a for _, a in self.tier_points.values())]
        self.blitter = Blitter(self.figure, dynamic + ([self.title] if self.title else []))

    # --- what subclasses provide ------------------------------------------------------

    def _draw_points(self, graph: SocialGraph) -> None:
        """Set ``points`` (xy), ``member`` (consumer -> point), ``nodes`` (the artist) and ``labels``."""
        raise NotImplementedError

    def _recolour(self, state) -> None:
        raise NotImplementedError

    def _audience_marks(self, audience: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The points an audience covers, and the size of the ring around each."""
        raise NotImplementedError

    def state_entries(self) -> list[LegendEntry]:
        raise NotImplementedError

    ring_factor = 1.12  # distance of the influencer ring, in graph radii

    # --- shared -------------------------------------------------------------------------

    def legend_entries(self) -> list[LegendEntry]:
        """What the colours and markers mean (the page shows these as HTML)."""
        entries = self.state_entries()
        for name in dict.fromkeys(self.tiers):
            entries.append(LegendEntry(f"{name} influencer", tier_colour(name), tier_marker(name), edge="black"))
        if self.tiers:
            entries.append(LegendEntry("posting today (large, gold edge)", "#9e9e9e", "*", edge=POSTING_COLOUR))
            entries.append(LegendEntry("has caused a backlash (red edge)", "#9e9e9e", "*", edge=BACKLASH_COLOUR))
        return entries

    def _place_influencers(self) -> None:
        """Each influencer on a ring outside the graph, in the direction of its audience's centre."""
        pts = self.points
        centre = pts.mean(axis=0) if len(pts) else np.zeros(2)
        radius = float(np.max(np.linalg.norm(pts - centre, axis=1))) if len(pts) else 0.0
        radius = radius or 1.0
        angles = np.zeros(len(self.tiers))
        for i, audience in enumerate(self.world.audiences):
            spot = pts[self.member[audience]].mean(axis=0) - centre if audience.size else np.zeros(2)
            centred = np.hypot(*spot) < 1e-3 * radius
            angles[i] = 2.4 * i if centred else np.arctan2(spot[1], spot[0])  # centred audience: spread
        angles = spread_angles(angles % (2 * np.pi))
        offset = np.array([TIER_ORDER.index(t) if t in TIER_ORDER else 0 for t in self.tiers]) * 0.05
        ring = radius * (self.ring_factor + offset)
        self.influencer_xy = centre + np.c_[np.cos(angles), np.sin(angles)] * ring[:, None]
        self.tier_points = {}
        for name in dict.fromkeys(self.tiers):
            idx = np.array([i for i, t in enumerate(self.tiers) if t == name])
            xy = self.influencer_xy[idx]
            art = self.axes.scatter(
                xy[:, 0],
                xy[:, 1],
                s=np.full(idx.size, RESTING * self._area(name)),
                marker=tier_marker(name),
                c=tier_colour(name),
                edgecolors=self.theme.text,
                linewidths=0.6,
                zorder=5,
            )
            self.tier_points[name] = (idx, art)
        lim = radius * (self.ring_factor + 0.3)
        self.axes.set_xlim(centre[0] - lim, centre[0] + lim)
        self.axes.set_ylim(centre[1] - lim, centre[1] + lim)

    def update(
        self,
        state,
        *,
        posting: Sequence[bool] | None = None,
        backlashed: Sequence[bool] | None = None,
        highlight: Sequence[int] = (),
        caption: str = "",
    ) -> None:
        """Recolour for ``state`` (a ``ConsumerState``); mark who posts today and who caused a
        backlash (one flag per hired influencer); ring the audiences of ``highlight``."""
        with self.lock:
            self._recolour(state)
            k = len(self.tiers)
            posting = np.zeros(k, bool) if posting is None else np.asarray(posting, bool)
            backlashed = np.zeros(k, bool) if backlashed is None else np.asarray(backlashed, bool)
            for idx, art in self.tier_points.values():
                art.set_sizes(np.where(posting[idx], POSTING, RESTING) * self._area(self.tiers[idx[0]]))
                edge = np.where(
                    backlashed[idx], BACKLASH_COLOUR, np.where(posting[idx], POSTING_COLOUR, self.theme.text)
                )
                art.set_edgecolors(edge.tolist())
                art.set_linewidths(np.where(backlashed[idx] | posting[idx], 2.5, 0.6))
            self._highlight(list(highlight))
            if self.title is not None:
                self.title.set_text(caption)

    def _area(self, tier: str) -> float:
        return MARKER_AREA.get(tier_marker(tier), 1.0) * self.scale**2

    def _highlight(self, chosen: list[int]) -> None:
        if chosen == self._ring:
            return
        self._ring = chosen
        segments, ring_xy, ring_size, colours = [], [], [], []
        for i in chosen:
            where, sizes = self._audience_marks(self.world.audiences[i])
            xy = self.points[where]
            ring_xy.append(xy)
            ring_size.append(sizes)
            colours += [tier_colour(self.tiers[i])] * where.size
            segments += [(self.influencer_xy[i], p) for p in xy]
        self.rings.set_offsets(np.concatenate(ring_xy) if ring_xy else np.zeros((0, 2)))
        self.rings.set_sizes(np.concatenate(ring_size) if ring_size else [])
        self.rings.set_edgecolors(colours or "none")
        self.links.set_segments(segments)
        self.links.set_colors(colours or "none")


class ConsumerPicture(NetworkPicture):
    """One dot per consumer, coloured by funnel state."""

    def _draw_points(self, graph: SocialGraph) -> None:
        self.points = pos = pull_in_strays(layout(graph))
        self.member = np.arange(graph.n)
        if graph.adjacency is not None:
            coo = graph.adjacency.tocoo()
            keep = coo.row < coo.col
            segments = np.stack([pos[coo.row[keep]], pos[coo.col[keep]]], axis=1)
            ties = LineCollection(segments, colors=self.theme.ties, linewidths=0.3, alpha=0.4, zorder=0)
            self.axes.add_collection(ties)
        self.dot_size = float(np.clip(6000 / max(graph.n, 1), 4, 40)) * self.scale**2
        colours = np.tile(STATE_COLOURS[0], (graph.n, 1))
        self.nodes = self.axes.scatter(pos[:, 0], pos[:, 1], s=self.dot_size, c=colours, linewidths=0, zorder=2)
        self.labels = []

    def _recolour(self, state) -> None:
        self.nodes.set_facecolors(STATE_COLOURS[state_codes(state.adopted, state.aware, state.nps)])

    def _audience_marks(self, audience: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        where = np.unique(audience)
        return where, np.full(where.size, self.dot_size * 3.5)

    def state_entries(self) -> list[LegendEntry]:
        hexes = ["#{:02x}{:02x}{:02x}".format(*(round(255 * v) for v in c[:3])) for c in STATE_COLOURS]
        return [LegendEntry(label, colour) for label, colour in zip(STATE_LABELS, hexes, strict=True)]


class NichePicture(NetworkPicture):
    """One circle per niche, sized by its consumers, green by the share adopted (percent written in)."""

    ring_factor = 1.4

    def _draw_points(self, graph: SocialGraph) -> None:
        k = int(graph.niche.max()) + 1
        self.points = pos = niche_circle(k)
        self.member = graph.niche
        self.sizes = np.bincount(graph.niche, minlength=k)
        ties = niche_ties(graph)
        iu = np.triu_indices(k, 1)
        between = ties[iu]
        if between.size and between.max() > 0:
            widths = 0.5 + 8 * between / between.max()
            segments = np.stack([pos[iu[0]], pos[iu[1]]], axis=1)
            lines = LineCollection(segments, colors=self.theme.ties, linewidths=widths, alpha=0.5, zorder=0)
            self.axes.add_collection(lines)
        self.dot_size = (400 + 3000 * self.sizes / max(self.sizes.max(), 1)) * self.scale**2
        self.nodes = self.axes.scatter(
            pos[:, 0],
            pos[:, 1],
            s=self.dot_size,
            c=np.zeros(k),
            cmap=NICHE_CMAP,
            vmin=0,
            vmax=1,
            edgecolors="#525252",
            linewidths=0.8,
            zorder=2,
        )
        self.labels = [self.axes.text(x, y, "", ha="center", va="center", fontsize=10, zorder=4) for x, y in pos]

    def _recolour(self, state) -> None:
        adopted = np.bincount(self.member, weights=state.adopted, minlength=len(self.sizes))
        share = adopted / np.maximum(self.sizes, 1)
        self.nodes.set_array(share)
        for text, s, size in zip(self.labels, share, self.sizes, strict=True):
            text.set_text(f"{s:.0%}\n{size:,}")
            text.set_color("white" if s > 0.6 else "black")

    def _audience_marks(self, audience: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        where = np.flatnonzero(np.bincount(self.member[audience], minlength=len(self.points)))
        return where, self.dot_size[where] * 1.4

    def state_entries(self) -> list[LegendEntry]:
        return [LegendEntry("niche: darker green = larger share adopted", "#74c476")]


def network_picture(world: World, tiers: Sequence[str], **options) -> NetworkPicture:
    """The right picture for the graph's size: dots up to ``AGGREGATE_ABOVE`` consumers, niches above."""
    kind = NichePicture if world.n > AGGREGATE_ABOVE else ConsumerPicture
    return kind(world, tiers, **options)
