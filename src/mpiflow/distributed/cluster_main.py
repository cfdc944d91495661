"""``mpiflow cluster`` and ``mpiflow worker``: long-lived clusters that others join.

``mpiexec -n N mpiflow cluster --scheduler-file F`` makes rank 0 the
scheduler and every other rank a worker; there is no client in the launch.
Once every worker has registered, rank 0 writes ``F`` and admits clients and
worker jobs that join through it, until a client calls
``client.shutdown()`` or rank 0 gets SIGTERM/SIGINT.

``mpiexec -n K mpiflow worker --scheduler-file F`` (or ``srun``, or plain
``python -m mpiflow worker``) starts K more workers that join that cluster.
SIGTERM makes such a worker leave on purpose (the scheduler reschedules
its work); the workers of a ``mpiflow cluster`` launch ignore SIGTERM and
stop when the scheduler, which got the same signal, closes them.
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
import time
from typing import Any

from mpiflow.config import parse_bytes
from mpiflow.distributed.comm.endpoint import get_endpoint
from mpiflow.distributed.comm.mpi import import_mpi
from mpiflow.distributed.dashboard.address import DEFAULT_ADDRESS, resolve_dashboard_address
from mpiflow.distributed.launch import (
    _abort_on_failure,
    _local_share,
    exit_now_if_a_peer_died,
    ignore_failure_notices,
)
from mpiflow.distributed.scheduler.server import SchedulerServer
from mpiflow.distributed.transport import Transport
from mpiflow.distributed.worker import Worker

__all__ = ["run_cluster", "run_worker"]


def _worker_settings(world: Any, role: str, MPI: Any, nthreads: int | None,
                     memory_limit: str | int | None,
                     local_directory: str | None) -> tuple[int, int, str]:
    cores, memory = _local_share(world, role, MPI)
    threads = int(nthreads) if nthreads else cores
    if threads < 1:
        raise ValueError(f"nthreads must be at least 1, got {nthreads!r}")
    limit = parse_bytes(memory_limit) if memory_limit is not None else memory
    return threads, limit, local_directory or tempfile.gettempdir()


def run_cluster(scheduler_file: str, nthreads: int | None = None,
                memory_limit: str | int | None = None,
                local_directory: str | None = None,
                dashboard_address: str | int | None = DEFAULT_ADDRESS) -> int:
    """Serve a cluster from this MPI launch until it is shut down; returns the exit code.

    ``dashboard_address`` is where rank 0 serves the dashboard (``'host:port'``,
    ``':port'`` or None for none; see :func:`~mpiflow.distributed.initialize`).

    Examples
    --------
    >>> from mpiflow.distributed.cluster_main import run_cluster  # doctest: +SKIP
    >>> run_cluster('scheduler.json')  # under mpiexec -n 3 ...     # doctest: +SKIP
    0
    """
    ignore_failure_notices()
    dashboard = resolve_dashboard_address(dashboard_address)
    MPI = import_mpi()
    world = MPI.COMM_WORLD
    rank = world.Get_rank()
    role = "scheduler" if rank == 0 else "worker"
    threads, limit, directory = _worker_settings(world, role, MPI, nthreads, memory_limit,
                                                 local_directory)
    transport = Transport(get_endpoint())
    if rank == 0:
        server = SchedulerServer(transport, scheduler_file=scheduler_file,
                                 launch_workers=world.Get_size() - 1,
                                 dashboard_address=dashboard)
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: server.stop())
        _abort_on_failure("scheduler", rank, MPI, server.run)
    else:
        # mpiexec forwards a SIGTERM to every rank; the scheduler then closes the workers
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        worker = Worker(transport, threads, limit, directory)
        _abort_on_failure("worker", rank, MPI, worker.run)
    transport.endpoint.close()
    exit_now_if_a_peer_died(transport, 0)  # MPI_Finalize would wait for a dead rank
    return 0


def run_worker(scheduler_file: str, nthreads: int | None = None,
               memory_limit: str | int | None = None, local_directory: str | None = None,
               timeout: float = 60.0, wait_for_file: float = 0.0) -> int:
    """Join the cluster of ``scheduler_file`` with every rank of this launch as a worker.

    With ``wait_for_file`` > 0 a missing scheduler file is waited for up to
    that many seconds (the worker may start together with its scheduler);
    otherwise it is an error at once.

    Examples
    --------
    >>> from mpiflow.distributed.cluster_main import run_worker  # doctest: +SKIP
    >>> run_worker('scheduler.json')  # under mpiexec -n 2 ...    # doctest: +SKIP
    0
    """
    import mpi4py

    from mpiflow.distributed.attach import attach
    from mpiflow.distributed.comm.mpi import mpi_is_initialized
    from mpiflow.distributed.scheduler_file import read_scheduler_file

    ignore_failure_notices()
    deadline = time.monotonic() + wait_for_file
    while not os.path.exists(scheduler_file) and time.monotonic() < deadline:
        time.sleep(0.02)  # the file appears atomically (written, then renamed)
    read_scheduler_file(scheduler_file)  # a missing or stale file fails before MPI starts
    if not mpi_is_initialized():
        mpi4py.rc.finalize = False  # as attach() does: a joined process skips MPI_Finalize
    os.environ.setdefault("UCX_LOG_LEVEL", "error")
    MPI = import_mpi()
    # This launch's own collective (cores and memory per worker) runs before joining: once
    # joined, the progress thread polls MPI concurrently, and MPICH was seen to hang the
    # collective then (about one join in three).
    threads, limit, directory = _worker_settings(MPI.COMM_WORLD, "worker", MPI, nthreads,
                                                 memory_limit, local_directory)
    transport = attach(scheduler_file, "worker", timeout=timeout)
    worker = Worker(transport, threads, limit, directory)
    signal.signal(signal.SIGTERM, lambda *_: worker.leave())
    try:
        worker.run()
    except BaseException:
        import traceback

        sys.stderr.write(f"mpiflow worker (id {transport.rank}) failed:\n")
        traceback.print_exc()
        return 1
    transport.endpoint.close()
    return 0
