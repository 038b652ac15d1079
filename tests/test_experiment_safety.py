"""Experiments under crashes and misuse: kill -9 and Ctrl-C then resume, power-cut leftovers,
no orphaned workers, one run per folder, a user's folder untouched, bad designs refused.

The subprocess tests stop ``wom sweep`` at an exact point (right after its N-th part file is on
disk) from inside, so what was kept never depends on timing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from concurrent.futures import Future
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.core.errors import InputError
from sim.core.files import owned_folder
from sim.experiments import backends
from sim.experiments.plan import BatchResult
from sim.experiments.spec import experiment_from_dict, load_experiment
from sim.experiments.store import read_runs
from sim.experiments.sweep import sweep, sweep_plan

from .test_experiment import tiny, toml_text

# Runs the wom command line, but stops itself right after its N-th part file is written:
# with SIGKILL (after listing its descendant processes) or SIGINT (as Ctrl-C would).
STOPPER = """
import json, os, signal, sys
import psutil
from sim.experiments import store

after, how, listing = int(sys.argv[1]), sys.argv[2], sys.argv[3]
write, written = store.Store.write, [0]

def write_then_stop(self, result):
    write(self, result)
    written[0] += 1
    if written[0] == after:
        kids = [p.pid for p in psutil.Process().children(recursive=True)]
        with open(listing, "w") as fh:
            json.dump(kids, fh)
        os.kill(os.getpid(), getattr(signal, how))

