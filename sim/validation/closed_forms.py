"""Results known exactly: the Bass curve, its rate and peak, its daily-step recursion, and the
expected Independent Cascade spread on small graphs by enumerating live-edge worlds."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np

from sim.core.rules import DAYS_PER_YEAR


def bass_cumulative(t, p: float, q: float):
    """Bass (1969) closed form: share adopted by time ``t`` (years)."""
    e = np.exp(-(p + q) * np.asarray(t, dtype=np.float64))
    return (1 - e) / (1 + (q / p) * e)


def bass_rate(t, p: float, q: float):
    """Bass adoption rate dF/dt (share per year)."""
    e = np.exp(-(p + q) * np.asarray(t, dtype=np.float64))
    return (p + q) ** 2 / p * e / (1 + (q / p) * e) ** 2


def bass_peak(p: float, q: float) -> float:
    """Time of the Bass sales peak, t* = ln(q/p) / (p + q) years."""
    return math.log(q / p) / (p + q)


def bass_daily(p: float, q: float, days: int) -> np.ndarray:
    """The engine's update as a mean-field recursion: day k uses the share adopted at its start.

    F[k] = F[k-1] + (1 - F[k-1]) (1 - exp(-(p + q F[k-1]) / 365)), F[0] = 0. Its distance to the
    closed form is the discretisation error of daily steps: O(dt), about ln(q/p)/2 days at the peak.
    """
    f = np.zeros(days + 1)
    for k in range(1, days + 1):
        f[k] = f[k - 1] + (1 - f[k - 1]) * -math.expm1(-(p + q * f[k - 1]) / DAYS_PER_YEAR)
    return f


def exact_cascade(g: nx.Graph, seeds, p: float, chunk: int = 1 << 16) -> tuple[float, float]:
    """Exact mean and standard deviation of the IC spread, by enumerating live-edge worlds.

    On an undirected graph each tie is tried at most once (by whichever end adopts first), so
    the IC spread is distributed as the set reachable from the seeds when every tie is live
    with probability p independently (Kempe, Kleinberg & Tardos 2003): 2^m worlds for m ties.
    """
    nodes = {v: i for i, v in enumerate(g.nodes)}
    u = np.array([nodes[a] for a, _ in g.edges])
    v = np.array([nodes[b] for _, b in g.edges])
    m, n = u.size, len(nodes)
    if m > 24:
        raise ValueError(f"{m} edges: 2^{m} worlds is too many to enumerate")
    first = second = 0.0
    for start in range(0, 1 << m, chunk):
        worlds = np.arange(start, min(start + chunk, 1 << m), dtype=np.int64)
        live = ((worlds[:, None] >> np.arange(m)) & 1).astype(bool)
        active = np.zeros((worlds.size, n), bool)
        active[:, [nodes[s] for s in seeds]] = True
        for _ in range(n):
            before = active.sum()
            for e in range(m):
                active[:, v[e]] |= active[:, u[e]] & live[:, e]
                active[:, u[e]] |= active[:, v[e]] & live[:, e]
            if active.sum() == before:
                break
        k = live.sum(1)
        weight = p**k * (1 - p) ** (m - k)
        size = active.sum(1)
        first += float(weight @ size)
        second += float(weight @ size**2)
    return first, math.sqrt(max(second - first**2, 0.0))


def default_mean_field(
    p: float, q: float, days: int, sigma: float, negative_ratio: float, impact: float, n: int, grid: int = 400
) -> np.ndarray:
    """Share adopted after each day 0..days of the default model on a complete graph, no campaign.

    A mean-field recursion written from the model's description, not its code (docs/model.md):
    a consumer of susceptibility s (lognormal, mean 1, spread ``sigma``; a quantile grid) and
    attitude a = (1 - impact)^k after k negative hits adopts on a day with chance
    1 - exp(-s a (p + q G) / 365), G the share of the *others* adopted before the day. The
    average adopter's positive talk weighs 1 and detractors' negative talk ``negative_ratio``
    times that, so a non-adopter is hit with chance 1 - exp(-q G negative_ratio / 365).
    """
    from scipy.stats import norm

    s = np.exp(-0.5 * sigma**2 + sigma * norm.ppf((np.arange(grid) + 0.5) / grid)) if sigma > 0 else np.ones(1)
    hits = 60  # attitude levels tracked; (1 - impact)^60 is negligible for impact >= 0.1
    attitude = (1 - impact) ** np.arange(hits)
    waiting = np.zeros((s.size, hits))
    waiting[:, 0] = 1 / s.size
    out = np.zeros(days + 1)
    for d in range(1, days + 1):
        others = out[d - 1] * n / (n - 1)
        chance = -np.expm1(-np.outer(s, attitude) * (p + q * others) / DAYS_PER_YEAR)
        stay = waiting * (1 - chance)
        hit = -math.expm1(-q * others * negative_ratio / DAYS_PER_YEAR)
        waiting = stay * (1 - hit)
        waiting[:, 1:] += stay[:, :-1] * hit
        waiting[:, -1] += stay[:, -1] * hit
        out[d] = 1 - waiting.sum()
    return out
