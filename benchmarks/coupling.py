"""Today's engine (a fresh uniform per consumer per day) against the frontier engine (one Exp(1)
threshold per consumer): KPIs in distribution, and how tightly the campaign and no-campaign
worlds are coupled.

For each engine, the same scenario and world run replications 0..R-1 (campaign and
counterfactual each). Printed per KPI: mean and standard error under each engine, and the
difference in standard errors (|z| < 3 is what "same distribution of the mean" allows). Then
the variance of incremental adopters under each engine, their ratio and its 95% interval (F
distribution): the variance reduction that shared thresholds buy at equal replications.

    .venv/bin/python benchmarks/coupling.py                      # baseline.toml, 50 replications
    .venv/bin/python benchmarks/coupling.py --scenario scenarios/compare_splits.toml -r 100
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from revisions import TODAY, child, load_average, source  # noqa: E402

KPIS = ("adopters", "baseline_adopters", "incremental_adopters", "attributed_sales", "reach", "nps", "roi")

CHILD = """
import json, sys
from sim.core.scenario import load_scenario
from sim.core.world import World
from sim.reporting.runner import run_replication
sc = load_scenario(sys.argv[1])
world = World.build(sc)
reps = [run_replication(sc, world, r).kpis for r in range(int(sys.argv[2]))]
print(json.dumps({k: [rep[k] for rep in reps] for k in sys.argv[3].split(",")}))
"""


def mean_se(values: list[float]) -> tuple[float, float]:
    v = [x for x in values if x == x]
    m = sum(v) / len(v)
    var = sum((x - m) ** 2 for x in v) / (len(v) - 1)
    return m, math.sqrt(var / len(v))


def variance(values: list[float]) -> float:
    m = sum(values) / len(values)
    return sum((x - m) ** 2 for x in values) / (len(values) - 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="scenarios/baseline.toml")
    parser.add_argument("-r", "--replications", type=int, default=50)
    args = parser.parse_args()
    print(f"{args.scenario}, {args.replications} replications per engine; {load_average()}")
    runs = {}
    for label, rev in (("today", TODAY), ("now", None)):
        out = child(CHILD, source(rev), args.scenario, str(args.replications), ",".join(KPIS))
        runs[label] = out
        print(f"  {label}: {out['wall']:.1f} s wall")
    print(f"\n{'KPI':22s} {'today: mean (SE)':>26s} {'now: mean (SE)':>26s} {'z':>6s}")
    for k in KPIS:
        (m0, s0), (m1, s1) = mean_se(runs["today"][k]), mean_se(runs["now"][k])
        z = (m1 - m0) / math.hypot(s0, s1) if s0 or s1 else 0.0
        print(f"{k:22s} {m0:16,.2f} ({s0:8,.2f}) {m1:16,.2f} ({s1:8,.2f}) {z:6.2f}")
    from scipy import stats

    v0, v1 = variance(runs["today"]["incremental_adopters"]), variance(runs["now"]["incremental_adopters"])
    n = args.replications
    low, high = (v0 / v1) / stats.f.ppf(0.975, n - 1, n - 1), (v0 / v1) / stats.f.ppf(0.025, n - 1, n - 1)
    print(
        f"\nVariance of incremental adopters: today {v0:,.0f}, now {v1:,.0f}; ratio today/now {v0 / v1:.2f} "
        f"(95% interval {low:.2f}-{high:.2f}): the same precision needs {v1 / v0:.0%} of today's replications."
    )


if __name__ == "__main__":
    main()