store.Store.write = write_then_stop
from sim.cli import main
sys.argv = ["wom", *sys.argv[4:]]
main()
"""


def sweep_file(tmp_path: Path, steps: int = 12) -> Path:
    data = tiny(experiment={"parameters": {"tiers.micro.trust": {"min": 0.1, "max": 0.9, "steps": steps}}})
    path = tmp_path / "sweep.toml"
    path.write_text(toml_text(data))
    return path


def stop_sweep(tmp_path: Path, path: Path, out: Path, *, after: int, how: str, workers: int):
    """``wom sweep`` in a subprocess, stopped by ``how`` after its ``after``-th part file."""
    listing = tmp_path / f"descendants-{how}.json"
    proc = subprocess.run(
        [sys.executable, "-c", STOPPER, str(after), how, str(listing)]
        + ["sweep", str(path), "--workers", str(workers), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    return proc, json.loads(listing.read_text())


def gone(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def wait_until_gone(pids: list[int], deadline_s: float = 30) -> list[int]:
    """Poll until every process has exited; returns those still alive at the deadline."""
    deadline = time.monotonic() + deadline_s
    alive = [p for p in pids if not gone(p)]
    while alive and time.monotonic() < deadline:
        time.sleep(0.05)
        alive = [p for p in alive if not gone(p)]
    return alive


def parts(out: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in out.glob("runs/part-*.parquet")}


# --- kill -9, Ctrl-C, power cut ------------------------------------------------------------------


@pytest.mark.slow
def test_kill_9_then_resume_is_bit_identical_and_leaves_no_worker(tmp_path):
    path = sweep_file(tmp_path)
    exp = load_experiment(path)
    plan, _ = sweep_plan(exp)
    whole = sweep(exp, workers=1, out=tmp_path / "whole", progress=False)

    out = tmp_path / "killed"
    proc, descendants = stop_sweep(tmp_path, path, out, after=2, how="SIGKILL", workers=2)
    assert proc.returncode == -9
    assert len(descendants) >= 3, descendants  # the fork server and two workers at least
    assert wait_until_gone(descendants) == [], "a worker outlived the killed wom sweep"

    before = parts(out)
    assert 2 <= len(before) < plan.n_batches
    resumed = sweep(exp, workers=1, out=out, progress=False)
    assert resumed.resumed_runs == sum(len(pd.read_parquet(out / "runs" / n)) for n in before)
    assert resumed.computed_runs == plan.runs - resumed.resumed_runs
    after = parts(out)
    assert all(after[name] == stamp for name, stamp in before.items())  # finished parts untouched
    pd.testing.assert_frame_equal(resumed.runs, whole.runs, check_exact=True)
    pd.testing.assert_frame_equal(read_runs(out), read_runs(tmp_path / "whole"), check_exact=True)


@pytest.mark.slow
def test_ctrl_c_keeps_finished_batches_and_says_how_to_resume(tmp_path):
    path = sweep_file(tmp_path)
    exp = load_experiment(path)
    plan, _ = sweep_plan(exp)
    out = tmp_path / "stopped"
    proc, descendants = stop_sweep(tmp_path, path, out, after=2, how="SIGINT", workers=2)
    assert proc.returncode == 130, proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert "Traceback" not in proc.stderr
    kept = sum(len(pd.read_parquet(p)) for p in out.glob("runs/part-*.parquet"))
    assert kept >= 2 * plan.batch_runs
    assert last == f"interrupted: kept {kept:,} of {plan.runs:,} runs in {out}/; run the same command to resume"
    assert wait_until_gone(descendants) == []
    assert not list(out.rglob(".*.tmp"))

    again = CliRunner().invoke(app, ["sweep", str(path), "--workers", "1", "--out", str(out)])
    assert again.exit_code == 0, again.output
    assert f"{plan.runs - kept} computed, {kept} found done" in again.stdout
    whole = sweep(exp, workers=1, progress=False)
    pd.testing.assert_frame_equal(read_runs(out), whole.runs, check_exact=True)


def test_ctrl_c_keeps_batches_that_finished_in_flight():
    """Ctrl-C while handling one result: the other finished ones are still written; running ones are not."""

    def finished(index: int) -> Future:
        future: Future = Future()
        future.set_result(BatchResult(index, pd.DataFrame({"run_id": [index]}), None))
        return future

    running: Future = Future()

    class Backend:
        window = 3

        def submit(self, batch):
            return {0: finished(0), 1: finished(1), 2: running}[batch]

        def wait(self, futures):
            return {f for f in futures if f.done()}, {f for f in futures if not f.done()}

        def check(self):
            pass

        def close(self, failed):
            self.failed = failed

    written: list[int] = []

    def handle(result):
        written.append(result.index)
        if len(written) == 1:
            raise KeyboardInterrupt

    backend = Backend()
    with pytest.raises(KeyboardInterrupt):
        backend_batches = iter(range(3))
        backends._drive(backend, backend_batches, handle)
    assert sorted(written) == [0, 1] and backend.failed


def test_power_cut_leftovers_are_recomputed_with_a_notice(tmp_path):
    path = sweep_file(tmp_path, steps=3)
    out = tmp_path / "out"
    exp = load_experiment(path)
    first = sweep(exp, workers=1, out=out, progress=False)
    (out / "runs" / "part-000001.parquet").write_bytes(b"")  # what a power cut before fsync leaves
    (out / "runs" / "part-000002.parquet").write_bytes(b"PAR1 not really parquet")
    stale = [
        out / "runs" / ".part-000001.parquet.k3j2h1g0.tmp",
        out / ".points.csv.a1b2c3d4.tmp",
        out / "figures" / ".sweep.png.zz99yy88.tmp",
        out / "runs" / ".part-000004.parquet",  # an earlier version's temporary name
    ]
    for p in stale:
        p.write_bytes(b"half")
    result = CliRunner().invoke(app, ["sweep", str(path), "--workers", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    notes = [line for line in result.stderr.splitlines() if line.startswith("note: ")]
    assert len(notes) == 2, result.stderr
    assert notes[0].startswith("note: removed 4 temporary file(s) an interrupted run left: ")
    assert notes[1].startswith("note: removed 2 empty or unreadable part file(s)")
    assert "runs/part-000001.parquet" in notes[1] and "computed again" in notes[1]
    assert "2 found done" not in result.stdout and "found done" in result.stdout
    assert not any(p.exists() for p in stale)
    pd.testing.assert_frame_equal(read_runs(out), first.runs, check_exact=True)
    again = sweep(exp, workers=1, out=out, progress=False)
    assert again.notices == [] and again.computed_runs == 0


def test_a_part_with_the_wrong_number_of_rows_is_recomputed(tmp_path):
    exp = load_experiment(sweep_file(tmp_path, steps=3))
    out = tmp_path / "out"
    first = sweep(exp, workers=1, out=out, progress=False)
    part = out / "runs" / "part-000000.parquet"
    pd.read_parquet(part).head(1).to_parquet(part, index=False)  # a readable but short part
    again = sweep(exp, workers=1, out=out, progress=False)
    assert len(again.notices) == 1 and "part-000000" in again.notices[0]
    assert again.computed_runs == sweep_plan(exp)[0].batch_size(0) == 4
    pd.testing.assert_frame_equal(again.runs, first.runs, check_exact=True)


# --- folders: the lock, a user's folder ----------------------------------------------------------


def test_second_run_into_a_locked_folder_gets_one_line(tmp_path):
    path = sweep_file(tmp_path, steps=2)
    out = tmp_path / "out"
    with owned_folder(out, kind="sweep"):  # another wom is writing there
        result = CliRunner().invoke(app, ["sweep", str(path), "--workers", "1", "--out", str(out)])
        assert result.exit_code == 2
        assert result.stderr.strip().splitlines() == [
            f"error: --out {out}: another wom process is writing into this folder; wait for it or choose another"
        ]
        with pytest.raises(InputError, match="another wom process"):
            sweep(load_experiment(path), workers=1, out=out, progress=False)
    assert not (out / "runs").exists()
    assert sweep(load_experiment(path), workers=1, out=out, progress=False).computed_runs == 4  # free again


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("command", ["sweep", "compare"])
def test_a_users_folder_given_as_out_survives(tmp_path, command):
    data = tiny(experiment={"split_grid": {"tiers": ["micro", "macro"], "step": 0.5}})
    data["budget"]["total"] = 40_000
    path = tmp_path / "exp.toml"
    path.write_text(toml_text(data))
    users = tmp_path / "thesis"
    (users / "chapter").mkdir(parents=True)
    (users / "notes.txt").write_text("three years of work")
    (users / "chapter" / "draft.md").write_text("# draft")
    before = snapshot(users)
    result = CliRunner().invoke(app, [command, str(path), "--workers", "1", "--out", str(users)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "holds files wom did not create" in lines[0], result.stderr
    assert snapshot(users) == before and sorted(os.listdir(users)) == ["chapter", "notes.txt"]


def test_an_empty_folder_given_as_out_is_used_and_a_file_is_refused(tmp_path):
    path = sweep_file(tmp_path, steps=2)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert sweep(load_experiment(path), workers=1, out=empty, progress=False).computed_runs == 4
    assert (empty / "points.csv").exists() and (empty / ".wom-output.json").exists()
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine")
    result = CliRunner().invoke(app, ["sweep", str(path), "--out", str(a_file)])
    assert result.exit_code == 2 and "is a file, not a folder" in result.stderr
    assert a_file.read_text() == "mine"


def test_a_compare_folder_is_not_reused_by_a_sweep(tmp_path):
    path = sweep_file(tmp_path, steps=2)
    out = tmp_path / "out"
    sweep(load_experiment(path), workers=1, out=out, progress=False)
    with pytest.raises(InputError, match="holds wom's sweep results, not compare results"):
        from sim.experiments.compare import compare

        variants = {"a": {"seed": 1}, "b": {"seed": 2}}
        compare(experiment_from_dict(tiny(variants=variants), "c.toml"), workers=1, out=out, progress=False)


# --- bad experiment input: one line, exit 2, no traceback, nothing written ----------------------

HEAD = 'name = "bad"\nmarket = { consumers = 300, population = 30000, days = 5 }\n'
TRUST = "[experiment.parameters]\ntiers.micro.trust = "
BAD_DESIGNS = {
    "max_inf": (TRUST + "{ min = 0.1, max = inf, steps = 3 }\n", "max = inf: must be a finite number, not inf"),
    "min_nan": (TRUST + "{ min = nan, max = 0.9, steps = 3 }\n", "min = nan: must be a finite number, not nan"),
    "min_negative_inf": (TRUST + "{ min = -inf, max = 0.9, steps = 3 }\n", "must be a finite number"),
    "level_nan": (TRUST + "[0.1, nan]\n", "levels must be finite numbers, not nan"),
    "level_inf": ('[experiment.parameters]\n"market.days" = [5, inf]\n', "levels must be finite numbers, not inf"),
    "min_true": (TRUST + "{ min = true, max = 0.9, steps = 3 }\n", "must be a number, not true or false"),
    "steps_true": (TRUST + "{ min = 0.1, max = 0.9, steps = true }\n", "steps = true: must be a valid integer"),
    "steps_float": (TRUST + "{ min = 0.1, max = 0.9, steps = 3.0 }\n", "must be a valid integer"),
    "steps_huge": (TRUST + "{ min = 0.1, max = 0.9, steps = 1_000_000 }\n", "less than or equal to 10000"),
    "log_number": (TRUST + "{ min = 0.1, max = 0.9, steps = 3, log = 1 }\n", "log = 1: must be a valid boolean"),
    "bool_level_for_number": (
        '[experiment.parameters]\n"market.days" = [true, 10]\n',
        "experiment.parameters.market.days = true: must be a number, not true or false",
    ),
    "number_level_for_bool": (
        '[experiment.parameters]\n"referral.enabled" = [1, 0]\n',
        "experiment.parameters.referral.enabled = 1: must be true or false",
    ),
    "samples_true": (
        '[experiment]\ndesign = "lhs"\nsamples = true\n' + TRUST + "{ min = 0.1, max = 0.9 }\n",
        "experiment.samples = true: must be a valid integer",
    ),
    "samples_huge": (
        '[experiment]\ndesign = "random"\nsamples = 1_000_000_000\n' + TRUST + "{ min = 0.1, max = 0.9 }\n",
        "experiment.samples = 1000000000: must be less than or equal to 100000",
    ),
    "sobol_too_big": (
        '[experiment]\ndesign = "sobol"\nsamples = 65536\n' + TRUST + "{ min = 0.1, max = 0.9 }\n",
        "experiment.parameters = '196,608 points': a design may have at most 100,000",
    ),
    "sample_seed_negative": (
        "[experiment]\nsample_seed = -1\n",
        "sample_seed = -1: must be greater than or equal to 0",
    ),
    "step_nan": (
        '[experiment.split_grid]\ntiers = ["micro", "macro"]\nstep = nan\n',
        "split_grid.step = nan: must be a finite number, not nan",
    ),
    "step_true": (
        '[experiment.split_grid]\ntiers = ["micro", "macro"]\nstep = true\n',
        "must be a number, not true or false",
    ),
    "grid_4_by_10000": (
        "[experiment.parameters]\n"
        + "".join(
            f'"{k}" = {{ min = 0.1, max = 0.9, steps = 10_000 }}\n'
            for k in ("tiers.micro.trust", "tiers.macro.trust", "influence.conversion", "word_of_mouth.tie_prob")
        ),
        "experiment.parameters = '10,000,000,000,000,000 points': a design may have at most 100,000",
    ),
    "split_grid_step_0_002_over_5_tiers": (
        '[experiment.split_grid]\ntiers = ["nano", "micro", "mid", "macro", "mega"]\nstep = 0.002\n',
        "experiment.split_grid = '2,656,615,626 points': a design may have at most 100,000",
    ),
    "total_work": (
        'replications = 100_000\n[experiment.parameters]\n"market.days" = [5, 36_500]\n',
        "(size) = '6.6e+13 work units': 2 points x 100,000 replications would take about 18 hours: over the "
        "limit of 4e+13 units",
    ),
    "experiment_not_a_table": ("experiment = 5\n", "experiment = 5: must be a table"),
    "name_with_slash": ('"variants"."../up" = { seed = 2 }\n', "variants = '../up': must be a plain name"),
}


def assert_refused(result, expected: str, tmp_path: Path) -> None:
    """The promise for bad input: exit 2, exactly one line naming the file, no traceback, nothing written."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: bad.toml: "), result.output
    assert expected in lines[0], lines[0]
    assert sorted(os.listdir(tmp_path)) == ["bad.toml"]


