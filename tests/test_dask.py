"""A real Dask cluster on 127.0.0.1 (scheduler and two single-thread workers as processes):
its results equal local ones bit for bit, and a sweep survives losing a worker mid-way."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.experiments.spec import experiment_from_dict
from sim.experiments.sweep import sweep

from .test_experiment import tiny

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """``dask scheduler`` and two ``dask worker`` processes; torn down whatever happens."""
    from distributed import Client

    logs = tmp_path_factory.mktemp("dask")
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
        workers = [
            start(
                f"worker{i}",
                "worker",
                address,
                "--nthreads",
                "1",
                "--host",
                "127.0.0.1",
                "--no-nanny",
                "--no-dashboard",
            )
            for i in range(2)
        ]
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
        yield address, workers
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


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


def test_sweep_completes_when_a_worker_is_killed(cluster, local_runs, tmp_path):
    address, workers = cluster
    out = tmp_path / "dask"
    killed_at: list[int] = []  # part files finished when the worker died

    def kill_when_started() -> None:
        deadline = time.time() + 60
        while time.time() < deadline and len(list(out.glob("runs/part-*.parquet"))) < 2:
            time.sleep(0.01)
        workers[1].kill()
        killed_at.append(len(list(out.glob("runs/part-*.parquet"))))

    killer = threading.Thread(target=kill_when_started, daemon=True)
    killer.start()
    remote = sweep(experiment(12), scheduler=address, out=out, progress=False)
    killer.join()
    assert workers[1].poll() is not None
    assert 2 <= killed_at[0] < 12, "the worker should die mid-way"
    assert len(list(out.glob("runs/part-*.parquet"))) == 12  # 48 runs in batches of 4
    pd.testing.assert_frame_equal(remote.runs, local_runs, check_exact=True)
