"""Run a benchmark's measurement against an older revision of the code, beside the current one.

``source(rev)`` exports ``sim/`` and ``scenarios/`` of a git revision into a temporary folder
(``git archive``: nothing in any checkout changes); ``child(code, root)`` runs a snippet in a
fresh process that imports ``sim`` from that folder (``PYTHONPATH``), with this venv's packages.
So "today" and "now" are measured by the same script, on the same machine, at the same load.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# main before the throughput work (issue 11): the "today" of every throughput benchmark.
TODAY = "d099c3c"


def source(rev: str | None) -> Path:
    """A folder holding ``sim/`` and ``scenarios/`` of ``rev`` (None: this checkout)."""
    if rev is None:
        return ROOT
    folder = Path(tempfile.mkdtemp(prefix=f"wom-{rev}-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev, "sim", "scenarios"], check=True, capture_output=True
    )
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return folder


def child(code: str, root: Path, *args: str, timeout: float = 3600) -> dict:
    """Run ``code`` in a fresh interpreter importing ``sim`` from ``root``, under ``/usr/bin/time -v``.

    ``code`` prints one JSON line last; added to it: ``wall`` (seconds, process start to exit),
    ``peak_mb`` (maximum resident set size) and ``minor_faults`` (page faults), as ``time -v``
    reports them for the whole process.
    """
    env = {**os.environ, "PYTHONPATH": str(root), "PYTHONHASHSEED": "0"}
    cmd = ["/usr/bin/time", "-v", sys.executable, "-c", code, *args]
    done = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode:
        raise RuntimeError(f"benchmark child failed ({root}):\n{done.stderr[-3000:]}")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    out.update(time_v(done.stderr))
    return out


def time_v(report: str) -> dict:
    """Wall time, peak resident memory and minor page faults from ``/usr/bin/time -v``'s report."""
    fields = {}
    for line in report.splitlines():
        key, _, value = line.strip().rpartition(": ")
        if key.startswith("Elapsed (wall clock) time"):
            parts = [float(x) for x in value.split(":")]
            fields["wall"] = sum(x * 60**i for i, x in enumerate(reversed(parts)))
        elif key == "Maximum resident set size (kbytes)":
            fields["peak_mb"] = int(value) / 1024
        elif key == "Minor (reclaiming a frame) page faults":
            fields["minor_faults"] = int(value)
    return fields


def load_average() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


def command(args: list[str], root: Path, timeout: float = 3600) -> dict:
    """Run ``wom ARGS`` with ``sim`` imported from ``root``, under ``/usr/bin/time -v``."""
    env = {**os.environ, "PYTHONPATH": str(root), "PYTHONHASHSEED": "0"}
    code = "import sys; from sim.cli import main; sys.argv[0] = 'wom'; main()"
    cmd = ["/usr/bin/time", "-v", sys.executable, "-c", code, *args]
    done = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode:
        raise RuntimeError(f"wom {' '.join(args)} failed ({root}):\n{done.stderr[-3000:]}")
    return time_v(done.stderr)
