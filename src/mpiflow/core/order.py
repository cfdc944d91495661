"""A static priority for every task, chosen to free memory early.

The local engine keeps ready tasks in a heap and always runs the one with the
lowest priority. :func:`order` numbers the keys so that this finishes what it
started before starting new leaves: it walks the graph depth first from its
outputs and numbers each key after its dependencies (post-order), entering the
taller dependency first. A tree reduction over ``n`` leaves run this way holds
only ``O(log n)`` intermediate results per worker at any time.

Depth first alone is not enough when results are shared: in ``x + x.T`` block
``(i, j)`` of the sum needs blocks ``(i, j)`` and ``(j, i)`` of ``x``, and a walk
that does the upper triangle first holds half of ``x`` until it reaches the
lower one. So when numbering a shared key leaves one of its dependents with
every input numbered, that dependent is numbered next: it finishes with what
is already computed, and lets it go.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from itertools import chain
from typing import Any

from mpiflow.core.errors import CycleError
from mpiflow.core.spec import get_all_dependencies
from mpiflow.core.traverse import find_cycle

__all__ = ["order"]

#: A key with more dependents than this is not followed to its dependents that
#: became ready: its list of dependents costs memory and a scan, and running
#: a few of many dependents early frees nothing.
SHARED_LIMIT = 32


def order(dsk: Mapping, dependencies: Mapping | None = None) -> dict[Any, int]:
    """Return ``{key: priority}``: 0 runs first, every key after its dependencies.

    The outputs (keys nothing depends on) are visited in dict order. From each,
    a depth-first walk enters the dependencies of a key tallest first (height:
    longest path down to a key without dependencies), ties broken by position
    in the dict, and numbers each key once all its dependencies are numbered.
    When a key with 2 to :data:`SHARED_LIMIT` dependents is numbered, those of
    its dependents whose inputs are now all numbered come next (tallest
    first), so that shared inputs are released early.
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

    A shared input is used up before the walk moves on: ``ba`` comes right
    after ``ab``, because both need ``a`` and ``b``.

    >>> dsk = {'a': 1, 'b': 2, 'c': 3,
    ...        'ab': (add, 'a', 'b'), 'bc': (add, 'b', 'c'), 'ba': (add, 'b', 'a'),
    ...        'total': (sum, ['ab', 'bc', 'ba'])}
    >>> o = order(dsk)
    >>> sorted(dsk, key=o.get)
    ['a', 'b', 'ab', 'ba', 'c', 'bc', 'total']
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
    counts = Counter(chain.from_iterable(dependencies.values()))
    roots = [k for k in dsk if k not in counts]
    shared = _shared_dependents(dependencies, counts)
    return _number(roots, dependencies, rank, shared)


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


def _shared_dependents(deps: Mapping, counts: Mapping) -> dict:
    """``{key: [its dependents]}`` for keys with 2 to SHARED_LIMIT dependents.

    Only these are scanned by :func:`_number`: a key with one dependent has
    nothing to share, and a wide one costs more to scan than it saves.
    """
    out: dict = {d: [] for d, c in counts.items() if 1 < c <= SHARED_LIMIT}
    if not out:
        return out
    isdisjoint = out.keys().isdisjoint
    get = out.get
    for k, ds in deps.items():
        if not isdisjoint(ds):
            for d in ds:
                dependents = get(d)
                if dependents is not None:
                    dependents.append(k)
    return out


def _number(roots: list, deps: Mapping, rank: dict, shared: dict) -> dict:
    """Post-order numbering from ``roots``, lowest ``rank`` dependency first.

    Dependencies without dependencies of their own are numbered on the spot
    instead of going through the stack. When numbering a key in ``shared``
    leaves one of its dependents with every dependency numbered, that
    dependent is pushed as already expanded, so it is numbered next.
    """
    prio: dict = {}
    expanded: set = set()
    remaining: dict = {}  # see _became_ready
    ready: list = []
    sharing = shared.get
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
            waiting = False
            if k not in expanded:
                ds = deps[k]
                n = len(ds)
                if n == 1:
                    todo = list(ds)
                elif n == 2:
                    a, b = ds
                    todo = [a, b] if rank[a] < rank[b] else [b, a]
                elif n:
                    todo = sorted(ds, key=rank.__getitem__)
                else:
                    todo = ()
                for j, d in enumerate(todo):
                    if d in prio:
                        continue
                    if deps[d]:
                        expanded.add(k)
                        push(k)
                        stack.extend(reversed(todo[j:]))
                        waiting = True
                        break
                    prio[d] = i
                    i += 1
                    dependents = sharing(d)
                    if dependents is not None:
                        _became_ready(dependents, deps, prio, remaining, ready)
            if not waiting:  # every dependency of k is numbered
                prio[k] = i
                i += 1
                dependents = sharing(k)
                if dependents is not None:
                    _became_ready(dependents, deps, prio, remaining, ready)
            if ready:  # often just k
                if len(ready) > 1:
                    ready.sort(key=rank.__getitem__, reverse=True)
                expanded.update(ready)
                stack.extend(ready)
                ready.clear()
    return prio


def _became_ready(dependents: list, deps: Mapping, prio: dict, remaining: dict, ready: list):
    """Append to ``ready`` the ``dependents`` whose dependencies are now all numbered.

    Called once per numbered dependency, so none of ``dependents`` is numbered
    yet. ``remaining[p]`` lists the dependencies of ``p`` not yet seen
    numbered; numbered ones are popped off its end, so each is checked once.
    """
    for p in dependents:
        rem = remaining.get(p)
        if rem is None:
            rem = remaining[p] = list(deps[p])
        while rem and rem[-1] in prio:
            rem.pop()
        if not rem:
            ready.append(p)
