"""Stylised facts with their size, not only their sign: hubs lose their edge as advertising rises
(Rossman & Fisher 2021), and complex contagion needs clustered ties (Centola 2010).

Each arm's mean is compared with an independent reference: a plain numpy simulation of the same
threshold-SI dynamics, written here without any of the model's code (docking), within 3 SE.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from sim.core import generators as gen
from sim.core.rules import DAYS_PER_YEAR
from sim.validation import report as figs
from sim.validation.common import SEED, Check, Effort, Z, z_limit
from sim.validation.limits import adoption_paths, cascade_scenario, graph_world

HUB_LEVELS = (0.0, 0.05, 0.2, 1.0, 4.0)  # external (advertising) rate p per year
HUB_TIE = 0.05
CENTOLA_TIE = 0.1
REF_REPS = 4  # reference replications per model replication: it is cheap, and its SE then matters less


def reference_paths(adjacency, seeds, tie_prob, threshold, p_year, days, reps, rng) -> np.ndarray:
    """Share adopted after each day of an SI process, in plain numpy: the docking reference.

    Adopters talk to their neighbours from the day after adopting, for ever; a consumer with k
    talking neighbours (k >= threshold) adopts with chance 1 - (1 - tie_prob)^k, and anyone
    with chance 1 - exp(-p / 365), independently.
    """
    n = adjacency.shape[0]
    a = sp.csr_array(adjacency, dtype=np.float64)
    out = np.empty((reps, days + 1))
    for r in range(reps):
        adopted = np.zeros(n, bool)
        adopted[seeds(r)] = True
        out[r, 0] = adopted.mean()
        for d in range(1, days + 1):
            k = a @ adopted.astype(np.float64)
            hazard = -math.log1p(-tie_prob) * k * (k >= threshold) + p_year / DAYS_PER_YEAR
            adopted |= rng.random(n) < -np.expm1(-hazard)
            out[r, d] = adopted.mean()
    return out


def days_to_half(paths: np.ndarray) -> np.ndarray:
    """First day each replication has half the market adopted (the horizon if never)."""
    hit = paths >= 0.5
    return np.where(hit.any(1), hit.argmax(1), paths.shape[1]).astype(np.float64)


def _diff(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Difference of means and its SE (independent samples)."""
    return float(a.mean() - b.mean()), math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)


def check_hubs(effort: Effort, figures: Path) -> list[Check]:
    """Seeding the top hub instead of a random consumer saves fewer days as the external rate rises."""
    n, days, reps = 2_000, 90, effort.fact_reps
    adjacency = gen.barabasi_albert(n, 2, seed=SEED)
    hub = [int(np.argmax(np.diff(adjacency.indptr)))]
    rng = np.random.default_rng(SEED)
    saved, se_saved, ref_saved, arm_z, curves = [], [], [], [], []

    def random_seed(r):
        return np.random.default_rng([SEED, r]).integers(0, n, 1)

    for p in HUB_LEVELS:
        sc = cascade_scenario(HUB_TIE, n, days, active_days=0, baseline_p=p, name=f"hubs_p{p:g}")
        world = graph_world(sc, adjacency)
        hubs = adoption_paths(sc, range(reps), world, lambda r: hub)
        randoms = adoption_paths(sc, range(reps, 2 * reps), world, random_seed)
        d, e = _diff(days_to_half(randoms), days_to_half(hubs))
        saved.append(d)
        se_saved.append(e)
        ref_h = days_to_half(reference_paths(adjacency, lambda r: hub, HUB_TIE, 1, p, days, REF_REPS * reps, rng))
        ref_r = days_to_half(reference_paths(adjacency, random_seed, HUB_TIE, 1, p, days, REF_REPS * reps, rng))
        ref_saved.append(ref_r.mean() - ref_h.mean())
        for ours, ref in ((days_to_half(hubs), ref_h), (days_to_half(randoms), ref_r)):
            d, e = _diff(ours, ref)
            arm_z.append(d / e if e > 0 else (0.0 if d == 0 else math.inf))
        curves.append((p, hubs, randoms))
    saved, se_saved, ref_saved, arm_z = map(np.array, (saved, se_saved, ref_saved, arm_z))
    figs.hubs_figure(figures / "hubs.png", curves, HUB_LEVELS, saved, se_saved, ref_saved)
    drop = saved[0] - saved[-1]
    se_drop = math.hypot(se_saved[0], se_saved[-1])
    rise = np.diff(saved) - Z * np.hypot(se_saved[1:], se_saved[:-1])
    per_level = ", ".join(
        f"p = {p:g}/yr: {d:.1f} (SE {e:.1f}; reference {r:.1f})"
        for p, d, e, r in zip(HUB_LEVELS, saved, se_saved, ref_saved, strict=True)
    )
    setting = (
        f"Barabasi-Albert 2,000 nodes (m = 2), SI-like cascade ({HUB_TIE} per tie per day, adopters talk for "
        f"ever), {reps} replications per arm ({REF_REPS * reps} for the reference)"
    )
    source = "Rossman & Fisher 2021, PNAS 118(7): network hubs cease to be influential with advertising"
    return [
        Check(
            "facts.hubs.fade",
            "The days saved by seeding the top hub rather than a random consumer shrink as the external "
            "(advertising) rate rises",
            float(drop),
            Z * se_drop,
            "saved(p = 0) - saved(p = 4/yr) > 3 SE, and no rise between adjacent levels beyond 3 SE",
            bool(drop > Z * se_drop and np.all(rise <= 0)),
            "hubs.png",
            source,
            f"days until half the market adopted, random seed minus hub seed: {per_level}; {setting}",
        ),
        Check(
            "facts.hubs.size",
            "At each advertising level, the days until half the market adopted, from the hub and from a random "
            "seed, equal those of an independent plain-numpy simulation of the same process (sizes, not only signs)",
            float(np.abs(arm_z).max()),
            z_limit(arm_z.size),
            f"max over {arm_z.size} levels and seeds of |mean days - mean days_reference| / SE < "
            f"{z_limit(arm_z.size):.2f} (3 SE, Sidak-corrected for the max)",
            bool(np.abs(arm_z).max() < z_limit(arm_z.size)),
            "hubs.png",
            source + "; docking reference in sim/validation/facts.py",
            f"{per_level}; z per level (hub, random): "
            + ", ".join(f"({a:+.2f}, {b:+.2f})" for a, b in arm_z.reshape(-1, 2)),
        ),
    ]


