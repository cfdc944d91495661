"""The receiving half of the MPI endpoint: headers in, frames landed, messages delivered.

:class:`ReceiveSide` is a mixin of :class:`~mpiflow.distributed.comm.endpoint.MPIEndpoint`
(it uses the endpoint's queues, locks and MPI handle): the progress thread
probes for headers, receives small messages from inside them, posts receives
for large frames into pooled buffers, and hands each stream's messages, in
the order they were sent, to its handler or its inbox.

Examples
--------
>>> issubclass(__import__("mpiflow.distributed.comm.endpoint", fromlist=["x"]).MPIEndpoint,
...            ReceiveSide)
True
"""

from __future__ import annotations

import collections
import queue
from typing import Any

from .transfers import Closed, Incoming, split_completed

__all__ = ["ReceiveSide", "HEADER_TAG", "MAX_BATCH"]

#: Tag of every header message (the frames of large messages get their own tags).
HEADER_TAG = 1
#: Most headers received (and sends started) in one turn of the progress loop.
MAX_BATCH = 64


class ReceiveSide:
    """Probe, receive and deliver: the endpoint's progress thread calls these."""

    _MPI: Any
    _lock: Any
    _inboxes: dict
    _handlers: dict
    _calls: list
    _order: dict
    _accept: Any
    _receiving: list
    _buffers: Any
    _comms: list
    rank: int
    stats: dict

    def _inbox(self, key: Any) -> queue.Queue:
        with self._lock:
            box = self._inboxes.get(key)
            if box is None:
                box = self._inboxes[key] = queue.Queue()
            return box

    def _probe_headers(self) -> int:
        """Receive up to ``MAX_BATCH`` headers; returns how many."""
        MPI = self._MPI
        status = MPI.Status()
        found = 0
        for c in self._comms:
            comm = c.comm
            retried = False
            while found < MAX_BATCH:
                message = comm.improbe(MPI.ANY_SOURCE, HEADER_TAG, status)
                if message is None:
                    if retried:
                        break
                    # MPICH's improbe looks at what has arrived, *then* makes
                    # progress: a message the sender finished (and rang for)
                    # becomes visible only to the next call. Asking again now
                    # saves a whole turn of the loop per message.
                    retried = True
                    continue
                found += 1
                key, tag, lengths, inline = message.recv()
                source = status.Get_source()
                self._on_header(c.ids[source], key, tag, lengths, inline, comm, source)
        return found

    def _on_header(self, source: int, key: Any, tag: int, lengths: list[int] | None,
                   inline: list[bytes] | None, comm: Any = None, source_rank: int = 0) -> None:
        if lengths is None:  # the peer closed stream ``key``
            closed = Closed(f"Rank {source} closed stream {key} to rank {self.rank}.")
            self._enqueue(Incoming(source, key, [closed], []), announce=False)
            return
        if inline is not None:
            self._enqueue(Incoming(source, key, inline, []))
            return
        frames: list[Any] = []
        requests = []
        byte = self._MPI.BYTE
        for n in lengths:
            buf = self._buffers.take(n)
            frames.append(buf)
            if n:
                requests.append(comm.Irecv([buf, byte], source_rank, tag))
        incoming = Incoming(source, key, frames, requests)
        self._enqueue(incoming)
        if requests:
            self._receiving.append(incoming)

    def _enqueue(self, incoming: Incoming, announce: bool = True) -> None:
        key = incoming.key
        with self._lock:
            if announce and key not in self._inboxes and key[0] != self.rank:
                self._inboxes[key] = queue.Queue()
                self._accept.put((incoming.source, key))
            order = self._order.setdefault(key, collections.deque())
        order.append(incoming)
        if incoming.done:
            self._deliver(key)

    def _deliver(self, key: Any) -> None:
        order = self._order.get(key)
        while order and order[0].done:
            incoming = order.popleft()
            frames = incoming.frames
            if len(frames) == 1 and isinstance(frames[0], Closed):
                self._inbox(key).put(frames[0])
                continue
            self.stats["received"] += 1
            self.stats["bytes_received"] += sum(memoryview(f).nbytes for f in frames)
            handler = self._handlers.get(key)
            if handler is not None:
                self._calls.append((handler, frames))
            else:
                self._inbox(key).put(frames)

    def _test_receives(self) -> bool:
        """Deliver the large messages whose frames have all landed; whether any had."""
        if not self._receiving:
            return False
        done, self._receiving = split_completed(self._receiving, self._MPI.Request.Testall)
        for incoming in done:
            incoming.done = True
            self._deliver(incoming.key)
        return bool(done)
