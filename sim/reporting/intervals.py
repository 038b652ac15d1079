"""The intervals every report prints, in one place, each saying how it was made.

- ``mean_interval``: the Student t 95% interval of a mean over replications (valid for a mean of
  independent replications by the central limit theorem). A quantity with natural bounds (a count
  is never below 0, NPS lies in [-100, 100]) has its interval clipped there, and says so.
- ``ratio_interval``: a ratio of totals over all replications, such as CPA = total spend / total
  incremental adopters, so no replication is dropped (one with zero lift counts its spend and no
  adopter). Its interval is Fieller's (1954): the exact counterpart, for normal means, of the
  delta method, and unbounded above exactly when the denominator's interval includes 0, where no
  finite upper bound exists (the campaign may have added no one).
- ``ratio_difference``: the paired difference of two such ratios on the same replications, with a
  delta-method interval (unbounded when either ratio is).
- ``outcome_range``: the 2.5-97.5% percentiles of single outcomes (a ratio whose denominator is
  not positive in a replication, such as CPA with no lift, counts as an unbounded outcome there).

Which uncertainty an interval covers (simulation noise, or parameter uncertainty too) depends on
the scenario: ``sim.inference.draws.interval_note`` says it in words.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import stdtrit

LEVEL = 0.95
METHODS = {
    "t": "Student t interval of the mean over replications",
    "fieller": "ratio of totals over all replications, Fieller's interval",
    "delta": "paired difference of ratios of totals, delta method",
    "": "no interval (fewer than two replications)",
}
INTERVALS_NOTE = (
    "95% CI: Student t interval of the mean over replications, clipped at a quantity's natural bounds "
    "(counts at 0, NPS at -100 and 100; marked where it happens); ratios (ROI, CPA, CPE, CPM) are ratios of "
    "totals over all replications (no replication dropped) with Fieller's interval, unbounded above when the "
    "denominator's interval includes 0; 95% range: 2.5-97.5% percentiles of single replications."
)


def t_quantile(n: int | np.ndarray) -> np.ndarray | float:
    """The 97.5% quantile of Student's t with n - 1 degrees of freedom (n >= 2)."""
    return stdtrit(np.maximum(np.asarray(n) - 1, 1), 0.5 + LEVEL / 2)


def ci95_halfwidth(sd, n):
    """Half-width of the Student t 95% interval of a mean of ``n`` values with spread ``sd``."""
    return t_quantile(n) * sd / np.sqrt(n)


@dataclass(frozen=True)
class Interval:
    """An estimate with its 95% interval; ``note`` says in words anything a reader must know
    (clipped at a bound, unbounded, replications without a value)."""

    estimate: float
    low: float
    high: float
    n: int
    method: str = "t"
    note: str = ""

    @property
    def unbounded(self) -> bool:
        return self.high == math.inf

    def as_dict(self) -> dict:
        return {
            "mean": self.estimate,
            "ci95_low": self.low,
            "ci95_high": self.high,
            "n": self.n,
            "interval": METHODS[self.method],
            "note": self.note,
        }


NONE = Interval(math.nan, math.nan, math.nan, 0, "")


def bound_note(low: float, high: float) -> str:
    if low > -math.inf and high < math.inf:
        return f"clipped to [{low:g}, {high:g}]"
    return f"clipped at {low:g}" if low > -math.inf else f"clipped at {high:g}"


def mean_interval(values, bounds: tuple[float, float] = (-math.inf, math.inf)) -> Interval:
    """Mean and Student t 95% interval of the mean, clipped at ``bounds`` (and saying so).

    Replications without a value (NaN, e.g. NPS where nobody adopted) are not dropped silently:
    the note counts them.
    """
    v = np.asarray(values, dtype=float)
    finite = v[~np.isnan(v)]
    missing = v.size - finite.size
    notes = [f"{missing} of {v.size} replications without a value"] if missing else []
    if finite.size == 0:
        return Interval(math.nan, math.nan, math.nan, 0, "", "; ".join(notes))
    mean = float(finite.mean())
    if finite.size < 2:
        return Interval(mean, math.nan, math.nan, 1, "", "; ".join(notes))
    half = float(ci95_halfwidth(finite.std(ddof=1), finite.size))
    low, high = mean - half, mean + half
    lo, hi = bounds
    if low < lo or high > hi:
        low, high = max(low, lo), min(high, hi)
        notes.append(bound_note(lo, hi))
    return Interval(mean, low, high, int(finite.size), "t", "; ".join(notes))


