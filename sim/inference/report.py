"""The calibration report: prior against posterior, the posterior predictive check, and what
the data could not pin down, as report.md (and report.html) with figures."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sim import __version__  # noqa: E402
from sim.inference.draws import SIMPLIFICATIONS, WEIGHT  # noqa: E402
from sim.reporting.html import embed_images, page  # noqa: E402

BAND = (5, 95)  # the predictive band: 90% of simulations


def _save(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def parameters_figure(cal, path: Path) -> Path:
    """Each parameter's prior density against its weighted posterior; for a log prior both are
    densities per unit of log10 (the prior is then flat) on a log axis."""
    summary = cal.summary()
    keys = list(cal.spec.priors)
    fig, axes = plt.subplots(1, len(keys), figsize=(3.6 * len(keys), 3.2), squeeze=False)
    for ax, key, (_, row) in zip(axes[0], keys, summary.iterrows(), strict=True):
        r = cal.spec.priors[key]
        along = np.log10 if r.log else (lambda v: np.asarray(v, dtype=float))
        lo, hi = float(along(r.min)), float(along(r.max))
        edges = np.linspace(lo, hi, 31)
        w = cal.fit.posterior[WEIGHT].to_numpy()
        counts, _ = np.histogram(along(cal.fit.posterior[key].to_numpy()), bins=edges, weights=w)
        shown = 10**edges if r.log else edges
        ax.stairs(
            counts / (w.sum() * (edges[1] - edges[0])), shown, fill=True, color="#1f77b4", alpha=0.6, label="posterior"
        )
        ax.hlines(1 / (hi - lo), shown[0], shown[-1], color="#7f7f7f", label="prior")
        ax.axvspan(row["posterior_p5"], row["posterior_p95"], color="#1f77b4", alpha=0.1, label="90% interval")
        if r.log:
            ax.set_xscale("log")
        verdict = "pinned down" if row["pinned"] else "NOT pinned down"
        ax.set(title=f"{key}\n{verdict} (width ratio {row['width_ratio']:.2f})", yticks=[])
        ax.set_xlabel(key + (" (log scale)" if r.log else ""))
        ax.title.set_fontsize(9)
    axes[0][0].set_ylabel("density")
    axes[0][0].legend(fontsize=7)
    return _save(fig, path)


def predictive_tables(cal) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Per tier: observed orders, orders per 1,000 impressions and engagements per impression
    against the posterior predictive median and 90% band; and daily sales likewise."""
    obs = cal.campaign.observed
    tiers = list(dict.fromkeys(obs["tier"]))
    rows = []
    for tier in tiers:
        mask = (obs["tier"] == tier).to_numpy()
        sims = {
            "orders": [s.orders[mask].sum() for s in cal.predictive],
            "orders per 1k impressions": [
                1000 * s.orders[mask].sum() / s.impressions[mask].sum() for s in cal.predictive
            ],
            "engagements per impression": [
                s.engagements[mask].sum() / s.impressions[mask].sum() for s in cal.predictive
            ],
        }
        seen = {
            "orders": obs["orders"][mask].sum(),
            "orders per 1k impressions": 1000 * obs["orders"][mask].sum() / obs["impressions"][mask].sum(),
            "engagements per impression": obs["engagements"][mask].sum() / obs["impressions"][mask].sum(),
        }
        for what, values in sims.items():
            lo, mid, hi = np.percentile(values, [BAND[0], 50, BAND[1]])
            rows.append(
                {"tier": tier, "statistic": what, "observed": float(seen[what]), "median": mid, "low": lo, "high": hi}
            )
    table = pd.DataFrame(rows)
    table["inside"] = (table["observed"] >= table["low"]) & (table["observed"] <= table["high"])
    sales = None
    if cal.campaign.sales is not None:
        sims = np.array([weekly_mean(s.sales) for s in cal.predictive])
        lo, mid, hi = np.percentile(sims, [BAND[0], 50, BAND[1]], axis=0)
        sales = pd.DataFrame(
            {
                "day": np.arange(1, sims.shape[1] + 1),
                "observed": weekly_mean(cal.campaign.sales),
                "median": mid,
                "low": lo,
                "high": hi,
            }
        )
    return table, sales


def weekly_mean(daily: np.ndarray) -> np.ndarray:
    """Mean sales per day over the 7 days ending on each day (fewer at the start): a simulated
    consumer stands for several people, so single days are coarse."""
    cum = np.cumsum(np.concatenate([[0.0], daily]))
    ends = np.arange(1, daily.size + 1)
    starts = np.maximum(ends - 7, 0)
    return (cum[ends] - cum[starts]) / (ends - starts)


