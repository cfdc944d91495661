"""What the MPI progress thread keeps about each message in flight, and small helpers.

The endpoint (:mod:`.endpoint`) owns the loop; these are its records: an
:class:`Outgoing` send with its MPI requests and the future its sender waits
on, an :class:`Incoming` message whose frames may still be landing, the
:class:`Closed` sentinel a stream's readers get, and a :class:`CommRoute` per
communicator.

Examples
--------
>>> import numpy as np
>>> as_bytes_view(np.arange(3, dtype=np.int32)).nbytes
12
>>> Closed("rank 3 is gone").reason
'rank 3 is gone'
"""

from __future__ import annotations

import ctypes
import sys
from concurrent.futures import Future
from typing import Any

__all__ = ["StreamKey", "Closed", "SENT", "Outgoing", "Incoming", "CommRoute", "as_bytes_view",
           "split_completed", "cancel_requests", "reduce_timer_slack"]

StreamKey = tuple[int, int]  # (rank that opened the stream, its counter)


class Closed:
    """Queue sentinel: the stream or the endpoint is gone."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


#: What :meth:`MPIEndpoint.send_async` returns for a send that needs no waiting.
SENT: Future = Future()
SENT.set_result(None)


class Outgoing:
    """A send to ``dest`` on stream ``key`` (``None``: a close notice) and its MPI requests."""

    __slots__ = ("dest", "key", "frames", "future", "requests", "nbytes")

    def __init__(self, dest: int, key: StreamKey | None, frames: list[Any],
                 future: Future | None):
        # future: None while nobody waits for it (a small send started at once)
        self.dest, self.key, self.frames, self.future = dest, key, frames, future
        self.requests: list[Any] = []
        self.nbytes = 0

    def settle(self, error: BaseException | None = None) -> None:
        """Complete the future, if there is one still open (buffers free, or ``error``)."""
        fut = self.future
        if fut is not None and not fut.done():
            if error is None:
                fut.set_result(None)
            else:
                fut.set_exception(error)

    def waitable(self) -> Future:
        """The future a sender waits on (created now if it had none)."""
        if self.future is None:
            self.future = Future()
        return self.future


class Incoming:
    """A message from ``source`` on stream ``key``; ``done`` once every frame has landed."""

    __slots__ = ("source", "key", "frames", "requests", "done")

    def __init__(self, source: int, key: Any, frames: list[Any], requests: list[Any]):
        self.source, self.key, self.frames, self.requests = source, key, frames, requests
        self.done = not requests


class CommRoute:
    """One communicator this process talks on, with the process id of each of its ranks."""

    __slots__ = ("comm", "ids")

    def __init__(self, comm: Any, ids: list[int]) -> None:
        self.comm, self.ids = comm, ids


def as_bytes_view(frame: Any) -> memoryview:
    """A flat byte view of ``frame`` (copied only when it is not contiguous)."""
    view = memoryview(frame)
    if view.format != "B" or view.ndim != 1:
        view = view.cast("B") if view.c_contiguous else memoryview(view.tobytes())
    return view


def reduce_timer_slack() -> None:
    """Make this thread's short sleeps precise (Linux; a no-op elsewhere).

    Linux lets a sleeping thread oversleep by its "timer slack", 50 µs by
    default, which turns a 20 µs back-off step into 75 µs. The progress thread
    sets its own slack to 1 µs (``prctl(PR_SET_TIMERSLACK)``), halving round
    trips; long idle sleeps are unaffected.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL(None, use_errno=True).prctl(29, 1000, 0, 0, 0)  # PR_SET_TIMERSLACK, ns
    except (OSError, AttributeError):
        pass


def split_completed(records: list, testall: Any) -> tuple[list, list]:
    """``(done, pending)``: the records (with ``.requests``) whose MPI requests all completed.

    Examples
    --------
    >>> from types import SimpleNamespace as R
    >>> done, pending = split_completed([R(requests=[1]), R(requests=[])], lambda r: not r)
    >>> len(done), len(pending)
    (1, 1)
    """
    done, pending = [], []
    for record in records:
        (done if testall(record.requests) else pending).append(record)
    return done, pending


def cancel_requests(requests: list) -> None:
    """Cancel and free MPI requests whose peer is gone (MPI would wait for it forever)."""
    for req in requests:
        try:
            req.Cancel()
            req.Free()
        except Exception:  # noqa: BLE001 - already complete or already gone
            pass
