"""Helpers of the Delayed collection: task helpers and one-pass graph assembly.

Examples
--------
>>> apply(divmod, [7, 2])
(3, 1)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mpiflow.core.spec import apply, funcname
from mpiflow.core.traverse import cull

__all__ = ["apply", "funcname", "graph_of", "optimize"]


class _MethodCaller:
    """``_MethodCaller('count')(obj, *args)`` calls ``obj.count(*args)`` (picklable)."""

    __slots__ = ("method",)

    def __init__(self, method: str) -> None:
        self.method = method

    def __call__(self, obj: Any, *args: Any, **kwargs: Any) -> Any:
        return getattr(obj, self.method)(*args, **kwargs)

    @property
    def __name__(self) -> str:
        return self.method

    def __reduce__(self):
        return (_MethodCaller, (self.method,))

    def __repr__(self) -> str:
        return f"methodcaller({self.method!r})"


# --------------------------------------------------------------------------------------
# Graph assembly and the collection protocol
# --------------------------------------------------------------------------------------


class _Closure(dict):
    """A graph made by :func:`graph_of` that holds only keys its ``roots`` need."""

    __slots__ = ("roots",)


def graph_of(roots: Any) -> dict:
    """Assemble the graph that the Delayed objects ``roots`` need, in one pass.

    The walk is iterative and visits each key once, so it is linear in the
    size of the graph and safe for chains of any depth.

    Examples
    --------
    >>> from mpiflow.delayed import delayed
    >>> a = delayed(1, name='a')
    >>> b = delayed(abs)(a, dask_key_name='b')
    >>> graph_of([b])
    {'b': (<built-in function abs>, 'a'), 'a': 1}
    """
    roots = list(roots)
    dsk = _Closure()
    closed = True
    stack = roots[:]
    pop = stack.pop
    extend = stack.extend
    while stack:
        d = pop()
        k = d._key
        if k in dsk:
            continue
        g = d._dsk
        if g is None:
            dsk[k] = d._task
            deps = d._deps
            if deps:
                extend(deps)
        else:
            dsk.update(g)
            closed = False  # a graph given to Delayed(key, dsk) may hold unneeded keys
    if not closed:
        return dict(dsk)
    dsk.roots = [d._key for d in roots]
    return dsk


def optimize(dsk: Mapping, keys: Any, **kwargs: Any) -> dict:
    """Optimize a Delayed graph for ``keys``: keep only what they need.

    A graph that :func:`graph_of` built for exactly ``keys`` holds nothing
    else, and is returned as is instead of being culled again.

    Examples
    --------
    >>> optimize({'a': 1, 'b': (abs, 'a'), 'unused': 2}, ['b'])
    {'a': 1, 'b': (<built-in function abs>, 'a')}
    """
    if type(dsk) is _Closure and dsk.roots == keys:
        return dsk
    return cull(dsk, keys)[0]


def _first(results: list) -> Any:
    return results[0]
