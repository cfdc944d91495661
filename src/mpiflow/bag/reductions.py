"""Reductions of a bag: a step per partition, then a tree of aggregations.

Every reduction is ``perpartition`` on each partition followed by
``aggregate`` on lists of at most ``split_every`` (default 8) results, level
by level, until one value is left. Built-in reductions take their partition
as an iterator, so the element-wise steps in front of them stream into them
without building a list (see :mod:`mpiflow.bag.pipeline`).

Examples
--------
>>> import mpiflow.bag as db
>>> b = db.from_sequence(range(10), npartitions=4)
>>> b.sum().compute(scheduler='sync'), b.count().compute(scheduler='sync')
(45, 10)
>>> b.reduction(sum, sum, split_every=2).compute(scheduler='sync')
45
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from functools import partial
from typing import Any

from mpiflow.bag.item import Item
from mpiflow.bag.kernels import (
    _count,
    _dict_items,
    _distinct,
    _distinct_agg,
    _distinct_values,
    _fail_empty,
    _fold_agg,
    _fold_part,
    _foldby_agg,
    _foldby_part,
    _freq_pairs,
    _frequencies,
    _head,
    _keyfunc,
    _mean_of,
    _merge_counts,
    _merge_moments,
    _moments,
    _nonempty,
    _skip_empty,
    _std_of,
    _take_agg,
    _topk,
    _topk_agg,
    _var_of,
)
from mpiflow.bag.pipeline import PerPartition, no_default
from mpiflow.core.layers import LayeredGraph
from mpiflow.core.spec import funcname
from mpiflow.core.tokenize import tokenize

__all__ = ["BagReductions"]


class BagReductions:
    """Reduction methods of :class:`~mpiflow.bag.Bag` (a mixin).

    Examples
    --------
    >>> import mpiflow.bag as db
    >>> db.from_sequence([3, 1, 2]).max().compute(scheduler='sync')
    3
    """

    __slots__ = ()

    def _tree(
        self,
        prefix: str,
        perpartition: Callable,
        aggregate: Callable,
        *,
        split_every: int | None = None,
        final: Callable | None = None,
        out_type: type = Item,
        lazy: bool = True,
        token: Any = None,
    ) -> Any:
        """``perpartition`` on every partition, then a tree of ``aggregate`` calls."""
        split_every = 8 if split_every is None else int(split_every)
        if split_every < 2:
            raise ValueError(f"split_every must be at least 2, got {split_every}")
        tok = tokenize(self.name, prefix, perpartition, aggregate, split_every, final, token)
        a, b = f"{prefix}-part-{tok}", f"{prefix}-aggregate-{tok}"
        per = PerPartition(perpartition, lazy=lazy)
        part = {(a, i): (per, (self.name, i)) for i in range(self.npartitions)}
        keys = list(part)
        layer: dict = {}
        level = 0
        while len(keys) > split_every:
            keys = [
                _put(layer, (b, level, j), (aggregate, keys[i : i + split_every]))
                for j, i in enumerate(range(0, len(keys), split_every))
            ]
            level += 1
        task: Any = (aggregate, keys)
        if final is not None:
            task = (final, task)
        if out_type is not Item:
            task = (_as_list, task)
        layer[(b, 0)] = task
        g = LayeredGraph.from_layer(a, part, [self])
        g = LayeredGraph.from_layer(b, layer, [g])
        if out_type is Item:
            return Item(g, (b, 0))
        return type(self)(g, b, 1)

    def reduction(
        self,
        perpartition: Callable,
        aggregate: Callable,
        split_every: int | None = None,
        out_type: type = Item,
        name: str | None = None,
    ) -> Any:
        """A reduction: ``perpartition(list)`` on every partition, ``aggregate(list)`` on results.

        ``aggregate`` receives a list of at most ``split_every`` values (per-
        partition results, or results of earlier ``aggregate`` calls) and is
        called in a tree until one value is left.

        Parameters
        ----------
        perpartition : callable
            From a partition (a list) to a value.
        aggregate : callable
            From a list of values to one value.
        split_every : int, default 8
            Fan-in of the tree.
        out_type : {Item, Bag}, default Item
            ``Bag`` gives a one-partition bag whose partition is the result
            (which must then be iterable).
        name : str, optional
            Prefix of the keys.

        Examples
        --------
        >>> import mpiflow.bag as db
        >>> b = db.from_sequence(range(10), npartitions=5)
        >>> b.reduction(len, sum, split_every=2).compute(scheduler='sync')
        10
        """
        return self._tree(
            name or funcname(perpartition),
            perpartition,
            aggregate,
            split_every=split_every,
            out_type=out_type,
            lazy=False,
        )

    def fold(
        self,
        binop: Callable,
        combine: Callable | None = None,
        initial: Any = no_default,
        split_every: int | None = None,
        out_type: type = Item,
    ) -> Any:
        """Reduce with ``binop(total, element)``; ``combine(total, total)`` joins partitions.

        Parameters
        ----------
        binop : callable
            ``binop(accumulator, element)``.
        combine : callable, optional
            ``combine(accumulator, accumulator)``; default ``binop``.
        initial : object, optional
            Start value of every partition's and of each aggregation's fold.
            Without it, empty partitions are skipped.
        split_every : int, optional
        out_type : {Item, Bag}

        Examples
        --------
        >>> import mpiflow.bag as db
        >>> from operator import add
        >>> b = db.from_sequence(range(5), npartitions=2)
        >>> b.fold(add).compute(scheduler='sync')
        10
        >>> b.fold(lambda acc, x: acc | {x % 2}, lambda a, c: a | c,
        ...        initial=frozenset()).compute(scheduler='sync')
        frozenset({0, 1})
        """
        combine = binop if combine is None else combine
        out = self._tree(
            "fold",
            partial(_fold_part, binop, initial),
            partial(_fold_agg, combine, initial),
            split_every=split_every,
            final=partial(_fail_empty, "fold"),
            out_type=out_type,
        )
        return out

    def foldby(
        self,
        key: Any,
        binop: Callable,
        initial: Any = no_default,
        combine: Callable | None = None,
        combine_initial: Any = no_default,
        split_every: int | None = None,
    ) -> Any:
        """Group by ``key`` and fold each group: the fast, shuffle-free groupby-reduce.

        Parameters
        ----------
        key : callable or hashable
            Group key of an element: ``key(x)``, or ``x[key]`` if not callable.
        binop : callable
            ``binop(accumulator, element)`` within a partition.
        initial : object, optional
            First accumulator of each group in each partition (called if
            callable); default: the group's first element.
        combine : callable, optional
            ``combine(accumulator, accumulator)`` across partitions; default ``binop``.
        combine_initial : object, optional
            First accumulator of each group when combining (called if callable).
        split_every : int, optional

        Returns
        -------
        Bag
            One partition of ``(key, value)`` pairs.

        Examples
        --------
        >>> import mpiflow.bag as db
        >>> from operator import add
        >>> b = db.from_sequence(range(10), npartitions=3)
        >>> sorted(b.foldby(lambda x: x % 2, add).compute(scheduler='sync'))
        [(0, 20), (1, 25)]
        >>> sorted(b.foldby(lambda x: x % 2, lambda n, x: n + 1, 0, add, 0)
        ...        .compute(scheduler='sync'))
        [(0, 5), (1, 5)]
        """
        keyf = _keyfunc(key)
        combine = binop if combine is None else combine
        return self._tree(
            "foldby",
            partial(_foldby_part, keyf, binop, initial),
            partial(_foldby_agg, combine, combine_initial),
            split_every=split_every,
            final=_dict_items,
            out_type=type(self),
        )

    def frequencies(self, split_every: int | None = None, sort: bool = False) -> Any:
        """Count the occurrences of each distinct element: a bag of ``(element, count)``.

        Examples
        --------
        >>> import mpiflow.bag as db
        >>> b = db.from_sequence(['a', 'b', 'a', 'c', 'a', 'b'], npartitions=2)
        >>> b.frequencies(sort=True).compute(scheduler='sync')
        [('a', 3), ('b', 2), ('c', 1)]
        """
        return self._tree(
            "frequencies",
            _frequencies,
            _merge_counts,
            split_every=split_every,
            final=partial(_freq_pairs, sort),
            out_type=type(self),
        )

    def topk(self, k: int, key: Any = None, split_every: int | None = None) -> Any:
        """The ``k`` largest elements, largest first (by ``key`` if given).

        Examples
        --------
        >>> import mpiflow.bag as db
        >>> b = db.from_sequence([5, 1, 9, 3, 7], npartitions=2)
        >>> b.topk(2).compute(scheduler='sync')
        [9, 7]
        >>> db.from_sequence([('a', 2), ('b', 5)]).topk(1, key=1).compute(scheduler='sync')
        [('b', 5)]
        """
        keyf = None if key is None else _keyfunc(key)
        return self._tree(
            "topk",
            partial(_topk, k, keyf),
            partial(_topk_agg, k, keyf),
            split_every=split_every,
            out_type=type(self),
        )

    def distinct(self, key: Any = None) -> Any:
        """The distinct elements (by ``key`` if given, keeping the first seen).

        Examples
        --------
        >>> import mpiflow.bag as db
        >>> db.from_sequence([1, 2, 1, 3, 2], npartitions=2).distinct().compute(scheduler='sync')
        [1, 2, 3]
        >>> db.from_sequence(['ab', 'ac', 'b']).distinct(key=lambda s: s[0]).compute(
        ...     scheduler='sync')
        ['ab', 'b']
        """
        keyf = None if key is None else _keyfunc(key)
        return self._tree(
            "distinct",
            partial(_distinct, keyf),
            partial(_distinct_agg, keyf),
            final=partial(_distinct_values, keyf),
            out_type=type(self),
        )

    def count(self, split_every: int | None = None) -> Item:
        """The number of elements.

        Examples
        --------
        >>> import mpiflow.bag as db
        >>> db.from_sequence(range(7), npartitions=3).count().compute(scheduler='sync')
        7
        """
        return self._tree("count", _count, sum, split_every=split_every)

    def sum(self, split_every: int | None = None) -> Item:
        """The sum of the elements.

        Examples
        --------
        >>> import mpiflow.bag as db
        >>> db.from_sequence(range(7), npartitions=3).sum().compute(scheduler='sync')
        21
        """
        return self._tree("sum", sum, sum, split_every=split_every)

    def _extreme(self, func: Callable, split_every: int | None) -> Item:
        what = func.__name__
        return self._tree(
            what,
            partial(_nonempty, func),
            partial(_skip_empty, func, what),
            split_every=split_every,
            final=partial(_fail_empty, what),
        )

    def min(self, split_every: int | None = None) -> Item:
        """The smallest element (empty partitions are fine; an empty bag raises).

        Examples
        --------
        >>> import mpiflow.bag as db
        >>> db.from_sequence([4, 2, 8], npartitions=2).min().compute(scheduler='sync')
        2
        """
        return self._extreme(min, split_every)

    def max(self, split_every: int | None = None) -> Item:
        """The largest element (empty partitions are fine; an empty bag raises).

        Examples
        --------
        >>> import mpiflow.bag as db
        >>> db.from_sequence([4, 2, 8], npartitions=2).max().compute(scheduler='sync')
        8
        """
        return self._extreme(max, split_every)

    def any(self, split_every: int | None = None) -> Item:
        """True if any element is truthy.

        Examples
        --------
        >>> import mpiflow.bag as db
        >>> db.from_sequence([0, 0, 3], npartitions=2).any().compute(scheduler='sync')
        True
        """
        return self._tree("any", any, any, split_every=split_every)

    def all(self, split_every: int | None = None) -> Item:
        """True if every element is truthy.

        Examples
        --------
        >>> import mpiflow.bag as db
        >>> db.from_sequence([1, 0, 3], npartitions=2).all().compute(scheduler='sync')
        False
        """
        return self._tree("all", all, all, split_every=split_every)

    def _moments(self, prefix: str, final: Callable, split_every: int | None) -> Item:
        return self._tree(prefix, _moments, _merge_moments, split_every=split_every, final=final)

    def mean(self, split_every: int | None = None) -> Item:
        """The arithmetic mean of the elements.

        Examples
        --------
        >>> import mpiflow.bag as db
        >>> db.from_sequence([1, 2, 3, 4], npartitions=2).mean().compute(scheduler='sync')
        2.5
        """
        return self._moments("mean", _mean_of, split_every)

    def var(self, ddof: int = 0, split_every: int | None = None) -> Item:
        """The variance, with ``ddof`` degrees of freedom removed (default 0).

        Examples
        --------
        >>> import mpiflow.bag as db
        >>> db.from_sequence([1, 2, 3, 4], npartitions=2).var().compute(scheduler='sync')
        1.25
        """
        return self._moments("var", partial(_var_of, ddof), split_every)

    def std(self, ddof: int = 0, split_every: int | None = None) -> Item:
        """The standard deviation, with ``ddof`` degrees of freedom removed (default 0).

        Examples
        --------
        >>> import mpiflow.bag as db
        >>> db.from_sequence([2, 4, 4, 4, 5, 5, 7, 9]).std().compute(scheduler='sync')
        2.0
        """
        return self._moments("std", partial(_std_of, ddof), split_every)

    def take(
        self, k: int, npartitions: int = 1, compute: bool = True, warn: bool = True, **kwargs: Any
    ) -> Any:
        """The first ``k`` elements, looking in the first ``npartitions`` partitions.

        Only those partitions are computed. When they hold fewer than ``k``
        elements a warning says how many were found and to pass a larger
        ``npartitions`` (``-1`` means all).

        Parameters
        ----------
        k : int
        npartitions : int, default 1
        compute : bool, default True
            Return a tuple of elements; with False, a one-partition Bag.
        warn : bool, default True
        **kwargs
            Passed to ``compute`` (``scheduler=``...).

        Examples
        --------
        >>> import mpiflow.bag as db
        >>> b = db.from_sequence(range(10), npartitions=5)
        >>> b.take(2, scheduler='sync')
        (0, 1)
        >>> b.take(3, npartitions=2, scheduler='sync')
        (0, 1, 2)
        """
        n = self.npartitions if npartitions == -1 else int(npartitions)
        if not 1 <= n <= self.npartitions:
            raise ValueError(
                f"take: npartitions={npartitions} is out of range; this bag has "
                f"{self.npartitions} partitions (pass -1 for all of them)"
            )
        head = _limited(self, n) if n < self.npartitions else self
        out = head._tree(
            "take",
            partial(_head, k),
            partial(_take_agg, k),
            out_type=type(self),
            split_every=max(n, 2),
        )
        if not compute:
            return out
        result = tuple(out.compute(**kwargs))
        if warn and len(result) < k:
            warnings.warn(
                f"take({k}) found only {len(result)} elements in the first {n} of "
                f"{self.npartitions} partitions; pass npartitions=-1 (or a larger number) "
                "to look in more partitions",
                UserWarning,
                stacklevel=2,
            )
        return result


def _put(layer: dict, key: Any, task: Any) -> Any:
    layer[key] = task
    return key


def _as_list(value: Any) -> Any:
    return value if type(value) is list else list(value)


def _limited(bag: Any, n: int) -> Any:
    """A bag of the first ``n`` partitions of ``bag`` (same keys, shared graph)."""
    name = f"head-{tokenize(bag.name, n)}"
    layer = {(name, i): (bag.name, i) for i in range(n)}
    return type(bag)(LayeredGraph.from_layer(name, layer, [bag]), name, n)
