"""``wom hire`` / ``sim.hire``: which creators to hire under a money budget, verified on fresh seeds.

Stages: (1) candidates: a user's shortlist (CSV) or the scenario's generated marketplace, in one
world where every creator's audience is drawn up front; (2) the estimate (``estimate.py``) is
calibrated on the full simulation of the tier-policy roster; (3) cost-effective lazy greedy with
the best-single guard (``celf.py``) over the budget and the ``[plan]`` table's tier bounds;
(4) prefixes of the chosen order (and past it, with the money left) are simulated on the
search seeds: the efficient frontier; if the estimate's level there is off by more than
``RECALIBRATE``, the selection is rerun once with the new calibration; (5) the chosen roster, the tier-policy roster at the same budget and a random
roster of the same cost are re-run on fresh seeds and compared pairwise.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim.core import limits
from sim.core.errors import InputError, did_you_mean
from sim.core.scenario import Scenario, as_scenario, read_scenario_data
from sim.core.world import World
from sim.experiments.backends import default_workers
from sim.planning import celf
from sim.planning.estimate import RosterEstimate, build_estimate
from sim.planning.evaluate import hire_with, split_scenario
from sim.planning.rosters import RosterRuns, as_measured, creators_world
from sim.planning.shortlist import Shortlist, marketplace_creators, read_shortlist
from sim.planning.spec import PlanSpec, check_against, constraints, fees_of, parse_plan, plan_total, with_options

HIRE_TABLE = "hire"
RECALIBRATE = 1.15  # rerun the selection when the frontier's calibration differs by more than 15% (ASSUMPTION)
RANDOM_STREAM = 11  # the random roster's draws
BEYOND = 3  # simulated prefixes past the chosen roster, on the way to the whole budget


class HireSpec(BaseModel):
    """The ``[hire]`` table: where the shortlist is and how finely to estimate and check."""

    model_config = ConfigDict(extra="forbid", strict=True)

    shortlist: str | None = Field(None, description="CSV of creators, relative to the scenario file")
    draws: int = Field(32, ge=1, le=1000, description="random draws of the estimate (common to every roster)")
    checkpoints: int = Field(8, ge=2, le=100, description="prefixes of the chosen order simulated")


def parse_hire(table: Any, source: str = "<hire>") -> HireSpec:
    """Validate a ``[hire]`` table; the first problem becomes one ``InputError``."""
    if table is None:
        return HireSpec()
    if not isinstance(table, dict):
        raise InputError(source, HIRE_TABLE, table, "must be a table: [hire]")
    try:
        return HireSpec.model_validate(table)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        msg = err["msg"].replace("Input should be", "must be")
        if err["type"] == "extra_forbidden":
            msg = did_you_mean(key, list(HireSpec.model_fields), "a [hire] key").replace("not a", "unknown key; not a")
        raise InputError(source, f"{HIRE_TABLE}.{key}", err.get("input"), msg) from None


@dataclass
class HireResult:
    """Everything ``wom hire`` found; the frames are what the CSV files hold."""

    scenario: Scenario
    spec: PlanSpec
    settings: HireSpec
    source: str
    shortlist: Shortlist
    fees: float  # money for creators' fees (the total less the referral reserve)
    policy_label: str
    roster: pd.DataFrame
    comparison: pd.DataFrame
    frontier: pd.DataFrame
    passes: pd.DataFrame
    gain: dict[str, float]
    counts: dict[str, Any]
    notes: list[str]
    out: Path | None = None
    figures: dict[str, Path] = field(default_factory=dict)

    @property
    def sentence(self) -> str:
        from sim.planning.hire_report import hire_sentence

        return hire_sentence(self)

    @property
    def work(self) -> str:
        """What the hiring run took: estimates, simulated rosters, time, workers, the scenario's hash."""
        n = self.counts
        return (
            f"{self.scenario.name}: {n['candidates']} candidates; {n['evaluations']:,} estimated gains in "
            f"{n['select_seconds']:.1f} s ({1000 * n['select_seconds'] / max(1, n['evaluations']):.2f} ms each); "
            f"{n['rosters_simulated']} rosters simulated ({n['campaign_runs']} campaign runs); {n['seconds']:.0f} s "
            f"on {n['workers']} worker(s); scenario hash {self.scenario.content_hash()}"
        )


