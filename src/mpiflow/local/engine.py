"""The one local engine behind the sync, threaded and process schedulers.

:func:`get_async` validates, culls and orders the graph, then feeds ready
tasks, lowest :func:`~mpiflow.core.order` priority first, to an executor
through a ``submit`` function and frees every intermediate result as soon as
its last dependent has finished. Executors differ only in ``submit``:

``submit(items, data, on_done)``
    run ``execute_batch(items, data)`` somewhere and, when it is done, call
    ``on_done((worker_id, seconds, results, None))``; if the executor itself
    fails (a worker process died), call ``on_done((None, 0.0, None, error))``.

Tasks travel in small batches whose size adapts to measured task durations
(about two milliseconds of work each), which amortises hand-off costs for
tiny tasks without hurting load balance or memory for large ones.
"""

from __future__ import annotations

import heapq
import os
import queue
import threading
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from mpiflow.core.order import order
from mpiflow.core.spec import istask
from mpiflow.core.traverse import cull, flatten_keys
from mpiflow.core.validate import validate
from mpiflow.local.callbacks import active_callbacks

__all__ = ["get_async", "RunState", "add_note", "default_num_workers"]

#: Seconds of work a batch should hold once task durations are known.
BATCH_SECONDS = 0.002
MAX_BATCH = 4096


class RunState:
    """Progress of one run, readable by callbacks: ``ntasks`` and ``ndone``."""

    __slots__ = ("ntasks", "ndone", "cache", "priorities")

    def __init__(self, ntasks: int, cache: dict, priorities: dict) -> None:
        self.ntasks = ntasks
        self.ndone = 0
        self.cache = cache
        self.priorities = priorities


def default_num_workers() -> int:
    """Number of CPU cores this process may use.

    Examples
    --------
    >>> default_num_workers() >= 1
    True
    """
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def resolve_num_workers(num_workers: int | None) -> int:
    """The pool size to use: the keyword, else config ``num_workers``, else the cores.

    Examples
    --------
    >>> resolve_num_workers(3)
    3
    >>> resolve_num_workers(0)
    Traceback (most recent call last):
      ...
    ValueError: num_workers must be at least 1, got 0
    """
    from mpiflow import config

    n = config.get("num_workers", override=num_workers)
    n = default_num_workers() if n is None else int(n)
    if n < 1:
        raise ValueError(f"num_workers must be at least 1, got {n}")
    return n


def add_note(exc: BaseException, note: str) -> None:
    """Attach ``note`` to ``exc`` so it prints under the traceback (PEP 678).

    Examples
    --------
    >>> e = ValueError('bad')
    >>> add_note(e, 'while computing key x')
    >>> e.__notes__
    ['while computing key x']
    """
    if hasattr(exc, "add_note"):
        exc.add_note(note)
    else:  # Python 3.10: stored, shown by tracebacks on 3.11+
        notes = getattr(exc, "__notes__", None) or []
        notes.append(note)
        try:
            exc.__notes__ = notes
        except AttributeError:
            pass


def _pack(keys: Any, cache: Mapping) -> Any:
    if type(keys) is list:
        return [_pack(k, cache) for k in keys]
    return cache[keys]


def _is_data(value: Any) -> bool:
    """A value with no dependencies that needs no running: literal data."""
    return not (type(value) is list or istask(value))


class _Run:
    """Book-keeping for one call of :func:`get_async`."""

    def __init__(self, dsk: Mapping, keys: Any, hooks: Any) -> None:
        flat = flatten_keys(keys)
        # validate the whole graph (a mistake in an unrequested key is still a
        # mistake), then cull to what ``keys`` need; order() finds cycles
        self.dsk, self.deps = cull(dsk, flat, validate(dsk, flat, cycles=False))
        self.priority = order(self.dsk, self.deps)
        self.keep = set(flat)
        self.cache: dict = {}
        self.state = RunState(len(self.dsk), self.cache, self.priority)
        self.hooks = hooks
        self.ready: list = []
        dependents: dict = {k: [] for k in self.dsk}
        waiting = {}
        literals = []
        for key, ds in self.deps.items():
            if ds:
                waiting[key] = len(ds)
                for d in ds:
                    dependents[d].append(key)
            elif _is_data(self.dsk[key]):
                literals.append(key)
            else:
                self.ready.append((self.priority[key], key))
        heapq.heapify(self.ready)
        self.dependents = dependents
        self.waiting = waiting
        self.refcount = {k: len(v) for k, v in dependents.items()}
        self.literals = literals

    def finish_literals(self) -> None:
        """Store the keys whose values are plain data: nothing to run for them."""
        for key in self.literals:
            self.finish(key, self.dsk[key], None)

    def finish(self, key: Any, value: Any, worker_id: Any) -> None:
        """Store a result, free inputs no longer needed, release dependents."""
        cache = self.cache
        cache[key] = value
        refcount = self.refcount
        keep = self.keep
        for d in self.deps[key]:
            r = refcount[d] - 1
            refcount[d] = r
            if not r and d not in keep:
                del cache[d]
        if not self.dependents[key] and key not in keep:
            del cache[key]  # culling leaves no such key, but stay safe
        waiting = self.waiting
        for dep in self.dependents[key]:
            w = waiting[dep] - 1
            if w:
                waiting[dep] = w
            else:
                del waiting[dep]
                heapq.heappush(self.ready, (self.priority[dep], dep))
        self.state.ndone += 1
        for hook in self.hooks.posttask:
            hook(key, value, self.dsk, self.state, worker_id)


