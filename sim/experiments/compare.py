"""Comparing variants of a scenario on common random numbers: is the best split really better?

Every variant runs the same replications (same seed, same replication numbers), so replication
r of two variants shares its consumers, its graph and its daily random draws; the difference
between them is the effect of the variant alone. Intervals of those paired differences are much
narrower than intervals of the two means, which is what makes small differences visible.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.core.errors import InputError, did_you_mean
from sim.core.files import atomic_write, atomic_write_text
from sim.core.scenario import Scenario, scenario_from_dict
from sim.experiments.backends import run_plan
from sim.experiments.figures import fmt_number, label, pyplot, save_figure
from sim.experiments.plan import Plan, Point
from sim.experiments.spec import (
    LOWER_IS_BETTER,
    Experiment,
    as_experiment,
    check_points,
    check_work,
    lookup,
    split_count,
    split_scenarios,
)
from sim.reporting.metrics import KPI_UNITS, summarize

TABLE_METRICS = ["incremental_adopters", "incremental_revenue", "roi", "cpa"]


def split_name(split: dict[str, float]) -> str:
    """``{"micro": 0.3, "macro": 0.7}`` -> ``"micro30_macro70"`` (shares in percent)."""
    return "_".join(f"{tier}{share * 100:g}" for tier, share in split.items())


def _flat_keys(tree: dict, prefix: str = "") -> list[str]:
    keys = []
    for k, v in tree.items():
        if isinstance(v, dict) and v:
            keys.extend(_flat_keys(v, f"{prefix}{k}."))
        else:
            keys.append(f"{prefix}{k}")
    return keys


def variants(exp: Experiment) -> list[tuple[str, Scenario]]:
    """The variants to compare: named ``[variants.NAME]`` tables, then the split grid."""
    base, src = exp.scenario, exp.source
    count = exp.spec.include_base + len(base.variants) + split_count(exp)
    check_points(exp, count, "variants", "compare fewer variants (a larger split_grid step)")
    found = [("base", base)] if exp.spec.include_base else []
    found += [(name, base.variant(name, src)) for name in base.variants]
    if exp.spec.split_grid is not None:
        found += [(split_name(split), scenario) for split, scenario in split_scenarios(exp)]
    if len(found) < 2:
        raise InputError(
            src,
            "variants",
            [n for n, _ in found],
            "nothing to compare: add [variants.NAME] tables or [experiment.split_grid] (two variants at least)",
        )
    return found


def compare_plan(exp: Experiment, replications: int | None = None) -> tuple[Plan, list[str]]:
    """One point per variant; all run replications 0..R-1 of the base seed (common random numbers)."""
    base = exp.scenario
    if replications is not None:  # validated like the scenario's own key
        scenario_from_dict({**base.resolved(), "replications": replications}, "--replications")
    r = base.replications if replications is None else replications
    found = variants(exp)
    check_work(exp, len(found), r, [sc for _, sc in found])
    same = {"seed": base.seed, "replications": r, "variants": {}}
    scenarios = [(name, sc.model_copy(update=same)) for name, sc in found]
    tiers = [f"budget.split.{t}" for t in base.tiers.names]
    keys = list(dict.fromkeys(tiers + [k for v in base.variants.values() for k in _flat_keys(v)]))
    keys = [k for k in keys if not k.startswith("budget.split.") or k in tiers]
    points = []
    for name, sc in scenarios:
        resolved = sc.resolved()
        labels = {"variant": name, **{k: lookup(resolved, k) for k in keys}}
        points.append(Point(sc, {}, labels))
    identity = {
        "kind": "compare",
        "seed": base.seed,
        "replications": r,
        "variants": [[name, sc.content_hash()] for name, sc in scenarios],
    }
    plan = Plan("compare", base.name, exp.source, r, len(points), points.__getitem__, identity, base, curves=True)
    return plan, [name for name, _ in scenarios]


def variant_table(runs: pd.DataFrame, names: list[str], metrics: list[str]) -> pd.DataFrame:
    """Mean and 95% CI of each metric per variant (one row per variant and metric)."""
    rows = []
    for name in names:
        sub = runs[runs["variant"] == name]
        for m in metrics:
            s = summarize(sub[m])
            rows.append({"variant": name, "metric": m, **{k: s[k] for k in ("mean", "ci95_low", "ci95_high", "n")}})
    return pd.DataFrame(rows)


def paired_differences(runs: pd.DataFrame, reference: str, names: list[str], metrics: list[str]) -> pd.DataFrame:
    """Per variant and metric: mean and 95% CI of (variant - reference) over shared replications."""
    rows = []
    for m in metrics:
        wide = runs.pivot(index="replication", columns="variant", values=m)
        for name in names:
            if name == reference:
                continue
            s = summarize(wide[name] - wide[reference])
            rows.append(
                {
                    "variant": name,
                    "reference": reference,
                    "metric": m,
                    "difference": s["mean"],
                    "ci95_low": s["ci95_low"],
                    "ci95_high": s["ci95_high"],
                    "n": s["n"],
                    "distinguishable": bool(s["ci95_low"] > 0 or s["ci95_high"] < 0),
                }
            )
    return pd.DataFrame(rows)


def best_variant(runs: pd.DataFrame, names: list[str], metric: str) -> dict:
    """The best variant by ``metric`` and whether its paired lead over the runner-up is real."""
    means = runs.groupby("variant")[metric].mean().reindex(names)
    order = means.sort_values(ascending=metric in LOWER_IS_BETTER, na_position="last").index
    best, runner_up = order[0], order[1]
    lead = paired_differences(runs, runner_up, [runner_up, best], [metric]).iloc[0]
    return {
        "metric": metric,
        "best": best,
        "best_mean": float(means[best]),
        "runner_up": runner_up,
        "runner_up_mean": float(means[runner_up]),
        "lead": float(lead["difference"]),
        "lead_ci95_low": float(lead["ci95_low"]),
        "lead_ci95_high": float(lead["ci95_high"]),
        "distinguishable": bool(lead["distinguishable"]),
    }


@dataclass
class Comparison:
    """What ``compare`` returns: frames of the variants, their paired differences and the winner."""

    table: pd.DataFrame
    differences: pd.DataFrame
    best: dict
    runs: pd.DataFrame
    curves: pd.DataFrame
    reference: str
    variants: list[str]
    replications: int
    seed: int
    resumed_runs: int = 0
    computed_runs: int = 0
    out: Path | None = None
    figures: dict[str, Path] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)


def compare(
    experiment: Experiment | Scenario | str | Path,
    *,
    replications: int | None = None,
    reference: str | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    out: str | Path | None = None,
    progress: bool = True,
) -> Comparison:
    """Run every variant on the same R seeds and compare them with paired differences.

    ``reference`` (default: ``[experiment] reference``, else the first variant) is the variant
    the others are measured against; the ranking uses ``[experiment] metric``.
    """
    exp = as_experiment(experiment)
    plan, names = compare_plan(exp, replications)
    key = "--reference" if reference else "experiment.reference"
    reference = reference or exp.spec.reference or names[0]
    if reference not in names:
        raise InputError(exp.source, key, reference, did_you_mean(reference, names, "a variant"))
    metric = exp.spec.metric
    metrics = list(dict.fromkeys([*TABLE_METRICS, metric]))
    with run_plan(plan, out, workers=workers, scheduler=scheduler, progress=progress) as stored:
        runs = stored.runs
        result = Comparison(
            table=variant_table(runs, names, metrics),
            differences=paired_differences(runs, reference, names, metrics),
            best=best_variant(runs, names, metric),
            runs=runs,
            curves=stored.curves.merge(runs[["run_id", "variant", "replication"]], on="run_id"),
            reference=reference,
            variants=names,
            replications=plan.replications,
            seed=exp.scenario.seed,
            resumed_runs=stored.resumed_runs,
            computed_runs=stored.computed_runs,
            out=stored.out,
            notices=stored.notices,
        )
        if result.out is not None:
            _write(result)  # while the folder is still locked
    return result


def _interval(mean: float, low: float, high: float) -> str:
    return f"{fmt_number(mean)} [{fmt_number(low)}, {fmt_number(high)}]"


def _columns(head: list[str], rows: list[list[str]]) -> list[str]:
    """Right-aligned columns (the first left-aligned), each as wide as its widest cell."""
    widths = [max(len(r[j]) for r in [head, *rows]) for j in range(len(head))]

    def line(row: list[str]) -> str:
        return "  ".join(c.ljust(w) if j == 0 else c.rjust(w) for j, (c, w) in enumerate(zip(row, widths, strict=True)))

    return [line(head), *(line(r) for r in rows)]


def comparison_text(c: Comparison) -> str:
    """The terminal summary: the table, paired differences and the verdict."""
    metrics = list(dict.fromkeys(c.table["metric"]))
    head = ["variant", *(m.replace("_", " ") for m in metrics)]
    table = []
    for name in c.variants:
        t = c.table[c.table["variant"] == name].set_index("metric")
        table.append([name, *(_interval(*t.loc[m, ["mean", "ci95_low", "ci95_high"]]) for m in metrics)])
    diffs = []
    for name in c.variants:
        if name == c.reference:
            continue
        d = c.differences[c.differences["variant"] == name].set_index("metric")
        cells = [
            _interval(*d.loc[m, ["difference", "ci95_low", "ci95_high"]])
            + ("*" if d.loc[m, "distinguishable"] else " ")
            for m in metrics
        ]
        diffs.append([name, *cells])
    b = c.best
    verdict = (
        "distinguishable from the runner-up"
        if b["distinguishable"]
        else f"NOT distinguishable from the runner-up with {c.replications} replications (run more)"
    )
    unit = KPI_UNITS.get(b["metric"], "")
    return "\n".join(
        [
            f"{len(c.variants)} variants x {c.replications} replications on common seeds (seed {c.seed}): "
            "mean [95% CI of the mean]",
            *_columns(head, table),
            "",
            f"paired difference to the reference {c.reference!r} on the same seeds: mean [95% CI]",
            *_columns(head, diffs),
            "(* the interval excludes 0: a real difference at the 95% level)",
            "",
            f"best by {b['metric'].replace('_', ' ')}: {b['best']} ({fmt_number(b['best_mean'])} {unit}), {verdict}; "
            f"lead over {b['runner_up']}: {_interval(b['lead'], b['lead_ci95_low'], b['lead_ci95_high'])} {unit}",
        ]
    )


def _write(c: Comparison) -> None:
    out = c.out
    atomic_write(out / "variants.csv", lambda tmp: c.table.to_csv(tmp, index=False))
    atomic_write(out / "differences.csv", lambda tmp: c.differences.to_csv(tmp, index=False))
    c.figures = {
        "metrics": metrics_figure(c, out / "figures" / "metrics_by_variant.png"),
        "differences": differences_figure(c, out / "figures" / "differences.png"),
        "curves": curves_figure(c, out / "figures" / "adoption_curves.png"),
    }
    figures = "\n".join(f"![{k}](figures/{p.name})" for k, p in c.figures.items())
    text = f"# Comparison\n\n```\n{comparison_text(c)}\n```\n\n{figures}\n"
    atomic_write_text(out / "comparison.md", text)


def _colours(c: Comparison) -> list:
    return ["#d62728" if n == c.reference else "#1f77b4" for n in c.variants]


def metrics_figure(c: Comparison, path: Path) -> Path:
    """Each table metric by variant: mean with 95% CI error bars; the reference in red."""
    plt = pyplot()
    metrics = list(dict.fromkeys(c.table["metric"]))
    cols = 2
    rows = -(-len(metrics) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(max(8, 0.6 * len(c.variants) * cols), 3.4 * rows), squeeze=False)
    x = np.arange(len(c.variants))
    for ax, m in zip(axes.flat, metrics, strict=False):
        t = c.table[c.table["metric"] == m].set_index("variant").loc[c.variants]
        for xi, (mean, lo, hi), colour in zip(
            x, t[["mean", "ci95_low", "ci95_high"]].to_numpy(), _colours(c), strict=True
        ):
            ax.errorbar(xi, mean, yerr=[[mean - lo], [hi - mean]], fmt="o", color=colour, capsize=3)
        ax.set_xticks(x, c.variants, rotation=35, ha="right", fontsize=8)
        ax.set(title=m.replace("_", " "), ylabel=label(m))
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(metrics) :]:
        ax.axis("off")
    fig.suptitle(
        f"KPIs by variant: mean and 95% CI over {c.replications} replications (reference {c.reference} in red)"
    )
    return save_figure(fig, path)


def differences_figure(c: Comparison, path: Path) -> Path:
    """Paired difference to the reference on the ranking metric, with 95% CIs."""
    plt = pyplot()
    m = c.best["metric"]
    d = c.differences[c.differences["metric"] == m].set_index("variant")
    names = [n for n in c.variants if n != c.reference]
    d = d.loc[names]
    fig, ax = plt.subplots(figsize=(max(7, 0.6 * len(names)), 4.2))
    x = np.arange(len(names))
    colours = ["#2ca02c" if v else "#7f7f7f" for v in d["distinguishable"]]
    for xi, (mean, lo, hi), colour in zip(
        x, d[["difference", "ci95_low", "ci95_high"]].to_numpy(), colours, strict=True
    ):
        ax.errorbar(xi, mean, yerr=[[mean - lo], [hi - mean]], fmt="o", color=colour, capsize=3)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(x, names, rotation=35, ha="right", fontsize=8)
    ax.set(
        title=f"Paired difference to {c.reference} (green: 95% CI excludes 0)",
        ylabel=f"difference in {label(m)}",
    )
    ax.grid(alpha=0.3)
    return save_figure(fig, path)


def curves_figure(c: Comparison, path: Path) -> Path:
    """Mean cumulative adopters by day for each variant, and the shared no-campaign baseline."""
    plt = pyplot()
    mean = c.curves.groupby(["variant", "day"])[["adopters", "baseline_adopters"]].mean()
    fig, ax = plt.subplots(figsize=(8.5, 4.8))
    cmap = plt.get_cmap("viridis", max(2, len(c.variants)))
    for k, name in enumerate(c.variants):
        sub = mean.loc[name]
        style = {"color": "#d62728", "lw": 2.2} if name == c.reference else {"color": cmap(k), "lw": 1.2}
        ax.plot(sub.index, sub["adopters"], label=name, **style)
    ref = mean.loc[c.reference]
    ax.plot(ref.index, ref["baseline_adopters"], color="black", ls="--", label="no campaign (counterfactual)")
    ax.set(
        title=f"Cumulative adopters by variant (mean of {c.replications} replications)",
        xlabel="day",
        ylabel="adopters (people)",
    )
    ax.legend(fontsize=7, ncol=2 if len(c.variants) > 8 else 1, loc="upper left")
    ax.grid(alpha=0.3)
    return save_figure(fig, path)
