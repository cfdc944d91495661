"""LocalCluster: an MPI cluster on this machine, started in the background.

``LocalCluster()`` starts ``mpiexec -n 1 mpiflow cluster`` (the scheduler)
and, at the same time, one ``mpiexec -n 1 mpiflow worker`` job per worker
(each waits for the scheduler's file), all detached from this process;
``Client(cluster)`` joins them through the scheduler file.
Each worker is its own MPI job, so a worker that dies (even by SIGKILL)
cannot take the others down. ``Client()`` with no arguments, outside an
``mpiexec`` launch, makes one sized to the machine.

Examples
--------
>>> nprocesses_nthreads(2), nprocesses_nthreads(8), nprocesses_nthreads(12)
((2, 1), (4, 2), (4, 3))
"""

from __future__ import annotations

import atexit
import contextlib
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from typing import Any

import psutil

from mpiflow.config import parse_bytes
from mpiflow.distributed.comm.pmi import find_mpiexec, without_launch_identity
from mpiflow.distributed.dashboard.address import resolve_dashboard_address

__all__ = ["LocalCluster", "nprocesses_nthreads"]

#: Seconds to wait for the scheduler to publish its file.
START_TIMEOUT = 60.0


def nprocesses_nthreads(cores: int | None = None) -> tuple[int, int]:
    """Default ``(workers, threads per worker)`` for ``cores`` cores (as Dask sizes them).

    Up to 4 cores get one single-threaded worker each; more cores get about
    ``sqrt(cores)`` workers with the rest as threads.
    """
    n = cores or os.cpu_count() or 1
    if n <= 4:
        return n, 1
    workers = min(f for f in range(2, n + 1) if n % f == 0 and f >= math.sqrt(n))
    return workers, n // workers


def _tail(path: str, lines: int = 20) -> str:
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""


