"""Figures and the Markdown report of ``wom validate``: simulated bands against analytic curves,
and a pass/fail table a reviewer can read without running anything."""

from __future__ import annotations

import csv
import platform
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from sim import __version__  # noqa: E402

if TYPE_CHECKING:
    from sim.validation.common import Check, Effort

BAND = dict(alpha=0.25, linewidth=0)


def _save(fig, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _band(ax, x, paths, label, color):
    """Mean of replications with their 2.5-97.5% range."""
    lo, hi = np.percentile(paths, [2.5, 97.5], axis=0)
    ax.fill_between(x, lo, hi, color=color, label=f"{label}: 95% of replications", **BAND)
    ax.plot(x, paths.mean(0), color=color, label=f"{label}: mean")


def bass_figure(path, t, paths, exact, daily, t_mid, rates, exact_rate, t_star, t_star_sim, p, q) -> None:
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    ax = axes[0]
    _band(ax, t, paths, "simulated", "tab:blue")
    ax.plot(t, exact, "k--", label="Bass closed form F(t)")
    ax.set(title=f"Cumulative adoption, p = {p}, q = {q} per year", xlabel="time (years)", ylabel="share adopted")
    ax.legend(loc="lower right", fontsize=8)
    ax = axes[1]
    window = max(1, int(0.1 / (p + q) * 365))
    kernel = np.ones(window) / window
    smooth = np.array([np.convolve(r, kernel, mode="same") for r in rates])
    _band(ax, t_mid, smooth, f"simulated ({window}-day average)", "tab:blue")
    ax.plot(t_mid, exact_rate, "k--", label="Bass f(t) = dF/dt")
    ax.axvline(t_star, color="k", linewidth=0.8, label=f"t* = {t_star:.2f} years")
    ax.axvline(t_star_sim, color="tab:red", linestyle=":", label=f"simulated t* = {t_star_sim:.2f} years")
    ax.set(title="Adoption rate", xlabel="time (years)", ylabel="adoption rate (share per year)")
    ax.legend(loc="upper right", fontsize=8)
    ax = axes[2]
    se = paths.std(0, ddof=1) / np.sqrt(len(paths))
    dev = paths.mean(0) - exact
    ax.fill_between(t, dev - 3 * se, dev + 3 * se, color="tab:blue", label="simulated mean - F, +/- 3 SE", **BAND)
    ax.plot(t, dev, color="tab:blue")
    ax.plot(t, daily - exact, color="tab:orange", label="daily-step recursion - F (discretisation)")
    ax.axhline(0, color="k", linewidth=0.8)
    for s in (-0.01, 0.01):
        ax.axhline(s, color="tab:red", linestyle=":", linewidth=1)
    ax.set(title="Deviation from the closed form (red: +/- 0.01)", xlabel="time (years)", ylabel="share adopted")
    ax.legend(loc="lower right", fontsize=8)
    _save(fig, path)


def cascade_exact_figure(path, rows) -> None:
    """rows: (label, exact mean, simulated mean, SE)."""
    fig, ax = plt.subplots(figsize=(8, 4.2))
    y = np.arange(len(rows))
    ax.barh(y + 0.2, [r[1] for r in rows], height=0.4, color="0.6", label="exact E[S] (enumeration)")
    ax.barh(
        y - 0.2,
        [r[2] for r in rows],
        height=0.4,
        xerr=[3 * r[3] for r in rows],
        color="tab:blue",
        label="simulated mean +/- 3 SE",
    )
    ax.set_yticks(y, [r[0] for r in rows], fontsize=8)
    ax.invert_yaxis()
    ax.set(title="Independent Cascade on small graphs", xlabel="expected spread (adopters, seeds included)")
    ax.legend(fontsize=8)
    _save(fig, path)


def cascade_peer_figure(path, panels) -> None:
    """panels: (tie probability, wom spreads, cynetdiff spreads)."""
    fig, axes = plt.subplots(1, len(panels), figsize=(6 * len(panels), 4))
    for ax, (p, ours, peer) in zip(np.atleast_1d(axes), panels, strict=True):
        bins = np.histogram_bin_edges(np.concatenate([ours, peer]), bins=30)
        ax.hist(peer, bins=bins, density=True, color="0.6", label=f"cynetdiff, mean {peer.mean():.1f}")
        ax.hist(
            ours,
            bins=bins,
            density=True,
            histtype="step",
            color="tab:blue",
            linewidth=2,
            label=f"wom, mean {ours.mean():.1f}",
        )
        ax.set(title=f"IC on Barabasi-Albert 10,000 nodes, p = {p}", xlabel="final spread (adopters)", ylabel="density")
        ax.legend(fontsize=8)
    _save(fig, path)


def bound_figure(path, curves) -> None:
    """curves: (label, Bass curve, adoption paths on the graph); the bound: mean - F <= 0."""
    fig, ax = plt.subplots(figsize=(7.5, 5))
    for label, exact, paths in curves:
        dev = paths.mean(0) - exact
        se = paths.std(0, ddof=1) / np.sqrt(len(paths))
        (line,) = ax.plot(exact, dev, linewidth=1, label=label)
        ax.fill_between(exact, dev - 3 * se, dev + 3 * se, color=line.get_color(), alpha=0.12, linewidth=0)
    ax.axhline(0, color="k", linestyle="--", label="bound: mean on the graph = Bass F(t)")
    ax.set(
        title="Network Bass adoption minus the complete-mixing curve (bands: +/- 3 SE)",
        xlabel="Bass F(t), complete mixing (share adopted)",
        ylabel="mean adoption on the graph - F(t) (share)",
    )
    ax.legend(fontsize=6, loc="lower left", ncol=2)
    _save(fig, path)


def default_gap_figure(path, t, paths, exact, field, p, q) -> None:
    """The default model against the Bass curve with the same p and q, and against its mean field."""
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    _band(ax, t, paths, "all defaults", "tab:red")
    ax.plot(t, field, color="k", linewidth=1, label="default model, mean-field recursion")
    ax.plot(t, exact, "k--", label="Bass closed form F(t)")
    ax.set(
        title=f"Default model vs Bass, p = {p}, q = {q} per year, complete graph, no campaign",
        xlabel="time (years)",
        ylabel="share adopted",
    )
    ax.legend(fontsize=8, loc="lower right")
    _save(fig, path)


def campaign_figure(path, bars) -> None:
    """bars: (name, expected ratio, measured ratio, SE)."""
    fig, ax = plt.subplots(figsize=(7, 4))
    x = np.arange(len(bars))
    ax.bar(x - 0.2, [b[1] for b in bars], width=0.4, color="0.6", label="expected")
    ax.bar(
        x + 0.2,
        [b[2] for b in bars],
        width=0.4,
        yerr=[3 * b[3] for b in bars],
        color="tab:blue",
        label="measured +/- 3 SE",
    )
    ax.set_xticks(x, [b[0] for b in bars])
    ax.set(title="Incremental adopters, changed / base scenario (direct-conversion limit)", ylabel="ratio")
    ax.legend(fontsize=8)
    _save(fig, path)


def tiers_figure(path, samples: dict) -> None:
    """samples: label -> incremental adopters per USD per replication."""
    fig, ax = plt.subplots(figsize=(8, 4))
    x = np.arange(len(samples))
    values = [1000 * v for v in samples.values()]
    ax.bar(
        x,
        [v.mean() for v in values],
        yerr=[3 * v.std(ddof=1) / np.sqrt(v.size) for v in values],
        color="tab:blue",
        alpha=0.8,
        label="mean +/- 3 SE",
    )
    ax.set_xticks(x, list(samples))
    ax.set(title="Incremental adopters per 1,000 USD", ylabel="adopters per 1,000 USD")
    ax.legend(fontsize=8)
    _save(fig, path)


def hubs_figure(path, curves, levels, advantage, se, reference) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
    ax = axes[0]
    colors = plt.cm.viridis(np.linspace(0, 0.85, len(curves)))
    for (p, hubs, randoms), c in zip(curves, colors, strict=True):
        days = np.arange(hubs.shape[1])
        ax.plot(days, hubs.mean(0), color=c, label=f"p = {p:g}/yr, hub seed")
        ax.plot(days, randoms.mean(0), color=c, linestyle="--", label=f"p = {p:g}/yr, random seed")
    ax.set(title="Mean adoption by seeding strategy", xlabel="day", ylabel="share adopted")
    ax.legend(fontsize=7, ncol=2)
    ax = axes[1]
    ax.errorbar(np.arange(len(levels)), advantage, yerr=3 * se, fmt="o-", capsize=4, label="mean +/- 3 SE")
    ax.plot(np.arange(len(levels)), reference, "kx--", label="plain-numpy reference")
    ax.set_xticks(np.arange(len(levels)), [f"{p:g}" for p in levels])
    ax.axhline(0, color="k", linewidth=0.8)
    ax.set(
        title="Days saved by seeding the hub",
        xlabel="external (advertising) rate p (per year)",
        ylabel="days to 50% adoption: random - hub",
    )
    ax.legend(fontsize=8)
    _save(fig, path)


def complex_figure(path, curves) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2), sharey=True)
    for ax, rule in zip(axes, ("simple", "complex"), strict=True):
        for r, shape, paths in curves:
            if r == rule:
                _band(
                    ax, np.arange(paths.shape[1]), paths, shape, "tab:green" if shape == "clustered" else "tab:purple"
                )
        ax.set(
            title=f"{rule.capitalize()} contagion (threshold {1 if rule == 'simple' else 2})",
            xlabel="day",
            ylabel="share adopted",
        )
        ax.legend(fontsize=8)
    _save(fig, path)


