"""Receive buffers for large frames, reused once the data received into them is dropped.

A large message is received into fresh memory, and the received array is
built on top of it (no copy). Fresh memory costs page faults while MPI
writes into it, and when the kernel cannot hand out huge pages at once (a
fragmented node) a 1 GB receive ran at a third of its speed. So a buffer of
at least :data:`MIN_POOLED_BYTES` is not freed when the last array that uses
it goes away: it waits in a pool, already mapped, and the next receive of the
same size takes it. The pool keeps at most ``comm.buffer-pool-bytes`` bytes
(environment ``MPIFLOW_COMM_BUFFER_POOL_BYTES``; default 1/16 of the
machine's memory, at most 2 GiB; 0 turns it off) and drops the longest-kept
buffers first.

Examples
--------
>>> pool = BufferPool(limit=2 * MIN_POOLED_BYTES)
>>> view = pool.take(MIN_POOLED_BYTES)
>>> view.nbytes == MIN_POOLED_BYTES, pool.pooled_bytes
(True, 0)
>>> del view                     # the data is dropped: its memory waits for reuse
>>> pool.pooled_bytes == MIN_POOLED_BYTES
True
>>> again = pool.take(MIN_POOLED_BYTES)
>>> pool.pooled_bytes, pool.reused
(0, 1)
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from typing import Any

import psutil

from mpiflow import config

__all__ = ["BufferPool", "MIN_POOLED_BYTES", "default_pool_limit"]

#: Smaller buffers are cheap to allocate and are never pooled.
MIN_POOLED_BYTES = 8 * 2**20


def default_pool_limit() -> int:
    """``comm.buffer-pool-bytes``, else 1/16 of this machine's memory, at most 2 GiB.

    Examples
    --------
    >>> 0 < default_pool_limit() <= 2**31
    True
    """
    value = config.get("comm.buffer-pool-bytes", None)
    if value is not None:
        return int(config.parse_bytes(value) if isinstance(value, str) else value)
    return int(min(2**31, psutil.virtual_memory().total // 16))


class BufferPool:
    """Hand out receive buffers; take large ones back when their data is dropped.

    Parameters
    ----------
    limit : int, optional
        Most bytes kept for reuse (default :func:`default_pool_limit`).
    """

    def __init__(self, limit: int | None = None) -> None:
        self.limit = default_pool_limit() if limit is None else int(limit)
        self._free: OrderedDict[int, list[Any]] = OrderedDict()  # size -> numpy arrays
        self._lock = threading.Lock()
        self.pooled_bytes = 0
        #: How many receives reused a pooled buffer.
        self.reused = 0

    def take(self, nbytes: int) -> memoryview:
        """A writable buffer of ``nbytes`` bytes (pooled memory when one of that size waits)."""
        # numpy is imported on the first large receive, not at start-up: a
        # scheduler never needs it, and it was a quarter of a rank's import time
        import numpy as np

        if nbytes < MIN_POOLED_BYTES or self.limit <= 0:
            return memoryview(np.empty(nbytes, dtype=np.uint8))
        with self._lock:
            spare = self._free.get(nbytes)
            memory = spare.pop() if spare else None
            if memory is not None:
                self.pooled_bytes -= nbytes
                self.reused += 1
                if not spare:
                    del self._free[nbytes]
        if memory is None:
            memory = np.empty(nbytes, dtype=np.uint8)
        lease = memory.view()  # what the data holds on to; when it dies, memory returns
        weakref.finalize(lease, self._give_back, memory)
        return memoryview(lease)

    def _give_back(self, memory: Any) -> None:
        nbytes = memory.nbytes
        if nbytes > self.limit:
            return
        with self._lock:
            self._free.setdefault(nbytes, []).append(memory)
            self._free.move_to_end(nbytes)
            self.pooled_bytes += nbytes
            while self.pooled_bytes > self.limit:  # drop the longest-kept sizes first
                size, spare = next(iter(self._free.items()))
                spare.pop(0)
                self.pooled_bytes -= size
                if not spare:
                    del self._free[size]

    def clear(self) -> None:
        """Free every pooled buffer."""
        with self._lock:
            self._free.clear()
            self.pooled_bytes = 0
