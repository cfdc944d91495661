"""Check a graph before anything runs, with errors that name the culprit.

:func:`validate` makes one pass over every key and value of the graph (time
linear in the total size of the graph) and returns the dependencies it found,
so a scheduler pays nothing extra for validating.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mpiflow.core.errors import (
    CycleError,
    GraphError,
    MalformedTaskError,
    MissingDependencyError,
)
from mpiflow.core.spec import iskey
from mpiflow.core.traverse import _check_requested, _postorder, flatten_keys

__all__ = ["validate"]

_ATOMS = (str, int, bytes, float)


def validate(
    dsk: Mapping,
    keys: Any = None,
    dependencies: Mapping | None = None,
    cycles: bool = True,
) -> dict:
    """Check ``dsk`` for the mistakes that can be found before running it.

    Detected, in this order:

    * a requested key (in ``keys``) that is not in the graph:
      :class:`~mpiflow.core.errors.MissingKeyError`, suggesting close keys;
    * a key of the graph that is not a valid key (not a ``str``, ``bytes``,
      ``int``, ``float`` or tuple of those):
      :class:`~mpiflow.core.errors.GraphError`;
    * a malformed task: a tuple (that is not itself a key of the graph) whose
      first element is not callable while one of its other top-level elements
      is a key of the graph, such as ``('add', 'x', 'y')``. Such a tuple is
      literal data, so its keys would silently not be computed:
      :class:`~mpiflow.core.errors.MalformedTaskError`;
    * a missing tuple dependency: an argument such as ``('x', 3)`` (a ``str``
      followed by ints) that is not in the graph although the graph has other
      keys named ``'x'`` of the same length:
      :class:`~mpiflow.core.errors.MissingDependencyError`;
    * a cycle, if ``cycles`` is true: :class:`~mpiflow.core.errors.CycleError`
      naming the keys on it.

    Tasks, lists and nested tasks are searched at every depth.

    What cannot be detected: a reference to a missing *string* key. In the
    graph format a string that is not a key is literal data, so
    ``(add, 'x', 'y')`` without a key ``'y'`` passes the string ``'y'`` to
    ``add``. Likewise a tuple named like no key of the graph is literal data,
    and a tuple whose other elements are not keys is never flagged.

    Parameters
    ----------
    dsk : dict
        The graph.
    keys : key or list, optional
        The requested outputs: one key or (nested) lists of keys.
    dependencies : dict, optional
        ``{key: set_of_dependencies}`` if already known; it is returned as is.
    cycles : bool
        Whether to look for cycles (one linear walk).

    Returns
    -------
    dict
        ``{key: set_of_dependencies}`` for every key of ``dsk``.

    Examples
    --------
    >>> from operator import add
    >>> deps = validate({'x': 1, 'y': 2, 'z': (add, 'x', 'y')}, keys='z')
    >>> deps == {'x': set(), 'y': set(), 'z': {'x', 'y'}}
    True
    >>> validate({'x': 1, 'z': ('add', 'x', 2)})
    Traceback (most recent call last):
      ...
    mpiflow.core.errors.MalformedTaskError: task 'z': ('add', 'x', 2) is not a task: ...
    >>> validate({('x', 0): 1, ('x', 1): 2, 's': (add, ('x', 0), ('x', 2))})
    Traceback (most recent call last):
      ...
    mpiflow.core.errors.MissingDependencyError: task 's' depends on ('x', 2), ...
    """
    if keys is not None:
        _check_requested(dsk, flatten_keys(keys))
    shapes = _key_shapes(dsk)
    if dependencies is None:
        deps: dict = {}
        for k, v in dsk.items():
            s: set = set()
            _scan(k, v, dsk, shapes, s)
            deps[k] = s
    else:  # still scan every value for malformed tasks and missing keys
        deps = dependencies  # type: ignore[assignment]
        scratch: set = set()
        for k, v in dsk.items():
            _scan(k, v, dsk, shapes, scratch)
            scratch.clear()
    if cycles:
        try:
            _postorder(dsk, deps, sort=False)
        except CycleError:
            _postorder(dsk, deps, sort=True)  # same error, deterministic path
    return deps


def _key_shapes(dsk: Mapping) -> dict:
    """Check every key; index tuple keys ``(str, int, ...)`` by (name, length).

    Returns ``{(name, length): [count, first_key]}``.
    """
    shapes: dict = {}
    get = shapes.get
    for k in dsk:
        typ = type(k)
        if typ is str:
            continue
        if typ is not tuple:
            if not iskey(k):
                raise _bad_key(k)
            continue
        if _is_chunk_key(k):
            entry = get((k[0], len(k)))
            if entry is None:
                shapes[k[0], len(k)] = [1, k]
            else:
                entry[0] += 1
        elif not iskey(k):
            raise _bad_key(k)
    return shapes


def _is_chunk_key(k: tuple) -> bool:
    """True for ``(str, int, ...)`` with at least one int (bools excluded)."""
    n = len(k)
    if n < 2 or type(k[0]) is not str:
        return False
    if n == 2:
        return type(k[1]) is int
    if n == 3:
        return type(k[1]) is int and type(k[2]) is int
    return all(type(i) is int for i in k[1:])


def _bad_key(k: Any) -> GraphError:
    return GraphError(
        f"{k!r} (type {type(k).__name__}) is not a valid key: keys are str, bytes, "
        "int, float or tuples of those"
    )


def _scan(key: Any, value: Any, dsk: Mapping, shapes: dict, out: set) -> None:
    """Add the dependencies of ``value`` to ``out``, checking its tuples."""
    stack = [value]
    pop = stack.pop
    extend = stack.extend
    while stack:
        v = pop()
        typ = type(v)
        if typ is tuple:
            if not v:
                continue
            if callable(v[0]):
                extend(v[1:])
                continue
            try:
                if v in dsk:
                    out.add(v)
                    continue
            except TypeError:
                pass
            _check_literal_tuple(key, v, dsk, shapes)
        elif typ is list:
            extend(v)
        elif typ in _ATOMS:
            if v in dsk:
                out.add(v)
        elif typ is not dict:
            try:
                if v in dsk:
                    out.add(v)
            except TypeError:
                pass


def _in_graph(x: Any, dsk: Mapping) -> bool:
    try:
        return x in dsk
    except TypeError:
        return False


def _check_literal_tuple(key: Any, tup: tuple, dsk: Mapping, shapes: dict) -> None:
    """Raise if a non-task, non-key tuple looks like a broken task or reference."""
    head = tup[0]
    refs = [a for a in tup[1:] if type(a) is not bool and _in_graph(a, dsk)]
    if refs:
        text = repr(tup)
        if len(text) > 80:
            text = text[:77] + "..."
        listed = ", ".join(repr(r) for r in refs[:3])
        raise MalformedTaskError(
            key,
            tup,
            f"{text} is not a task: its first element {head!r} "
            f"({type(head).__name__}) is not callable, so the tuple is literal data and "
            f"the keys in it ({listed}) would not be computed. A task is "
            "(callable, *args); to pass several keys use a list; to keep this tuple as "
            "literal data wrap it with mpiflow.core.quote",
        )
    if shapes and _is_chunk_key(tup):
        entry = shapes.get((head, len(tup)))
        if entry is not None:
            count, example = entry
            noun = "key" if count == 1 else "keys"
            hint = f'the graph has {count} {noun} named "{head}", e.g. {example!r}'
            raise MissingDependencyError(key, tup, hint=hint)