def engines_figure(path, finals: dict) -> None:
    """finals: engine -> final adopters per replication (same streams: the points lie on the diagonal)."""
    fig, ax = plt.subplots(figsize=(5, 5))
    a, b = finals["vector"], finals["agents"]
    ax.plot(a, b, "o", color="tab:blue", alpha=0.7)
    lo, hi = min(a.min(), b.min()), max(a.max(), b.max())
    ax.plot([lo, hi], [lo, hi], "k--", linewidth=0.8, label="identical")
    ax.set(title="Final adopters per replication, same streams", xlabel="vector engine", ylabel="Mesa agents")
    ax.legend(fontsize=8)
    _save(fig, path)


def write_report(checks: list[Check], effort: Effort, out_dir: Path, seconds: float) -> Path:
    """report.md (table, tolerances, figures) and checks.csv in ``out_dir``."""
    from dataclasses import asdict, fields

    out_dir = Path(out_dir)
    with (out_dir / "checks.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=[f.name for f in fields(checks[0])] if checks else ["name"])
        writer.writeheader()
        for c in checks:
            writer.writerow(asdict(c))
    passed = sum(c.passed for c in checks)
    lines = [
        "# wom validation report",
        "",
        f"wom {__version__}, effort `{effort.name}`, Python {platform.python_version()}, {seconds:.0f} s. "
        f"**{passed} of {len(checks)} checks passed.** Rebuild with `wom validate"
        f"{' --quick' if effort.name == 'quick' else ''}`; what each check means and its source: "
        "docs/validation.md.",
        "",
        "Effort: "
        + ", ".join(f"{k} = {v}" for k, v in asdict(effort).items() if k != "name")
        + ". Monte-Carlo tolerances are derived from standard errors (SE) over replications with fixed seeds.",
        "",
        "| | check | measured | tolerance | criterion |",
        "|---|---|---|---|---|",
    ]
    for c in checks:
        criterion = c.criterion.replace("|", "\\|")
        lines.append(
            f"| {'PASS' if c.passed else '**FAIL**'} | `{c.name}` | {c.measured:.4g} | {c.tolerance:.4g} | {criterion} |"
        )
    lines += ["", "## Checks", ""]
    shown: set[str] = set()
    for c in checks:
        lines += [
            f"### `{c.name}`: {'PASS' if c.passed else 'FAIL'}",
            "",
            f"{c.claim}.",
            "",
            f"- measured {c.measured:.5g}, tolerance {c.tolerance:.5g} ({c.criterion})",
            f"- {c.detail}",
            f"- source: {c.source}",
            f"- seed {c.seed}" + (f", scenario hash {c.scenario_hash}" if c.scenario_hash else ""),
            "",
        ]
        if c.figure and c.figure not in shown:
            shown.add(c.figure)
            lines += [f"![{c.name}](figures/{c.figure})", ""]
    path = out_dir / "report.md"
    path.write_text("\n".join(lines))
    return path
