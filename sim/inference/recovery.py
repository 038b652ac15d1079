"""Does calibration recover known parameters? Simulation-based calibration in its simplest form
(Talts et al. 2018): draw truths from the prior, simulate a campaign at each, calibrate, and count
how often the 90% credible interval covers the truth (about 90% if the posterior is honest) and
how much narrower than the prior the posterior is."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from sim.core.scenario import as_scenario
from sim.core.sections import Range
from sim.inference import fit as abc
from sim.inference.calibrate import prior_quantiles, read_spec, weighted_quantiles
from sim.inference.campaign import read_campaign
from sim.inference.draws import WEIGHT
from sim.inference.simulator import CampaignSimulator

LEVEL = 0.9
EXAMPLE = Path(__file__).resolve().parents[2] / "scenarios" / "calibrate_example.toml"


def example_study(
    consumers: int | None = None, people_per_consumer: float | None = None
) -> tuple[CampaignSimulator, dict[str, Range]]:
    """The shipped example's past campaign (its 24 creators and daily sales) as a simulator, and
    its priors. ``consumers`` shrinks the market to that many simulated consumers, each standing
    for ``people_per_consumer`` people (default: as in the example's market, 10): fewer people
    per consumer make simulated orders less coarse, so the posterior sharper."""
    scenario = as_scenario(EXAMPLE)
    if consumers:
        scale = people_per_consumer or scenario.market.population / scenario.market.consumers
        scenario = scenario.with_overrides(
            {"market.consumers": consumers, "market.population": round(consumers * scale)}, "recovery"
        )
    spec = read_spec(EXAMPLE)
    campaign = read_campaign(spec.data, scenario, sales=spec.sales)
    return CampaignSimulator(scenario, campaign, spec.start_day), spec.priors


def draw_prior(priors: dict[str, Range], rng: np.random.Generator) -> dict[str, float]:
    out = {}
    for key, r in priors.items():
        u = rng.random()
        out[key] = float(r.min * (r.max / r.min) ** u) if r.log else float(r.min + u * (r.max - r.min))
    return out


def recovery(
    simulator: CampaignSimulator,
    priors: dict[str, Range],
    *,
    campaigns: int,
    particles: int,
    generations: int,
    seed: int,
    min_acceptance: float = 0.02,
    map_: Callable = map,
    progress: Callable[[int, pd.DataFrame], None] | None = None,
) -> pd.DataFrame:
    """One row per (synthetic campaign, parameter): the truth, the posterior's median and 90%
    interval, whether it covers the truth, and its width over the prior's (log scale for log priors)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 4]))
    rows = []
    for i in range(campaigns):
        truth = draw_prior(priors, rng)
        observed = simulator.statistics(truth, int(rng.integers(abc.SEED_HIGH)))
        result = abc.fit(
            simulator,
            observed,
            priors,
            particles=particles,
            generations=generations,
            min_acceptance=min_acceptance,
            seed=int(rng.integers(abc.SEED_HIGH)),
            map_=map_,
        )
        w = result.posterior[WEIGHT].to_numpy()
        found = []
        for key, r in priors.items():
            lo, mid, hi = weighted_quantiles(result.posterior[key].to_numpy(), w, [0.05, 0.5, 0.95])
            p_lo, p_hi = prior_quantiles(r, [0.05, 0.95])
            along = np.log10 if r.log else (lambda v: v)
            found.append(
                {
                    "campaign": i,
                    "parameter": key,
                    "truth": truth[key],
                    "p5": lo,
                    "median": mid,
                    "p95": hi,
                    "covered": bool(lo <= truth[key] <= hi),
                    "width_ratio": float((along(hi) - along(lo)) / (along(p_hi) - along(p_lo))),
                    "simulations": result.simulations,
                    "seconds": result.seconds,
                }
            )
        rows += found
        if progress is not None:
            progress(i, pd.DataFrame(found))
    return pd.DataFrame(rows)


def coverage(table: pd.DataFrame) -> pd.DataFrame:
    """Per parameter: campaigns, how many 90% intervals covered the truth, median width ratio."""
    g = table.groupby("parameter", sort=False)
    return pd.DataFrame(
        {
            "campaigns": g.size(),
            "covered": g["covered"].sum().astype(int),
            "coverage": g["covered"].mean(),
            "median_width_ratio": g["width_ratio"].median(),
        }
    ).reset_index()


def recovery_figure(table: pd.DataFrame, priors: dict[str, Range], path) -> None:
    """Truth against posterior median and 90% interval, one panel per parameter."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = list(priors)
    fig, axes = plt.subplots(1, len(keys), figsize=(3.6 * len(keys), 3.4), squeeze=False)
    for ax, key in zip(axes[0], keys, strict=True):
        t = table[table["parameter"] == key]
        colour = np.where(t["covered"], "#1f77b4", "#d62728")
        ax.vlines(t["truth"], t["p5"], t["p95"], colors=colour, alpha=0.7)
        ax.scatter(t["truth"], t["median"], c=colour, s=12)
        r = priors[key]
        ax.plot([r.min, r.max], [r.min, r.max], color="#7f7f7f", lw=0.8)
        if r.log:
            ax.set_xscale("log")
            ax.set_yscale("log")
        ax.set(
            title=f"{key}\n{int(t['covered'].sum())}/{len(t)} covered",
            xlabel="truth",
            ylabel="posterior (90% interval)",
        )
        ax.title.set_fontsize(9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
