"""Core model benchmarks: prints the figures recorded in docs/performance.md.

1. `wom run scenarios/baseline.toml` with one replication, end to end (process start to files
   written), target <= 10 s on a 2-core machine.
2. Vectorised engine vs Mesa-agent engine on the same 10,000-consumer scenario, in consumer-days
   per second, measured in one run; target ratio >= 100.

Usage: .venv/bin/python benchmarks/core.py [--repeats N] [--agent-days D]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def end_to_end(repeats: int) -> list[float]:
    wom = Path(sys.executable).with_name("wom")
    times = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as out:
            t = time.perf_counter()
            subprocess.run(
                [str(wom), "run", str(ROOT / "scenarios/baseline.toml"), "-r", "1", "--out", out],
                check=True,
                capture_output=True,
            )
            times.append(time.perf_counter() - t)
    return times


def engines(days: int, agent_days: int) -> dict[str, float]:
    from sim import InfluenceModel, load_scenario
    from sim.core.world import World

    sc = load_scenario(ROOT / "scenarios/baseline.toml").with_overrides(
        {"market.consumers": 10_000, "market.population": 200_000, "market.days": days}
    )
    world = World.build(sc)
    rates = {}
    for engine, steps in (("vector", days), ("agents", agent_days)):
        model = InfluenceModel(sc, world=world, engine=engine)
        t = time.perf_counter()
        for _ in range(steps):
            model.step()
        rates[engine] = world.n * steps / (time.perf_counter() - t)
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--agent-days", type=int, default=90, help="days stepped by the Mesa-agent engine")
    args = parser.parse_args()
    times = end_to_end(args.repeats)
    print(
        f"baseline.toml, 1 replication, end to end: median {statistics.median(times):.2f} s, "
        f"min {min(times):.2f} s over {len(times)} runs (target <= 10 s)"
    )
    rates = engines(90, args.agent_days)
    print(
        f"10,000 consumers: vector {rates['vector']:,.0f} consumer-days/s (90 days), "
        f"agents {rates['agents']:,.0f} consumer-days/s ({args.agent_days} days), "
        f"ratio {rates['vector'] / rates['agents']:,.0f}x (target >= 100x)"
    )


if __name__ == "__main__":
    main()
