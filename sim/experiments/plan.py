"""An experiment's runs as a plan: points times replications, cut into batches.

Run ``k`` of a plan is point ``k // R``, replication ``k % R``. Consecutive runs form batches;
each batch is a pure function of its points and replication numbers (``run_batch``), so it
gives the same numbers in this process, in a pool of local processes or on a Dask cluster.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sim import __version__
from sim.core.errors import InputError
from sim.core.scenario import Scenario
from sim.core.world import World
from sim.reporting.runner import run_replication

ID_COLUMNS = ["run_id", "point", "replication", "seed", "scenario_hash", "version"]
WORLD_CACHE_SIZE = 4


@dataclass(frozen=True)
class Point:
    """One configuration: a scenario, dotted overrides the worker applies, and its row labels."""

    scenario: Scenario
    overrides: dict[str, Any]
    labels: dict[str, Any]


@dataclass(frozen=True)
class Batch:
    """Runs ``start``..``stop - 1`` of a plan; run ``k`` is point ``k // R``, replication ``k % R``."""

    index: int
    start: int
    stop: int
    replications: int
    points: dict[int, Point]
    curves: bool
    source: str


@dataclass
class BatchResult:
    index: int
    runs: pd.DataFrame | None
    curves: pd.DataFrame | None
    error: tuple | None = None  # InputError fields: exceptions with extra fields do not pickle


@dataclass
class Plan:
    """Every run of an experiment, in a fixed order that does not depend on the backend."""

    kind: str
    name: str
    source: str
    replications: int
    n_points: int
    point: Callable[[int], Point]
    identity: dict  # what determines the runs: the manifest hash is made from it
    base: Scenario
    curves: bool = False

    @property
    def runs(self) -> int:
        return self.n_points * self.replications

    @property
    def batch_runs(self) -> int:
        """Runs per part file: small plans in small batches (load balance), big ones in big.

        Up to 50 replications, a batch holds whole points, so each world is built by one worker.
        """
        size = min(50, max(4, math.ceil(self.runs / 100)))
        if self.replications > 50:
            return size
        return self.replications * max(1, round(size / self.replications))

    @property
    def n_batches(self) -> int:
        return math.ceil(self.runs / self.batch_runs)

    def hash(self) -> str:
        text = json.dumps({**self.identity, "version": __version__}, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def batch_size(self, index: int) -> int:
        return min(self.runs, (index + 1) * self.batch_runs) - index * self.batch_runs

    def batch(self, index: int) -> Batch:
        start = index * self.batch_runs
        stop = start + self.batch_size(index)
        first, last = start // self.replications, (stop - 1) // self.replications
        points = {p: self.point(p) for p in range(first, last + 1)}
        return Batch(index, start, stop, self.replications, points, self.curves, self.source)


# --- the work of one batch (runs in whichever process the backend chooses) ---------------------


@dataclass(frozen=True)
class _WorldKey:
    """A world is deterministic in (scenario content, seed): equal keys share one world."""

    scenario_hash: str
    seed: int
    scenario: Scenario = field(compare=False, hash=False)
    source: str = field(compare=False, hash=False)


@functools.lru_cache(maxsize=WORLD_CACHE_SIZE)
def _world(key: _WorldKey) -> World:
    """Build each world once per process and keep the few most recent."""
    return World.build(key.scenario, key.source)


def _curve(daily: pd.DataFrame, run_id: int) -> pd.DataFrame:
    campaign = daily[daily["world"] == "campaign"]
    baseline = daily[daily["world"] == "baseline"]
    return pd.DataFrame(
        {
            "run_id": run_id,
            "day": campaign["day"].to_numpy(),
            "adopters": campaign["cumulative_adopters"].to_numpy(),
            "baseline_adopters": baseline["cumulative_adopters"].to_numpy(),
        }
    )


def run_batch(batch: Batch) -> BatchResult:
    """Run every run of a batch: campaign and counterfactual, KPIs and (optionally) curves."""
    rows, curves, prepared = [], [], {}
    p = batch.start // batch.replications
    try:
        for k in range(batch.start, batch.stop):
            p, r = divmod(k, batch.replications)
            if p not in prepared:
                point = batch.points[p]
                scenario = point.scenario
                if point.overrides:
                    scenario = scenario.with_overrides(point.overrides, batch.source)
                scenario_hash = scenario.content_hash()
                world = _world(_WorldKey(scenario_hash, scenario.seed, scenario, batch.source))
                prepared[p] = scenario, scenario_hash, world
            scenario, scenario_hash, world = prepared[p]
            rep = run_replication(scenario, world, r)
            ids = dict(zip(ID_COLUMNS, (k, p, r, scenario.seed, scenario_hash, __version__), strict=True))
            rows.append({**ids, **batch.points[p].labels, **rep.kpis, "unspent_reason": rep.unspent_reason})
            if batch.curves:
                curves.append(_curve(rep.daily, k))
    except InputError as err:
        return BatchResult(batch.index, None, None, (err.file, f"(point {p}) {err.key}", err.value, err.allowed))
    return BatchResult(batch.index, pd.DataFrame(rows), pd.concat(curves, ignore_index=True) if curves else None)
