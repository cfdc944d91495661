"""Messages between the ranks of a cluster, on top of the MPI endpoint.

Every rank listens on one well-known control stream, :data:`CONTROL`; a
control message is a dict with an ``"op"`` and the sender's rank in
``"from"``. Bulk data (task results, scattered data) never rides the control
stream: the rank that wants data opens a fresh one-shot stream, names it in
its request, and the holder sends the data there as zero-copy frames.

Examples
--------
>>> CONTROL
(-1, 0)
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from mpiflow.distributed.comm.core import CommClosedError, CommTimeoutError
from mpiflow.distributed.protocol import dumps, loads

__all__ = ["CONTROL", "Transport", "MissingData"]


class MissingData(KeyError):
    """The rank asked for a key no longer holds it (freed, or a stale location)."""

    def __init__(self, key: Any, rank: int) -> None:
        super().__init__(key)
        self.key = key
        self.rank = rank

    def __str__(self) -> str:
        return f"rank {self.rank} does not hold {self.key!r} any more (freed, or the rank is gone)"

#: Stream key of the control stream every rank receives on.
CONTROL = (-1, 0)


class Transport:
    """Send control messages and fetch data for one rank.

    Parameters
    ----------
    endpoint : MPIEndpoint
        This process's MPI endpoint (its progress thread does all MPI calls).
    """

    def __init__(self, endpoint: Any) -> None:
        self.endpoint = endpoint
        self.rank = endpoint.rank
        self.size = endpoint.size
        endpoint.open_inbox(CONTROL)
        self._rids = itertools.count()
        self._pending: dict[int, Future] = {}
        self._lock = threading.Lock()
        #: When set, :meth:`fetch` appends ``(rank, nbytes, start, stop, nkeys)`` per fetch
        #: (wall-clock seconds; bytes as received): the transfers a performance report shows.
        self.fetch_log: deque | None = None

    def send(self, rank: int, msg: dict) -> Future:
        """Queue control message ``msg`` for ``rank``; returns when it is queued."""
        msg["from"] = self.rank
        return self.endpoint.send_async(rank, CONTROL, dumps(msg))

    def recv(self, timeout: float) -> dict:
        """The next control message for this rank (any sender)."""
        return loads(self.endpoint.recv(-1, CONTROL, timeout=timeout))

    def listen(self, handler: Callable[[dict], None],
               on_failure: Callable[[BaseException], None]) -> None:
        """Hand every control message to ``handler`` on the MPI progress thread.

        Batches are unpacked (each part keeps the sender's ``"from"``). The
        handler must be quick and must not wait for another message; an
        exception it raises fails the endpoint. ``on_failure(exc)`` is called
        once if the endpoint fails. :meth:`recv` gets nothing afterwards.
        """
        failed = []

        def on_frames(frames: Any) -> None:
            if frames is None:
                if not failed:
                    failed.append(True)
                    on_failure(CommClosedError(
                        f"the MPI endpoint of rank {self.rank} stopped; no more messages"))
                return
            msg = loads(frames)
            if msg["op"] == "batch":
                for sub in msg["messages"]:
                    sub["from"] = msg["from"]
                    handler(sub)
            else:
                handler(msg)

        self.endpoint.set_handler(CONTROL, on_frames)

    # -- request / reply over the control stream ------------------------------
    def request(self, rank: int, msg: dict) -> Future:
        """Send ``msg`` with a request id; the future gets the matching reply."""
        fut: Future = Future()
        with self._lock:
            rid = next(self._rids)
            self._pending[rid] = fut
        msg["rid"] = rid
        self.send(rank, msg)
        return fut

    def reply(self, msg: dict, result: Any = None, error: Any = None) -> None:
        """Answer request ``msg`` (``error`` is a packed exception or None)."""
        self.send(msg["from"], {"op": "reply", "rid": msg["rid"], "result": result,
                                "error": error})

    def on_reply(self, msg: dict) -> None:
        """Route a ``reply`` message to the future of its request."""
        with self._lock:
            fut = self._pending.pop(msg["rid"], None)
        if fut is not None and not fut.done():
            if msg.get("error") is not None:
                fut.set_exception(_unpack(msg["error"]))
            else:
                fut.set_result(msg.get("result"))

    def fail_pending(self, exc: BaseException) -> None:
        """Fail every request still waiting for a reply (the cluster went away)."""
        with self._lock:
            pending, self._pending = self._pending, {}
        for fut in pending.values():
            if not fut.done():
                fut.set_exception(exc)

    # -- bulk data -------------------------------------------------------------
    def fetch(self, rank: int, keys: list, timeout: float, what: str = "data") -> dict:
        """Fetch ``{key: value}`` for ``keys`` from the rank that holds them.

        Raises :class:`MissingData` when ``rank`` no longer holds them or is gone.
        """
        if self.endpoint.is_lost(rank):
            raise MissingData(keys[0], rank)
        stream = self.endpoint.new_stream()
        started = time.time()
        deadline = time.monotonic() + timeout
        try:
            self.send(rank, {"op": "get-data", "keys": list(keys), "stream": stream})
            while True:  # wake up now and then: the holder may be declared lost meanwhile
                try:
                    frames = self.endpoint.recv(
                        rank, stream, timeout=max(0.0, min(1.0, deadline - time.monotonic())))
                    break
                except CommTimeoutError as err:
                    if self.endpoint.is_lost(rank):
                        raise MissingData(keys[0], rank) from None
                    if time.monotonic() >= deadline:
                        raise CommTimeoutError(
                            f"rank {self.rank} waited {timeout:g} s for {what} {keys[:3]!r} "
                            f"from rank {rank}; it did not answer"
                        ) from err
        except CommClosedError:
            if self.endpoint.is_lost(rank):
                raise MissingData(keys[0], rank) from None
            raise
        finally:
            self.endpoint.discard_stream(stream)
        log = self.fetch_log
        if log is not None:
            log.append((rank, sum(memoryview(f).nbytes for f in frames), started, time.time(),
                        len(keys)))
        result = loads(frames)
        if isinstance(result, dict) and "__missing__" in result:
            raise MissingData(result["__missing__"], rank)
        if isinstance(result, dict) and "__error__" in result:
            raise _unpack(result["__error__"])
        return result

    def serve(self, msg: dict, store: dict) -> None:
        """Answer a ``get-data`` request from ``store`` (zero-copy frames)."""
        keys = msg["keys"]
        try:
            data = {k: store[k] for k in keys}
        except KeyError as err:
            data = {"__missing__": err.args[0]}
        try:
            frames = dumps(data, context=keys[0] if len(keys) == 1 else keys)
        except Exception as err:  # noqa: BLE001 - the requester gets the explanation
            from mpiflow.distributed.protocol import pack_exception

            note = (f"rank {self.rank} could not serialize the value(s) of {keys!r} to send "
                    "them; a task result must be picklable to leave its worker")
            frames = dumps({"__error__": pack_exception(_with_note(err, note))})
        self.endpoint.send_async(msg["from"], tuple(msg["stream"]), frames)


def _with_note(exc: BaseException, note: str) -> BaseException:
    exc.add_note(note) if hasattr(exc, "add_note") else None
    return exc


def _unpack(payload: Any) -> BaseException:
    from mpiflow.distributed.protocol import unpack_exception

    if isinstance(payload, BaseException):
        return payload
    return unpack_exception(payload)
