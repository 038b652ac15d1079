"""One browser tab's classroom: the towns on screen, their pictures, and what a frame shows.

The page (``page.py``) only turns a ``Frame`` into widgets; everything that steps, draws or
counts lives here, behind one lock, so the play loop, button clicks and the background runs
never see a half-stepped town. A session is plain Python: tests drive it without a browser.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from sim.classroom.charts import ComparisonChart, Limits, TownChart, nice_ceiling
from sim.classroom.model import OTHER_RUNS, OtherRuns, Tally, TierRow, Town, other_runs
from sim.classroom.settings import (
    CAMPAIGN_KEYS,
    campaign_bases,
    campaign_labels,
    campaign_values,
    classroom_scenario,
    scenario_files,
    town_values,
)
from sim.core.scenario import Scenario, load_scenario
from sim.drawing.colours import DARK, LIGHT
from sim.drawing.frames import Encoding
from sim.drawing.picture import LegendEntry, NetworkPicture, NichePicture, network_picture

View = Literal["one", "side"]
NONE = "none"
PICTURE_FORMAT: Encoding = "jpeg"  # the fastest encodings that look lossless (Blitter.encoded)
CHART_FORMAT: Encoding = "png8"


@dataclass(frozen=True)
class RunsSummary:
    """The other runs' incremental adopters on the shown day: mean and standard error."""

    runs: int
    mean: float
    se: float


@dataclass(frozen=True)
class TownFrame:
    """One town as shown: its picture (``PICTURE_FORMAT`` bytes), numbers and highlight options."""

    label: str
    picture: bytes
    tally: Tally
    tiers: tuple[TierRow, ...]
    hired: str
    scale: float
    settings: str
    notes: tuple[str, ...]
    choices: tuple[str, ...]
    highlight: str
    runs: RunsSummary | None


@dataclass(frozen=True)
class Frame:
    """Everything the page shows at one moment; ``number`` lets the browser say it has drawn it."""

    number: int
    view: View
    day: int
    days: int
    towns: tuple[TownFrame, ...]
    chart: bytes
    network_legend: tuple[LegendEntry, ...]
    chart_legend: tuple[LegendEntry, ...]
    aggregated: bool
    runs_pending: bool
    difference: RunsSummary | None = None
    rate: float | None = field(default=None, compare=False)

    @property
    def finished(self) -> bool:
        return self.day >= self.days