@pytest.mark.parametrize("case", BAD_DESIGNS)
def test_bad_design_is_one_line_exit_2_nothing_written(tmp_path, monkeypatch, case):
    body, expected = BAD_DESIGNS[case]
    (tmp_path / "bad.toml").write_text(HEAD + body)
    monkeypatch.chdir(tmp_path)  # the default output folder would be results/ here
    result = CliRunner().invoke(app, ["sweep", "bad.toml"])
    assert_refused(result, expected, tmp_path)


VARIANTS = '"variants"."a" = { seed = 2 }\n"variants"."b" = { seed = 3 }\n'
BAD_COMPARISONS = {
    "split_grid_too_big": (
        'name = "bad"\n[budget]\ntotal = 10_000_000\n[experiment.split_grid]\n'
        'tiers = ["nano", "micro", "mid", "macro", "mega"]\nstep = 0.002\n',
        "experiment.split_grid = '2,656,615,626 points': a design may have at most 100,000",
    ),
    "scenario_name_a_path": ('name = "../../etc"\n' + VARIANTS, "name = '../../etc': must be a plain name"),
    "empty_name": ('name = ""\n' + VARIANTS, "name = '': must be a plain name"),
    "variant_name_a_path": ('name = "bad"\n"variants"."a/b" = { seed = 2 }\n', "variants = 'a/b': must be a plain"),
    "work": (
        'name = "bad"\n' + VARIANTS + "[market]\nconsumers = 2_000_000\npopulation = 2_000_000\ndays = 36_500\n"
        "[network]\nmean_degree = 1000\n",
        "2 points x 10 replications would take about 414 hours: over the limit of 4e+13 units",
    ),
}