def _inputs(scenario, spec, settings, source: str) -> tuple[Scenario, PlanSpec, HireSpec, str, Path | None]:
    if isinstance(scenario, str | Path):
        data = read_scenario_data(scenario)
        source = str(scenario)
        sc = as_scenario(scenario)
        spec = spec if spec is not None else data.get("plan")
        settings = settings if settings is not None else data.get(HIRE_TABLE)
        folder = Path(scenario).parent
    else:
        sc, folder = scenario, None
    spec = spec if isinstance(spec, PlanSpec) else parse_plan(spec, source)
    settings = settings if isinstance(settings, HireSpec) else parse_hire(settings, source)
    for name, bounds in spec.tiers.items():
        if bounds.fixed is not None:
            raise InputError(
                source,
                f"plan.tiers.{name}.fixed",
                bounds.fixed,
                "wom hire reads min and max per tier (fixed: wom plan)",
            )
    return sc, spec, settings, source, folder


def policy_allocation(sc: Scenario, fees: float) -> dict[str, float]:
    """The scenario's split scaled to ``fees`` USD (the tier policy at the hiring budget)."""
    current = sc.tier_allocation()
    total = sum(current.values())
    return {t: (v / total * fees if total > 0 else 0.0) for t, v in current.items()}


def _accept(spec: PlanSpec, est: RosterEstimate):
    """Targets of the ``[plan]`` table as a rule for each hire (profit: marginal ROI, CPA)."""
    if spec.min_roi is None and spec.max_cpa is None:
        return None

    def accept(j: int, gain: float) -> bool:
        adopters, _ = est.parts(j)
        cost = float(est.cost[j])
        if spec.min_roi is not None and (est.margin * adopters - cost) / cost < spec.min_roi:
            return False
        return spec.max_cpa is None or (adopters > 0 and cost / adopters <= spec.max_cpa)

    return accept


def planned_runs(spec: PlanSpec, settings: HireSpec) -> int:
    """At most how many rosters x replications are simulated (the calibration, two frontiers, the
    verification of three rosters), for the work guard."""
    return (1 + 2 * (settings.checkpoints + BEYOND)) * spec.replications + 3 * spec.verify_replications


def _kappa(est: RosterEstimate, rosters: list[list[int]], simulated: list[float]) -> float:
    """Simulated over uncalibrated estimated incremental adopters, pooled over rosters (1 if
    nothing to go by)."""
    kept, est.kappa = est.kappa, 1.0
    estimated = sum(est.adopters_of(r) for r in rosters)
    est.kappa = kept
    total = sum(simulated)
    return total / estimated if estimated > 0 and total > 0 else 1.0


@dataclass
class Market:
    """Everything the selection reads: the scenario to simulate, candidates, estimate, bounds."""

    run: Scenario
    shortlist: Shortlist
    world: World
    est: RosterEstimate
    bounds: celf.Limits
    policy: list[int]
    seconds: float


def prepare(sc: Scenario, spec: PlanSpec, settings: HireSpec, path, source: str) -> Market:
    """Candidates (shortlist or generated), their world, the estimate and the money's bounds."""
    started = time.perf_counter()
    if path is not None:
        short = read_shortlist(str(path), sc)
        counts = short.creators["tier"].value_counts()
        market = sc.with_overrides({"marketplace.candidates": {t: int(counts.get(t, 0)) for t in sc.tiers.names}})
    else:
        short = marketplace_creators(World.build(sc, source).candidates.frame())
        market = sc
    check_against(spec, market, source)  # the candidates decide which tiers can take money
    fees = fees_of(sc, plan_total(spec, sc))
    cons = constraints(spec, market, fees, source)
    run = split_scenario(sc, policy_allocation(sc, fees), source)
    world = creators_world(run, short.creators, source)
    c = world.candidates
    names = c.tier_names
    est = build_estimate(run, world, spec.objective, draws=settings.draws)
    caps, floors = (np.array([bound[t] for t in names]) for bound in (cons.hi, cons.lo))
    bounds = celf.Limits(est.cost, c.tier, fees, caps, floors)
    policy = hire_with(run, world, run.tier_allocation()).candidate.tolist()
    return Market(run, short, world, est, bounds, policy, time.perf_counter() - started)


