"""The sending half of the MPI endpoint: sends started, watched and completed.

:class:`SendSide` is a mixin of :class:`~mpiflow.distributed.comm.endpoint.MPIEndpoint`
(it uses the endpoint's queues, routes, doorbell and MPI handle). A message
of at most ``inline_bytes`` travels inside its header and is usually done as
soon as it is started; a larger one sends a header with the frame sizes and a
tag, then each frame as its own message on that tag, straight from the
sender's memory, and stays watched until MPI is done with every frame.

Examples
--------
>>> issubclass(__import__("mpiflow.distributed.comm.endpoint", fromlist=["x"]).MPIEndpoint,
...            SendSide)
True
>>> FIRST_DATA_TAG > __import__("mpiflow.distributed.comm.receiving",
...                             fromlist=["x"]).HEADER_TAG
True
"""

from __future__ import annotations

from typing import Any

from .receiving import HEADER_TAG, MAX_BATCH
from .transfers import Outgoing, as_bytes_view, split_completed

__all__ = ["SendSide", "FIRST_DATA_TAG"]

#: Tags of large messages' frames cycle from here (below: control tags).
FIRST_DATA_TAG = 16
_LAST_DATA_TAG = 1 << 20


class SendSide:
    """Start and watch sends: the progress thread (or an idle sender) calls these."""

    _MPI: Any
    _outbox: Any
    _routes: dict
    _bell: Any
    _sending: list
    _tags: dict
    inline_bytes: int
    stats: dict

    def _sending_bulk(self) -> bool:
        return any(out.nbytes > self.inline_bytes for out in self._sending)

    def _next_tag(self, dest: int) -> int:
        tag = self._tags.get(dest, FIRST_DATA_TAG)
        self._tags[dest] = tag + 1 if tag + 1 < _LAST_DATA_TAG else FIRST_DATA_TAG
        return tag

    def _start_sends(self) -> int:
        """Start up to ``MAX_BATCH`` queued sends; returns how many."""
        started = 0
        while started < MAX_BATCH and not self._outbox.empty():
            out = self._outbox.get()
            started += 1
            try:
                self._start_one(out)
            except Exception as exc:
                out.settle(exc)
        return started

    def _start_one(self, out: Outgoing) -> bool:
        """Start sending ``out``; returns whether it is left for the progress loop to finish."""
        comm, dest = self._routes[out.dest]
        if out.key is None:  # close notice: frames[0] is the closed stream's key
            out.waitable()
            out.requests = [comm.isend((out.frames[0], 0, None, None), dest, HEADER_TAG)]
            self._sending.append(out)
            self._bell.ring(out.dest)
            return True
        views = [as_bytes_view(f) for f in out.frames]
        lengths = [v.nbytes for v in views]
        out.nbytes = total = sum(lengths)
        if total <= self.inline_bytes:
            inline = [f if type(f) is bytes else v.tobytes()  # bytes: already a copy
                      for f, v in zip(out.frames, views, strict=True)]
            request = comm.isend((out.key, 0, lengths, inline), dest, HEADER_TAG)
            out.settle()  # the frames were copied: the caller may reuse them
            self._bell.ring(out.dest)
            if request.Test():  # usual for a small message: nothing left to watch
                self.stats["sent"] += 1
                self.stats["bytes_sent"] += total
                return False
            out.requests = [request]
            self._sending.append(out)
            return True
        out.waitable()  # the sender may reuse the frames only once MPI is done with them
        tag = self._next_tag(out.dest)
        out.requests = [comm.isend((out.key, tag, lengths, None), dest, HEADER_TAG)]
        byte = self._MPI.BYTE
        out.requests += [comm.Isend([v, byte], dest, tag) for v in views if v.nbytes]
        self._sending.append(out)
        self._bell.ring(out.dest)
        return True

    def _test_sends(self) -> bool:
        """Complete the watched sends MPI is done with; whether any was."""
        if not self._sending:
            return False
        done, self._sending = split_completed(self._sending, self._MPI.Request.Testall)
        for out in done:
            self.stats["sent"] += 1
            self.stats["bytes_sent"] += out.nbytes
            out.frames = []
            if out.nbytes <= self.inline_bytes:
                # A small message that had to wait (the peer's queue was
                # full) is only now visible there; the ring at its start
                # has been answered already.
                self._bell.ring(out.dest)
            out.settle()
        return bool(done)