@pytest.mark.parametrize("case", BAD_COMPARISONS)
def test_bad_comparison_is_one_line_exit_2_nothing_written(tmp_path, monkeypatch, case):
    body, expected = BAD_COMPARISONS[case]
    (tmp_path / "bad.toml").write_text(body)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["compare", "bad.toml"])
    assert_refused(result, expected, tmp_path)


def test_the_work_limit_covers_every_point_and_can_be_raised(tmp_path, monkeypatch):
    data = tiny(experiment={"parameters": {"tiers.micro.trust": [0.2, 0.8]}})
    # 2 points x 2 replications x 20 days x 300 consumers x (6 ties + 20) = 624,000 units
    monkeypatch.setenv("WOM_WORK_LIMIT", "6e5")
    with pytest.raises(InputError, match=r"2 points x 2 replications would take .* set WOM_WORK_LIMIT=7e5"):
        sweep_plan(experiment_from_dict(data, "w.toml"))
    monkeypatch.setenv("WOM_WORK_LIMIT", "6.24e5")
    plan, _ = sweep_plan(experiment_from_dict(data, "w.toml"))
    assert plan.runs == 4


def test_replications_override_is_validated(tmp_path):
    from sim.experiments.compare import compare

    variants = {"a": {"seed": 1}, "b": {"seed": 2}}
    exp = experiment_from_dict(tiny(variants=variants), "c.toml")
    with pytest.raises(InputError, match=r"--replications: replications = 0: must be greater than or equal to 1"):
        compare(exp, replications=0, progress=False)
    with pytest.raises(InputError, match=r"replications = 1000000: must be less than or equal to 100000"):
        compare(exp, replications=1_000_000, progress=False)


@pytest.mark.parametrize("workers", [0, -1, 10_000, True, 2.5])
def test_workers_out_of_range_is_refused_before_anything(tmp_path, workers):
    exp = load_experiment(sweep_file(tmp_path, steps=2))
    with pytest.raises(
        InputError, match=r"^--workers: workers = .*: must be a whole number from 1 to \d+ \(4 per core\)$"
    ):
        sweep(exp, workers=workers, out=tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()


def test_compare_takes_a_scenario_and_checks_its_names(tmp_path):
    from sim.core.scenario import scenario_from_dict
    from sim.experiments.compare import compare

    variants = {"a": {"seed": 1}, "b": {"influence": {"conversion": 0.02}}}
    c = compare(scenario_from_dict(tiny(variants=variants)), replications=2, workers=1, progress=False)
    assert c.variants == ["a", "b"] and len(c.runs) == 4
    with pytest.raises(InputError, match=r"<scenario>: variants = 'x/y': must be a plain name"):
        compare(scenario_from_dict(tiny(variants={"x/y": {"seed": 1}, "b": {}})), workers=1, progress=False)
