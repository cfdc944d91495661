"""The lazy scalar of dataframe reductions: :class:`Scalar`.

A Scalar is one key ``(name, 0)`` of a graph and a representative ``_meta``
value (``np.float64(1.0)`` for a float result). Arithmetic with numbers and
other Scalars makes new Scalars; with a frame it acts on every partition.

Examples
--------
>>> import numpy as np
>>> s = Scalar({('s', 0): 4}, 's', np.int64(1))
>>> ((s + 1) * 2).compute()
10
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from mpiflow import threaded
from mpiflow.core.layers import LayeredGraph
from mpiflow.core.spec import funcname, quote_argument
from mpiflow.core.tokenize import tokenize
from mpiflow.dataframe.layers import new_graph
from mpiflow.dataframe.optimize import merge_graphs, optimize

__all__ = ["Scalar", "scalar_op"]


def _first(results: list) -> Any:
    return results[0]


def _rebuild_scalar(dsk: Mapping, name: str, meta: Any) -> Scalar:
    return Scalar(LayeredGraph.from_layer(name, dict(dsk)), name, meta)


def _meta_of(x: Any) -> Any:
    if isinstance(x, Scalar):
        return x._meta
    return x


def scalar_op(op: Callable, *args: Any, meta: Any = None, label: str | None = None) -> Scalar:
    """A Scalar computing ``op(*args)`` where args are Scalars, Delayed values or plain values.

    Examples
    --------
    >>> import operator
    >>> a = Scalar({('a', 0): 3}, 'a', 1)
    >>> scalar_op(operator.sub, 10, a).compute()
    7
    """
    from mpiflow.delayed import Delayed

    deps: list = []
    targs: list = []
    for a in args:
        if isinstance(a, Scalar):
            deps.append(a)
            targs.append((a._name, 0))
        elif isinstance(a, Delayed):
            deps.append(a)
            targs.append(a.key)
        else:
            targs.append(quote_argument(a))
    if meta is None:
        try:
            with np.errstate(all="ignore"):
                meta = op(*[_meta_of(a) if not isinstance(a, Delayed) else 1 for a in args])
        except Exception:
            meta = np.float64(1.0)
    name = f"{label or funcname(op)}-{tokenize(op, *args)}"
    layer = {(name, 0): (op, *targs)}
    return Scalar(new_graph(name, layer, deps), name, meta)


class Scalar:
    """A lazy single value (the result of a full reduction such as ``df.x.sum()``).

    Parameters
    ----------
    graph : LayeredGraph or Mapping
        Holds the key ``(name, 0)``.
    name : str
        The layer name.
    meta : object
        A representative value of the result's type.

    Examples
    --------
    >>> s = Scalar({('s', 0): 2.5}, 's', 1.0)
    >>> (1 + s).compute(), s.dtype
    (3.5, dtype('float64'))
    """

    def __init__(self, graph: Mapping, name: str, meta: Any) -> None:
        if not isinstance(graph, LayeredGraph):
            graph = LayeredGraph.from_layer(name, graph)
        self._graph = graph
        self._name_ = name
        self._meta = meta

    @property
    def graph(self) -> LayeredGraph:
        """The task graph.

        Examples
        --------
        >>> Scalar({('s', 0): 1}, 's', 1).graph
        <LayeredGraph: 1 layers>
        """
        return self._graph

    dask = graph

    @property
    def name(self) -> str:
        """The layer name (the key is ``(name, 0)``).

        Examples
        --------
        >>> Scalar({('s', 0): 1}, 's', 1).name
        's'
        """
        return self._name_

    @property
    def _name(self) -> str:
        return self._name_

    @property
    def key(self) -> tuple:
        """The one key ``(name, 0)``.

        Examples
        --------
        >>> Scalar({('s', 0): 1}, 's', 1).key
        ('s', 0)
        """
        return (self._name_, 0)

    @property
    def dtype(self) -> Any:
        """The dtype of the value (NumPy scalars and numbers), else ``object``.

        Examples
        --------
        >>> import numpy as np
        >>> Scalar({('s', 0): 1}, 's', np.int32(1)).dtype
        dtype('int32')
        """
        d = getattr(self._meta, "dtype", None)
        if d is not None:
            return d
        try:
            return np.asarray(self._meta).dtype
        except Exception:
            return np.dtype(object)

    # -- protocol ------------------------------------------------------------------------
    def __mpiflow_graph__(self) -> LayeredGraph:
        return self._graph

    def __mpiflow_keys__(self) -> list:
        return [(self._name_, 0)]

    def __mpiflow_postcompute__(self) -> tuple:
        return _first, ()

    def __mpiflow_postpersist__(self) -> tuple:
        return _rebuild_scalar, (self._name_, self._meta)

    def __mpiflow_tokenize__(self) -> str:
        return self._name_

    __mpiflow_optimize__ = staticmethod(optimize)

    __mpiflow_scheduler__ = staticmethod(threaded.get)

    __mpiflow_merge_graphs__ = staticmethod(merge_graphs)

    def __reduce__(self):
        return (Scalar, (self._graph, self._name_, self._meta))

    def compute(self, **kwargs: Any) -> Any:
        """Compute the value.

        Examples
        --------
        >>> Scalar({('s', 0): 7}, 's', 1).compute(scheduler='sync')
        7
        """
        from mpiflow import base

        (result,) = base.compute(self, traverse=False, **kwargs)
        return result

    def persist(self, **kwargs: Any) -> Scalar:
        """Compute and return a Scalar holding the value.

        Examples
        --------
        >>> (Scalar({('s', 0): 7}, 's', 1) + 1).persist(scheduler='sync').compute()
        8
        """
        from mpiflow import base

        (result,) = base.persist(self, traverse=False, **kwargs)
        return result

    def to_delayed(self, optimize_graph: bool = True) -> Any:
        """The value as a :class:`~mpiflow.delayed.Delayed`.

        Examples
        --------
        >>> d = (Scalar({('s', 0): 7}, 's', 1) * 2).to_delayed()
        >>> d.compute(scheduler='sync')
        14
        """
        from mpiflow.delayed import Delayed

        key = (self._name_, 0)
        if optimize_graph:
            dsk = self.__mpiflow_optimize__(self._graph, [key])
        else:
            dsk = self._graph.to_dict()
        return Delayed(key, dsk)

    def __repr__(self) -> str:
        from mpiflow.array.repr import _prefix

        return f"<mpiflow.dataframe.Scalar<{_prefix(self._name_)}, dtype={self.dtype}>>"

    def __bool__(self) -> bool:
        raise TypeError(
            "the truth value of a lazy Scalar is not known: call .compute() first "
            "(e.g. `if s.compute(): ...`)"
        )

    # -- arithmetic ----------------------------------------------------------------------
    def _binop(self, other: Any, op: Callable, reflected: bool = False) -> Any:
        from mpiflow.dataframe.core import FrameBase

        if isinstance(other, FrameBase):
            return NotImplemented
        if hasattr(type(other), "__mpiflow_graph__") and not isinstance(other, Scalar):
            from mpiflow.delayed import Delayed

            if not isinstance(other, Delayed):
                return NotImplemented
        args = (other, self) if reflected else (self, other)
        return scalar_op(op, *args)

    def _unop(self, op: Callable) -> Scalar:
        return scalar_op(op, self)


def _make_binary(op: Callable) -> tuple[Callable, Callable]:
    def method(self: Scalar, other: Any) -> Any:
        return self._binop(other, op)

    def rmethod(self: Scalar, other: Any) -> Any:
        return self._binop(other, op, reflected=True)

    return method, rmethod


for _name in (
    "add",
    "sub",
    "mul",
    "truediv",
    "floordiv",
    "mod",
    "pow",
    "and",
    "or",
    "xor",
    "lshift",
    "rshift",
):
    _op = getattr(operator, _name if _name not in ("and", "or") else f"{_name}_")  # and_, or_
    _m, _r = _make_binary(_op)
    setattr(Scalar, f"__{_name}__", _m)
    setattr(Scalar, f"__r{_name}__", _r)

for _name in ("lt", "le", "gt", "ge", "eq", "ne"):
    setattr(Scalar, f"__{_name}__", _make_binary(getattr(operator, _name))[0])

for _name in ("neg", "pos", "abs", "invert"):
    _u = getattr(operator, _name)
    setattr(Scalar, f"__{_name}__", lambda self, _u=_u: self._unop(_u))

Scalar.__hash__ = object.__hash__  # __eq__ is lazy; keep identity hashing