class LocalCluster:
    """An mpiflow cluster of ``n_workers`` MPI processes on this machine.

    Parameters
    ----------
    n_workers : int, optional
        Worker processes (default: sized to the machine, see
        :func:`nprocesses_nthreads`).
    threads_per_worker : int, optional
        Threads per worker (default: cores / workers).
    memory_limit : str or int, optional
        Memory per worker, e.g. ``'4GB'`` (default: machine memory / workers).
    local_directory : str, optional
        Where the scheduler file, logs and worker scratch go (default: a new
        temporary directory, removed at :meth:`close`).
    timeout : float
        Seconds to wait for the scheduler to start.
    dashboard_address : str, optional
        Where the scheduler serves the dashboard: ``'host:port'``, ``':port'``
        (127.0.0.1) or None (off); default ``':8787'`` or the next free port.
        The link is :attr:`dashboard_link`.

    Examples
    --------
    >>> from mpiflow.distributed import LocalCluster, Client   # doctest: +SKIP
    >>> cluster = LocalCluster(n_workers=2)                     # doctest: +SKIP
    >>> client = Client(cluster)                                # doctest: +SKIP
    >>> client.submit(sum, [1, 2]).result()                     # doctest: +SKIP
    3
    >>> client.close(); cluster.close()                         # doctest: +SKIP
    """

    def __init__(self, n_workers: int | None = None, threads_per_worker: int | None = None,
                 memory_limit: str | int | None = "auto", local_directory: str | None = None,
                 timeout: float = START_TIMEOUT, dashboard_address: str | int | None = ":8787",
                 **kwargs: Any) -> None:
        if kwargs:
            raise TypeError(
                f"LocalCluster got unexpected arguments {sorted(kwargs)}; it takes n_workers, "
                "threads_per_worker, memory_limit, local_directory, timeout and "
                "dashboard_address"
            )
        dashboard = resolve_dashboard_address(dashboard_address)  # bad input fails here
        self.mpiexec = find_mpiexec()
        if self.mpiexec is None:
            raise RuntimeError(
                "LocalCluster starts its processes with `mpiexec`, and none was found next to "
                f"{sys.executable} or on PATH. Install MPICH with `pip install mpich` (or "
                "`pip install mpiflow[mpich]`), or load your site's MPI module (e.g. `module "
                "load mpich`), then try again."
            )
        workers, threads = nprocesses_nthreads()
        if n_workers is not None and threads_per_worker is None:
            threads = max(1, (os.cpu_count() or 1) // max(1, n_workers))
        self.n_workers = workers if n_workers is None else int(n_workers)
        self.threads_per_worker = threads if threads_per_worker is None else int(threads_per_worker)
        if self.n_workers < 0 or self.threads_per_worker < 1:
            raise ValueError(
                f"LocalCluster needs n_workers >= 0 and threads_per_worker >= 1; got "
                f"{n_workers!r} and {threads_per_worker!r}"
            )
        if memory_limit in (None, 0, "auto"):
            limit = psutil.virtual_memory().total // max(1, self.n_workers)
        else:
            limit = parse_bytes(memory_limit)
        self.memory_limit = limit
        self._own_directory = local_directory is None
        self.directory = local_directory or tempfile.mkdtemp(prefix="mpiflow-cluster-")
        self.scheduler_file = os.path.join(self.directory, "scheduler.json")
        self._procs: list[subprocess.Popen] = []
        self._logs: list[str] = []
        self.status = "starting"
        atexit.register(self.close)
        try:
            where = "none" if dashboard is None else f"{dashboard[0]}:{dashboard[1]}"
            self._scheduler = self._start("scheduler", ["cluster", "--dashboard-address",
                                                        where], n=1)
            # The workers start at once and wait for the scheduler's file: their
            # start-up (Python, MPI) overlaps the scheduler's.
            for i in range(self.n_workers):
                self._start(f"worker-{i}", ["worker", "--nthreads", str(self.threads_per_worker),
                                            "--memory-limit", str(limit),
                                            "--wait-for-scheduler-file", f"{timeout:g}"], n=1)
            self._wait_for_scheduler_file(timeout)
        except BaseException:
            self.close()
            raise
        self.status = "running"

    # -- processes ---------------------------------------------------------------
    def _start(self, name: str, command: list[str], n: int) -> subprocess.Popen:
        log = os.path.join(self.directory, f"{name}.log")
        # never hand our own PMI identity to the cluster's processes
        env = dict(without_launch_identity(),
                   UCX_LOG_LEVEL=os.environ.get("UCX_LOG_LEVEL", "error"))
        args = [self.mpiexec, "-n", str(n), sys.executable, "-m", "mpiflow", *command,
                "--scheduler-file", self.scheduler_file,
                "--local-directory", self.directory]
        with open(log, "w") as out:
            proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, env=env,
                                    start_new_session=True)
        self._procs.append(proc)
        self._logs.append(log)
        return proc

    def _wait_for_scheduler_file(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not os.path.exists(self.scheduler_file):
            if self._scheduler.poll() is not None:
                raise RuntimeError(
                    f"the LocalCluster scheduler exited with code {self._scheduler.returncode} "
                    f"before it started; its log ({self._logs[0]}):\n{_tail(self._logs[0])}"
                )
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"the LocalCluster scheduler did not start within {timeout:g} s; its log "
                    f"({self._logs[0]}):\n{_tail(self._logs[0])}"
                )
            time.sleep(0.02)

    @property
    def dashboard_link(self) -> str | None:
        """The dashboard's URL, or None when it is off.

        Examples
        --------
        >>> LocalCluster(n_workers=1).dashboard_link  # doctest: +SKIP
        'http://127.0.0.1:8787/status'
        """
        try:
            with open(self.scheduler_file) as f:
                return json.load(f).get("dashboard")
        except (OSError, ValueError):
            return None

    @property
    def worker_processes(self) -> list[subprocess.Popen]:
        """The ``mpiexec`` processes of the workers (one job per worker)."""
        return self._procs[1:]

    def logs(self) -> dict[str, str]:
        """The output of every process so far, by process name."""
        return {os.path.basename(p)[:-4]: _tail(p, 10_000) for p in self._logs}

    # -- the cluster -------------------------------------------------------------
    def close(self, timeout: float = 30.0) -> None:
        """Stop the scheduler (which stops the workers) and remove the temporary files."""
        if self.status == "closed":
            return
        self.status = "closed"
        atexit.unregister(self.close)
        procs = list(self._procs)
        if procs and procs[0].poll() is None:
            with contextlib.suppress(OSError):
                procs[0].send_signal(signal.SIGTERM)  # mpiexec forwards it to the scheduler
        deadline = time.monotonic() + timeout
        for proc in procs:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(OSError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        if self._own_directory:
            shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> LocalCluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        link = self.dashboard_link if self.status == "running" else None
        return (f"LocalCluster(n_workers={self.n_workers}, threads_per_worker="
                f"{self.threads_per_worker}, memory_limit={self.memory_limit}, "
                f"status={self.status!r}" + (f", dashboard={link!r})" if link else ")"))
