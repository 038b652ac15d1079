"""Calibration recovers known parameters: synthetic campaigns at truths drawn from the prior,
each calibrated by ``wom calibrate``'s own ABC-SMC, must be covered by their 90% credible
intervals at close to the nominal rate, and the conversion parameter's posterior must be much
narrower than its prior (``sim.inference.recovery``, also behind benchmarks/recovery.py)."""

from __future__ import annotations

import os
from pathlib import Path

from scipy.stats import binom

from sim.inference import fit as abc
from sim.inference.recovery import LEVEL, coverage, example_study, recovery, recovery_figure
from sim.validation.common import SEED, Check, Effort

FALSE_ALARM = 0.02  # per parameter: how often an honest 90% interval may fall below the count required
CONVERSION = "influence.conversion"
MAX_WIDTH_RATIO = 0.5  # "much narrower": at most half the prior's 90% width (log10), the report's "pinned down"
QUICK_MAX_WIDTH_RATIO = 0.6  # the quick run's few particles and coarse orders leave it wider (measured 0.46)
WORKERS = 2  # local processes; the result is the same on any number
SOURCE = "simulation-based calibration, Talts, Betancourt, Simpson, Vehtari & Gelman (2018), arXiv 1804.06788"


def min_covered(campaigns: int, level: float = LEVEL, false_alarm: float = FALSE_ALARM) -> int:
    """The largest count c with P(Binomial(campaigns, level) < c) <= ``false_alarm``: an honest
    ``level`` interval covers fewer truths than c that rarely. For 20 campaigns: 15, the issue's bar."""
    c = 0
    while c < campaigns and binom.cdf(c, campaigns, level) <= false_alarm:
        c += 1
    return c


def check_recovery(effort: Effort, figures: Path) -> list[Check]:
    """Coverage of every calibrated parameter, and the shrinkage of conversion."""
    campaigns, particles, generations, consumers, people = effort.recovery
    simulator, priors = example_study(consumers, people)
    with abc.mapper(min(WORKERS, os.cpu_count() or 1)) as map_:
        table = recovery(
            simulator, priors, campaigns=campaigns, particles=particles, generations=generations, seed=SEED, map_=map_
        )
    recovery_figure(table, priors, figures / "recovery.png")
    summary = coverage(table).set_index("parameter")
    need = min_covered(campaigns)
    setting = (
        f"{campaigns} synthetic campaigns of the shipped example (24 creators, daily sales) on "
        f"{consumers:,} simulated consumers for {simulator.scenario.market.population:,} people; ABC-SMC with {particles} "
        f"particles and at most {generations} populations; {int(table['simulations'].sum() / len(priors)):,} "
        "simulations in all"
    )
    hash_ = simulator.scenario.content_hash()
    checks = []
    for key, row in summary.iterrows():
        checks.append(
            Check(
                f"recovery.coverage.{key.split('.')[-1]}",
                f"The 90% credible interval of `{key}` covers the truth in close to 90% of calibrations of "
                "synthetic campaigns simulated at truths drawn from the prior",
                float(row["covered"]),
                float(need),
                f"covered >= tolerance of {campaigns} (an honest 90% interval falls below with chance "
                f"<= {FALSE_ALARM:g})",
                int(row["covered"]) >= need,
                "recovery.png",
                SOURCE,
                f"{setting}; median posterior/prior 90% width {row['median_width_ratio']:.2f}",
                SEED,
                hash_,
            )
        )
    ratio = float(summary.loc[CONVERSION, "median_width_ratio"])
    bar = QUICK_MAX_WIDTH_RATIO if effort.name == "quick" else MAX_WIDTH_RATIO
    checks.append(
        Check(
            "recovery.shrinkage.conversion",
            f"The posterior of `{CONVERSION}` is much narrower than its prior: median over the campaigns "
            "of the posterior's 90% interval width over the prior's, on the log10 scale",
            ratio,
            bar,
            "measured <= tolerance",
            ratio <= bar,
            "recovery.png",
            SOURCE,
            f"{setting}; the calibration report calls a parameter pinned down at a ratio <= 0.5",
            SEED,
            hash_,
        )
    )
    return checks
