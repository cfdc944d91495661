"""``inproc://`` comms: queues between threads of one process, for fast tests.

Frames are handed over by reference (no copy, no serialization of the frame
list), so a sender must not modify buffers after sending them, exactly as with
the MPI transport.

Examples
--------
>>> from mpiflow.distributed.comm import connect, listen
>>> with listen('inproc://inproc-doc') as listener:
...     a = connect('inproc://inproc-doc')
...     b = listener.accept(timeout=1)
...     a.send([b'hello'])
...     b.recv(timeout=1)
[b'hello']
"""

from __future__ import annotations

import itertools
import queue
import threading
from collections.abc import Sequence
from typing import Any

from .core import Comm, CommClosedError, CommTimeoutError, Listener, resolve_timeout
from .registry import Backend

__all__ = ["InprocComm", "InprocListener", "InprocBackend"]

_CLOSED = object()
_listeners: dict[str, InprocListener] = {}
_lock = threading.Lock()
_counter = itertools.count()


class InprocComm(Comm):
    """One end of a pair of queues."""

    def __init__(self, local: str, peer: str, inbox: queue.Queue, outbox: queue.Queue) -> None:
        self._local, self._peer = local, peer
        self._inbox, self._outbox = inbox, outbox
        self._closed = False

    def send(self, frames: Sequence[Any], timeout: float | None = None) -> None:
        if self._closed:
            raise CommClosedError(f"Cannot send on {self!r}: it is closed.")
        self._outbox.put(list(frames))

    def recv(self, timeout: float | None = None) -> list[Any]:
        if self._closed:
            raise CommClosedError(f"Cannot receive on {self!r}: it is closed.")
        wait = resolve_timeout(timeout)
        try:
            item = self._inbox.get(timeout=wait)
        except queue.Empty:
            raise CommTimeoutError(
                f"Waited {wait:g} s for a message from {self._peer} on {self._local}; none came."
            ) from None
        if item is _CLOSED:
            self._closed = True
            raise CommClosedError(f"{self._peer} closed the comm to {self._local}.")
        return item

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._outbox.put(_CLOSED)

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def local_address(self) -> str:
        return self._local

    @property
    def peer_address(self) -> str:
        return self._peer


class InprocListener(Listener):
    """Hands out the server ends of comms that :func:`connect` opened."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._pending: queue.Queue = queue.Queue()
        self._closed = False

    @property
    def address(self) -> str:
        return f"inproc://{self._name}"

    def _offer(self, comm: InprocComm) -> None:
        self._pending.put(comm)

    def accept(self, timeout: float | None = None) -> Comm:
        wait = resolve_timeout(timeout)
        try:
            item = self._pending.get(timeout=wait)
        except queue.Empty:
            raise CommTimeoutError(
                f"Waited {wait:g} s for a connection to {self.address}; none came."
            ) from None
        if item is _CLOSED:
            raise CommClosedError(f"Listener {self.address} is closed.")
        return item

    def close(self) -> None:
        with _lock:
            if _listeners.get(self._name) is self:
                del _listeners[self._name]
        if not self._closed:
            self._closed = True
            self._pending.put(_CLOSED)


class InprocBackend(Backend):
    """Backend for the ``inproc`` scheme."""

    def connect(self, location: str, timeout: float | None = None) -> Comm:
        with _lock:
            listener = _listeners.get(location)
        if listener is None:
            raise CommClosedError(
                f"Nothing listens at inproc://{location}; call listen() on it first."
            )
        a_to_b: queue.Queue = queue.Queue()
        b_to_a: queue.Queue = queue.Queue()
        client_name = f"inproc://{location}/client-{next(_counter)}"
        server = f"inproc://{location}"
        listener._offer(InprocComm(server, client_name, a_to_b, b_to_a))
        return InprocComm(client_name, server, b_to_a, a_to_b)

    def listen(self, location: str) -> Listener:
        with _lock:
            if location in _listeners:
                raise ValueError(f"inproc://{location} already has a listener.")
            listener = _listeners[location] = InprocListener(location)
        return listener
