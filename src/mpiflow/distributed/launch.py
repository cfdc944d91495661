"""``initialize()``: turn an ``mpiexec``-launched script into a cluster.

The same script runs on every rank (SPMD). :func:`initialize` decides each
rank's role (:func:`~mpiflow.distributed.roles.role_of`): rank 0 serves as
the scheduler and rank 2 onwards as workers, and neither ever returns from
``initialize()``; rank 1 gets a :class:`~mpiflow.distributed.client.Client`
and runs the rest of the script.

How the job ends:

- the script on rank 1 returns (or calls ``client.shutdown()``): the scheduler
  and workers stop and every rank exits 0;
- it raises: the error is printed once, on rank 1, the cluster gets a few
  seconds to stop cleanly, and the job exits non-zero (``MPI_Abort`` is the
  last resort, so nothing waits for the walltime);
- the scheduler or a worker fails: it prints its error and aborts the job.
"""

from __future__ import annotations

import atexit
import os
import signal
import sys
import tempfile
import threading
import traceback
from typing import Any

import psutil

from mpiflow.config import parse_bytes
from mpiflow.distributed.client import Client
from mpiflow.distributed.comm.endpoint import get_endpoint
from mpiflow.distributed.comm.mpi import import_mpi
from mpiflow.distributed.dashboard.address import resolve_dashboard_address
from mpiflow.distributed.roles import role_of
from mpiflow.distributed.scheduler.server import SchedulerServer
from mpiflow.distributed.transport import Transport
from mpiflow.distributed.worker import Worker

__all__ = ["initialize", "parse_bytes"]

def ignore_failure_notices() -> None:
    """Survive hydra's SIGUSR1, which it sends every rank when one of them dies.

    Python's default action for SIGUSR1 ends the process, which would turn
    the loss of one worker into the loss of the job.
    """
    if hasattr(signal, "SIGUSR1") and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGUSR1, lambda *_: None)


def _local_share(comm: Any, role: str, MPI: Any) -> tuple[int, int]:
    """Cores and bytes of memory each worker on this node gets by default."""
    node = comm.Split_type(MPI.COMM_TYPE_SHARED)
    workers_here = max(1, sum(node.allgather(role == "worker")))
    node.Free()
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    return max(1, cores // workers_here), psutil.virtual_memory().total // workers_here


def _abort_on_failure(role: str, rank: int, MPI: Any, run: Any) -> None:
    try:
        run()
    except BaseException:
        sys.stderr.write(f"mpiflow {role} (rank {rank}) failed; aborting the MPI job:\n")
        traceback.print_exc()
        sys.stderr.flush()
        MPI.COMM_WORLD.Abort(1)


def _serve(role: str, transport: Transport, nthreads: int, memory_limit: int,
           local_directory: str, MPI: Any, dashboard: tuple[str, int] | None = None) -> None:
    rank = transport.rank
    if role == "scheduler":
        server = SchedulerServer(transport, dashboard_address=dashboard)
        _abort_on_failure(role, rank, MPI, server.run)
    else:
        worker = Worker(transport, nthreads, memory_limit, local_directory)
        _abort_on_failure(role, rank, MPI, worker.run)
    transport.endpoint.close()
    exit_now_if_a_peer_died(transport, 0)
    sys.exit(0)


def exit_now_if_a_peer_died(transport: Transport, code: int) -> None:
    """End the process without ``MPI_Finalize`` when a rank of the launch died.

    ``MPI_Finalize`` is collective: with a dead rank it never returns (seen
    under ``srun --kill-on-bad-exit=0``, where the other ranks outlive a
    SIGKILLed worker), so the survivors would finish their work and then hang.
    """
    if transport.endpoint.lost_any:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _install_exit_handlers(client: Client, MPI: Any) -> None:
    previous_hook = sys.excepthook
    failed = []

    def on_uncaught(kind: type, value: BaseException, tb: Any) -> None:
        previous_hook(kind, value, tb)  # printed once, here on the client rank
        failed.append(kind)
        try:
            client.shutdown(timeout=5)
            client.transport.endpoint.close(timeout=5)
        except BaseException:
            sys.stderr.write("mpiflow: the cluster did not stop in time; aborting the job\n")
            sys.stderr.flush()
            MPI.COMM_WORLD.Abort(1)

    def at_exit() -> None:
        if client.status == "running":
            try:
                client.shutdown(timeout=30)
                client.transport.endpoint.close(timeout=10)
            except BaseException:
                traceback.print_exc()
                MPI.COMM_WORLD.Abort(1)
        exit_now_if_a_peer_died(client.transport, 1 if failed else 0)

    sys.excepthook = on_uncaught
    atexit.register(at_exit)


def initialize(
    nthreads: int | None = None,
    memory_limit: str | int | None = None,
    local_directory: str | None = None,
    dashboard_address: str | None = ":8787",
) -> Client:
    """Start the cluster of this MPI launch; return the client on rank 1.

    Call it near the top of a script launched with ``mpiexec -n N python
    script.py`` (``N >= 3``) or ``srun``. Only rank 1 returns.

    Parameters
    ----------
    nthreads : int, optional
        Threads per worker; default the node's cores divided by the workers on it.
    memory_limit : str or int, optional
        Memory per worker (``'4GB'``); default the node's memory divided likewise.
    local_directory : str, optional
        Scratch directory for workers; default the system temporary directory.
    dashboard_address : str, optional
        Where rank 0 serves the dashboard: ``'host:port'``, ``':port'``
        (127.0.0.1) or None (off). Default ``':8787'``, or the next free
        port; ``MPIFLOW_DISTRIBUTED_DASHBOARD_ADDRESS`` replaces the default.
        The link is in ``client.dashboard_link``.

    Returns
    -------
    Client
        On rank 1; the other ranks never return.

    Examples
    --------
    >>> from mpiflow.distributed import initialize  # doctest: +SKIP
    >>> client = initialize()                       # doctest: +SKIP
    >>> client.submit(sum, [1, 2]).result()         # doctest: +SKIP
    3
    """
    ignore_failure_notices()
    dashboard = resolve_dashboard_address(dashboard_address)  # a bad one fails on every rank
    MPI = import_mpi()
    world = MPI.COMM_WORLD
    rank, size = world.Get_rank(), world.Get_size()
    try:
        role = role_of(rank, size)
    except RuntimeError as err:
        if rank == 0:
            raise
        raise SystemExit(1) from err  # rank 0 prints the explanation once
    cores, memory = _local_share(world, role, MPI)
    threads = int(nthreads) if nthreads else cores
    if threads < 1:
        raise ValueError(f"nthreads must be at least 1, got {nthreads!r}")
    limit = parse_bytes(memory_limit) if memory_limit is not None else memory
    directory = local_directory or tempfile.gettempdir()
    transport = Transport(get_endpoint())
    if role != "client":
        _serve(role, transport, threads, limit, directory, MPI, dashboard)
    client = Client(_transport=transport)
    _install_exit_handlers(client, MPI)
    client.wait_for_workers(size - 2)
    return client
