"""Experimental designs as plain data, SALib style: a parameter table in, a frame of points out.

Nothing here knows about scenarios: a parameter is a name with levels or a range, a design is a
function from parameters to points (one row per point, one column per parameter), and the Sobol
analysis reads one output per point back in the order the sampler wrote them.
"""

from __future__ import annotations

import itertools
import math
from typing import Annotated

import numpy as np
import pandas as pd
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict, field_validator, model_validator

Level = bool | int | float | str
SPEC_KEYS = {"min", "max", "steps", "log", "levels"}


def _finite_number(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError("must be a number, not true or false")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"must be a finite number, not {value}")
    return value


# A finite number written as a number (TOML's true/false, inf and nan are refused).
Number = Annotated[float, BeforeValidator(_finite_number), Field(allow_inf_nan=False)]
Count = Annotated[int, Strict()]  # an integer written as one (not true, not 2.0)


class Parameter(BaseModel):
    """What one parameter may take: a list of levels, or a range ``min``..``max``."""

    model_config = ConfigDict(extra="forbid")

    min: Number | None = None
    max: Number | None = None
    steps: Count | None = Field(None, ge=2, le=10_000, description="grid points across the range")
    log: Annotated[bool, Strict()] = Field(False, description="space the range evenly on a log scale")
    levels: list[Level] | None = Field(None, max_length=10_000)

    @field_validator("levels")
    @classmethod
    def _finite_levels(cls, levels: list[Level] | None) -> list[Level] | None:
        for value in levels or []:
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"levels must be finite numbers, not {value}")
        return levels

    @model_validator(mode="after")
    def _levels_or_range(self) -> Parameter:
        if self.levels is not None:
            if not self.levels:
                raise ValueError("empty list of levels; give at least one")
            if self.min is not None or self.max is not None or self.steps is not None:
                raise ValueError("give either levels or min and max, not both")
            return self
        if self.min is None or self.max is None:
            raise ValueError("needs levels = [...] or both min and max")
        if not self.max > self.min:
            raise ValueError(f"empty range: max ({self.max:g}) must exceed min ({self.min:g})")
        if self.log and self.min <= 0:
            raise ValueError("a log range needs min > 0")
        return self

    @property
    def bounded(self) -> bool:
        return self.levels is None

    @property
    def grid_size(self) -> int:
        """How many values a full grid takes (0 for a range without steps)."""
        return len(self.levels) if self.levels is not None else self.steps or 0

    def grid_values(self) -> list[Level]:
        """The values a full grid takes: the levels, or ``steps`` points across the range."""
        if self.levels is not None:
            return list(self.levels)
        if self.steps is None:
            raise ValueError("design 'grid' needs steps (or levels) for a range")
        space = np.geomspace if self.log else np.linspace
        return [float(v) for v in space(self.min, self.max, self.steps)]

    def from_unit(self, u: np.ndarray) -> list[Level]:
        """Map uniform numbers in [0, 1) onto the levels (equal chances) or the range."""
        if self.levels is not None:
            idx = np.minimum((u * len(self.levels)).astype(int), len(self.levels) - 1)
            return [self.levels[i] for i in idx]
        if self.log:
            lo, hi = math.log(self.min), math.log(self.max)
            return list(np.exp(lo + u * (hi - lo)))
        return list(self.min + u * (self.max - self.min))


def grid(parameters: dict[str, Parameter]) -> pd.DataFrame:
    """Every combination of every parameter's grid values (the last parameter varies fastest).

    >>> grid({"a": Parameter(levels=[1, 2]), "b": Parameter(min=0, max=1, steps=3)}).shape
    (6, 2)
    """
    names = list(parameters)
    rows = itertools.product(*(parameters[n].grid_values() for n in names))
    return pd.DataFrame(list(rows), columns=names)


def grid_size(parameters: dict[str, Parameter]) -> int:
    """Points of ``grid(parameters)``, counted without building them."""
    return math.prod(p.grid_size for p in parameters.values())


