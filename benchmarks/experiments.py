"""Benchmarks of the experiment layer (figures go to docs/performance.md, section Experiments).

1. Overhead: a sweep of the classroom scenario run through the experiment layer (one worker:
   batches, world cache, Parquet parts) against the same runs in a bare loop (World.build per
   point + run_replication per run), and the time the layer spends outside the model.
2. Throughput: the same kind of sweep, larger (600 runs), with 1 and with 2 local worker processes,
   end to end (pool start-up included).
3. Memory: peak resident memory of a 100-run and a 10,000-run sweep (tiny scenario, 2 workers),
   each in a fresh process; the whole process tree (main, fork server, workers) is sampled.

    .venv/bin/python benchmarks/experiments.py            # all three (about 8 minutes on 2 cores)
    .venv/bin/python benchmarks/experiments.py --only memory
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sim.experiments.plan as plans  # noqa: E402
from sim.core.world import World  # noqa: E402
from sim.experiments.backends import run_plan  # noqa: E402
from sim.experiments.spec import experiment_from_dict, load_experiment  # noqa: E402
from sim.experiments.sweep import sweep_plan  # noqa: E402
from sim.reporting.runner import run_replication  # noqa: E402


def classroom_sweep(points: int, replications: int):
    """The classroom scenario with micro trust swept over ``points`` levels."""
    import tomllib

    data = tomllib.loads((ROOT / "scenarios" / "classroom.toml").read_text())
    data["replications"] = replications
    data["experiment"] = {"parameters": {"tiers.micro.trust": {"min": 0.3, "max": 0.9, "steps": points}}}
    return experiment_from_dict(data, "classroom.toml")


def bare_loop(plan) -> float:
    """The model work alone: one world per point, then every replication."""
    started = time.perf_counter()
    for p in range(plan.n_points):
        point = plan.point(p)
        scenario = point.scenario.with_overrides(point.overrides)
        world = World.build(scenario)
        for r in range(plan.replications):
            run_replication(scenario, world, r)
    return time.perf_counter() - started


def through_layer(plan, workers: int) -> float:
    """Wall time of the whole layer: claim the folder, run every batch, write the parts, read back."""
    plans._world.cache_clear()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        with run_plan(plan, Path(tmp) / "out", workers=workers, progress=False):
            return time.perf_counter() - started


def timed_layer(plan) -> tuple[float, float]:
    """(wall time of the layer, time spent inside World.build and run_replication during it)."""
    inside = [0.0]

    def timing(fn):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                inside[0] += time.perf_counter() - started

        return wrapper

    build, replicate = World.build, plans.run_replication
    World.build, plans.run_replication = timing(build), timing(replicate)
    try:
        wall = through_layer(plan, workers=1)
    finally:
        World.build, plans.run_replication = build, replicate
    return wall, inside[0]


def overhead(points: int = 5, replications: int = 10, repeats: int = 2) -> dict:
    """Layer cost measured two ways: against a bare loop (noisy on a shared machine) and as the
    time the layer spends outside the model during the same execution (robust to load)."""
    plan, _ = sweep_plan(classroom_sweep(points, replications))
    bare, layer, outside = [], [], []
    for _ in range(repeats):
        bare.append(bare_loop(plan))
        wall, model = timed_layer(plan)
        layer.append(wall)
        outside.append((wall - model, model))
    b, lay = min(bare), min(layer)
    extra, model = min(outside, key=lambda pair: pair[0] / pair[1])
    return {
        "runs": plan.runs,
        "model_ms_per_run": round(1000 * model / plan.runs, 1),
        "layer_outside_model_ms_per_run": round(1000 * extra / plan.runs, 2),
        "overhead_percent": round(100 * extra / model, 2),
        "bare_loop_s_best": round(b, 2),
        "layer_s_best": round(lay, 2),
        "layer_vs_bare_percent": round(100 * (lay - b) / b, 1),
    }


def throughput(points: int = 30, replications: int = 20, repeats: int = 2) -> dict:
    """Best of ``repeats`` end-to-end times per worker count, alternating (this VM's timings
    vary by up to 15% from run to run)."""
    plan, _ = sweep_plan(classroom_sweep(points, replications))
    times: dict[int, list[float]] = {1: [], 2: []}
    for _ in range(repeats):
        for workers in (1, 2):
            times[workers].append(through_layer(plan, workers=workers))
    one, two = min(times[1]), min(times[2])
    return {
        "runs": plan.runs,
        "all_times_s": {w: [round(t, 1) for t in ts] for w, ts in times.items()},
        "one_worker_s": round(one, 1),
        "two_workers_s": round(two, 1),
        "one_worker_runs_per_s": round(plan.runs / one, 2),
        "two_workers_runs_per_s": round(plan.runs / two, 2),
        "speed_up": round(one / two, 2),
    }


MEMORY_SWEEP = """
name = "memory"
seed = 1
replications = {replications}
[market]
population = 10_000
consumers = 100
days = 5
[budget]
total = 20_000
split = {{ micro = 0.5, macro = 0.5 }}
[experiment.parameters]
tiers.micro.trust = {{ min = 0.1, max = 0.9, steps = {points} }}
"""


def memory_child(points: int, replications: int) -> None:
    """Run one sweep to disk with 2 workers while sampling the process tree's resident memory."""
    import psutil

    me = psutil.Process()
    peak = {"tree": 0, "main": 0}
    running = True

    def sample() -> None:
        while running:
            procs = [me, *me.children(recursive=True)]
            rss = []
            for p in procs:
                with contextlib.suppress(psutil.Error):  # a worker may exit between listing and reading
                    rss.append(p.memory_info().rss)
            peak["tree"] = max(peak["tree"], sum(rss))
            peak["main"] = max(peak["main"], me.memory_info().rss)
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "memory.toml"
        path.write_text(MEMORY_SWEEP.format(points=points, replications=replications))
        from sim.experiments.sweep import sweep

        started = time.perf_counter()
        result = sweep(load_experiment(path), workers=2, out=Path(tmp) / "out", progress=False)
        seconds = time.perf_counter() - started
        parts = len(list((Path(tmp) / "out" / "runs").glob("part-*.parquet")))
    running = False
    sampler.join()
    print(
        json.dumps(
            {
                "runs": len(result.runs),
                "parts": parts,
                "seconds": round(seconds, 1),
                "peak_main_mb": round(peak["main"] / 2**20, 1),
                "peak_tree_mb": round(peak["tree"] / 2**20, 1),
            }
        )
    )


def memory() -> list[dict]:
    rows = []
    for points, replications in ((10, 10), (100, 100)):
        out = subprocess.run(
            [sys.executable, __file__, "--memory-child", str(points), str(replications)],
            capture_output=True,
            text=True,
            check=True,
        )
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["overhead", "throughput", "memory"])
    parser.add_argument("--memory-child", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(*args.memory_child)
        return
    if args.only in (None, "overhead"):
        print("overhead (classroom, 1 worker):", json.dumps(overhead()), flush=True)
    if args.only in (None, "throughput"):
        print("throughput (classroom):", json.dumps(throughput()), flush=True)
    if args.only in (None, "memory"):
        for row in memory():
            print("memory (tiny sweep, 2 workers):", json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
