"""A static priority for every task, chosen to free memory early.

The local engine keeps ready tasks in a heap and always runs the one with the
lowest priority. :func:`order` numbers the keys so that this finishes what it
started before starting new leaves: it walks the graph depth first from its
outputs and numbers each key after its dependencies (post-order), entering the
taller dependency first. A tree reduction over ``n`` leaves run this way holds
only ``O(log n)`` intermediate results per worker at any time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mpiflow.core.errors import CycleError
from mpiflow.core.spec import get_all_dependencies
from mpiflow.core.traverse import find_cycle

__all__ = ["order"]


def order(dsk: Mapping, dependencies: Mapping | None = None) -> dict[Any, int]:
    """Return ``{key: priority}``: 0 runs first, every key after its dependencies.

    The outputs (keys nothing depends on) are visited in dict order. From each,
    a depth-first walk enters the dependencies of a key tallest first (height:
    longest path down to a key without dependencies), ties broken by position
    in the dict, and numbers each key once all its dependencies are numbered.
    Deterministic: the same graph in the same dict order gets the same result.

    Parameters
    ----------
    dsk : dict
        The graph.
    dependencies : dict, optional
        ``{key: set_of_dependencies}`` naming only keys of ``dsk``, if already
        computed (e.g. by :func:`~mpiflow.core.validate.validate` or
        :func:`~mpiflow.core.traverse.cull`).

    Returns
    -------
    dict
        A distinct priority in ``range(len(dsk))`` for every key.

    Raises
    ------
    CycleError
        If the graph has a cycle; the error names the keys on it.

    Examples
    --------
    >>> from operator import add
    >>> dsk = {'a': 1, 'b': 2, 'c': 3, 'd': 4,
    ...        'ab': (add, 'a', 'b'), 'cd': (add, 'c', 'd'),
    ...        'total': (add, 'ab', 'cd')}
    >>> o = order(dsk)
    >>> sorted(dsk, key=o.get)
    ['a', 'b', 'ab', 'c', 'd', 'cd', 'total']
    >>> order({'x': (abs, 'y'), 'y': (abs, 'x')})
    Traceback (most recent call last):
      ...
    mpiflow.core.errors.CycleError: cycle in the task graph: 'x' -> 'y' -> 'x'. ...
    """
    if dependencies is None:
        dependencies = get_all_dependencies(dsk)
    height = _heights(dsk, dependencies)
    n = len(dsk)
    # one integer sort key per key: taller first, then earlier in the dict
    rank = {k: i - n * height[k] for i, k in enumerate(dsk)}
    has_dependents: set = set()
    update = has_dependents.update
    for ds in dependencies.values():
        if ds:
            update(ds)
    roots = [k for k in dsk if k not in has_dependents]
    return _number(roots, dependencies, rank)


def _heights(dsk: Mapping, deps: Mapping) -> dict:
    """Longest path from each key down to a key without dependencies.

    Keys whose dependencies come earlier in the dict are done in one step;
    the others by an iterative depth-first walk. Raises :class:`CycleError`.
    """
    height: dict = {}
    getitem = height.__getitem__
    for k in dsk:
        if k in height:
            continue
        ds = deps[k]
        if not ds:
            height[k] = 0
            continue
        try:
            height[k] = max(map(getitem, ds)) + 1
        except KeyError:
            _heights_walk(k, dsk, deps, height)
    return height


def _heights_walk(root: Any, dsk: Mapping, deps: Mapping, height: dict) -> None:
    """Fill ``height`` for ``root`` and everything below it, depth first."""
    getitem = height.__getitem__
    visiting: set = set()
    stack = [root]
    push = stack.append
    pop = stack.pop
    while stack:
        k = stack[-1]
        if k in height:
            pop()
            continue
        ds = deps[k]
        if not ds:
            height[k] = 0
            pop()
        elif k in visiting:
            # second visit: every dependency is done, unless one is on the
            # current path (a cycle)
            try:
                height[k] = max(map(getitem, ds)) + 1
            except KeyError:
                raise CycleError(find_cycle(dsk, deps) or [k, k]) from None
            pop()
        else:
            visiting.add(k)
            for d in ds:
                if d not in height:
                    push(d)


def _number(roots: list, deps: Mapping, rank: dict) -> dict:
    """Post-order numbering from ``roots``, lowest ``rank`` dependency first.

    Dependencies without dependencies of their own are numbered on the spot
    instead of going through the stack.
    """
    prio: dict = {}
    expanded: set = set()
    i = 0
    for root in roots:
        if not deps[root]:
            prio[root] = i
            i += 1
            continue
        stack = [root]
        push = stack.append
        pop = stack.pop
        while stack:
            k = pop()
            if k in prio:
                continue
            if k in expanded:  # second visit: all dependencies are numbered
                prio[k] = i
                i += 1
                continue
            ds = deps[k]
            n = len(ds)
            if n == 0:
                prio[k] = i
                i += 1
                continue
            if n == 1:
                todo = list(ds)
            elif n == 2:
                a, b = ds
                todo = [a, b] if rank[a] < rank[b] else [b, a]
            else:
                todo = sorted(ds, key=rank.__getitem__)
            for j, d in enumerate(todo):
                if d in prio:
                    continue
                if deps[d]:
                    expanded.add(k)
                    push(k)
                    stack.extend(reversed(todo[j:]))
                    break
                prio[d] = i
                i += 1
            else:
                prio[k] = i
                i += 1
    return prio
