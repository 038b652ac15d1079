"""A real Dask cluster on 127.0.0.1 (scheduler and single-thread workers as processes): its
results equal local ones bit for bit, a sweep survives losing a worker mid-way, and losing every
worker ends the sweep with one line after a bounded wait. Workers are killed right after a given
part file is written (from inside the sweep), so what was finished never depends on timing."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim.core.errors import InputError
from sim.experiments import backends, store
from sim.experiments.spec import experiment_from_dict
from sim.experiments.sweep import sweep

from .test_experiment import tiny

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def dask_cluster(logs: Path, workers: int):
    """``dask scheduler`` and ``workers`` single-thread ``dask worker`` processes; torn down whatever happens."""
    from distributed import Client

    address = f"tcp://127.0.0.1:{free_port()}"
    port = address.rsplit(":", 1)[1]
    procs: list[subprocess.Popen] = []

    def start(name: str, *args: str) -> subprocess.Popen:
        log = open(logs / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen([str(BIN / "dask"), *args], stdout=log, stderr=subprocess.STDOUT)
        procs.append(proc)
        return proc

    try:
        start("scheduler", "scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard")
        worker_args = ["--nthreads", "1", "--host", "127.0.0.1", "--no-nanny", "--no-dashboard"]
        started = [start(f"worker{i}", "worker", address, *worker_args) for i in range(workers)]
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(workers, timeout=60)
        yield address, started
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with dask_cluster(tmp_path_factory.mktemp("dask"), workers=2) as running:
        yield running


def kill_after_part(monkeypatch, n: int, workers: list[subprocess.Popen]) -> list[int]:
    """Make the sweep kill ``workers`` right after writing its ``n``-th part file; returns the
    list that receives the number of part files on disk at that moment."""
    write, written, at_kill = store.Store.write, [0], []

    def write_then_kill(self, result):
        write(self, result)
        written[0] += 1
        if written[0] == n:
            for proc in workers:
                proc.kill()
                proc.wait()
            at_kill.append(len(list((self.folder / "runs").glob("part-*.parquet"))))

    monkeypatch.setattr(store.Store, "write", write_then_kill)
    return at_kill


def experiment(points: int):
    """The tiny test market swept over micro trust and network kind."""
    parameters = {
        "tiers.micro.trust": {"min": 0.1, "max": 0.9, "steps": points},
        "network.kind": ["powerlaw_cluster", "watts_strogatz"],
    }
    data = tiny(name="dask_sweep", seed=5, experiment={"parameters": parameters})
    return experiment_from_dict(data, "dask_sweep.toml")


@pytest.fixture(scope="module")
def local_runs():
    return sweep(experiment(12), workers=1, progress=False).runs


def test_cluster_matches_local_bit_for_bit(cluster, local_runs, tmp_path):
    address, _ = cluster
    remote = sweep(experiment(12), scheduler=address, out=tmp_path / "dask", progress=False)
    assert remote.computed_runs == len(local_runs) == 48
    pd.testing.assert_frame_equal(remote.runs, local_runs, check_exact=True)


def test_sweep_completes_when_a_worker_is_killed(cluster, local_runs, tmp_path, monkeypatch):
    address, workers = cluster
    out = tmp_path / "dask"
    killed_at = kill_after_part(monkeypatch, 2, [workers[1]])
    remote = sweep(experiment(12), scheduler=address, out=out, progress=False)
    assert workers[1].poll() is not None and killed_at == [2]
    assert len(list(out.glob("runs/part-*.parquet"))) == 12  # 48 runs in batches of 4
    pd.testing.assert_frame_equal(remote.runs, local_runs, check_exact=True)


def test_losing_every_worker_is_one_line_after_a_bounded_wait(tmp_path, local_runs, monkeypatch):
    monkeypatch.setattr(backends, "DASK_WAIT", 2.0)
    out = tmp_path / "dask"
    with dask_cluster(tmp_path, workers=1) as (address, workers):
        kill_after_part(monkeypatch, 1, workers)
        with pytest.raises(InputError) as caught:
            sweep(experiment(12), scheduler=address, out=out, progress=False)
    assert str(caught.value) == (
        f"--scheduler: scheduler = '{address}': the cluster has had no workers for 2 s (all lost?); "
        "finished batches are kept: start workers and run the same command to resume"
    )
    kept = sorted(out.glob("runs/part-*.parquet"))
    assert len(kept) >= 1
    resumed = sweep(experiment(12), workers=1, out=out, progress=False)  # the rest, locally
    assert resumed.resumed_runs == 4 * len(kept)
    pd.testing.assert_frame_equal(resumed.runs, local_runs, check_exact=True)
