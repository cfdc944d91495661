"""Turning what users submit into what workers run, and results back into shapes.

``pack_argument`` replaces futures inside submit arguments by their keys;
``pickle_task`` makes a task's run_spec; ``iter_futures``, ``rebuild`` and
``nest`` walk user containers of futures and results.

Examples
--------
>>> pack_argument([1, 2], [])
(literal<type=list>,)
>>> nest(['a', ['b']], {'a': 1, 'b': 2})
[1, [2]]
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from typing import Any

from mpiflow.core.spec import apply, funcname, graph_argument
from mpiflow.core.tokenize import tokenize
from mpiflow.distributed.futures import Future
from mpiflow.distributed.protocol.serialize import pickle_bytes

__all__ = ["funcname", "pack_argument", "apply", "pickle_task", "FunctionCache",
           "iter_futures", "rebuild", "nest"]


def _future_reference(x: Any) -> tuple | None:
    return (x.key, x) if isinstance(x, Future) else None


def pack_argument(x: Any, deps: list) -> Any:
    """Graph form of a submit argument: futures become keys, containers tasks.

    Futures found are appended to ``deps``; literal data that the graph
    format could misread is quoted.

    Examples
    --------
    >>> pack_argument(3, [])
    3
    """
    return graph_argument(x, deps, _future_reference)


def pickle_task(key: Any, task: Any, functions: dict) -> tuple:
    """The run_spec of a task: ``(function_blob, arguments_blob)``.

    A task's function is pickled once per graph (``functions`` memoises by
    identity) and its arguments on their own; a value that is not a call
    travels as ``(None, blob)``. Workers keep unpickled functions by blob.
    """
    try:
        if type(task) is tuple and task and callable(task[0]):
            func = task[0]
            blob = functions.get(id(func))
            if blob is None:
                blob = functions[id(func)] = pickle_bytes(func)
            return (blob, pickle_bytes(task[1:]))
        return (None, pickle_bytes(task))
    except Exception as err:
        raise TypeError(
            f"task {key!r} cannot be sent to the cluster: {type(err).__name__}: {err}. "
            "Its function and arguments are pickled with cloudpickle; remove open files, "
            "locks, sockets or generators from them. Nothing was submitted."
        ) from err


class FunctionCache:
    """Pickled functions, reused across submits while the function is unchanged.

    A function defined in a script or notebook is pickled by value, which
    costs more than the rest of a ``submit``. Entries are keyed by the
    function object (weakly: they go when it does) and checked against its
    :func:`~mpiflow.core.tokenize.tokenize` token, which covers its code,
    closure, defaults and the globals it reads, so a function whose globals
    changed is pickled again and never sent stale.

    Examples
    --------
    >>> cache = FunctionCache()
    >>> def double(x):
    ...     return 2 * x
    >>> token = cache.token(double)
    >>> cache.blob(double, token) is cache.blob(double, token)
    True
    """

    MAX_BLOB = 100_000  # larger functions (big closures) are not kept

    def __init__(self) -> None:
        self._blobs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def token(self, func: Callable) -> str | None:
        """The function's content token, or None if it has none."""
        try:
            return tokenize(func)
        except Exception:  # noqa: BLE001 - no token: no caching, pickled each time
            return None

    def blob(self, func: Callable, token: str | None) -> bytes | None:
        """The pickled function (cached while ``token`` matches), or None if it
        does not pickle (the caller's error path explains why)."""
        if token is not None:
            try:
                hit = self._blobs.get(func)
            except TypeError:  # not weak-referenceable
                hit = None
            if hit is not None and hit[0] == token:
                return hit[1]
        try:
            blob = pickle_bytes(func)
        except Exception:  # noqa: BLE001 - pickle_task raises with the task's name
            return None
        if token is not None and len(blob) <= self.MAX_BLOB:
            try:
                self._blobs[func] = (token, blob)
            except TypeError:
                pass
        return blob


def iter_futures(obj: Any) -> Iterable[Future]:
    if isinstance(obj, Future):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from iter_futures(v)
    elif isinstance(obj, (list, tuple, set, frozenset)):
        for v in obj:
            yield from iter_futures(v)


def rebuild(obj: Any, values: dict, errors: str) -> Any:
    if isinstance(obj, Future):
        return values[obj.key]
    if isinstance(obj, dict):
        return {k: rebuild(v, values, errors) for k, v in obj.items()
                if not (isinstance(v, Future) and v.key not in values and errors == "skip")}
    if isinstance(obj, (list, tuple, set, frozenset)):
        items = [rebuild(v, values, errors) for v in obj
                 if not (isinstance(v, Future) and v.key not in values and errors == "skip")]
        return type(obj)(items) if not isinstance(obj, list) else items
    return obj


def nest(keys: Any, values: dict) -> Any:
    if type(keys) is list:
        return [nest(k, values) for k in keys]
    return values[keys]
