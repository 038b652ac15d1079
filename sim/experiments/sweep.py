"""wom sweep: parameter designs (grid, random, Latin hypercube, Sobol) run through the
experiment layer, summarised per point, with Sobol indices and figures."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.core.errors import InputError
from sim.core.files import atomic_write
from sim.core.scenario import Scenario
from sim.experiments import designs as ds
from sim.experiments import spec
from sim.experiments.backends import run_plan
from sim.experiments.figures import fmt_number, label, pyplot, save_figure
from sim.experiments.plan import Plan, Point
from sim.inference.draws import interval_note
from sim.reporting.intervals import INTERVALS_NOTE
from sim.reporting.metrics import KPI_UNITS, kpi_interval

NOT_SWEPT = {"name", "description", "seed", "replications", "variants"}


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


def _check_parameters(exp: spec.Experiment) -> None:
    """Key paths exist and each parameter's extreme values validate (one clear line if not)."""
    settings, base, src = exp.spec, exp.scenario, exp.source
    resolved = base.resolved()
    for key, p in settings.parameters.items():
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
        if settings.design == "sobol" and not p.bounded:
            raise InputError(src, where, shown, "design 'sobol' needs bounds (min and max) for every parameter")
        if p.steps is not None and settings.design != "grid":
            raise InputError(src, where, shown, f"steps apply to design 'grid' only, not {settings.design!r}")
        if settings.design == "grid" and p.bounded and p.steps is None:
            raise InputError(src, where, shown, "design 'grid' needs steps (or levels) for a range")
        probes = p.levels if p.levels is not None else [p.min, p.max]
        current = spec.lookup(resolved, key)
        for value in probes:
            if isinstance(value, bool) != isinstance(current, bool) and current is not None:
                allowed = (
                    "must be true or false" if isinstance(current, bool) else "must be a number, not true or false"
                )
                raise InputError(src, where, value, allowed)
            value = _cast(current, value, p.bounded)
            try:
                base.with_overrides({key: value}, src)
            except InputError as err:
                bad_path = err.allowed.startswith("no such key path")
                raise InputError(src, where, shown if bad_path else value, err.allowed) from None


def design_points(exp: spec.Experiment) -> pd.DataFrame:
    """The sweep's points: the design's parameter values, crossed with the split grid if any."""
    settings, base, src = exp.spec, exp.scenario, exp.source
    if not settings.parameters and settings.split_grid is None:
        raise InputError(src, "experiment.parameters", {}, "nothing to sweep: add [experiment.parameters]")
    params = settings.parameters
    size = {"grid": ds.grid_size(params), "sobol": (settings.samples or 0) * (len(params) + 2)}
    n = size.get(settings.design, settings.samples or 0) if params else 1
    hint = "use fewer steps or levels, or design 'lhs' with fewer samples"
    spec.check_points(exp, n * max(1, spec.split_count(exp)), "experiment.parameters", hint)  # before building anything
    _check_parameters(exp)
    needs_samples = settings.design != "grid"
    if needs_samples and settings.samples is None:
        raise InputError(
            src, "experiment.samples", None, f"design {settings.design!r} needs samples = <number of points>"
        )
    if not needs_samples and settings.samples is not None:
        raise InputError(src, "experiment.samples", settings.samples, "design 'grid' takes no samples (use steps)")
    if settings.design == "sobol" and settings.samples & (settings.samples - 1):
        raise InputError(src, "experiment.samples", settings.samples, "design 'sobol' needs a power of 2 (e.g. 64)")
    if settings.split_grid is not None and settings.design != "grid":
        raise InputError(
            src, "experiment.split_grid", settings.split_grid.model_dump(), "crosses with design 'grid' only"
        )
    seed = base.seed if settings.sample_seed is None else settings.sample_seed
    if not params:
        frame = pd.DataFrame(index=range(1))
    elif settings.design == "grid":
        frame = ds.grid(params)
    else:
        sampler = {"random": ds.random, "lhs": ds.latin_hypercube, "sobol": ds.sobol}[settings.design]
        frame = sampler(params, settings.samples, seed)
    resolved = base.resolved()
    for key, p in params.items():
        frame[key] = [_cast(spec.lookup(resolved, key), v, p.bounded) for v in frame[key]]
    if settings.split_grid is not None:
        splits = pd.DataFrame(
            [{f"budget.split.{t}": s for t, s in split.items()} for split, _ in spec.split_scenarios(exp)]
        )
        frame = frame.merge(splits, how="cross")
    return frame


def _split_overrides(row: dict) -> dict:
    split = {k.removeprefix("budget.split."): v for k, v in row.items() if k.startswith("budget.split.")}
    rest = {k: v for k, v in row.items() if not k.startswith("budget.split.")}
    return {**rest, "budget.split": split} if split else rest


