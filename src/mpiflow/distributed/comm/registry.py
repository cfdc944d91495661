"""Choose a transport by the scheme of an address.

``inproc://name`` joins threads of one process; ``mpi://rank`` joins MPI
ranks. New transports register a :class:`Backend` under their scheme.

Examples
--------
>>> parse_address('mpi://3')
('mpi', '3')
>>> sorted(backends)
['inproc', 'mpi']
"""

from __future__ import annotations

import abc

from .core import Comm, Listener

__all__ = ["Backend", "backends", "register_backend", "get_backend", "parse_address",
           "connect", "listen"]


class Backend(abc.ABC):
    """Creates comms and listeners for one address scheme."""

    @abc.abstractmethod
    def connect(self, location: str, timeout: float | None = None) -> Comm:
        """Open a comm to ``location`` (the address without ``scheme://``)."""

    @abc.abstractmethod
    def listen(self, location: str) -> Listener:
        """Start accepting comms at ``location``."""


backends: dict[str, Backend] = {}


def register_backend(scheme: str, backend: Backend) -> None:
    """Make ``backend`` handle addresses ``scheme://...``.

    Examples
    --------
    >>> from mpiflow.distributed.comm.inproc import InprocBackend
    >>> register_backend('inproc', InprocBackend())
    """
    backends[scheme] = backend


def parse_address(address: str) -> tuple[str, str]:
    """Split ``'scheme://location'`` into its two parts.

    Examples
    --------
    >>> parse_address('inproc://scheduler')
    ('inproc', 'scheduler')
    >>> parse_address('scheduler')
    Traceback (most recent call last):
    ...
    ValueError: Address 'scheduler' has no scheme; write e.g. 'mpi://0' or 'inproc://name'.
    """
    scheme, sep, location = address.partition("://")
    if not sep:
        raise ValueError(
            f"Address {address!r} has no scheme; write e.g. 'mpi://0' or 'inproc://name'."
        )
    return scheme, location


def get_backend(scheme: str) -> Backend:
    """Return the backend registered for ``scheme``.

    Examples
    --------
    >>> type(get_backend('inproc')).__name__
    'InprocBackend'
    """
    try:
        return backends[scheme]
    except KeyError:
        raise ValueError(
            f"No comm backend for scheme {scheme!r}; known schemes: {sorted(backends)}."
        ) from None


def connect(address: str, timeout: float | None = None) -> Comm:
    """Open a comm to ``address``.

    Examples
    --------
    >>> with listen('inproc://reg-doc') as listener:
    ...     with connect('inproc://reg-doc') as comm:
    ...         comm.peer_address
    'inproc://reg-doc'
    """
    scheme, location = parse_address(address)
    return get_backend(scheme).connect(location, timeout=timeout)


def listen(address: str) -> Listener:
    """Start accepting comms at ``address``.

    Examples
    --------
    >>> listener = listen('inproc://reg-doc-2')
    >>> listener.address
    'inproc://reg-doc-2'
    >>> listener.close()
    """
    scheme, location = parse_address(address)
    return get_backend(scheme).listen(location)
