"""Experiments: many runs of one scenario, streamed to disk, resumable, on any backend.

An experiment file is a scenario TOML plus an ``[experiment]`` table. Its runs form a plan:
points (a variant, or one set of parameter values) times replications. Runs are cut into
batches of consecutive runs; each batch is a pure function of its points and replication
numbers, so it gives the same numbers in this process, in a pool of local processes or on a
Dask cluster. Each finished batch becomes one Parquet part file, written atomically; a re-run
skips every batch whose part exists, so a killed experiment resumes where it stopped.
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import json
import math
import os
import tempfile
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from tqdm.auto import tqdm

from . import __version__
from . import designs as ds
from .errors import InputError
from .metrics import KPI_UNITS, ci95_halfwidth
from .outputs import atomic_write, resolved_toml
from .runner import run_replication
from .scenario import EXPERIMENT_TABLE, Scenario, read_scenario_data, scenario_from_dict
from .world import World

ID_COLUMNS = ["run_id", "point", "replication", "seed", "scenario_hash", "version"]
LOWER_IS_BETTER = {"cpa", "attributed_cpa", "cpe", "cpm"}
NOT_SWEPT = {"name", "description", "seed", "replications", "variants"}
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


def did_you_mean(key: str, allowed: list[str], what: str) -> str:
    options = difflib.get_close_matches(key, allowed, n=1, cutoff=0.5)
    hint = f"; did you mean {options[0]!r}?" if options else ""
    return f"not {what}{hint} (allowed: {', '.join(allowed)})"


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
    context.set_forkserver_preload(["sim.experiment"])
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    try:
        wait_any = lambda fs: wait(fs, return_when=FIRST_COMPLETED)  # noqa: E731
        _stream(batches, lambda b: pool.submit(run_batch, b), wait_any, 2 * workers, handle)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _version() -> str:
    from . import __version__ as version

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

        batches = (plan.batch(b) for b in todo)
        if not todo:
            pass
        elif client is not None:
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


# --- sweeps -----------------------------------------------------------------------------------


def _lookup(data: dict, dotted: str) -> Any:
    for part in dotted.split("."):
        data = data.get(part) if isinstance(data, dict) else None
    return data


def _cast(base: Any, value: Any, from_range: bool) -> Any:
    """Values as the scenario stores them, so every part file has the same column types."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(base, bool) or isinstance(value, bool | str):
        return value
    if isinstance(base, int) and from_range:
        return int(round(value))
    if isinstance(base, float) and isinstance(value, int):
        return float(value)
    return value


def _check_parameters(exp: Experiment) -> None:
    """Key paths exist and each parameter's extreme values validate (one clear line if not)."""
    spec, base, src = exp.spec, exp.scenario, exp.source
    resolved = base.resolved()
    for key, p in spec.parameters.items():
        where = f"experiment.parameters.{key}"
        shown = p.model_dump(exclude_none=True, exclude_defaults=True)
        if key.split(".")[0] in NOT_SWEPT:
            raise InputError(src, where, shown, f"{key.split('.')[0]!r} cannot be swept; replications vary the seed")
        if key.startswith("budget.split"):
            raise InputError(
                src,
                where,
                shown,
                "budget shares must sum to 1, so one share cannot be swept alone; "
                "sweep shares with [experiment.split_grid] (tiers, step) instead",
            )
        if spec.design == "sobol" and not p.bounded:
            raise InputError(src, where, shown, "design 'sobol' needs bounds (min and max) for every parameter")
        if p.steps is not None and spec.design != "grid":
            raise InputError(src, where, shown, f"steps apply to design 'grid' only, not {spec.design!r}")
        if spec.design == "grid" and p.bounded and p.steps is None:
            raise InputError(src, where, shown, "design 'grid' needs steps (or levels) for a range")
        probes = p.levels if p.levels is not None else [p.min, p.max]
        for value in probes:
            value = _cast(_lookup(resolved, key), value, p.bounded)
            try:
                base.with_overrides({key: value}, src)
            except InputError as err:
                bad_path = err.allowed.startswith("no such key path")
                raise InputError(src, where, shown if bad_path else value, err.allowed) from None


