"""Core model benchmarks (docs/performance.md, "Core model"), each printed as target | today | now.

1. ``wom run scenarios/baseline.toml -r 1`` end to end (process start to files written), and
   where its time goes (imports, world, the two simulated worlds, tables, figures, report).
   Targets: <= 3 s end to end; imports + figures < 1.5 s.
2. Compiled code: the first run after installing (numba compiles and caches the engine's
   kernels) against the next fresh process (loads them from the cache).
3. Vectorised engine against the Mesa-agent engine on the same 10,000-consumer scenario, in
   consumer-days per second. Both engines call the same ``decision.decide_day``; the agents decide
   every consumer every day, the vectorised engine only those a day can change.

"Today" is main before the throughput work (``revisions.TODAY``), run from a ``git archive``
export with this venv. Usage: .venv/bin/python benchmarks/core.py [--repeats N] [--agent-days D]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from revisions import TODAY, child, command, load_average, source  # noqa: E402

PHASES = """
import json, sys, tempfile, time
from pathlib import Path
marks = [("start", time.perf_counter())]
import sim.cli
from sim.core.files import check_output
from sim.core.scenario import load_scenario
from sim.core.world import World
from sim.reporting.runner import run
import sim.reporting.outputs
from sim.reporting.figures import make_figures
from sim.reporting.report import write_report
marks.append(("imports", time.perf_counter()))
sc = load_scenario("scenarios/baseline.toml").model_copy(update={"replications": 1})
world = World.build(sc)
marks.append(("world", time.perf_counter()))
res = run(sc, world=world)
marks.append(("two worlds", time.perf_counter()))
out = Path(tempfile.mkdtemp())
for name in ("daily", "kpis", "tiers", "influencers"):
    getattr(res, name).to_csv(out / f"{name}.csv", index=False)
marks.append(("tables", time.perf_counter()))
figures = make_figures(res, out / "figures")
marks.append(("figures", time.perf_counter()))
write_report(res, out / "report.md", figures)
marks.append(("report", time.perf_counter()))
print(json.dumps({b[0]: b[1] - a[1] for a, b in zip(marks, marks[1:])}))
"""

FIRST_RUN = """
import json, time
t = time.perf_counter()
from sim.core.scenario import load_scenario
from sim.core.world import World
from sim.core.model import InfluenceModel
sc = load_scenario("scenarios/baseline.toml").with_overrides({"market.consumers": 2_000, "market.days": 10})
world = World.build(sc)
imported = time.perf_counter()
InfluenceModel(sc, world=world).run()
first = time.perf_counter()
InfluenceModel(sc, world=world).run()
print(json.dumps({"first": first - imported, "second": time.perf_counter() - first}))
"""

ENGINES = """
import json, sys, time
from sim import InfluenceModel, load_scenario
from sim.core.world import World
days, agent_days = int(sys.argv[1]), int(sys.argv[2])
sc = load_scenario("scenarios/baseline.toml").with_overrides(
    {"market.consumers": 10_000, "market.population": 200_000, "market.days": days}
)
world = World.build(sc)
InfluenceModel(sc, world=world, market__days=2).run()  # load compiled code first
rates = {}
for engine, steps in (("vector", days), ("agents", agent_days)):
    model = InfluenceModel(sc, world=world, engine=engine)
    t = time.perf_counter()
    for _ in range(steps):
        model.step()
    rates[engine] = world.n * steps / (time.perf_counter() - t)
print(json.dumps(rates))
"""


def end_to_end(roots: dict, repeats: int) -> None:
    print("\nwom run scenarios/baseline.toml -r 1, end to end (target <= 3 s; the versions take turns)")
    walls: dict[str, list[float]] = {label: [] for label in roots}
    for _ in range(repeats):
        for label, root in roots.items():
            with tempfile.TemporaryDirectory() as out:
                walls[label].append(command(["run", "scenarios/baseline.toml", "-r", "1", "--out", out], root)["wall"])
    for label, w in walls.items():
        print(f"  {label:6s} median {statistics.median(w):.2f} s, min {min(w):.2f} s over {repeats} runs")
    print("  where the time goes (one process; target: imports + figures < 1.5 s)")
    for label, root in roots.items():
        phases = child(PHASES, root)
        detail = ", ".join(f"{k} {v:.2f}" for k, v in phases.items() if k not in ("wall", "peak_mb", "minor_faults"))
        both = phases["imports"] + phases["figures"]
        print(f"  {label:6s} {detail} s; imports + figures {both:.2f} s")


def compiled(root: Path) -> None:
    print("\nCompiled kernels (numba, cached on disk): a run right after installing, then the next process")
    with tempfile.TemporaryDirectory() as cache:
        os.environ["NUMBA_CACHE_DIR"] = cache  # an empty cache: the first run compiles
        try:
            first = child(FIRST_RUN, root)
            second = child(FIRST_RUN, root)
        finally:
            del os.environ["NUMBA_CACHE_DIR"]
    print(f"  first process: first run {first['first']:.2f} s (compiles), second run {first['second']:.3f} s")
    print(f"  next process:  first run {second['first']:.2f} s (loads the cache), second run {second['second']:.3f} s")


def engines(roots: dict, agent_days: int) -> None:
    print("\n10,000 consumers, 90 days: vectorised vs Mesa-agent engine (consumer-days per second)")
    for label, root in roots.items():
        r = child(ENGINES, root, "90", str(agent_days))
        print(
            f"  {label:6s} vector {r['vector']:13,.0f}, agents {r['agents']:9,.0f} ({agent_days} days), "
            f"ratio {r['vector'] / r['agents']:,.0f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--agent-days", type=int, default=20, help="days stepped by the Mesa-agent engine")
    parser.add_argument("--only", nargs="*", choices=["run", "compiled", "engines"], default=None)
    parser.add_argument("--no-today", action="store_true", help=f"skip today's code ({TODAY})")
    args = parser.parse_args()
    roots = {} if args.no_today else {"today": source(TODAY)}
    roots["now"] = source(None)
    only = args.only or ["run", "compiled", "engines"]
    print(f"Measured under {load_average()}")
    if "run" in only:
        end_to_end(roots, args.repeats)
    if "compiled" in only:
        compiled(roots["now"])
    if "engines" in only:
        engines(roots, args.agent_days)
    print(f"\nFinished under {load_average()}")


if __name__ == "__main__":
    main()
