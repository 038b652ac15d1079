"""Full simulation of rosters of named creators, on common random numbers.

Every roster runs in one world built from the creators table (``World.build(creators=...)``:
every creator's audience drawn up front, so a creator reaches the same people whoever else is
hired) and on the same replications, so differences between rosters are paired. The
no-campaign run does not depend on the roster: ``sim.reporting.runner.run_replication`` takes it
from the shared no-campaign world of its process. Work is cut into tasks of one roster and some
replications, run here or in a pool of local processes (``evaluate.start_pool``); each task is
a pure function of its inputs, so the numbers do not depend on the number of workers.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from tqdm.auto import tqdm

from sim.core.scenario import Scenario
from sim.core.world import World
from sim.planning.evaluate import KPIS, LocalRuns
from sim.planning.measure import Measured
from sim.reporting.runner import run_replication

WORLD_CACHE = 2


@dataclass(frozen=True)
class RosterTask:
    point: int
    scenario: Scenario
    creators: pd.DataFrame
    handles: tuple[str, ...]
    replications: tuple[int, ...]
    source: str


_worlds: OrderedDict[str, World] = OrderedDict()


def creators_key(scenario: Scenario, creators: pd.DataFrame) -> str:
    """What a creators world depends on: the scenario's content and seed, and the creators table."""
    table = pd.util.hash_pandas_object(creators.astype(str), index=True).to_numpy().tobytes()
    return f"{scenario.seed}:{scenario.content_hash()}:{hashlib.sha256(table).hexdigest()[:16]}"


def creators_world(scenario: Scenario, creators: pd.DataFrame, source: str = "<hire>") -> World:
    """The world of ``scenario`` with ``creators`` as its marketplace (kept per process)."""
    key = creators_key(scenario, creators)
    if key not in _worlds:
        _worlds[key] = World.build(scenario, source, creators=creators)
        while len(_worlds) > WORLD_CACHE:
            _worlds.popitem(last=False)
    _worlds.move_to_end(key)
    return _worlds[key]


def run_roster(task: RosterTask) -> tuple[list[dict], float]:
    """KPIs of one roster on some replications, and the CPU seconds it took."""
    started = time.process_time()
    world = creators_world(task.scenario, task.creators, task.source).with_roster(list(task.handles))
    rows = []
    for r in task.replications:
        k = run_replication(task.scenario, world, r).kpis
        rows.append({"point": task.point, "replication": r, **{key: k[key] for key in KPIS}})
    return rows, time.process_time() - started


@dataclass
class RosterRuns(LocalRuns):
    """Simulates rosters of one scenario and creators table; counts the runs it made (``LocalRuns``)."""

    scenario: Scenario
    creators: pd.DataFrame
    source: str = "<hire>"
    rosters: int = 0

    def simulate(
        self, rosters: Sequence[Sequence[str]], replications: Sequence[int], desc: str = "hire"
    ) -> pd.DataFrame:
        """KPIs per (point, replication); point i is ``rosters[i]`` (each hires someone: with no
        one hired the campaign world is the no-campaign world and every increment is 0)."""
        if any(len(r) == 0 for r in rosters):
            raise ValueError("every roster simulated must hire someone")
        reps = tuple(int(r) for r in replications)
        runs = list(range(len(rosters)))
        per_roster = max(1, math.ceil(2 * self.workers / max(1, len(runs)))) if self._pool else 1
        chunk = max(1, math.ceil(len(reps) / per_roster))
        tasks = [
            RosterTask(i, self.scenario, self.creators, tuple(rosters[i]), reps[j : j + chunk], self.source)
            for i in runs
            for j in range(0, len(reps), chunk)
        ]
        rows: list[dict] = []
        with tqdm(total=len(tasks), desc=desc, unit="task", disable=not self.progress) as bar:
            results = self._pool.map(run_roster, tasks) if self._pool else map(run_roster, tasks)
            for part, cpu in results:
                rows.extend(part)
                self.cpu_seconds += cpu
                bar.update()
        self.rosters += len(runs)
        self.campaign_runs += len(runs) * len(reps)
        frame = pd.DataFrame(rows, columns=["point", "replication", *KPIS])
        return frame.sort_values(["point", "replication"]).reset_index(drop=True)


def as_measured(kpis: pd.DataFrame, point: int, label: str, spend_by_tier: dict[str, float], stage: str) -> Measured:
    """One roster's runs as a ``Measured`` (so ``measure.paired`` pairs it with others)."""
    k = kpis[kpis["point"] == point].set_index("replication")[KPIS]
    static = pd.DataFrame({"spent": spend_by_tier}).rename_axis("tier")
    return Measured(stage, label, dict(spend_by_tier), k, static)
