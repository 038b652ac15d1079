"""Figures of a comparison: each KPI by variant, paired differences to the reference coloured by
what their interval says (better, worse, cannot tell), and adoption curves by variant."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sim.experiments.figures import fmt_number, label, pyplot, save_figure
from sim.experiments.spec import LOWER_IS_BETTER

if TYPE_CHECKING:
    from sim.experiments.compare import Comparison


def _colours(c: Comparison) -> list:
    return ["#d62728" if n == c.reference else "#1f77b4" for n in c.variants]


def metrics_figure(c: Comparison, path: Path) -> Path:
    """Each table metric by variant: mean with 95% CI error bars; the reference in red."""
    plt = pyplot()
    from matplotlib.ticker import FuncFormatter

    metrics = list(dict.fromkeys(c.table["metric"]))
    cols = 2
    rows = -(-len(metrics) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(max(8, 0.6 * len(c.variants) * cols), 3.4 * rows), squeeze=False)
    x = np.arange(len(c.variants))
    for ax, m in zip(axes.flat, metrics, strict=False):
        t = c.table[c.table["metric"] == m].set_index("variant").loc[c.variants]
        mean, lo, hi = t[["mean", "ci95_low", "ci95_high"]].to_numpy().T
        err = np.nan_to_num(np.array([mean - lo, hi - mean]), posinf=0.0, neginf=0.0)  # an open end: no whisker
        colours = np.array(_colours(c))
        for colour in dict.fromkeys(colours):  # one call per colour, not per point: drawn in a fraction
            at = colours == colour
            ax.errorbar(x[at], mean[at], yerr=err[:, at], fmt="o", color=colour, capsize=3)
        ax.set_xticks(x, c.variants, rotation=35, ha="right", fontsize=8)
        ax.set(title=m.replace("_", " "), ylabel=label(m))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt_number(v)))  # 60,000 not 60000
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(metrics) :]:
        ax.axis("off")
    fig.suptitle(
        f"KPIs by variant: mean and 95% CI over {c.replications} replications (reference {c.reference} in red)"
    )
    return save_figure(fig, path)


BETTER, WORSE, UNCLEAR = "#2ca02c", "#d62728", "#7f7f7f"


def difference_colour(low: float, high: float, lower_is_better: bool = False) -> str:
    """Green when the 95% CI says better than the reference, red when it says worse, grey when
    it cannot tell (the interval includes 0)."""
    if low > 0 or high < 0:
        higher = low > 0
        return BETTER if higher != lower_is_better else WORSE
    return UNCLEAR


def differences_figure(c: Comparison, path: Path) -> Path:
    """Paired difference to the reference on the ranking metric, with 95% CIs, coloured by verdict."""
    plt = pyplot()
    m = c.best["metric"]
    d = c.differences[c.differences["metric"] == m].set_index("variant")
    names = [n for n in c.variants if n != c.reference]
    d = d.loc[names]
    fig, ax = plt.subplots(figsize=(max(7, 0.6 * len(names)), 4.2))
    x = np.arange(len(names))
    rows = d[["difference", "ci95_low", "ci95_high"]].to_numpy(dtype=float)
    for xi, (mean, lo, hi) in zip(x, rows, strict=True):
        colour = difference_colour(lo, hi, m in LOWER_IS_BETTER)
        err = np.nan_to_num([[mean - lo], [hi - mean]], posinf=0.0, neginf=0.0)
        ax.errorbar(xi, mean, yerr=err, fmt="o", color=colour, capsize=3)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(x, names, rotation=35, ha="right", fontsize=8)
    ax.set(
        title=f"Paired difference to {c.reference}: green better, red worse, grey cannot tell (95% CI)",
        ylabel=f"difference in {label(m)}",
    )
    ax.title.set_fontsize(10)
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