def check_complex(effort: Effort, figures: Path) -> list[Check]:
    """Complex contagion spreads further on clustered graphs, simple contagion on random ones; the
    size of each arm matches the reference simulation."""
    n, days, reps = 1_000, 60, effort.fact_reps
    finals, refs, curves, out = {}, {}, [], []
    rng = np.random.default_rng(SEED)
    for rule, threshold in (("simple", 1), ("complex", 2)):
        for shape, rewiring in (("clustered", 0.0), ("random", 1.0)):
            name = f"centola_{rule}_{shape}"
            sc = cascade_scenario(CENTOLA_TIE, n, days, active_days=0, name=name, complex_threshold=threshold)
            world = graph_world(sc, gen.watts_strogatz(n, 6, rewiring, seed=SEED))
            seeds = np.concatenate([[0], world.graph.neighbours(0)])
            paths = adoption_paths(sc, range(reps), world, lambda r, s=seeds: s)
            ref = reference_paths(
                world.graph.adjacency, lambda r, s=seeds: s, CENTOLA_TIE, threshold, 0.0, days, reps, rng
            )
            finals[rule, shape], refs[rule, shape] = paths[:, -1], ref[:, -1]
            curves.append((rule, shape, paths))
    figs.complex_figure(figures / "complex.png", curves)
    source = "Centola 2010, Science 329: clustered networks spread behaviour that needs reinforcement"
    setting = (
        f"Watts-Strogatz 1,000 nodes, degree 6, rewiring 0 vs 1; seeds: a node and its neighbours; "
        f"{CENTOLA_TIE} per talking tie per day; {reps} replications per arm"
    )
    for rule, better, worse in (("complex", "clustered", "random"), ("simple", "random", "clustered")):
        gap, se = _diff(finals[rule, better], finals[rule, worse])
        out.append(
            Check(
                f"facts.centola.{rule}",
                f"{rule.capitalize()} contagion spreads further on {better} than on {worse} graphs",
                gap,
                Z * se,
                f"share adopted by day {days}: {better} - {worse} > 3 SE",
                bool(gap > Z * se),
                "complex.png",
                source,
                f"{better} {finals[rule, better].mean():.3f}, {worse} {finals[rule, worse].mean():.3f}; {setting}; "
                f"threshold {2 if rule == 'complex' else 1}",
            )
        )
    zs = {}
    for key in finals:
        d, se = _diff(finals[key], refs[key])
        zs[key] = d / se if se > 0 else (0.0 if d == 0 else math.inf)
    worst = max(zs, key=lambda k: abs(zs[k]))
    out.append(
        Check(
            "facts.centola.size",
            "In each of the four arms the share adopted by day 60 equals that of an independent plain-numpy "
            "simulation of the same threshold dynamics (sizes, not only signs)",
            float(abs(zs[worst])),
            z_limit(len(zs)),
            f"max over {len(zs)} arms of |mean - mean_reference| / SE < {z_limit(len(zs)):.2f} (3 SE, Sidak-corrected)",
            bool(abs(zs[worst]) < z_limit(len(zs))),
            "complex.png",
            source + "; docking reference in sim/validation/facts.py",
            "; ".join(
                f"{r} {s}: {finals[r, s].mean():.3f} vs {refs[r, s].mean():.3f} (z {zs[r, s]:+.2f})" for r, s in finals
            )
            + f"; {setting}",
        )
    )
    return out