def sweep_plan(exp: spec.Experiment) -> tuple[Plan, pd.DataFrame]:
    """The plan of a sweep and its points frame (point index = row number)."""
    points = design_points(exp)
    spec.check_work(exp, len(points), exp.scenario.replications, [exp.scenario])
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
    """Per point: its parameter values, replications, and each metric's estimate with its 95% CI
    (``sim.reporting.metrics.kpi_interval``: counts clipped at 0, ratios as ratios of totals)."""
    g = runs.groupby("point", sort=True)
    out = g[factors].first() if factors else pd.DataFrame(index=g.size().index)
    out["replications"] = g.size()
    for m in metrics:
        found = [kpi_interval(sub, m) for _, sub in g]
        out[m] = [iv.estimate for iv in found]
        out[f"{m}_ci95_low"] = [iv.low for iv in found]
        out[f"{m}_ci95_high"] = [iv.high for iv in found]
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
    notices: list[str] = field(default_factory=list)
    covers: str = ""  # what the intervals cover, in words (sim.inference.draws.interval_note)


def sweep(
    experiment: spec.Experiment | Scenario | str | Path,
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
    exp = spec.as_experiment(experiment)
    plan, points = sweep_plan(exp)
    settings, factors = exp.spec, list(points.columns)
    with run_plan(plan, out, workers=workers, scheduler=scheduler, progress=progress) as stored:
        summary = point_summary(stored.runs, factors, settings.metrics)
        result = SweepResult(
            stored.runs,
            summary,
            None,
            settings.design,
            factors,
            settings.metrics,
            stored.resumed_runs,
            stored.computed_runs,
        )
        result.notices = stored.notices
        result.covers = interval_note(exp.scenario)
        if settings.design == "sobol":
            result.indices, result.notes = _sobol_table(exp, summary)
        if stored.out is not None:
            result.out = stored.out
            _write_sweep(result)  # while the folder is still locked
    return result


def _sobol_table(exp: spec.Experiment, summary: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
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
        best = result.points.sort_values(m, ascending=m in spec.LOWER_IS_BETTER).head(1)
        if best.empty or pd.isna(best[m].iloc[0]):
            continue
        row = best.iloc[0]
        where = ", ".join(f"{f}={fmt_number(row[f])}" for f in result.factors)
        low, high = (row[f"{m}_ci95_{end}"] for end in ("low", "high"))
        ends = ["unbounded" if np.isinf(v) else fmt_number(v) for v in (low, high)]
        lines.append(f"best {m}: {fmt_number(row[m])} [95% CI {ends[0]}, {ends[1]}] {KPI_UNITS[m]} at {where}")
    if result.indices is not None and len(result.indices):
        lines.append("\nSobol indices (first order S1, total order ST, +- 95% half-width):")
        for m, g in result.indices.groupby("metric", sort=False):
            lines.append(f"  {m}")
            for _, r in g.iterrows():
                lines.append(
                    f"    {r['parameter']:32} S1 {r['S1']:+.3f} +- {r['S1_conf']:.3f}   ST {r['ST']:+.3f} +- {r['ST_conf']:.3f}"
                )
    lines.extend(result.notes)
    if result.covers:
        lines += ["", *textwrap.wrap(f"{result.covers} {INTERVALS_NOTE}", 110)]
    return "\n".join(lines)


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
    """Each metric's point estimates against each parameter (rows: metrics, columns: parameters)."""
    return save_figure(sweep_drawing(result), path)


def sweep_drawing(result: SweepResult):
    """The sweep figure, drawn: its title wrapped to the figure's width (one parameter makes a
    narrow figure) and kept inside it."""
    plt = pyplot()
    factors, metrics = result.factors[:6], result.metrics[:4]
    width = max(5.0, 3.6 * len(factors) + 0.5)
    fig, axes = plt.subplots(len(metrics), len(factors), figsize=(width, 3.0 * len(metrics) + 0.8), squeeze=False)
    pts = result.points
    for i, m in enumerate(metrics):
        for j, f in enumerate(factors):
            ax = axes[i][j]
            x = pts[f]
            if not pd.api.types.is_numeric_dtype(x) or pd.api.types.is_bool_dtype(x):
                cats = list(dict.fromkeys(x.astype(str)))
                ax.set_xticks(range(len(cats)), cats, rotation=20, fontsize=8)
                x = x.astype(str).map({c: k for k, c in enumerate(cats)})
            err = np.nan_to_num([pts[m] - pts[f"{m}_ci95_low"], pts[f"{m}_ci95_high"] - pts[m]], posinf=0, neginf=0)
            show_err = result.design == "grid" and pts["replications"].min() > 1
            ax.errorbar(x, pts[m], yerr=err if show_err else None, fmt="o", ms=3, alpha=0.6, capsize=2)
            ax.set(xlabel=f, ylabel=label(m) if j == 0 else "")
            ax.grid(alpha=0.3)
    title = f"Sweep ({result.design}): estimate per point" + (" with 95% CI" if result.design == "grid" else "")
    fig.suptitle("\n".join(textwrap.wrap(title, int(width * 72 / 7))), fontsize=11)
    fig.tight_layout()
    return fig


__all__ = ["SweepResult", "design_points", "sweep", "sweep_plan"]
