"""Running the check families of ``wom validate`` and writing their report into a folder wom owns."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from sim.core.errors import InputError
from sim.core.files import check_output, replace_outputs
from sim.validation import report
from sim.validation.bass import check_bass, check_default_gap
from sim.validation.bound import check_bound
from sim.validation.campaign import check_no_influence, check_proportional, check_tiers
from sim.validation.common import FULL, QUICK, Check, Effort
from sim.validation.engines import check_engines
from sim.validation.facts import check_complex, check_hubs
from sim.validation.ic import check_cascade_exact, check_cascade_peer
from sim.validation.recovery import check_recovery

CHECKS: dict[str, Callable[[Effort, Path], list[Check]]] = {
    "bass": check_bass,
    "bass_defaults": check_default_gap,
    "cascade_exact": check_cascade_exact,
    "cascade_peer": check_cascade_peer,
    "bound": check_bound,
    "campaign": check_proportional,
    "no_influence": check_no_influence,
    "tiers": check_tiers,
    "hubs": check_hubs,
    "complex": check_complex,
    "engines": check_engines,
    "recovery": check_recovery,
}


def families(only: str | None) -> list[str]:
    """The families ``--only`` names (all when None), or one ``InputError`` line for an unknown one."""
    names = [n.strip() for n in only.split(",")] if only else list(CHECKS)
    for name in names:
        if name not in CHECKS:
            raise InputError("--only", "only", name, f"check families are {', '.join(CHECKS)}")
    return names


def run_validation(
    names: list[str], quick: bool, out: Path, progress: Callable[[str], None] = lambda line: None
) -> tuple[list[Check], Path]:
    """Run the named families and write report.md, checks.csv and figures/ into ``out``.

    The folder is checked before any simulation and filled atomically (``replace_outputs``).
    ``progress`` receives one line per family as it finishes. Returns the checks and the report.
    """
    effort = QUICK if quick else FULL
    check_output(Path(out), kind="validation")  # before minutes of checks, not after
    start = time.perf_counter()
    with replace_outputs(Path(out), kind="validation") as tmp:
        (tmp / "figures").mkdir()
        checks: list[Check] = []
        for name in names:
            t0 = time.perf_counter()
            found = CHECKS[name](effort, tmp / "figures")
            checks += found
            progress(f"{name}: {sum(c.passed for c in found)}/{len(found)} passed ({time.perf_counter() - t0:.0f} s)")
        written = report.write_report(checks, effort, tmp, time.perf_counter() - start)
    return checks, Path(out) / written.name
