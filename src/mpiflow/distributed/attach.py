"""Attach this process to a running cluster through its scheduler file.

Used by ``Client(scheduler_file=...)`` (one process, ``COMM_SELF``) and by
``mpiflow worker --scheduler-file`` (every rank of a worker job, collective
over its ``COMM_WORLD``). See :mod:`mpiflow.distributed.join` for the
handshake.
"""

from __future__ import annotations

import atexit
import os

from mpiflow.distributed.scheduler_file import read_scheduler_file
from mpiflow.distributed.transport import Transport

__all__ = ["attach"]


def attach(scheduler_file: str, role: str, timeout: float = 60.0) -> Transport:
    """Join the cluster of ``scheduler_file`` as ``role`` (``'client'`` or ``'worker'``).

    Raises :class:`~mpiflow.distributed.scheduler_file.SchedulerFileError`
    for a missing, unreadable or stale file (before touching MPI: connecting
    to a dead port crashes MPICH), ``JoinRefused`` for a wrong token and
    ``TimeoutError`` when the cluster does not answer.

    Examples
    --------
    >>> attach('missing.json', 'client')  # doctest: +ELLIPSIS
    Traceback (most recent call last):
      ...
    mpiflow.distributed.scheduler_file.SchedulerFileError: no scheduler file at ...
    """
    from mpiflow.distributed.comm import endpoint as endpoint_module
    from mpiflow.distributed.comm.mpi import import_mpi, mpi_is_initialized
    from mpiflow.distributed.comm.pmi import borrow_identity, forget_borrowed_environment
    from mpiflow.distributed.join import connect_to_cluster

    info = read_scheduler_file(scheduler_file)
    if not mpi_is_initialized():
        import mpi4py

        # MPI_Finalize in a joined process waits on (or crashes against) the
        # cluster it is still connected to; the process ends without it
        mpi4py.rc.finalize = False
        if role == "client":
            borrow_identity()
    os.environ.setdefault("UCX_LOG_LEVEL", "error")
    MPI = import_mpi()
    forget_borrowed_environment()
    comm = MPI.COMM_SELF if role == "client" else MPI.COMM_WORLD
    merged, ids = connect_to_cluster(info, comm, role, timeout=timeout)
    ep = endpoint_module.MPIEndpoint(merged, ids=ids, dup=False, doorbell=False)
    with endpoint_module._endpoint_lock:
        endpoint_module._endpoint = ep
    return Transport(ep)


def _exit_cleanly() -> None:
    """Joined processes leave MPI without MPI_Finalize (it would wait for the cluster)."""
    from mpiflow.distributed.comm.pmi import release_identity

    release_identity()


atexit.register(_exit_cleanly)
