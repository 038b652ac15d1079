"""Each replication's parameters, drawn from a scenario's ``[uncertain]`` table.

``for_replication(scenario, replication)`` is the one place a replication's uncertain parameters
are drawn; the runner's replication function calls it, so ``wom run``, ``compare``, ``sweep`` and
``plan`` all carry parameter uncertainty into their bands. The draw uses its own random stream
from (seed, replication), so results are identical on any number of workers, and the
simulation's own random numbers are the same with or without the draw.
"""

from __future__ import annotations

import functools
import hashlib
import io
from pathlib import Path

import numpy as np
import pandas as pd

from sim.core import files
from sim.core.errors import InputError
from sim.core.scenario import Scenario, check_dynamics_key
from sim.core.streams import parameter_rng

WEIGHT = "weight"
ID_COLUMNS = ("seed", "scenario_hash")  # provenance columns of posterior.parquet, not parameters
POSTERIOR_LIMIT = files.TABLE_LIMIT

NOISE_ONLY = (
    "simulation noise only: the model's parameters are fixed at the values in the scenario, and several "
    "of them (e.g. influence.conversion, influence.engaged_boost) are assumptions, not measurements"
)
SIMPLIFICATIONS = (
    "one purchase per buyer (no repeat purchases), no price effect on demand, and one graph, marketplace "
    "and hired roster per seed (shared by all replications)"
)


def sha256_of(path: str | Path) -> str:
    return hashlib.sha256(files.read_bytes(path, what="posterior", limit=POSTERIOR_LIMIT)).hexdigest()


@functools.lru_cache(maxsize=4)
def _read_posterior(path: str, sha256: str | None, _mtime_ns: int) -> tuple[list[str], np.ndarray, np.ndarray]:
    data = files.read_bytes(path, what="posterior", limit=POSTERIOR_LIMIT, key="uncertain.posterior")
    if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
        raise InputError(
            path, "uncertain.posterior_sha256", sha256, "the posterior file changed since calibration; calibrate again"
        )
    try:
        frame = pd.read_parquet(io.BytesIO(data))
    except Exception as exc:  # pyarrow raises several types for a file that is not parquet
        raise InputError(path, "uncertain.posterior", path, f"not a parquet file: {exc}") from None
    keys = [c for c in frame.columns if c not in (WEIGHT, *ID_COLUMNS)]
    if WEIGHT not in frame.columns or not keys or len(frame) == 0:
        raise InputError(path, "uncertain.posterior", list(frame.columns), "a weight column and parameter columns")
    values = frame[keys].to_numpy(dtype=np.float64)
    weights = frame[WEIGHT].to_numpy(dtype=np.float64)
    if not np.isfinite(values).all() or not np.isfinite(weights).all() or (weights < 0).any() or weights.sum() <= 0:
        raise InputError(path, "uncertain.posterior", "(values)", "finite parameters and weights >= 0 summing to > 0")
    return keys, values, weights / weights.sum()


def posterior_sample(scenario: Scenario) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(keys, values, normalised weights) of the scenario's posterior file, checked and cached."""
    u = scenario.uncertain
    path = u.posterior
    try:
        mtime = Path(path).stat().st_mtime_ns
    except OSError:
        mtime = 0  # read_bytes names the problem
    keys, values, weights = _read_posterior(path, u.posterior_sha256, mtime)
    for key in keys:
        try:
            check_dynamics_key(scenario, key, tuple(np.unique(values[:, keys.index(key)])[[0, -1]]))
        except ValueError as exc:
            raise InputError(path, key, "(column)", str(exc)) from None
        if key in u.parameters:
            raise InputError(path, key, "(column)", "is drawn from the posterior: remove its [uncertain] range")
    return keys, values, weights


def draw(scenario: Scenario, replication: int) -> dict[str, float]:
    """The uncertain parameters of one replication (empty when the scenario has none)."""
    u = scenario.uncertain
    if not u.active:
        return {}
    rng = parameter_rng(scenario.seed, replication)
    values: dict[str, float] = {}
    if u.posterior:
        keys, sample, weights = posterior_sample(scenario)
        row = int(rng.choice(len(weights), p=weights))
        values.update({k: float(v) for k, v in zip(keys, sample[row], strict=True)})
    for key in sorted(u.parameters):
        r = u.parameters[key]
        x = rng.random()
        values[key] = float(np.exp(np.log(r.min) + x * np.log(r.max / r.min)) if r.log else r.min + x * (r.max - r.min))
    return values


def for_replication(scenario: Scenario, replication: int) -> Scenario:
    """The scenario one replication simulates: its uncertain parameters drawn, the rest unchanged."""
    values = draw(scenario, replication)
    return scenario.with_overrides(values, "uncertain") if values else scenario


def interval_note(scenario: Scenario) -> str:
    """What a run's intervals cover, in words, and the model's standing simplifications."""
    u = scenario.uncertain
    if u.active:
        drawn = []
        if u.posterior:
            drawn.append(f"a calibrated posterior ({Path(u.posterior).name})")
        if u.parameters:
            drawn.append("ranges for " + ", ".join(sorted(u.parameters)))
        covers = (
            "simulation noise and parameter uncertainty: every replication draws its parameters from "
            + " and ".join(drawn)
            + " ([uncertain]); the 95% range of outcomes is the forecast band, while the CI of the mean "
            "only says how well the replications pin down the average over that uncertainty"
        )
    else:
        covers = NOISE_ONLY
    return f"Intervals cover {covers}. Standing simplifications of the model: {SIMPLIFICATIONS}."
