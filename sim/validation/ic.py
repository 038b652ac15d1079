"""The Independent Cascade limit: the model's cascade mode and the compiled fast path
(``sim.core.cascade``) against exact enumeration on small graphs and against cynetdiff."""

from __future__ import annotations

import math
from pathlib import Path

import networkx as nx
import numpy as np

from sim.core import generators as gen
from sim.core.cascade import independent_cascade
from sim.validation import report as figs
from sim.validation.closed_forms import exact_cascade
from sim.validation.common import SEED, Check, Effort, Z, z_limit
from sim.validation.limits import cascade_scenario, final_adopters, graph_world

FAST_TRIALS = 100_000  # the compiled cascade is cheap: its SEs are tiny next to the model's


def small_graphs() -> list[tuple[str, nx.Graph, list[int], float]]:
    """Graphs of at most 20 ties with seeds and tie probability, for exact enumeration."""
    karate = nx.karate_club_graph()
    best = sorted(karate, key=karate.degree, reverse=True)[:9]
    karate9 = nx.convert_node_labels_to_integers(karate.subgraph(best).copy())
    return [
        ("path of 10, seed at one end", nx.path_graph(10), [0], 0.5),
        ("star of 12 leaves, seed a leaf", nx.star_graph(12), [1], 0.4),
        ("cycle of 12, two opposite seeds", nx.cycle_graph(12), [0, 6], 0.6),
        ("random G(12 nodes, 20 ties)", nx.gnm_random_graph(12, 20, seed=3), [0], 0.3),
        ("karate club, 20 ties of its 9 best-connected members", karate9, [0], 0.35),
    ]


def fast_spreads(adjacency, seeds, p: float, trials: int, seed: int) -> np.ndarray:
    return independent_cascade(adjacency.indptr, adjacency.indices, seeds, p, trials=trials, seed=seed).spread


def check_cascade_exact(effort: Effort, figures: Path) -> list[Check]:
    """IC spread on small graphs, model and fast path, against the exact expectation."""
    rows, out, fast_z = [], [], []
    for label, g, seeds, p in small_graphs():
        n = g.number_of_nodes()
        sc = cascade_scenario(p, n, n + 1)
        world = graph_world(sc, g)
        sim = final_adopters(sc, world, seeds, range(effort.ic_reps))
        mean, sd = exact_cascade(g, seeds, p)
        se = sd / math.sqrt(sim.size)
        z = (sim.mean() - mean) / se
        fast = fast_spreads(world.graph.adjacency, seeds, p, FAST_TRIALS, SEED)
        fast_z.append((label, (fast.mean() - mean) / (sd / math.sqrt(FAST_TRIALS)), fast.mean(), mean))
        rows.append((label, mean, sim.mean(), se))
        out.append(
            Check(
                f"cascade.exact.{label.split()[0]}",
                f"IC limit of the model on a {label} ({g.number_of_edges()} ties, tie probability {p}): mean spread",
                float(abs(z)),
                Z,
                "|z| = |mean_sim - E[S]| / SE < 3",
                bool(abs(z) < Z),
                "cascade_exact.png",
                "Kempe, Kleinberg & Tardos 2003 live-edge equivalence; exact enumeration of 2^m worlds",
                f"E[S] = {mean:.4f} exact, simulated {sim.mean():.4f} over {sim.size} replications "
                f"(SE {se:.4f} from the exact SD {sd:.3f})",
                sc.seed,
                sc.content_hash(),
            )
        )
    worst = max(fast_z, key=lambda r: abs(r[1]))
    out.append(
        Check(
            "cascade.fast.exact",
            f"The compiled Independent Cascade (sim.core.cascade) on the same {len(fast_z)} small graphs: mean spread",
            float(abs(worst[1])),
            z_limit(len(fast_z)),
            f"max over {len(fast_z)} graphs of |z| = |mean_fast - E[S]| / SE < {z_limit(len(fast_z)):.2f} "
            "(3 SE, Sidak-corrected for the max)",
            bool(abs(worst[1]) < z_limit(len(fast_z))),
            "cascade_exact.png",
            "Kempe, Kleinberg & Tardos 2003 live-edge equivalence; exact enumeration of 2^m worlds",
            f"{FAST_TRIALS:,} trials per graph; "
            + "; ".join(f"{r[0].split()[0]} {r[2]:.4f} vs {r[3]:.4f} (z {r[1]:+.2f})" for r in fast_z),
        )
    )
    figs.cascade_exact_figure(figures / "cascade_exact.png", rows)
    return out


def peer_spreads(g: nx.Graph, seeds, p: float, trials: int, seed: int) -> np.ndarray:
    """Final IC spreads from cynetdiff (a compiled IC implementation) on both directions of each tie."""
    from cynetdiff.utils import networkx_to_ic_model

    model, labels = networkx_to_ic_model(g.to_directed(), activation_prob=p, rng=seed)
    model.set_seeds([labels[int(s)] for s in seeds])
    out = np.empty(trials)
    for i in range(trials):
        model.reset_model()
        model.advance_until_completion()
        out[i] = model.get_num_activated_nodes()
    return out


def _z(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    se = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    return float((a.mean() - b.mean()) / se), se


def check_cascade_peer(effort: Effort, figures: Path) -> list[Check]:
    """IC spread on a 10,000-node Barabasi-Albert graph: the model and the fast path against cynetdiff."""
    n, days = 10_000, 40
    adjacency = gen.barabasi_albert(n, 3, seed=SEED)
    g = nx.from_scipy_sparse_array(adjacency)
    seeds = np.argsort(-np.diff(adjacency.indptr), kind="stable")[:10]
    panels, out = [], []
    source = "cynetdiff (PyPI), a compiled Independent Cascade implementation"
    for p in (0.01, 0.05):
        sc = cascade_scenario(p, n, days)
        ours = final_adopters(sc, graph_world(sc, adjacency), seeds, range(effort.peer_reps))
        peer = peer_spreads(g, seeds, p, 10 * effort.peer_reps, SEED)
        fast = fast_spreads(adjacency, seeds, p, 10 * effort.peer_reps, SEED)
        z, se = _z(ours, peer)
        z_fast, se_fast = _z(fast, peer)
        panels.append((p, ours, peer))
        what = f"IC on Barabasi-Albert (10,000 nodes, m = 3), 10 highest-degree seeds, p = {p}"
        out += [
            Check(
                f"cascade.peer.p{p:g}",
                f"{what}: the model's mean spread matches cynetdiff",
                abs(z),
                Z,
                "|z| = |mean_wom - mean_cynetdiff| / SE < 3",
                abs(z) < Z,
                "cascade_peer.png",
                source,
                f"wom {ours.mean():.2f} ({ours.size} replications), cynetdiff {peer.mean():.2f} "
                f"({peer.size} trials), SE of the difference {se:.2f}",
                sc.seed,
                sc.content_hash(),
            ),
            Check(
                f"cascade.fast.p{p:g}",
                f"{what}: the compiled cascade's mean spread matches cynetdiff",
                abs(z_fast),
                Z,
                "|z| = |mean_fast - mean_cynetdiff| / SE < 3",
                abs(z_fast) < Z,
                "cascade_peer.png",
                source,
                f"fast path {fast.mean():.2f}, cynetdiff {peer.mean():.2f} ({peer.size} trials each), "
                f"SE of the difference {se_fast:.2f}",
            ),
        ]
    figs.cascade_peer_figure(figures / "cascade_peer.png", panels)
    return out
