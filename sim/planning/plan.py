"""``wom plan`` / ``sim.plan``: response curves, the best split under constraints, how much to
spend, verified on fresh seeds.

Stages, all on common random numbers: (1) response curves per tier on the search seeds;
(2) with ``total_max``, the best split at several totals (the budget frontier) and the total
where the marginal return falls to the target; (3) candidates from the surrogate and local
moves, simulated on the search seeds, best kept; (4) marginal ROI and contribution of each tier
at the recommendation; (5) current, recommended and best single-tier splits re-run on fresh
seeds (the optimiser's curse: the winner's search-seed value is biased upward); (6) a quick
one-at-a-time sensitivity of the recommendation to assumed parameters.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.core import limits
from sim.core.errors import InputError
from sim.core.scenario import Scenario, as_scenario
from sim.core.world import World
from sim.experiments.backends import default_workers
from sim.planning import optimise as opt
from sim.planning.curves import curve_splits, curve_table
from sim.planning.evaluate import Evaluator, split_scenario
from sim.planning.frontier import ZOOM, budget_frontier
from sim.planning.measure import Ledger, Measured, measured, paired
from sim.planning.spec import (
    PlanSpec,
    check_against,
    constraints,
    fees_of,
    load_plan,
    parse_plan,
    plan_total,
    with_options,
)
from sim.planning.tables import allocation_table, options_table


@dataclass
class PlanResult:
    """Everything ``wom plan`` found; the frames are what the CSV files hold."""

    scenario: Scenario
    spec: PlanSpec
    source: str
    current: dict[str, float]
    recommended: dict[str, float]
    fees: float  # influencer fees of the recommendation (total less the referral reserve)
    curves: pd.DataFrame
    allocation: pd.DataFrame
    options: pd.DataFrame
    search: pd.DataFrame
    frontier: pd.DataFrame | None
    sensitivity: pd.DataFrame
    gain: dict[str, float]
    counts: dict[str, Any]
    out: Path | None = None
    figures: dict[str, Path] = field(default_factory=dict)

    @property
    def sentence(self) -> str:
        from sim.planning.report import recommendation_sentence

        return recommendation_sentence(self)

    @property
    def work(self) -> str:
        """What the plan took: splits, runs, time, workers, and the scenario's hash."""
        c = self.counts
        return (
            f"{self.scenario.name}: {c['evaluations']} splits evaluated ({c['campaign_runs']} campaign and "
            f"{c['baseline_runs']} no-campaign runs) in {c['seconds']:.0f} s on {c['workers']} worker(s); "
            f"scenario hash {self.scenario.content_hash()}"
        )


def _as_inputs(scenario, spec, source: str) -> tuple[Scenario, PlanSpec, str]:
    if isinstance(scenario, str | Path):
        sc, sp = load_plan(scenario)
        return sc, sp if spec is None else _spec(spec, sc, str(scenario)), str(scenario)
    return scenario, _spec(spec, scenario, source), source


def _spec(spec, scenario: Scenario, source: str) -> PlanSpec:
    spec = spec if isinstance(spec, PlanSpec) else parse_plan(spec, source)
    check_against(spec, scenario, source)
    return spec


def _probes(rec: Measured, cons, fees_max: float) -> tuple[list[str], list[dict[str, float]]]:
    """Around the recommendation, per free tier: one step more (while candidates remain and the
    tier's maximum at the largest total allows), one step less (where it spends anything), and
    the tier left out. A step is 5% of the largest fees, or one contract if that is more."""
    labels, splits = [], []
    for t in cons.free:
        x = rec.split.get(t, 0.0)
        spent = float(rec.static.loc[t, "spent"])
        left = float(rec.static.loc[t, "cheapest_unhired"])
        step = max(0.05 * fees_max, left if np.isfinite(left) else 0.0, cons.floor[t] if x == 0 else 0.0)
        if np.isfinite(left) and x + step <= cons.hi[t] + 1e-6:  # an unhired candidate remains
            labels.append(f"up {t}")
            splits.append({**rec.split, t: x + step})
        if spent > 0:
            lower = spent - max(0.05 * fees_max, cons.floor[t])
            labels.append(f"down {t}")
            splits.append({**rec.split, t: lower if lower >= cons.floor[t] else 0.0})
            labels.append(f"without {t}")
            splits.append({**rec.split, t: 0.0})
    return labels, splits


