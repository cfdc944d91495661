"""Import ``mpi4py.MPI`` with the thread level mpiflow needs, and nothing more.

Only the progress thread of :class:`~mpiflow.distributed.comm.endpoint.MPIEndpoint`
makes MPI calls once it runs, but it is not the thread that initialised MPI,
so mpiflow asks for ``MPI_THREAD_SERIALIZED`` (calls from several threads,
never at the same time) rather than ``MPI_THREAD_MULTIPLE``, which some HPC
MPI builds do not provide or provide slowly. The level is set through
``mpi4py.rc.thread_level`` before the first import of ``mpi4py.MPI``;
importing this module does not initialise MPI, :func:`import_mpi` does.

Examples
--------
>>> THREAD_LEVEL
'serialized'
"""

from __future__ import annotations

import sys
import warnings
from types import ModuleType

__all__ = ["THREAD_LEVEL", "import_mpi", "mpi_is_initialized"]

#: Thread level requested from MPI_Init_thread.
THREAD_LEVEL = "serialized"


def mpi_is_initialized() -> bool:
    """Whether ``mpi4py.MPI`` was imported (and so MPI initialised) already.

    Examples
    --------
    >>> isinstance(mpi_is_initialized(), bool)
    True
    """
    return "mpi4py.MPI" in sys.modules


def import_mpi() -> ModuleType:
    """Return ``mpi4py.MPI``, initialising MPI at the serialized thread level.

    If someone imported ``mpi4py.MPI`` earlier with a lower level than
    serialized, a ``RuntimeWarning`` says so (MPICH works regardless, other
    libraries may not).
    """
    import mpi4py

    if not mpi_is_initialized():
        mpi4py.rc.thread_level = THREAD_LEVEL
    from mpi4py import MPI

    if MPI.Is_initialized() and not MPI.Is_finalized():
        provided = MPI.Query_thread()
        if provided < MPI.THREAD_SERIALIZED:
            warnings.warn(
                f"MPI was initialised with thread level {provided} (< MPI_THREAD_SERIALIZED); "
                "mpiflow's progress thread may misbehave. Import mpiflow before mpi4py.MPI, "
                "or set mpi4py.rc.thread_level = 'serialized' first.",
                RuntimeWarning,
                stacklevel=2,
            )
    return MPI
