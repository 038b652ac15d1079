"""Replications of a scenario: each runs the campaign and its no-campaign counterfactual on
the same random streams, and the results are gathered into tidy pandas frames."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from sim import __version__
from sim.core import limits
from sim.core.engine import ConsumerState
from sim.core.errors import InputError
from sim.core.model import ENGINES, Engine, InfluenceModel
from sim.core.scenario import Scenario, as_scenario
from sim.core.world import World
from sim.inference.draws import for_replication
from sim.reporting.metrics import replication_kpis, summarize, tier_rows

ID_COLUMNS = ["scenario", "scenario_hash", "seed", "replication"]


@dataclass
class Replication:
    """One replication's frames (before id columns are added)."""

    daily: pd.DataFrame
    kpis: dict[str, float]
    tiers: pd.DataFrame
    influencers: pd.DataFrame
    final_state: ConsumerState


def run_replication(scenario: Scenario, world: World, replication: int, engine: Engine = "vector") -> Replication:
    """Campaign and counterfactual for one replication, reduced to records and KPIs.

    A scenario with an ``[uncertain]`` table first draws this replication's parameters.
    """
    scenario = for_replication(scenario, replication)
    campaign = InfluenceModel(scenario, replication=replication, world=world, engine=engine).run().records()
    baseline = InfluenceModel(scenario, replication=replication, world=world, engine=engine, campaign=False)
    baseline = baseline.run().records()
    m = scenario.market
    kpis = replication_kpis(campaign, baseline, m.price, m.unit_margin)
    daily = pd.concat(
        [campaign.daily.assign(world="campaign"), baseline.daily.assign(world="baseline")], ignore_index=True
    )
    tiers = tier_rows(campaign, scenario.tier_allocation(), kpis["incremental_adopters"], m.unit_margin)
    return Replication(daily, kpis, tiers, campaign.influencers, campaign.state)


@dataclass
class Results:
    """Everything a run produced: tidy frames keyed by replication, and the KPI summary."""

    scenario: Scenario
    daily: pd.DataFrame
    kpis: pd.DataFrame
    tiers: pd.DataFrame
    influencers: pd.DataFrame
    world: World = field(repr=False)
    final_state: ConsumerState | None = field(default=None, repr=False)  # replication 0, campaign

    @property
    def summary(self) -> dict:
        """KPI -> mean, 95% CI of the mean, 95% range over replications."""
        return {k: summarize(self.kpis[k]) for k in self.kpis.columns if k not in ID_COLUMNS}

    def tier_summary(self) -> pd.DataFrame:
        """Per-tier means over replications."""
        cols = [c for c in self.tiers.columns if c not in (*ID_COLUMNS, "tier")]
        return self.tiers.groupby("tier", sort=False)[cols].mean().reset_index()

    def write(self, out_dir):
        """Write every output file to ``out_dir`` atomically; returns the directory."""
        from sim.reporting.outputs import write_results

        return write_results(self, out_dir)


def _ids(scenario: Scenario, replication: int) -> dict:
    return {
        "scenario": scenario.name,
        "scenario_hash": scenario.content_hash(),
        "seed": scenario.seed,
        "replication": replication,
    }


def run(
    scenario: Scenario | str | Path,
    *,
    replications: int | None = None,
    seed: int | None = None,
    engine: Engine = "vector",
    progress: bool = False,
    world: World | None = None,
) -> Results:
    """Run a scenario (an object or a file's path) and return tidy results.

    ``replications`` and ``seed`` override the scenario's and are validated like it
    (``sim.core.scenario.as_scenario``); bad input raises one ``InputError``.

    >>> from sim import Scenario, run
    >>> res = run(Scenario(market={"consumers": 500, "population": 10_000, "days": 10}), replications=2)
    >>> len(res.kpis)
    2
    """
    if engine not in ENGINES:
        raise InputError("engine", "engine", engine, f"must be one of {', '.join(ENGINES)}")
    source = str(scenario) if isinstance(scenario, str | Path) else "<scenario>"
    scenario = as_scenario(scenario, replications=replications, seed=seed)
    if engine != "vector":
        limits.check(scenario, source, engine=engine)
    world = world or World.build(scenario, source)
    daily, kpis, tiers, infl = [], [], [], []
    final_state = None
    bar = tqdm(range(scenario.replications), desc=f"{scenario.name}", unit="rep", disable=not progress)
    for r in bar:
        rep = run_replication(scenario, world, r, engine)
        ids = _ids(scenario, r)
        daily.append(rep.daily.assign(**ids))
        kpis.append({**ids, **rep.kpis})
        tiers.append(rep.tiers.assign(**ids))
        infl.append(rep.influencers.assign(**ids))
        final_state = final_state or rep.final_state

    def tidy(frames: list[pd.DataFrame]) -> pd.DataFrame:
        frame = pd.concat(frames, ignore_index=True)
        return frame[ID_COLUMNS + [c for c in frame.columns if c not in ID_COLUMNS]]

    daily_frame = tidy(daily)
    lead = ID_COLUMNS + ["world", "day"]
    daily_frame = daily_frame[lead + [c for c in daily_frame.columns if c not in lead]]
    return Results(scenario, daily_frame, pd.DataFrame(kpis), tidy(tiers), tidy(infl), world, final_state)


__all__ = ["Results", "run", "run_replication", "__version__"]
