"""The Bass limit: mean adoption against the closed form, the daily-step recursion and the peak;
and how far the *default* model sits from the Bass curve (the match holds in the limit only)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from sim.core.rules import DAYS_PER_YEAR
from sim.core.scenario import Scenario
from sim.validation import report as figs
from sim.validation.closed_forms import bass_cumulative, bass_daily, bass_peak, bass_rate, default_mean_field
from sim.validation.common import SEED, Check, Effort, Z
from sim.validation.limits import adoption_paths, bass_scenario

CONSUMERS = 10_000


def peak_time(rates: np.ndarray, t: np.ndarray, centre: float, half_width: float) -> float:
    """Vertex of a parabola fitted to an adoption-rate curve within ``half_width`` of ``centre``.

    The Bass rate is symmetric about its peak, so a symmetric window gives an unbiased vertex.
    """
    near = np.abs(t - centre) <= half_width
    a, b, _ = np.polyfit(t[near] - centre, rates[near], 2)
    return centre - b / (2 * a) if a < 0 else math.nan


def check_bass(effort: Effort, figures: Path) -> list[Check]:
    """Mean cumulative adoption and peak time against the closed form and the daily-step recursion."""
    cases = [
        ("sfl", 0.03, 0.38, 15.0, effort.bass_reps[0], "Sultan, Farley & Lehmann 1990 mean p and q"),
        ("anylogic", 0.011, 1.5, 6.0, effort.bass_reps[1], "AnyLogic agent-based Bass diffusion tutorial"),
    ]
    out = []
    for label, p, q, years, reps, source in cases:
        days = int(round(years * DAYS_PER_YEAR))
        sc = bass_scenario(p, q, CONSUMERS, days)
        paths = adoption_paths(sc, range(reps))
        t = np.arange(days + 1) / DAYS_PER_YEAR
        exact = bass_cumulative(t, p, q)
        daily = bass_daily(p, q, days)
        mean = paths.mean(0)
        se = paths.std(0, ddof=1) / math.sqrt(reps)
        lag = np.abs(daily - exact)
        dev, dev_daily = np.abs(mean - exact), np.abs(mean - daily)
        tol = max(0.01, Z * se.max() + lag.max())

        t_mid = (np.arange(1, days + 1) - 0.5) / DAYS_PER_YEAR  # day k's adoptions: mid-day
        rates = np.diff(paths, axis=1) * DAYS_PER_YEAR
        t_star, half = bass_peak(p, q), 1.0 / (p + q)
        centre = peak_time(rates.mean(0), t_mid, t_star, half)
        centre = peak_time(rates.mean(0), t_mid, centre, half)
        peaks = np.array([peak_time(r, t_mid, centre, half) for r in rates])
        peak_se = peaks.std(ddof=1) / math.sqrt(reps)
        shift = abs(peak_time(np.diff(daily) * DAYS_PER_YEAR, t_mid, t_star, half) - t_star)
        delay_days = lag.max() / float(bass_rate(t_star, p, q)) * DAYS_PER_YEAR

        fig = f"bass_{label}.png"
        figs.bass_figure(
            figures / fig, t, paths, exact, daily, t_mid, rates, bass_rate(t_mid, p, q), t_star, peaks.mean(), p, q
        )
        what = f"(p, q) = ({p}, {q}) per year, N = {CONSUMERS:,}, {reps} replications, {days:,} daily steps"
        common = dict(figure=fig, seed=sc.seed, scenario_hash=sc.content_hash())
        out += [
            Check(
                f"bass.{label}.curve",
                f"Bass limit {what}: mean cumulative adoption follows the closed form F(t)",
                float(dev.max()),
                tol,
                "max_t |F_sim - F| <= max(0.01, 3 SE + discretisation lag)",
                bool(dev.max() <= tol),
                source=f"Bass 1969 closed form; {source}",
                detail=f"largest at t = {t[dev.argmax()]:.2f} years; largest SE {se.max():.4f}; the daily-step "
                f"recursion itself lags F by up to {lag.max():.5f} ({delay_days:.1f} days at the peak)",
                **common,
            ),
            Check(
                f"bass.{label}.daily",
                f"Bass limit {what}: mean cumulative adoption equals the daily-step recursion F_daily "
                "(the engine's update with the share adopted at the start of each day)",
                float(dev_daily.max()),
                Z * se.max(),
                "max_t |F_sim - F_daily| <= 3 SE",
                bool(dev_daily.max() <= Z * se.max()),
                source="mean-field recursion F[k] = F[k-1] + (1 - F[k-1]) (1 - exp(-(p + q F[k-1]) / 365))",
                detail=f"discretisation: max |F_daily - F| = {lag.max():.5f}, a delay of {delay_days:.1f} days "
                f"at the peak (about ln(q/p)/2 = {math.log(q / p) / 2:.1f} days: forward steps of the "
                "exponential take-off lose half a day's growth per e-fold)",
                **common,
            ),
            Check(
                f"bass.{label}.peak",
                f"Bass limit {what}: adoption peaks at t* = ln(q/p)/(p+q) = {t_star:.3f} years",
                float(abs(peaks.mean() - t_star)),
                Z * peak_se + shift,
                "|t*_sim - t*| (years) <= 3 SE + the daily recursion's own shift",
                bool(abs(peaks.mean() - t_star) <= Z * peak_se + shift),
                source=f"Bass 1969: t* = ln(q/p)/(p+q); {source}",
                detail=f"t*_sim = {peaks.mean():.3f} years (mean over replications of a parabola fitted to the "
                f"daily adoption rate within {half:.2f} years of the peak), SE {peak_se:.3f} years; daily "
                f"recursion shift {shift * DAYS_PER_YEAR:.1f} days",
                **common,
            ),
        ]
    return out


def default_scenario(years: float = 10.0) -> Scenario:
    """Every default (susceptibility spread, negative word of mouth, satisfaction) on a complete graph, no campaign."""
    return Scenario(
        name="bass_defaults",
        seed=SEED,
        market={"population": CONSUMERS, "consumers": CONSUMERS, "days": int(round(years * DAYS_PER_YEAR))},
        network={"kind": "complete"},
        budget={"total": 0},
    )


def check_default_gap(effort: Effort, figures: Path) -> list[Check]:
    """The default model against the Bass curve of the same p and q, and against its own mean field.

    Its damping (lognormal susceptibility, detractors' negative talk) only slows adoption down,
    so the mean must stay below F(t) on every day, and the gap must exceed the 0.01 the
    Bass-limit checks allow: the Bass match holds in the limit only. How far below is set by
    the damping: the mean must follow the default model's mean-field recursion within 3 SE.
    """
    sc = default_scenario()
    p, q = sc.consumers.baseline_p, sc.word_of_mouth.q
    w = sc.word_of_mouth
    days = sc.market.days
    paths = adoption_paths(sc, range(effort.default_reps))
    t = np.arange(days + 1) / DAYS_PER_YEAR
    exact = bass_cumulative(t, p, q)
    field = default_mean_field(
        p, q, days, sc.consumers.susceptibility_sigma, w.negative_ratio, w.negative_impact, CONSUMERS
    )
    mean = paths.mean(0)
    # at least the binomial SE of a share of N consumers: with few replications the sample SE
    # of the first days, when a handful have adopted, can come out near zero
    se = np.maximum(paths.std(0, ddof=1), np.sqrt(exact * (1 - exact) / CONSUMERS)) / math.sqrt(len(paths))
    excess = float((mean - exact - Z * se)[1:].max())
    gap = exact - mean
    at = int(gap.argmax())
    tol = 0.01 + Z * float(se[at])
    off = np.abs(mean - field)
    figs.default_gap_figure(figures / "bass_defaults.png", t, paths, exact, field, p, q)
    what = (
        f"every default (susceptibility spread {sc.consumers.susceptibility_sigma}, negative word of mouth "
        f"{w.negative_ratio:.3g}:1 with impact {w.negative_impact}, satisfaction {sc.consumers.satisfaction}) on a "
        f"complete graph with no campaign, p = {p}, q = {q}"
    )
    common = dict(figure="bass_defaults.png", seed=sc.seed, scenario_hash=sc.content_hash())
    runs = f"{len(paths)} replications, N = {CONSUMERS:,}, {days:,} daily steps"
    return [
        Check(
            "bass.defaults.gap",
            f"With {what}, adoption stays below the Bass curve by more than the Bass checks' 0.01: the Bass "
            "match holds in the Bass limit only",
            float(gap[at]),
            tol,
            "max_t (F - mean) > 0.01 + 3 SE, and max over days of (mean - F - 3 SE) <= 0",
            bool(gap[at] > tol and excess <= 0),
            source="Bass 1969 closed form; default p and q: Sultan, Farley & Lehmann 1990 meta-analysis means",
            detail=f"at 10 years: defaults {mean[-1]:.3f} (SE {se[-1]:.3f}) against Bass {exact[-1]:.3f}; largest "
            f"gap {gap[at]:.3f} at t = {t[at]:.1f} years; never above F by more than 3 SE (max excess "
            f"{excess:.4f}); {runs}",
            **common,
        ),
        Check(
            "bass.defaults.mean_field",
            f"With {what}, mean adoption follows the default model's mean-field recursion (susceptibility "
            "quantiles x attitude after k negative hits)",
            float(off.max()),
            Z * float(se.max()),
            "max_t |mean - F_mean_field| <= 3 x the largest SE",
            bool(off.max() <= Z * se.max()),
            source="mean-field recursion of docs/model.md's rules (sim/validation/closed_forms.py)",
            detail=f"at 10 years: simulated {mean[-1]:.4f}, mean field {field[-1]:.4f}; largest difference "
            f"{off.max():.4f} at t = {t[off.argmax()]:.1f} years; {runs}",
            **common,
        ),
    ]
