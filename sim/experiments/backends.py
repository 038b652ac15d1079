"""Where batches run (this process, local worker processes, a Dask cluster) and the loop that
streams their results into the store.

The loop keeps a bounded number of batches in flight and writes each finished one at once, so
memory stays flat and a killed experiment loses only what was running. It is also where the
process rules live: worker processes die with the main process (even after ``kill -9``), Ctrl-C
keeps every finished batch and says how to resume, and a Dask cluster that has lost every worker
ends the experiment with one line after a bounded wait instead of hanging.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from sim import __version__
from sim.core.errors import InputError
from sim.core.files import check_output
from sim.experiments.plan import Batch, BatchResult, Plan, run_batch
from sim.experiments.store import Store, open_store

TICK = 0.5  # seconds between looks at the cluster while waiting for results
WATCH_INTERVAL = 1.0  # seconds between a worker's looks at the main process
# Seconds to wait for a Dask cluster to have a worker (at start, and after losing them all);
# the environment variable WOM_DASK_WAIT changes it.
DASK_WAIT = float(os.environ.get("WOM_DASK_WAIT", "60"))


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during an experiment, raised after every finished batch was kept."""

    def __init__(self, kept: int, total: int, folder: Path | None) -> None:
        self.kept, self.total, self.folder = kept, total, folder
        where = (
            f"in {folder}/; run the same command to resume"
            if folder is not None
            else "in a temporary folder, now removed; pass out=FOLDER to keep runs and resume"
        )
        super().__init__(f"interrupted: kept {kept:,} of {total:,} runs {where}")


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def check_workers(workers: int | None) -> int:
    """Local worker processes: all cores by default; more than 4 per core only costs memory."""
    most = 4 * default_workers()
    if workers is None:
        return default_workers()
    if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= most:
        raise InputError("--workers", "workers", workers, f"must be a whole number from 1 to {most} (4 per core)")
    return workers


# --- local worker processes that never outlive the main process -------------------------------


def _started(pid: int) -> str | None:
    """When process ``pid`` started (an identity that survives pid reuse), or None once it has
    exited, even as a zombie its parent has not reaped yet."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return None
    except OSError:  # no /proc (not Linux): existence is all we can tell
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return "?"
    return None if fields[0] in "ZX" else fields[19]


def _watch(main_pid: int, started: str | None) -> None:
    """Exit this worker as soon as the main process is gone."""
    while started is not None and _started(main_pid) == started:
        time.sleep(WATCH_INTERVAL)
    os._exit(1)


def _worker_start(main_pid: int) -> None:
    """Each worker, once at start: leave Ctrl-C to the main process and die with it.

    Nothing else would end it after a ``kill -9`` of the main process: the fork server waits
    for its children, and they wait for work that never comes. So a watchdog thread checks every
    second whether the main process still runs (a zombie counts as gone) and ends the worker;
    the fork server and the resource tracker then exit by themselves.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    started = _started(main_pid)
    threading.Thread(target=_watch, args=(main_pid, started), daemon=True, name="wom-watchdog").start()


class _InProcess:
    """Batches run here, one at a time, when they are submitted."""

    window = 1

    def submit(self, batch: Batch) -> Future:
        future: Future = Future()
        future.set_result(run_batch(batch))
        return future

    def wait(self, futures: set) -> tuple[set, set]:
        return set(futures), set()

    def check(self) -> None:
        pass

    def close(self, failed: bool) -> None:
        pass


@contextlib.contextmanager
def main_script_hidden() -> Iterator[None]:
    """Worker processes started inside do not import the caller's script.

    A ``forkserver`` worker imports the main script again (as ``__mp_main__``), which re-runs a
    plain script's top-level ``sim.compare(...)`` and breaks the pool (``BrokenProcessPool``)
    unless the script has an ``if __name__ == "__main__":`` guard. Workers need only ``sim``, so
    while they start the script's ``__file__`` and ``__spec__`` are hidden (multiprocessing then
    has no main module to re-import) and restored afterwards.
    """
    main = sys.modules.get("__main__")
    saved = {k: main.__dict__[k] for k in ("__file__", "__spec__") if main is not None and k in main.__dict__}
    try:
        if "__file__" in saved:
            del main.__dict__["__file__"]
        if "__spec__" in saved:
            main.__dict__["__spec__"] = None
        yield
    finally:
        if main is not None:
            main.__dict__.update(saved)


