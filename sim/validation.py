"""Validation: the model against results known in closed form, exact enumeration, a peer
implementation, a theorem and stylised facts from the literature (``wom validate``).

Every check is a plain function returning ``Check`` records: what was measured, the tolerance,
whether it passed, its figure and its source. Monte-Carlo checks use fixed seeds and
tolerances derived from standard errors, so a run is deterministic and a failure is real.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np
from scipy import stats

from . import validation_report as figs
from .model import InfluenceModel
from .network import from_networkx
from .rules import DAYS_PER_YEAR
from .scenario import Scenario
from .world import World

SEED = 2024
Z = 3.0  # standard errors allowed for Monte-Carlo noise
ALPHA = 0.01  # significance level of the two-sample tests


@dataclass(frozen=True)
class Check:
    """One validation result: a row of the report's pass/fail table."""

    name: str
    claim: str
    measured: float
    tolerance: float
    criterion: str  # how measured and tolerance compare, e.g. "measured <= tolerance"
    passed: bool
    figure: str  # file name inside the report's figures folder
    source: str
    detail: str
    seed: int = SEED
    scenario_hash: str = ""


@dataclass(frozen=True)
class Effort:
    """How much simulation the checks spend: QUICK for CI, FULL for releases."""

    name: str
    bass_reps: int
    bass_years: tuple[float, float]  # horizon for the (0.03, 0.38) and (0.011, 1.5) curves
    ic_reps: int
    peer_reps: int
    bound_graphs: int
    bound_reps: int
    fact_worlds: int
    fact_reps: int
    engine_reps: int


QUICK = Effort("quick", 4, (15.0, 6.0), 400, 100, 4, 20, 2, 10, 25)
FULL = Effort("full", 24, (15.0, 8.0), 2000, 400, 16, 40, 6, 40, 150)