def design_points(exp: Experiment) -> pd.DataFrame:
    """The sweep's points: the design's parameter values, crossed with the split grid if any."""
    spec, base, src = exp.spec, exp.scenario, exp.source
    if not spec.parameters and spec.split_grid is None:
        raise InputError(src, "experiment.parameters", {}, "nothing to sweep: add [experiment.parameters]")
    _check_parameters(exp)
    needs_samples = spec.design != "grid"
    if needs_samples and spec.samples is None:
        raise InputError(src, "experiment.samples", None, f"design {spec.design!r} needs samples = <number of points>")
    if not needs_samples and spec.samples is not None:
        raise InputError(src, "experiment.samples", spec.samples, "design 'grid' takes no samples (use steps)")
    if spec.design == "sobol" and spec.samples & (spec.samples - 1):
        raise InputError(src, "experiment.samples", spec.samples, "design 'sobol' needs a power of 2 (e.g. 64)")
    if spec.split_grid is not None and spec.design != "grid":
        raise InputError(src, "experiment.split_grid", spec.split_grid.model_dump(), "crosses with design 'grid' only")
    seed = base.seed if spec.sample_seed is None else spec.sample_seed
    params = spec.parameters
    if not params:
        frame = pd.DataFrame(index=range(1))
    elif spec.design == "grid":
        frame = ds.grid(params)
    else:
        sampler = {"random": ds.random, "lhs": ds.latin_hypercube, "sobol": ds.sobol}[spec.design]
        frame = sampler(params, spec.samples, seed)
    resolved = base.resolved()
    for key, p in params.items():
        frame[key] = [_cast(_lookup(resolved, key), v, p.bounded) for v in frame[key]]
    if spec.split_grid is not None:
        splits = pd.DataFrame([{f"budget.split.{t}": s for t, s in split.items()} for split in valid_splits(exp)])
        frame = frame.merge(splits, how="cross")
    return frame


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


def _split_overrides(row: dict) -> dict:
    split = {k.removeprefix("budget.split."): v for k, v in row.items() if k.startswith("budget.split.")}
    rest = {k: v for k, v in row.items() if not k.startswith("budget.split.")}
    return {**rest, "budget.split": split} if split else rest


def sweep_plan(exp: Experiment) -> tuple[Plan, pd.DataFrame]:
    """The plan of a sweep and its points frame (point index = row number)."""
    points = design_points(exp)
    base = exp.scenario.model_copy(update={"variants": {}})
    columns = list(points.columns)
    values = points.to_numpy(dtype=object)

    def point(i: int) -> Point:
        labels = {c: v.item() if isinstance(v, np.generic) else v for c, v in zip(columns, values[i], strict=True)}
        return Point(base, _split_overrides(labels), labels)

    identity = {
        "kind": "sweep",
        "scenario_hash": base.content_hash(),
        "seed": base.seed,
        "replications": base.replications,
        "spec": exp.spec.model_dump(mode="json", exclude={"reference", "metric", "include_base", "metrics"}),
    }
    plan = Plan("sweep", base.name, exp.source, base.replications, len(points), point, identity, base)
    return plan, points


def point_summary(runs: pd.DataFrame, factors: list[str], metrics: list[str]) -> pd.DataFrame:
    """Per point: its parameter values, replications, and mean with 95% CI of each metric."""
    g = runs.groupby("point", sort=True)
    out = g[factors].first() if factors else pd.DataFrame(index=g.size().index)
    out["replications"] = g.size()
    for m in metrics:
        mean, sd, n = g[m].mean(), g[m].std(ddof=1), g[m].count()
        half = ci95_halfwidth(sd, n)
        out[m] = mean
        out[f"{m}_ci95_low"], out[f"{m}_ci95_high"] = mean - half, mean + half
    return out.reset_index()


