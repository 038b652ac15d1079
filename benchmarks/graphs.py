"""Graph building at scale: every kind at 1,000,000 consumers, the edge-list reader, compile time.

Each measurement runs in a fresh process, so its peak resident memory (ru_maxrss) is its own and
numba's on-disk cache is used as a user's next run would use it. Printed beside each figure:
the time before the compiled generators (networkx for Barabasi-Albert and powerlaw_cluster,
scipy's COO -> CSR for the rest), measured on the same 2-core machine under load, and the target
(a small fraction of the 15 s that a whole 1M x 90-day run may take, well under 2 GB).

Usage: .venv/bin/python benchmarks/graphs.py [--n 1000000] [--degree 10] [--skip-reader]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

KINDS = ("niches", "watts_strogatz", "erdos_renyi", "barabasi_albert", "powerlaw_cluster")
# Before (build_graph of main at fb9a85d, 1,000,000 consumers, mean degree 10, load average 2.5-4.6):
BEFORE = {
    "niches": (3.96, 776),
    "watts_strogatz": (0.23, 624),
    "erdos_renyi": (0.59, 543),
    "barabasi_albert": (127.0, 3695),  # networkx graph + conversion; the issue measured 147 s quiet
    "powerlaw_cluster": (163.3, 3699),
}
TARGET_SECONDS = 2.0

CHILD = """
import json, resource, sys, time
t0 = time.perf_counter()
import numpy as np
from sim.core.network import build_graph
from sim.core.scenario import Network
imports = time.perf_counter() - t0
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
kind, n, degree = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
t = time.perf_counter()
g = build_graph(Network(kind=kind, mean_degree=degree), n, np.random.default_rng(0))
seconds = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak, "import_mb": before, "ties": int(g.edges),
                  "mean_degree": float(g.degree.mean())}))
"""

READER = """
import json, resource, sys, time
from sim.core.graph_files import read_edge_list
t = time.perf_counter()
a = read_edge_list(sys.argv[1])
seconds = time.perf_counter() - t
print(json.dumps({"seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "nodes": a.shape[0], "ties": a.nnz // 2}))
"""

NETWORKX_READER = """
import json, resource, sys, time
import networkx as nx
t = time.perf_counter()
g = nx.read_edgelist(sys.argv[1], nodetype=str)
a = nx.to_scipy_sparse_array(g, format="csr")
print(json.dumps({"seconds": time.perf_counter() - t,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def child(code: str, *args, env: dict | None = None) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)], check=True, capture_output=True, text=True, env=env
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def load() -> str:
    return "load average " + ", ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--degree", type=float, default=10.0)
    parser.add_argument("--skip-reader", action="store_true")
    args = parser.parse_args()

    print(f"graphs of {args.n:,} consumers, mean degree {args.degree:g} ({load()})")
    print(f"{'kind':18} {'seconds':>8} {'before':>8} {'target':>7} {'peak MB':>8} {'before':>7} {'ties':>11}")
    for kind in KINDS:
        child(CHILD, kind, 1000, args.degree)  # fill numba's cache outside the timing
        r = child(CHILD, kind, args.n, args.degree)
        s, mb = BEFORE[kind] if args.n == 1_000_000 and args.degree == 10 else (float("nan"), float("nan"))
        print(
            f"{kind:18} {r['seconds']:8.2f} {s:8.2f} {TARGET_SECONDS:7.1f} {r['peak_mb']:8.0f} {mb:7.0f} "
            f"{r['ties']:11,}   (imports alone {r['import_mb']:.0f} MB)"
        )

    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        first = child(CHILD, "powerlaw_cluster", 1000, args.degree, env=env)
        again = child(CHILD, "powerlaw_cluster", 1000, args.degree, env=env)
        print(
            f"first run in a fresh process with an empty numba cache (powerlaw_cluster, 1,000 nodes, compiles "
            f"the CSR builder too): {first['seconds']:.2f} s; next process, cache filled: {again['seconds']:.3f} s"
        )

    if args.skip_reader:
        return
    import numpy as np

    from sim.core import generators as gen

    with tempfile.TemporaryDirectory() as folder:
        adj = gen.barabasi_albert(args.n, max(1, int(round(args.degree / 2))), seed=0).tocoo()
        keep = adj.row < adj.col
        path = Path(folder) / "edges.txt"
        np.savetxt(path, np.c_[adj.row[keep], adj.col[keep]], fmt="%d")
        size = path.stat().st_size / 2**20
        r = child(READER, path)
        print(
            f"edge list of {r['ties']:,} ties ({size:.0f} MB): read_edge_list {r['seconds']:.2f} s, "
            f"peak {r['peak_mb']:.0f} MB"
        )
        small = Path(folder) / "small.txt"
        with path.open() as src, small.open("w") as dst:
            for _, line in zip(range(500_000), src, strict=False):
                dst.write(line)
        ours, theirs = child(READER, small), child(NETWORKX_READER, small)
        print(
            f"first 500,000 ties: read_edge_list {ours['seconds']:.2f} s ({ours['peak_mb']:.0f} MB), "
            f"networkx read_edgelist + CSR {theirs['seconds']:.2f} s ({theirs['peak_mb']:.0f} MB)"
        )


if __name__ == "__main__":
    main()
