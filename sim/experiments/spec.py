"""The experiment file: a scenario plus an ``[experiment]`` table, validated, and its guards.

Everything here runs before any world is built: the table's schema, the split grid's splits,
and two size guards counted arithmetically, so a design that could never finish (or never fit
in memory) is one line instead of a machine that stops answering.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sim.core import limits
from sim.core.errors import InputError, did_you_mean
from sim.core.files import check_name
from sim.core.scenario import EXPERIMENT_TABLE, Scenario, read_scenario_data, scenario_from_dict
from sim.experiments import designs as ds
from sim.reporting.metrics import KPI_UNITS

LOWER_IS_BETTER = {"cpa", "attributed_cpa", "cpe", "cpm"}
MAX_POINTS = 100_000  # points (variants or parameter sets) of one design: its table lives in memory


class SplitGrid(BaseModel):
    """Budget splits over some tiers: every share a multiple of ``step``, shares summing to 1."""

    model_config = ConfigDict(extra="forbid")

    tiers: list[str] = Field(min_length=2, max_length=20)
    step: ds.Number = Field(gt=0, le=0.5)


class ExperimentSpec(BaseModel):
    """The ``[experiment]`` table: what ``wom compare`` and ``wom sweep`` vary and report."""

    model_config = ConfigDict(extra="forbid")

    design: Literal["grid", "random", "lhs", "sobol"] = "grid"
    parameters: dict[str, ds.Parameter] = Field(default_factory=dict)
    samples: ds.Count | None = Field(None, ge=1, le=MAX_POINTS, description="points (random, lhs); base N (sobol)")
    sample_seed: ds.Count | None = Field(None, ge=0, lt=2**63, description="seed of the design's sampler [seed]")
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


def lookup(data: dict, dotted: str) -> Any:
    """The value at a dotted key path of nested dicts, or None."""
    for part in dotted.split("."):
        data = data.get(part) if isinstance(data, dict) else None
    return data


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
    check_name(scenario.name, source, "name")  # it names the default output folder
    for name in scenario.variants:
        check_name(name, source, "variants")
        scenario.variant(name, source)  # every variant must validate too
    try:
        spec = ExperimentSpec.model_validate(table)
    except ValidationError as exc:
        raise _spec_error(source, exc.errors()[0]) from None
    return Experiment(scenario, spec, source)


def load_experiment(path: str | Path) -> Experiment:
    """Read an experiment file: a scenario TOML with an optional ``[experiment]`` table."""
    return experiment_from_dict(read_scenario_data(path), Path(path).name)


def as_experiment(experiment: Experiment | Scenario | str | Path) -> Experiment:
    """The one entry of ``compare`` and ``sweep``: a file, a scenario (its variants, no design) or
    an experiment."""
    if isinstance(experiment, Experiment):
        return experiment
    if isinstance(experiment, Scenario):
        source = "<scenario>"
        check_name(experiment.name, source, "name")
        for name in experiment.variants:
            check_name(name, source, "variants")
        return Experiment(experiment, ExperimentSpec(), source)
    return load_experiment(experiment)


# --- guards, counted before anything is built --------------------------------------------------


def check_points(exp: Experiment, points: int, key: str, hint: str) -> int:
    """Refuse a design of more than ``MAX_POINTS`` points (its table would not fit, nor finish)."""
    if points > MAX_POINTS:
        raise InputError(exp.source, key, f"{points:,} points", f"a design may have at most {MAX_POINTS:,}; {hint}")
    return points


def split_count(exp: Experiment) -> int:
    """Splits of the split grid (0 without one), counted without building them."""
    grid = exp.spec.split_grid
    if grid is None:
        return 0
    try:
        n = ds.split_grid_size(len(grid.tiers), grid.step)
    except ValueError as err:
        raise InputError(exp.source, "experiment.split_grid.step", grid.step, str(err)) from None
    return check_points(exp, n, "experiment.split_grid", "use a larger step or fewer tiers")


def split_scenarios(exp: Experiment) -> list[tuple[dict[str, float], Scenario]]:
    """The split grid's splits, each with its scenario (so checked: known tiers, affordable posts)."""
    grid, base, src = exp.spec.split_grid, exp.scenario, exp.source
    names = base.tiers.names
    for tier in grid.tiers:
        if tier not in names:
            raise InputError(src, "experiment.split_grid.tiers", tier, did_you_mean(tier, names, "a tier"))
    split_count(exp)
    found = []
    for split in ds.split_grid(grid.tiers, grid.step):
        try:
            found.append((split, base.with_overrides({"budget.split": split}, src)))
        except InputError as err:
            raise InputError(src, "experiment.split_grid", split, f"{err.key}: {err.allowed}") from None
    return found


def _largest(exp: Experiment, scenarios: Iterable[Scenario], key: str) -> float:
    """The largest value ``key`` takes anywhere in the design (variants and parameters)."""
    values = [lookup(sc.resolved(), key) for sc in scenarios]
    p = exp.spec.parameters.get(key)
    if p is not None:
        values += p.levels if p.levels is not None else [p.max]
    return max(float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool))


def check_work(exp: Experiment, points: int, replications: int, scenarios: Iterable[Scenario]) -> float:
    """Refuse an experiment whose total work exceeds the limit of ``sim.core.limits``.

    Every run is priced as the largest one in the design (swept consumers, degree and days at
    their maximum; a complete graph is a mean field, priced without ties): an upper bound, so
    never too lenient.
    """
    scenarios = list(scenarios)
    consumers = _largest(exp, scenarios, "market.consumers")
    days = _largest(exp, scenarios, "market.days")
    kinds = {sc.network.kind for sc in scenarios}
    kinds |= set((exp.spec.parameters.get("network.kind") or ds.Parameter(levels=["niches"])).levels or [])
    ties = 0.0 if kinds <= {"complete", "file"} else _largest(exp, scenarios, "network.mean_degree")
    work = points * replications * limits.day_units(consumers, ties, days)
    limits.refuse_work(work, exp.source, f"{points:,} points x {replications:,} replications")
    return work
