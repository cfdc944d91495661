"""The Bag: a collection of Python objects cut into partitions (lists).

A :class:`Bag` is a name, a number of partitions and a
:class:`~mpiflow.core.layers.LayeredGraph` whose keys ``(name, i)`` compute
partition ``i``. Element-wise methods (``map``, ``filter``, ``pluck``,
``flatten``, ``starmap``, ``remove``, ``map_partitions`` and the ``str``
accessor) add one layer of :class:`~mpiflow.bag.pipeline.Pipeline` tasks;
the optimizer fuses a chain of them into one task per partition.
Reductions live in :mod:`mpiflow.bag.reductions`, shuffles and joins in
:mod:`mpiflow.bag.shuffle`. The default scheduler is the process pool
(``mpiflow.multiprocessing.get``), because element-wise Python code holds
the GIL.

Examples
--------
>>> import mpiflow.bag as db
>>> b = db.from_sequence(range(10), npartitions=3)
>>> b
mpiflow.bag<from_sequence, npartitions=3>
>>> b.filter(lambda x: x % 2).map(lambda x: x * 10).compute(scheduler='sync')
[10, 30, 50, 70, 90]
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Mapping
from itertools import chain
from typing import Any

from mpiflow import multiprocessing as _multiprocessing
from mpiflow.bag.multimap import StarCall, bag_map, bag_map_partitions, check_callable, is_lazy_arg
from mpiflow.bag.pipeline import (
    FilterStep,
    FlattenStep,
    Pipeline,
    PluckStep,
    SampleStep,
    StarmapStep,
    no_default,
    optimize,
)
from mpiflow.bag.reductions import BagReductions
from mpiflow.bag.shuffle import BagShuffle
from mpiflow.core.layers import LayeredGraph
from mpiflow.core.spec import funcname
from mpiflow.core.tokenize import tokenize

__all__ = ["Bag", "bag_map", "bag_map_partitions", "finalize"]


def finalize(results: list) -> list:
    """Concatenate computed partitions into one list (what ``Bag.compute`` returns).

    Examples
    --------
    >>> finalize([[1, 2], [], [3]])
    [1, 2, 3]
    """
    if len(results) == 1 and type(results[0]) is list:
        return results[0]
    return list(chain.from_iterable(results))


def _short_name(name: str) -> str:
    head, sep, tail = name.rpartition("-")
    return head if sep and len(tail) >= 16 else name


class Bag(BagReductions, BagShuffle):
    """A parallel collection of Python objects, cut into partitions.

    Parameters
    ----------
    dsk : Mapping
        The graph, holding a key ``(name, i)`` for every partition ``i``.
    name : str
        The bag's name, first element of its keys.
    npartitions : int
        The number of partitions.

    Examples
    --------
    >>> b = Bag({('x', 0): (range, 3), ('x', 1): (range, 2)}, 'x', 2)
    >>> b.map(lambda x: x * 10).compute(scheduler='sync')
    [0, 10, 20, 0, 10]
    """

    __slots__ = ("_graph", "_name", "_npartitions", "__weakref__")

    def __init__(self, dsk: Mapping, name: str, npartitions: int) -> None:
        if not isinstance(dsk, LayeredGraph):
            dsk = LayeredGraph.from_layer(name, dsk)
        self._graph = dsk
        self._name = name
        self._npartitions = int(npartitions)

    # -- properties --------------------------------------------------------------------
    @property
    def name(self) -> str:
        """The bag's name: the first element of its partition keys.

        Examples
        --------
        >>> import mpiflow.bag as db
        >>> db.from_sequence([1], name='x').name
        'x'
        """
        return self._name

    @property
    def npartitions(self) -> int:
        """The number of partitions.

        Examples
        --------
        >>> import mpiflow.bag as db
        >>> db.from_sequence(range(10), npartitions=4).npartitions
        4
        """
        return self._npartitions

    @property
    def dask(self) -> LayeredGraph:
        """The task graph (a :class:`~mpiflow.core.layers.LayeredGraph`).

        Examples
        --------
        >>> import mpiflow.bag as db
        >>> sorted(db.from_sequence([1, 2], npartitions=2, name='x').dask)
        [('x', 0), ('x', 1)]
        """
        return self._graph

    graph = dask

    def __repr__(self) -> str:
        return f"mpiflow.bag<{_short_name(self._name)}, npartitions={self._npartitions}>"

    def __reduce__(self):
        return (Bag, (self._graph, self._name, self._npartitions))

    # -- collection protocol -----------------------------------------------------------
    def __mpiflow_graph__(self) -> LayeredGraph:
        return self._graph

    def __mpiflow_keys__(self) -> list:
        name = self._name
        return [(name, i) for i in range(self._npartitions)]

    def __mpiflow_postcompute__(self) -> tuple:
        return finalize, ()

    def __mpiflow_postpersist__(self) -> tuple:
        return Bag, (self._name, self._npartitions)

    def __mpiflow_tokenize__(self) -> Any:
        return self._name

    __mpiflow_optimize__ = staticmethod(optimize)
    __mpiflow_scheduler__ = staticmethod(_multiprocessing.get)

    @staticmethod
    def __mpiflow_merge_graphs__(collections: list) -> LayeredGraph:
        if len(collections) == 1:
            return collections[0].__mpiflow_graph__()
        return LayeredGraph.merge(*[c.__mpiflow_graph__() for c in collections])

    # -- computing ---------------------------------------------------------------------
    def compute(self, **kwargs: Any) -> list:
        """Compute the bag and return its elements as a list.

        Keywords are those of :func:`mpiflow.compute` (``scheduler=``,
        ``num_workers=``, ``optimize_graph=``...); the default scheduler is
        ``'processes'``.

        Examples
        --------
        >>> import mpiflow.bag as db
        >>> db.from_sequence([1, 2, 3]).map(str).compute(scheduler='sync')
        ['1', '2', '3']
        """
        from mpiflow import base

        return base.compute(self, **kwargs)[0]

    def persist(self, **kwargs: Any) -> Bag:
        """Compute the partitions and return a bag whose graph holds them.

        Examples
        --------
        >>> import mpiflow.bag as db
        >>> b = db.from_sequence([1, 2, 3], npartitions=2).map(abs).persist(scheduler='sync')
        >>> b.npartitions, b.compute(scheduler='sync')
        (2, [1, 2, 3])
        """
        from mpiflow import base

        return base.persist(self, **kwargs)[0]

    def visualize(self, filename: str = "mpiflow", **kwargs: Any) -> Any:
        """Draw the task graph with Graphviz (see :func:`mpiflow.visualize`).

        Examples
        --------
        >>> import os, tempfile, mpiflow.bag as db
        >>> path = os.path.join(tempfile.mkdtemp(), 'bag.dot')
        >>> db.from_sequence([1, 2]).visualize(filename=path) == path
        True
        """
        from mpiflow import base

        return base.visualize(self, filename=filename, **kwargs)

    def __iter__(self) -> Iterator:
        return iter(self.compute())

    def to_delayed(self, optimize_graph: bool = True) -> list:
        """One :class:`~mpiflow.delayed.Delayed` per partition (each a list).

        Examples
        --------
        >>> import mpiflow.bag as db
        >>> parts = db.from_sequence([1, 2, 3], npartitions=2).map(abs).to_delayed()
        >>> [p.compute(scheduler='sync') for p in parts]
        [[1, 2], [3]]
        """
        from mpiflow.delayed import Delayed

        keys = self.__mpiflow_keys__()
        dsk = optimize(self._graph, keys) if optimize_graph else dict(self._graph)
        return [Delayed(k, dsk) for k in keys]

    # -- building ----------------------------------------------------------------------
    def _with_step(self, step: Any, prefix: str, *token: Any) -> Bag:
        """A bag applying ``step`` to every partition of this one."""
        name = f"{prefix}-{tokenize(self._name, prefix, *token)}"
        pipe = Pipeline((step,))
        src = self._name
        layer = {(name, i): (pipe, (src, i)) for i in range(self._npartitions)}
        return Bag(LayeredGraph.from_layer(name, layer, [self]), name, self._npartitions)

    # -- element-wise ------------------------------------------------------------------
    def map(self, func: Callable, *args: Any, **kwargs: Any) -> Bag:
        """Apply ``func`` to every element (see :func:`mpiflow.bag.map` for extra args).

        Other bags among ``args``/``kwargs`` are walked element by element
        alongside this one (they must have the same partitioning); Items,
        Delayed values and plain objects are passed whole to every call.

        Examples
        --------
        >>> import mpiflow.bag as db
        >>> b = db.from_sequence([1, 2, 3], npartitions=2)
        >>> b.map(lambda x, y: x + y, 10).compute(scheduler='sync')
        [11, 12, 13]
        >>> b.map(lambda x, y: x * y, b).compute(scheduler='sync')
        [1, 4, 9]
        >>> b.map(lambda x, total: x / total, b.sum()).compute(scheduler='sync')
        [0.16666666666666666, 0.3333333333333333, 0.5]
        """
        return bag_map(func, self, *args, **kwargs)

    def starmap(self, func: Callable, **kwargs: Any) -> Bag:
        """Apply ``func(*element, **kwargs)`` to every element (a tuple).

        Examples
        --------
        >>> import mpiflow.bag as db
        >>> db.from_sequence([(1, 2), (3, 4)]).starmap(max).compute(scheduler='sync')
        [2, 4]
        """
        check_callable(func, "starmap")
        if any(is_lazy_arg(v) for v in kwargs.values()):
            return bag_map(StarCall(func), self, **kwargs)
        return self._with_step(StarmapStep(func, **kwargs), funcname(func), func, kwargs)

    def filter(self, predicate: Callable) -> Bag:
        """Keep the elements for which ``predicate(element)`` is true.

        Examples
        --------
        >>> import mpiflow.bag as db
        >>> db.from_sequence(range(6)).filter(lambda x: x % 3 == 0).compute(scheduler='sync')
        [0, 3]
        """
        check_callable(predicate, "filter")
        return self._with_step(FilterStep(predicate), "filter", predicate)

    def remove(self, predicate: Callable) -> Bag:
        """Drop the elements for which ``predicate(element)`` is true.

        Examples
        --------
        >>> import mpiflow.bag as db
        >>> db.from_sequence(range(6)).remove(lambda x: x % 3 == 0).compute(scheduler='sync')
        [1, 2, 4, 5]
        """
        check_callable(predicate, "remove")
        return self._with_step(FilterStep(predicate, keep=False), "remove", predicate)

    def flatten(self) -> Bag:
        """Concatenate the elements, each an iterable, into one bag of their items.

        Examples
        --------
        >>> import mpiflow.bag as db
        >>> db.from_sequence([[1, 2], [], [3]]).flatten().compute(scheduler='sync')
        [1, 2, 3]
        """
        return self._with_step(FlattenStep(), "flatten")

    def pluck(self, key: Any, default: Any = no_default) -> Bag:
        """Select ``element[key]`` from every element; a list of keys gives tuples.

        Parameters
        ----------
        key : hashable or list
            The item to take, or a list of them.
        default : object, optional
            Used where an element has no such item (else KeyError/IndexError).

        Examples
        --------
        >>> import mpiflow.bag as db
        >>> b = db.from_sequence([{'a': 1, 'b': 2}, {'a': 3}])
        >>> b.pluck('a').compute(scheduler='sync')
        [1, 3]
        >>> b.pluck(['a', 'b'], default=0).compute(scheduler='sync')
        [(1, 2), (3, 0)]
        """
        return self._with_step(PluckStep(key, default), "pluck", key, default)

    def map_partitions(self, func: Callable, *args: Any, **kwargs: Any) -> Bag:
        """Apply ``func`` to every partition (a list); returns a bag of the results.

        ``func`` must return an iterable: its items are the new partition.
        Other bags in ``args``/``kwargs`` pass their matching partition;
        Items and Delayed values pass their whole value.

        Examples
        --------
        >>> import mpiflow.bag as db
        >>> b = db.from_sequence(range(6), npartitions=2)
        >>> b.map_partitions(lambda part: [sum(part)]).compute(scheduler='sync')
        [3, 12]
        """
        return bag_map_partitions(func, self, *args, **kwargs)

    @property
    def str(self) -> Any:
        """String methods applied to every element: ``b.str.lower()``, ``b.str.split()``.

        Examples
        --------
        >>> import mpiflow.bag as db
        >>> db.from_sequence(['A b', 'C']).str.lower().str.split().compute(scheduler='sync')
        [['a', 'b'], ['c']]
        """
        from mpiflow.bag.strings import StringAccessor

        return StringAccessor(self)

    def unzip(self, n: int) -> tuple:
        """Split a bag of ``n``-tuples into ``n`` bags, one per position.

        Examples
        --------
        >>> import mpiflow.bag as db
        >>> a, b = db.from_sequence([(1, 'x'), (2, 'y')]).unzip(2)
        >>> a.compute(scheduler='sync'), b.compute(scheduler='sync')
        ([1, 2], ['x', 'y'])
        """
        return tuple(self.pluck(i) for i in range(n))

    def random_sample(self, prob: float, random_state: Any = None) -> Bag:
        """Keep each element with probability ``prob`` (reproducible with ``random_state``).

        Each partition draws from its own generator, seeded from
        ``random_state`` (an int or a :class:`random.Random`) and its index.

        Examples
        --------
        >>> import mpiflow.bag as db
        >>> b = db.from_sequence(range(100), npartitions=4)
        >>> s = b.random_sample(0.1, random_state=42)
        >>> s.compute(scheduler='sync') == s.compute(scheduler='sync')
        True
        >>> 0 < len(s.compute(scheduler='sync')) < 30
        True
        """
        if not 0 <= prob <= 1:
            raise ValueError(f"random_sample: prob must be between 0 and 1, got {prob}")
        rng = random_state if isinstance(random_state, random.Random) else None
        rng = rng or random.Random(random_state)
        seeds = [rng.getrandbits(64) for _ in range(self._npartitions)]
        name = f"random_sample-{tokenize(self._name, prob, seeds)}"
        src = self._name
        layer = {
            (name, i): (Pipeline((SampleStep(prob, seed),)), (src, i))
            for i, seed in enumerate(seeds)
        }
        return Bag(LayeredGraph.from_layer(name, layer, [self]), name, self._npartitions)

    # -- output ------------------------------------------------------------------------
    def to_textfiles(self, path: Any, **kwargs: Any) -> Any:
        """Write one text file per partition (see :func:`mpiflow.bag.to_textfiles`).

        Examples
        --------
        >>> import os, tempfile, mpiflow.bag as db
        >>> d = tempfile.mkdtemp()
        >>> files = db.from_sequence(['a', 'b'], npartitions=2).to_textfiles(
        ...     os.path.join(d, '*.txt'), scheduler='sync')
        >>> [os.path.basename(f) for f in files]
        ['0.txt', '1.txt']
        """
        from mpiflow.bag.text import to_textfiles

        return to_textfiles(self, path, **kwargs)

    def to_dataframe(self, meta: Any = None, columns: Any = None) -> Any:
        """A dataframe with one pandas partition per bag partition.

        See :func:`mpiflow.bag.dataframe.to_dataframe`.

        Examples
        --------
        >>> import mpiflow.bag as db
        >>> b = db.from_sequence([{'a': 1, 'b': 'x'}, {'a': 2, 'b': 'y'}])
        >>> b.to_dataframe().compute(scheduler='sync')
           a  b
        0  1  x
        0  2  y
        """
        from mpiflow.bag.dataframe import to_dataframe

        return to_dataframe(self, meta=meta, columns=columns)