@dataclass
class SweepResult:
    """A sweep's rows (one per run), its points (one per parameter set) and Sobol indices."""

    runs: pd.DataFrame
    points: pd.DataFrame
    indices: pd.DataFrame | None
    design: str
    factors: list[str]
    metrics: list[str]
    resumed_runs: int = 0
    computed_runs: int = 0
    out: Path | None = None
    figures: dict[str, Path] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def sweep(
    experiment: Experiment | str | Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    out: str | Path | None = None,
    progress: bool = True,
) -> SweepResult:
    """Run a parameter sweep (grid, random, Latin hypercube or Sobol) and summarise it.

    Every point runs the scenario's ``replications`` on the same seeds. With ``out`` the rows
    stream to ``out/runs/`` and a repeated call resumes; without, a temporary folder is used.
    """
    exp = as_experiment(experiment)
    plan, points = sweep_plan(exp)
    stored = run_plan(plan, out, workers=workers, scheduler=scheduler, progress=progress)
    spec, factors = exp.spec, list(points.columns)
    summary = point_summary(stored.runs, factors, spec.metrics)
    result = SweepResult(
        stored.runs, summary, None, spec.design, factors, spec.metrics, stored.resumed_runs, stored.computed_runs
    )
    if spec.design == "sobol":
        result.indices, result.notes = _sobol_table(exp, summary)
    if stored.out is not None:
        result.out = stored.out
        _write_sweep(result)
    return result


def _sobol_table(exp: Experiment, summary: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    seed = exp.scenario.seed if exp.spec.sample_seed is None else exp.spec.sample_seed
    frames, notes = [], []
    for m in exp.spec.metrics:
        y = summary[m].to_numpy(dtype=float)
        if not np.isfinite(y).all():
            notes.append(f"{m}: left out of the Sobol analysis (undefined at some points, e.g. no spend)")
            continue
        frames.append(ds.sobol_indices(exp.spec.parameters, y, seed).assign(metric=m))
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return table[["metric", *[c for c in table.columns if c != "metric"]]] if frames else table, notes


def _write_sweep(result: SweepResult) -> None:
    out = result.out
    atomic_write(out / "points.csv", lambda tmp: result.points.to_csv(tmp, index=False))
    if result.indices is not None and len(result.indices):
        atomic_write(out / "sobol.csv", lambda tmp: result.indices.to_csv(tmp, index=False))
        result.figures["sobol"] = sobol_figure(result.indices, out / "figures" / "sobol.png")
    if result.factors:
        result.figures["sweep"] = sweep_figure(result, out / "figures" / "sweep.png")


def sweep_text(result: SweepResult) -> str:
    """What ``wom sweep`` prints: the best points per metric and, for Sobol, the indices."""
    lines = []
    for m in result.metrics:
        best = result.points.sort_values(m, ascending=m in LOWER_IS_BETTER).head(1)
        if best.empty or pd.isna(best[m].iloc[0]):
            continue
        row = best.iloc[0]
        where = ", ".join(f"{f}={_fmt(row[f])}" for f in result.factors)
        lines.append(
            f"best {m}: {fmt_number(row[m])} [95% CI {fmt_number(row[f'{m}_ci95_low'])}, "
            f"{fmt_number(row[f'{m}_ci95_high'])}] {KPI_UNITS[m]} at {where}"
        )
    if result.indices is not None and len(result.indices):
        lines.append("\nSobol indices (first order S1, total order ST, +- 95% half-width):")
        for m, g in result.indices.groupby("metric", sort=False):
            lines.append(f"  {m}")
            for _, r in g.iterrows():
                lines.append(
                    f"    {r['parameter']:32} S1 {r['S1']:+.3f} +- {r['S1_conf']:.3f}   ST {r['ST']:+.3f} +- {r['ST_conf']:.3f}"
                )
    lines.extend(result.notes)
    return "\n".join(lines)


def _fmt(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def fmt_number(v: float) -> str:
    """Thousands with separators, small numbers with three significant digits."""
    if not np.isfinite(v):
        return "n/a"
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:,.3g}"


def sweep_main(file: Path, workers: int | None, scheduler: str | None, out: Path | None) -> SweepResult:
    """``wom sweep FILE``: run, write, print; bad input raises ``InputError`` before any run."""
    import time

    import typer

    exp = load_experiment(file)
    target = Path(out) if out else Path("results") / f"{exp.scenario.name}-sweep"
    started = time.perf_counter()
    result = sweep(exp, workers=workers, scheduler=scheduler, out=target)
    seconds = time.perf_counter() - started
    n_points = len(result.points)
    typer.echo(
        f"\n{exp.scenario.name}: {result.design} design, {n_points} points x {exp.scenario.replications} "
        f"replications = {len(result.runs)} runs (seed {exp.scenario.seed}); {result.computed_runs} computed, "
        f"{result.resumed_runs} found done, {seconds:.1f} s"
    )
    typer.echo(sweep_text(result))
    files = ["runs/", "points.csv", *(["sobol.csv"] if result.indices is not None else []), "figures/"]
    typer.echo(f"\nwrote {target}/ ({', '.join(files)})")
    return result


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


def sobol_figure(indices: pd.DataFrame, path: Path) -> Path:
    """First- and total-order indices per parameter, one panel per metric."""
    plt = pyplot()
    metrics = list(dict.fromkeys(indices["metric"]))
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.5 * len(metrics) + 1, 4.2), squeeze=False)
    for ax, m in zip(axes[0], metrics, strict=True):
        g = indices[indices["metric"] == m]
        x = np.arange(len(g))
        ax.bar(x - 0.2, g["S1"], 0.4, yerr=g["S1_conf"], capsize=3, label="first order S1")
        ax.bar(x + 0.2, g["ST"], 0.4, yerr=g["ST_conf"], capsize=3, label="total order ST")
        ax.set_xticks(x, g["parameter"], rotation=30, ha="right", fontsize=8)
        top = max(1.05, float((g[["S1", "ST"]].to_numpy() + g[["S1_conf", "ST_conf"]].to_numpy()).max()) + 0.05)
        ax.set(title=f"Sobol indices: {m.replace('_', ' ')}", ylabel="share of output variance", ylim=(-0.1, top))
        ax.axhline(0, color="black", lw=0.5)
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize=8)
    return save_figure(fig, path)


