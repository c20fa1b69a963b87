"""Where the batch's runs execute: a local process pool (default) or an existing dask.distributed cluster.

Both executors take the runs to execute and yield ``(run, result)`` as each finishes, so that the batch prints
the same progress lines, reports failures the same way and writes the same index whichever is used. A run on a
dask worker reads and writes the same paths as on this machine: the repository (and ``data/private``) must be on
a file system the workers share, as the home or project folder of an HPC cluster is.

References
----------
Rocklin M. Dask: parallel computation with blocked algorithms and task scheduling. Proc. SciPy 2015:130-136.
dask-jobqueue (SLURM, PBS, SGE, LSF clusters): https://jobqueue.dask.org
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
import os
import time
from typing import Callable, Iterator

#: Topic of the progress lines a dask worker sends back to the batch.
TOPIC = "myositis-progress"
HEARTBEAT_SECONDS = 15


def _crashed(run, exc: BaseException):
    from . import paths
    from .runner import Result

    return Result(run.output, paths.relative(run.notebook), paths.relative(run.params_file), run.description,
                  "failed", 0.0, f"{paths.relative(run.notebook)}: worker crashed: {type(exc).__name__}: {exc}",
                  sweep=run.sweep, point=run.point)


def _say(msg: str) -> None:
    print(msg, flush=True)


class LocalPool:
    """Runs in ``jobs`` worker processes of this machine (spawned: each run starts its own kernel); a single
    run, or ``jobs=1``, executes in this process (its kernel is still a process of its own).

    ``warm``, a module-level function, is called once in each worker when it starts (ProcessPoolExecutor's
    ``initializer``): imports and set-up its runs would otherwise pay in the first run of each worker."""

    def __init__(self, jobs: int, warm: Callable | None = None):
        self.jobs = max(1, int(jobs))
        self.warm = warm

    def describe(self) -> str:
        return f"{self.jobs} local job(s)"

    def run(self, runs: list, fn: Callable) -> Iterator[tuple]:
        if not runs:
            return
        if len(runs) == 1 or self.jobs == 1:
            # nothing to run in parallel: in this process, without starting a worker and importing papermill there
            # (each run's notebook still gets its own kernel process)
            for run in runs:
                try:
                    yield run, fn(run)
                except Exception as exc:
                    yield run, _crashed(run, exc)
            return
        t0 = time.perf_counter()
        with cf.ProcessPoolExecutor(max_workers=min(self.jobs, len(runs)), mp_context=mp.get_context("spawn"),
                                    initializer=self.warm) as pool:
            pending = {pool.submit(fn, run): run for run in runs}
            while pending:
                done, _ = cf.wait(pending, timeout=HEARTBEAT_SECONDS, return_when=cf.FIRST_COMPLETED)
                for fut in done:
                    run = pending.pop(fut)
                    try:
                        yield run, fut.result()
                    except Exception as exc:  # the worker itself died
                        yield run, _crashed(run, exc)
                if pending and not done:
                    names = ", ".join(r.output for r in pending.values())
                    _say(f"  ... in progress or queued: {names} (batch {time.perf_counter() - t0:6.1f} s)")

    def close(self) -> None:
        pass


def _worker_progress(msg: str) -> None:
    """Progress line from a dask worker: sent to the batch (printed there) as a worker event."""
    from distributed import get_worker

    try:
        get_worker().log_event(TOPIC, msg)
    except ValueError:  # not on a worker (a test calling the function directly)
        _say(msg)


def _first_done(pending: set, timeout: float) -> set:
    """Futures of ``pending`` done within ``timeout`` seconds (at least one, or none at the timeout)."""
    from distributed import wait

    try:
        return set(wait(list(pending), timeout=timeout, return_when="FIRST_COMPLETED").done)
    except TimeoutError:
        return set()


def _execute_on_worker(fn: Callable, run):
    return fn(run, None, _worker_progress)


class Dask:
    """Runs on an existing dask.distributed cluster (``tcp://host:8786``), one task per run."""

    def __init__(self, address: str):
        self.address = address
        self.client = None

    def describe(self) -> str:
        return f"dask scheduler {self.address}"

    def connect(self):
        if self.client is None:
            from distributed import Client

            self.client = Client(self.address, timeout="30s")
            self.client.subscribe_topic(TOPIC, lambda event: _say(event[1]))
        return self.client

    def run(self, runs: list, fn: Callable) -> Iterator[tuple]:
        if not runs:
            return
        client = self.connect()
        t0 = time.perf_counter()
        futures = {client.submit(_execute_on_worker, fn, run, key=f"myositis-run-{run.output}-{time.time_ns()}",
                                 pure=False): run for run in runs}
        pending = set(futures)
        while pending:
            result = _first_done(pending, HEARTBEAT_SECONDS)
            for fut in result:
                run = futures[fut]
                pending.discard(fut)
                try:
                    yield run, fut.result()
                except Exception as exc:  # the task or its worker failed
                    yield run, _crashed(run, exc)
            if pending and not result:
                names = ", ".join(futures[f].output for f in pending)
                _say(f"  ... in progress or queued: {names} (batch {time.perf_counter() - t0:6.1f} s)")

    def close(self) -> None:
        if self.client is not None:
            try:
                self.client.unsubscribe_topic(TOPIC)
            except Exception:
                pass
            self.client.close()
            self.client = None


def on_this_machine(executor) -> bool:
    """Whether a dask executor's scheduler runs on this machine (a ``LocalCluster``, or one started by hand here),
    so that its workers can use the batch's kernel server."""
    import socket
    from urllib.parse import urlparse

    if not isinstance(executor, Dask):
        return False
    host = urlparse(executor.address if "://" in executor.address else f"tcp://{executor.address}").hostname
    return host in {"localhost", "127.0.0.1", "::1", socket.gethostname(), socket.getfqdn()}


def choose(scheduler: str | None, jobs: int | None, n_runs: int, warm: Callable | None = None):
    """The executor for a batch: dask when a scheduler address is given (or ``DASK_SCHEDULER_ADDRESS`` is set),
    else a local pool of ``jobs`` processes (default: the number of cores, at most one per run), whose workers
    call ``warm`` when they start (:class:`LocalPool`)."""
    address = scheduler or os.environ.get("DASK_SCHEDULER_ADDRESS")
    if address:
        return Dask(address)
    return LocalPool(max(1, min(jobs or os.cpu_count() or 1, max(n_runs, 1))), warm)
