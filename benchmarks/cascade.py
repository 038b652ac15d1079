"""Independent Cascade per replication: the compiled frontier cascade against cynetdiff, same process.

Barabasi-Albert graph of 100,000 nodes (m = 3), the 10 highest-degree nodes as seeds, tie
probability 0.01 and 0.05. Printed per probability: milliseconds per cascade for
``sim.core.cascade.independent_cascade`` called once per cascade and batched (many trials in
one call), cynetdiff's time, the ratio (target: at most 5x cynetdiff), and before: the model's
cascade mode (InfluenceModel stepping every consumer for 40 days). Also the set-up time of the
100k graph (target under 2 s) and the compile time of a first run with an empty numba cache.

Usage: .venv/bin/python benchmarks/cascade.py [--trials 2000] [--model-reps 3]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import networkx as nx
import numpy as np

N, M, SEEDS = 100_000, 3, 10

FIRST_CALL = """
import time
t = time.perf_counter()
import numpy as np
from sim.core.cascade import independent_cascade
from sim.core.generators import barabasi_albert
a = barabasi_albert(1000, 3, seed=1)
independent_cascade(a.indptr, a.indices, [0], 0.05, trials=10, seed=1)
print(time.perf_counter() - t)
"""


def per_cascade_ms(run, trials: int) -> float:
    t = time.perf_counter()
    run(trials)
    return 1000 * (time.perf_counter() - t) / trials


def model_ms(adjacency, seeds, p: float, reps: int) -> float:
    from sim.core.model import InfluenceModel
    from sim.validation.limits import cascade_scenario, graph_world

    sc = cascade_scenario(p, N, 40)
    world = graph_world(sc, adjacency)
    t = time.perf_counter()
    for r in range(reps):
        InfluenceModel(sc, replication=r, campaign=False, world=world, initial_adopters=seeds).run()
    return 1000 * (time.perf_counter() - t) / reps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=2000)
    parser.add_argument("--model-reps", type=int, default=3, help="replications of the model's cascade mode")
    args = parser.parse_args()
    from cynetdiff.utils import networkx_to_ic_model

    from sim.core.cascade import independent_cascade
    from sim.core.generators import barabasi_albert

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    barabasi_albert(1000, M, seed=0)  # load compiled code before timing
    t = time.perf_counter()
    adjacency = barabasi_albert(N, M, seed=2024)
    setup = time.perf_counter() - t
    seeds = np.argsort(-np.diff(adjacency.indptr), kind="stable")[:SEEDS]
    print(f"IC on Barabasi-Albert({N:,}, m = {M}), {SEEDS} top-degree seeds (load average {load})")
    print(f"set-up of the graph (compiled generator straight to CSR): {setup:.2f} s (target < 2 s)")
    directed = nx.from_scipy_sparse_array(adjacency).to_directed()
    print(
        f"{'p':>5} {'single ms':>10} {'batched ms':>11} {'cynetdiff ms':>13} {'ratio':>6} {'target':>6} "
        f"{'model ms':>9} {'mean: ours':>11} {'cynetdiff':>10}"
    )
    for p in (0.01, 0.05):
        model, labels = networkx_to_ic_model(directed, activation_prob=p, rng=1)
        model.set_seeds([labels[int(s)] for s in seeds])
        spreads = []

        def peer(trials, model=model, spreads=spreads):
            for _ in range(trials):
                model.reset_model()
                model.advance_until_completion()
                spreads.append(model.get_num_activated_nodes())

        def single(trials, p=p):
            for i in range(trials):
                independent_cascade(adjacency.indptr, adjacency.indices, seeds, p, seed=i)

        ours = independent_cascade(adjacency.indptr, adjacency.indices, seeds, p, trials=args.trials, seed=0)
        peer_ms = per_cascade_ms(peer, args.trials)
        single_ms = per_cascade_ms(single, args.trials)
        batched_ms = per_cascade_ms(
            lambda trials, p=p: independent_cascade(
                adjacency.indptr, adjacency.indices, seeds, p, trials=trials, seed=1
            ),
            args.trials,
        )
        before = model_ms(adjacency, seeds, p, args.model_reps) if args.model_reps else float("nan")
        print(
            f"{p:5.2f} {single_ms:10.4f} {batched_ms:11.4f} {peer_ms:13.4f} {single_ms / peer_ms:6.2f} {5:6d} "
            f"{before:9.1f} {ours.mean:11.2f} {np.mean(spreads):10.2f}"
        )
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        cold = subprocess.run([sys.executable, "-c", FIRST_CALL], env=env, capture_output=True, text=True, check=True)
        warm = subprocess.run([sys.executable, "-c", FIRST_CALL], env=env, capture_output=True, text=True, check=True)
        print(
            f"fresh process, empty numba cache (compiles generator, CSR builder and cascade): "
            f"{float(cold.stdout):.2f} s; next process: {float(warm.stdout):.2f} s (imports included)"
        )


if __name__ == "__main__":
    main()