class Session:
    """The classroom for one browser tab, started from a scenario file."""

    def __init__(self, start: Path) -> None:
        self.folder = start.parent
        self.start = start
        self._files: list[str] | None = None
        self.lock = threading.RLock()
        self.number = 0
        self.generation = 0  # bumped by every rebuild: background runs of an old one are dropped
        self.view: View = "one"
        self.dark = False
        self.show_runs = True
        self.highlight = [NONE, NONE]
        self.town_values, self.campaigns = self.defaults(start.name)
        self._market: tuple | None = None
        self.rebuild()

    # --- controls -----------------------------------------------------------------------

    def files(self) -> list[str]:
        """The scenario picker's file names (read once: reload the page to see new files)."""
        if self._files is None:
            names = list(scenario_files(self.folder))
            self._files = names if self.start.name in names else [self.start.name, *names]
        return self._files

    def path(self, name: str) -> Path:
        """A file name from the picker, in the start-up scenario's folder (never a path)."""
        if Path(name).name != name or name not in self.files():
            raise ValueError(f"not a scenario in {self.folder}: {name!r}")
        return self.folder / name

    def defaults(self, name: str) -> tuple[dict, list[dict]]:
        """The controls' values that reproduce scenario file ``name``: the town, then the one-town
        campaign and campaigns A and B (its first two variants, or macro only and micro only)."""
        scenario = load_scenario(self.path(name))
        bases, _ = campaign_bases(scenario, name)
        side = [campaign_values(sc) for _, sc in bases]
        if not scenario.variants:
            side[0]["micro_share"], side[1]["micro_share"] = 0.0, 1.0
        return town_values(scenario, name), [campaign_values(scenario), *side]

    def has_variants(self, name: str) -> bool:
        return bool(load_scenario(self.path(name)).variants)

    def apply(self, town: dict, campaigns: list[dict], view: View | None = None) -> None:
        """New control values: rebuild the towns at day 0.

        ``campaigns`` holds the one-town campaign, then campaign A and B of the side-by-side view.
        """
        with self.lock:
            if view is not None:
                self.view = view
            self.town_values, self.campaigns = dict(town), [dict(c) for c in campaigns]
            self.rebuild()

    def set_view(self, view: View) -> None:
        with self.lock:
            if view != self.view:
                self.view = view
                self.rebuild()

    def set_theme(self, dark: bool) -> None:
        with self.lock:
            if dark != self.dark:
                self.dark = dark
                self._draw_setup()

    def set_highlight(self, town: int, choice: str) -> None:
        with self.lock:
            self.highlight[town] = choice

    def set_show_runs(self, show: bool) -> None:
        with self.lock:
            self.show_runs = show

    # --- towns --------------------------------------------------------------------------

    def scenarios(self) -> list[tuple[str, Scenario, list[str]]]:
        """(label, scenario, notes) of each town the current view shows."""
        name = self.town_values["scenario_file"]
        base = load_scenario(self.path(name))
        if self.view == "one":
            pairs, notes = [(base.name, base)], []
            chosen = self.campaigns[:1]
        else:
            pairs, notes = campaign_bases(base, name)
            chosen = self.campaigns[1:3]
            defaults = self.defaults(name)[1][1:3]
            if chosen != defaults or not base.variants:  # the variants' names no longer describe them
                pairs = list(zip(campaign_labels(*chosen), (sc for _, sc in pairs), strict=True))
        out = []
        for (label, scenario), values in zip(pairs, chosen, strict=True):
            campaign = {k: values[k] for k in CAMPAIGN_KEYS}
            built, adjusted = classroom_scenario(scenario, self.town_values, campaign, source=name)
            out.append((label, built, notes + adjusted))
        return out

    def rebuild(self) -> None:
        """Towns at day 0 for the current controls (a reset)."""
        with self.lock:
            self.generation += 1
            run = int(self.town_values["run"])
            self.towns = [Town(sc, run, label=label, notes=tuple(notes)) for label, sc, notes in self.scenarios()]
            market = (self.town_values["scenario_file"], self.towns[0].scenario.market.population)
            if market != self._market:  # axes are kept from run to run, within one market
                self._market = market
                start = nice_ceiling(0.05 * market[1])  # until the first curves arrive: 5% of the town
                self.adopters, self.incremental, self.difference = Limits(start), Limits(start), Limits(start)
            self.runs: list[OtherRuns | None] = [None] * len(self.towns)
            self.highlight = [NONE, NONE]
            self._draw_setup()

    def _draw_setup(self) -> None:
        theme = DARK if self.dark else LIGHT
        size = 5.6 if self.view == "one" else 3.8  # inches at 100 dpi: about the size on screen at 1366 px
        self.pictures: list[NetworkPicture] = [
            network_picture(t.world, t.tiers, size=size, legend=False, caption_lines=0, theme=theme) for t in self.towns
        ]
        if self.view == "one":
            self.chart = TownChart(self.towns[0], self.adopters, self.incremental, theme=theme)
        else:
            self.chart = ComparisonChart(self.towns, self.incremental, self.difference, theme=theme, size=(4.0, 5.0))

    def step(self) -> bool:
        """One day in every town on screen; False once the last day is shown."""
        with self.lock:
            return all([town.step() for town in self.towns])

    @property
    def finished(self) -> bool:
        return self.towns[0].finished

    # --- the other runs (computed in the background) ------------------------------------

    def runs_job(self) -> tuple[int, list[Scenario]]:
        """What to compute for the faint other runs: (generation, scenarios); none if hidden."""
        with self.lock:
            pending = self.show_runs and any(r is None for r in self.runs)
            return self.generation, [t.scenario for t in self.towns] if pending else []

    def compute_runs(self) -> bool:
        """Compute the other runs of the current towns (slow: call from a worker); True if stored.
        A rebuild or hiding the runs meanwhile cancels the work."""
        generation, scenarios = self.runs_job()
        if not scenarios:
            return False

        def cancelled() -> bool:
            return generation != self.generation or not self.show_runs

        results = [other_runs(sc, OTHER_RUNS, cancelled) for sc in scenarios]
        with self.lock:
            if cancelled() or any(r is None for r in results):
                return False
            self.runs = results
            return True

    # --- what the page shows ------------------------------------------------------------

    def frame(self) -> Frame:
        with self.lock:
            self.number += 1
            runs = self.runs if self.show_runs else [None] * len(self.towns)
            towns = tuple(self._town_frame(i, town, runs[i]) for i, town in enumerate(self.towns))
            if self.view == "one":
                self.chart.update(self.towns[0], runs[0])
            else:
                self.chart.update(self.towns, runs)
            town = self.towns[0]
            difference = None
            if self.view == "side" and all(r is not None for r in runs):
                difference = _summary(runs[1].incremental[:, town.day] - runs[0].incremental[:, town.day])
            return Frame(
                number=self.number,
                view=self.view,
                day=town.day,
                days=town.days,
                towns=towns,
                chart=self.chart.encoded(CHART_FORMAT),
                network_legend=tuple(self._network_legend()),
                chart_legend=tuple(self.chart.legend_entries()),
                aggregated=isinstance(self.pictures[0], NichePicture),
                runs_pending=self.show_runs and any(r is None for r in self.runs),
                difference=difference,
            )

    def _network_legend(self) -> list[LegendEntry]:
        entries = self.pictures[0].legend_entries()
        if any(h != NONE for h in self.highlight[: len(self.towns)]):
            entries.append(LegendEntry("ring: the highlighted audience", "#9e9e9e", "o", hollow=True))
        return entries

    def _town_frame(self, i: int, town: Town, runs: OtherRuns | None) -> TownFrame:
        choices = town.audience_choices()
        chosen = self.highlight[i] if self.highlight[i] in choices else NONE
        picture = self.pictures[i]
        picture.update(
            town.campaign.state, posting=town.posting(), backlashed=town.backlashed(), highlight=choices[chosen]
        )
        return TownFrame(
            label=town.label,
            picture=picture.encoded(PICTURE_FORMAT),
            tally=town.tally(),
            tiers=tuple(town.tier_rows()),
            hired=town.hired(),
            scale=town.scale,
            settings=self._describe(i, town),
            notes=town.notes,
            choices=tuple(choices),
            highlight=chosen,
            runs=None if runs is None else _summary(runs.incremental[:, town.day]),
        )

    def _describe(self, i: int, town: Town) -> str:
        """The values this town runs with, in one line."""
        sc, t = town.scenario, self.town_values
        c = self.campaigns[0] if self.view == "one" else self.campaigns[1 + i]
        return (
            f"{sc.market.population:,} people as {town.world.n:,} dots on a {sc.network.kind} network; "
            f"word of mouth x{t['word_of_mouth']:.1f}; budget {sc.budget.total:,.0f} USD, "
            f"{c['micro_share']:.0%} micro; trust x{c['trust']:.1f}; backlash +{c['backlash']:.0%}; run {town.run}"
        )


def _summary(values: np.ndarray) -> RunsSummary:
    n = values.size
    se = float(values.std(ddof=1) / np.sqrt(n)) if n > 1 else 0.0
    return RunsSummary(n, float(values.mean()), se)
