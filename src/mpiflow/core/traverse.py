"""Walking a task graph: topological sort, cycle finding and culling.

Every walk here is iterative (an explicit stack, never recursion), so graphs
with a million keys and dependency chains a hundred thousand deep are fine.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from mpiflow.core.errors import CycleError, MissingKeyError
from mpiflow.core.spec import _deps_of, get_all_dependencies

__all__ = ["toposort", "find_cycle", "cull", "flatten_keys", "close_keys"]


def flatten_keys(keys: Any) -> list:
    """Flatten a key or nested lists of keys into a flat list, in order.

    Only lists nest; a tuple is a key (``('x', 0)``), never a container.

    Parameters
    ----------
    keys : key or list
        One key, or (nested) lists of keys.

    Returns
    -------
    list
        The keys, depth first, left to right.

    Examples
    --------
    >>> flatten_keys('x')
    ['x']
    >>> flatten_keys([['a', ('b', 0)], 'c', [[('d', 1, 2)]]])
    ['a', ('b', 0), 'c', ('d', 1, 2)]
    """
    if type(keys) is not list:
        return [keys]
    out: list = []
    stack: list = [iter(keys)]
    while stack:
        for k in stack[-1]:
            if type(k) is list:
                stack.append(iter(k))
                break
            out.append(k)
        else:
            stack.pop()
    return out


def close_keys(key: Any, dsk: Iterable, n: int = 3) -> list:
    """Return up to ``n`` keys of ``dsk`` that look like ``key`` (for error messages).

    String keys are matched with :func:`difflib.get_close_matches`; a tuple key
    is matched with the tuple keys of the same name and length, nearest
    indices first.

    Examples
    --------
    >>> close_keys('sum-abc', {'sum-abd': 1, 'x': 2})
    ['sum-abd']
    >>> close_keys(('x', 9), {('x', 0): 1, ('x', 7): 2, ('y', 9): 3})
    [('x', 7), ('x', 0)]
    """
    if type(key) is tuple and key and type(key[0]) is str:
        name, size = key[0], len(key)
        same = [k for k in dsk if type(k) is tuple and len(k) == size and k[0] == name]

        def distance(k: tuple) -> float:
            try:
                return sum(abs(a - b) for a, b in zip(k[1:], key[1:], strict=True))
            except TypeError:
                return float("inf")

        return sorted(same, key=distance)[:n]
    if isinstance(key, str):
        return difflib.get_close_matches(key, [k for k in dsk if type(k) is str], n=n)
    return []


def _check_requested(dsk: Mapping, keys: list) -> None:
    """Raise :class:`MissingKeyError` for the first of ``keys`` not in ``dsk``."""
    for k in keys:
        try:
            if k in dsk:
                continue
        except TypeError:  # unhashable: cannot be a key at all
            raise MissingKeyError(k) from None
        raise MissingKeyError(k, close=close_keys(k, dsk))


def _postorder(dsk: Mapping, deps: Mapping, sort: bool = True) -> list:
    """Keys of ``dsk`` with every dependency before its dependents.

    Depth first from each key in dict order; with ``sort`` the dependencies of
    a key are visited in dict order too, so the result does not depend on set
    iteration order. Dependencies that are not keys of ``dsk`` are skipped.
    Raises :class:`CycleError` with the path of the first cycle met.
    """
    pos = {k: i for i, k in enumerate(dsk)} if sort else None
    done: set = set()
    out: list = []
    all_done = done.issuperset
    for root in dsk:
        if root in done:
            continue
        if all_done(deps[root]):  # fast path: dependencies already placed
            done.add(root)
            out.append(root)
            continue
        path = [root]
        onpath = {root: 0}
        iters = [iter(_children(root, deps, pos))]
        while iters:
            for d in iters[-1]:
                if d in done or d not in deps:
                    continue
                if d in onpath:
                    raise CycleError(path[onpath[d] :] + [d])
                onpath[d] = len(path)
                path.append(d)
                iters.append(iter(_children(d, deps, pos)))
                break
            else:
                iters.pop()
                k = path.pop()
                del onpath[k]
                done.add(k)
                out.append(k)
    return out


def _children(key: Any, deps: Mapping, pos: dict | None) -> Iterable:
    """The dependencies of ``key``, in dict order when ``pos`` is given."""
    ds = deps[key]
    if pos is None or len(ds) < 2:
        return ds
    get = pos.get
    return sorted(ds, key=lambda d: get(d, -1))


def toposort(dsk: Mapping, dependencies: Mapping | None = None) -> list:
    """Return the keys of ``dsk`` ordered so that dependencies come first.

    Deterministic: for the same graph (same dict order) the result is the same.

    Parameters
    ----------
    dsk : dict
        The graph.
    dependencies : dict, optional
        ``{key: set_of_dependencies}``, if already computed.

    Returns
    -------
    list
        Every key of ``dsk`` exactly once.

    Raises
    ------
    CycleError
        If the graph has a cycle; ``.cycle`` holds the keys on it, the first
        key repeated last.

    Examples
    --------
    >>> from operator import add, neg
    >>> toposort({'z': (add, 'x', 'y'), 'y': (neg, 'x'), 'x': 1})
    ['x', 'y', 'z']
    >>> toposort({'a': (neg, 'b'), 'b': (neg, 'a')})
    Traceback (most recent call last):
      ...
    mpiflow.core.errors.CycleError: cycle in the task graph: 'a' -> 'b' -> 'a'. ...
    """
    if dependencies is None:
        dependencies = get_all_dependencies(dsk)
    return _postorder(dsk, dependencies)


def find_cycle(dsk: Mapping, dependencies: Mapping | None = None) -> list | None:
    """Return the keys on a cycle of ``dsk`` (first key repeated last), or None.

    Examples
    --------
    >>> from operator import neg
    >>> find_cycle({'a': (neg, 'b'), 'b': (neg, 'c'), 'c': (neg, 'a'), 'd': 1})
    ['a', 'b', 'c', 'a']
    >>> find_cycle({'a': (neg, 'a')})
    ['a', 'a']
    >>> find_cycle({'a': 1, 'b': (neg, 'a')}) is None
    True
    """
    if dependencies is None:
        dependencies = get_all_dependencies(dsk)
    try:
        _postorder(dsk, dependencies)
    except CycleError as e:
        return e.cycle
    return None


def cull(dsk: Mapping, keys: Any, dependencies: Mapping | None = None) -> tuple[dict, dict]:
    """Keep only the part of ``dsk`` that ``keys`` need.

    Parameters
    ----------
    dsk : dict
        The graph.
    keys : key or list
        One key or (nested) lists of keys: the outputs.
    dependencies : dict, optional
        ``{key: set_of_dependencies}`` for ``dsk`` if already known (for
        example from :func:`~mpiflow.core.validate`); saves recomputing them.

    Returns
    -------
    culled : dict
        The keys of ``dsk`` that the outputs depend on (directly or not),
        outputs included.
    dependencies : dict
        ``{key: set_of_dependencies}`` for every key of ``culled``.

    Raises
    ------
    MissingKeyError
        If a requested key is not in ``dsk``; the message suggests close keys.

    Examples
    --------
    >>> from operator import add, neg
    >>> dsk = {'x': 1, 'y': (neg, 'x'), 'out': (add, 'x', 10)}
    >>> culled, deps = cull(dsk, 'out')
    >>> sorted(culled)
    ['out', 'x']
    >>> deps == {'out': {'x'}, 'x': set()}
    True
    >>> cull(dsk, 'ot')
    Traceback (most recent call last):
      ...
    mpiflow.core.errors.MissingKeyError: requested key 'ot' is not in the graph; did you mean 'out'?
    """
    requested = flatten_keys(keys)
    _check_requested(dsk, requested)
    deps: dict = {}
    stack = requested
    pop = stack.pop
    extend = stack.extend
    while stack:
        k = pop()
        if k in deps:
            continue
        if dependencies is not None:
            s = dependencies[k]
        else:
            s = set()
            _deps_of(dsk[k], dsk, s)
        deps[k] = s
        extend(s)
    if 4 * len(deps) >= len(dsk) or dependencies is not None:
        # keep the graph's own order: deterministic, and cheap when most keys survive
        culled = {k: v for k, v in dsk.items() if k in deps}
    else:
        culled = {k: dsk[k] for k in deps}
    return culled, deps
