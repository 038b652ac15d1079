"""Harness for bad-input tests: run ``wom`` as the console script does, and check a refusal.

A refusal is what the developers' guide promises for bad input: exit code 2, exactly one line on
stderr (``error: ...``), nothing on stdout, no traceback, and nothing written. Other test modules
import ``run_wom``, ``assert_refused`` and ``snapshot``.
"""

from __future__ import annotations

import contextlib
import stat
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from sim.cli import main


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str


def run_wom(args: Sequence[str], cwd: Path, env: Mapping[str, str | None] | None = None) -> Outcome:
    """``wom ARGS`` in this process, in folder ``cwd``, through ``sim.cli.main`` (the console
    script's entry point, so usage errors are handled as for a user)."""
    runner = CliRunner()
    with runner.isolation(env=env) as (out, err, _), contextlib.chdir(cwd):
        try:
            main([str(a) for a in args])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        finally:
            for stream in (sys.stdout, sys.stderr):
                stream.flush()
        return Outcome(code, out.getvalue().decode(), err.getvalue().decode())


def snapshot(*roots: Path) -> dict[str, tuple]:
    """Every path under ``roots``: files with mode, size and modification time, folders with
    their mode (a folder's time changes when wom probes that it can write there)."""
    seen: dict[str, tuple] = {}
    for root in roots:
        if not root.exists():
            continue
        for p in [root, *root.rglob("*")]:
            info = p.lstat()
            seen[str(p)] = (
                (info.st_mode,) if stat.S_ISDIR(info.st_mode) else (info.st_mode, info.st_size, info.st_mtime_ns)
            )
    return seen


def assert_refused(
    args: Sequence[str],
    cwd: Path,
    expect: Sequence[str] = (),
    watch: Sequence[Path] = (),
    env: Mapping[str, str | None] | None = None,
) -> str:
    """Assert ``wom ARGS`` refuses with one clear line naming each of ``expect`` and writes
    nothing under ``cwd`` or ``watch``; return the line."""
    before = snapshot(cwd, *watch)
    result = run_wom(args, cwd, env)
    after = snapshot(cwd, *watch)
    shown = f"wom {' '.join(map(str, args))}\nstdout: {result.stdout!r}\nstderr: {result.stderr!r}"
    assert result.code == 2, shown
    assert result.stdout == "", shown
    assert result.stderr.endswith("\n") and result.stderr.count("\n") == 1, shown
    line = result.stderr.rstrip("\n")
    assert line.startswith("error: ") and "Traceback" not in line, shown
    for fragment in expect:
        assert fragment in line, f"{fragment!r} not in {line!r}"
    assert after == before, f"{shown}\nchanged: {sorted(set(after.items()) ^ set(before.items()))}"
    return line
