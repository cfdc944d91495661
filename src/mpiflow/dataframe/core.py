"""Partitioned frames: :class:`DataFrame`, :class:`Series`, :class:`Index`, :class:`Scalar`.

A frame is a :class:`~mpiflow.core.layers.LayeredGraph` whose keys
``(name, i)`` compute its pandas partitions, an empty pandas ``_meta`` giving
columns and dtypes, and ``divisions``: the first index value of every
partition plus the last index value of the last one (all ``None`` when not
known). Operations add one lazy :class:`~mpiflow.dataframe.layers.PartitionwiseLayer`
(see :func:`partitionwise`); nothing runs until ``compute``.

Examples
--------
>>> import pandas as pd
>>> import mpiflow.dataframe as dd
>>> pdf = pd.DataFrame({'x': range(6), 'y': list('abcabc')})
>>> df = dd.from_pandas(pdf, npartitions=2)
>>> df.npartitions, df.divisions
(2, (0, 3, 5))
>>> (df.x * 2).compute(scheduler='sync').tolist()
[0, 2, 4, 6, 8, 10]
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from mpiflow import threaded
from mpiflow.core.layers import LayeredGraph
from mpiflow.dataframe.accessors import AccessorMethods
from mpiflow.dataframe.elementwise import ElementwiseMethods
from mpiflow.dataframe.frame_extras import ExtraMethods, PandasName
from mpiflow.dataframe.frame_methods import FrameMethods
from mpiflow.dataframe.io.methods import IOMethods
from mpiflow.dataframe.methods_reduce import ReductionMethods
from mpiflow.dataframe.methods_shuffle import ShuffleMethods
from mpiflow.dataframe.optimize import merge_graphs, optimize
from mpiflow.dataframe.partition_concat import concat_partitions
from mpiflow.dataframe.partitionwise import (  # noqa: F401 - re-exported (the contract's API)
    align_frames,
    elemwise,
    map_partitions,
    partitionwise,
)
from mpiflow.dataframe.scalar import Scalar

__all__ = [
    "FrameBase",
    "DataFrame",
    "Series",
    "Index",
    "Scalar",
    "new_collection",
    "partitionwise",
    "map_partitions",
    "concat_partitions",
]


def _rebuild(dsk: Mapping, name: str, meta: Any, divisions: tuple) -> Any:
    return new_collection(LayeredGraph.from_layer(name, dict(dsk)), name, meta, divisions)


class FrameBase(ElementwiseMethods, FrameMethods, ExtraMethods):
    """What DataFrame, Series and Index share: graph, meta, divisions, the collection protocol.

    Parameters
    ----------
    graph : LayeredGraph or Mapping
        Holds a key ``(name, i)`` for every partition.
    name : str
        The layer name.
    meta : pandas object
        Empty object with the partitions' schema.
    divisions : tuple
        ``npartitions + 1`` index boundaries, or all ``None``.

    Examples
    --------
    >>> import pandas as pd
    >>> s = Series({('s', 0): pd.Series([1, 2])}, 's', pd.Series([], dtype='i8'), (None, None))
    >>> s.npartitions, s.known_divisions, s.compute(scheduler='sync').tolist()
    (1, False, [1, 2])
    """

    _partition_type: type = object

    def __init__(self, graph: Mapping, name: str, meta: Any, divisions: Any) -> None:
        if not isinstance(graph, LayeredGraph):
            graph = LayeredGraph.from_layer(name, graph)
        self._graph = graph
        self._name_ = name
        self._meta = meta
        self._divisions = tuple(divisions)

    # -- identity and schema -----------------------------------------------------------
    @property
    def graph(self) -> LayeredGraph:
        """The task graph (a :class:`~mpiflow.core.layers.LayeredGraph`).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> len(dd.from_pandas(pd.DataFrame({'a': [1]}), npartitions=1).graph.layers)
        1
        """
        return self._graph

    dask = graph

    @property
    def _name(self) -> str:
        """The layer name; partition ``i`` is the key ``(_name, i)``.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> dd.from_pandas(pd.DataFrame({'a': [1]}), npartitions=1)._name.startswith('from_pandas')
        True
        """
        return self._name_

    @property
    def divisions(self) -> tuple:
        """Index boundaries of the partitions (all ``None`` when unknown).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> dd.from_pandas(pd.Series(range(4)), npartitions=2).divisions
        (0, 2, 3)
        """
        return self._divisions

    @divisions.setter
    def divisions(self, value: Any) -> None:
        value = tuple(value)
        if len(value) != len(self._divisions):
            raise ValueError(
                f"divisions must have npartitions + 1 = {len(self._divisions)} entries, "
                f"got {len(value)}"
            )
        self._divisions = value

    @property
    def npartitions(self) -> int:
        """Number of partitions.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> dd.from_pandas(pd.Series(range(10)), npartitions=3).npartitions
        3
        """
        return len(self._divisions) - 1

    @property
    def known_divisions(self) -> bool:
        """True if the divisions are known.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> dd.from_pandas(pd.Series(range(4)), npartitions=2).known_divisions
        True
        """
        return len(self._divisions) > 0 and self._divisions[0] is not None

    @property
    def _meta_nonempty(self) -> Any:
        """A small fake partition (made once per meta; a shallow copy each time)."""
        cached = self.__dict__.get("_nonempty")
        if cached is None or cached[0] is not self._meta:
            from mpiflow.dataframe.meta import meta_nonempty

            cached = self.__dict__["_nonempty"] = (self._meta, meta_nonempty(self._meta))
        return cached[1].copy(deep=False)

    @property
    def index(self) -> Index:
        """The index, as a lazy :class:`Index` with the same partitions.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> dd.from_pandas(pd.Series([5, 6], index=[3, 4]), npartitions=1).index.compute().tolist()
        [3, 4]
        """
        return partitionwise(
            operator.attrgetter("index"), self, meta=self._meta.index, label="index"
        )

    # -- collection protocol -----------------------------------------------------------
    def __mpiflow_graph__(self) -> LayeredGraph:
        return self._graph

    def __mpiflow_keys__(self) -> list:
        name = self._name_
        return [(name, i) for i in range(len(self._divisions) - 1)]

    def __mpiflow_postcompute__(self) -> tuple:
        return concat_partitions, ()

    def __mpiflow_postpersist__(self) -> tuple:
        return _rebuild, (self._name_, self._meta, self._divisions)

    def __mpiflow_tokenize__(self) -> str:
        return self._name_

    def __dask_tokenize__(self) -> str:
        return self._name_

    __mpiflow_optimize__ = staticmethod(optimize)

    __mpiflow_scheduler__ = staticmethod(threaded.get)

    __mpiflow_merge_graphs__ = staticmethod(merge_graphs)

    def __reduce__(self):
        return (new_collection, (self._graph, self._name_, self._meta, self._divisions))

    # -- computing ---------------------------------------------------------------------
    def compute(self, **kwargs: Any) -> Any:
        """Compute and return the pandas object (keywords as :func:`mpiflow.compute`).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> dd.from_pandas(pd.Series([1, 2]), npartitions=2).compute(scheduler='sync').tolist()
        [1, 2]
        """
        from mpiflow import base

        (result,) = base.compute(self, traverse=False, **kwargs)
        return result

    def persist(self, **kwargs: Any) -> FrameBase:
        """Compute the partitions and return a collection whose graph holds them.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> s = (dd.from_pandas(pd.Series([1, 2]), npartitions=2) + 1).persist(scheduler='sync')
        >>> len(s.graph.layers), s.compute().tolist()
        (1, [2, 3])
        """
        from mpiflow import base

        (result,) = base.persist(self, traverse=False, **kwargs)
        return result

    def visualize(self, filename: str = "mpiflow", **kwargs: Any) -> Any:
        """Draw the task graph; see :func:`mpiflow.visualize`.

        Examples
        --------
        >>> import os, tempfile, pandas as pd, mpiflow.dataframe as dd
        >>> s = dd.from_pandas(pd.Series([1, 2]), npartitions=2)
        >>> s.visualize(os.path.join(tempfile.mkdtemp(), 'g.dot')).endswith('.dot')
        True
        """
        from mpiflow import base

        return base.visualize(self, filename=filename, **kwargs)

    def map_partitions(self, func: Callable, *args: Any, **kwargs: Any) -> Any:
        """Apply ``func`` to every partition; see :func:`map_partitions`.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> s = dd.from_pandas(pd.Series([1, 2, 3]), npartitions=2)
        >>> s.map_partitions(lambda p, k: p * k, 10).compute().tolist()
        [10, 20, 30]
        >>> s.map_partitions(len).compute().tolist()
        [2, 1]
        """
        return map_partitions(func, self, *args, **kwargs)

    def __len__(self) -> int:
        from mpiflow.dataframe.frame_methods import _len_of

        return _len_of(self)

    def __bool__(self) -> bool:
        raise ValueError(
            f"The truth value of a {type(self).__name__} is ambiguous: it is lazy. Use "
            "a.any(), a.all() or compute it first."
        )

    def __repr__(self) -> str:
        from mpiflow.dataframe.repr import frame_repr

        return frame_repr(self)

    def _repr_html_(self) -> str:
        from mpiflow.dataframe.repr import frame_repr_html

        return frame_repr_html(self)


def _select(df: Any, key: Any) -> Any:
    return df[key]


class DataFrame(FrameBase, ReductionMethods, ShuffleMethods, IOMethods):
    """A pandas DataFrame cut into partitions along the index.

    Examples
    --------
    >>> import pandas as pd, mpiflow.dataframe as dd
    >>> df = dd.from_pandas(pd.DataFrame({'a': [1, 2, 3], 'b': [.5, .5, 1.]}), npartitions=2)
    >>> df.columns.tolist(), df.npartitions
    (['a', 'b'], 2)
    >>> df[df.a > 1].b.compute().tolist()
    [0.5, 1.0]
    """

    _partition_type = pd.DataFrame

    @property
    def columns(self) -> pd.Index:
        """Column labels (known without computing).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> dd.from_pandas(pd.DataFrame({'a': [1], 'b': [2]}), npartitions=1).columns.tolist()
        ['a', 'b']
        """
        return self._meta.columns

    @columns.setter
    def columns(self, value: Any) -> None:
        value = list(value)
        if len(value) != len(self.columns):
            raise ValueError(
                f"Length mismatch: the DataFrame has {len(self.columns)} columns, "
                f"{len(value)} new names were given"
            )
        if len(set(self.columns)) != len(self.columns):
            raise NotImplementedError("setting columns of a frame with duplicate names")
        renamed = self.rename(columns=dict(zip(self.columns, value, strict=True)))
        self._graph, self._name_, self._meta = renamed._graph, renamed._name_, renamed._meta

    @property
    def dtypes(self) -> pd.Series:
        """Column dtypes (known without computing).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> dd.from_pandas(pd.DataFrame({'a': [1]}), npartitions=1).dtypes.to_dict()
        {'a': dtype('int64')}
        """
        return self._meta.dtypes

    @property
    def ndim(self) -> int:
        """2.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> dd.from_pandas(pd.DataFrame({'a': [1]}), npartitions=1).ndim
        2
        """
        return 2

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, FrameBase):
            return self._filter(key)
        if isinstance(key, slice):
            return self.loc[key]
        if callable(key):
            return self[key(self)]
        if isinstance(key, (list, pd.Index, np.ndarray)):
            keys = list(key)
            self._check_columns(keys)
            meta = self._meta[keys]
            return partitionwise(
                _select,
                self,
                keys,
                meta=meta,
                label="getitem",
                columns_read=frozenset(keys),
            )
        try:
            hash(key)
        except TypeError:
            raise TypeError(
                f"cannot select columns with a {type(key).__name__}: pass a column name, a "
                "list of names or a boolean Series"
            ) from None
        self._check_columns([key])
        meta = self._meta[key]
        return partitionwise(
            _select, self, key, meta=meta, label="getitem", columns_read=frozenset([key])
        )

    def __setitem__(self, key: Any, value: Any) -> None:
        if isinstance(key, (list, tuple, pd.Index)):
            new = self.assign(**dict(zip(key, [value[k] for k in key], strict=True)))
        elif isinstance(key, FrameBase):
            new = self.where(~key, value)
        else:
            new = self.assign(**{key: value})
        self._graph, self._name_, self._meta = new._graph, new._name_, new._meta
        self._divisions = new._divisions

    def __getattr__(self, key: str) -> Any:
        if key.startswith("_"):
            raise AttributeError(key)
        try:
            meta = object.__getattribute__(self, "_meta")
        except AttributeError:
            raise AttributeError(key) from None
        if key in meta.columns:
            return self[key]
        raise AttributeError(f"'DataFrame' object has no attribute {key!r}")

    def __dir__(self) -> list:
        out = set(super().__dir__())
        out.update(c for c in self._meta.columns if isinstance(c, str) and c.isidentifier())
        return sorted(out)

    def __iter__(self):
        return iter(self._meta.columns)

    def __contains__(self, key: Any) -> bool:
        return key in self._meta.columns

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return np.asarray(self.compute(), dtype=dtype)


class Series(PandasName, FrameBase, AccessorMethods, ReductionMethods, ShuffleMethods, IOMethods):
    """A pandas Series cut into partitions along the index.

    Examples
    --------
    >>> import pandas as pd, mpiflow.dataframe as dd
    >>> s = dd.from_pandas(pd.Series([1.0, 2.0, 3.0], name='x'), npartitions=2)
    >>> s.dtype, (s + 1).compute().tolist()
    (dtype('float64'), [2.0, 3.0, 4.0])
    """

    _partition_type = pd.Series

    @property
    def dtype(self) -> Any:
        """The dtype (known without computing).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> dd.from_pandas(pd.Series([1]), npartitions=1).dtype
        dtype('int64')
        """
        return self._meta.dtype

    @property
    def dtypes(self) -> Any:
        """Same as :attr:`dtype`.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> dd.from_pandas(pd.Series([1.5]), npartitions=1).dtypes
        dtype('float64')
        """
        return self._meta.dtype

    @property
    def ndim(self) -> int:
        """1.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> dd.from_pandas(pd.Series([1]), npartitions=1).ndim
        1
        """
        return 1

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, FrameBase):
            return self._filter(key)
        if callable(key):
            return self[key(self)]
        if isinstance(key, slice) or np.ndim(key) == 0 or isinstance(key, list):
            return self.loc[key]  # labels, as Dask
        raise TypeError(
            f"Series[...] takes a label, a list or slice of labels, or a lazy boolean Series; "
            f"got a {type(key).__name__}"
        )

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return np.asarray(self.compute(), dtype=dtype)


class Index(PandasName, FrameBase, AccessorMethods, ReductionMethods, ShuffleMethods):
    """A pandas Index cut into partitions (``df.index``).

    Examples
    --------
    >>> import pandas as pd, mpiflow.dataframe as dd
    >>> idx = dd.from_pandas(pd.Series([1, 2], index=[10, 20]), npartitions=2).index
    >>> idx.dtype, idx.compute().tolist()
    (dtype('int64'), [10, 20])
    """

    _partition_type = pd.Index

    @property
    def dtype(self) -> Any:
        """The dtype.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> dd.from_pandas(pd.Series([1]), npartitions=1).index.dtype
        dtype('int64')
        """
        return self._meta.dtype

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, FrameBase):
            return self._filter(key)
        raise NotImplementedError("Index[...] supports a lazy boolean mask (idx[idx > 0])")

    def __getattr__(self, key: str) -> Any:
        # pandas Index attributes (idx.year on a DatetimeIndex, idx.str...) per partition
        if key.startswith("_"):
            raise AttributeError(key)
        try:
            meta = object.__getattribute__(self, "_meta")
        except AttributeError:
            raise AttributeError(key) from None
        if not hasattr(type(meta), key):
            raise AttributeError(f"'Index' object has no attribute {key!r}")
        from mpiflow.dataframe.frame_extras import index_attribute

        return index_attribute(self, key)

    @property
    def index(self) -> Index:  # an Index's index is itself, as in pandas
        """The index itself.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> i = dd.from_pandas(pd.Series([1]), npartitions=1).index
        >>> i.index is i
        True
        """
        return self

    @property
    def ndim(self) -> int:
        """1.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> dd.from_pandas(pd.Series([1]), npartitions=1).index.ndim
        1
        """
        return 1


def new_collection(graph: Mapping, name: str, meta: Any, divisions: Any) -> Any:
    """A DataFrame, Series, Index or Scalar chosen by the type of ``meta``.

    Examples
    --------
    >>> import pandas as pd
    >>> type(new_collection({('x', 0): pd.Series([1])}, 'x', pd.Series([], dtype='i8'),
    ...                     (None, None))).__name__
    'Series'
    >>> new_collection({('x', 0): 3}, 'x', 1, None).compute()
    3
    """
    if isinstance(meta, pd.DataFrame):
        return DataFrame(graph, name, meta, divisions)
    if isinstance(meta, pd.Series):
        return Series(graph, name, meta, divisions)
    if isinstance(meta, pd.Index):
        return Index(graph, name, meta, divisions)
    return Scalar(graph, name, meta)
