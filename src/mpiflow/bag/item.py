"""Item: one lazily computed value made by a bag (a count, a sum, a fold).

Examples
--------
>>> import mpiflow.bag as db
>>> total = db.from_sequence([1, 2, 3]).sum()
>>> total  # doctest: +ELLIPSIS
Item(('sum-aggregate-...', 0))
>>> (total * 2 + 1).compute(scheduler='sync')
13
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

from mpiflow import multiprocessing as _multiprocessing
from mpiflow.bag.pipeline import optimize
from mpiflow.core.layers import LayeredGraph
from mpiflow.core.spec import funcname, quote_argument
from mpiflow.core.tokenize import tokenize

__all__ = ["Item", "graph_arg"]


def _first(results: list) -> Any:
    return results[0]


def graph_arg(x: Any, deps: list) -> Any:
    """The graph form of an argument: a key for an Item or Delayed, else quoted data.

    Collections found are appended to ``deps``.

    Examples
    --------
    >>> deps = []
    >>> graph_arg('text', deps), deps
    ((literal<type=str>,), [])
    """
    if isinstance(x, Item):
        deps.append(x)
        return x.key
    if hasattr(type(x), "__mpiflow_graph__"):
        from mpiflow.delayed import Delayed, delayed

        d = x if isinstance(x, Delayed) else delayed(x)
        deps.append(d)
        return d.key
    return quote_argument(x)


class Item:
    """A single value computed from a bag; supports arithmetic and ``compute``.

    Parameters
    ----------
    dsk : Mapping
        A graph (or :class:`~mpiflow.core.layers.LayeredGraph`) holding ``key``.
    key : key
        The key of the value, usually ``(name, 0)``.

    Examples
    --------
    >>> it = Item({('x', 0): 5}, ('x', 0))
    >>> (it + 1).compute(scheduler='sync'), (-it).compute(scheduler='sync')
    (6, -5)
    """

    __slots__ = ("_graph", "_key", "__weakref__")

    def __init__(self, dsk: Mapping, key: Any) -> None:
        name = key[0] if type(key) is tuple else key
        if not isinstance(dsk, LayeredGraph):
            dsk = LayeredGraph.from_layer(name, dsk)
        self._graph = dsk
        self._key = key

    @property
    def key(self) -> Any:
        """The key of this value in the graph.

        Examples
        --------
        >>> Item({('x', 0): 5}, ('x', 0)).key
        ('x', 0)
        """
        return self._key

    @property
    def name(self) -> str:
        """The name (first element of the key).

        Examples
        --------
        >>> Item({('x', 0): 5}, ('x', 0)).name
        'x'
        """
        return self._key[0] if type(self._key) is tuple else self._key

    @property
    def dask(self) -> LayeredGraph:
        """The task graph.

        Examples
        --------
        >>> ('x', 0) in Item({('x', 0): 5}, ('x', 0)).dask
        True
        """
        return self._graph

    def __repr__(self) -> str:
        return f"Item({self._key!r})"

    def __reduce__(self):
        return (Item, (self._graph, self._key))

    # -- collection protocol -----------------------------------------------------------
    def __mpiflow_graph__(self) -> LayeredGraph:
        return self._graph

    def __mpiflow_keys__(self) -> list:
        return [self._key]

    def __mpiflow_postcompute__(self) -> tuple:
        return _first, ()

    def __mpiflow_postpersist__(self) -> tuple:
        return Item, (self._key,)

    def __mpiflow_tokenize__(self) -> Any:
        return self._key

    __mpiflow_optimize__ = staticmethod(optimize)
    __mpiflow_scheduler__ = staticmethod(_multiprocessing.get)

    @staticmethod
    def __mpiflow_merge_graphs__(collections: list) -> LayeredGraph:
        return LayeredGraph.merge(*[c.__mpiflow_graph__() for c in collections])

    # -- computing ---------------------------------------------------------------------
    def compute(self, **kwargs: Any) -> Any:
        """Compute the value (keywords as for :func:`mpiflow.compute`).

        Examples
        --------
        >>> Item({('x', 0): 5}, ('x', 0)).compute(scheduler='sync')
        5
        """
        from mpiflow import base

        return base.compute(self, **kwargs)[0]

    def persist(self, **kwargs: Any) -> Item:
        """Compute the value and return an Item holding it.

        Examples
        --------
        >>> it = (Item({('x', 0): 5}, ('x', 0)) + 1).persist(scheduler='sync')
        >>> it.compute(scheduler='sync')
        6
        """
        from mpiflow import base

        return base.persist(self, **kwargs)[0]

    def visualize(self, filename: str = "mpiflow", **kwargs: Any) -> Any:
        """Draw the graph with Graphviz (see :func:`mpiflow.visualize`).

        Examples
        --------
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), 'item.dot')
        >>> Item({('x', 0): 5}, ('x', 0)).visualize(filename=path) == path
        True
        """
        from mpiflow import base

        return base.visualize(self, filename=filename, **kwargs)

    def to_delayed(self, optimize_graph: bool = True) -> Any:
        """This value as a :class:`~mpiflow.delayed.Delayed`.

        Examples
        --------
        >>> d = Item({('x', 0): 5}, ('x', 0)).to_delayed()
        >>> (d + 1).compute(scheduler='sync')
        6
        """
        from mpiflow.delayed import Delayed

        dsk = self._graph
        if optimize_graph:
            dsk = optimize(dsk, [self._key])
        return Delayed(self._key, dict(dsk))

    def apply(self, func: Callable) -> Item:
        """An Item holding ``func(value)``.

        Examples
        --------
        >>> Item({('x', 0): -5}, ('x', 0)).apply(abs).compute(scheduler='sync')
        5
        """
        return _call(func, (self,))

    @classmethod
    def from_delayed(cls, value: Any) -> Item:
        """Wrap a :class:`~mpiflow.delayed.Delayed` as an Item.

        Examples
        --------
        >>> from mpiflow.delayed import delayed
        >>> Item.from_delayed(delayed(sum)([1, 2])).compute(scheduler='sync')
        3
        """
        from mpiflow.delayed import Delayed

        if not isinstance(value, Delayed):
            raise TypeError(f"Item.from_delayed expects a Delayed, got {type(value).__name__}")
        name = "item-" + tokenize(value.key)
        layer = {(name, 0): value.key}
        return cls(LayeredGraph.from_layer(name, layer, [value]), (name, 0))


def _call(func: Callable, args: tuple) -> Item:
    deps: list = []
    targs = [graph_arg(a, deps) for a in args]
    name = f"{funcname(func)}-{tokenize(func, *[getattr(a, 'key', a) for a in args])}"
    layer = {(name, 0): (func, *targs)}
    return Item(LayeredGraph.from_layer(name, layer, deps), (name, 0))


def _binary(op: Callable) -> tuple[Callable, Callable]:
    def method(self: Item, other: Any) -> Item:
        return _call(op, (self, other))

    def rmethod(self: Item, other: Any) -> Item:
        return _call(op, (other, self))

    return method, rmethod


def _unary(op: Callable) -> Callable:
    def method(self: Item) -> Item:
        return _call(op, (self,))

    return method


for _name in "add sub mul truediv floordiv mod pow and or xor lshift rshift matmul".split():
    _op = getattr(operator, _name + "_" if _name in ("and", "or") else _name)
    _m, _r = _binary(_op)
    setattr(Item, f"__{_name}__", _m)
    setattr(Item, f"__r{_name}__", _r)
for _name in "lt le gt ge eq ne".split():
    setattr(Item, f"__{_name}__", _binary(getattr(operator, _name))[0])
for _name in "neg pos abs invert".split():
    setattr(Item, f"__{_name}__", _unary(getattr(operator, _name)))
Item.__hash__ = object.__hash__  # type: ignore[assignment]  # __eq__ is lazy
