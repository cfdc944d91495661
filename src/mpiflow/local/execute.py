"""Running one task: substitute its arguments from a data store and call it.

The same functions run in the caller's thread, in pool threads and in worker
processes; the only difference is the mapping ``data`` they read from (the
engine's whole store for threads, a per-batch dict for processes).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

__all__ = ["execute_task", "execute_batch"]


def execute_task(arg: Any, data: Mapping) -> Any:
    """Evaluate a graph value: run tasks, traverse lists, replace keys by data.

    Examples
    --------
    >>> from operator import add
    >>> execute_task((add, 'x', [1, (abs, -2)][1]), {'x': 1})
    3
    >>> execute_task(['x', 'literal'], {'x': 1})
    [1, 'literal']
    """
    typ = type(arg)
    if typ is tuple:
        if arg and callable(arg[0]):
            return arg[0](*[execute_task(a, data) for a in arg[1:]])
        try:
            return data[arg] if arg in data else arg
        except TypeError:  # a literal tuple holding something unhashable
            return arg
    if typ is list:
        return [execute_task(a, data) for a in arg]
    if typ is str or typ is int or typ is bytes or typ is float:
        return data[arg] if arg in data else arg
    if typ is dict:
        return arg
    try:
        return data[arg] if arg in data else arg
    except TypeError:
        return arg


def execute_batch(items: list, data: Mapping, stop: Any = None) -> tuple[list, float]:
    """Run ``(key, task)`` pairs in order; stop at the first failure.

    Returns ``(results, seconds)`` where each result is ``(key, value, None)``
    or, for the task that raised, ``(key, None, exception)``. ``stop`` is an
    optional ``threading.Event``; once set, the remaining items are skipped
    (Ctrl-C in the caller).

    Examples
    --------
    >>> execute_batch([('a', (abs, -1)), ('b', (len, 'a'))], {})[0]
    [('a', 1, None), ('b', 1, None)]
    """
    out = []
    append = out.append
    start = time.perf_counter()
    for key, task in items:
        if stop is not None and stop.is_set():
            break
        try:
            append((key, execute_task(task, data), None))
        except BaseException as exc:  # noqa: BLE001 - reported to the caller
            append((key, None, exc))
            break
    return out, time.perf_counter() - start
