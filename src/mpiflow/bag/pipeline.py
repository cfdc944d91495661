"""Element-wise steps of a bag and the optimizer that fuses them.

``b.map(f).filter(p).pluck(0)`` adds three layers to the graph, each with
one task per partition of the form ``(Pipeline((step,)), (input, i))``.
:func:`optimize` culls the graph, fuses every linear chain of tasks (a key
read by exactly one other task) with :func:`mpiflow.core.fuse`, and then
merges nested pipelines into one: ``(P2, (P1, x))`` becomes
``(P1 + P2, x)``. A chain of element-wise steps is then one task per
partition that streams each element through all the steps with iterators,
never building the intermediate lists.

A per-partition reduction step (:class:`PerPartition`) that was written to
accept any iterable asks the pipeline in front of it for a *lazy* result,
so ``b.str.split().flatten().frequencies()`` counts words while splitting
lines, without a list of all words.

Examples
--------
>>> p = Pipeline((MapStep(str.upper), FilterStep(str.isalpha)))
>>> p(['a', 'b1', 'c'])
['A', 'C']
>>> dsk = {('x', 0): ['a', 'b'], ('y', 0): (Pipeline((MapStep(str.upper),)), ('x', 0)),
...        ('z', 0): (Pipeline((MapStep(len),)), ('y', 0))}
>>> out = optimize(dsk, [('z', 0)])
>>> out[('z', 0)][0]
Pipeline(map(upper), map(len))
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Mapping
from itertools import chain, filterfalse, starmap
from operator import itemgetter
from typing import Any

from mpiflow.core.layers import LayeredGraph
from mpiflow.core.optimize import fuse as _fuse
from mpiflow.core.spec import funcname
from mpiflow.core.traverse import cull

__all__ = [
    "Pipeline",
    "MapStep",
    "StarmapStep",
    "FilterStep",
    "FlattenStep",
    "PluckStep",
    "PartitionStep",
    "PerPartition",
    "SampleStep",
    "reify",
    "optimize",
]


class _NoDefault:
    """Marker for "argument not given" (``None`` is a valid value)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "no_default"

    def __reduce__(self):
        return "no_default"


no_default = _NoDefault()


def reify(seq: Any) -> Any:
    """Turn an iterator into a list; other values are returned unchanged.

    Examples
    --------
    >>> reify(iter([1, 2])), reify((1, 2))
    ([1, 2], (1, 2))
    """
    if isinstance(seq, Iterator):
        return list(seq)
    return seq


# --------------------------------------------------------------------------------------
# Steps: callables from an iterable to an iterable
# --------------------------------------------------------------------------------------


class _Step:
    __slots__ = ()

    def __repr__(self) -> str:
        return f"{self.kind}({self._label()})"

    def _label(self) -> str:
        return funcname(getattr(self, "func", None) or self)


class MapStep(_Step):
    """``func(x, *args, **kwargs)`` for every element.

    Examples
    --------
    >>> list(MapStep(pow, 2)([1, 2, 3]))
    [1, 4, 9]
    """

    __slots__ = ("func", "args", "kwargs")
    kind = "map"

    def __init__(self, func: Callable, *args: Any, **kwargs: Any) -> None:
        self.func, self.args, self.kwargs = func, args, kwargs

    def __call__(self, seq: Any) -> Any:
        func, args, kwargs = self.func, self.args, self.kwargs
        if not args and not kwargs:
            return map(func, seq)
        if not kwargs:
            return (func(x, *args) for x in seq)
        return (func(x, *args, **kwargs) for x in seq)

    def __reduce__(self):
        return (_make_step, (MapStep, self.func, self.args, self.kwargs))


class StarmapStep(_Step):
    """``func(*x, **kwargs)`` for every element ``x``.

    Examples
    --------
    >>> list(StarmapStep(pow)([(2, 3), (3, 2)]))
    [8, 9]
    """

    __slots__ = ("func", "kwargs")
    kind = "starmap"

    def __init__(self, func: Callable, **kwargs: Any) -> None:
        self.func, self.kwargs = func, kwargs

    def __call__(self, seq: Any) -> Any:
        func, kwargs = self.func, self.kwargs
        if not kwargs:
            return starmap(func, seq)
        return (func(*x, **kwargs) for x in seq)

    def __reduce__(self):
        return (_make_step, (StarmapStep, self.func, (), self.kwargs))


