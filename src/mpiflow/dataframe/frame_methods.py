"""Structural methods of frames (mixin :class:`FrameMethods`).

``head``/``tail``, ``len``/``shape``, ``assign``, ``rename``, ``drop``,
``apply(axis=1)``, ``select_dtypes``, ``reset_index``, ``memory_usage``,
conversion to Delayed values and arrays.

Examples
--------
>>> import pandas as pd, mpiflow.dataframe as dd
>>> df = dd.from_pandas(pd.DataFrame({'a': [1, 2, 3]}), npartitions=2)
>>> df.assign(b=df.a * 2).rename(columns={'b': 'c'}).head(2)
   a  c
0  1  2
1  2  4
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from mpiflow.dataframe.elementwise import call_method
from mpiflow.dataframe.layers import new_graph
from mpiflow.dataframe.meta import _index_meta, emulate, make_meta, no_default

__all__ = ["FrameMethods"]


def _len_of(frame: Any) -> int:
    layer = frame._graph.layers.get(frame._name_)
    if type(layer) is dict:  # data in memory (from_pandas, persist): no computing
        parts = [layer.get(k) for k in frame.__mpiflow_keys__()]
        if all(isinstance(p, (pd.DataFrame, pd.Series, pd.Index)) for p in parts):
            return sum(len(p) for p in parts)
    return int(frame._lengths_scalar().compute())


def _sum_lengths(*lengths: int) -> int:
    return int(sum(lengths))


def _assign(df: pd.DataFrame, names: list, *values: Any) -> pd.DataFrame:
    df = df.copy(deep=False)
    for n, v in zip(names, values, strict=True):
        if isinstance(v, pd.Series) and not v.index.equals(df.index):
            v = v.reindex(df.index)
        df[n] = v
    return df


def _tail(df: Any, n: int) -> Any:
    return df.iloc[-n:] if n else df.iloc[:0]


def _head_concat(n: int, *parts: Any) -> Any:
    from mpiflow.dataframe.core import concat_partitions

    return concat_partitions(list(parts)).iloc[:n]


def _tail_concat(n: int, *parts: Any) -> Any:
    from mpiflow.dataframe.core import concat_partitions

    return _tail(concat_partitions(list(parts)), n)


def _memory_sum(*parts: Any) -> Any:
    out = parts[0]
    for p in parts[1:]:
        out = out + p
    return out


class FrameMethods:
    """Structural methods shared by DataFrame, Series and Index.

    Examples
    --------
    >>> import pandas as pd, mpiflow.dataframe as dd
    >>> df = dd.from_pandas(pd.DataFrame({'a': [1, 2, 3]}), npartitions=2)
    >>> len(df), df.assign(b=1).drop(columns='a').columns.tolist()
    (3, ['b'])
    """

    def _check_columns(self, keys: list) -> None:
        from mpiflow.dataframe.meta import closest_name

        cols = self._meta.columns
        for k in keys:
            if k not in cols:
                raise KeyError(
                    f"Column {k!r} not found. The DataFrame has columns "
                    f"{list(cols)}.{closest_name(k, cols)}"
                )

    def clear_divisions(self) -> Any:
        """The same collection with unknown divisions.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> dd.from_pandas(pd.Series(range(4)), npartitions=2).clear_divisions().divisions
        (None, None, None)
        """
        from mpiflow.dataframe.core import new_collection

        return new_collection(
            self._graph, self._name_, self._meta, (None,) * (self.npartitions + 1)
        )

    # -- size -----------------------------------------------------------------------------
    def _lengths_scalar(self) -> Any:
        """A lazy Scalar: the total number of rows."""
        from mpiflow.core.tokenize import tokenize
        from mpiflow.dataframe.scalar import Scalar

        src = self
        if isinstance(self._meta, pd.DataFrame) and len(self._meta.columns):
            src = self[[self._meta.columns[0]]]  # a file reader then reads one column
        lens = src.map_partitions(len, meta=("len", "i8"), enforce_metadata=False)
        name = f"len-agg-{tokenize(self._name_)}"
        layer = {(name, 0): (_sum_lengths, *lens.__mpiflow_keys__())}
        return Scalar(new_graph(name, layer, [lens]), name, np.int64(1))

    @property
    def shape(self) -> tuple:
        """``(rows, columns)`` for a DataFrame, ``(rows,)`` otherwise; rows is a lazy Scalar.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> rows, cols = dd.from_pandas(pd.DataFrame({'a': range(5)}), npartitions=2).shape
        >>> rows.compute(), cols
        (5, 1)
        """
        rows = self._lengths_scalar()
        if isinstance(self._meta, pd.DataFrame):
            return (rows, len(self._meta.columns))
        return (rows,)

    @property
    def size(self) -> Any:
        """Number of elements, as a lazy Scalar.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> dd.from_pandas(pd.DataFrame({'a': range(5), 'b': 1}), npartitions=2).size.compute()
        10
        """
        rows = self._lengths_scalar()
        if isinstance(self._meta, pd.DataFrame):
            return rows * len(self._meta.columns)
        return rows

    def memory_usage(self, index: bool = True, deep: bool = False) -> Any:
        """Bytes used per column (a lazy Series for a DataFrame, a Scalar otherwise).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> df = dd.from_pandas(pd.DataFrame({'a': range(4)}), npartitions=2)
        >>> df.memory_usage(index=False).compute().to_dict()
        {'a': 32}
        """
        from mpiflow.core.tokenize import tokenize
        from mpiflow.dataframe.core import new_collection

        if isinstance(self._meta, pd.Index):
            parts = self.map_partitions(
                call_method, "memory_usage", deep=deep, meta=("m", "i8"), enforce_metadata=False
            )
            meta: Any = np.int64(1)
        else:
            meta = self._meta.memory_usage(index=index, deep=deep)
            parts = self.map_partitions(
                call_method, "memory_usage", index=index, deep=deep, meta=meta
            )
            if isinstance(self._meta, pd.Series):
                meta = np.int64(1)
        name = f"memory_usage-agg-{tokenize(parts._name_)}"
        layer = {(name, 0): (_memory_sum, *parts.__mpiflow_keys__())}
        graph = new_graph(name, layer, [parts])
        return new_collection(graph, name, meta, (None, None))

    def memory_usage_per_partition(self, index: bool = True, deep: bool = False) -> Any:
        """Bytes used by each partition, as a lazy Series.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> df = dd.from_pandas(pd.DataFrame({'a': range(4)}), npartitions=2)
        >>> df.memory_usage_per_partition(index=False).compute().tolist()
        [16, 16]
        """
        return self.map_partitions(
            _partition_bytes, index=index, deep=deep, meta=("m", "i8"), enforce_metadata=False
        )

    @property
    def partitions(self) -> Any:
        """Select partitions by position: ``df.partitions[0]``, ``df.partitions[::2]``.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> df = dd.from_pandas(pd.Series(range(6)), npartitions=3)
        >>> df.partitions[1].compute().tolist()
        [2, 3]
        """
        from mpiflow.dataframe.indexing import PartitionSelector

        return PartitionSelector(self)

    def get_partition(self, n: int) -> Any:
        """Partition ``n`` as a one-partition collection.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> dd.from_pandas(pd.Series(range(6)), npartitions=3).get_partition(2).compute().tolist()
        [4, 5]
        """
        if not 0 <= n < self.npartitions:
            raise IndexError(
                f"get_partition({n}): the collection has {self.npartitions} partitions "
                f"(0 to {self.npartitions - 1})"
            )
        return self.partitions[n]

    # -- head and tail ------------------------------------------------------------------
    def head(self, n: int = 5, npartitions: int = 1, compute: bool = True) -> Any:
        """The first ``n`` rows, read from the first ``npartitions`` partitions (as Dask).

        Warns when those partitions hold fewer than ``n`` rows (pass
        ``npartitions=-1`` to use all of them).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> s = dd.from_pandas(pd.Series(range(10)), npartitions=3)
        >>> s.head(3).tolist()
        [0, 1, 2]
        """
        from mpiflow.core.tokenize import tokenize
        from mpiflow.dataframe.core import new_collection

        if npartitions == -1:
            npartitions = self.npartitions
        if not 1 <= npartitions <= self.npartitions:
            raise ValueError(
                f"head(npartitions={npartitions}): the collection has {self.npartitions} "
                "partitions; pass a number between 1 and that, or -1 for all"
            )
        name = f"head-{tokenize(self._name_, n, npartitions)}"
        keys = [(self._name_, i) for i in range(npartitions)]
        if npartitions == 1:
            layer = {(name, 0): (_head_one, keys[0], n)}
        else:
            layer = {(name, 0): (_head_concat, n, *keys)}
        div = (self._divisions[0], self._divisions[npartitions])
        out = new_collection(new_graph(name, layer, [self]), name, self._meta, div)
        if not compute:
            return out
        result = out.compute()
        if len(result) < n:
            warnings.warn(
                f"Insufficient elements for `head`. {n} elements requested, only "
                f"{len(result)} elements available. Try passing larger `npartitions` to "
                "`head`.",
                UserWarning,
                stacklevel=2,
            )
        return result

    def tail(self, n: int = 5, compute: bool = True) -> Any:
        """The last ``n`` rows, read from the last partition (as Dask).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> dd.from_pandas(pd.Series(range(10)), npartitions=3).tail(2).tolist()
        [8, 9]
        """
        from mpiflow.core.tokenize import tokenize
        from mpiflow.dataframe.core import new_collection

        name = f"tail-{tokenize(self._name_, n)}"
        last = self.npartitions - 1
        layer = {(name, 0): (_tail, (self._name_, last), n)}
        div = (self._divisions[last], self._divisions[-1])
        out = new_collection(new_graph(name, layer, [self]), name, self._meta, div)
        return out.compute() if compute else out

    # -- columns --------------------------------------------------------------------------
    def assign(self, **kwargs: Any) -> Any:
        """New columns: lazy Series, scalars, or callables of the frame.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> df = dd.from_pandas(pd.DataFrame({'a': [1, 2]}), npartitions=2)
        >>> df.assign(b=df.a + 1, c=lambda d: d.a * 10, d='x').compute().values.tolist()
        [[1, 2, 10, 'x'], [2, 3, 20, 'x']]
        """
        from mpiflow.dataframe.core import FrameBase

        if not isinstance(self._meta, pd.DataFrame):
            raise TypeError("assign() is a DataFrame method")
        df = self
        pending_names: list = []
        pending: list = []
        for k, v in kwargs.items():
            if callable(v) and not isinstance(v, FrameBase):
                if pending:  # the callable may read columns assigned before it
                    df = _assign_layer(df, pending_names, pending)
                    pending_names, pending = [], []
                v = v(df)
            if isinstance(v, FrameBase) and isinstance(v._meta, pd.DataFrame):
                raise TypeError(f"assign({k}=...): the value is a DataFrame; pass a Series")
            if isinstance(v, (pd.Series, pd.DataFrame, pd.Index)):
                raise TypeError(
                    f"assign({k}=...): the value is an in-memory pandas object; convert it "
                    "with dd.from_pandas(...) so partitions can be aligned, or pass an array "
                    "via dd.from_array"
                )
            if isinstance(v, (list, np.ndarray)) and np.ndim(v) > 0:
                raise TypeError(
                    f"assign({k}=...): array-like values need known partition lengths; wrap "
                    "them with dd.from_array(...) or dd.from_pandas(...) first"
                )
            pending_names.append(k)
            pending.append(v)
        if pending:
            df = _assign_layer(df, pending_names, pending)
        return df

    def rename(self, index: Any = None, columns: Any = None, **kwargs: Any) -> Any:
        """Rename columns (``columns=`` dict or function) or a Series (``rename('x')``).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> df = dd.from_pandas(pd.DataFrame({'a': [1]}), npartitions=1)
        >>> df.rename(columns={'a': 'b'}).columns.tolist()
        ['b']
        >>> df.a.rename('z').compute().name
        'z'
        """
        if isinstance(self._meta, pd.DataFrame):
            if index is not None:
                raise NotImplementedError(
                    "DataFrame.rename(index=...) is not supported: use map_partitions "
                    "to rename index labels"
                )
            if columns is None:
                return self
            meta = self._meta.rename(columns=columns)
            return self._method("rename", columns=columns, meta=meta)
        if index is None or np.ndim(index) == 0 and not callable(index):
            meta = self._meta.rename(index)
            return self._method("rename", index, meta=meta)
        out = self._method("rename", index)
        if not kwargs.get("sorted_index", False):
            out = out.clear_divisions()
        return out

    def drop(
        self,
        labels: Any = None,
        axis: Any = 0,
        columns: Any = None,
        errors: str = "raise",
    ) -> Any:
        """Drop columns (``columns=`` or ``labels`` with ``axis=1``).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> df = dd.from_pandas(pd.DataFrame({'a': [1], 'b': [2]}), npartitions=1)
        >>> df.drop(columns='a').columns.tolist()
        ['b']
        """
        if columns is None and axis in (1, "columns"):
            columns = labels
        if columns is None:
            raise NotImplementedError(
                "drop() of rows (axis=0) is not supported: filter rows with a mask instead, "
                "e.g. df[~df.index.isin(labels)]; to drop columns pass columns=..."
            )
        cols = [columns] if np.ndim(columns) == 0 else list(columns)
        if errors == "raise":
            self._check_columns(cols)
        keep = [c for c in self._meta.columns if c not in set(cols)]
        return self[keep]

    def select_dtypes(self, include: Any = None, exclude: Any = None) -> Any:
        """The columns whose dtypes match (as pandas ``select_dtypes``; no computing).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> df = dd.from_pandas(pd.DataFrame({'a': [1], 'b': ['x']}), npartitions=1)
        >>> df.select_dtypes('number').columns.tolist()
        ['a']
        """
        cols = self._meta.select_dtypes(include=include, exclude=exclude).columns
        return self[list(cols)]

    def reset_index(self, drop: bool = False, **kwargs: Any) -> Any:
        """Move the index into a column; the new index restarts at 0 in every partition (as Dask).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> s = dd.from_pandas(pd.Series([5, 6], index=[10, 11], name='x'), npartitions=1)
        >>> s.reset_index().compute().columns.tolist()
        ['index', 'x']
        """
        out = self._method("reset_index", drop=drop, **kwargs)
        return out.clear_divisions()

    def apply(
        self, func: Callable, axis: Any = 0, args: tuple = (), meta: Any = no_default, **kwds: Any
    ) -> Any:
        """Apply ``func`` row by row (``axis=1`` on a DataFrame) or element by element (Series).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> df = dd.from_pandas(pd.DataFrame({'a': [1, 2], 'b': [3, 4]}), npartitions=2)
        >>> df.apply(lambda r: r.a + r.b, axis=1, meta=('s', 'i8')).compute().tolist()
        [4, 6]
        """
        is_frame = isinstance(self._meta, pd.DataFrame)
        if is_frame and axis not in (1, "columns"):
            raise NotImplementedError(
                "DataFrame.apply(axis=0) would need whole columns: only axis=1 (row by row) "
                "is supported; use map_partitions or reductions for column-wise work"
            )
        kw = dict(kwds)
        if is_frame:
            kw["axis"] = 1
        if args:
            kw["args"] = args
        if meta is no_default:
            warnings.warn(
                "You did not provide metadata, so mpiflow ran your function on fake data "
                "to guess the output type; pass meta= to avoid this (and wrong guesses).",
                UserWarning,
                stacklevel=2,
            )
            meta = emulate(call_method, self, "apply", func, udf=True, func_kwargs=kw)
        else:
            meta = make_meta(meta, index=_index_meta(self._meta))
        return self._method("apply", func, meta=meta, func_kwargs=kw)

    def pipe(self, func: Callable, *args: Any, **kwargs: Any) -> Any:
        """``func(self, *args, **kwargs)``.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> dd.from_pandas(pd.Series([1]), npartitions=1).pipe(lambda s: s + 1).compute().tolist()
        [2]
        """
        return func(self, *args, **kwargs)

    @property
    def loc(self) -> Any:
        """Label-based selection of rows (``df.loc[label]``, ``df.loc[a:b]``, ``df.loc[mask]``).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> s = dd.from_pandas(pd.Series(range(6)), npartitions=3)
        >>> s.loc[1:3].compute().tolist()
        [1, 2, 3]
        """
        from mpiflow.dataframe.indexing import LocIndexer

        return LocIndexer(self)

    # -- conversion ---------------------------------------------------------------------
    def to_delayed(self, optimize_graph: bool = True) -> list:
        """The partitions as a list of :class:`~mpiflow.delayed.Delayed` values.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> parts = dd.from_pandas(pd.Series(range(4)), npartitions=2).to_delayed()
        >>> [p.compute().tolist() for p in parts]
        [[0, 1], [2, 3]]
        """
        from mpiflow.dataframe.creation import to_delayed

        return to_delayed(self, optimize_graph=optimize_graph)

    def to_array(self, lengths: Any = None, meta: Any = None) -> Any:
        """An :mod:`mpiflow.array` Array of the values (``lengths=True`` computes chunk sizes).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> x = dd.from_pandas(pd.DataFrame({'a': [1, 2, 3]}), npartitions=2).to_array(True)
        >>> x.chunks, x.compute().tolist()
        (((2, 1), (1,)), [[1], [2], [3]])
        """
        from mpiflow.dataframe.creation import to_array

        return to_array(self, lengths=lengths, meta=meta)

    to_dask_array = to_array

    @property
    def values(self) -> Any:
        """The values as an Array with unknown chunk lengths (see :meth:`to_array`).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> dd.from_pandas(pd.Series([1, 2]), npartitions=2).values.compute().tolist()
        [1, 2]
        """
        return self.to_array()


def _partition_bytes(df: Any, index: bool, deep: bool) -> int:
    out = df.memory_usage(index=index, deep=deep)
    return int(out.sum()) if hasattr(out, "sum") else int(out)


def _head_one(df: Any, n: int) -> Any:
    return df.iloc[:n]


def _assign_layer(df: Any, names: list, values: list) -> Any:
    from mpiflow.dataframe.core import partitionwise

    meta = emulate(_assign, df, names, *values)
    return partitionwise(_assign, df, names, *values, meta=meta, label="assign")