def hire(
    scenario: Scenario | str | Path,
    shortlist: str | Path | None = None,
    spec: PlanSpec | dict | None = None,
    settings: HireSpec | dict | None = None,
    *,
    replications: int | None = None,
    verify_replications: int | None = None,
    workers: int | None = None,
    out: str | Path | None = None,
    progress: bool = False,
    source: str = "<hire>",
) -> HireResult:
    """Choose creators to hire under the budget and the ``[plan]`` tier bounds, and verify them.

    ``scenario``: a scenario file (its ``[plan]`` and ``[hire]`` tables are read) or a
    ``Scenario`` with ``spec`` / ``settings`` as objects or dicts. ``shortlist``: a CSV of
    creators (docs/hiring.md), else ``[hire] shortlist``, else the generated marketplace. With
    ``out``, the files are written there (checked before any simulation).
    """
    from sim.core.files import check_output
    from sim.planning.hire_report import tables

    started = time.perf_counter()
    sc, spec, settings, source, folder = _inputs(scenario, spec, settings, source)
    spec = with_options(spec, source, replications=replications, verify_replications=verify_replications)
    if workers is not None and (not isinstance(workers, int) or isinstance(workers, bool) or workers < 1):
        raise InputError("workers", "workers", workers, "must be a whole number >= 1")
    if out is not None:
        check_output(out, kind="hire")
    path = shortlist if shortlist is not None else settings.shortlist
    if path is not None and shortlist is None and folder is not None and not Path(path).is_absolute():
        path = folder / path
    runs = planned_runs(spec, settings)
    limits.check(
        as_scenario(sc, replications=1), source, runs=runs, tables=False, what=f"this hire (up to {runs:,} runs)"
    )
    m = prepare(sc, spec, settings, path, source)
    est, bounds, c = m.est, m.bounds, m.world.candidates
    accept = _accept(spec, est)
    search = list(range(spec.replications))
    verify = list(range(spec.verify_from, spec.verify_from + spec.verify_replications))
    notes = list(m.shortlist.notes)
    if not est.subcritical:
        notes.append(
            "word of mouth is supercritical here (each adopter wins more than one other): the estimate's word-of-mouth "
            "part is capped and its level is off; the simulated frontier and the fresh seeds show what happens"
        )
    with RosterRuns(
        m.run, m.shortlist.creators, source, workers=workers or default_workers(), progress=progress
    ) as runs:
        simulated: dict[tuple[int, ...], pd.DataFrame] = {}

        def simulate(rosters: list[list[int]], desc: str) -> list[pd.DataFrame]:
            todo = [r for r in dict.fromkeys(tuple(r) for r in rosters) if r and r not in simulated]
            if todo:
                k = runs.simulate([[c.handle[j] for j in r] for r in todo], search, desc)
                for i, r in enumerate(todo):
                    simulated[r] = k[k["point"] == i]
            return [simulated[tuple(r)] for r in rosters]

        kappa, calibrated_on = 1.0, "nothing (objective reach: the estimate is exact in expectation)"
        if spec.objective != "reach" and m.policy:
            (k,) = simulate([m.policy], "calibration")
            kappa = _kappa(est, [m.policy], [k["incremental_adopters"].mean()])
            calibrated_on = "the tier-policy roster"
        t0 = time.perf_counter()
        est.kappa = kappa
        front = celf.frontier(est, bounds, accept=accept, checkpoints=settings.checkpoints, beyond=BEYOND)
        select_seconds = time.perf_counter() - t0
        simulate([front.order[:k] for k in front.marks], "frontier")
        check = math.nan  # simulated over estimated adopters on the final frontier (1: the estimate's level held)
        if spec.objective != "reach" and front.marks:
            pooled = [m.policy] * bool(m.policy) + [front.order[:k] for k in front.marks]
            fitted = _kappa(est, pooled, [simulated[tuple(r)]["incremental_adopters"].mean() for r in pooled])
            if abs(math.log(fitted / kappa)) > math.log(RECALIBRATE):
                t0 = time.perf_counter()
                kappa = est.kappa = fitted
                front = celf.frontier(est, bounds, accept=accept, checkpoints=settings.checkpoints, beyond=BEYOND)
                select_seconds += time.perf_counter() - t0
                simulate([front.order[:k] for k in front.marks], "frontier (recalibrated)")
                calibrated_on = f"{len(pooled)} simulated rosters (the tier policy and the first frontier)"
                notes.append(f"selection rerun with the estimate recalibrated on the frontier (factor {fitted:.2f})")
            pooled = [m.policy] * bool(m.policy) + [front.order[:k] for k in front.marks]
            check = _kappa(est, pooled, [simulated[tuple(r)]["incremental_adopters"].mean() for r in pooled]) / kappa
        chosen = front.order[: front.chosen]
        spent = np.bincount(c.tier[chosen], est.cost[chosen], minlength=bounds.caps.size)
        for t in np.flatnonzero(spent < bounds.floors - 1e-6):
            name = c.tier_names[t]
            raise InputError(
                source, f"plan.tiers.{name}.min", bounds.floors[t], f"the {name} candidates cannot spend it"
            )
        rng = np.random.default_rng(np.random.SeedSequence([sc.seed, RANDOM_STREAM]))
        random = celf.random_roster(bounds, float(spent.sum()), rng)
        options = {"chosen roster": chosen, "tier policy": m.policy, "random roster": random}
        present = {k: v for k, v in options.items() if v}
        ver = (
            runs.simulate([[c.handle[j] for j in r] for r in present.values()], verify, "verification")
            if present
            else None
        )
        counts = {
            "candidates": len(c),
            "evaluations": est.evaluations,
            "build_seconds": m.seconds,
            "select_seconds": select_seconds,
            "rosters_simulated": runs.rosters,
            "campaign_runs": runs.campaign_runs,
            "cpu_seconds": runs.cpu_seconds,
            "workers": runs.workers,
            "kappa": float(kappa),
            "calibrated_on": calibrated_on,
            "frontier_check": float(check),
        }
    measured = {}
    for i, (label, r) in enumerate(present.items()):
        spend = {name: float(est.cost[[j for j in r if c.tier[j] == t]].sum()) for t, name in enumerate(c.tier_names)}
        measured[label] = as_measured(ver, i, label, spend, "verify")
    estimates = {label: est.evaluate(r) for label, r in options.items()}
    roster, comparison, frontier, passes, gain = tables(
        sc, spec, m, front, options, measured, estimates, [simulated[tuple(front.order[:k])] for k in front.marks]
    )
    counts["seconds"] = time.perf_counter() - started
    fees = bounds.budget
    policy_label = f"{sc.hiring.policy} within the split " + " / ".join(
        f"{t} {v / fees:.0%}" for t, v in policy_allocation(sc, fees).items() if v > 0
    )
    result = HireResult(
        sc,
        spec,
        settings,
        source,
        m.shortlist,
        fees,
        policy_label,
        roster,
        comparison,
        frontier,
        passes,
        gain,
        counts,
        notes,
    )
    if out is not None:
        from sim.planning.hire_report import write_hire

        result.out = write_hire(result, Path(out))
    return result


def hire_from_file(file: Path, shortlist, replications, verify_replications, workers, out) -> HireResult:
    """``wom hire FILE``: everything (options, shortlist, output folder) validated before any run; the
    files go to ``out``, else results/<scenario>-hire (``HireResult.out``)."""
    from sim.core.files import output_folder

    sc = as_scenario(file)
    target = output_folder(out, f"{sc.name}-hire", kind="hire")
    return hire(
        file,
        shortlist,
        replications=replications,
        verify_replications=verify_replications,
        workers=workers,
        out=target,
        progress=True,
    )
