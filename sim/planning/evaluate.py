"""One way to measure a budget split: ``Evaluator.evaluate(splits, replications)``.

Every split runs on the same replications (common random numbers), so differences between
splits are paired. Splits that hire the same roster (money a tier cannot spend changes nothing)
are simulated once. Each replication is ``sim.reporting.runner.run_replication``: a calibrated
scenario (or one with ``[uncertain]`` ranges) draws that replication's parameters for both the
campaign and the no-campaign run, and the no-campaign run comes from the process's shared cache
(``BASELINES``, keyed by what it depends on), so every split evaluated in a process shares it.
Work is cut into tasks of one split and some replications, run in this process or in a pool of
local processes; each task is a pure function of its inputs, so the numbers do not depend on the
number of workers.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Self

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from sim.core.budget import Roster, hire, unspent_reason
from sim.core.scenario import Scenario, scenario_from_dict
from sim.core.world import World
from sim.experiments.backends import main_script_hidden
from sim.reporting.runner import BASELINES, run_replication

KPIS = ["incremental_adopters", "incremental_profit", "spend", "reach", "adopters", "baseline_adopters"]
WORLD_CACHE = 2


def split_scenario(
    base: Scenario, split: dict[str, float], source: str = "<plan>", overrides: dict[str, Any] | None = None
) -> Scenario:
    """``base`` with the budget replaced by ``split`` (USD per tier); its total is the split's sum
    plus the referral reserve."""
    data = (base.with_overrides(overrides, source) if overrides else base).resolved()
    data.pop("variants", None)
    split = {t: float(split.get(t, 0.0)) if split.get(t, 0.0) > 1e-9 else 0.0 for t in base.tiers.names}
    data["budget"] = {"total": sum(split.values()) + base.referral.budget, "split": split, "split_unit": "usd"}
    return scenario_from_dict(data, source)


def hire_with(scenario: Scenario, world: World, allocation: dict[str, float]) -> Roster:
    """Whom the scenario's hiring rule signs for ``allocation`` in ``world``'s marketplace.

    Exact for policies that rank candidates deterministically; ``random`` draws its order
    inside the world, so here it gets a fixed stand-in order.
    """
    return hire(
        world.candidates,
        allocation,
        policy=scenario.hiring.policy,
        contracts=scenario.contracts,
        days=scenario.market.days,
        scale=world.scale,
        rng=np.random.default_rng(0),
        target_niches=scenario.hiring.niches,
    )


@dataclass(frozen=True)
class Task:
    point: int
    scenario: Scenario
    replications: tuple[int, ...]
    source: str


@dataclass
class TaskResult:
    point: int
    kpis: list[dict]
    tiers: list[dict]
    static: list[dict]
    baselines: int
    cpu_seconds: float


_worlds: OrderedDict[tuple[int, str], World] = OrderedDict()  # by (seed, scenario hash): the seed draws the world


def clear_caches() -> None:
    """Forget this process's worlds and no-campaign runs (they are kept between evaluations)."""
    _worlds.clear()
    BASELINES.clear()


def _cached(cache: OrderedDict, key, make, size: int):
    if key in cache:
        cache.move_to_end(key)
        return cache[key]
    cache[key] = make()
    if len(cache) > size:
        cache.popitem(last=False)
    return cache[key]


def with_allocation(static: pd.DataFrame, allocation: dict[str, float]) -> pd.DataFrame:
    """A spend report's rows for other money per tier that signs the same contracts: allocated,
    unspent and why follow the money (``sim.core.budget.unspent_reason``)."""
    out = static.assign(allocated=static["tier"].map(allocation).fillna(0.0))
    out["unspent"] = (out["allocated"] - out["spent"]).clip(lower=0.0)
    out["unspent_reason"] = [
        unspent_reason(r.allocated, r.spent, r.hired, r.candidates, r.cheapest_unhired) for r in out.itertuples()
    ]
    return out


def _tier_rows(point: int, replication: int, tiers) -> list[dict]:
    """Per tier, unique people reached and impressions in one replication (real people)."""
    return [
        {
            "point": point,
            "replication": replication,
            "tier": row.tier,
            "reach": float(row.reach),
            "impressions": float(row.impressions),
        }
        for row in tiers.itertuples()
    ]


def run_task(task: Task) -> TaskResult:
    """Campaign runs of one split on some replications, against the shared no-campaign runs."""
    started = time.process_time()
    sc = task.scenario
    scenario_hash = sc.content_hash()
    world = _cached(_worlds, (sc.seed, scenario_hash), lambda: World.build(sc, task.source), WORLD_CACHE)
    kpis, tiers, made = [], [], BASELINES.misses
    for r in task.replications:
        rep = run_replication(sc, world, r)
        ids = {"point": task.point, "replication": r, "seed": sc.seed, "scenario_hash": scenario_hash}
        kpis.append({**ids, **{key: rep.kpis[key] for key in KPIS}})
        tiers.extend(_tier_rows(task.point, r, rep.tiers))
    static = world.spend.assign(point=task.point).to_dict(orient="records")
    return TaskResult(task.point, kpis, tiers, static, BASELINES.misses - made, time.process_time() - started)


