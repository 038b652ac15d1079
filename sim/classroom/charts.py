"""The classroom's charts, drawn like the network picture: static parts once, lines each day.

``TownChart``: adopters by source against the no-campaign twin, and the incremental adopters
over time with faint other runs and their mean. ``ComparisonChart``: two campaigns' incremental
adopters, and the difference between them. Y-axes only grow during a session (``Limits``), so a
run can be compared with the last one by eye.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from sim.classroom.model import OTHER_RUNS, OtherRuns, Town
from sim.drawing.colours import LIGHT, Theme, source_colour
from sim.drawing.frames import Blitter, Drawn
from sim.drawing.picture import LegendEntry

SOURCE_LABELS = {
    "baseline": "other channels (ads, shops)",
    "word_of_mouth": "word of mouth",
    "referral": "referral codes",
}
TOWN_COLOURS = ("#1f78b4", "#e7298a")  # campaign A and B in the side-by-side view
GHOST_ALPHA = 0.25


def source_label(name: str) -> str:
    return SOURCE_LABELS.get(name, f"{name} influencers")


def nice_ceiling(value: float) -> float:
    """The smallest round number (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 x 10^k) at or above ``value``."""
    if value <= 0:
        return 0.0
    power = 10 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10) if m * power >= value * (1 - 1e-9))


class Limits:
    """A y-range that only grows, to nice numbers, so charts keep their scale from run to run."""

    def __init__(self, high: float, low: float = 0.0) -> None:
        self.low, self.high = low, high

    def include(self, values: np.ndarray) -> bool:
        """Widen to cover ``values`` (with 10% headroom); True if the range changed."""
        if values.size == 0:
            return False
        low = -nice_ceiling(-1.1 * float(values.min())) if values.min() < self.low else self.low
        high = nice_ceiling(1.1 * float(values.max())) if values.max() > self.high else self.high
        changed = (low, high) != (self.low, self.high)
        self.low, self.high = low, high
        return changed


def _people(value: float, _pos=None) -> str:
    return f"{value:+,.0f}" if value < 0 else f"{value:,.0f}"


class _Chart(Drawn):
    """A two-panel figure in a theme, blitted; subclasses add the lines."""

    def __init__(self, days: int, theme: Theme, size: tuple[float, float], dpi: int, below: float = 0.0) -> None:
        """``below``: inches kept free under the panels (for a legend)."""
        super().__init__()
        self.theme = theme
        self.figure = Figure(figsize=size, dpi=dpi, facecolor=theme.background)
        width, height = size
        left, right, top, gap, bottom = 0.95, 0.2, 0.35, 0.8, 0.55 + below  # inches
        panel = (height - top - gap - bottom) / 2
        box = [left / width, 0, (width - left - right) / width, panel / height]
        self.top = self.figure.add_axes((box[0], (bottom + panel + gap) / height, box[2], box[3]))
        self.bottom = self.figure.add_axes((box[0], bottom / height, box[2], box[3]))
        for ax in (self.top, self.bottom):
            ax.set_facecolor(theme.background)
            ax.set_xlim(0, days)
            ax.grid(alpha=0.5, color=theme.grid, lw=0.6)
            ax.yaxis.set_major_formatter(FuncFormatter(_people))
            ax.yaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))  # people: no fractional ticks
            ax.tick_params(colors=theme.text, labelsize=11)
            for spine in ax.spines.values():
                spine.set_color(theme.grid)
        self.bottom.set_xlabel("day", color=theme.text, fontsize=12)
        self.bottom.axhline(0, color=theme.text, lw=0.8)
        self.limits_seen: dict[str, tuple[float, float]] = {}

    def _title(self, ax, text: str) -> None:
        ax.set_title(text, color=self.theme.text, fontsize=13, loc="left")

    def _ghost_lines(self, ax, colour: str) -> LineCollection:
        lines = LineCollection([], colors=colour, linewidths=1.0, alpha=GHOST_ALPHA, zorder=1)
        ax.add_collection(lines)
        return lines

    def _fit(self, ax, name: str, limits: Limits) -> None:
        if self.limits_seen.get(name) != (limits.low, limits.high):
            self.limits_seen[name] = (limits.low, limits.high)
            ax.set_ylim(limits.low, limits.high)
            self.blitter.invalidate()


def _set_ghosts(lines: LineCollection, mean_line, ghosts: np.ndarray | None) -> None:
    """Faint lines for each run (rows of ``ghosts``) and a line for their mean."""
    if ghosts is None:
        lines.set_segments([])
        mean_line.set_data([], [])
        return
    days = np.arange(ghosts.shape[1])
    lines.set_segments([np.c_[days, row] for row in ghosts])
    mean_line.set_data(days, ghosts.mean(axis=0))


class TownChart(_Chart):
    """Adopters by source (stacked) against no campaign (dashed); incremental adopters below."""

    def __init__(
        self,
        town: Town,
        adopters: Limits,
        incremental: Limits,
        *,
        theme: Theme = LIGHT,
        size: tuple[float, float] = (5.6, 5.6),
        dpi: int = 100,
        legend: bool = False,
        days: int | None = None,
    ) -> None:
        """``legend``: draw the legend into the figure (the page shows it as HTML); ``days``: the x-axis."""
        super().__init__(days or town.days, theme, size, dpi, below=1.3 if legend else 0.0)
        self.adopters, self.incremental = adopters, incremental
        hired = set(town.tiers)
        always = {"baseline", "word_of_mouth"} | ({"referral"} if town.scenario.referral.enabled else set())
        self.sources = town.sources
        self.shown = [i for i, s in enumerate(self.sources) if s in always or s in hired]
        top, bottom = self.top, self.bottom
        self.areas = [top.fill_between([0, 0], 0, 0, color=source_colour(self.sources[i]), lw=0) for i in self.shown]
        (self.without,) = top.plot([], [], color=theme.no_campaign, ls="--", lw=2.2)
        self._title(top, "Adopters by source, and with no campaign")
        top.set_ylabel("people", color=theme.text, fontsize=12)
        self.ghosts = self._ghost_lines(bottom, theme.text)
        (self.ghost_mean,) = bottom.plot([], [], color=theme.text, ls="--", lw=2.0, zorder=2)
        (self.line,) = bottom.plot([], [], color="#33a02c", lw=3.0, zorder=3)
        self._title(bottom, "Incremental adopters: campaign - no campaign")
        bottom.set_ylabel("people", color=theme.text, fontsize=12)
        if legend:
            self.figure.legend(
                handles=[e.handle() for e in self.legend_entries(runs=False)],
                loc="lower center",
                ncol=2,
                fontsize=11,
                frameon=False,
                labelcolor=theme.text,
            )
        self.blitter = Blitter(self.figure, [*self.areas, self.without, self.line])
        self._ghost_data: OtherRuns | None = None

    def legend_entries(self, runs: bool = True) -> list[LegendEntry]:
        entries = [LegendEntry(source_label(self.sources[i]), source_colour(self.sources[i]), "s") for i in self.shown]
        entries.append(LegendEntry("no campaign (same town)", self.theme.no_campaign, "--"))
        entries.append(LegendEntry("incremental, this run", "#33a02c", "_"))
        if runs:
            entries.append(LegendEntry(f"runs 0-{OTHER_RUNS - 1} (faint) and their mean", self.theme.text, "--"))
        return entries

    def update(self, town: Town, runs: OtherRuns | None = None) -> None:
        stacked = np.cumsum(town.adopters_by_source()[:, self.shown], axis=1)
        without = town.without_campaign()
        incremental = stacked[:, -1] - without if stacked.size else -without
        days = np.arange(town.day + 1)
        with self.lock:
            lower = np.zeros(days.size)
            for area, upper in zip(self.areas, stacked.T, strict=True):
                area.set_data(days, lower, upper)
                lower = upper
            self.without.set_data(days, without)
            self.line.set_data(days, incremental)
            if runs is not self._ghost_data:
                self._ghost_data = runs
                _set_ghosts(self.ghosts, self.ghost_mean, None if runs is None else runs.incremental)
                self.blitter.invalidate()
            seen = [] if runs is None else [runs.campaign.ravel(), runs.baseline.ravel()]
            self.adopters.include(np.concatenate([lower, without, [town.scale], *seen]))
            self.incremental.include(np.r_[incremental, [] if runs is None else runs.incremental.ravel()])
            self._fit(self.top, "top", self.adopters)
            self._fit(self.bottom, "bottom", self.incremental)


class ComparisonChart(_Chart):
    """Two campaigns in one town: their incremental adopters, and campaign B minus campaign A."""

    def __init__(
        self,
        towns: Sequence[Town],
        incremental: Limits,
        difference: Limits,
        *,
        theme: Theme = LIGHT,
        size: tuple[float, float] = (5.6, 5.6),
        dpi: int = 100,
    ) -> None:
        super().__init__(towns[0].days, theme, size, dpi)
        self.incremental, self.difference = incremental, difference
        self.labels = [t.label for t in towns]
        top, bottom = self.top, self.bottom
        self.lines, self.means = [], []
        for colour in TOWN_COLOURS:
            self.means.append(top.plot([], [], color=colour, ls="--", lw=1.8, zorder=2)[0])
            self.lines.append(top.plot([], [], color=colour, lw=3.0, zorder=3)[0])
        self._title(top, "Incremental adopters, A and B")
        top.set_ylabel("people", color=theme.text, fontsize=12)
        self.ghosts = self._ghost_lines(bottom, theme.text)
        (self.ghost_mean,) = bottom.plot([], [], color=theme.text, ls="--", lw=2.0, zorder=2)
        (self.gap,) = bottom.plot([], [], color=TOWN_COLOURS[1], lw=3.0, zorder=3)
        self._title(bottom, "B minus A")
        bottom.set_ylabel("people", color=theme.text, fontsize=12)
        self.blitter = Blitter(self.figure, [*self.lines, self.gap])
        self._ghost_data: tuple = ()

    def legend_entries(self) -> list[LegendEntry]:
        entries = [LegendEntry(label, c, "_") for label, c in zip(self.labels, TOWN_COLOURS, strict=True)]
        entries.append(LegendEntry(f"mean of runs 0-{OTHER_RUNS - 1} (faint: each run)", self.theme.text, "--"))
        return entries

    def update(self, towns: Sequence[Town], runs: Sequence[OtherRuns | None] = (None, None)) -> None:
        curves = [t.incremental() for t in towns]
        days = np.arange(towns[0].day + 1)
        ghosts = [None if r is None else r.incremental for r in runs]
        pair = ghosts[1] - ghosts[0] if all(g is not None for g in ghosts) else None
        with self.lock:
            for line, curve in zip(self.lines, curves, strict=True):
                line.set_data(days, curve)
            self.gap.set_data(days, curves[1] - curves[0])
            if len(self._ghost_data) != len(runs) or any(
                a is not b for a, b in zip(self._ghost_data, runs, strict=True)
            ):
                self._ghost_data = tuple(runs)
                for mean, g in zip(self.means, ghosts, strict=True):
                    mean.set_data(*((np.arange(g.shape[1]), g.mean(axis=0)) if g is not None else ([], [])))
                _set_ghosts(self.ghosts, self.ghost_mean, pair)
                self.blitter.invalidate()
            self.incremental.include(np.concatenate([*curves, *(g.ravel() for g in ghosts if g is not None)]))
            self.difference.include(np.concatenate([curves[1] - curves[0], [] if pair is None else pair.ravel()]))
            self._fit(self.top, "top", self.incremental)
            self._fit(self.bottom, "bottom", self.difference)