class _Processes:
    """``workers`` local processes from a fork server (no fork of a threaded parent; warm starts).

    The pool starts a worker when a batch is submitted and none is idle, so every submission
    happens with the caller's script hidden (``main_script_hidden``).
    """

    def __init__(self, workers: int) -> None:
        import multiprocessing as mp

        context = mp.get_context("forkserver")
        context.set_forkserver_preload(["sim.experiments.backends"])
        self.window = 2 * workers
        self.pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=_worker_start, initargs=(os.getpid(),)
        )

    def submit(self, batch: Batch) -> Future:
        with main_script_hidden():
            return self.pool.submit(run_batch, batch)

    def wait(self, futures: set) -> tuple[set, set]:
        done, pending = wait(futures, timeout=TICK, return_when=FIRST_COMPLETED)
        return done, pending

    def check(self) -> None:
        pass

    def close(self, failed: bool) -> None:
        if failed:  # do not wait for batches nobody will keep (3.14 names this terminate_workers)
            for process in list((self.pool._processes or {}).values()):
                process.terminate()
        self.pool.shutdown(wait=True, cancel_futures=True)


class _Dask:
    """A Dask cluster; if it has had no worker for ``patience`` seconds, one line ends the wait."""

    def __init__(self, client, address: str, patience: float) -> None:
        self.client, self.address, self.patience = client, address, patience
        self.window = 2 * max(1, sum(client.nthreads().values()))
        self.seen = self.looked = time.monotonic()

    def submit(self, batch: Batch):
        return self.client.submit(run_batch, batch, pure=False)

    def wait(self, futures: set) -> tuple[set, set]:
        from distributed import wait as dask_wait

        try:
            with self.client.as_current():
                done, pending = dask_wait(list(futures), timeout=TICK, return_when="FIRST_COMPLETED")
        except TimeoutError:
            return set(), futures
        return set(done), set(pending)

    def check(self) -> None:
        now = time.monotonic()
        if now - self.looked < 1:
            return
        self.looked = now
        try:
            workers = self.client.nthreads()
        except OSError:
            workers = {}
        if workers:
            self.seen = now
        elif now - self.seen > self.patience:
            raise InputError(
                "--scheduler",
                "scheduler",
                self.address,
                f"the cluster has had no workers for {self.patience:g} s (all lost?); finished batches are kept: "
                "start workers and run the same command to resume",
            )

    def close(self, failed: bool) -> None:
        pass  # the client's futures are released with it


@contextlib.contextmanager
def dask_client(scheduler: str, patience: float | None = None):
    """A client of a running Dask cluster whose workers run this very version of wom."""
    from distributed import Client

    patience = DASK_WAIT if patience is None else patience
    if not scheduler.startswith(("tcp://", "tls://", "inproc://")):
        raise InputError("--scheduler", "scheduler", scheduler, "must be an address like tcp://HOST:PORT")
    try:
        client = Client(scheduler, timeout="10s", set_as_default=False)
    except (OSError, TimeoutError):
        raise InputError("--scheduler", "scheduler", scheduler, "no Dask scheduler answered there in 10 s") from None
    try:
        try:
            client.wait_for_workers(1, timeout=patience)
        except TimeoutError:
            raise InputError(
                "--scheduler", "scheduler", scheduler, f"the cluster has no workers (waited {patience:g} s)"
            ) from None
        versions = set(client.run(_version).values())
        if versions != {__version__}:
            raise InputError(
                "--scheduler", "scheduler", scheduler, f"workers run wom {sorted(versions)}, this is {__version__}"
            )
        yield client
    finally:
        client.close()


def _version() -> str:
    from sim import __version__ as version

    return version


def _kept(future) -> BatchResult | None:
    """The result of a batch that finished without error, else None (without waiting)."""
    if not future.done() or future.cancelled() or future.exception() is not None:
        return None
    result = future.result()
    return result if result.error is None else None