def planned_runs(spec: PlanSpec, cons) -> int:
    """An upper bound on the simulated runs of a plan (campaign and no-campaign), for the work guard."""
    free, tiers = len(cons.free), len(cons.tiers)
    splits = free * spec.levels + 1 + (spec.totals + 2 * ZOOM if spec.total_max is not None else 0)
    splits += spec.evaluations + tiers + 3 * free
    sensitivity = 2 * len(spec.sensitivity) * spec.sensitivity_replications
    return (splits + 1) * spec.replications + 4 * spec.verify_replications + 3 * sensitivity


def _without_parked_money(rec: Measured, cons, spec, sc, ev, source) -> tuple[Measured, float]:
    """With ``total_max``, money a tier cannot spend buys nothing: recommend what each tier
    spends (rounded up to the cent, never below its minimum). The hiring rule signs the same
    contracts for any amount between what they cost and what was given, so the measured
    numbers stand; that is checked, and the split is kept as it was if it does not hold."""
    trimmed = {
        t: x if t in cons.fixed else max(cons.lo[t], math.ceil(float(rec.static.loc[t, "spent"]) * 100) / 100)
        for t, x in rec.split.items()
    }
    trimmed = {t: min(x, rec.split[t]) for t, x in trimmed.items()}
    fees = sum(trimmed.values())
    keep = rec, sum(rec.split.values())
    if fees <= 0 or opt.distinct([trimmed], [rec.split]) == []:
        return keep
    try:
        ok = constraints(spec, sc, fees, source).holds(trimmed)
    except InputError:
        return keep
    key = ev.roster_key(split_scenario(sc, trimmed, source))
    if not ok or key is None or key != ev.roster_key(split_scenario(sc, rec.split, source)):
        return keep
    static = rec.static.assign(allocated=[trimmed.get(t, 0.0) for t in rec.static.index])
    return Measured(rec.stage, rec.label, trimmed, rec.kpis, static), fees


def _sensitivity(ev, spec, current_m: Measured, rec_m: Measured, search: list[int]) -> pd.DataFrame:
    """Recommended objective and its gain over the current split when one assumption moves,
    on the first search seeds (the nominal row uses the same seeds)."""
    seeds = search[: spec.sensitivity_replications]
    metric = spec.metric

    def summary(key: str, value: float, cur: Measured, rec: Measured) -> dict:
        mean, lo, hi = rec.interval(metric)
        g = paired(rec, cur, metric)
        return {
            "parameter": key,
            "value": value,
            "recommended": mean,
            "recommended_low": lo,
            "recommended_high": hi,
            "gain": g[0],
            "gain_low": g[1],
            "gain_high": g[2],
            "replications": len(seeds),
        }

    def on_seeds(m: Measured) -> Measured:
        return Measured(m.stage, m.label, m.split, m.kpis.loc[seeds], m.static)

    rows = [summary("(as in the scenario)", math.nan, on_seeds(current_m), on_seeds(rec_m))]
    pair = [current_m.split, rec_m.split]
    for key, (low, high) in spec.sensitivity.items():
        for value in (low, high):
            out = ev.evaluate(pair, seeds, overrides={key: value}, desc=f"sensitivity {key}")
            rows.append(summary(key, value, *measured(out, "sensitivity", ["current", "recommended"], pair)))
    table = pd.DataFrame(rows)
    swing = table.groupby("parameter")["recommended"].agg(lambda s: s.max() - s.min())
    table["swing"] = table["parameter"].map(swing)
    return table


