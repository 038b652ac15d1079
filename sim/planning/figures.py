"""Figures of a plan: response curves, marginal ROI, options, budget frontier, sensitivity."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from sim.core.files import atomic_write

LABELS = {
    "incremental_profit": "incremental profit (USD)",
    "incremental_adopters": "incremental adopters (people)",
    "reach": "unique people reached",
}
CURRENT, RECOMMENDED, SATURATION = "#7f7f7f", "#2ca02c", "#d62728"


def pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig, path: Path) -> Path:
    plt = pyplot()
    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=110))
    plt.close(fig)
    return path


def thousands(ax, axis: str = "x") -> None:
    """Tick labels of ``axis`` in thousands (12k), as money axes read best."""
    from matplotlib.ticker import FuncFormatter

    fmt = FuncFormatter(lambda v, _: f"{v / 1000:,.0f}k" if abs(v) >= 1000 else f"{v:,.0f}")
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(fmt)


def curves_figure(curves: pd.DataFrame, metric: str, current: dict, recommended: dict, path: Path) -> Path:
    """Per tier: the objective against the tier's money (others at the current split), 95% band,
    current (grey) and recommended (green) money, saturation (red)."""
    plt = pyplot()
    tiers = list(dict.fromkeys(curves["tier"]))
    cols = min(len(tiers), 3)
    rows = math.ceil(len(tiers) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(max(6.0, 2.5 * cols), 1.3 * rows + 0.45), squeeze=False, sharey=True)
    for ax, t in zip(axes.flat, tiers, strict=False):
        sub = curves[curves["tier"] == t].sort_values("allocated")
        x = sub["allocated"].to_numpy()
        ax.fill_between(x, sub[f"{metric}_low"], sub[f"{metric}_high"], alpha=0.25, color="#1f77b4", lw=0)
        ax.plot(x, sub[metric], "o-", ms=3, color="#1f77b4")
        ax.axvline(current.get(t, 0.0), color=CURRENT, ls="--", lw=1.2, label="current")
        ax.axvline(recommended.get(t, 0.0), color=RECOMMENDED, lw=1.8, label="recommended")
        sat = sub["saturates_at"].iloc[0]
        if np.isfinite(sat):
            ax.axvline(sat, color=SATURATION, ls=":", lw=1.2, label="saturates")
        if metric == "incremental_profit":
            ax.axhline(0, color="black", lw=0.6)
        ax.set_title(t, fontsize=9, pad=2)
        ax.set_xlabel("USD given to the tier", fontsize=7, labelpad=1)
        ax.tick_params(labelsize=7)
        thousands(ax, "x")
        thousands(ax, "y")
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(tiers) :]:
        ax.axis("off")
    axes[0][0].set_ylabel(LABELS.get(metric, metric), fontsize=8)
    axes[0][0].legend(fontsize=7, loc="best")
    fig.suptitle("Response curves: the whole campaign, other tiers at the current split\n(band: 95% CI)", fontsize=9)
    return save(fig, path)


def marginal_figure(curves: pd.DataFrame, allocation: pd.DataFrame, path: Path, target: float = 0.0) -> Path:
    """Marginal ROI of each step of each tier's curve (extra profit per extra USD), and at the
    recommendation (diamonds)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(4.6, 2.4))
    tiers = list(dict.fromkeys(curves["tier"]))
    cmap = plt.get_cmap("tab10")
    for k, t in enumerate(tiers):
        sub = curves[(curves["tier"] == t) & curves["marginal_roi"].notna()].sort_values("spent")
        if sub.empty:
            continue
        err = [sub["marginal_roi"] - sub["marginal_roi_low"], sub["marginal_roi_high"] - sub["marginal_roi"]]
        ax.errorbar(sub["spent"], sub["marginal_roi"], yerr=err, fmt="o-", ms=3, capsize=2, color=cmap(k), label=t)
        at = allocation[allocation["tier"] == t]
        for column, marker in (("last_step_roi", "v"), ("marginal_roi", "D")):
            if not at.empty and np.isfinite(at[column].iloc[0]):
                ax.plot(at["recommended_spent"], at[column], marker, color=cmap(k), ms=7, mec="black")
    ax.axhline(target, color="black", lw=0.8)
    means = curves["marginal_roi"].dropna().to_numpy()
    if means.size:  # scale to the means; a wide interval may run off the plot
        lo, hi = np.percentile(means, [5, 95])
        pad = 0.3 * (hi - lo) + 0.5
        ax.set_ylim(min(lo, target) - pad, max(hi, target) + pad)
    ax.set(xlabel="USD spent in the tier", ylabel="marginal ROI (extra profit / extra USD)")
    ax.set_title(
        "Marginal ROI by step (95% CI); at the recommendation:\nlast step in (triangles), next step (diamonds)",
        fontsize=9,
    )
    ax.xaxis.label.set_size(8)
    ax.yaxis.label.set_size(8)
    ax.tick_params(labelsize=7)
    thousands(ax, "x")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=min(3, len(tiers)))
    return save(fig, path)


