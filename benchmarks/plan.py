"""Benchmark of ``wom plan`` (figures go to docs/planning.md, section Performance).

Runs the shipped plan with its defaults, end to end (pool start-up, curves, frontier, search,
verification, sensitivity, files), and prints how many splits and runs it simulated, the wall
time, the time per simulated run and the load average, so a figure taken on a busy machine says
so. Also times one campaign run and one no-campaign run of the same market in this process.

    .venv/bin/python benchmarks/plan.py                       # scenarios/plan_launch.toml, all cores
    .venv/bin/python benchmarks/plan.py --workers 1 --file scenarios/plan_launch.toml
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.core.model import InfluenceModel  # noqa: E402
from sim.core.world import World  # noqa: E402
from sim.planning.plan import plan  # noqa: E402
from sim.planning.spec import load_plan  # noqa: E402


def one_run(file: Path) -> tuple[float, float, float]:
    """Seconds for a world, a campaign run and a no-campaign run of the plan's market."""
    scenario, _ = load_plan(file)
    started = time.perf_counter()
    world = World.build(scenario)
    built = time.perf_counter()
    InfluenceModel(scenario, replication=0, world=world).run()
    campaign = time.perf_counter()
    InfluenceModel(scenario, replication=0, world=world, campaign=False).run()
    return built - started, campaign - built, time.perf_counter() - campaign


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=ROOT / "scenarios" / "plan_launch.toml")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--out", type=Path, default=None, help="keep the plan's files here [a temporary folder]")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    world_s, campaign_s, baseline_s = one_run(args.file)
    print(
        f"one run of {args.file.name}: world {world_s:.2f} s, campaign {campaign_s:.2f} s, no campaign {baseline_s:.2f} s"
    )
    with tempfile.TemporaryDirectory(prefix="wom-plan-bench-") as tmp:
        started = time.perf_counter()
        r = plan(args.file, workers=args.workers, out=args.out or Path(tmp) / "out")
        wall = time.perf_counter() - started
    c = r.counts
    runs = c["campaign_runs"] + c["baseline_runs"]
    print(f"wom plan {args.file.name}, defaults, {c['workers']} worker(s)")
    print(f"  splits simulated:     {c['evaluations']}")
    print(f"  campaign runs:        {c['campaign_runs']}")
    print(f"  no-campaign runs:     {c['baseline_runs']} (shared by every split on the same replication)")
    print(f"  wall time:            {wall:.1f} s (target: at most 300 s on 2 cores)")
    print(f"  per simulated run:    {wall * c['workers'] / runs:.2f} core-seconds, all overheads included")
    print(
        f"  simulation CPU time:  {c['cpu_seconds']:.0f} s in the workers ({c['cpu_seconds'] / runs:.2f} s per run); "
        f"on {c['workers']} idle cores that alone is about {c['cpu_seconds'] / c['workers']:.0f} s of wall time"
    )
    print(f"  load average before:  {load:.2f}, after: {os.getloadavg()[0]:.2f}")
    print(f"  recommendation:       {r.sentence}")


if __name__ == "__main__":
    main()
