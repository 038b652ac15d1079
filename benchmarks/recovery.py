"""Recovery study: does `wom calibrate` find known parameters? Draws truths from the example's
priors, simulates the example's past campaign (its 24 creators, daily sales) at each truth,
calibrates each, and prints how often the 90% credible intervals cover the truth (target: at
least 15 of 20 for each parameter) and how much narrower than the prior the posterior is.
Writes the table and a figure to --out (docs/calibration.md shows them). Its defaults are the
settings and seed of `wom validate`'s recovery family (FULL effort), through the same code.

Usage: .venv/bin/python benchmarks/recovery.py [--campaigns 20] [--particles 100] [--generations 6]
       [--consumers 50000] [--people-per-consumer 1] [--seed 2024] [--workers 2] [--out results/recovery]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.core import files  # noqa: E402
from sim.inference import fit as abc  # noqa: E402
from sim.inference.recovery import coverage, example_study, recovery, recovery_figure  # noqa: E402
from sim.validation.common import FULL, SEED  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    campaigns, particles, generations, consumers, people = FULL.recovery
    parser.add_argument("--campaigns", type=int, default=campaigns)
    parser.add_argument("--particles", type=int, default=particles)
    parser.add_argument("--generations", type=int, default=generations)
    parser.add_argument(
        "--consumers", type=int, default=consumers, help="simulated consumers, market shrunk at the example's scale"
    )
    parser.add_argument(
        "--people-per-consumer", type=float, default=people, help="people each simulated consumer stands for"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--out", type=Path, default=ROOT / "results/recovery")
    args = parser.parse_args()
    files.check_output(args.out, kind="recovery")
    simulator, priors = example_study(args.consumers, args.people_per_consumer)
    started, load = time.perf_counter(), os.getloadavg()[0]

    def progress(i, rows):
        line = ", ".join(f"{r.parameter.split('.')[-1]} {'in' if r.covered else 'OUT'}" for r in rows.itertuples())
        print(f"campaign {i + 1}/{args.campaigns} ({time.perf_counter() - started:.0f} s): {line}", flush=True)

    with abc.mapper(args.workers) as map_:
        table = recovery(
            simulator,
            priors,
            campaigns=args.campaigns,
            particles=args.particles,
            generations=args.generations,
            seed=args.seed,
            map_=map_,
            progress=progress,
        )
    seconds = time.perf_counter() - started
    summary = coverage(table)
    with files.replace_outputs(args.out, kind="recovery") as tmp:
        table.to_csv(tmp / "recovery.csv", index=False)
        summary.to_csv(tmp / "coverage.csv", index=False)
        recovery_figure(table, priors, tmp / "recovery.png")
    print(
        f"\n{args.campaigns} synthetic campaigns, {args.particles} particles, at most {args.generations} populations, "
        f"{simulator.scenario.market.consumers:,} consumers for {simulator.scenario.market.population:,} people; {seconds:.0f} s on {args.workers} workers "
        f"(load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end)"
    )
    print(summary.to_string(index=False))
    print(f"wrote {args.out}/ (recovery.csv, coverage.csv, recovery.png)")


if __name__ == "__main__":
    main()