def _search(ev, spec, ledger, pool, cons, grid, spend, sur, fees, search, source) -> Measured:
    """Simulate surrogate candidates, then local moves around the best; return the best found."""
    metric = spec.metric
    round1 = opt.distinct(pool, [e.split for e in ledger.entries])[: math.ceil(spec.evaluations / 2)]
    if round1:
        out = ev.evaluate(round1, search, desc="search")
        ledger.add(measured(out, "search", [f"candidate {i + 1}" for i in range(len(round1))], round1))
    if not any(cons.holds(e.split) for e in ledger.entries):
        raise InputError(source, "plan.tiers", "bounds", "no split on the search grid meets them (widen the bounds)")
    best = ledger.best(metric, cons.holds)
    moves = opt.local_moves(best.split, cons, grid, fees, sur, spend)
    round2 = opt.distinct(moves, [e.split for e in ledger.entries])[: spec.evaluations - len(round1)]
    if round2:
        out = ev.evaluate(round2, search, desc="local moves")
        ledger.add(measured(out, "local", [f"move {i + 1}" for i in range(len(round2))], round2))
    return ledger.best(metric, cons.holds)


def plan(
    scenario: Scenario | str | Path,
    spec: PlanSpec | dict | None = None,
    *,
    replications: int | None = None,
    verify_replications: int | None = None,
    evaluations: int | None = None,
    workers: int | None = None,
    out: str | Path | None = None,
    progress: bool = False,
    source: str = "<plan>",
) -> PlanResult:
    """Find the best split of the budget under the ``[plan]`` constraints and verify it.

    ``scenario`` is a scenario file with a ``[plan]`` table, or a ``Scenario`` with ``spec``
    (a ``PlanSpec`` or the table as a dict). With ``out``, the files are written there
    (checked before any simulation).
    """
    from sim.core.files import check_output

    started = time.perf_counter()
    sc, spec, source = _as_inputs(scenario, spec, source)
    spec = with_options(
        spec, source, replications=replications, verify_replications=verify_replications, evaluations=evaluations
    )
    if workers is not None and (not isinstance(workers, int) or workers < 1):
        raise InputError(source, "workers", workers, "must be a whole number >= 1")
    if out is not None:
        check_output(out, kind="plan")
    metric, margin = spec.metric, sc.market.unit_margin
    surrogate_metric = "reach" if spec.objective == "reach" else "incremental_adopters"
    fees_max = fees_of(sc, plan_total(spec, sc))
    cons_max = constraints(spec, sc, fees_max, source)
    current = {t: float(v) for t, v in sc.tier_allocation().items()}
    runs = planned_runs(spec, cons_max)
    limits.check(
        as_scenario(sc, replications=1), source, runs=runs, tables=False, what=f"this plan (up to {runs:,} runs)"
    )
    grid = opt.make_grid(cons_max, fees_max)
    market = World.build(sc, source)
    spend = opt.spend_table(sc, market, cons_max.free, grid.amounts())
    flat = opt.Surrogate([], {}, {}, margin, spec.objective)
    if spec.total_max is None and opt.solve(flat, cons_max, grid, spend, fees_max) is None:
        raise InputError(
            source, "plan.tiers", "bounds", f"no split on the search grid ({grid.step:,.0f} USD steps) meets them"
        )
    search = list(range(spec.replications))
    verify = list(range(spec.verify_from, spec.verify_from + spec.verify_replications))
    ledger = Ledger()
    with Evaluator(sc, source, market=market, workers=workers or default_workers(), progress=progress) as ev:
        splits, index = curve_splits(cons_max, current, spec.levels)
        curve_out = ev.evaluate(splits, search, desc="response curves")
        curves = curve_table(index, curve_out, margin)
        names = {0: "current", **{r.point: f"curve {r.tier} {r.allocated:,.0f}" for r in index.itertuples() if r.point}}
        current_m = ledger.add(measured(curve_out, "curve", [names[p] for p in range(len(splits))], splits))[0]
        per_rep = curve_out.values(surrogate_metric)
        sur = opt.fit_surrogate(curves, per_rep, surrogate_metric, margin, spec.objective)
        frontier, fees = None, fees_max
        if spec.total_max is not None:
            frontier, fees = budget_frontier(ev, spec, sc, sur, grid, spend, ledger, source, search)
        cons = constraints(spec, sc, fees, source)
        pool = opt.bootstrap_candidates(
            curves, per_rep, (surrogate_metric, margin, spec.objective), cons, grid, spend, fees, sc.seed
        )
        rec_m = _search(ev, spec, ledger, pool, cons, grid, spend, sur, fees, search, source)
        if spec.total_max is not None:
            rec_m, fees = _without_parked_money(rec_m, cons, spec, sc, ev, source)
            cons = constraints(spec, sc, fees, source)
        singles = opt.single_tier_splits(cons, fees)
        best_single = None
        if singles:
            out_s = ev.evaluate(list(singles.values()), search, desc="single tiers")
            items = ledger.add(measured(out_s, "single tier", [f"all in {t}" for t in singles], list(singles.values())))
            best_single = max(items, key=lambda m: m.mean(metric))
        labels, probe_splits = _probes(rec_m, cons_max, fees_max)
        probes = []
        if probe_splits:
            probes = measured(ev.evaluate(probe_splits, search, desc="marginal returns"), "probe", labels, probe_splits)
        ver_names = ["current", "recommended"] + ([best_single.label] if best_single else [])
        ver_splits = [current, rec_m.split] + ([best_single.split] if best_single else [])
        ver = measured(ev.evaluate(ver_splits, verify, desc="verification"), "verify", ver_names, ver_splits)
        sens = _sensitivity(ev, spec, current_m, rec_m, search) if spec.sensitivity else pd.DataFrame()
        counts = {
            "evaluations": ev.evaluations,
            "campaign_runs": ev.campaign_runs,
            "baseline_runs": ev.baseline_runs,
            "cpu_seconds": ev.cpu_seconds,
            "workers": ev.workers,
        }
    gain = dict(zip(("mean", "low", "high"), paired(ver[1], ver[0], metric), strict=True))
    gain.update(metric=metric, replications=len(verify))
    if len(ver) > 2 and opt.distinct([ver[2].split], [ver[1].split]):
        lead = paired(ver[1], ver[2], metric)
        gain.update(single=ver[2].label, over_single=lead[0], over_single_low=lead[1], over_single_high=lead[2])
    options = options_table({m.label: m for m in ver}, ver[0], metric)
    allocation = allocation_table(sc, spec, cons, current_m, rec_m, curves, probes)
    ids = {"scenario": sc.name, "scenario_hash": sc.content_hash(), "seed": sc.seed}
    curves = curves.assign(
        current_allocation=curves["tier"].map(current),
        recommended_allocation=curves["tier"].map(lambda t: rec_m.split.get(t, 0.0)),
        replications=len(search),
        **ids,
    )
    counts["seconds"] = time.perf_counter() - started
    result = PlanResult(
        scenario=sc,
        spec=spec,
        source=source,
        current=current,
        recommended=dict(rec_m.split),
        fees=fees,
        curves=curves,
        allocation=allocation.assign(**ids),
        options=options.assign(**ids),
        search=ledger.table(current_m, metric, sc.tiers.names).assign(**ids),
        frontier=None if frontier is None else frontier.assign(**ids),
        sensitivity=sens.assign(**ids) if not sens.empty else sens,
        gain=gain,
        counts=counts,
    )
    if out is not None:
        from sim.planning.report import write_plan

        result.out = write_plan(result, Path(out))
    return result


def plan_from_file(file: Path, replications, verify_replications, evaluations, workers, out) -> PlanResult:
    """``wom plan FILE``: everything (options, output folder) validated before any run; the files go
    to ``out``, else results/<scenario>-plan (``PlanResult.out``)."""
    from sim.core.files import output_folder

    scenario, spec = load_plan(file)
    spec = with_options(
        spec, str(file), replications=replications, verify_replications=verify_replications, evaluations=evaluations
    )
    target = output_folder(out, f"{scenario.name}-plan", kind="plan")
    return plan(scenario, spec, workers=workers, out=target, progress=True, source=str(file))
