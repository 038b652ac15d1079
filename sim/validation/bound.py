"""The Fibich-Levin bound: on any network, expected Bass adoption stays below the complete-mixing
curve; guarded by a check that word of mouth is at work (a model without it meets the bound trivially)."""

from __future__ import annotations

import math
from pathlib import Path

import networkx as nx
import numpy as np

from sim.core.rules import DAYS_PER_YEAR
from sim.validation import report as figs
from sim.validation.closed_forms import bass_cumulative
from sim.validation.common import SEED, Check, Effort, Z
from sim.validation.limits import adoption_paths, bass_scenario, graph_world

GRAPH_FAMILIES = ("erdos_renyi", "barabasi_albert", "watts_strogatz", "star", "complete")
SOURCE = "Fibich & Levin: network Bass model, adoption bounded by the complete network / Bass curve"


def graph_bass_paths(g: nx.Graph, p: float, q: float, days: int, reps: int) -> np.ndarray:
    """Adoption paths of the network Bass model on ``g`` (q shared among one's neighbours)."""
    sc = bass_scenario(p, q, max(g.number_of_nodes(), 10), days)
    return adoption_paths(sc, range(reps), graph_world(sc, g))


def bound_excess(paths: np.ndarray, p: float, q: float) -> np.ndarray:
    """Per day 1..days: mean adoption above the complete-mixing Bass curve, less 3 SE (<= 0 if bound holds)."""
    exact = bass_cumulative(np.arange(paths.shape[1]) / DAYS_PER_YEAR, p, q)
    se = paths.std(0, ddof=1) / math.sqrt(len(paths))
    return (paths.mean(0) - exact - Z * se)[1:]


def word_of_mouth_lift(paths: np.ndarray, p: float) -> float:
    """Lift of mean adoption on the last day above the no-word-of-mouth curve 1 - exp(-p t), in SEs.

    With q = 0 every consumer adopts at daily chance 1 - exp(-p/365) alone, so the lift is a
    standard normal draw (0 up to noise); word of mouth makes it large.
    """
    t = (paths.shape[1] - 1) / DAYS_PER_YEAR
    alone = -math.expm1(-p * t)
    se = paths[:, -1].std(ddof=1) / math.sqrt(len(paths))
    return float((paths[:, -1].mean() - alone) / max(se, 1e-12))


def random_graph(kind: str, n: int, seed: int) -> nx.Graph:
    """One graph of a named family, for the bound's random instances."""
    if kind == "erdos_renyi":
        return nx.gnp_random_graph(n, 4 / n, seed=seed)
    if kind == "barabasi_albert":
        return nx.barabasi_albert_graph(n, 2, seed=seed)
    if kind == "watts_strogatz":
        return nx.watts_strogatz_graph(n, 4, 0.1, seed=seed)
    if kind == "star":
        return nx.star_graph(n - 1)
    return nx.complete_graph(n)


def check_bound(effort: Effort, figures: Path) -> list[Check]:
    """Expected adoption on random graphs never exceeds the complete-mixing Bass curve, and word
    of mouth lifts it clearly above the curve of external adoption alone."""
    rng = np.random.default_rng(SEED)
    days = 180
    curves, worst, lifts = [], -math.inf, []
    for i in range(effort.bound_graphs):
        kind = GRAPH_FAMILIES[i % len(GRAPH_FAMILIES)]
        n = int(rng.integers(50, 301))
        p, q = float(rng.uniform(0.2, 2.0)), float(rng.uniform(1.0, 10.0))
        g = random_graph(kind, n, int(rng.integers(2**31)))
        paths = graph_bass_paths(g, p, q, days, effort.bound_reps)
        worst = max(worst, float(bound_excess(paths, p, q).max()))
        lifts.append((kind, n, word_of_mouth_lift(paths, p)))
        exact = bass_cumulative(np.arange(days + 1) / DAYS_PER_YEAR, p, q)
        curves.append((f"{kind}, n={n}, p={p:.2f}, q={q:.1f}", exact, paths))
    figs.bound_figure(figures / "bound.png", curves)
    median_lift = float(np.median([lift for _, _, lift in lifts]))
    where = (
        f"{effort.bound_graphs} random graphs ({', '.join(GRAPH_FAMILIES)}; 50-300 nodes; p in [0.2, 2], "
        f"q in [1, 10] per year), {effort.bound_reps} replications each, {days} daily steps"
    )
    return [
        Check(
            "bound.fibich_levin",
            f"Mean adoption on {where} never exceeds the complete-mixing Bass curve",
            worst,
            0.0,
            "max over graphs and days >= 1 of (mean_t - F(t) - 3 SE_t) <= 0",
            bool(worst <= 0),
            "bound.png",
            SOURCE,
            "also a hypothesis property test in tests/test_validation.py",
        ),
        Check(
            "bound.word_of_mouth",
            "On the same graphs word of mouth lifts mean adoption by the last day above external adoption "
            "alone, 1 - exp(-p t), so the bound is not met merely by a model without word of mouth",
            median_lift,
            Z,
            "median over graphs of (mean - (1 - exp(-p t))) / SE on the last day > 3 (without word of mouth: "
            "a median of standard normal draws)",
            bool(median_lift > Z),
            "bound.png",
            SOURCE,
            "lift on the last day in SEs per graph: " + ", ".join(f"{k} n={n}: {v:.1f}" for k, n, v in lifts),
        ),
    ]