@dataclass
class Outcome:
    """Per (point, replication) KPIs, per tier reach, and per point what hiring did (static)."""

    kpis: pd.DataFrame
    tiers: pd.DataFrame
    static: pd.DataFrame

    def values(self, metric: str) -> pd.DataFrame:
        """point x replication table of one KPI."""
        return self.kpis.pivot(index="point", columns="replication", values=metric).sort_index()


def _ready(_: int) -> bool:
    return True


def start_pool(workers: int):
    """Local worker processes (all started now) that do not run the caller's script.

    Worker processes made by ``forkserver`` (no fork of a threaded parent) normally import the
    main script again, which re-runs a plain script's top-level ``sim.plan(...)`` call and breaks
    the pool unless the script has an ``if __name__ == "__main__":`` guard. The workers only need
    ``sim``, so the script is hidden from them while they start
    (``sim.experiments.backends.main_script_hidden``).
    """
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    context = mp.get_context("forkserver")
    context.set_forkserver_preload(["sim.planning.evaluate"])
    with main_script_hidden():
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
        list(pool.map(_ready, range(workers)))
    return pool


@dataclass(kw_only=True)
class LocalRuns:
    """Simulations run here or, with ``workers`` > 1, in local processes (``start_pool``) held
    while used as a context manager; counts the campaign runs made and their CPU time."""

    workers: int = 1
    progress: bool = False
    campaign_runs: int = 0
    cpu_seconds: float = 0.0  # CPU time of the simulations, in whichever process they ran
    _pool: Any = field(default=None, repr=False)

    def __enter__(self) -> Self:
        if self.workers > 1:
            self._pool = start_pool(self.workers)
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


@dataclass
class Evaluator(LocalRuns):
    """Evaluates splits of one base scenario; counts the simulated runs it made (``LocalRuns``)."""

    base: Scenario
    source: str = "<plan>"
    baseline_runs: int = 0
    evaluations: int = 0
    market: World | None = field(default=None, repr=False)  # the base world: whom each split would hire

    def roster_key(self, scenario: Scenario) -> tuple | None:
        """Who a split hires (and for how many posts): splits that hire the same roster are the
        same simulation, so each roster runs once. None for the ``random`` policy, whose order
        is drawn inside the world."""
        if scenario.hiring.policy == "random":
            return None
        if self.market is None:
            self.market = World.build(self.base, self.source)
        roster = hire_with(scenario, self.market, scenario.tier_allocation())
        return tuple(roster.candidate.tolist()), tuple(d.size for d in roster.post_days)

    def evaluate(
        self,
        splits: Sequence[dict[str, float]],
        replications: Sequence[int],
        *,
        overrides: dict[str, Any] | None = None,
        desc: str = "plan",
    ) -> Outcome:
        """Simulate every split on every replication; point ``i`` is ``splits[i]``."""
        scenarios = [split_scenario(self.base, s, self.source, overrides) for s in splits]
        reps = tuple(int(r) for r in replications)
        first: dict[Any, int] = {}
        same_as = []  # the point whose simulation stands for each point
        for i, sc in enumerate(scenarios):
            k = self.roster_key(sc) if not overrides else None  # overrides may change the marketplace
            same_as.append(first.setdefault(k, i) if k is not None else i)
        runs = sorted(set(same_as))
        per_split = max(1, math.ceil(2 * self.workers / max(1, len(runs)))) if self._pool else 1
        chunk = max(1, math.ceil(len(reps) / per_split))
        tasks = [
            Task(i, scenarios[i], reps[j : j + chunk], self.source) for i in runs for j in range(0, len(reps), chunk)
        ]
        results: list[TaskResult] = []
        with tqdm(total=len(tasks), desc=desc, unit="task", disable=not self.progress) as bar:
            if self._pool is None:
                for task in tasks:
                    results.append(run_task(task))
                    bar.update()
            else:
                futures: list[Future] = [self._pool.submit(run_task, t) for t in tasks]
                for f in futures:
                    results.append(f.result())
                    bar.update()
        self.evaluations += len(runs)
        self.campaign_runs += len(runs) * len(reps)
        self.baseline_runs += sum(r.baselines for r in results)
        self.cpu_seconds += sum(r.cpu_seconds for r in results)
        kpis = pd.DataFrame([row for res in results for row in res.kpis])
        tiers = pd.DataFrame([row for res in results for row in res.tiers])
        static = pd.DataFrame([row for res in results for row in res.static]).drop_duplicates(["point", "tier"])
        copies = [(i, j) for i, j in enumerate(same_as) if i != j]
        if copies:
            kpis = pd.concat(
                [kpis]
                + [
                    kpis[kpis["point"] == j].assign(point=i, scenario_hash=scenarios[i].content_hash())
                    for i, j in copies
                ]
            )
            tiers = pd.concat([tiers] + [tiers[tiers["point"] == j].assign(point=i) for i, j in copies])
            allocation = [scenarios[i].tier_allocation() for i, _ in copies]
            static = pd.concat(
                [static]
                + [
                    with_allocation(static[static["point"] == j].assign(point=i), a)
                    for (i, j), a in zip(copies, allocation, strict=True)
                ]
            )
        return Outcome(
            kpis=kpis.sort_values(["point", "replication"]).reset_index(drop=True),
            tiers=tiers.reset_index(drop=True),
            static=static.sort_values("point", kind="stable").reset_index(drop=True),
        )
