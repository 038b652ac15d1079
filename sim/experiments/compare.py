"""Comparing variants of a scenario on common random numbers: is the best split really better?

Every variant runs the same replications (same seed, same replication numbers), so replication
r of two variants shares its consumers, its graph and its daily random draws; the difference
between them is the effect of the variant alone. Intervals of those paired differences are much
narrower than intervals of the two means, which is what makes small differences visible.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sim.core.errors import InputError, did_you_mean
from sim.core.files import atomic_write, atomic_write_text
from sim.core.scenario import Scenario, scenario_from_dict
from sim.experiments.backends import run_plan
from sim.experiments.compare_figures import curves_figure, differences_figure, metrics_figure
from sim.experiments.figures import fmt_number
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
from sim.inference.draws import interval_note
from sim.reporting.intervals import INTERVALS_NOTE, Interval, mean_interval, ratio_difference
from sim.reporting.metrics import KPI_UNITS, RATIOS, kpi_interval

TABLE_METRICS = ["incremental_adopters", "spend", "unspent", "incremental_profit", "roi", "cpa"]
NO_CAMPAIGN = "no campaign"
# KPIs that are exactly 0 without a campaign (the campaign world is the no-campaign world).
ZERO_WITHOUT_CAMPAIGN = {
    "incremental_adopters",
    "incremental_revenue",
    "incremental_profit",
    "spend",
    "reach",
    "impressions",
    "engagements",
    "attributed_sales",
}


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


def variant_table(
    runs: pd.DataFrame, names: list[str], metrics: list[str], budget: float | None = None
) -> pd.DataFrame:
    """Estimate and 95% CI of each metric per variant (one row per variant and metric; ratios are
    ratios of totals). With ``budget``, a last variant "no campaign": 0 by construction for every
    incremental KPI and spend, the whole budget unspent, ratios undefined. ``note`` says why money
    was left unspent (metric ``unspent``) or anything else a reader must know about an interval."""
    rows = []
    for name in names:
        sub = runs[runs["variant"] == name]
        for m in metrics:
            iv = kpi_interval(sub, m)
            note = iv.note
            if m == "unspent" and "unspent_reason" in sub.columns:
                note = str(sub["unspent_reason"].iloc[0]) if len(sub) else ""
            rows.append({"variant": name, "metric": m, **_interval_columns(iv), "note": note})
    if budget is not None:
        n = int(runs["replication"].nunique())
        for m in metrics:
            value = 0.0 if m in ZERO_WITHOUT_CAMPAIGN else budget if m == "unspent" else math.nan
            note = (
                "exactly 0 by construction" if m in ZERO_WITHOUT_CAMPAIGN else "nothing spent" if m == "unspent" else ""
            )
            rows.append(
                {
                    "variant": NO_CAMPAIGN,
                    "metric": m,
                    **_interval_columns(Interval(value, value, value, n)),
                    "note": note,
                }
            )
    return pd.DataFrame(rows)


def _interval_columns(iv: Interval) -> dict:
    return {"mean": iv.estimate, "ci95_low": iv.low, "ci95_high": iv.high, "n": iv.n}


def paired_interval(runs: pd.DataFrame, name: str, reference: str, metric: str) -> Interval:
    """95% interval of ``name - reference`` on the replications both ran: the mean of paired
    differences, or for a ratio the difference of ratios of totals (delta method)."""
    needed = [RATIOS[metric][0], RATIOS[metric][1]] if metric in RATIOS else [metric]
    pair = runs[runs["variant"].isin([name, reference])]
    wide = pair.pivot(index="replication", columns="variant", values=needed)
    if metric in RATIOS:
        num, den, scale, _ = RATIOS[metric]
        return ratio_difference(wide[num][reference], wide[den][reference], wide[num][name], wide[den][name], scale)
    return mean_interval((wide[metric][name] - wide[metric][reference]).to_numpy(dtype=float))


def paired_differences(runs: pd.DataFrame, reference: str, names: list[str], metrics: list[str]) -> pd.DataFrame:
    """Per variant and metric: estimate and 95% CI of (variant - reference) over shared replications."""
    rows = []
    for m in metrics:
        for name in names:
            if name == reference:
                continue
            iv = paired_interval(runs, name, reference, m)
            rows.append(
                {
                    "variant": name,
                    "reference": reference,
                    "metric": m,
                    "difference": iv.estimate,
                    "ci95_low": iv.low,
                    "ci95_high": iv.high,
                    "n": iv.n,
                    "distinguishable": bool(iv.low > 0 or iv.high < 0),
                    "note": iv.note,
                }
            )
    return pd.DataFrame(rows)


def best_variant(runs: pd.DataFrame, names: list[str], metric: str) -> dict:
    """The best variant by ``metric``, whether its paired lead over the runner-up is real, how
    much of the lead comes from spending less, and how the best compares with spending nothing."""
    estimates = pd.Series({n: kpi_interval(runs[runs["variant"] == n], metric).estimate for n in names})
    order = estimates.sort_values(ascending=metric in LOWER_IS_BETTER, na_position="last").index
    best, runner_up = order[0], order[1]
    lead = paired_interval(runs, best, runner_up, metric)
    spend = paired_interval(runs, best, runner_up, "spend")
    adopters = paired_interval(runs, best, runner_up, "incremental_adopters")
    own = kpi_interval(runs[runs["variant"] == best], metric)
    return {
        "metric": metric,
        "best": best,
        "best_mean": float(estimates[best]),
        "best_ci95_low": own.low,
        "best_ci95_high": own.high,
        "runner_up": runner_up,
        "runner_up_mean": float(estimates[runner_up]),
        "lead": lead.estimate,
        "lead_ci95_low": lead.low,
        "lead_ci95_high": lead.high,
        "distinguishable": bool(lead.low > 0 or lead.high < 0),
        "spend_difference": spend.estimate,
        "adopters_difference": adopters.estimate,
        "adopters_difference_low": adopters.low,
        "adopters_difference_high": adopters.high,
        "spending_less": spending_less(metric, lead.estimate, spend.estimate, adopters, best, runner_up),
        "no_campaign": against_nothing(metric, best, own),
    }


def spending_less(metric: str, lead: float, d_spend: float, adopters: Interval, best: str, runner_up: str) -> str:
    """In words, how much of the best variant's lead comes from spending less than the runner-up ("" if none)."""
    if not d_spend <= -0.5:
        return ""
    less = f"{best} spends {-d_spend:,.0f} USD less than {runner_up}"
    sold = (
        f"incremental adopters {best} - {runner_up}: {fmt_number(adopters.estimate)} "
        f"[{fmt_number(adopters.low)}, {fmt_number(adopters.high)}]"
    )
    if metric == "incremental_profit" and lead > 0 and -d_spend >= lead:
        return f"its whole lead comes from spending less: {less}; {sold}"
    if metric == "incremental_profit" and lead > 0:
        return f"{-d_spend:,.0f} USD of its {lead:,.0f} USD lead comes from spending less ({less}; {sold})"
    return f"{less} ({sold}): part of any ratio's or profit's lead comes from the money it does not spend"


