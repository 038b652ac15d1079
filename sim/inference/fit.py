"""ABC-SMC with pyabc (Toni et al. 2009; Klinger, Rickert & Hasenauer 2018), made reproducible.

pyabc's own parallel samplers re-seed every worker from fresh entropy, so two runs differ. Here
every particle gets a seed drawn in order from one seeded stream and is sampled in its own task
(pyabc's ``MappingSampler`` pattern), and results come back in task order: the same seed gives
the same posterior on 1 or 2 workers. Log-uniform priors are sampled in log10 space.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import random
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyabc
from pyabc.sampler import MappingSampler

from sim.core.sections import Range
from sim.inference.draws import WEIGHT
from sim.inference.simulator import CampaignSimulator

SEED_HIGH = 2**31 - 1


@dataclass(frozen=True)
class Fit:
    """A finished calibration: the last population (one column per key, plus ``weight``), the
    populations' history, simulations used and seconds taken."""

    posterior: pd.DataFrame
    populations: pd.DataFrame
    simulations: int
    seconds: float


def _sample_one(payload: bytes, seed: int):
    """One task: seed pyabc's global streams, then simulate until one particle is accepted."""
    import cloudpickle

    simulate_one, empty = cloudpickle.loads(payload)
    with seeded(seed):  # restored after: in process (one worker) the caller's stream goes on untouched
        sample, evaluations = empty(), 0
        while True:
            particle = simulate_one()
            evaluations += 1
            sample.append(particle)
            if particle.accepted:
                return sample, evaluations


class SeededMappingSampler(MappingSampler):
    """pyabc's mapping sampler, but each particle's task is seeded from the caller's stream."""

    def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf, all_accepted=False, ana_vars=None):
        import cloudpickle

        seeds = np.random.randint(SEED_HIGH, size=n)  # the main process's stream, seeded by ``fit``
        payload = cloudpickle.dumps((simulate_one, self.sample_factory))
        results = list(self.map_(_sample_one, [payload] * n, seeds.tolist()))
        self.nr_evaluations_ = sum(e for _, e in results)
        sample = self._create_empty_sample()
        for part, _ in results:
            sample += part
        return sample


class _Model:
    """pyabc's model: prior coordinates -> the simulator's summary statistics."""

    def __init__(self, simulator: CampaignSimulator, priors: dict[str, Range]) -> None:
        self.simulator, self.priors = simulator, priors

    def __call__(self, point) -> dict[str, float]:
        replication = int(np.random.randint(SEED_HIGH))  # pyabc's stream, seeded per task
        return self.simulator.statistics(to_values(point, self.priors), replication)


def coordinate(i: int) -> str:
    return f"x{i}"


def to_values(point, priors: dict[str, Range]) -> dict[str, float]:
    """pyabc's coordinates (log10 for log ranges) -> parameter values by dotted key."""
    out = {}
    for i, (key, r) in enumerate(priors.items()):
        x = float(point[coordinate(i)])
        out[key] = 10.0**x if r.log else x
    return out


def prior_distribution(priors: dict[str, Range]) -> pyabc.Distribution:
    rvs = {}
    for i, r in enumerate(priors.values()):
        lo, hi = (np.log10(r.min), np.log10(r.max)) if r.log else (r.min, r.max)
        rvs[coordinate(i)] = pyabc.RV("uniform", lo, hi - lo)
    return pyabc.Distribution(**rvs)


def distance() -> pyabc.Distance:
    """Adaptive L2 distance: each statistic scaled by its spread in the current population."""
    return pyabc.AdaptivePNormDistance(p=2)


@contextlib.contextmanager
def mapper(workers: int) -> Iterator[Callable]:
    """``map`` over ``workers`` processes (forkserver: no fork of a threaded parent), or in process."""
    if workers <= 1:
        yield map
        return
    context = mp.get_context("forkserver")
    context.set_forkserver_preload(["sim.inference.fit"])
    with context.Pool(workers) as pool:
        yield lambda f, *args: pool.starmap(f, zip(*args, strict=True), chunksize=1)


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Seed numpy's and Python's global streams (pyabc draws from them); restore them after."""
    np_state, py_state = np.random.get_state(), random.getstate()
    np.random.seed(seed % SEED_HIGH)
    random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)


def fit(
    simulator: CampaignSimulator,
    observed: dict[str, float],
    priors: dict[str, Range],
    *,
    particles: int,
    generations: int,
    min_acceptance: float,
    seed: int,
    map_: Callable = map,
    verbose: bool = False,
) -> Fit:
    """Run ABC-SMC: ``particles`` per population, at most ``generations`` populations after the
    first, stopping early once fewer than ``min_acceptance`` of the simulations are accepted.

    The distance is pyabc's adaptive L2 norm: each statistic is scaled by its median absolute
    deviation in the current population, so orders and daily sales weigh in comparably.
    """
    for name in ("ABC", "ABC.Sampler", "ABC.History", "ABC.Distance", "ABC.Epsilon", "ABC.Population"):
        logging.getLogger(name).setLevel(logging.INFO if verbose else logging.WARNING)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="wom-abc-") as tmp, seeded(seed):
        abc = pyabc.ABCSMC(
            pyabc.FunctionModel(_Model(simulator, priors)),
            prior_distribution(priors),
            distance(),
            population_size=particles,
            sampler=SeededMappingSampler(map_=map_),
        )
        abc.new(f"sqlite:///{Path(tmp) / 'abc.db'}", observed)
        history = abc.run(max_nr_populations=generations, min_acceptance_rate=min_acceptance)
        frame, weights = history.get_distribution()
        posterior = pd.DataFrame([to_values(row, priors) for _, row in frame.iterrows()], columns=list(priors)).assign(
            **{WEIGHT: weights / weights.sum()}
        )
        populations = history.get_all_populations()
        populations = populations[populations["t"] >= 0][["t", "epsilon", "samples", "particles"]].reset_index(
            drop=True
        )
        simulations = int(history.total_nr_simulations)
    return Fit(posterior, populations, simulations, time.perf_counter() - start)