def options_figure(options: pd.DataFrame, metric: str, path: Path) -> Path:
    """The objective of each option on the fresh seeds, with 95% CI, and what it spends."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(4.6, 2.4))
    y = np.arange(len(options))[::-1]
    mean = options[metric].to_numpy(dtype=float)
    low = options.get(f"{metric}_low", pd.Series(mean)).fillna(options[metric]).to_numpy(dtype=float)
    high = options.get(f"{metric}_high", pd.Series(mean)).fillna(options[metric]).to_numpy(dtype=float)
    colours = [
        RECOMMENDED if o == "recommended" else CURRENT if o == "current" else "#1f77b4" for o in options["option"]
    ]
    ax.barh(y, mean, color=colours, alpha=0.8)
    ax.errorbar(mean, y, xerr=[mean - low, high - mean], fmt="none", ecolor="black", capsize=3)
    labels = [f"{o}\n(spends {s:,.0f} USD)" for o, s in zip(options["option"], options["spent"], strict=True)]
    ax.set_yticks(y, labels, fontsize=7)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel(LABELS.get(metric, metric), fontsize=8)
    ax.tick_params(axis="x", labelsize=7)
    thousands(ax, "x")
    ax.grid(alpha=0.3, axis="x")
    ax.set_title("Options on fresh seeds\n(95% CI, simulation noise only)", fontsize=9)
    return save(fig, path)


def frontier_figure(frontier: pd.DataFrame, metric: str, path: Path) -> Path:
    """Best split's objective against the total budget, and the marginal ROI of each step."""
    plt = pyplot()
    fig, (a, b) = plt.subplots(2, 1, figsize=(4.6, 3.6), sharex=True)
    x = frontier["total"].to_numpy()
    a.fill_between(x, frontier[f"{metric}_low"], frontier[f"{metric}_high"], alpha=0.25, lw=0)
    a.plot(x, frontier[metric], "o-", ms=3)
    chosen = frontier[frontier["chosen"]]
    a.axvline(chosen["total"].iloc[0], color=RECOMMENDED, lw=1.8, label="chosen total")
    a.set_ylabel(LABELS.get(metric, metric), fontsize=8)
    a.legend(fontsize=7)
    ok = frontier["marginal_roi"].notna()
    f = frontier[ok]
    b.errorbar(
        f["total"],
        f["marginal_roi"],
        yerr=[f["marginal_roi"] - f["marginal_roi_low"], f["marginal_roi_high"] - f["marginal_roi"]],
        fmt="o-",
        ms=3,
        capsize=2,
    )
    b.axhline(0, color="black", lw=0.8)
    b.axvline(chosen["total"].iloc[0], color=RECOMMENDED, lw=1.8)
    b.set_xlabel("total budget (USD)", fontsize=8)
    b.set_ylabel("marginal ROI of the step", fontsize=8)
    for ax in (a, b):
        ax.tick_params(labelsize=7)
        ax.set_xlim(0, x.max() * 1.02 if x.max() > 0 else 1)
        thousands(ax, "x")
        ax.grid(alpha=0.3)
    fig.suptitle("The best split at each total (95% CI)", fontsize=9)
    return save(fig, path)


def sensitivity_figure(sens: pd.DataFrame, path: Path) -> Path:
    """Tornado: the recommendation's objective when each assumption is at its low or high value."""
    plt = pyplot()
    nominal = sens[sens["parameter"] == "(as in the scenario)"]["recommended"].iloc[0]
    rest = sens[sens["parameter"] != "(as in the scenario)"]
    order = rest.groupby("parameter")["swing"].first().sort_values().index.tolist()
    fig, ax = plt.subplots(figsize=(4.6, 0.4 * len(order) + 1.1))
    for i, p in enumerate(order):
        sub = rest[rest["parameter"] == p].sort_values("value")
        lo, hi = sub["recommended"].to_numpy()
        ax.barh(i, lo - nominal, left=nominal, color="#ff7f0e", alpha=0.8)
        ax.barh(i, hi - nominal, left=nominal, color="#1f77b4", alpha=0.8)
    values = {p: rest[rest["parameter"] == p].sort_values("value")["value"].to_numpy() for p in order}
    ax.axvline(nominal, color="black", lw=0.8)
    ax.set_yticks(range(len(order)), [f"{p}\n({values[p][0]:g} / {values[p][1]:g})" for p in order], fontsize=7)
    ax.set_xlabel("recommended split's objective\n(orange: low value, blue: high value)", fontsize=8)
    ax.tick_params(axis="x", labelsize=7)
    thousands(ax, "x")
    ax.grid(alpha=0.3, axis="x")
    ax.set_title("Which assumptions matter most", fontsize=9)
    return save(fig, path)
