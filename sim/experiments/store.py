"""An experiment's folder: claimed and locked, a manifest, one Parquet part file per batch.

The folder is wom's own (``owned_folder``: marker and lock), so a second run into it gets one
line and a user's folder is never written into. ``experiment.json`` names the experiment by a
hash of what determines its runs; a folder holding another experiment is refused. Each finished
batch becomes ``runs/part-<batch>.parquet`` (and ``curves/...``), written through ``atomic_write``
(flushed to disk, then renamed), so a part is complete or absent. On opening, whatever an
interrupted run may have left (temporary files, an empty or unreadable part) is removed, with a
notice, and its batch is computed again.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sim import __version__
from sim.core.errors import InputError
from sim.core.files import atomic_write, atomic_write_text, owned_folder
from sim.experiments.plan import BatchResult, Plan
from sim.reporting.outputs import resolved_toml

MANIFEST = "experiment.json"
# Names of files a killed run may leave: atomic_write's temporaries (".NAME.XXXXXXXX.tmp") and
# the parts' temporaries of earlier versions (".part-*").
TEMPORARY = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp|\.part-.+")


def _part_name(index: int) -> str:
    return f"part-{index:06d}.parquet"


@dataclass
class Store:
    """The open folder of one plan; ``notices`` says what opening it cleaned up."""

    folder: Path
    plan: Plan
    notices: list[str] = field(default_factory=list)

    def part(self, table: str, index: int) -> Path:
        return self.folder / table / _part_name(index)

    def finished(self) -> set[int]:
        """Batches whose runs part exists (curves parts are written first, so they exist too)."""
        return {int(p.stem.removeprefix("part-")) for p in (self.folder / "runs").glob("part-*.parquet")}

    def write(self, result: BatchResult) -> None:
        if result.curves is not None:
            curves = result.curves
            atomic_write(self.part("curves", result.index), lambda tmp: curves.to_parquet(tmp, index=False))
        runs = result.runs
        atomic_write(self.part("runs", result.index), lambda tmp: runs.to_parquet(tmp, index=False))

    def read(self, table: str = "runs") -> pd.DataFrame:
        return read_runs(self.folder, table)


def read_runs(out: str | Path, table: str = "runs") -> pd.DataFrame:
    """All rows of ``runs`` (or ``curves``), in run order whatever the backend and timing."""
    frame = pd.read_parquet(Path(out) / table)
    keys = ["run_id", "day"] if table == "curves" else ["run_id"]
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)


def _claim(folder: Path, plan: Plan) -> None:
    """Write the manifest of a new experiment folder, or refuse one that holds another."""
    manifest = folder / MANIFEST
    if manifest.exists():
        try:
            found = json.loads(manifest.read_text(encoding="utf-8")).get("hash")
        except (OSError, ValueError, AttributeError):
            found = "unreadable"
        if found != plan.hash():
            raise InputError(
                str(folder),
                "--out",
                str(folder),
                f"holds another experiment (hash {found}, this one {plan.hash()}): choose another folder or delete it",
            )
        return
    info = {
        "kind": plan.kind,
        "hash": plan.hash(),
        "name": plan.name,
        "source": plan.source,
        "version": __version__,
        "scenario_hash": plan.base.content_hash(),
        "seed": plan.base.seed,
        "points": plan.n_points,
        "replications": plan.replications,
        "runs": plan.runs,
        "batch_runs": plan.batch_runs,
        "identity": plan.identity,
    }
    atomic_write_text(folder / "scenario.resolved.toml", resolved_toml(plan.base))
    atomic_write_text(manifest, json.dumps(info, indent=2, default=str) + "\n")


def _remove_temporaries(folder: Path) -> list[str]:
    """Delete what a killed run was writing; wom's marker and lock are never matched."""
    removed = []
    for path in sorted(folder.rglob(".*")):
        if TEMPORARY.fullmatch(path.name) and (path.is_file() or path.is_dir()):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed.append(str(path.relative_to(folder)))
    return removed


def _readable(path: Path, rows: int | None) -> bool:
    """A complete Parquet file (with ``rows`` rows if given): its footer parses and counts them."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        found = pq.read_metadata(path).num_rows
    except (OSError, ValueError, pa.ArrowException):
        return False
    return found > 0 and (rows is None or found == rows)


def _remove_bad_parts(store: Store) -> list[str]:
    """Delete empty, unreadable or wrongly sized parts (and their twins); their batches run again."""
    plan, removed = store.plan, []
    for index in sorted(store.finished()):
        runs, curves = store.part("runs", index), store.part("curves", index)
        good = index < plan.n_batches and _readable(runs, plan.batch_size(index))
        if good and plan.curves:
            good = _readable(curves, None)
        if not good:
            for path in (runs, curves):
                if path.exists():
                    path.unlink()
                    removed.append(str(path.relative_to(store.folder)))
    return removed


def _listing(names: list[str]) -> str:
    shown = ", ".join(names[:3])
    return shown + (f" and {len(names) - 3} more" if len(names) > 3 else "")


@contextlib.contextmanager
def open_store(out: str | Path, plan: Plan) -> Iterator[Store]:
    """Claim and lock ``out`` for ``plan`` (refusing a user's folder or another experiment's),
    clean up after an interrupted run, and hold the lock until the block ends."""
    with owned_folder(out, kind=plan.kind, info={"hash": plan.hash()}) as folder:
        _claim(folder, plan)
        store = Store(Path(folder), plan)
        temporaries = _remove_temporaries(store.folder)
        if temporaries:
            store.notices.append(
                f"removed {len(temporaries)} temporary file(s) an interrupted run left: {_listing(temporaries)}"
            )
        bad = _remove_bad_parts(store)
        if bad:
            store.notices.append(
                f"removed {len(bad)} empty or unreadable part file(s) (an interrupted write?): {_listing(bad)}; "
                "their runs are computed again"
            )
        yield store
