"""``wom calibrate`` / ``sim.calibrate``: fit a scenario's uncertain parameters to a past campaign.

scenario + campaign data -> the past campaign's world (its real roster) -> ABC-SMC (``fit``) ->
a posterior sample -> a calibrated scenario whose ``[uncertain]`` table points at that sample,
so every later run draws each replication's parameters from it (``sim.inference.draws``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sim.core import files, tomlio
from sim.core.errors import InputError
from sim.core.scenario import Scenario, as_scenario, check_dynamics_key, read_scenario_data, scenario_from_dict
from sim.core.sections import Range, flat_ranges
from sim.inference import fit as abc
from sim.inference.campaign import Campaign, read_campaign
from sim.inference.draws import ID_COLUMNS, WEIGHT, sha256_of
from sim.inference.simulator import CampaignSimulator, Simulation, observed_statistics

TABLE = "calibrate"
KIND = "calibrate"
NOT_PINNED = 0.5  # posterior 90% interval wider than half the prior's: the data could not pin it down
DEFAULT_PRIORS = {
    # conversion per full-trust view: the model's most influential assumption (Sobol total 0.94)
    "influence.conversion": Range(min=0.001, max=0.05, log=True),
    "influence.engaged_boost": Range(min=1.0, max=10.0),
    # Sultan, Farley & Lehmann (1990): q averages 0.38 per year, p 0.03; ranges span their spread
    "word_of_mouth.q": Range(min=0.0, max=1.5),
    "consumers.baseline_p": Range(min=0.003, max=0.3, log=True),
}


class CalibrateSpec(BaseModel):
    """The ``[calibrate]`` table of a scenario file (every key optional)."""

    model_config = ConfigDict(extra="forbid")

    data: str | None = Field(None, description="per-creator table of the past campaign (CSV)")
    sales: str | None = Field(None, description="daily total sales over the campaign's window (CSV)")
    start_day: int | None = Field(None, ge=1, le=36_500, description="day of the sales file of the first posts")
    consumers: int | None = Field(
        None, ge=100, le=10_000_000, description="simulated consumers of the past campaign [market.consumers]"
    )
    particles: int = Field(200, ge=20, le=10_000, description="ABC-SMC population size")
    generations: int = Field(8, ge=1, le=50, description="ABC populations, at most (the first included)")
    min_acceptance: float = Field(0.02, gt=0, lt=1, description="stop when fewer simulations are accepted")
    predictive: int = Field(100, ge=10, le=10_000, description="simulations of the posterior predictive check")
    priors: dict[str, Range] = Field(default_factory=lambda: dict(DEFAULT_PRIORS))

    @field_validator("priors", mode="before")
    @classmethod
    def _flatten(cls, value: Any) -> Any:
        return flat_ranges(value) if isinstance(value, dict) else value


def read_spec(path: str | Path | None, overrides: dict[str, Any] | None = None) -> CalibrateSpec:
    """The file's ``[calibrate]`` table (paths made relative to it) with ``overrides`` on top."""
    data: dict[str, Any] = {}
    source = str(path) if path is not None else "calibrate"
    if path is not None:
        data = dict(read_scenario_data(path).get(TABLE) or {})
        for key in ("data", "sales"):
            if isinstance(data.get(key), str):
                data[key] = str((Path(path).parent / data[key]).resolve())
    data.update({k: v for k, v in (overrides or {}).items() if v is not None})
    try:
        return CalibrateSpec.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        if err["type"] == "missing":
            raise InputError(source, f"{TABLE}.{key}", "(missing)", "required") from None
        message = err["msg"].removeprefix("Value error, ").replace("Input should be", "must be")
        raise InputError(source, f"{TABLE}.{key}", err.get("input"), message) from None


@dataclass
class Calibration:
    """A finished calibration: posterior sample, its summary, the predictive check and the data."""

    scenario: Scenario
    spec: CalibrateSpec
    campaign: Campaign
    simulator: CampaignSimulator
    observed: dict[str, float]
    fit: abc.Fit
    predictive: list[Simulation]
    out: Path | None = None  # where ``write`` put the files

    @property
    def posterior(self) -> pd.DataFrame:
        """The weighted sample, with the seed and scenario hash of the calibration on every row."""
        return self.fit.posterior.assign(seed=self.scenario.seed, scenario_hash=self.scenario.content_hash())

    def summary(self) -> pd.DataFrame:
        """Prior against posterior per parameter; ``pinned`` is False where the data could not pin it down."""
        rows = []
        w = self.fit.posterior[WEIGHT].to_numpy()
        for key, r in self.spec.priors.items():
            x = self.fit.posterior[key].to_numpy()
            lo, mid, hi = weighted_quantiles(x, w, [0.05, 0.5, 0.95])
            p_lo, p_hi = prior_quantiles(r, [0.05, 0.95])
            along = np.log10 if r.log else (lambda v: v)
            ratio = float((along(hi) - along(lo)) / (along(p_hi) - along(p_lo)))
            rows.append(
                {
                    "parameter": key,
                    "prior": f"{'log-' if r.log else ''}uniform {r.min:g} to {r.max:g}",
                    "prior_p5": p_lo,
                    "prior_p95": p_hi,
                    "posterior_p5": lo,
                    "posterior_median": mid,
                    "posterior_p95": hi,
                    "posterior_mean": float(np.sum(w * x)),
                    "width_ratio": ratio,
                    "pinned": ratio <= NOT_PINNED,
                }
            )
        return pd.DataFrame(rows)

    def calibrated_scenario(self, posterior_file: str, sha256: str) -> Scenario:
        """The scenario with posterior medians as point values and ``[uncertain]`` pointing at the sample."""
        summary = self.summary()
        medians = dict(zip(summary["parameter"], summary["posterior_median"], strict=True))
        data = self.scenario.resolved()
        data["uncertain"] = {"posterior": posterior_file, "posterior_sha256": sha256}
        return scenario_from_dict(data, "calibrate").with_overrides(medians, "calibrate")

    def write(self, out: str | Path) -> Path:
        from sim.inference.report import write_report

        out = Path(out)
        name = self.scenario.name
        with files.replace_outputs(out, kind=KIND, info={"scenario_hash": self.scenario.content_hash()}) as tmp:
            posterior = tmp / "posterior.parquet"
            self.posterior.to_parquet(posterior, index=False)
            calibrated = self.calibrated_scenario("posterior.parquet", sha256_of(posterior))
            head = (
                f"# {name}, calibrated by wom calibrate on {Path(self.campaign.source).name} "
                f"(scenario hash {self.scenario.content_hash()}, seed {self.scenario.seed}).\n"
                "# Point values of the calibrated parameters are posterior medians; every replication of\n"
                "# wom run / compare / sweep / plan draws them afresh from posterior.parquet ([uncertain]).\n\n"
            )
            (tmp / f"{name}.calibrated.toml").write_text(head + tomlio.dumps(calibrated.resolved()))
            self.summary().to_csv(tmp / "parameters.csv", index=False)
            self.fit.populations.to_csv(tmp / "populations.csv", index=False)
            write_report(self, tmp)
        self.out = out
        return out


