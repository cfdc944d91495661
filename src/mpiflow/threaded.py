"""The threaded scheduler: the local engine on a pool of threads.

The default for most work: NumPy and pandas release the GIL in their heavy
loops, and threads share memory, so no data is copied.
"""

from __future__ import annotations

import atexit
import queue
import threading
from collections.abc import Mapping
from typing import Any

from mpiflow.local.engine import get_async, resolve_num_workers
from mpiflow.local.execute import execute_batch

__all__ = ["get", "ThreadPool"]


class ThreadPool:
    """A fixed set of daemon threads running engine batches.

    Daemon threads never keep the interpreter alive: after Ctrl-C the caller
    exits even if a task is still running.

    Examples
    --------
    >>> pool = ThreadPool(2)
    >>> done = queue.SimpleQueue()
    >>> pool.submit([('x', (abs, -3))], {}, done.put, None)
    >>> done.get(timeout=5)[2]
    [('x', 3, None)]
    >>> pool.close()
    """

    def __init__(self, num_workers: int) -> None:
        self.num_workers = num_workers
        self._inbox: queue.SimpleQueue = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._work, args=(i,), name=f"mpiflow-thread-{i}", daemon=True)
            for i in range(num_workers)
        ]
        self.idents: set[int] = set()
        for t in self._threads:
            t.start()
            self.idents.add(t.ident)

    def _work(self, worker_id: int) -> None:
        inbox = self._inbox
        while True:
            job = inbox.get()
            if job is None:
                return
            items, data, on_done, stop = job
            results, seconds = execute_batch(items, data, stop)
            on_done((worker_id, seconds, results, None))

    def submit(self, items: list, data: Mapping, on_done: Any, stop: Any) -> None:
        """Queue one batch; ``on_done`` receives the engine's result tuple."""
        self._inbox.put((items, data, on_done, stop))

    def close(self) -> None:
        """Let the threads finish their current batch and exit."""
        for _ in self._threads:
            self._inbox.put(None)


_pools: dict[int, ThreadPool] = {}
_pools_lock = threading.Lock()


def _shared_pool(num_workers: int) -> ThreadPool | None:
    """The process-wide pool of this size, or None when called from a pool thread."""
    ident = threading.get_ident()
    with _pools_lock:
        if any(ident in p.idents for p in _pools.values()):
            return None  # a task computing a graph: a shared pool could deadlock
        pool = _pools.get(num_workers)
        if pool is None:
            pool = _pools[num_workers] = ThreadPool(num_workers)
        return pool


@atexit.register
def _close_pools() -> None:
    with _pools_lock:
        for pool in _pools.values():
            pool.close()
        _pools.clear()


def get(
    dsk: Mapping,
    keys: Any,
    num_workers: int | None = None,
    pool: ThreadPool | None = None,
    **kwargs: Any,
) -> Any:
    """Compute ``keys`` of ``dsk`` on a pool of threads.

    Parameters
    ----------
    dsk : dict
        The task graph.
    keys : key or nested list of keys
        What to compute; the result has the same nesting.
    num_workers : int, optional
        Number of threads; default ``mpiflow.config`` ``num_workers``
        (``MPIFLOW_NUM_WORKERS``), else the CPU cores this process may use.
    pool : ThreadPool, optional
        Run on this pool instead of the shared one.
    **kwargs
        ``callbacks=``, ``chunksize=`` (see :func:`mpiflow.local.get_async`).

    Examples
    --------
    >>> from operator import add
    >>> get({'x': 1, 'y': (add, 'x', 10)}, 'y')
    11
    >>> get({'a': (sum, [1, 2])}, ['a', ['a']], num_workers=2)
    [3, [3]]
    """
    n = resolve_num_workers(num_workers)
    own_pool = None
    if pool is None:
        pool = _shared_pool(n)
        if pool is None:
            pool = own_pool = ThreadPool(n)
    stop = threading.Event()

    def submit(items: list, data: Mapping, on_done: Any) -> None:
        pool.submit(items, data, on_done, stop)

    try:
        return get_async(submit, pool.num_workers, dsk, keys, stop=stop, **kwargs)
    finally:
        if own_pool is not None:
            own_pool.close()
