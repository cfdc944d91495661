"""Comms: message pipes chosen by address scheme (``inproc://``, ``mpi://``).

Importing this package does not initialise MPI; the first ``mpi://`` comm
(or :func:`~mpiflow.distributed.comm.endpoint.get_endpoint`) does.

Examples
--------
>>> from mpiflow.distributed.comm import connect, listen
>>> listener = listen('inproc://pkg-doc')
>>> comm = connect('inproc://pkg-doc')
>>> comm.send_msg({'op': 'hello'})
>>> listener.accept(timeout=1).recv_msg(timeout=1)
{'op': 'hello'}
"""

from .core import Comm, CommClosedError, CommTimeoutError, Listener
from .inproc import InprocBackend
from .mpi_comm import MPIBackend
from .registry import connect, get_backend, listen, parse_address, register_backend

register_backend("inproc", InprocBackend())
register_backend("mpi", MPIBackend())

__all__ = [
    "Comm",
    "Listener",
    "CommClosedError",
    "CommTimeoutError",
    "connect",
    "listen",
    "get_backend",
    "parse_address",
    "register_backend",
]
