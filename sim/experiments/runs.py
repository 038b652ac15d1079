"""Experiments: many runs of one scenario, streamed to disk, resumable, on any backend.

An experiment file is a scenario TOML plus an ``[experiment]`` table. Its runs form a plan:
points (a variant, or one set of parameter values) times replications. Runs are cut into
batches of consecutive runs; each batch is a pure function of its points and replication
numbers, so it gives the same numbers in this process, in a pool of local processes or on a
Dask cluster. Each finished batch becomes one Parquet part file, written atomically; a re-run
skips every batch whose part exists, so a killed experiment resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import tempfile
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from tqdm.auto import tqdm

from sim import __version__
from sim.core.errors import InputError, did_you_mean
from sim.core.files import atomic_write
from sim.core.scenario import EXPERIMENT_TABLE, Scenario, read_scenario_data, scenario_from_dict
from sim.core.world import World
from sim.experiments import designs as ds
from sim.reporting.metrics import KPI_UNITS
from sim.reporting.outputs import resolved_toml
from sim.reporting.runner import run_replication

ID_COLUMNS = ["run_id", "point", "replication", "seed", "scenario_hash", "version"]
LOWER_IS_BETTER = {"cpa", "attributed_cpa", "cpe", "cpm"}
WORLD_CACHE_SIZE = 4


# --- the [experiment] table -------------------------------------------------------------------


class SplitGrid(BaseModel):
    """Budget splits over some tiers: every share a multiple of ``step``, shares summing to 1."""

    model_config = ConfigDict(extra="forbid")

    tiers: list[str] = Field(min_length=2)
    step: float = Field(gt=0, le=0.5)


class ExperimentSpec(BaseModel):
    """The ``[experiment]`` table: what ``wom compare`` and ``wom sweep`` vary and report."""

    model_config = ConfigDict(extra="forbid")

    design: Literal["grid", "random", "lhs", "sobol"] = "grid"
    parameters: dict[str, ds.Parameter] = Field(default_factory=dict)
    samples: int | None = Field(None, ge=1, le=1_000_000, description="points (random, lhs); base N (sobol)")
    sample_seed: int | None = Field(None, ge=0, description="seed of the design's sampler [scenario seed]")
    metrics: list[str] = Field(default_factory=lambda: ["incremental_adopters", "incremental_profit", "roi"])
    split_grid: SplitGrid | None = None
    reference: str | None = Field(None, description="variant the others are compared with [the first]")
    metric: str = Field("incremental_profit", description="KPI that ranks variants (wom compare)")
    include_base: bool = Field(False, description="compare the scenario itself as variant 'base' too")

    @field_validator("parameters", mode="before")
    @classmethod
    def _flatten(cls, value: Any) -> Any:
        return flatten_parameters(value) if isinstance(value, dict) else value

    @field_validator("metrics")
    @classmethod
    def _known_metrics(cls, value: list[str]) -> list[str]:
        for name in value:
            _check_metric(name)
        return value

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, value: str) -> str:
        return _check_metric(value)


def _check_metric(name: str) -> str:
    if name not in KPI_UNITS:
        raise ValueError(did_you_mean(name, list(KPI_UNITS), "a KPI"))
    return name


def flatten_parameters(tree: dict, prefix: str = "") -> dict[str, Any]:
    """``{tiers = {micro = {trust = {min = 0, max = 1}}}}`` -> ``{"tiers.micro.trust": {...}}``.

    A table holding any of min/max/steps/log/levels is one parameter; a bare list is its levels.
    """
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and value and not (set(value) & ds.SPEC_KEYS):
            flat.update(flatten_parameters(value, f"{dotted}."))
        else:
            flat[dotted] = {"levels": value} if isinstance(value, list) else value
    return flat


@dataclass(frozen=True)
class Experiment:
    """A base scenario (with its variants) and what to vary: the parsed experiment file."""

    scenario: Scenario
    spec: ExperimentSpec
    source: str = "<experiment>"


def _spec_error(source: str, err: dict) -> InputError:
    loc = [str(p) for p in err["loc"]]
    key = ".".join(["experiment", *loc])
    msg = err["msg"].removeprefix("Value error, ").replace("Input should be", "must be")
    if err["type"] == "extra_forbidden":
        owner = {"parameters": ds.Parameter, "split_grid": SplitGrid}.get(loc[0], ExperimentSpec)
        msg = did_you_mean(loc[-1], list(owner.model_fields), "a known key").replace("not a known key", "unknown key")
    return InputError(source, key, err.get("input"), msg)


def experiment_from_dict(data: dict, source: str = "<experiment>") -> Experiment:
    """Split a scenario-plus-``[experiment]`` mapping and validate both halves."""
    data = dict(data)
    table = data.pop(EXPERIMENT_TABLE, {})
    if not isinstance(table, dict):
        raise InputError(source, "experiment", table, "must be a table: [experiment]")
    scenario = scenario_from_dict(data, source)
    for name in scenario.variants:
        scenario.variant(name, source)  # every variant must validate too
    try:
        spec = ExperimentSpec.model_validate(table)
    except ValidationError as exc:
        raise _spec_error(source, exc.errors()[0]) from None
    return Experiment(scenario, spec, source)


def load_experiment(path: str | Path) -> Experiment:
    """Read an experiment file: a scenario TOML with an optional ``[experiment]`` table."""
    return experiment_from_dict(read_scenario_data(path), Path(path).name)


def as_experiment(experiment: Experiment | str | Path) -> Experiment:
    return experiment if isinstance(experiment, Experiment) else load_experiment(experiment)


# --- plans and batches ------------------------------------------------------------------------


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

_worlds: OrderedDict[tuple[str, int], World] = OrderedDict()


def _world(scenario: Scenario, scenario_hash: str, source: str) -> World:
    """Worlds are deterministic in (content, seed): build each once per process, keep a few."""
    key = (scenario_hash, scenario.seed)
    if key in _worlds:
        _worlds.move_to_end(key)
    else:
        _worlds[key] = World.build(scenario, source)
        if len(_worlds) > WORLD_CACHE_SIZE:
            _worlds.popitem(last=False)
    return _worlds[key]


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
                prepared[p] = scenario, scenario_hash, _world(scenario, scenario_hash, batch.source)
            scenario, scenario_hash, world = prepared[p]
            rep = run_replication(scenario, world, r)
            ids = dict(zip(ID_COLUMNS, (k, p, r, scenario.seed, scenario_hash, __version__), strict=True))
            rows.append({**ids, **batch.points[p].labels, **rep.kpis})
            if batch.curves:
                curves.append(_curve(rep.daily, k))
    except InputError as err:
        return BatchResult(batch.index, None, None, (err.file, f"(point {p}) {err.key}", err.value, err.allowed))
    return BatchResult(batch.index, pd.DataFrame(rows), pd.concat(curves, ignore_index=True) if curves else None)


# --- the store: manifest, part files, reading back --------------------------------------------


def _claim(out: Path, plan: Plan) -> None:
    """Make ``out`` this experiment's folder, or refuse if it holds a different one."""
    manifest = out / "experiment.json"
    if manifest.exists():
        found = json.loads(manifest.read_text()).get("hash")
        if found != plan.hash():
            raise InputError(
                str(out),
                "--out",
                str(out),
                f"holds another experiment (hash {found}, this one {plan.hash()}): choose another folder or delete it",
            )
        return
    info = {
        "kind": plan.kind,
        "hash": plan.hash(),
        "name": plan.name,
        "source": plan.source,
        "version": __version__,
        "scenario_hash": plan.base.content_hash(),
        "seed": plan.base.seed,
        "points": plan.n_points,
        "replications": plan.replications,
        "runs": plan.runs,
        "batch_runs": plan.batch_runs,
        "identity": plan.identity,
    }
    out.mkdir(parents=True, exist_ok=True)
    atomic_write(out / "scenario.resolved.toml", lambda tmp: tmp.write_text(resolved_toml(plan.base)))
    atomic_write(manifest, lambda tmp: tmp.write_text(json.dumps(info, indent=2, default=str) + "\n"))