def sweep_figure(result: SweepResult, path: Path) -> Path:
    """Each metric's point means against each parameter (rows: metrics, columns: parameters)."""
    plt = pyplot()
    factors, metrics = result.factors[:6], result.metrics[:4]
    fig, axes = plt.subplots(
        len(metrics), len(factors), figsize=(3.6 * len(factors) + 0.5, 3.0 * len(metrics) + 0.5), squeeze=False
    )
    pts = result.points
    for i, m in enumerate(metrics):
        for j, f in enumerate(factors):
            ax = axes[i][j]
            x = pts[f]
            if not pd.api.types.is_numeric_dtype(x) or pd.api.types.is_bool_dtype(x):
                cats = list(dict.fromkeys(x.astype(str)))
                ax.set_xticks(range(len(cats)), cats, rotation=20, fontsize=8)
                x = x.astype(str).map({c: k for k, c in enumerate(cats)})
            err = [pts[m] - pts[f"{m}_ci95_low"], pts[f"{m}_ci95_high"] - pts[m]]
            show_err = result.design == "grid" and pts["replications"].min() > 1
            ax.errorbar(x, pts[m], yerr=err if show_err else None, fmt="o", ms=3, alpha=0.6, capsize=2)
            ax.set(xlabel=f, ylabel=label(m) if j == 0 else "")
            ax.grid(alpha=0.3)
    fig.suptitle(
        f"Sweep ({result.design}): mean over replications per point"
        + (" with 95% CI" if result.design == "grid" else "")
    )
    return save_figure(fig, path)


__all__ = [
    "Experiment",
    "ExperimentSpec",
    "SweepResult",
    "execute",
    "experiment_from_dict",
    "load_experiment",
    "read_runs",
    "run_batch",
    "sweep",
]
