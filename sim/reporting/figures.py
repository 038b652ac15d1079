"""Figures of a run: adoption with and without the campaign, adopters by source, tiers, network."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

NETWORK_SNAPSHOT_MAX = 2_000
DPI = 110
# Fixed margins instead of tight_layout, which draws a figure once more just to measure it; and
# fast PNG compression (a few % larger files): together they halve the time to write the figures.
WIDE = {"left": 0.1, "right": 0.98, "bottom": 0.12, "top": 0.92}
PNG = {"compress_level": 1}
WORLD_STYLE = {"campaign": ("#d62728", "with campaign"), "baseline": ("#7f7f7f", "no campaign (counterfactual)")}


def _band(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    g = frame.groupby("day")[column]
    return pd.DataFrame({"mean": g.mean(), "low": g.quantile(0.025), "high": g.quantile(0.975)})


def adoption_figure(daily: pd.DataFrame, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(8, 4.5), gridspec_kw=WIDE)
    for world, (colour, label) in WORLD_STYLE.items():
        b = _band(daily[daily["world"] == world], "cumulative_adopters")
        ax.plot(b.index, b["mean"], color=colour, label=f"{label}, mean")
        ax.fill_between(b.index, b["low"], b["high"], color=colour, alpha=0.2, label=f"{label}, 95% range")
    ax.set(title="Cumulative adopters: campaign vs no campaign", xlabel="day", ylabel="adopters (people)")
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(alpha=0.3)
    return _save(fig, path)


def sources_figure(daily: pd.DataFrame, sources: list[str], path: Path) -> Path:
    camp = daily[daily["world"] == "campaign"]
    mean = camp.groupby("day")[[f"new_{s}" for s in sources]].mean()
    mean = mean.loc[:, mean.sum() > 0]
    fig, ax = plt.subplots(figsize=(8, 4.5), gridspec_kw=WIDE)
    if mean.shape[1]:
        ax.stackplot(
            mean.index,
            mean.T.to_numpy(),
            labels=[c.removeprefix("new_").replace("_", " ") for c in mean.columns],
            alpha=0.85,
        )
    ax.set(
        title="New adopters per day by source (campaign, mean over replications)",
        xlabel="day",
        ylabel="new adopters (people per day)",
    )
    if mean.shape[1]:
        ax.legend(loc="upper right", fontsize=8, title="source")
    else:
        ax.text(0.5, 0.5, "nobody adopted", transform=ax.transAxes, ha="center")
    ax.grid(alpha=0.3)
    return _save(fig, path)


# (column, title, axis label) of each panel. A tier's ROI is its incremental profit (its share of
# incremental adopters x unit margin, less its spend) over its spend: spend is subtracted once.
TIER_PANELS = [
    ("spend", "Spend by tier", "USD"),
    ("incremental_adopters", "Incremental adopters by tier", "people"),
    ("roi", "ROI by tier (average over its spend)", "incremental profit / spend"),
]


def short_note(row) -> str:
    """A few words under a tier's ROI bar when its money ran out of candidates or was not spent."""
    if (
        row.get("allocated", 0) > 0
        and row.get("candidates", 1) > 0
        and row.get("influencers", 0) >= row.get("candidates", 1)
    ):
        return "all hired"
    if row.get("allocated", 0) > 0 and row.get("unspent", 0) >= max(0.5, 0.05 * row["allocated"]):
        return f"{row['unspent']:,.0f} unspent"
    return ""


def tiers_figure(tiers: pd.DataFrame, path: Path) -> Path:
    order = list(dict.fromkeys(tiers["tier"]))
    g = tiers.astype({col: float for col, _, _ in TIER_PANELS}).groupby("tier")  # object columns when nobody was hired
    margins = {"left": 0.06, "right": 0.99, "bottom": 0.2, "top": 0.86, "wspace": 0.32}
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.4), gridspec_kw=margins)
    first = tiers.drop_duplicates("tier").set_index("tier").reindex(order)
    for ax, (col, title, unit) in zip(axes, TIER_PANELS, strict=True):
        mean = g[col].mean().reindex(order)
        low, high = g[col].quantile(0.025).reindex(order), g[col].quantile(0.975).reindex(order)
        err = np.clip(np.nan_to_num(np.vstack([mean - low, high - mean])), 0, None)
        bars = ax.bar(order, mean.fillna(0), yerr=err, capsize=4, color="#1f77b4")
        ax.set(title=title, xlabel="tier", ylabel=unit)
        if col == "roi":
            ax.axhline(0, color="black", lw=0.8)
            notes = [short_note(first.loc[tier]) for tier in order]
            ax.set_xticks(range(len(order)), [f"{t}\n{n}" if n else t for t, n in zip(order, notes, strict=True)])
        ax.grid(alpha=0.3, axis="y")
    fig.legend([bars], ["mean over replications; whiskers: 95% range"], loc="lower center", fontsize=8)
    fig.suptitle("Tiers (incremental adopters allocated by direct conversions)")
    return _save(fig, path)


def network_figure(results, path: Path) -> Path | None:
    """Final state of replication 0 on the graph, drawn like the classroom page; small graphs only."""
    from sim.drawing.colours import STATES, state_codes
    from sim.drawing.picture import ConsumerPicture, hired_tiers

    world, state = results.world, results.final_state
    if world.graph.n > NETWORK_SNAPSHOT_MAX or world.graph.complete or state is None:
        return None
    codes = np.bincount(state_codes(state.adopted, state.aware, state.nps), minlength=len(STATES))
    counts = ", ".join(f"{n:,} {name}" for name, n in zip(STATES, codes, strict=True))
    picture = ConsumerPicture(world, hired_tiers(world), size=7.0, caption_lines=2)
    picture.update(state, caption=f"Day {results.scenario.market.days}, replication 0 (campaign), consumers:\n{counts}")
    path.write_bytes(picture.png())
    return path


def _save(fig, path: Path) -> Path:
    fig.savefig(path, dpi=DPI, pil_kwargs=PNG)
    plt.close(fig)
    return path


def make_figures(results, folder: Path) -> dict[str, Path]:
    """Every figure of a run, by name."""
    folder.mkdir(parents=True, exist_ok=True)
    sources = [c.removeprefix("new_") for c in results.daily.columns if c.startswith("new_") and c != "new_adopters"]
    figures = {
        "adoption": adoption_figure(results.daily, folder / "adoption.png"),
        "sources": sources_figure(results.daily, sources, folder / "sources.png"),
        "tiers": tiers_figure(results.tiers, folder / "tiers.png"),
    }
    network = network_figure(results, folder / "network.png")
    if network:
        figures["network"] = network
    return figures
