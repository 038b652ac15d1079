"""Calibration benchmark: `wom calibrate` on the shipped example, end to end (process start to
files written), target <= 10 minutes on a 2-core machine. Prints wall time, simulations, time
per simulation and the machine's load average, which says how much the cores were shared.

Usage: .venv/bin/python benchmarks/calibrate.py [--workers N] [--particles N] [--generations N]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--particles", type=int, default=None, help="override the example's [calibrate] table")
    parser.add_argument("--generations", type=int, default=None)
    args = parser.parse_args()
    wom = Path(sys.executable).with_name("wom")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        command = [
            str(wom),
            "calibrate",
            str(ROOT / "scenarios/calibrate_example.toml"),
            "--data",
            str(ROOT / "data/example_campaign.csv"),
            "--workers",
            str(args.workers),
            "--out",
            str(out),
        ]
        command += ["--particles", str(args.particles)] if args.particles else []
        command += ["--generations", str(args.generations)] if args.generations else []
        load_before = os.getloadavg()
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
        seconds = time.perf_counter() - started
        load_after = os.getloadavg()
        populations = pd.read_csv(out / "populations.csv")
        parameters = pd.read_csv(out / "parameters.csv")
    simulations = int(populations["samples"].sum())
    print(f"wom calibrate scenarios/calibrate_example.toml, {args.workers} workers")
    print(f"  wall time            {seconds:8.1f} s  (target <= 600 s)")
    print(
        f"  ABC simulations      {simulations:8,d}  in {len(populations)} populations (plus the first, prior, sample)"
    )
    print(f"  per simulation       {args.workers * seconds / simulations:8.3f} core-s (upper bound: includes all else)")
    print(f"  load average         {load_before[0]:.1f} before, {load_after[0]:.1f} after (1-minute; 2 cores)")
    print(parameters[["parameter", "posterior_median", "posterior_p5", "posterior_p95", "width_ratio"]].to_string())


if __name__ == "__main__":
    main()
