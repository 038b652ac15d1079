"""Throughput benchmarks of issue 11, each printed as target | today | now.

    .venv/bin/python benchmarks/throughput.py                 # all sections, today's figures as recorded
    .venv/bin/python benchmarks/throughput.py --today         # also re-measure today's code, same load
    .venv/bin/python benchmarks/throughput.py --only pairs compare

Sections:
- ``million``: 1,000,000 consumers x 90 days, campaign and no-campaign worlds, graph included,
  every graph kind (baseline.toml resized), one fresh process each under ``/usr/bin/time -v``:
  wall time and peak resident memory. Target <= 15 s and <= 2 GB on 2 quiet cores.
- ``pairs``: replication pairs (campaign + no-campaign) per second on baseline.toml (100,000
  consumers, world built once, outputs excluded). Target >= 10x today.
- ``compare``: ``wom compare scenarios/compare_splits.toml`` wall time (default workers).
  Target >= 5x faster than today.

"Today" is main before this work (``revisions.TODAY``), run from a ``git archive`` export with
the same venv; "now" is this checkout. Figures depend on the machine's load, printed with them.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from revisions import TODAY, child, command, load_average, source  # noqa: E402

KINDS = ("niches", "watts_strogatz", "erdos_renyi", "barabasi_albert", "powerlaw_cluster", "complete", "file")

MILLION = """
import json, sys, time
t0 = time.perf_counter()
from sim.core.model import InfluenceModel
from sim.core.scenario import load_scenario
from sim.core.world import World
imports = time.perf_counter() - t0
kind, n = sys.argv[1], int(sys.argv[2])
over = {"market.consumers": n, "network.kind": kind}
if kind == "file":
    over["network.path"] = sys.argv[3]
sc = load_scenario("scenarios/baseline.toml").with_overrides(over)
t = time.perf_counter()
world = World.build(sc)
build = time.perf_counter() - t
t = time.perf_counter()
camp = InfluenceModel(sc, world=world).run()
campaign = time.perf_counter() - t
t = time.perf_counter()
base = InfluenceModel(sc, world=world, campaign=False).run()
baseline = time.perf_counter() - t
print(json.dumps({"imports": imports, "build": build, "campaign": campaign, "baseline": baseline,
                  "adopters": int(camp.state.adopted.sum()), "baseline_adopters": int(base.state.adopted.sum())}))
"""

EDGE_LIST = """
import sys
import numpy as np
from sim.core.network import build_graph
from sim.core.scenario import Network
g = build_graph(Network(kind="niches"), int(sys.argv[1]), np.random.default_rng(7))
a = g.adjacency.tocoo()
keep = a.row < a.col
np.savetxt(sys.argv[2], np.column_stack([a.row[keep], a.col[keep]]), fmt="%d")
print("{}")
"""

PAIRS = """
import json, sys, time
from sim.core.scenario import load_scenario
from sim.core.world import World
from sim.reporting.runner import run_replication
sc = load_scenario("scenarios/baseline.toml")
world = World.build(sc)
run_replication(sc, world, 0)  # warm-up (compiled code, caches of the first call)
budget, reps = float(sys.argv[1]), 0
t = time.perf_counter()
while time.perf_counter() - t < budget or reps < 3:
    reps += 1
    run_replication(sc, world, reps)
elapsed = time.perf_counter() - t
print(json.dumps({"pairs": reps, "seconds": elapsed, "per_second": reps / elapsed}))
"""

# Recorded before this work (main at d099c3c). million: the measurement on a quiet machine
# (seconds, peak GB); pairs and compare: this script's "today" column, see docs/performance.md.
RECORDED = {
    "million": {
        "niches": (23.5, 0.86),
        "watts_strogatz": (19.5, 0.6),
        "erdos_renyi": (19.7, 0.6),
        "barabasi_albert": (168.0, 3.7),
    },
}


def million(roots: dict, kinds: list[str], n: int) -> None:
    print(f"\n1M consumers x 90 days, both worlds, graph included ({n:,} consumers; target <= 15 s, <= 2 GB)")
    with tempfile.TemporaryDirectory() as tmp:
        edges = Path(tmp) / "graph.txt"
        if "file" in kinds:
            child(EDGE_LIST, roots["now"], str(n), str(edges))
        for kind in kinds:
            cells = []
            for label, root in roots.items():
                extra = [str(edges)] if kind == "file" else []
                try:
                    r = child(MILLION, root, kind, str(n), *extra, timeout=1800)
                except Exception as exc:  # today's code may not manage a kind at this size
                    cells.append(f"{label}: failed ({str(exc).splitlines()[-1][:60]})")
                    continue
                cells.append(
                    f"{label}: {r['wall']:6.1f} s, {r['peak_mb'] / 1024:4.2f} GB, {r['minor_faults'] / 1e3:,.0f}k faults "
                    f"(imports {r['imports']:.1f}, world {r['build']:.1f}, campaign {r['campaign']:.1f}, "
                    f"no-campaign {r['baseline']:.1f} s; {r['adopters']:,}/{r['baseline_adopters']:,} adopters)"
                )
            if "today" not in roots and kind in RECORDED["million"]:
                s, gb = RECORDED["million"][kind]
                cells.insert(0, f"today (issue 11, quiet): {s:.1f} s, {gb:.2f} GB")
            print(f"  {kind:17s} " + "\n  " + " " * 18 + ("\n  " + " " * 18).join(cells))


def pairs(roots: dict, budget: float) -> None:
    print("\nReplication pairs per second, baseline.toml (100,000 consumers; target >= 10x today)")
    rates = {}
    for label, root in roots.items():
        r = child(PAIRS, root, str(budget))
        rates[label] = r["per_second"]
        print(f"  {label:6s} {r['per_second']:7.2f} pairs/s ({r['pairs']} pairs in {r['seconds']:.1f} s)")
    if len(rates) == 2:
        print(f"  speed-up {rates['now'] / rates['today']:.1f}x")


def compare(roots: dict) -> None:
    print("\nwom compare scenarios/compare_splits.toml, wall time (target >= 5x faster than today)")
    walls = {}
    for label, root in roots.items():
        with tempfile.TemporaryDirectory() as tmp:
            r = command(["compare", "scenarios/compare_splits.toml", "--out", str(Path(tmp) / "out")], root)
        walls[label] = r["wall"]
        print(f"  {label:6s} {r['wall']:6.1f} s, peak {r['peak_mb']:.0f} MB (main process)")
    if len(walls) == 2:
        print(f"  speed-up {walls['today'] / walls['now']:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=["million", "pairs", "compare"], default=None)
    parser.add_argument("--today", action="store_true", help=f"also measure today's code ({TODAY})")
    parser.add_argument("--kinds", nargs="*", choices=KINDS, default=list(KINDS))
    parser.add_argument("--consumers", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=20.0, help="time spent on pairs, per code version")
    parser.add_argument("--now", type=Path, default=None, help="measure this tree as 'now' (default: this checkout)")
    args = parser.parse_args()
    roots = {"today": source(TODAY)} if args.today else {}
    roots["now"] = args.now or source(None)
    only = args.only or ["million", "pairs", "compare"]
    print(f"Measured under {load_average()}")
    if "million" in only:
        million(roots, args.kinds, args.consumers)
    if "pairs" in only:
        pairs(roots, args.seconds)
    if "compare" in only:
        compare(roots)
    print(f"\nFinished under {load_average()}")


if __name__ == "__main__":
    main()