def mean_ci(values, axis: int = -1, floor: float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``mean_interval`` along an axis of an array (planning's curves): mean, low and high, the
    low end clipped at ``floor`` (a count's 0) when given."""
    values = np.asarray(values, dtype=float)
    n = values.shape[axis]
    mean = values.mean(axis=axis)
    if n < 2:
        nan = np.full_like(mean, np.nan)
        return mean, nan, nan.copy()
    half = ci95_halfwidth(values.std(axis=axis, ddof=1), n)
    low, high = mean - half, mean + half
    if floor is not None:
        low = np.maximum(low, floor)
    return mean, low, high


def ratio_interval(numerator, denominator, scale: float = 1.0, *, what: str = "denominator") -> Interval:
    """``scale x sum(numerator) / sum(denominator)`` over all replications, with Fieller's 95% interval.

    Fieller: R is inside when the t-test of mean(numerator - R x denominator) = 0 does not reject
    it. Bounded when the denominator's own t-interval excludes 0; else the set is unbounded and
    the interval is ``[low, inf)``: for a cost ratio (numerator never negative) ``low`` is the
    smallest non-negative R the test does not reject (0 when the set reaches 0), else -inf. No
    estimate (NaN) when the denominator's total is not positive.

    >>> iv = ratio_interval([100.0, 100.0, 100.0], [0.0, 2.0, 4.0])  # a replication without lift
    >>> iv.estimate, iv.high  # 300 / 6, and the lift's interval includes 0
    (50.0, inf)
    """
    x = scale * np.asarray(numerator, dtype=float)
    y = np.asarray(denominator, dtype=float)
    n = x.size
    if n == 0 or y.sum() <= 0:
        note = f"undefined: total {what} is not positive" if n else ""
        return Interval(math.nan, math.nan, math.nan, n, "", note)
    estimate = float(x.sum() / y.sum())
    if n < 2:
        return Interval(estimate, math.nan, math.nan, n, "")
    mx, my = x.mean(), y.mean()
    cov = np.cov(x, y, ddof=1)
    q = float(t_quantile(n)) ** 2 / n
    a = my * my - q * cov[1, 1]
    b = -2 * (mx * my - q * cov[0, 1])
    c = mx * mx - q * cov[0, 0]
    disc = max(b * b - 4 * a * c, 0.0)
    if a > 0:
        roots = sorted(((-b - math.sqrt(disc)) / (2 * a), (-b + math.sqrt(disc)) / (2 * a)))
        # The estimate always passes the test; rounding must not put it outside (zero spread).
        return Interval(estimate, min(float(roots[0]), estimate), max(float(roots[1]), estimate), n, "fieller")
    # The denominator's interval includes 0: the set is unbounded, (-inf, r1] u [r2, inf) or the whole
    # line. A cost ratio (no negative numerator) below 0 means "no lift", which the open upper end
    # already stands for; so report the smallest [low, inf) holding the set's non-negative part,
    # a hull that keeps a gap (r1, r2) inside when r1 > 0. Otherwise nothing bounds it below.
    low = -math.inf
    if (x >= 0).all():
        low = 0.0
        if a < 0 and b * b - 4 * a * c > 0:
            r1, r2 = sorted(((-b - math.sqrt(disc)) / (2 * a), (-b + math.sqrt(disc)) / (2 * a)))
            low = 0.0 if r1 >= 0 else min(max(float(r2), 0.0), estimate)
    return Interval(estimate, low, math.inf, n, "fieller", f"unbounded above: the 95% CI of {what} includes 0")


def ratio_difference(num_a, den_a, num_b, den_b, scale: float = 1.0) -> Interval:
    """Paired difference ``ratio(b) - ratio(a)`` of two ratios of totals on the same replications,
    with a delta-method 95% interval; unbounded when either denominator's interval includes 0."""
    ra = ratio_interval(num_a, den_a, scale)
    rb = ratio_interval(num_b, den_b, scale)
    diff = rb.estimate - ra.estimate
    n = len(np.asarray(num_a))
    if not math.isfinite(diff) or n < 2:
        return Interval(diff, math.nan, math.nan, n, "", ra.note or rb.note)
    if ra.unbounded or rb.unbounded:
        return Interval(diff, -math.inf, math.inf, n, "delta", "unbounded: a ratio's denominator CI includes 0")
    xa, ya = scale * np.asarray(num_a, float), np.asarray(den_a, float)
    xb, yb = scale * np.asarray(num_b, float), np.asarray(den_b, float)
    z = (xb - rb.estimate * yb) / yb.mean() - (xa - ra.estimate * ya) / ya.mean()
    half = float(ci95_halfwidth(z.std(ddof=1), n))
    return Interval(diff, diff - half, diff + half, n, "delta")


def outcome_range(values) -> tuple[float, float]:
    """2.5% and 97.5% percentiles of single outcomes (linear interpolation; NaN left out). An
    infinite outcome (money spent for no lift) makes any percentile that reaches it infinite."""
    v = np.sort(np.asarray(values, dtype=float))
    v = v[~np.isnan(v)]
    if v.size == 0:
        return math.nan, math.nan
    ends = []
    for q in (0.025, 0.975):
        at = q * (v.size - 1)
        lo, hi = int(math.floor(at)), int(math.ceil(at))
        a, b = float(v[lo]), float(v[hi])
        if lo == hi or a == b or math.isinf(a):
            ends.append(a)
        else:
            ends.append(b if math.isinf(b) else a + (b - a) * (at - lo))
    return ends[0], ends[1]


def ratio_outcomes(numerator, denominator, scale: float = 1.0) -> np.ndarray:
    """Per replication ``scale x numerator / denominator``; +inf where the denominator is not
    positive but the numerator is (money spent for nothing), NaN where both are 0."""
    x = scale * np.asarray(numerator, dtype=float)
    y = np.asarray(denominator, dtype=float)
    out = np.full(x.shape, np.nan)
    np.divide(x, y, out=out, where=y > 0)
    out[(y <= 0) & (x > 0)] = math.inf
    return out