def get_async(
    submit: Callable,
    num_workers: int,
    dsk: Mapping,
    keys: Any,
    *,
    ship_data: bool = False,
    prepare_task: Callable | None = None,
    callbacks: Any = None,
    chunksize: int | None = None,
    stop: threading.Event | None = None,
    inline: bool = False,
    **kwargs: Any,
) -> Any:
    """Compute ``keys`` of graph ``dsk`` with an executor given by ``submit``.

    Parameters
    ----------
    submit : callable
        ``submit(items, data, on_done)``, see the module docstring.
    num_workers : int
        How many batches may run at once (threads or processes).
    dsk : dict
        The task graph.
    keys : key or nested list of keys
        What to return; the result has the same nesting.
    ship_data : bool
        True when workers do not share memory: each batch then gets a dict of
        just the inputs it needs instead of the whole store.
    prepare_task : callable, optional
        ``prepare_task(key, task)`` is applied to every task before anything
        runs (e.g. to pickle it, so an unpicklable task fails up front).
    callbacks : Callback or list of Callback, optional
        Hooks for this run only, in addition to the registered ones.
    chunksize : int, optional
        Fixed batch size instead of the adaptive one.
    stop : threading.Event, optional
        Set on Ctrl-C or error so that queued tasks of running batches are skipped.
    inline : bool
        True when ``submit`` runs the batch before it returns (``get_sync``).

    Returns
    -------
    The values of ``keys``, nested like ``keys``.

    Examples
    --------
    >>> from operator import add
    >>> from mpiflow.local.execute import execute_batch
    >>> def submit(items, data, on_done):
    ...     results, seconds = execute_batch(items, data)
    ...     on_done((0, seconds, results, None))
    >>> get_async(submit, 1, {'x': 1, 'y': (add, 'x', 1)}, ['y', 'x'], inline=True)
    [2, 1]
    """
    hooks = active_callbacks(callbacks)
    for hook in hooks.start:
        hook(dsk)
    run = None
    errored = True
    try:
        run = _Run(dsk, keys, hooks)
        for hook in hooks.start_state:
            hook(run.dsk, run.state)
        run.finish_literals()
        _drive(run, submit, num_workers, ship_data, prepare_task, chunksize, inline)
        errored = False
        return _pack(keys, run.cache)
    except BaseException:
        if stop is not None:
            stop.set()
        raise
    finally:
        state = run.state if run is not None else None
        for hook in hooks.finish:
            hook(run.dsk if run is not None else dsk, state, errored)


def _drive(run, submit, num_workers, ship_data, prepare_task, chunksize, inline):
    """Submit ready tasks in batches and process results until all are done."""
    dsk = run.dsk
    tasks = dsk
    if prepare_task is not None:
        literals = set(run.literals)
        tasks = {k: prepare_task(k, v) for k, v in dsk.items() if k not in literals}
    results: Any
    if inline:
        results = deque()
        on_done = results.append
        get_result = results.popleft
    else:
        # Executors always report, also when they break (a dead worker
        # process arrives as an error), so a plain blocking get cannot hang.
        results = queue.SimpleQueue()
        on_done = results.put
        get_result = results.get

    ready = run.ready
    deps = run.deps
    cache = run.cache
    pretask = run.hooks.pretask
    max_inflight = max(1, num_workers) * (2 if num_workers > 1 else 1)
    inflight = 0
    seconds_per_task = None
    heappop = heapq.heappop
    while ready or inflight:
        while ready and inflight < max_inflight:
            share = -(-len(ready) // max(1, num_workers))
            if chunksize:
                n = min(share, chunksize)
            elif seconds_per_task is None:
                n = 1
            else:
                n = min(share, MAX_BATCH, max(1, int(BATCH_SECONDS / seconds_per_task)))
            items = []
            for _ in range(n):
                key = heappop(ready)[1]
                for hook in pretask:
                    hook(key, dsk, run.state)
                items.append((key, tasks[key]))
            if ship_data:
                data = {d: cache[d] for key, _ in items for d in deps[key]}
            else:
                data = cache
            inflight += 1
            submit(items, data, on_done)
        worker_id, seconds, batch, error = get_result()
        inflight -= 1
        if error is not None:
            raise error
        if batch:
            per_task = seconds / len(batch)
            if seconds_per_task is None:
                seconds_per_task = per_task
            else:
                seconds_per_task = 0.5 * (seconds_per_task + per_task)
        for key, value, exc in batch:
            if exc is not None:
                add_note(exc, f"(raised by task {key!r} of the mpiflow graph)")
                raise exc
            run.finish(key, value, worker_id)
