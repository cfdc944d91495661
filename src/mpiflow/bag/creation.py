"""Making bags: from_sequence, range, from_delayed, concat, zip.

Examples
--------
>>> import mpiflow.bag as db
>>> db.from_sequence([1, 2, 3, 4], npartitions=2).map(abs).npartitions
2
>>> db.concat([db.range(3, npartitions=2), db.range(2, npartitions=1)]).compute(
...     scheduler='sync')
[0, 1, 2, 0, 1]
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Iterable
from typing import Any

from mpiflow.bag.core import Bag, bag_map
from mpiflow.bag.pipeline import reify
from mpiflow.core.layers import LayeredGraph
from mpiflow.core.spec import quote
from mpiflow.core.tokenize import tokenize

__all__ = ["from_sequence", "range", "from_delayed", "concat", "zip"]


def _sizes(n: int, npartitions: int | None, partition_size: int | None) -> list:
    """Partition lengths for ``n`` elements."""
    if npartitions is not None and partition_size is not None:
        raise ValueError("from_sequence: pass npartitions= or partition_size=, not both")
    if partition_size is not None:
        size = int(partition_size)
        if size < 1:
            raise ValueError(f"partition_size must be at least 1, got {partition_size}")
        return [min(size, n - i) for i in builtins.range(0, n, size)] or [0]
    if npartitions is None:  # Dask's rule: up to 100 partitions, about sqrt(n)/10 long
        size = 1 if n <= 100 else max(1, math.ceil(math.sqrt(n) / 10))
        return _sizes(n, None, size)
    k = int(npartitions)
    if k < 1:
        raise ValueError(f"npartitions must be at least 1, got {npartitions}")
    k = max(1, min(k, n))
    base, extra = divmod(n, k)
    return [base + (1 if i < extra else 0) for i in builtins.range(k)]


def from_sequence(
    seq: Iterable,
    partition_size: int | None = None,
    npartitions: int | None = None,
    name: str | None = None,
) -> Bag:
    """A bag of the elements of ``seq``, held in the graph.

    Parameters
    ----------
    seq : iterable
        The elements (made into a list).
    partition_size : int, optional
        Elements per partition.
    npartitions : int, optional
        Number of partitions: exactly this many (or ``len(seq)`` if fewer),
        with lengths that differ by at most one. Dask may make one more
        than asked; mpiflow does not.
    name : str, optional
        The bag's name (default: from a hash of the data).

    Examples
    --------
    >>> b = from_sequence(['a', 'b', 'c'], npartitions=2)
    >>> [p.compute(scheduler='sync') for p in b.to_delayed()]
    [['a', 'b'], ['c']]
    >>> from_sequence('abcdefghij', partition_size=4).npartitions
    3
    """
    seq = list(seq)
    sizes = _sizes(len(seq), npartitions, partition_size)
    name = name or f"from_sequence-{tokenize(seq, sizes)}"
    layer = {}
    start = 0
    for i, size in enumerate(sizes):
        layer[(name, i)] = quote(seq[start : start + size])
        start += size
    return Bag(layer, name, len(sizes))


def _range_part(start: int, stop: int) -> list:
    return list(builtins.range(start, stop))


def range(n: int, npartitions: int) -> Bag:  # noqa: A001 - Dask's name
    """The integers ``0 .. n-1`` in ``npartitions`` partitions.

    Examples
    --------
    >>> range(5, npartitions=2).compute(scheduler='sync')
    [0, 1, 2, 3, 4]
    """
    sizes = _sizes(int(n), npartitions, None)
    if len(sizes) < int(npartitions):
        sizes = sizes + [0] * (int(npartitions) - len(sizes))
    name = f"range-{tokenize(n, npartitions)}"
    layer = {}
    start = 0
    for i, size in enumerate(sizes):
        layer[(name, i)] = (_range_part, start, start + size)
        start += size
    return Bag(layer, name, len(sizes))


def from_delayed(values: Any) -> Bag:
    """A bag with one partition per Delayed value (each computing an iterable).

    Examples
    --------
    >>> from mpiflow.delayed import delayed
    >>> parts = [delayed(list)(builtins.range(i)) for i in (2, 3)]
    >>> from_delayed(parts).compute(scheduler='sync')
    [0, 1, 0, 1, 2]
    """
    from mpiflow.delayed import Delayed

    if isinstance(values, Delayed):
        values = [values]
    values = list(values)
    bad = [type(v).__name__ for v in values if not isinstance(v, Delayed)]
    if bad or not values:
        raise TypeError(
            "from_delayed expects a non-empty list of Delayed objects (one per partition), "
            f"got {bad or 'an empty list'}"
        )
    name = f"from_delayed-{tokenize(*[v.key for v in values])}"
    layer = {(name, i): (reify, v.key) for i, v in enumerate(values)}
    return Bag(LayeredGraph.from_layer(name, layer, values), name, len(values))


def concat(bags: list) -> Bag:
    """One bag holding the partitions of all ``bags``, in order.

    Examples
    --------
    >>> a, b = from_sequence([1, 2]), from_sequence([3])
    >>> concat([a, b]).compute(scheduler='sync')
    [1, 2, 3]
    """
    bags = list(bags)
    if not bags or not all(isinstance(b, Bag) for b in bags):
        raise TypeError("concat expects a non-empty list of Bags")
    name = f"concat-{tokenize(*[b.name for b in bags])}"
    layer = {}
    j = 0
    for b in bags:
        for i in builtins.range(b.npartitions):
            layer[(name, j)] = (reify, (b.name, i))
            j += 1
    return Bag(LayeredGraph.from_layer(name, layer, bags), name, j)


def _pack(*items: Any) -> tuple:
    return items


def zip(*bags: Bag) -> Bag:  # noqa: A001 - Dask's name
    """Element-wise tuples of identically partitioned bags.

    Examples
    --------
    >>> a = from_sequence([1, 2, 3], npartitions=2)
    >>> b = from_sequence('xyz', npartitions=2)
    >>> zip(a, b).compute(scheduler='sync')
    [(1, 'x'), (2, 'y'), (3, 'z')]
    """
    return bag_map(_pack, *bags)