def _part(folder: Path, index: int) -> Path:
    return folder / f"part-{index:06d}.parquet"


def finished_batches(out: Path) -> set[int]:
    """Batches whose runs part exists (curves parts are written first, so they exist too)."""
    return {int(p.stem.removeprefix("part-")) for p in (out / "runs").glob("part-*.parquet")}


def _write(out: Path, result: BatchResult) -> None:
    if result.curves is not None:
        atomic_write(_part(out / "curves", result.index), lambda tmp: result.curves.to_parquet(tmp, index=False))
    atomic_write(_part(out / "runs", result.index), lambda tmp: result.runs.to_parquet(tmp, index=False))


def read_runs(out: Path, table: str = "runs") -> pd.DataFrame:
    """All rows of ``runs`` (or ``curves``), in run order whatever the backend and timing."""
    frame = pd.read_parquet(Path(out) / table)
    keys = ["run_id", "day"] if table == "curves" else ["run_id"]
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)


# --- backends ---------------------------------------------------------------------------------


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _stream(batches: Iterator[Batch], submit, wait_any, window: int, handle) -> None:
    """Keep at most ``window`` batches in flight; hand each finished one to ``handle``."""
    pending = {submit(b) for b in itertools.islice(batches, window)}
    while pending:
        done, pending = wait_any(pending)
        pending = set(pending)
        for future in done:
            handle(future.result())
            following = next(batches, None)
            if following is not None:
                pending.add(submit(following))


