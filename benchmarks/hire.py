"""Benchmark of ``wom hire`` (figures go to docs/hiring.md, section Performance).

Runs the shipped example (200 shortlisted creators, the baseline market of 100,000 consumers)
end to end: shortlist, estimate, selection, simulated frontier, verification, files. Prints the
number of estimated gains (spread evaluations) and the time per evaluation, the rosters and
runs simulated, the wall time and the load average, so a figure taken on a busy machine says so.

``--noise`` also measures why gains are estimated rather than simulated: the paired difference
a full simulation sees when one creator is added to a roster, against the estimate of that gain.

    .venv/bin/python benchmarks/hire.py                          # the example, all cores
    .venv/bin/python benchmarks/hire.py --workers 2 --objective adopters
    .venv/bin/python benchmarks/hire.py --noise
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.core.scenario import as_scenario, read_scenario_data  # noqa: E402
from sim.planning.hire import hire, parse_hire, prepare  # noqa: E402
from sim.planning.rosters import RosterRuns  # noqa: E402
from sim.planning.spec import parse_plan  # noqa: E402


def noise(file: Path, seeds: int, workers: int | None) -> None:
    """One creator added to the tier-policy roster: simulated paired gain (mean, SE) vs estimate."""
    data = read_scenario_data(file)
    sc = as_scenario(file)
    spec = parse_plan({**data.get("plan", {}), "objective": "adopters"}, str(file))
    settings = parse_hire(data.get("hire"), str(file))
    m = prepare(sc, spec, settings, file.parent / settings.shortlist, str(file))
    c, est = m.world.candidates, m.est
    est.reset()
    for j in m.policy:
        est.add(j)
    left = m.bounds.budget - est.cost[m.policy].sum()
    unhired = [j for j in range(len(c)) if j not in m.policy and est.cost[j] <= left]
    gains = {j: est.gain(j) for j in unhired}
    picks = sorted(gains, key=gains.get)[-3:]  # the three affordable creators the estimate values most
    base = [c.handle[j] for j in m.policy]
    rosters = [base] + [[*base, c.handle[j]] for j in picks]
    with RosterRuns(m.run, m.shortlist.creators, str(file), workers=workers or 2) as runs:
        k = runs.simulate(rosters, range(seeds), "noise")
    v = k.pivot(index="replication", columns="point", values="incremental_adopters")
    print(f"one creator added to the tier-policy roster ({len(base)} creators), {seeds} paired seeds:")
    for i, j in enumerate(picks, start=1):
        d = (v[i] - v[0]).to_numpy()
        print(
            f"  {c.handle[j]:22} ({c.tier_names[c.tier[j]]:5}): simulated {d.mean():+8.1f} "
            f"(SE {d.std(ddof=1) / np.sqrt(d.size):6.1f}, SD per seed {d.std(ddof=1):6.1f}) incremental adopters; "
            f"estimate {gains[j]:+6.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=ROOT / "scenarios" / "hire_example.toml")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--objective", choices=["profit", "adopters", "reach"], default=None)
    parser.add_argument("--out", type=Path, default=None, help="keep the files here [a temporary folder]")
    parser.add_argument("--noise", action="store_true", help="also measure one creator's simulated gain")
    parser.add_argument("--seeds", type=int, default=16, help="paired seeds for --noise")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    spec = None
    if args.objective:
        spec = {**read_scenario_data(args.file).get("plan", {}), "objective": args.objective}
    with tempfile.TemporaryDirectory(prefix="wom-hire-bench-") as tmp:
        started = time.perf_counter()
        r = hire(args.file, spec=spec, workers=args.workers, out=args.out or Path(tmp) / "out")
        wall = time.perf_counter() - started
    c = r.counts
    print(f"wom hire {args.file.name}, objective {r.spec.objective}, {c['workers']} worker(s)")
    print(f"  candidates:            {c['candidates']}")
    print(f"  estimate built in:     {c['build_seconds']:.1f} s (shortlist, world with every audience, draws)")
    print(
        f"  spread evaluations:    {c['evaluations']:,} estimated gains in {c['select_seconds']:.2f} s "
        f"({1000 * c['select_seconds'] / max(1, c['evaluations']):.2f} ms per evaluation)"
    )
    print(f"  rosters simulated:     {c['rosters_simulated']} ({c['campaign_runs']} campaign runs)")
    print(f"  simulation CPU time:   {c['cpu_seconds']:.0f} s in the workers")
    print(f"  wall time:             {wall:.1f} s (target: at most 300 s on 2 cores)")
    print(f"  load average before:   {load:.2f}, after: {os.getloadavg()[0]:.2f}")
    print(f"  calibration factor:    {c['kappa']:.2f} ({c['calibrated_on']})")
    print(f"  answer:                {r.sentence}")
    if args.noise:
        noise(args.file, args.seeds, args.workers)


if __name__ == "__main__":
    main()
