"""A town on the classroom page: one campaign stepped in lock-step with the same town without it.

Both worlds are ``InfluenceModel`` runs of the same scenario and replication, sharing the graph
and the random streams (common random numbers), so the gap between them is the campaign's
incremental effect, not noise. ``other_runs`` gives the same curves for replications 0..n-1, for
the page's faint "other runs" and their mean.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.core.model import InfluenceModel
from sim.core.records import unique_reach
from sim.core.scenario import Scenario, scenario_from_dict
from sim.core.world import World
from sim.drawing.picture import hired_tiers

OTHER_RUNS = 10  # runs 0..9 drawn faintly, with their mean, so one unlucky run cannot mislead


@functools.lru_cache(maxsize=8)
def _world(resolved: str) -> World:
    return World.build(scenario_from_dict(json.loads(resolved)))


_building = threading.Lock()  # two tabs asking for one new world build it once, not twice at half speed


def cached_world(scenario: Scenario) -> World:
    """The world of a scenario, built once per content and seed (resets and replays reuse it)."""
    with _building:
        return _world(json.dumps(scenario.resolved(), sort_keys=True))


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


@dataclass(frozen=True)
class Tally:
    """A town's running totals, in people and USD."""

    day: int
    days: int
    adopters: float
    without: float
    spend: float
    budget: float

    @property
    def incremental(self) -> float:
        return self.adopters - self.without

    @property
    def cost_per_incremental(self) -> float | None:
        """USD per incremental adopter so far; None while the campaign has added nobody."""
        return self.spend / self.incremental if self.incremental > 0 else None


@dataclass(frozen=True)
class TierRow:
    """One tier's campaign so far: reach counts each person once however many posts they saw."""

    tier: str
    hired: int
    posts: int
    reach: float  # unique people who saw at least one post of the tier
    conversions: float  # people who bought right after a post of the tier
    spend: float


class Town:
    """A campaign and its no-campaign twin, one day per ``step``, stopping at the scenario's last day."""

    def __init__(self, scenario: Scenario, run: int = 0, *, label: str = "", notes: tuple[str, ...] = ()) -> None:
        self.scenario, self.run, self.label, self.notes = scenario, int(run), label, tuple(notes)
        self.world = cached_world(scenario)
        self.campaign = InfluenceModel(scenario, replication=self.run, world=self.world)
        self.baseline = InfluenceModel(scenario, replication=self.run, campaign=False, world=self.world)
        self.tiers = hired_tiers(self.world)
        self.sources = list(self.campaign.source_names)

    @property
    def day(self) -> int:
        return self.campaign.steps

    @property
    def days(self) -> int:
        return self.scenario.market.days

    @property
    def finished(self) -> bool:
        return self.day >= self.days

    @property
    def scale(self) -> float:
        """Real people per simulated consumer (per dot)."""
        return self.world.scale

    def step(self) -> bool:
        """Advance both worlds one day; False (and nothing happens) once the last day is reached."""
        if self.finished:
            return False
        self.campaign.step()
        self.baseline.step()
        return True

    # --- what the page shows ----------------------------------------------------------

    def adopters_by_source(self) -> np.ndarray:
        """Cumulative adopters (people) by day 0..day (rows) and source (columns, ``self.sources``)."""
        state, day = self.campaign.state, self.day
        bought = state.adopted
        index = state.adopt_day[bought].astype(np.int64) * len(self.sources) + state.source[bought]
        counts = np.bincount(index, minlength=(day + 1) * len(self.sources)).reshape(day + 1, len(self.sources))
        return np.cumsum(counts, axis=0) * self.scale

    def without_campaign(self) -> np.ndarray:
        """Cumulative adopters (people) of the no-campaign twin, day 0..day."""
        state = self.baseline.state
        counts = np.bincount(state.adopt_day[state.adopted], minlength=self.day + 1)
        return np.cumsum(counts) * self.scale

    def incremental(self) -> np.ndarray:
        """Campaign minus no-campaign adopters (people), day 0..day."""
        return self.adopters_by_source().sum(axis=1) - self.without_campaign()

    def spend(self) -> float:
        return float(sum(inf.spend for inf in self.campaign.influencers) + self.campaign.referral_spend)

    def tally(self) -> Tally:
        adopters = float(self.campaign.state.adopted.sum()) * self.scale
        without = float(self.baseline.state.adopted.sum()) * self.scale
        return Tally(self.day, self.days, adopters, without, self.spend(), self.scenario.budget.total)

    def tier_rows(self) -> list[TierRow]:
        infl = self.campaign.influencers
        tiers = list(dict.fromkeys(self.tiers))
        group = np.array([tiers.index(t) for t in self.tiers], dtype=np.int64)
        reach, _ = unique_reach([i.audience for i in infl], [i.seen for i in infl], group, len(tiers), self.world.n)
        rows = []
        for g, tier in enumerate(tiers):
            hired = [inf for inf in infl if inf.tier_name == tier]
            converted = sum(int(self.campaign.caused[inf.index]) for inf in hired)
            rows.append(
                TierRow(
                    tier,
                    len(hired),
                    sum(inf.posts for inf in hired),
                    float(reach[g]) * self.scale,
                    converted * self.scale,
                    sum(inf.spend for inf in hired),
                )
            )
        return rows

    def posting(self) -> list[bool]:
        """Which hired influencers post on the day just simulated."""
        return [inf.posts_on(self.day) for inf in self.campaign.influencers] if self.day else [False] * len(self.tiers)

    def backlashed(self) -> list[bool]:
        return [inf.backlashes > 0 for inf in self.campaign.influencers]

    def hired(self) -> str:
        counts = {tier: self.tiers.count(tier) for tier in dict.fromkeys(self.tiers)}
        if not counts:
            return "no influencers hired"
        parts = ", ".join(f"{n:,} {tier}" for tier, n in counts.items())
        return f"{plural(len(self.tiers), 'influencer')} hired ({parts})"

    def audience_choices(self) -> dict[str, list[int]]:
        """The audience highlight's options: none, a whole tier, or one influencer."""
        choices: dict[str, list[int]] = {"none": []}
        for tier in dict.fromkeys(self.tiers):
            choices[f"all {tier} influencers"] = [i for i, t in enumerate(self.tiers) if t == tier]
        for inf in self.campaign.influencers:
            choices[f"{inf.tier_name} #{inf.index} ({inf.followers:,.0f} followers)"] = [inf.index]
        return choices


@dataclass(frozen=True)
class OtherRuns:
    """Cumulative adopters (people) by day 0..days of replications 0..n-1 (rows), with and without the campaign."""

    campaign: np.ndarray
    baseline: np.ndarray

    @property
    def incremental(self) -> np.ndarray:
        return self.campaign - self.baseline

    @property
    def runs(self) -> int:
        return len(self.campaign)


def other_runs(scenario: Scenario, runs: int, cancelled: Callable[[], bool] = lambda: False) -> OtherRuns | None:
    """Every day of replications 0..runs-1 of ``scenario`` (the page's faint runs): the same numbers
    as ``sim.run``, computed town by town so a newer setting can cancel them (then None)."""
    campaign = np.zeros((runs, scenario.market.days + 1))
    baseline = np.zeros_like(campaign)
    for r in range(runs):
        town = Town(scenario, r)
        while town.step():
            if cancelled():
                return None
        campaign[r], baseline[r] = town.adopters_by_source().sum(axis=1), town.without_campaign()
    return OtherRuns(campaign, baseline)