def _on_processes(batches: Iterator[Batch], workers: int, handle) -> None:
    import multiprocessing as mp
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    context = mp.get_context("forkserver")  # no fork of a threaded parent; workers start warm
    context.set_forkserver_preload(["sim.experiments.runs"])
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    try:
        wait_any = lambda fs: wait(fs, return_when=FIRST_COMPLETED)  # noqa: E731
        _stream(batches, lambda b: pool.submit(run_batch, b), wait_any, 2 * workers, handle)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _version() -> str:
    from sim import __version__ as version

    return version


@contextmanager
def dask_client(scheduler: str):
    """A client of a running Dask cluster whose workers run this very version of wom."""
    from distributed import Client

    if not scheduler.startswith(("tcp://", "tls://", "inproc://")):
        raise InputError("--scheduler", "scheduler", scheduler, "must be an address like tcp://HOST:PORT")
    try:
        client = Client(scheduler, timeout="10s", set_as_default=False)
    except (OSError, TimeoutError):
        raise InputError("--scheduler", "scheduler", scheduler, "no Dask scheduler answered there in 10 s") from None
    try:
        try:
            client.wait_for_workers(1, timeout=30)
        except TimeoutError:
            raise InputError(
                "--scheduler", "scheduler", scheduler, "the cluster has no workers (waited 30 s)"
            ) from None
        versions = set(client.run(_version).values())
        if versions != {__version__}:
            raise InputError(
                "--scheduler", "scheduler", scheduler, f"workers run wom {sorted(versions)}, this is {__version__}"
            )
        yield client
    finally:
        client.close()


def _on_dask(batches: Iterator[Batch], client, handle) -> None:
    from distributed import as_completed

    window = 2 * max(1, sum(client.nthreads().values()))
    with client.as_current():
        queue = as_completed([client.submit(run_batch, b, pure=False) for b in itertools.islice(batches, window)])
        for future in queue:
            handle(future.result())
            following = next(batches, None)
            if following is not None:
                queue.add(client.submit(run_batch, following, pure=False))