def _drive(backend, batches: Iterator[Batch], handle) -> None:
    """Keep at most ``backend.window`` batches in flight; hand each finished one to ``handle``.

    On Ctrl-C, every batch that has finished (handled or not yet) is handed over before the
    interrupt goes on; running ones are abandoned.
    """
    pending: set = set()
    unhandled: list = []
    failed = True
    try:
        pending = {backend.submit(b) for b in itertools.islice(batches, backend.window)}
        while pending:
            done, pending = backend.wait(pending)
            unhandled = list(done)
            while unhandled:
                handle(unhandled.pop(0).result())
                following = next(batches, None)
                if following is not None:
                    pending.add(backend.submit(following))
            backend.check()
        failed = False
    except KeyboardInterrupt:
        for future in [*unhandled, *pending]:
            result = _kept(future)
            if result is not None:
                handle(result)
        raise
    finally:
        backend.close(failed)


def execute(
    plan: Plan, store: Store, *, workers: int | None = None, client=None, progress: bool = True
) -> tuple[int, int]:
    """Run every unfinished batch of ``plan`` into an open ``store`` (``run_plan`` opens it);
    returns (runs found done, runs computed).

    Ctrl-C raises ``Interrupted`` once every finished batch is on disk.
    """
    done = store.finished()
    todo = [b for b in range(plan.n_batches) if b not in done]
    already = plan.runs - sum(plan.batch_size(b) for b in todo)
    if not todo:
        return already, 0
    workers = min(check_workers(workers), len(todo))
    if client is not None:
        backend = _Dask(client, str(client.scheduler.address), DASK_WAIT)
    elif workers == 1:
        backend = _InProcess()
    else:
        backend = _Processes(workers)
    with tqdm(
        total=plan.runs, initial=already, desc=plan.name, unit="run", disable=not progress, smoothing=0.05
    ) as bar:

        def handle(result: BatchResult) -> None:
            if result.error:
                raise InputError(*result.error)
            store.write(result)
            bar.update(len(result.runs))

        try:
            _drive(backend, (plan.batch(b) for b in todo), handle)
        except KeyboardInterrupt:
            kept = sum(plan.batch_size(b) for b in store.finished() if b < plan.n_batches)
            raise Interrupted(kept, plan.runs, store.folder) from None
    return already, plan.runs - already


@dataclass
class Stored:
    """What an executed plan left on disk, read back in run order."""

    runs: pd.DataFrame
    curves: pd.DataFrame | None
    resumed_runs: int
    computed_runs: int
    out: Path | None
    notices: list[str] = field(default_factory=list)


@contextlib.contextmanager
def run_plan(
    plan: Plan,
    out: str | Path | None = None,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
) -> Iterator[Stored]:
    """Run a plan and yield its rows: the library entry for evaluating many points.

    ``out`` is checked before anything runs (a user's folder or a file is refused with one
    ``InputError`` line), then claimed and locked for the whole ``with`` block, so the caller
    writes its summary files there safely; finished batches found there are reused (resume).
    ``out=None`` runs in a temporary folder removed when the block ends. ``workers`` local
    processes (default: all cores; 1 runs here) or the Dask cluster at ``scheduler`` do the work;
    rows are identical, bit for bit, whichever. Ctrl-C raises ``Interrupted`` (a
    ``KeyboardInterrupt``) after keeping every finished batch. Notices about what was cleaned up
    from an interrupted run are printed to stderr when ``progress`` and kept in ``notices``.
    """
    workers = check_workers(workers)
    with contextlib.ExitStack() as stack:
        if out is None:
            folder, kept = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="wom-"))) / "out", None
        else:
            folder = kept = check_output(out, kind=plan.kind)
        client = stack.enter_context(dask_client(scheduler)) if scheduler else None
        store = stack.enter_context(open_store(folder, plan))
        for notice in store.notices:
            if progress:
                print(f"note: {notice}", file=sys.stderr)
        try:
            resumed, computed = execute(plan, store, workers=workers, client=client, progress=progress)
        except Interrupted as stop:
            if kept is None:
                raise Interrupted(stop.kept, stop.total, None) from None
            raise
        curves = store.read("curves") if plan.curves else None
        yield Stored(store.read(), curves, resumed, computed, kept, store.notices)