def against_nothing(metric: str, best: str, own: Interval) -> str:
    """In words, whether spending nothing (exactly 0 for every incremental KPI) beats the best variant."""
    if metric not in ZERO_WITHOUT_CAMPAIGN - {"spend"} or not math.isfinite(own.estimate):
        return ""
    if own.high < 0:
        return (
            f"every variant does worse than no campaign: spending nothing beats {best} by {fmt_number(-own.estimate)}"
        )
    if own.low <= 0:
        return f"{best} cannot be told apart from spending nothing (its 95% CI includes 0)"
    return ""


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
    budget: float = math.nan  # the base scenario's budget: what "no campaign" leaves unspent
    covers: str = ""  # what the intervals cover, in words (sim.inference.draws.interval_note)
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
            table=variant_table(runs, names, metrics, exp.scenario.budget.total),
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
            budget=exp.scenario.budget.total,
            covers=interval_note(exp.scenario),
        )
        if result.out is not None:
            _write(result)  # while the folder is still locked
    return result


def _interval(mean: float, low: float, high: float) -> str:
    """ "mean [low, high]"; just the mean when the interval is a point (spend of a fixed roster)."""
    if math.isnan(low) or math.isclose(low, high, rel_tol=1e-9, abs_tol=1e-9):
        return fmt_number(mean)
    return f"{fmt_number(mean)} [{_end(low)}, {_end(high)}]"


def _end(value: float) -> str:
    return "unbounded" if math.isinf(value) else fmt_number(value)


def _columns_text(head: list[str], rows: list[list[str]]) -> list[str]:
    """Right-aligned columns (the first left-aligned), each as wide as its widest cell."""
    widths = [max(len(r[j]) for r in [head, *rows]) for j in range(len(head))]

    def line(row: list[str]) -> str:
        return "  ".join(c.ljust(w) if j == 0 else c.rjust(w) for j, (c, w) in enumerate(zip(row, widths, strict=True)))

    return [line(head), *(line(r) for r in rows)]


def comparison_text(c: Comparison) -> str:
    """The terminal summary: the table (with spend, unspent and "no campaign"), paired
    differences, where money was left and why, the verdict and what the intervals cover."""
    metrics = list(dict.fromkeys(c.table["metric"]))
    head = ["variant", *(m.replace("_", " ") for m in metrics)]
    table = []
    shown = [*c.variants, *([NO_CAMPAIGN] if NO_CAMPAIGN in set(c.table["variant"]) else [])]
    for name in shown:
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
    unspent = c.table[(c.table["metric"] == "unspent") & c.table["variant"].isin(c.variants)]
    left = [
        line
        for r in unspent.itertuples()
        if r.note
        for line in textwrap.wrap(f"{r.variant}: {r.note}", 110, initial_indent="  ", subsequent_indent="      ")
    ]
    b = c.best
    verdict = (
        "distinguishable from the runner-up"
        if b["distinguishable"]
        else f"NOT distinguishable from the runner-up with {c.replications} replications (run more)"
    )
    unit = KPI_UNITS.get(b["metric"], "")
    extra = [f"  {text}." for text in (b.get("spending_less"), b.get("no_campaign")) if text]
    return "\n".join(
        [
            f"{len(c.variants)} variants x {c.replications} replications on common seeds (seed {c.seed}): "
            "estimate [95% CI]; ratios are ratios of totals over all replications",
            *_columns_text(head, table),
            f"('{NO_CAMPAIGN}': the market without a campaign, exactly 0 for every incremental KPI: spending "
            "nothing is always an option)",
            *(["", "unspent money and why:", *left] if left else []),
            "",
            f"paired difference to the reference {c.reference!r} on the same seeds: estimate [95% CI]",
            *_columns_text(head, diffs),
            "(* the interval excludes 0: a real difference at the 95% level)",
            "",
            f"best by {b['metric'].replace('_', ' ')}: {b['best']} ({fmt_number(b['best_mean'])} {unit}), {verdict}; "
            f"lead over {b['runner_up']}: {_interval(b['lead'], b['lead_ci95_low'], b['lead_ci95_high'])} {unit}",
            *extra,
            "",
            *textwrap.wrap(f"{c.covers} {INTERVALS_NOTE}", 110),
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
