"""More partition-by-partition methods of frames (mixin :class:`ExtraMethods`).

``to_frame``, ``to_series``, ``replace``, ``query``, ``eval``, ``sample``,
``explode``, ``add_prefix``/``add_suffix``, ``iloc`` (columns), and the
iterators ``iterrows``/``itertuples``/``items`` that compute one partition at
a time.

Examples
--------
>>> import pandas as pd, mpiflow.dataframe as dd
>>> df = dd.from_pandas(pd.DataFrame({'a': [1, 2, 3], 'b': [4, 5, 6]}), npartitions=2)
>>> df.query('a > 1').eval('c = a + b').compute().c.tolist()
[7, 9]
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from mpiflow.dataframe.layers import new_graph
from mpiflow.dataframe.meta import no_default

__all__ = ["ExtraMethods", "PandasName", "index_attribute"]


def _distinct_per_column(df: pd.DataFrame) -> list:
    out = []
    for c in range(df.shape[1]):
        col = df.iloc[:, c]
        values = col.cat.categories if isinstance(col.dtype, pd.CategoricalDtype) else col.dropna()
        out.append(list(pd.unique(np.asarray(values, dtype=object))))
    return out


def _sample(df: Any, state: int, frac: float, replace: bool) -> Any:
    return df.sample(frac=frac, replace=replace, random_state=np.random.RandomState(state))


def _index_attr(idx: pd.Index, key: str) -> Any:
    out = getattr(idx, key)
    return out if isinstance(out, pd.Index) else pd.Index(out, name=idx.name)


def _index_call(idx: pd.Index, key: str, *args: Any, **kwargs: Any) -> Any:
    out = getattr(idx, key)(*args, **kwargs)
    return out if isinstance(out, (pd.Index, pd.Series, pd.DataFrame)) else pd.Index(out)


def index_attribute(index: Any, key: str) -> Any:
    """A pandas Index attribute of every partition of a lazy Index (``idx.year``, ``idx.map``).

    Examples
    --------
    >>> import pandas as pd, mpiflow.dataframe as dd
    >>> pdf = pd.DataFrame({'v': [1, 2]}, index=pd.to_datetime(['2020-05-01', '2021-06-02']))
    >>> dd.from_pandas(pdf, npartitions=2).index.year.compute().tolist()
    [2020, 2021]
    """
    from mpiflow.dataframe.core import partitionwise
    from mpiflow.dataframe.meta import emulate

    kind = getattr(type(index._meta), key)
    if callable(kind) and not isinstance(kind, property):

        def method(*args: Any, **kwargs: Any) -> Any:
            meta = emulate(_index_call, index, key, *args, func_kwargs=kwargs)
            out = partitionwise(
                _index_call, index, key, *args, meta=meta, label=f"index-{key}", func_kwargs=kwargs
            )
            return out.clear_divisions() if isinstance(meta, pd.Index) else out

        method.__name__ = key
        return method
    meta = emulate(_index_attr, index, key)
    out = partitionwise(_index_attr, index, key, meta=meta, label=f"index-{key}")
    return out.clear_divisions() if isinstance(meta, pd.Index) else out


class _ILoc:
    """``df.iloc[:, cols]``: positional column selection (rows must be ``:``)."""

    def __init__(self, frame: Any) -> None:
        self.frame = frame

    def __getitem__(self, key: Any) -> Any:
        if not (isinstance(key, tuple) and len(key) == 2 and key[0] == slice(None)):
            raise NotImplementedError(
                "iloc only selects columns here: df.iloc[:, positions]. Rows have no "
                "global positions without computing the partition lengths; use "
                "df.partitions[...] or df.loc[...] for rows"
            )
        cols = self.frame._meta.columns[key[1]]
        if np.ndim(cols) == 0:
            return self.frame[cols]
        return self.frame[list(cols)]


class PandasName:
    """``name``: the pandas name of a Series or Index (as Dask; the layer name is ``_name``)."""

    @property
    def name(self) -> Any:
        """The pandas name (as Dask); the layer name is ``_name``.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> s = dd.from_pandas(pd.Series([1, 2], name='x'), npartitions=1)
        >>> s.name
        'x'
        >>> s.name = 'y'
        >>> s.compute().name
        'y'
        """
        return self._meta.name

    @name.setter
    def name(self, value: Any) -> None:
        renamed = self.rename(value)
        self._graph, self._name_, self._meta = renamed._graph, renamed._name_, renamed._meta


class ExtraMethods:
    """Partition-by-partition methods shared by DataFrame, Series and Index.

    Examples
    --------
    >>> import pandas as pd, mpiflow.dataframe as dd
    >>> s = dd.from_pandas(pd.Series([1, 2], name='x'), npartitions=1)
    >>> list(s.replace(2, 5))
    [1, 5]
    """

    def to_frame(self, name: Any = no_default) -> Any:
        """A one-column DataFrame (Series or Index).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> s = dd.from_pandas(pd.Series([1, 2], name='x'), npartitions=1)
        >>> s.to_frame().columns.tolist(), s.to_frame('y').columns.tolist()
        (['x'], ['y'])
        """
        if isinstance(self._meta, pd.DataFrame):
            raise TypeError("to_frame() is a Series/Index method")
        kw = {} if name is no_default else {"name": name}
        return self._method("to_frame", **kw)

    def to_series(self, index: Any = None, name: Any = None) -> Any:
        """An Index as a Series of its values (indexed by themselves).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> i = dd.from_pandas(pd.Series([5, 6], index=[1, 2]), npartitions=1).index
        >>> i.to_series().compute().tolist()
        [1, 2]
        """
        if not isinstance(self._meta, pd.Index):
            raise TypeError("to_series() is an Index method")
        return self._method("to_series", name=name)

    def replace(self, to_replace: Any = None, value: Any = no_default, regex: bool = False) -> Any:
        """Replace values (as pandas ``replace``; no ``method=`` filling).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> s = dd.from_pandas(pd.Series([1, 2, 1]), npartitions=2)
        >>> s.replace(1, 9).compute().tolist()
        [9, 2, 9]
        """
        kw: dict = {"regex": regex}
        if value is not no_default:
            kw["value"] = value
        return self._method("replace", to_replace, **kw)

    def query(self, expr: str, **kwargs: Any) -> Any:
        """Filter rows with a boolean expression of the columns (pandas ``query``).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> df = dd.from_pandas(pd.DataFrame({'a': [1, 5, 3]}), npartitions=2)
        >>> df.query('a >= 3').a.compute().tolist()
        [5, 3]
        """
        return self._method("query", expr, meta=self._meta, **kwargs)

    def eval(self, expr: str, **kwargs: Any) -> Any:
        """Evaluate an expression of the columns (``'c = a + b'`` adds a column).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> df = dd.from_pandas(pd.DataFrame({'a': [1, 2], 'b': [3, 4]}), npartitions=2)
        >>> df.eval('a * b').compute().tolist()
        [3, 8]
        """
        if kwargs.get("inplace"):
            raise NotImplementedError("eval(inplace=True) is not supported: assign the result")
        return self._method("eval", expr, **kwargs)

    def sample(
        self, n: Any = None, frac: Any = None, replace: bool = False, random_state: Any = None
    ) -> Any:
        """A random fraction of the rows of every partition (``frac=`` only, as Dask).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> s = dd.from_pandas(pd.Series(range(100)), npartitions=4)
        >>> len(s.sample(frac=0.5, random_state=1).compute())
        48
        """
        from mpiflow.core.tokenize import tokenize
        from mpiflow.dataframe.core import new_collection

        if n is not None or frac is None:
            raise ValueError(
                "sample(n=...) is not supported, the partition lengths are unknown: pass "
                "frac= (a fraction of the rows), e.g. df.sample(frac=0.01)"
            )
        seeds = np.random.RandomState(random_state).randint(0, 2**31 - 1, size=self.npartitions)
        name = f"sample-{tokenize(self._name_, frac, replace, seeds.tolist())}"
        src = self._name_
        layer = {
            (name, i): (_sample, (src, i), int(seed), frac, replace) for i, seed in enumerate(seeds)
        }
        graph = new_graph(name, layer, [self])
        return new_collection(graph, name, self._meta, self._divisions)

    def explode(self, column: Any = None, ignore_index: bool = False) -> Any:
        """One row per element of list-like values (pandas ``explode``).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> s = dd.from_pandas(pd.Series([[1, 2], [3]]), npartitions=1)
        >>> s.explode().compute().tolist()
        [1, 2, 3]
        """
        if isinstance(self._meta, pd.DataFrame):
            if column is None:
                raise TypeError("DataFrame.explode needs column=")
            cols = [column] if np.ndim(column) == 0 else list(column)
            self._check_columns(cols)
            return self._method("explode", column, ignore_index=ignore_index)
        return self._method("explode", ignore_index=ignore_index)

    def add_prefix(self, prefix: str) -> Any:
        """Prefix column labels (DataFrame) or index labels (Series).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> df = dd.from_pandas(pd.DataFrame({'a': [1]}), npartitions=1)
        >>> df.add_prefix('x_').columns.tolist()
        ['x_a']
        """
        out = self._method("add_prefix", prefix)
        return out if isinstance(self._meta, pd.DataFrame) else out.clear_divisions()

    def add_suffix(self, suffix: str) -> Any:
        """Suffix column labels (DataFrame) or index labels (Series).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> df = dd.from_pandas(pd.DataFrame({'a': [1]}), npartitions=1)
        >>> df.add_suffix('_y').columns.tolist()
        ['a_y']
        """
        out = self._method("add_suffix", suffix)
        return out if isinstance(self._meta, pd.DataFrame) else out.clear_divisions()

    def categorize(self, columns: Any = None, index: Any = None) -> Any:
        """Make columns categorical with known categories (computes their distinct values).

        Parameters
        ----------
        columns : list, optional
            Columns to convert (default: the string/object columns, and
            categorical columns whose categories are unknown).
        index : bool, optional
            Accepted for Dask compatibility; the index is left as it is.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> df = dd.from_pandas(pd.DataFrame({'k': ['b', 'a', 'b'], 'v': [1, 2, 3]}), 2)
        >>> c = df.categorize()
        >>> c.k.cat.known, list(c.k.cat.categories)
        (True, ['b', 'a'])
        """
        meta = self._meta
        if not isinstance(meta, pd.DataFrame):
            return self.astype("category").cat.as_known()
        if columns is None:
            columns = [
                c
                for c, d in meta.dtypes.items()
                if pd.api.types.is_string_dtype(d)
                or (isinstance(d, pd.CategoricalDtype) and not len(d.categories))
            ]
        else:
            columns = [columns] if np.ndim(columns) == 0 else list(columns)
            self._check_columns(columns)
        if not columns:
            return self
        parts = self[columns].map_partitions(
            _distinct_per_column, meta=("u", object), enforce_metadata=False
        )
        found: dict = {c: {} for c in columns}
        for part in parts.compute():
            for c, values in zip(columns, part, strict=True):
                for v in values:
                    found[c].setdefault(v, None)
        dtypes = {c: pd.CategoricalDtype(list(found[c])) for c in columns}
        return self.astype(dtypes)

    def info(self, buf: Any = None, memory_usage: bool = False) -> None:
        """Print the class, columns and dtypes (nothing is computed unless ``memory_usage``).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> dd.from_pandas(pd.DataFrame({'a': [1], 'b': ['x']}), npartitions=1).info()
        <class 'mpiflow.dataframe.core.DataFrame'>
        Columns: 2 entries, a to b
        dtypes: int64(1), str(1)
        """
        import sys

        meta = self._meta
        if not isinstance(meta, pd.DataFrame):
            raise TypeError("info() is a DataFrame method")
        cols = list(meta.columns)
        lines = [str(type(self))]
        if cols:
            lines.append(f"Columns: {len(cols)} entries, {cols[0]} to {cols[-1]}")
        else:
            lines.append("Empty DataFrame")
        counts = meta.dtypes.astype(str).value_counts(sort=False)
        lines.append("dtypes: " + ", ".join(f"{d}({n})" for d, n in sorted(counts.items())))
        if memory_usage:
            total = int(self.memory_usage(deep=True).compute().sum())
            lines.append(f"memory usage: {total} bytes")
        (buf or sys.stdout).write("\n".join(lines) + "\n")

    @property
    def iloc(self) -> _ILoc:
        """Positional column selection: ``df.iloc[:, [0, 2]]``.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> df = dd.from_pandas(pd.DataFrame({'a': [1], 'b': [2], 'c': [3]}), npartitions=1)
        >>> df.iloc[:, [0, 2]].columns.tolist()
        ['a', 'c']
        """
        return _ILoc(self)

    # -- iteration (computes one partition at a time) -----------------------------------
    def _iter_partitions(self) -> Iterator:
        for d in self.to_delayed():
            yield d.compute()

    def __iter__(self) -> Iterator:
        for part in self._iter_partitions():
            yield from part

    def iterrows(self) -> Iterator:
        """``(label, row)`` pairs, computing one partition at a time.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> df = dd.from_pandas(pd.DataFrame({'a': [1, 2]}), npartitions=2)
        >>> [(i, r.a) for i, r in df.iterrows()]
        [(0, np.int64(1)), (1, np.int64(2))]
        """
        for part in self._iter_partitions():
            yield from part.iterrows()

    def itertuples(self, index: bool = True, name: Any = "Pandas") -> Iterator:
        """Rows as named tuples, computing one partition at a time.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> df = dd.from_pandas(pd.DataFrame({'a': [1, 2]}), npartitions=2)
        >>> [t.a for t in df.itertuples()]
        [1, 2]
        """
        for part in self._iter_partitions():
            yield from part.itertuples(index=index, name=name)

    def items(self) -> Iterator:
        """``(column, Series)`` pairs of a DataFrame (lazy Series; nothing computes).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> df = dd.from_pandas(pd.DataFrame({'a': [1], 'b': [2]}), npartitions=1)
        >>> [c for c, _ in df.items()]
        ['a', 'b']
        """
        for c in self._meta.columns:
            yield c, self[c]