def predictive_figure(table: pd.DataFrame, sales: pd.DataFrame | None, start_day: int, path: Path) -> Path:
    """Observed against the posterior predictive 90% band: orders per tier, and daily sales."""
    orders = table[table["statistic"] == "orders"].reset_index(drop=True)
    fig, axes = plt.subplots(1, 2 if sales is not None else 1, figsize=(11 if sales is not None else 5.5, 3.8))
    axes = np.atleast_1d(axes)
    x = np.arange(len(orders))
    ax = axes[0]
    ax.errorbar(
        x,
        orders["median"],
        yerr=[orders["median"] - orders["low"], orders["high"] - orders["median"]],
        fmt="s",
        color="#1f77b4",
        capsize=6,
        label="simulated: median and 90% band",
    )
    ax.scatter(x, orders["observed"], color="#d62728", zorder=3, label="observed")
    ax.set(xticks=x, xticklabels=orders["tier"], ylabel="promo-code orders", title="Orders per creator tier")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)
    if sales is not None:
        ax = axes[1]
        ax.fill_between(
            sales["day"], sales["low"], sales["high"], color="#1f77b4", alpha=0.25, label="simulated 90% band"
        )
        ax.plot(sales["day"], sales["median"], color="#1f77b4", label="simulated median")
        ax.plot(sales["day"], sales["observed"], color="#d62728", marker=".", lw=1, label="observed")
        ax.axvline(start_day, color="#7f7f7f", ls="--", label="first posts")
        ax.set(xlabel="day", ylabel="sales per day (mean of the last 7 days)", title="Daily total sales")
        ax.set_ylim(bottom=0)
        ax.legend(fontsize=8)
    return _save(fig, path)