def execute(
    plan: Plan,
    out: Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
) -> tuple[int, int]:
    """Run every unfinished batch of ``plan`` into ``out``; returns (runs found done, runs computed)."""
    out = Path(out)
    with ExitStack() as stack:
        client = stack.enter_context(dask_client(scheduler)) if scheduler else None
        _claim(out, plan)
        for leftover in [*out.glob("runs/.part-*"), *out.glob("curves/.part-*")]:
            leftover.unlink()  # a part being written when a previous run was killed
        done = finished_batches(out)
        todo = [b for b in range(plan.n_batches) if b not in done]
        already = plan.runs - sum(plan.batch_size(b) for b in todo)
        workers = min(workers or default_workers(), max(1, len(todo)))
        bar = stack.enter_context(
            tqdm(total=plan.runs, initial=already, desc=plan.name, unit="run", disable=not progress, smoothing=0.05)
        )

        def handle(result: BatchResult) -> None:
            if result.error:
                raise InputError(*result.error)
            _write(out, result)
            bar.update(len(result.runs))

        if not todo:
            return already, 0
        batches = (plan.batch(b) for b in todo)
        if client is not None:
            _on_dask(batches, client, handle)
        elif workers == 1:
            for batch in batches:
                handle(run_batch(batch))
        else:
            _on_processes(batches, workers, handle)
    return already, plan.runs - already


@dataclass
class Stored:
    """What an executed plan left on disk, read back in run order."""

    runs: pd.DataFrame
    curves: pd.DataFrame | None
    resumed_runs: int
    computed_runs: int
    out: Path | None


def run_plan(plan: Plan, out: str | Path | None, *, workers, scheduler, progress) -> Stored:
    """Execute into ``out`` (a temporary folder when None) and read the rows back."""
    if out is None:
        with tempfile.TemporaryDirectory(prefix="wom-") as tmp:
            stored = run_plan(plan, tmp, workers=workers, scheduler=scheduler, progress=progress)
        stored.out = None
        return stored
    out = Path(out)
    resumed, computed = execute(plan, out, workers=workers, scheduler=scheduler, progress=progress)
    curves = read_runs(out, "curves") if plan.curves else None
    return Stored(read_runs(out), curves, resumed, computed, out)


# --- shared by wom compare and wom sweep ------------------------------------------------------


def valid_splits(exp: Experiment) -> list[dict[str, float]]:
    """The split grid's splits, each checked against the scenario (known tiers, affordable posts)."""
    grid, base, src = exp.spec.split_grid, exp.scenario, exp.source
    names = base.tiers.names
    for tier in grid.tiers:
        if tier not in names:
            raise InputError(src, "experiment.split_grid.tiers", tier, did_you_mean(tier, names, "a tier"))
    try:
        splits = ds.split_grid(grid.tiers, grid.step)
    except ValueError as err:
        raise InputError(src, "experiment.split_grid.step", grid.step, str(err)) from None
    for split in splits:
        try:
            base.with_overrides({"budget.split": split}, src)
        except InputError as err:
            raise InputError(src, "experiment.split_grid", split, f"{err.key}: {err.allowed}") from None
    return splits


def fmt_number(v: float) -> str:
    """Thousands with separators, small numbers with three significant digits."""
    if not np.isfinite(v):
        return "n/a"
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:,.3g}"


# --- figures ----------------------------------------------------------------------------------


def save_figure(fig, path: Path) -> Path:
    """Save a matplotlib figure atomically as PNG and free it."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=120))
    plt.close(fig)
    return path


def pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def label(metric: str) -> str:
    return f"{metric.replace('_', ' ')} ({KPI_UNITS.get(metric, '')})"


__all__ = [
    "Experiment",
    "ExperimentSpec",
    "execute",
    "experiment_from_dict",
    "load_experiment",
    "read_runs",
    "run_batch",
]