def random(parameters: dict[str, Parameter], n: int, seed: int) -> pd.DataFrame:
    """``n`` points drawn independently and uniformly (log-uniformly for log ranges)."""
    u = np.random.default_rng(seed).random((n, len(parameters)))
    return _from_unit(parameters, u)


def latin_hypercube(parameters: dict[str, Parameter], n: int, seed: int) -> pd.DataFrame:
    """``n`` points, each parameter's range cut into ``n`` strata with exactly one point in each."""
    from scipy.stats import qmc  # imported here: scipy.stats costs a second at start-up

    u = qmc.LatinHypercube(d=len(parameters), seed=np.random.default_rng(seed)).random(n)
    return _from_unit(parameters, u)


def _from_unit(parameters: dict[str, Parameter], u: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({name: p.from_unit(u[:, j]) for j, (name, p) in enumerate(parameters.items())})


def _problem(parameters: dict[str, Parameter]) -> dict:
    bounds = [[math.log(p.min), math.log(p.max)] if p.log else [p.min, p.max] for p in parameters.values()]
    return {"num_vars": len(parameters), "names": list(parameters), "bounds": bounds}


def sobol(parameters: dict[str, Parameter], n: int, seed: int) -> pd.DataFrame:
    """Saltelli's sample for first- and total-order Sobol indices: ``n * (d + 2)`` points.

    ``n`` should be a power of 2; every parameter needs bounds (min and max).
    """
    from SALib.sample import sobol as sobol_sample

    x = sobol_sample.sample(_problem(parameters), n, calc_second_order=False, seed=seed)
    for j, p in enumerate(parameters.values()):
        if p.log:
            x[:, j] = np.exp(x[:, j])
    return pd.DataFrame(x, columns=list(parameters))


def sobol_indices(parameters: dict[str, Parameter], outputs: np.ndarray, seed: int) -> pd.DataFrame:
    """First-order (S1) and total-order (ST) indices with 95% bootstrap half-widths.

    ``outputs`` holds one value per point of ``sobol(parameters, ...)``, in that order.
    """
    from SALib.analyze import sobol as sobol_analyze

    res = sobol_analyze.analyze(
        _problem(parameters), np.asarray(outputs, dtype=float), calc_second_order=False, seed=seed
    )
    return pd.DataFrame(
        {
            "parameter": list(parameters),
            "S1": res["S1"],
            "S1_conf": res["S1_conf"],
            "ST": res["ST"],
            "ST_conf": res["ST_conf"],
        }
    )


def split_units(step: float) -> int:
    """How many steps make the whole budget; ``step`` must divide 1."""
    k = round(1 / step)
    if not math.isclose(k * step, 1.0, abs_tol=1e-9):
        raise ValueError(f"step {step:g} does not divide 1 (try 0.1, 0.2, 0.25 or 0.5)")
    return k


def split_grid_size(n_tiers: int, step: float) -> int:
    """Splits of ``split_grid`` over ``n_tiers`` tiers, counted without building them (stars and bars)."""
    return math.comb(split_units(step) + n_tiers - 1, n_tiers - 1)


def split_grid(tiers: list[str], step: float) -> list[dict[str, float]]:
    """Every budget split over ``tiers`` whose shares are multiples of ``step`` and sum to 1,
    the first tier's share ascending slowest.

    >>> [s["micro"] for s in split_grid(["micro", "macro"], 0.25)]
    [0.0, 0.25, 0.5, 0.75, 1.0]
    """
    k, n = split_units(step), len(tiers)
    splits = []
    for bars in itertools.combinations(range(k + n - 1), n - 1):  # bar positions among k steps
        edges = [-1, *bars, k + n - 1]
        units = [edges[j + 1] - edges[j] - 1 for j in range(n)]
        splits.append({t: u / k for t, u in zip(tiers, units, strict=True)})
    return splits
