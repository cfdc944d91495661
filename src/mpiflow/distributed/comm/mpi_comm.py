"""``mpi://`` comms on top of the process's :class:`MPIEndpoint`.

``connect('mpi://2')`` opens a new stream to rank 2; rank 2 sees it through
``listen('mpi://').accept()`` once the first message arrives (the side that
connects speaks first). Any number of streams may join the same pair of ranks;
each has its own key and its own in-order queue.

Examples
--------
>>> parse_rank('3')
3
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .core import Comm, CommClosedError, Listener
from .endpoint import MPIEndpoint, StreamKey, get_endpoint
from .registry import Backend

__all__ = ["MPIComm", "MPIListener", "MPIBackend", "parse_rank"]


def parse_rank(location: str) -> int:
    """Return the rank named by the location part of an ``mpi://`` address.

    Examples
    --------
    >>> parse_rank('12')
    12
    >>> parse_rank('host:1')
    Traceback (most recent call last):
    ...
    ValueError: 'mpi://host:1' does not name a rank; write e.g. 'mpi://2'.
    """
    try:
        rank = int(location)
    except ValueError:
        rank = -1
    if rank < 0:
        raise ValueError(f"'mpi://{location}' does not name a rank; write e.g. 'mpi://2'.")
    return rank


class MPIComm(Comm):
    """One stream between this rank and ``peer``."""

    def __init__(self, endpoint: MPIEndpoint, peer: int, key: StreamKey) -> None:
        self.endpoint, self.peer, self.key = endpoint, peer, key
        self._closed = False

    def send(self, frames: Sequence[Any], timeout: float | None = None) -> None:
        if self._closed:
            raise CommClosedError(f"Cannot send on {self!r}: it is closed.")
        self.endpoint.send(self.peer, self.key, frames, timeout=timeout)

    def send_async(self, frames: Sequence[Any]) -> Any:
        """Queue ``frames``; return a future that resolves once they were sent."""
        if self._closed:
            raise CommClosedError(f"Cannot send on {self!r}: it is closed.")
        return self.endpoint.send_async(self.peer, self.key, frames)

    def recv(self, timeout: float | None = None) -> list[Any]:
        if self._closed:
            raise CommClosedError(f"Cannot receive on {self!r}: it is closed.")
        try:
            return self.endpoint.recv(self.peer, self.key, timeout=timeout)
        except CommClosedError:
            self._closed = True
            raise

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            if not self.endpoint.closed:
                self.endpoint.close_stream(self.peer, self.key)

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def local_address(self) -> str:
        return f"mpi://{self.endpoint.rank}"

    @property
    def peer_address(self) -> str:
        return f"mpi://{self.peer}"


class MPIListener(Listener):
    """Yields a comm for every stream another rank opens to this one."""

    def __init__(self, endpoint: MPIEndpoint) -> None:
        self.endpoint = endpoint

    @property
    def address(self) -> str:
        return f"mpi://{self.endpoint.rank}"

    def accept(self, timeout: float | None = None) -> Comm:
        source, key = self.endpoint.accept(timeout=timeout)
        return MPIComm(self.endpoint, source, key)

    def close(self) -> None:
        """Nothing to release: the endpoint outlives its listeners."""


class MPIBackend(Backend):
    """Backend for the ``mpi`` scheme (creates the endpoint on first use)."""

    def connect(self, location: str, timeout: float | None = None) -> Comm:
        peer = parse_rank(location)
        endpoint = get_endpoint()
        return MPIComm(endpoint, peer, endpoint.new_stream())

    def listen(self, location: str) -> Listener:
        endpoint = get_endpoint()
        if location and parse_rank(location) != endpoint.rank:
            raise ValueError(
                f"Rank {endpoint.rank} cannot listen at mpi://{location}; "
                f"listen at 'mpi://' or 'mpi://{endpoint.rank}'."
            )
        return MPIListener(endpoint)
