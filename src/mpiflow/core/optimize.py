"""Graph rewrites that keep results unchanged: inlining and linear fusion.

Both only substitute into argument positions (tasks and lists are entered;
literal tuples and dicts are not), exactly where a scheduler would replace a
key by its value, so a rewritten graph computes the same values for the keys
it keeps.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mpiflow.core.errors import CycleError
from mpiflow.core.spec import get_all_dependencies, subs
from mpiflow.core.traverse import _check_requested, _postorder, find_cycle, flatten_keys

__all__ = ["inline", "fuse"]

_KEY_TYPES = (str, bytes, int, float, tuple)
_MANY = object()  # marks a key with more than one dependent


def _has_task(value: Any) -> bool:
    """True if ``value`` is a task or a list holding one at any depth."""
    stack = [value]
    while stack:
        v = stack.pop()
        typ = type(v)
        if typ is tuple and v and callable(v[0]):
            return True
        if typ is list:
            stack.extend(v)
    return False


def _subs_map(value: Any, mapping: Mapping) -> Any:
    """Replace every reference to a key of ``mapping`` in ``value`` by its value."""
    typ = type(value)
    if typ is tuple and value and callable(value[0]):
        return (value[0],) + tuple([_subs_map(a, mapping) for a in value[1:]])
    if typ is list:
        return [_subs_map(a, mapping) for a in value]
    if typ in _KEY_TYPES:
        try:
            if value in mapping:
                return mapping[value]
        except TypeError:  # a literal tuple holding unhashable data
            pass
    return value


def inline(
    dsk: Mapping,
    keys: Any = None,
    inline_constants: bool = True,
    dependencies: Mapping | None = None,
    protected: Any = None,
) -> dict:
    """Replace references to ``keys`` by their values and drop those keys.

    Each reference to an inlined key is replaced by its value (a task then
    nests inside its dependent; its own references to inlined keys are
    replaced too). Inlining a task that several keys use makes each of them
    compute it: inline cheap tasks only.

    Parameters
    ----------
    dsk : dict
        The graph.
    keys : key or list, optional
        Keys to inline.
    inline_constants : bool
        Also inline every key whose value holds no task: literal data, lists
        of keys, and aliases (a value that is another key).
    dependencies : dict, optional
        ``{key: set_of_dependencies}`` of ``dsk``, if already computed.
    protected : key or list, optional
        Keys that must stay in the result (the outputs). They are still
        substituted into the keys that use them, but not dropped.

    Returns
    -------
    dict
        The new graph; ``dsk`` is not modified.

    Raises
    ------
    MissingKeyError
        If a key of ``keys`` is not in ``dsk``.
    CycleError
        If the keys to inline depend on each other in a cycle.

    Examples
    --------
    >>> from operator import add, neg
    >>> d = {'x': 1, 'y': (neg, 'x'), 'z': (add, 'x', 'y')}
    >>> inline(d) == {'y': (neg, 1), 'z': (add, 1, 'y')}
    True
    >>> inline(d, keys='y') == {'z': (add, 1, (neg, 1))}
    True
    >>> inline(d, keys='y', inline_constants=False) == {'x': 1, 'z': (add, 'x', (neg, 'x'))}
    True
    >>> inline(d, keys='y', protected=['y']) == {'y': (neg, 1), 'z': (add, 1, (neg, 1))}
    True
    """
    if dependencies is None:
        dependencies = get_all_dependencies(dsk)
    targets: set = set()
    if keys is not None:
        requested = flatten_keys(keys)
        _check_requested(dsk, requested)
        targets.update(requested)
    if inline_constants:
        targets.update(k for k, v in dsk.items() if not _has_task(v))
    if not targets:
        return dict(dsk)
    keep = set(flatten_keys(protected)) if protected is not None else set()

    # resolve the inlined values among themselves, dependencies first
    sub = {k: None for k in dsk if k in targets}
    sub_deps = {k: targets.intersection(dependencies[k]) for k in sub}
    replaced: dict = {}
    for k in _postorder(sub, sub_deps, sort=False):
        v = dsk[k]
        replaced[k] = _subs_map(v, replaced) if sub_deps[k] else v

    out = {}
    for k, v in dsk.items():
        if k in targets:
            if k in keep:
                out[k] = replaced[k]
            continue
        ds = dependencies[k]
        out[k] = _subs_map(v, replaced) if ds and not targets.isdisjoint(ds) else v
    return out


def _count_refs(value: Any, key: Any) -> int:
    """How many argument positions of ``value`` refer to ``key``."""
    n = 0
    key_type = type(key)
    stack = [value]
    while stack:
        v = stack.pop()
        typ = type(v)
        if typ is tuple and v and callable(v[0]):
            stack.extend(v[1:])
        elif typ is list:
            stack.extend(v)
        elif typ is key_type:
            try:
                if v == key:
                    n += 1
            except Exception:  # odd __eq__ in literal data: not a reference
                pass
    return n


def fuse(
    dsk: Mapping,
    keys: Any = None,
    dependencies: Mapping | None = None,
    max_length: int | None = None,
) -> tuple[dict, dict]:
    """Fuse linear chains of tasks into single tasks.

    A key ``a`` whose only dependent is ``b``, where ``b`` depends on ``a``
    only and refers to it exactly once, is substituted into ``b`` and
    dropped; this repeats down the chain, so ``a -> b -> c`` becomes one task
    under the key ``c`` (the last member keeps its key). Keys in ``keys`` are
    never dropped. The fused graph computes the same value for every key it
    keeps. Linear time.

    Parameters
    ----------
    dsk : dict
        The graph.
    keys : key or list, optional
        Keys that must stay in the graph (the outputs).
    dependencies : dict, optional
        ``{key: set_of_dependencies}`` of ``dsk``, if already computed.
    max_length : int, optional
        Fuse at most this many keys into one task (a chain longer than that
        is cut into several tasks). A fused chain of ``n`` keys nests tasks
        ``n`` deep, and an engine that evaluates nested tasks recursively
        needs stack for each level. Default: no limit.

    Returns
    -------
    dsk : dict
        The fused graph.
    dependencies : dict
        ``{key: set_of_dependencies}`` of the fused graph.

    Raises
    ------
    CycleError
        If a chain of single dependencies closes on itself.

    Examples
    --------
    >>> from operator import add, neg
    >>> d = {'a': 1, 'b': (neg, 'a'), 'c': (neg, 'b'), 'd': (add, 'c', 'c')}
    >>> dsk, deps = fuse(d, keys=['d'])
    >>> dsk == {'c': (neg, (neg, 1)), 'd': (add, 'c', 'c')}
    True
    >>> deps == {'c': set(), 'd': {'c'}}
    True
    >>> fuse(d, keys=['b', 'd'])[0] == {'b': (neg, 1), 'c': (neg, 'b'), 'd': (add, 'c', 'c')}
    True
    """
    if dependencies is None:
        dependencies = get_all_dependencies(dsk)
    keep = set(flatten_keys(keys)) if keys is not None else set()
    child_of = _linear_links(dsk, dependencies, keep)
    if not child_of:
        return dict(dsk), dict(dependencies)
    fused_away = set(child_of.values())
    out: dict = {}
    out_deps: dict = {}
    n_fused = 0
    for k, v in dsk.items():
        if k in fused_away:
            continue
        if k not in child_of:
            out[k] = v
            out_deps[k] = dependencies[k]
            continue
        members = [k]
        c = child_of[k]
        while True:
            members.append(c)
            c = child_of.get(c)
            if c is None:
                break
        n_fused += len(members) - 1  # every member but the head was fused away
        step = max_length if max_length and max_length > 0 else len(members)
        segments = [members[i : i + step] for i in range(0, len(members), step)]
        for seg in reversed(segments):  # lower segments first: dependencies first
            out[seg[0]] = _fuse_segment(seg, dsk)
            out_deps[seg[0]] = dependencies[seg[-1]]
    if n_fused != len(fused_away):
        # some fused keys were never reached from a kept key: they form a loop
        raise CycleError(find_cycle(dsk, dependencies) or [])
    return out, out_deps


def _linear_links(dsk: Mapping, deps: Mapping, keep: set) -> dict:
    """``{parent: child}`` for every child that can be fused into its parent."""
    only_dependent: dict = {}
    for k, ds in deps.items():
        for d in ds:
            only_dependent[d] = _MANY if d in only_dependent else k
    child_of = {}
    for d, p in only_dependent.items():
        if p is _MANY or d in keep or len(deps[p]) != 1:
            continue
        if _count_refs(dsk[p], d) == 1:
            child_of[p] = d
    return child_of


def _fuse_segment(members: list, dsk: Mapping) -> Any:
    """Value of ``members[0]`` with ``members[1:]`` (its chain) substituted in."""
    value = dsk[members[-1]]
    for i in range(len(members) - 2, -1, -1):
        value = subs(dsk[members[i]], members[i + 1], value)
    return value
