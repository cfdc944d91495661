"""The process scheduler: the local engine on a pool of worker processes.

For pure-Python work that holds the GIL (the default for bags). Tasks and
data travel with cloudpickle. Every task is pickled before the first one
runs, so a task that cannot be sent fails up front, and a worker process
that dies (out of memory, a crash in native code) stops the run with an
error that says so instead of hanging. Workers are fresh interpreters (see
:mod:`mpiflow.local.procpool`): scripts need no ``__main__`` guard.
"""

from __future__ import annotations

import atexit
import os
import pickle
import threading
import traceback
from collections.abc import Mapping
from typing import Any

import cloudpickle

from mpiflow.local.engine import add_note, get_async, resolve_num_workers
from mpiflow.local.execute import execute_batch
from mpiflow.local.procpool import ProcessPool, WorkerProcessDied

__all__ = ["get", "WorkerProcessDied", "run_in_worker"]


def _pack_exception(key: Any, exc: BaseException) -> BaseException:
    """Make a task's exception safe to send back, keeping type and traceback text."""
    remote = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    add_note(exc, f"Traceback in worker process {os.getpid()}:\n{remote.rstrip()}")
    try:
        pickle.loads(cloudpickle.dumps(exc))
        return exc
    except Exception:
        return RuntimeError(
            f"task {key!r} raised {type(exc).__name__} (not picklable, shown as text):\n{remote}"
        )


def run_in_worker(payload: bytes) -> bytes:
    """Worker side: unpickle a batch, run it, return the pickled results.

    Examples
    --------
    >>> import pickle, cloudpickle
    >>> batch = ([('x', cloudpickle.dumps((abs, 'y')))], {'y': -2})
    >>> pid, seconds, out = pickle.loads(run_in_worker(pickle.dumps(batch)))
    >>> out[0][0], pickle.loads(out[0][1])
    ('x', 2)
    """
    items, data = pickle.loads(payload)
    tasks = [(key, pickle.loads(blob)) for key, blob in items]
    results, seconds = execute_batch(tasks, data)
    out = []
    for key, value, exc in results:
        if exc is not None:
            out.append((key, None, _pack_exception(key, exc)))
            continue
        try:
            blob = cloudpickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as err:
            msg = (
                f"the result of task {key!r} ({type(value).__name__}) cannot be pickled to "
                f"return it from the worker process: {err}. Return picklable data, or use "
                "scheduler='threads'."
            )
            out.append((key, None, TypeError(msg)))
            break
        out.append((key, blob, None))
    return cloudpickle.dumps((os.getpid(), seconds, out), protocol=pickle.HIGHEST_PROTOCOL)


def _pickle_task(key: Any, task: Any) -> bytes:
    try:
        return cloudpickle.dumps(task, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as err:
        raise TypeError(
            f"task {key!r} cannot be sent to a worker process: {type(err).__name__}: {err}. "
            "The 'processes' scheduler pickles every task and its arguments with cloudpickle; "
            "make the function and its arguments picklable (e.g. no open files, locks or "
            "generators) or use scheduler='threads'. Nothing was run."
        ) from err


_pools: dict[int, ProcessPool] = {}
_pools_lock = threading.Lock()


def _shared_pool(num_workers: int) -> ProcessPool:
    with _pools_lock:
        pool = _pools.get(num_workers)
        if pool is None or pool.dead is not None:
            pool = _pools[num_workers] = ProcessPool(num_workers)
        return pool


def _discard_pool(pool: ProcessPool) -> None:
    with _pools_lock:
        for key, p in list(_pools.items()):
            if p is pool:
                del _pools[key]
    pool.terminate()


@atexit.register
def _close_pools() -> None:
    with _pools_lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        pool.close()


def get(
    dsk: Mapping,
    keys: Any,
    num_workers: int | None = None,
    pool: ProcessPool | None = None,
    **kwargs: Any,
) -> Any:
    """Compute ``keys`` of ``dsk`` on a pool of worker processes.

    Parameters
    ----------
    dsk : dict
        The task graph.
    keys : key or nested list of keys
        What to compute; the result has the same nesting.
    num_workers : int, optional
        Number of processes; default ``mpiflow.config`` ``num_workers``, else
        the CPU cores this process may use. The pool is kept for later calls.
    pool : ProcessPool, optional
        Run on this pool instead of the shared one.
    **kwargs
        ``callbacks=``, ``chunksize=`` (see :func:`mpiflow.local.get_async`).

    Examples
    --------
    >>> from operator import add
    >>> get({'x': 1, 'y': (add, 'x', 10)}, 'y', num_workers=1)
    11
    """
    n = resolve_num_workers(num_workers)
    own = pool is None
    if own:
        pool = _shared_pool(n)

    def submit(items: list, data: Mapping, on_done: Any) -> None:
        payload = cloudpickle.dumps((items, data), protocol=pickle.HIGHEST_PROTOCOL)
        batch_keys = [key for key, _ in items]

        def done(reply: bytes | None, error: BaseException | None) -> None:
            if error is not None:
                more = " ..." if len(batch_keys) > 5 else ""
                add_note(error, f"(it was running task(s) {batch_keys[:5]!r}{more}; common "
                         "causes: the out-of-memory killer, a crash in native code)")
                on_done((None, 0.0, None, error))
                return
            pid, seconds, out = pickle.loads(reply)
            results = [
                (key, None if exc is not None else pickle.loads(blob), exc)
                for key, blob, exc in out
            ]
            on_done((pid, seconds, results, None))

        pool.submit(payload, done)

    try:
        return get_async(
            submit, pool.num_workers, dsk, keys, ship_data=True, prepare_task=_pickle_task,
            **kwargs,
        )
    except (WorkerProcessDied, KeyboardInterrupt):
        if own:
            _discard_pool(pool)
        raise