def progress_figure(populations: pd.DataFrame, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.plot(populations["t"], populations["epsilon"], marker="o")
    ax.set(xlabel="population", ylabel="tolerance (epsilon)", title="ABC-SMC tolerance per population")
    ax.set_yscale("log")
    return _save(fig, path)


def _number(v: float) -> str:
    return f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"


def _markdown_table(frame: pd.DataFrame) -> list[str]:
    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    for _, row in frame.iterrows():
        cells = [_number(v) if isinstance(v, float | np.floating) else str(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def report_text(cal, table: pd.DataFrame, sales: pd.DataFrame | None) -> str:
    sc, spec, fit = cal.scenario, cal.spec, cal.fit
    sim = cal.simulator.scenario
    summary = cal.summary()
    loose = summary.loc[~summary["pinned"], "parameter"].tolist()
    name = sc.name
    params = summary.assign(
        **{
            "posterior median": summary["posterior_median"],
            "90% interval": [
                f"{_number(a)} to {_number(b)}"
                for a, b in zip(summary["posterior_p5"], summary["posterior_p95"], strict=True)
            ],
            "width ratio": summary["width_ratio"],
            "pinned down": np.where(summary["pinned"], "yes", "**no**"),
        }
    )[["parameter", "prior", "posterior median", "90% interval", "width ratio", "pinned down"]]
    outside = table[~table["inside"]]
    parts = [
        f"# Calibration: {name}",
        "",
        f"Calibrated on `{Path(cal.campaign.source).name}`"
        + (f" and `{Path(cal.campaign.sales_source).name}`" if cal.campaign.sales_source else "")
        + f": {len(cal.campaign.observed)} creators, {int(cal.campaign.observed['orders'].sum()):,} promo-code orders, "
        f"{cal.campaign.fees:,.0f} USD of fees. Scenario hash `{sc.content_hash()}`, seed {sc.seed}, wom {__version__}.",
        "",
        f"The past campaign was simulated on its own world: its {len(cal.campaign.observed)} real creators "
        f"(reach and engagement rates measured from their impressions and engagements), a market of "
        f"{sim.market.population:,} people simulated by {sim.market.consumers:,} consumers, {sim.market.days} days, "
        f"first posts on day {sim.contracts.start_day}.",
        "",
        "## What the data say",
        "",
        *_markdown_table(params),
        "",
        "Width ratio: the posterior's 90% interval over the prior's (on a log scale for log priors). "
        f"Above {0.5} the data could not pin the parameter down: it stays close to its prior.",
        "",
        (
            f"**Not pinned down by these data: {', '.join(loose)}.** Forecasts from the calibrated scenario carry "
            "their full prior range as uncertainty; better data (more creators, daily sales over a longer window) "
            "would narrow them."
            if loose
            else "Every calibrated parameter is pinned down by the data."
        ),
        "",
        "![Prior and posterior of each parameter](figures/parameters.png)",
        "",
        "## Posterior predictive check",
        "",
        f"{len(cal.predictive)} simulations of the past campaign, each with a parameter set drawn from the "
        "posterior. Bands are 90% of simulations and cover simulation noise and parameter uncertainty. "
        "A calibrated model should put the observed values inside most bands.",
        "",
        "![Observed against simulated](figures/predictive.png)",
        "",
        *_markdown_table(table.rename(columns={"median": "simulated median", "low": "5%", "high": "95%"})),
        "",
        (
            f"{len(outside)} of {len(table)} observed statistics fall outside their band: "
            + ", ".join(f"{r.tier} {r.statistic}" for r in outside.itertuples())
            + "."
            if len(outside)
            else "Every observed statistic lies inside its band."
        ),
        "",
    ]
    if sales is not None:
        inside = ((sales["observed"] >= sales["low"]) & (sales["observed"] <= sales["high"])).mean()
        parts += [
            f"Daily sales (mean of the last 7 days, so single simulated consumers do not make the band jagged): "
            f"on {inside:.0%} of days the observed value lies inside the simulated 90% band.",
            "",
        ]
    if cal.campaign.notes:
        parts += ["Notes on the data:", "", *(f"- {n}" for n in cal.campaign.notes), ""]
    parts += [
        "## Using it",
        "",
        f"`{name}.calibrated.toml` is the scenario with posterior medians as its point values and an `[uncertain]` "
        "table pointing at `posterior.parquet`. `wom run`, `wom compare`, `wom sweep` and `wom plan` on it draw "
        "every replication's parameters from the posterior, so their bands cover simulation noise *and* parameter "
        "uncertainty. `posterior.parquet` holds the weighted sample (one column per parameter, `weight`, and the "
        "calibration's `seed` and `scenario_hash`); `parameters.csv` the table above; `populations.csv` the ABC "
        "populations.",
        "",
        "## Method and limits",
        "",
        f"Approximate Bayesian computation by sequential Monte Carlo (ABC-SMC; Toni et al. 2009) with pyabc "
        f"(Klinger, Rickert & Hasenauer 2018): {spec.particles} particles per population, {len(fit.populations)} "
        f"populations, {fit.simulations:,} simulations in {fit.seconds:,.0f} s. The distance is an L2 norm over "
        "summary statistics, each scaled adaptively by its spread in the current population: promo-code orders "
        "per tier, the difference in orders per 1,000 impressions between the creators who engage their viewers "
        "most and the rest (this separates `engaged_boost` from `conversion`)"
        + (
            ", and mean daily sales before the campaign, from its first day and over the last week"
            if sales is not None
            else ""
        )
        + ". Each particle is seeded from the scenario's seed, so the same inputs give the same posterior on any "
        "number of workers.",
        "",
        "![Tolerance per population](figures/progress.png)",
        "",
        "- `influence.conversion` is identified only together with the tiers' in-market share (`in_market`, an "
        "assumption): orders depend on their product. The posterior is right for forecasts made with the same "
        "tier settings.",
        f"- Simulated counts come in steps of {sim.market.population / sim.market.consumers:,.1f} people (one "
        "simulated consumer each), so simulated orders are noisier than real ones when that is above 1: the "
        "posterior is then somewhat wider (more cautious) than the data alone would allow.",
        "- The calibration conditions on one world (graph and audiences) drawn from the seed.",
        f"- Standing simplifications of the model: {SIMPLIFICATIONS}.",
        "",
    ]
    return "\n".join(parts)


def write_report(cal, folder: Path) -> Path:
    """figures/, report.md and report.html into ``folder``."""
    figures = folder / "figures"
    table, sales = predictive_tables(cal)
    parameters_figure(cal, figures / "parameters.png")
    predictive_figure(table, sales, cal.simulator.scenario.contracts.start_day, figures / "predictive.png")
    progress_figure(cal.fit.populations, figures / "progress.png")
    text = report_text(cal, table, sales)
    (folder / "report.md").write_text(text)
    (folder / "report.html").write_text(_html(text, f"Calibration: {cal.scenario.name}", folder), encoding="utf-8")
    return folder / "report.md"


def _html(text: str, title: str, folder: Path) -> str:
    """report.md as one self-contained page (styles inline, figures embedded: ``sim.reporting.html``)."""
    import markdown

    return page(title, embed_images(markdown.markdown(text, extensions=["tables"]), folder))