class FilterStep(_Step):
    """Keep the elements for which ``predicate`` is true (false if ``keep=False``).

    Examples
    --------
    >>> list(FilterStep(bool)([0, 1, 2])), list(FilterStep(bool, False)([0, 1, 2]))
    ([1, 2], [0])
    """

    __slots__ = ("func", "keep")

    def __init__(self, predicate: Callable, keep: bool = True) -> None:
        self.func, self.keep = predicate, keep

    @property
    def kind(self) -> str:
        """``'filter'`` or ``'remove'``.

        Examples
        --------
        >>> FilterStep(bool, keep=False).kind
        'remove'
        """
        return "filter" if self.keep else "remove"

    def __call__(self, seq: Any) -> Any:
        return filter(self.func, seq) if self.keep else filterfalse(self.func, seq)

    def __reduce__(self):
        return (FilterStep, (self.func, self.keep))


class FlattenStep(_Step):
    """Concatenate the elements (each an iterable).

    Examples
    --------
    >>> list(FlattenStep()([[1, 2], [3]]))
    [1, 2, 3]
    """

    __slots__ = ()
    kind = "flatten"

    def __call__(self, seq: Any) -> Any:
        return chain.from_iterable(seq)

    def _label(self) -> str:
        return ""

    def __reduce__(self):
        return (FlattenStep, ())


class PluckStep(_Step):
    """``x[key]`` (or a tuple for a list of keys) of every element, with a default.

    Examples
    --------
    >>> list(PluckStep('a')([{'a': 1}, {'a': 2}]))
    [1, 2]
    >>> list(PluckStep([0, 2])([(1, 2, 3)])), list(PluckStep(5, None)([(1,)]))
    ([(1, 3)], [None])
    """

    __slots__ = ("key", "default")
    kind = "pluck"

    def __init__(self, key: Any, default: Any = no_default) -> None:
        self.key, self.default = key, default

    def __call__(self, seq: Any) -> Any:
        key, default = self.key, self.default
        if isinstance(key, list):
            if default is no_default:
                if len(key) == 1:
                    k0 = key[0]
                    return ((x[k0],) for x in seq)
                return map(itemgetter(*key), seq)
            return (tuple(_get(x, k, default) for k in key) for x in seq)
        if default is no_default:
            return map(itemgetter(key), seq)
        return (_get(x, key, default) for x in seq)

    def _label(self) -> str:
        return repr(self.key)

    def __reduce__(self):
        return (PluckStep, (self.key, self.default))


def _get(x: Any, key: Any, default: Any) -> Any:
    try:
        return x[key]
    except (KeyError, IndexError):
        return default


class PartitionStep(_Step):
    """``func(partition, *args, **kwargs)`` on the whole partition (a list).

    Examples
    --------
    >>> PartitionStep(sorted)(iter([3, 1, 2]))
    [1, 2, 3]
    """

    __slots__ = ("func", "args", "kwargs")
    kind = "map_partitions"

    def __init__(self, func: Callable, *args: Any, **kwargs: Any) -> None:
        self.func, self.args, self.kwargs = func, args, kwargs

    def __call__(self, seq: Any) -> Any:
        if isinstance(seq, Iterator):
            seq = list(seq)
        return self.func(seq, *self.args, **self.kwargs)

    def __reduce__(self):
        return (_make_step, (PartitionStep, self.func, self.args, self.kwargs))


class SampleStep(_Step):
    """Keep each element with probability ``prob``, drawing from ``Random(seed)``.

    Examples
    --------
    >>> len(list(SampleStep(0.5, 1)(range(1000)))) in range(400, 600)
    True
    """

    __slots__ = ("prob", "seed")

    def __init__(self, prob: float, seed: int) -> None:
        self.prob, self.seed = prob, seed

    def __call__(self, seq: Any) -> Any:
        draw = random.Random(self.seed).random
        prob = self.prob
        return (x for x in seq if draw() < prob)

    kind = "random_sample"

    def _label(self) -> str:
        return str(self.prob)

    def __reduce__(self):
        return (SampleStep, (self.prob, self.seed))


def _make_step(cls: type, func: Callable, args: tuple, kwargs: dict) -> _Step:
    return cls(func, *args, **kwargs)


