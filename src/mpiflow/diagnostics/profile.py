"""``Profiler``: when each task ran, and on which worker, for the local schedulers.

The engine tells callbacks when a task is handed to a worker (``pretask``)
and when its result is back (``posttask``), both in the caller's thread. The
profiler turns those moments into a timeline per worker:

- a task starts when it was handed over or when the same worker finished
  its previous task, whichever is later (the engine keeps up to two batches
  per worker in flight, so a task may wait in the queue first);
- tiny tasks travel in batches (about 2 ms of work each, see
  :mod:`mpiflow.local.engine`); the results of one batch come back together,
  so its tasks share the batch's time span in equal parts.

Times are ``time.time()`` seconds, the clock of
:class:`~mpiflow.diagnostics.ResourceProfiler` too, so both draw on one axis
(:func:`~mpiflow.diagnostics.visualize_profile`).
"""

from __future__ import annotations

import time
from collections import namedtuple
from typing import Any

from mpiflow.local.callbacks import Callback

__all__ = ["Profiler", "TaskData"]

TaskData = namedtuple("TaskData", ["key", "task", "start_time", "end_time", "worker_id"])
TaskData.__doc__ = """One task run: its key, its task, start and end (``time.time()``) and worker.

``worker_id`` is what the scheduler reports: the thread's index for
``'threads'``, the worker process's pid for ``'processes'``, 0 for ``'sync'``.
"""


class Profiler(Callback):
    """Record when every task ran and on which worker (local schedulers).

    Use as a context manager (which starts from empty results) or
    ``register()`` it to record every local computation until
    ``unregister()``. Results add up over computations until :meth:`clear`.
    Computations on a ``Client`` are not recorded (the cluster's
    dashboard and ``performance_report`` show those).

    Attributes
    ----------
    results : list of TaskData
        One record per task, in the order the tasks finished.

    Examples
    --------
    >>> import mpiflow
    >>> with Profiler() as prof:
    ...     mpiflow.get({'x': (abs, -1), 'y': (abs, 'x')}, 'y')
    1
    >>> [r.key for r in prof.results]
    ['x', 'y']
    >>> r = prof.results[0]
    >>> r.task == (abs, -1) and r.start_time <= r.end_time
    True
    >>> prof.clear(); prof.results
    []
    """

    def __init__(self) -> None:
        super().__init__()
        self.results: list[TaskData] = []
        self._submitted: dict = {}
        self._last_end: dict = {}
        self._batch: list = []  # (key, task, start, worker): results back together, not yet spread
        self._batch_end = 0.0

    def __enter__(self) -> Profiler:
        self.clear()
        super().__enter__()
        return self

    def clear(self) -> None:
        """Forget every recorded task."""
        self.results = []
        self._submitted.clear()
        self._last_end.clear()
        self._batch = []

    def _start(self, dsk: Any) -> None:
        self._flush()

    def _pretask(self, key: Any, dsk: Any, state: Any) -> None:
        self._flush()
        self._submitted[key] = time.time()

    def _posttask(self, key: Any, value: Any, dsk: Any, state: Any, worker_id: Any) -> None:
        now = time.time()
        submitted = self._submitted.pop(key, None)
        if submitted is None:  # literal data: nothing ran
            return
        if self._batch and self._batch[0][3] != worker_id:
            self._flush()
        start = max(submitted, self._last_end.get(worker_id, submitted))
        self._batch.append((key, dsk[key], start, worker_id))
        self._batch_end = now

    def _flush(self) -> None:
        """Spread the tasks whose results came back together over their common span."""
        batch = self._batch
        if not batch:
            return
        self._batch = []
        start, end = batch[0][2], self._batch_end
        step = (end - start) / len(batch)
        for i, (key, task, _, worker) in enumerate(batch):
            self.results.append(TaskData(key, task, start + i * step,
                                         start + (i + 1) * step, worker))
        self._last_end[batch[0][3]] = end

    def _finish(self, dsk: Any, state: Any, errored: bool) -> None:
        self._flush()
        self._submitted.clear()
        self._last_end.clear()

    def visualize(self, filename: str = "profile.html", show: bool = False) -> str:
        """Write the task timeline as a standalone HTML file; see :func:`visualize_profile`.

        Examples
        --------
        >>> import mpiflow, os, tempfile
        >>> with Profiler() as prof:
        ...     mpiflow.get({'x': (abs, -1)}, 'x')
        1
        >>> path = prof.visualize(os.path.join(tempfile.mkdtemp(), 'p.html'))
        >>> path.endswith('p.html')
        True
        """
        from mpiflow.diagnostics.profile_html import visualize_profile

        return visualize_profile([self], filename=filename, show=show)
