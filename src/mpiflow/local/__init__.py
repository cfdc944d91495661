"""Local execution: one engine (:func:`get_async`) and the synchronous ``get``.

``get_sync`` runs every task in the caller's thread, one after the other: the
scheduler to use under a debugger or profiler. ``mpiflow.threaded.get`` and
``mpiflow.multiprocessing.get`` are the same engine with other executors.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mpiflow.local.callbacks import Callback
from mpiflow.local.engine import get_async
from mpiflow.local.execute import execute_batch

__all__ = ["get_sync", "get_async", "Callback"]


def _submit_inline(items: list, data: Mapping, on_done: Any) -> None:
    results, seconds = execute_batch(items, data)
    on_done((0, seconds, results, None))


def get_sync(dsk: Mapping, keys: Any, **kwargs: Any) -> Any:
    """Compute ``keys`` of ``dsk`` in the calling thread, one task at a time.

    Parameters
    ----------
    dsk : dict
        The task graph.
    keys : key or nested list of keys
        What to compute; the result has the same nesting.
    **kwargs
        ``callbacks=`` and other options of :func:`get_async`.

    Examples
    --------
    >>> from operator import add
    >>> dsk = {'x': 1, 'y': 2, 'z': (add, 'x', 'y'), 'w': (sum, ['x', 'y', 'z']),
    ...        'v': [(sum, ['w', 'z']), 2]}
    >>> get_sync(dsk, ['x', 'y', 'z', 'w', 'v'])
    [1, 2, 3, 6, [9, 2]]
    >>> get_sync(dsk, 'w')
    6
    """
    kwargs.pop("num_workers", None)
    kwargs.pop("pool", None)
    return get_async(_submit_inline, 1, dsk, keys, inline=True, **kwargs)
