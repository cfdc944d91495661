"""The ``Comm`` interface: a bidirectional pipe of frame lists.

A :class:`Comm` joins two endpoints. ``send(frames)`` hands over one message
(a list of buffers, see :mod:`mpiflow.distributed.protocol`); ``recv()``
returns the next one. Every blocking call takes a ``timeout`` in seconds
(default: configuration ``comm.timeout``, 60 s) and raises
:class:`CommTimeoutError` saying what it waited for.

Examples
--------
>>> from mpiflow.distributed.comm import connect, listen
>>> listener = listen('inproc://core-doc')
>>> a = connect('inproc://core-doc')
>>> b = listener.accept(timeout=1)
>>> a.send_msg({'op': 'ping'})
>>> b.recv_msg(timeout=1)
{'op': 'ping'}
>>> a.close(); b.close(); listener.close()
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Any

from mpiflow import config

from ..protocol import dumps, loads

__all__ = [
    "Comm",
    "Listener",
    "CommClosedError",
    "CommTimeoutError",
    "resolve_timeout",
]


class CommClosedError(ConnectionError):
    """The comm (or the endpoint beneath it) is closed."""


class CommTimeoutError(TimeoutError):
    """A blocking comm call waited longer than its timeout."""


def resolve_timeout(timeout: float | None) -> float:
    """Return ``timeout``, or the configured default ``comm.timeout`` (60 s).

    Examples
    --------
    >>> resolve_timeout(2.5)
    2.5
    >>> resolve_timeout(None) > 0
    True
    """
    if timeout is None:
        timeout = float(config.get("comm.timeout", 60.0))
    if timeout < 0:
        raise ValueError(f"timeout must be >= 0 seconds, got {timeout!r}")
    return timeout


class Comm(abc.ABC):
    """One end of a message pipe between two peers.

    Subclasses implement :meth:`send`, :meth:`recv`, :meth:`close` and the
    address properties; :meth:`send_msg`/:meth:`recv_msg` serialize for you.
    """

    @abc.abstractmethod
    def send(self, frames: Sequence[Any], timeout: float | None = None) -> None:
        """Send one message; return once its buffers may be reused."""

    @abc.abstractmethod
    def recv(self, timeout: float | None = None) -> list[Any]:
        """Return the frames of the next message from the peer."""

    @abc.abstractmethod
    def close(self) -> None:
        """Close this end; later calls raise :class:`CommClosedError`."""

    @property
    @abc.abstractmethod
    def closed(self) -> bool:
        """Whether :meth:`close` was called (or the transport died)."""

    @property
    @abc.abstractmethod
    def local_address(self) -> str:
        """Address of this end, e.g. ``'mpi://1'``."""

    @property
    @abc.abstractmethod
    def peer_address(self) -> str:
        """Address of the other end, e.g. ``'mpi://2'``."""

    def send_msg(self, obj: Any, timeout: float | None = None, context: Any = None) -> None:
        """Serialize ``obj`` with :func:`~mpiflow.distributed.protocol.dumps` and send it."""
        self.send(dumps(obj, context=context), timeout=timeout)

    def recv_msg(self, timeout: float | None = None) -> Any:
        """Receive one message and deserialize it."""
        return loads(self.recv(timeout=timeout))

    def __enter__(self) -> Comm:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<{type(self).__name__} {self.local_address} -> {self.peer_address} ({state})>"


class Listener(abc.ABC):
    """Accepts comms that peers open with :func:`~mpiflow.distributed.comm.connect`."""

    @abc.abstractmethod
    def accept(self, timeout: float | None = None) -> Comm:
        """Return the next new incoming comm."""

    @abc.abstractmethod
    def close(self) -> None:
        """Stop accepting."""

    @property
    @abc.abstractmethod
    def address(self) -> str:
        """The address peers connect to."""

    def __enter__(self) -> Listener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
