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

import pickle
from collections.abc import Callable, Iterable
from typing import Any

import cloudpickle

from mpiflow.core.spec import graph_argument
from mpiflow.distributed.futures import Future

__all__ = ["funcname", "pack_argument", "apply", "pickle_task", "iter_futures", "rebuild",
           "nest"]


def funcname(func: Any) -> str:
    """The prefix of a task key made from ``func``.

    Examples
    --------
    >>> funcname(len), funcname(lambda: 0)
    ('len', 'lambda')
    """
    name = getattr(func, "__name__", None) or type(func).__name__
    return "lambda" if name == "<lambda>" else str(name)[:50]




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


def apply(func: Callable, args: list, kwargs: dict) -> Any:
    """Call ``func(*args, **kwargs)``: the task form of a call with keywords.

    Examples
    --------
    >>> apply(int, ['ff'], {'base': 16})
    255
    """
    return func(*args, **kwargs)


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
                blob = functions[id(func)] = cloudpickle.dumps(func, protocol=5)
            return (blob, cloudpickle.dumps(task[1:], protocol=5))
        return (None, cloudpickle.dumps(task, protocol=pickle.HIGHEST_PROTOCOL))
    except Exception as err:
        raise TypeError(
            f"task {key!r} cannot be sent to the cluster: {type(err).__name__}: {err}. "
            "Its function and arguments are pickled with cloudpickle; remove open files, "
            "locks, sockets or generators from them. Nothing was submitted."
        ) from err


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