# --- the Bass model --------------------------------------------------------------------------


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
    closed form is the discretisation error of daily synchronous steps, O(1 day).
    """
    f = np.zeros(days + 1)
    for k in range(1, days + 1):
        f[k] = f[k - 1] + (1 - f[k - 1]) * -math.expm1(-(p + q * f[k - 1]) / DAYS_PER_YEAR)
    return f


def bass_scenario(p: float, q: float, consumers: int, days: int, seed: int = SEED) -> Scenario:
    """The Bass limit: no influencers, complete mixing, identical consumers who all talk alike."""
    return Scenario(
        name=f"bass_p{p:g}_q{q:g}",
        seed=seed,
        market={"population": consumers, "consumers": consumers, "days": days},
        network={"kind": "complete"},
        budget={"total": 0},
        consumers={"baseline_p": p, "susceptibility_sigma": 0.0, "satisfaction": 1.0},
        word_of_mouth={"mode": "bass", "q": q, "negative_ratio": 0.0},
    )


def adoption_paths(scenario: Scenario, replications, world: World | None = None, seeds=None) -> np.ndarray:
    """Share of consumers adopted at the end of each day 0..days, one row per replication.

    ``seeds(r)`` optionally gives replication r's initial adopters.
    """
    world = world or World.build(scenario)
    rows = []
    for r in replications:
        m = InfluenceModel(
            scenario, replication=r, campaign=False, world=world, initial_adopters=seeds(r) if seeds else None
        )
        path = [m.state.adopted.mean()]
        while m.day < m.days:
            m.step()
            path.append(m.state.adopted.mean())
        rows.append(path)
    return np.array(rows)


def peak_time(rates: np.ndarray, t: np.ndarray, centre: float, half_width: float) -> float:
    """Vertex of a parabola fitted to an adoption-rate curve within ``half_width`` of ``centre``.

    The Bass rate is symmetric about its peak, so a symmetric window gives an unbiased vertex.
    """
    near = np.abs(t - centre) <= half_width
    a, b, _ = np.polyfit(t[near] - centre, rates[near], 2)
    return centre - b / (2 * a) if a < 0 else math.nan


def check_bass(effort: Effort, figures: Path) -> list[Check]:
    """Mean cumulative adoption and peak time against the closed form, and the O(dt) lag."""
    cases = [
        ("sfl", 0.03, 0.38, effort.bass_years[0], "Sultan, Farley & Lehmann 1990 mean p and q"),
        ("anylogic", 0.011, 1.5, effort.bass_years[1], "AnyLogic agent-based Bass diffusion tutorial"),
    ]
    consumers = 10_000
    out = []
    for label, p, q, years, source in cases:
        days = int(round(years * DAYS_PER_YEAR))
        sc = bass_scenario(p, q, consumers, days)
        paths = adoption_paths(sc, range(effort.bass_reps))
        t = np.arange(days + 1) / DAYS_PER_YEAR
        exact = bass_cumulative(t, p, q)
        daily = bass_daily(p, q, days)
        mean = paths.mean(0)
        se = paths.std(0, ddof=1) / math.sqrt(len(paths))
        lag = np.abs(daily - exact)
        dev = np.abs(mean - exact)
        tol = max(0.01, Z * se.max() + lag.max())

        t_mid = (np.arange(1, days + 1) - 0.5) / DAYS_PER_YEAR  # day k's adoptions: mid-day
        rates = np.diff(paths, axis=1) * DAYS_PER_YEAR
        t_star = bass_peak(p, q)
        half = 1.0 / (p + q)
        centre = peak_time(rates.mean(0), t_mid, t_star, half)
        centre = peak_time(rates.mean(0), t_mid, centre, half)
        peaks = np.array([peak_time(r, t_mid, centre, half) for r in rates])
        peak_se = peaks.std(ddof=1) / math.sqrt(len(peaks))
        one_day = 1 / DAYS_PER_YEAR
        one_step = one_day * float(bass_rate(t_star, p, q))

        fig = f"bass_{label}.png"
        figs.bass_figure(
            figures / fig, t, paths, exact, daily, t_mid, rates, bass_rate(t_mid, p, q), t_star, peaks.mean(), p, q
        )
        what = f"(p, q) = ({p}, {q}) per year, N = {consumers:,}, {effort.bass_reps} replications, {days:,} daily steps"
        out += [
            Check(
                f"bass.{label}.curve",
                f"Bass limit {what}: mean cumulative adoption follows F(t)",
                float(dev.max()),
                tol,
                "max_t |F_sim - F| <= tolerance",
                bool(dev.max() <= tol),
                fig,
                f"Bass 1969 closed form; {source}",
                f"max deviation at t = {t[dev.argmax()]:.2f} years; largest standard error {se.max():.4f}; "
                f"tolerance = max(0.01, {Z:g} SE + discretisation lag {lag.max():.5f})",
                sc.seed,
                sc.content_hash(),
            ),
            Check(
                f"bass.{label}.peak",
                f"Bass limit {what}: adoption peaks at t* = ln(q/p)/(p+q) = {t_star:.3f} years",
                float(abs(peaks.mean() - t_star)),
                Z * peak_se + one_day,
                "|t*_sim - t*| (years) <= 3 SE + 1 day",
                bool(abs(peaks.mean() - t_star) <= Z * peak_se + one_day),
                fig,
                f"Bass 1969: t* = ln(q/p)/(p+q); {source}",
                f"t*_sim = {peaks.mean():.3f} years (mean over replications of a parabola fitted to the daily "
                f"adoption rate within {half:.2f} years of the peak), SE {peak_se:.3f} years",
                sc.seed,
                sc.content_hash(),
            ),
            Check(
                f"bass.{label}.discretisation",
                f"Daily synchronous steps lag the continuous Bass curve by at most one day, (p, q) = ({p}, {q})",
                float(lag.max()),
                one_step,
                "max_t |F_daily - F| <= one day's adoption at the peak, f(t*) / 365",
                bool(lag.max() <= one_step),
                fig,
                "Euler-type time stepping: global error O(dt)",
                f"F_daily: the engine's update as a deterministic recursion; the gap equals a delay of "
                f"{lag.max() / float(bass_rate(t_star, p, q)) * DAYS_PER_YEAR:.2f} days at the peak",
                sc.seed,
                sc.content_hash(),
            ),
        ]
    return out


# --- the Independent Cascade -----------------------------------------------------------------


def graph_world(scenario: Scenario, g: nx.Graph) -> World:
    """A world on a given graph, nodes 0..n-1 in order, with no influencers (graph-level checks)."""
    h = nx.Graph()
    h.add_nodes_from(range(g.number_of_nodes()), niche=0)
    h.add_edges_from(nx.convert_node_labels_to_integers(g).edges)
    graph = from_networkx(h, 1, np.random.default_rng(scenario.seed))
    return dataclasses.replace(World.build(scenario), graph=graph)


def cascade_scenario(tie_prob: float, consumers: int, days: int, seed: int = SEED) -> Scenario:
    """The Independent Cascade limit: each new adopter gets one chance per tie, nothing else."""
    return Scenario(
        name=f"cascade_p{tie_prob:g}",
        seed=seed,
        market={"population": max(consumers, 10), "consumers": max(consumers, 10), "days": days},
        network={"kind": "complete"},
        budget={"total": 0},
        consumers={"baseline_p": 0.0, "susceptibility_sigma": 0.0, "satisfaction": 1.0},
        word_of_mouth={"mode": "cascade", "tie_prob": tie_prob, "active_days": 1, "negative_ratio": 0.0},
    )


def final_adopters(scenario: Scenario, world: World, seeds, replications) -> np.ndarray:
    """Adopters (seeds included) at the end of each replication of a seeded run."""
    out = []
    for r in replications:
        m = InfluenceModel(scenario, replication=r, campaign=False, world=world, initial_adopters=seeds).run()
        if (m.state.adopt_day == m.days).any():
            raise RuntimeError(f"cascade still spreading on day {m.days}: lengthen the horizon")
        out.append(int(m.state.adopted.sum()))
    return np.array(out, dtype=np.float64)


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


def check_cascade_exact(effort: Effort, figures: Path) -> list[Check]:
    """Simulated IC spread on small graphs against the exact expectation."""
    rows, out = [], []
    for label, g, seeds, p in small_graphs():
        n = g.number_of_nodes()
        sc = cascade_scenario(p, n, n + 1)
        sim = final_adopters(sc, graph_world(sc, g), seeds, range(effort.ic_reps))
        mean, sd = exact_cascade(g, seeds, p)
        se = sd / math.sqrt(sim.size)
        z = (sim.mean() - mean) / se
        rows.append((label, mean, sim.mean(), se))
        out.append(
            Check(
                f"cascade.exact.{label.split()[0]}",
                f"IC limit on a {label} ({g.number_of_edges()} ties, tie probability {p}): mean spread",
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
    figs.cascade_exact_figure(figures / "cascade_exact.png", rows)
    return out


def peer_spreads(g: nx.Graph, seeds: list[int], p: float, trials: int, seed: int) -> np.ndarray:
    """Final IC spreads from cynetdiff (a compiled IC implementation) on both directions of each tie."""
    from cynetdiff.utils import networkx_to_ic_model

    model, labels = networkx_to_ic_model(g.to_directed(), activation_prob=p, rng=seed)
    model.set_seeds([labels[s] for s in seeds])
    out = np.empty(trials)
    for i in range(trials):
        model.reset_model()
        model.advance_until_completion()
        out[i] = model.get_num_activated_nodes()
    return out


def check_cascade_peer(effort: Effort, figures: Path) -> list[Check]:
    """IC spread on a 10,000-node Barabasi-Albert graph against cynetdiff."""
    n, days = 10_000, 60
    g = nx.barabasi_albert_graph(n, 3, seed=SEED)
    seeds = sorted(g, key=g.degree, reverse=True)[:10]
    panels, out = [], []
    for p in (0.01, 0.05):
        sc = cascade_scenario(p, n, days)
        ours = final_adopters(sc, graph_world(sc, g), seeds, range(effort.peer_reps))
        peer = peer_spreads(g, seeds, p, 10 * effort.peer_reps, SEED)
        se = math.sqrt(ours.var(ddof=1) / ours.size + peer.var(ddof=1) / peer.size)
        z = (ours.mean() - peer.mean()) / se
        panels.append((p, ours, peer))
        out.append(
            Check(
                f"cascade.peer.p{p:g}",
                f"IC on Barabasi-Albert (10,000 nodes, m = 3), 10 highest-degree seeds, p = {p}: mean spread "
                "matches cynetdiff",
                float(abs(z)),
                Z,
                "|z| = |mean_wom - mean_cynetdiff| / SE < 3",
                bool(abs(z) < Z),
                "cascade_peer.png",
                "cynetdiff 0.1 (PyPI), a compiled Independent Cascade implementation",
                f"wom {ours.mean():.2f} ({ours.size} replications), cynetdiff {peer.mean():.2f} "
                f"({peer.size} trials), SE of the difference {se:.2f}",
                sc.seed,
                sc.content_hash(),
            )
        )
    figs.cascade_peer_figure(figures / "cascade_peer.png", panels)
    return out


# --- the Fibich-Levin bound ------------------------------------------------------------------


def bound_excess(g: nx.Graph, p: float, q: float, days: int, reps: int, seed: int = SEED) -> tuple[float, np.ndarray]:
    """How far mean adoption on ``g`` rises above the complete-mixing Bass curve, in excess of 3 SE.

    Returns (max_t [mean_t - F(t) - 3 SE_t], mean path); the bound holds when the first is <= 0.
    """
    n = g.number_of_nodes()
    sc = bass_scenario(p, q, max(n, 10), days, seed)
    paths = adoption_paths(sc, range(reps), graph_world(sc, g))
    exact = bass_cumulative(np.arange(days + 1) / DAYS_PER_YEAR, p, q)
    se = paths.std(0, ddof=1) / math.sqrt(reps)
    return float(np.max(paths.mean(0) - exact - Z * se)), paths.mean(0)


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


GRAPH_FAMILIES = ("erdos_renyi", "barabasi_albert", "watts_strogatz", "star", "complete")


def check_bound(effort: Effort, figures: Path) -> list[Check]:
    """Expected adoption on random graphs never exceeds the complete-mixing Bass curve."""
    rng = np.random.default_rng(SEED)
    days = 180
    curves, worst = [], -math.inf
    for i in range(effort.bound_graphs):
        kind = GRAPH_FAMILIES[i % len(GRAPH_FAMILIES)]
        n = int(rng.integers(10, 61))
        p, q = float(rng.uniform(0.2, 2.0)), float(rng.uniform(1.0, 10.0))
        g = random_graph(kind, n, int(rng.integers(2**31)))
        excess, mean = bound_excess(g, p, q, days, effort.bound_reps)
        worst = max(worst, excess)
        exact = bass_cumulative(np.arange(days + 1) / DAYS_PER_YEAR, p, q)
        curves.append((f"{kind}, n={n}, p={p:.2f}, q={q:.1f}", exact, mean))
    figs.bound_figure(figures / "bound.png", curves)
    return [
        Check(
            "bound.fibich_levin",
            f"Mean adoption on {effort.bound_graphs} random graphs ({', '.join(GRAPH_FAMILIES)}; 10-60 nodes; "
            f"p in [0.2, 2], q in [1, 10] per year) never exceeds the complete-mixing Bass curve",
            worst,
            0.0,
            "max over graphs and days of (mean_t - F(t) - 3 SE_t) <= 0",
            bool(worst <= 0),
            "bound.png",
            "Fibich & Levin: network Bass model, adoption bounded by the complete network / Bass curve",
            f"{effort.bound_reps} replications per graph, {days} daily steps; also a hypothesis property "
            "test in tests/test_validation.py",
        )
    ]


# --- stylised facts --------------------------------------------------------------------------

TIER_SCENARIO = {
    "market": {"population": 2_000_000, "consumers": 20_000, "days": 14},
    "budget": {"total": 2_000_000},
    "contracts": {"kind": "one_off", "posts": 1},
}


def check_tiers(effort: Effort, figures: Path) -> list[Check]:
    """Per-follower engagement and reach fall with tier; micro beats macro on cost per engagement."""
    base = Scenario(name="tiers", **TIER_SCENARIO)
    names = base.tiers.names
    totals = {k: np.zeros((effort.fact_worlds, len(names))) for k in ("reach", "engagement", "cpe")}
    for w in range(effort.fact_worlds):
        sc = base.model_copy(update={"seed": SEED + w})
        world = World.build(sc)
        sums = np.zeros((4, len(names)))  # follower-posts, impressions, engagements, spend
        for r in range(max(1, effort.fact_reps // effort.fact_worlds)):
            frame = InfluenceModel(sc, replication=r, world=world).run().influencer_frame()
            by = frame.assign(fp=frame.followers * frame.posts).groupby("tier")
            for i, col in enumerate(("fp", "impressions", "engagements", "spend")):
                sums[i] += by[col].sum().reindex(names).fillna(0.0).to_numpy()
        totals["reach"][w] = sums[1] / sums[0]
        totals["engagement"][w] = sums[2] / sums[0]
        totals["cpe"][w] = sums[3] / sums[2]
    defaults = {
        "reach": [base.tiers.table[t].reach_rate for t in names],
        "engagement": [base.tiers.table[t].engagement_rate for t in names],
    }
    figs.tiers_figure(figures / "tiers.png", names, totals, defaults)
    out = []
    for key, label, source in (
        ("engagement", "engagement per follower per post", "Markerly 2016; HypeAuditor 2026 (calibration)"),
        ("reach", "reach (views) per follower per post", "Minter.io 2019 median post reach by follower band"),
    ):
        mean = totals[key].mean(0)
        rise = float(np.max(mean[1:] / mean[:-1]))
        out.append(
            Check(
                f"facts.tiers.{key}",
                f"Measured {label} falls from nano to mega",
                rise,
                1.0,
                "largest ratio of a tier to the next smaller tier < 1",
                bool(rise < 1.0),
                "tiers.png",
                source,
                ", ".join(f"{t} {v:.4f}" for t, v in zip(names, mean, strict=True))
                + f" (means over {effort.fact_worlds} worlds)",
                SEED,
                base.content_hash(),
            )
        )
    micro, macro = names.index("micro"), names.index("macro")
    ratio = totals["cpe"][:, micro] / totals["cpe"][:, macro]
    se = ratio.std(ddof=1) / math.sqrt(ratio.size)
    out.append(
        Check(
            "facts.tiers.cpe",
            "Under default calibration micro-influencers cost less per engagement than macro-influencers",
            float(ratio.mean()),
            1.0 - Z * se,
            "CPE(micro) / CPE(macro) < 1 - 3 SE",
            bool(ratio.mean() < 1.0 - Z * se),
            "tiers.png",
            "Markerly 2016 / Minter.io 2019: engagement and reach per follower fall with tier",
            f"CPE micro {totals['cpe'][:, micro].mean():.2f} USD, macro {totals['cpe'][:, macro].mean():.2f} USD "
            f"per engagement; ratio SE {se:.3f} over {effort.fact_worlds} worlds",
            SEED,
            base.content_hash(),
        )
    )
    return out


HUB_LEVELS = (0.0, 0.5, 2.0, 8.0)  # external (advertising) rate p per year


def check_hubs(effort: Effort, figures: Path) -> list[Check]:
    """Seeding a hub beats seeding a random consumer by less as the external rate rises."""
    n, days = 2_000, 60
    reps = effort.fact_reps
    g = nx.barabasi_albert_graph(n, 2, seed=SEED)
    hub = [max(g, key=g.degree)]
    advantage, se_adv, curves = [], [], []
    for p in HUB_LEVELS:
        sc = Scenario(
            name=f"hubs_p{p:g}",
            seed=SEED,
            market={"population": n, "consumers": n, "days": days},
            network={"kind": "complete"},
            budget={"total": 0},
            consumers={"baseline_p": p, "susceptibility_sigma": 0.0, "satisfaction": 1.0},
            word_of_mouth={"mode": "cascade", "tie_prob": 0.05, "active_days": 0, "negative_ratio": 0.0},
        )
        world = graph_world(sc, g)
        hubs = adoption_paths(sc, range(reps), world, lambda r: hub)
        randoms = adoption_paths(
            sc, range(reps, 2 * reps), world, lambda r: np.random.default_rng([SEED, r]).integers(0, n, 1)
        )
        gain = hubs[:, -1] - randoms[:, -1]
        advantage.append(gain.mean())
        se_adv.append(gain.std(ddof=1) / math.sqrt(reps))
        curves.append((p, hubs, randoms))
    advantage, se_adv = np.array(advantage), np.array(se_adv)
    figs.hubs_figure(figures / "hubs.png", curves, HUB_LEVELS, advantage, se_adv)
    drop = advantage[0] - advantage[-1]
    se_drop = math.hypot(se_adv[0], se_adv[-1])
    steps_down = bool(np.all(np.diff(advantage) < 0))
    return [
        Check(
            "facts.hubs",
            "The advantage of seeding the top hub over a random consumer shrinks as the external rate rises",
            float(drop),
            Z * se_drop,
            "advantage(p=0) - advantage(p=8/yr) > 3 SE, and it falls at every level",
            bool(drop > Z * se_drop and steps_down),
            "hubs.png",
            "Rossman & Fisher 2021, PNAS 118(7): network hubs cease to be influential with advertising",
            "adoption share on day 60 (hub seed minus random seed), Barabasi-Albert 2,000 nodes, SI-like cascade "
            f"(tie 0.05 per day, talk for ever): "
            + ", ".join(f"p={p:g}: {a:+.3f}" for p, a in zip(HUB_LEVELS, advantage, strict=True)),
        )
    ]


def check_complex(effort: Effort, figures: Path) -> list[Check]:
    """Complex contagion spreads further on clustered graphs, simple contagion on random ones."""
    n, days = 1_000, 40
    reps = effort.fact_reps
    finals, curves, out = {}, [], []
    for rule, threshold in (("simple", 1), ("complex", 2)):
        for shape, rewiring in (("clustered", 0.0), ("random", 1.0)):
            sc = Scenario(
                name=f"centola_{rule}_{shape}",
                seed=SEED,
                market={"population": n, "consumers": n, "days": days},
                network={"kind": "watts_strogatz", "mean_degree": 6, "rewiring": rewiring},
                budget={"total": 0},
                consumers={"baseline_p": 0.0, "susceptibility_sigma": 0.0, "satisfaction": 1.0},
                word_of_mouth={
                    "mode": "cascade",
                    "tie_prob": 0.1,
                    "active_days": 0,
                    "negative_ratio": 0.0,
                    "complex_threshold": threshold,
                },
            )
            world = World.build(sc)
            seeds = np.concatenate([[0], world.graph.neighbours(0)])
            paths = adoption_paths(sc, range(reps), world, lambda r, s=seeds: s)
            finals[rule, shape] = paths[:, -1]
            curves.append((rule, shape, paths))
    figs.complex_figure(figures / "complex.png", curves)
    for rule, better, worse in (("complex", "clustered", "random"), ("simple", "random", "clustered")):
        a, b = finals[rule, better], finals[rule, worse]
        gap = a.mean() - b.mean()
        se = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
        out.append(
            Check(
                f"facts.centola.{rule}",
                f"{rule.capitalize()} contagion spreads further on {better} than on {worse} graphs",
                float(gap),
                Z * se,
                f"share adopted by day {days}: {better} - {worse} > 3 SE",
                bool(gap > Z * se),
                "complex.png",
                "Centola 2010, Science 329: clustered networks spread behaviour that needs reinforcement",
                f"{better} {a.mean():.3f}, {worse} {b.mean():.3f}; Watts-Strogatz 1,000 nodes, degree 6, "
                f"rewiring 0 vs 1; seeds: a node and its neighbours; threshold {2 if rule == 'complex' else 1}",
            )
        )
    return out


# --- the two engines -------------------------------------------------------------------------


def engine_scenario() -> Scenario:
    """A small campaign exercising every mechanism: posts, word of mouth, detractors, referral."""
    return Scenario(
        name="engines",
        seed=SEED,
        market={"population": 30_000, "consumers": 300, "days": 40, "price": 40.0, "unit_margin": 15.0},
        network={"kind": "powerlaw_cluster", "mean_degree": 6, "clustering": 0.4, "niches": 4},
        budget={"total": 16_000, "split": {"micro": 0.5, "macro": 0.5}},
        word_of_mouth={"mode": "cascade", "tie_prob": 0.06, "active_days": 5},
        influence={"conversion": 0.08},
        referral={"enabled": True, "budget": 2_000, "reward": 10.0},
    )


def check_engines(effort: Effort, figures: Path) -> list[Check]:
    """The vectorised and the Mesa-agent engines give the same distributions (independent streams)."""
    sc = engine_scenario()
    world = World.build(sc)
    reps = effort.engine_reps
    samples = {}
    identical = 0
    for engine, first in (("vector", 0), ("agents", reps)):
        finals, days = [], []
        for r in range(first, first + reps):
            m = InfluenceModel(sc, replication=r, world=world, engine=engine).run()
            finals.append(int(m.state.adopted.sum()))
            days.append(m.state.adopt_day[m.state.adopted].mean())
        samples[engine] = (np.array(finals), np.array(days))
    for r in range(min(reps, 10)):  # common random numbers: the same replication, both engines
        a = InfluenceModel(sc, replication=r, world=world, engine="vector").run().state.adopt_day
        b = InfluenceModel(sc, replication=r, world=world, engine="agents").run().state.adopt_day
        identical += bool(np.array_equal(a, b))
    figs.engines_figure(figures / "engines.png", samples)
    out = []
    for i, (key, label) in enumerate((("final", "final adopters"), ("day", "mean adoption day"))):
        a, b = samples["vector"][i], samples["agents"][i]
        test = stats.ks_2samp(a, b)
        out.append(
            Check(
                f"engines.{key}",
                f"Vector and Mesa-agent engines: the distribution of {label} per replication agrees",
                float(test.pvalue),
                ALPHA,
                f"two-sample Kolmogorov-Smirnov p-value >= {ALPHA}",
                bool(test.pvalue >= ALPHA),
                "engines.png",
                "GUIDE section 2: both engines read sim/rules.py",
                f"{reps} replications per engine on disjoint streams; vector mean {a.mean():.2f}, agents "
                f"{b.mean():.2f}; KS D = {test.statistic:.3f}; on common random numbers {identical} of "
                f"{min(reps, 10)} replications gave identical adoption days",
                sc.seed,
                sc.content_hash(),
            )
        )
    return out


CHECKS: dict[str, Callable[[Effort, Path], list[Check]]] = {
    "bass": check_bass,
    "cascade_exact": check_cascade_exact,
    "cascade_peer": check_cascade_peer,
    "bound": check_bound,
    "tiers": check_tiers,
    "hubs": check_hubs,
    "complex": check_complex,
    "engines": check_engines,
}


def run_checks(effort: Effort, figures: Path, only: list[str] | None = None, progress=None) -> list[Check]:
    """Run the named check families (all by default); ``progress(name)`` is called before each."""
    figures.mkdir(parents=True, exist_ok=True)
    results = []
    for name, check in CHECKS.items():
        if only and name not in only:
            continue
        if progress:
            progress(name)
        results += check(effort, figures)
    return results