class Pipeline:
    """A chain of steps run on one partition; returns a list unless ``lazy``.

    Parameters
    ----------
    steps : tuple
        Step callables, applied in order, each from an iterable to an iterable.
    lazy : bool, default False
        Return the final iterator as is (for a reader that consumes any iterable).

    Examples
    --------
    >>> Pipeline((MapStep(abs),))([-1, 2])
    [1, 2]
    >>> Pipeline((MapStep(abs),), lazy=True)([-1, 2])  # doctest: +ELLIPSIS
    <map object at ...>
    """

    __slots__ = ("steps", "lazy")

    def __init__(self, steps: tuple, lazy: bool = False) -> None:
        self.steps = tuple(steps)
        self.lazy = lazy

    def __call__(self, seq: Any) -> Any:
        for step in self.steps:
            seq = step(seq)
        if self.lazy:
            return seq
        if isinstance(seq, Iterator):
            return list(seq)
        return seq

    def then(self, other: Pipeline) -> Pipeline:
        """This pipeline followed by ``other`` (laziness of ``other``).

        Examples
        --------
        >>> Pipeline((MapStep(abs),)).then(Pipeline((MapStep(str),)))
        Pipeline(map(abs), map(str))
        """
        return Pipeline(self.steps + other.steps, other.lazy)

    def __repr__(self) -> str:
        lazy = ", lazy=True" if self.lazy else ""
        return f"Pipeline({', '.join(map(repr, self.steps))}{lazy})"

    def __reduce__(self):
        return (Pipeline, (self.steps, self.lazy))


class PerPartition:
    """The per-partition step of a reduction: ``func(partition)``.

    With ``lazy=True`` the function accepts any iterable, so a pipeline fused
    in front of it hands over its iterator instead of building a list.

    Examples
    --------
    >>> PerPartition(sum, lazy=True)(iter([1, 2]))
    3
    """

    __slots__ = ("func", "lazy")

    def __init__(self, func: Callable, lazy: bool = False) -> None:
        self.func, self.lazy = func, lazy

    def __call__(self, seq: Any) -> Any:
        if not self.lazy and isinstance(seq, Iterator):
            seq = list(seq)
        return self.func(seq)

    def __repr__(self) -> str:
        return f"PerPartition({funcname(self.func)})"

    def __reduce__(self):
        return (PerPartition, (self.func, self.lazy))


# --------------------------------------------------------------------------------------
# The optimizer
# --------------------------------------------------------------------------------------


def _combine(head: Any, inner: Any) -> Any:
    """``(head, inner)`` with a pipeline ``inner`` merged into ``head`` where possible."""
    if type(inner) is tuple and len(inner) == 2 and type(inner[0]) is Pipeline:
        ihead = inner[0]
        if type(head) is Pipeline:
            return (ihead.then(head), inner[1])
        if type(head) is PerPartition and head.lazy and not ihead.lazy:
            return (head, (Pipeline(ihead.steps, lazy=True), inner[1]))
    return (head, inner)


_CHAIN = (Pipeline, PerPartition)


def _merge_nested(task: Any) -> Any:
    """Merge ``(P2, (P1, x))`` into ``(P1.then(P2), x)`` everywhere in ``task``.

    A fused chain nests one level per step, so chains are walked with a loop,
    not recursion: a bag with thousands of chained maps still optimizes.
    """
    typ = type(task)
    if typ is list:
        return [_merge_nested(t) for t in task]
    if typ is not tuple or not task or not callable(task[0]):
        return task
    heads = []
    t = task
    while type(t) is tuple and len(t) == 2 and type(t[0]) in _CHAIN:
        heads.append(t[0])
        t = t[1]
    if heads:
        out = _merge_nested(t)
        for head in reversed(heads):
            out = _combine(head, out)
        return out
    return (task[0], *[_merge_nested(a) for a in task[1:]])


def optimize(dsk: Mapping, keys: list, fuse: bool = True, **kwargs: Any) -> dict:
    """Optimize a bag graph for the flat list ``keys``: cull, fuse chains, merge pipelines.

    Parameters
    ----------
    dsk : Mapping
        A :class:`~mpiflow.core.layers.LayeredGraph` or a dict.
    keys : list
        The output keys (never fused away).
    fuse : bool, default True
        Fuse linear chains; with False the graph is only culled.
    **kwargs
        Ignored (the keywords of ``compute``).

    Returns
    -------
    dict

    Examples
    --------
    >>> dsk = {'a': [1, -2], 'b': (Pipeline((MapStep(abs),)), 'a'), 'c': (sum, 'b')}
    >>> optimize(dsk, ['c'])
    {'c': (<built-in function sum>, (Pipeline(map(abs)), [1, -2]))}
    >>> sorted(optimize(dsk, ['c'], fuse=False))
    ['a', 'b', 'c']
    """
    if isinstance(dsk, LayeredGraph):
        try:
            dsk = dsk.cull_keys(keys)
        except KeyError:
            pass
        dsk = dsk.to_dict()
    culled, deps = cull(dsk, keys)
    if not fuse:
        return culled
    fused, _ = _fuse(culled, keys, dependencies=deps)
    return {k: _merge_nested(v) for k, v in fused.items()}