def weighted_quantiles(x: np.ndarray, w: np.ndarray, qs: list[float]) -> list[float]:
    order = np.argsort(x)
    cum = np.cumsum(w[order]) - 0.5 * w[order]
    cum /= w.sum()
    return [float(np.interp(q, cum, x[order])) for q in qs]


def prior_quantiles(r: Range, qs: list[float]) -> list[float]:
    if r.log:
        return [float(r.min * (r.max / r.min) ** q) for q in qs]
    return [r.min + q * (r.max - r.min) for q in qs]


def predictive(simulator: CampaignSimulator, posterior: pd.DataFrame, n: int, seed: int, map_=map) -> list[Simulation]:
    """``n`` simulations of the past campaign, each at a parameter set drawn from the posterior."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 3]))
    keys = [c for c in posterior.columns if c not in (WEIGHT, *ID_COLUMNS)]
    rows = rng.choice(len(posterior), size=n, p=posterior[WEIGHT].to_numpy())
    values = [dict(zip(keys, map(float, posterior.iloc[r][keys]), strict=True)) for r in rows]
    replications = rng.integers(abc.SEED_HIGH, size=n).tolist()
    return list(map_(_simulate, [simulator] * n, values, replications))


def _simulate(simulator: CampaignSimulator, values: dict[str, float], replication: int) -> Simulation:
    return simulator.simulate(values, replication)


def calibrate(
    scenario: Scenario | str | Path,
    data: str | Path | None = None,
    *,
    sales: str | Path | None = None,
    workers: int = 1,
    out: str | Path | None = None,
    verbose: bool = False,
    **settings: Any,
) -> Calibration:
    """Calibrate a scenario's uncertain parameters on a past campaign (``docs/calibration.md``).

    ``scenario``: a scenario file (its ``[calibrate]`` table is read) or a ``Scenario``.
    ``data`` / ``sales``: the campaign's per-creator table and daily sales (CSV), overriding the
    table's. ``settings``: any other ``[calibrate]`` key (``priors``, ``particles``,
    ``generations``, ``start_day``, ...). The same inputs and seed give the same posterior on
    any number of ``workers``. With ``out`` (``wom calibrate``: ``results/<name>-calibrate``) the
    folder is checked before any work and the calibrated scenario, posterior and report are
    written there; without it, ``.write(folder)`` writes them.
    """
    path = scenario if isinstance(scenario, str | Path) else None
    base = as_scenario(scenario)
    spec = read_spec(path, {"data": _str(data), "sales": _str(sales), **settings})
    if spec.data is None:
        raise InputError(
            str(path or "calibrate"),
            f"{TABLE}.data",
            "(missing)",
            'give the past campaign\'s CSV: --data FILE, or data = "FILE" in [calibrate]',
        )
    for key, r in spec.priors.items():
        try:
            check_dynamics_key(base, key, (r.min, r.max))
        except ValueError as exc:
            raise InputError(str(path or "calibrate"), f"{TABLE}.priors.{key}", r.model_dump(), str(exc)) from None
    if out is not None:
        files.check_output(out, kind=KIND)
    campaign = read_campaign(spec.data, base, sales=spec.sales)
    simulator = CampaignSimulator(base, campaign, spec.start_day, spec.consumers)
    _ = simulator.world  # build (and check) the past campaign's world before any work
    observed = observed_statistics(campaign, simulator.layout)
    with abc.mapper(workers) as map_:
        result = abc.fit(
            simulator,
            observed,
            spec.priors,
            particles=spec.particles,
            generations=spec.generations,
            min_acceptance=spec.min_acceptance,
            seed=base.seed,
            map_=map_,
            verbose=verbose,
        )
        checks = predictive(simulator, result.posterior, spec.predictive, base.seed, map_)
    cal = Calibration(base, spec, campaign, simulator, observed, result, checks)
    if out is not None:
        cal.write(out)
    return cal


def _str(value) -> str | None:
    return None if value is None else str(value)
