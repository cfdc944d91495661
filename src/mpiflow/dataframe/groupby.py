"""``groupby``: grouped aggregations as tree reductions, ``transform``/``apply`` via a shuffle.

``df.groupby(by)`` takes a column label, a list of labels, a Series collection
with the same partitions, or a list mixing them. Aggregations (``sum``,
``mean``, ``count``, ``size``, ``min``, ``max``, ``std``, ``var``, ``first``,
``last``, ``nunique``, ``prod``, and ``agg`` with a name, a list, a dict or
named aggregations) run as a tree: each partition is grouped once by pandas
(``sort=False``, one cython aggregation per kind of partial), partials are
merged by their group keys, and the last step finishes (``mean = sum /
count``...) and sorts. Only the key columns and the aggregated columns are
selected first, so CSV and Parquet readers read only those.

``split_out=n`` hash-partitions the partials by group key into ``n`` output
partitions (for results with very many groups). ``transform`` and ``apply``
shuffle the rows so every group is whole in one partition
(:func:`mpiflow.dataframe.shuffle.groupby_shuffle_apply`).

Examples
--------
>>> import pandas as pd
>>> import mpiflow.dataframe as dd
>>> pdf = pd.DataFrame({'k': list('abab'), 'x': [1, 2, 3, 4], 'y': [1.0, 2.0, 3.0, 5.0]})
>>> df = dd.from_pandas(pdf, npartitions=2)
>>> out = df.groupby('k').agg(total=('x', 'sum'), spread=('y', 'std'))
>>> out.compute()  # doctest: +NORMALIZE_WHITESPACE
   total    spread
k
a      4  1.414214
b      6  2.121320
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from mpiflow.dataframe import groupby_kernels as G
from mpiflow.dataframe.groupby_custom import Aggregation
from mpiflow.dataframe.groupby_shuffle import ShuffleGroupByMethods
from mpiflow.dataframe.meta import make_meta, meta_nonempty
from mpiflow.dataframe.reductions import reduction

__all__ = ["DataFrameGroupBy", "SeriesGroupBy", "make_groupby"]

_SERIES_COL = "__series__"


def make_groupby(obj: Any, by: Any, level: Any = None, **kwargs: Any) -> Any:
    """``obj.groupby(by, ...)``: a DataFrameGroupBy (frames) or SeriesGroupBy (Series).

    Examples
    --------
    >>> import pandas as pd, mpiflow.dataframe as dd
    >>> df = dd.from_pandas(pd.DataFrame({'k': [1], 'v': [2]}), npartitions=1)
    >>> type(make_groupby(df, 'k')).__name__, type(make_groupby(df.v, df.k)).__name__
    ('DataFrameGroupBy', 'SeriesGroupBy')
    """
    from mpiflow.dataframe.core import FrameBase

    if level is not None:
        raise NotImplementedError(
            "groupby(level=...) is not supported; use df.reset_index() and group by the column"
        )
    if by is None:
        raise TypeError("groupby: give by= (a column label, a list of labels or a Series)")
    keys = list(by) if isinstance(by, (list, tuple)) else [by]
    if not keys:
        raise ValueError("groupby: by= is an empty list; give at least one key")
    frame = isinstance(obj._meta, pd.DataFrame)
    cols = list(obj._meta.columns) if frame else []
    for k in keys:
        if isinstance(k, FrameBase):
            if not isinstance(k._meta, pd.Series):
                raise TypeError(
                    f"groupby: a key collection must be a Series, got {type(k).__name__}"
                )
            continue
        if callable(k) or isinstance(k, pd.Series):
            raise NotImplementedError(
                "groupby: keys must be column labels or mpiflow Series (with the same "
                f"partitions), got {type(k).__name__}; convert it with dd.from_pandas first"
            )
        if not frame:
            raise TypeError(
                f"Series.groupby: key {k!r} is a label, but a Series has no columns; "
                "pass a Series collection (s.groupby(other_series))"
            )
        G.check_column(k, cols, "groupby")
    cls = DataFrameGroupBy if frame else SeriesGroupBy
    return cls(obj, keys, **kwargs)


class _GroupBy(ShuffleGroupByMethods):
    """What DataFrameGroupBy and SeriesGroupBy share."""

    def __init__(
        self,
        obj: Any,
        by: list,
        sort: bool = True,
        dropna: bool = True,
        observed: bool = True,
        group_keys: bool = True,
        selected: Any = None,
        **kwargs: Any,
    ) -> None:
        if kwargs:
            raise TypeError(f"groupby: unexpected keyword arguments {sorted(kwargs)}")
        self.obj = obj
        self.by = by
        self.sort = sort
        self.dropna = dropna
        self.observed = observed
        self.group_keys = group_keys
        self._selected = selected

    # -- what is grouped ----------------------------------------------------------------
    @property
    def _label_keys(self) -> list:
        from mpiflow.dataframe.core import FrameBase

        return [k for k in self.by if not isinstance(k, FrameBase)]

    @property
    def _series_keys(self) -> list:
        from mpiflow.dataframe.core import FrameBase

        return [k for k in self.by if isinstance(k, FrameBase)]

    def _by_spec(self) -> list:
        from mpiflow.dataframe.core import FrameBase

        out, j = [], 0
        for k in self.by:
            if isinstance(k, FrameBase):
                out.append(("series", j))
                j += 1
            else:
                out.append(("col", k))
        return out

    def _value_columns(self) -> list:
        """The aggregated columns (the selection, or all non-key columns)."""
        if not isinstance(self.obj._meta, pd.DataFrame):
            return [_SERIES_COL]
        if self._selected is not None:
            sel = self._selected
            return list(sel) if isinstance(sel, list) else [sel]
        keys = set(self._label_keys)
        return [c for c in self.obj._meta.columns if c not in keys]

    def _projected(self, cols: list) -> Any:
        """``obj[[*keys, *cols]]`` (a column selection, so readers read only these columns)."""
        obj = self.obj
        if not isinstance(obj._meta, pd.DataFrame):
            return obj
        want = list(dict.fromkeys([*self._label_keys, *cols]))
        if not want:
            want = [obj._meta.columns[0]]
        if want == list(obj._meta.columns):
            return obj
        return obj[want]

    def _fake(self) -> tuple:
        """(fake frame or Series, fake keys) for running pandas to learn metas."""
        data = meta_nonempty(self.obj._meta)
        keys = []
        for k in self.by:
            if isinstance(k, str) or not hasattr(k, "_meta"):
                keys.append(k)
            else:
                fk = meta_nonempty(k._meta)
                keys.append(fk.set_axis(data.index) if len(fk) == len(data) else fk)
        return data, keys

    def _pandas_grouped(self, data: Any, keys: list) -> Any:
        g = data.groupby(
            keys if len(keys) > 1 else keys[0],
            sort=self.sort,
            dropna=self.dropna,
            observed=self.observed,
            group_keys=self.group_keys,
        )
        if self._selected is not None and isinstance(data, pd.DataFrame):
            g = g[self._selected]
        return g

    def _meta_of(self, what: str, call: Any) -> Any:
        data, keys = self._fake()
        try:
            out = call(self._pandas_grouped(data, keys))
        except (TypeError, ValueError, NotImplementedError, AttributeError) as e:
            raise TypeError(
                f"groupby(...).{what} is not defined for these columns "
                f"({self._schema()}): {type(e).__name__}: {e}. Select the columns it applies "
                "to first, e.g. df.groupby(key)[['col']]."
            ) from e
        return make_meta(out)

    def _schema(self) -> str:
        meta = self.obj._meta
        if isinstance(meta, pd.Series):
            return f"{meta.name}: {meta.dtype}"
        cols = self._value_columns()
        return ", ".join(f"{c}: {meta[c].dtype}" for c in cols)

    def _key_names(self) -> list:
        return [k if not hasattr(k, "_meta") else k._meta.name for k in self.by]

    # -- the tree -----------------------------------------------------------------------
    def _aggregate(
        self, outputs: G.Outputs, meta: Any, split_every: Any, split_out: Any, label: str
    ) -> Any:
        plan = G.make_plan(outputs.outputs)
        cols = [c for c in dict.fromkeys(o[1] for o in outputs.outputs) if c is not None]
        data = self._projected([c for c in cols if c != _SERIES_COL])
        by = self._by_spec()
        ck = {"by": by, "plan": plan, "dropna": self.dropna, "observed": self.observed}
        fk = {"plan": plan, "outputs": outputs, "sort": self.sort, "key_names": self._key_names()}
        fk["meta"] = meta
        chunk = _chunk_series if not isinstance(data._meta, pd.DataFrame) else G.chunk
        n_out = self.obj.npartitions if split_out is True else int(split_out or 1)
        if n_out > 1:
            return self._split_out(data, chunk, ck, fk, meta, n_out)
        return reduction(
            [data, *self._series_keys],
            chunk,
            _finish,
            G.combine,
            meta=meta,
            split_every=split_every,
            label=f"groupby-{label}",
            chunk_kwargs=ck,
            combine_kwargs={"plan": plan},
            aggregate_kwargs=fk,
            concat=False,
        )

    def _split_out(self, data: Any, chunk: Any, ck: dict, fk: dict, meta: Any, n: int) -> Any:
        from mpiflow.dataframe.core import partitionwise
        from mpiflow.dataframe.shuffle import hash_aggregate

        if fk["plan"].unique_cols or fk["plan"].customs:
            raise NotImplementedError(
                "groupby(...).nunique, agg with 'nunique' and custom dd.Aggregation do not "
                "support split_out > 1; use split_out=1"
            )
        fake, keys = self._fake()
        fake_part = chunk(fake, *[k for k in keys if not isinstance(k, str)], **ck)[0]
        parts = partitionwise(
            _chunk_frame,
            data,
            *self._series_keys,
            chunk=chunk,
            meta=fake_part.iloc[:0],
            label="groupby-chunk",
            **ck,
        )
        return hash_aggregate(parts, _finish_concat, n, meta=meta, aggregate_kwargs=fk)

    def _own_meta(self, outputs: G.Outputs) -> Any:
        """The meta of an aggregation pandas cannot run (custom ones): run ours on fake data."""
        plan = G.make_plan(outputs.outputs)
        data, keys = self._fake()
        if isinstance(data, pd.Series):
            data = data.to_frame(_SERIES_COL)
        kparts = [k for k in keys if not isinstance(k, str)]
        try:
            part = G.chunk(
                data,
                *kparts,
                by=self._by_spec(),
                plan=plan,
                dropna=self.dropna,
                observed=self.observed,
            )
            out = G.finish([part], plan, outputs, sort=self.sort, key_names=self._key_names())
        except Exception as e:
            raise ValueError(
                f"groupby(...).agg: the custom aggregation failed on a small fake frame "
                f"({type(e).__name__}: {e}); check its chunk/agg/finalize functions"
            ) from e
        if isinstance(self.obj._meta, pd.Series) and isinstance(out, pd.Series):
            out.name = self.obj._meta.name
        return make_meta(out)

    # -- aggregations -------------------------------------------------------------------
    def _method(self, func: str, split_every: Any, split_out: Any, **kw: Any) -> Any:
        numeric_only = kw.pop("numeric_only", False)
        _no_kwargs(func, {k: v for k, v in kw.items() if k != "ddof"})
        if numeric_only and not self._is_series():
            meta = self.obj._meta[self._value_columns()]
            num = list(meta.select_dtypes(include=["number", "bool"]).columns)
            sub = DataFrameGroupBy(self.obj, self.by, selected=num, **self._options())
            return sub._method(func, split_every, split_out, **kw)
        ddof = kw.get("ddof", 1)
        cols = self._value_columns()
        sel = cols[0] if self._is_series() else None
        outputs = G.normalize_outputs(func, cols, selected=sel, ddof=ddof)
        meta = self._meta_of(f"{func}()", lambda g: getattr(g, func)(**kw))
        return self._aggregate(outputs, meta, split_every, split_out, func)

    def _options(self) -> dict:
        return {
            "sort": self.sort,
            "dropna": self.dropna,
            "observed": self.observed,
            "group_keys": self.group_keys,
        }

    def _is_series(self) -> bool:
        return isinstance(self, SeriesGroupBy)

    def sum(self, split_every: Any = None, split_out: Any = 1, **kwargs: Any) -> Any:
        """Sum of each group, as ``pandas`` ``GroupBy.sum``.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> df = dd.from_pandas(pd.DataFrame({'k': [1, 2, 1], 'v': [1, 2, 3]}), npartitions=2)
        >>> df.groupby('k').v.sum().compute().to_dict()
        {1: 4, 2: 2}
        """
        return self._method("sum", split_every, split_out, **kwargs)

    def mean(self, split_every: Any = None, split_out: Any = 1, **kwargs: Any) -> Any:
        """Mean of each group (one pandas ``sum`` and ``count`` per partition).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> df = dd.from_pandas(pd.DataFrame({'k': [1, 2, 1], 'v': [1, 2, 4]}), npartitions=2)
        >>> df.groupby('k').v.mean().compute().to_dict()
        {1: 2.5, 2: 2.0}
        """
        return self._method("mean", split_every, split_out, **kwargs)

    def count(self, split_every: Any = None, split_out: Any = 1) -> Any:
        """Number of non-missing values per group.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> df = dd.from_pandas(pd.DataFrame({'k': [1, 1], 'v': [1.0, None]}), npartitions=2)
        >>> df.groupby('k').v.count().compute().to_dict()
        {1: 1}
        """
        return self._method("count", split_every, split_out)

    def size(self, split_every: Any = None, split_out: Any = 1) -> Any:
        """Number of rows per group (missing values included).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> df = dd.from_pandas(pd.DataFrame({'k': [1, 1, 2], 'v': [1.0, None, 2]}),
        ...                     npartitions=2)
        >>> df.groupby('k').size().compute().to_dict()
        {1: 2, 2: 1}
        """
        outputs = G.Outputs([(None, None, "size", 1)], True, False)
        meta = self._meta_of("size()", lambda g: g.size())
        return self._aggregate(outputs, meta, split_every, split_out, "size")

    def min(self, split_every: Any = None, split_out: Any = 1, **kwargs: Any) -> Any:
        """Minimum of each group.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> df = dd.from_pandas(pd.DataFrame({'k': [1, 2, 1], 'v': [5, 2, 3]}), npartitions=2)
        >>> df.groupby('k').v.min().compute().to_dict()
        {1: 3, 2: 2}
        """
        return self._method("min", split_every, split_out, **kwargs)

    def max(self, split_every: Any = None, split_out: Any = 1, **kwargs: Any) -> Any:
        """Maximum of each group.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> df = dd.from_pandas(pd.DataFrame({'k': [1, 2, 1], 'v': [5, 2, 3]}), npartitions=2)
        >>> df.groupby('k').v.max().compute().to_dict()
        {1: 5, 2: 2}
        """
        return self._method("max", split_every, split_out, **kwargs)

    def prod(self, split_every: Any = None, split_out: Any = 1, **kwargs: Any) -> Any:
        """Product of each group.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> df = dd.from_pandas(pd.DataFrame({'k': [1, 2, 1], 'v': [5, 2, 3]}), npartitions=2)
        >>> df.groupby('k').v.prod().compute().to_dict()
        {1: 15, 2: 2}
        """
        return self._method("prod", split_every, split_out, **kwargs)

    def var(self, ddof: int = 1, split_every: Any = None, split_out: Any = 1, **kwargs) -> Any:
        """Variance of each group (``ddof`` degrees of freedom), merged with Chan's formula.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> df = dd.from_pandas(pd.DataFrame({'k': [1, 1, 1], 'v': [1.0, 2.0, 3.0]}),
        ...                     npartitions=2)
        >>> df.groupby('k').v.var().compute().to_dict()
        {1: 1.0}
        """
        return self._method("var", split_every, split_out, ddof=ddof, **kwargs)

    def std(self, ddof: int = 1, split_every: Any = None, split_out: Any = 1, **kwargs) -> Any:
        """Standard deviation of each group (``ddof`` degrees of freedom).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> df = dd.from_pandas(pd.DataFrame({'k': [1, 1, 1], 'v': [1.0, 2.0, 3.0]}),
        ...                     npartitions=2)
        >>> df.groupby('k').v.std(ddof=0).compute().round(4).to_dict()
        {1: 0.8165}
        """
        return self._method("std", split_every, split_out, ddof=ddof, **kwargs)

    def first(self, split_every: Any = None, split_out: Any = 1, **kwargs: Any) -> Any:
        """First non-missing value of each group (in partition order).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> df = dd.from_pandas(pd.DataFrame({'k': [1, 1, 1], 'v': [None, 2.0, 3.0]}),
        ...                     npartitions=2)
        >>> df.groupby('k').v.first().compute().to_dict()
        {1: 2.0}
        """
        return self._method("first", split_every, split_out, **kwargs)

    def last(self, split_every: Any = None, split_out: Any = 1, **kwargs: Any) -> Any:
        """Last non-missing value of each group (in partition order).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> df = dd.from_pandas(pd.DataFrame({'k': [1, 1, 1], 'v': [1.0, 2.0, None]}),
        ...                     npartitions=2)
        >>> df.groupby('k').v.last().compute().to_dict()
        {1: 2.0}
        """
        return self._method("last", split_every, split_out, **kwargs)

    def nunique(self, split_every: Any = None, split_out: Any = 1) -> Any:
        """Number of distinct non-missing values per group.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> df = dd.from_pandas(pd.DataFrame({'k': [1, 1, 2], 'v': [1, 1, 2]}), npartitions=2)
        >>> df.groupby('k').v.nunique().compute().to_dict()
        {1: 1, 2: 1}
        """
        return self._method("nunique", split_every, split_out)

    def agg(
        self, arg: Any = None, split_every: Any = None, split_out: Any = 1, **kwargs: Any
    ) -> Any:
        """Aggregate with a name, a list of names, a dict ``{column: name(s)}`` or named pairs.

        Supported names: ``sum``, ``mean``, ``count``, ``size``, ``min``,
        ``max``, ``std``, ``var``, ``first``, ``last``, ``nunique``, ``prod``
        (and numpy/builtin ``sum``, ``min``, ``max``, ``mean``, ``prod``).
        Named aggregations: ``agg(total=('x', 'sum'))`` (or ``pd.NamedAgg``);
        on a SeriesGroupBy ``agg(total='sum')``. A
        :class:`~mpiflow.dataframe.groupby_custom.Aggregation` may stand
        wherever a name does.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> df = dd.from_pandas(pd.DataFrame({'k': [1, 2, 1], 'x': [1, 2, 3]}), npartitions=2)
        >>> df.groupby('k').agg({'x': ['min', 'max']}).compute()  # doctest: +NORMALIZE_WHITESPACE
           x
          min max
        k
        1   1   3
        2   2   2
        """
        cols = self._value_columns()
        sel = cols[0] if self._is_series() else None
        outputs = G.normalize_outputs(arg, cols, selected=sel, named=kwargs)
        if any(isinstance(o[2], Aggregation) for o in outputs.outputs):
            meta = self._own_meta(outputs)
        elif kwargs:
            meta = self._meta_of("agg", lambda g: g.agg(**kwargs))
        else:
            meta = self._meta_of("agg", lambda g: g.agg(arg))
        return self._aggregate(outputs, meta, split_every, split_out, "agg")

    aggregate = agg

    def __repr__(self) -> str:
        return f"<{type(self).__name__} by={self._key_names()} npartitions={self.obj.npartitions}>"


class DataFrameGroupBy(_GroupBy):
    """A grouped DataFrame (``df.groupby(by)``); select columns with ``[...]`` or attributes.

    Examples
    --------
    >>> import pandas as pd, mpiflow.dataframe as dd
    >>> df = dd.from_pandas(pd.DataFrame({'k': [1, 2, 1], 'a': [1, 2, 3], 'b': [0, 0, 1]}),
    ...                     npartitions=2)
    >>> df.groupby('k')[['a', 'b']].sum().compute()  # doctest: +NORMALIZE_WHITESPACE
       a  b
    k
    1  4  1
    2  2  0
    """

    def __getitem__(self, key: Any) -> Any:
        cols = list(self.obj._meta.columns)
        kw = self._options()
        if isinstance(key, (list, tuple)):
            for k in key:
                G.check_column(k, cols, "groupby(...)[...]")
            return DataFrameGroupBy(self.obj, self.by, selected=list(key), **kw)
        G.check_column(key, cols, "groupby(...)[...]")
        return SeriesGroupBy(self.obj, self.by, selected=key, **kw)

    def __getattr__(self, key: str) -> Any:
        if key.startswith("_"):
            raise AttributeError(key)
        obj = self.__dict__.get("obj")
        if obj is not None and key in obj._meta.columns:
            return self[key]
        raise AttributeError(
            f"'DataFrameGroupBy' has no attribute or column {key!r}"
            + (
                f"; did you mean {G.closest(key, obj._meta.columns)!r}?"
                if obj is not None and G.closest(key, obj._meta.columns) is not None
                else ""
            )
        )


class SeriesGroupBy(_GroupBy):
    """One grouped column (``df.groupby(by).col``) or a grouped Series (``s.groupby(keys)``).

    Examples
    --------
    >>> import pandas as pd, mpiflow.dataframe as dd
    >>> df = dd.from_pandas(pd.DataFrame({'k': [1, 2, 1], 'v': [1, 2, 3]}), npartitions=2)
    >>> df.groupby('k').v.agg(['sum', 'max']).compute()  # doctest: +NORMALIZE_WHITESPACE
       sum  max
    k
    1    4    3
    2    2    2
    """


# --------------------------------------------------------------------------------------
# task functions
# --------------------------------------------------------------------------------------


def _no_kwargs(what: str, kwargs: dict) -> None:
    if kwargs:
        raise TypeError(
            f"groupby(...).{what}: unsupported keyword arguments {sorted(kwargs)} "
            "; this method takes split_every=, split_out=, numeric_only= (and ddof= for std/var)"
        )


def _chunk_series(part: pd.Series, *key_parts: Any, **kwargs: Any) -> tuple:
    return G.chunk(part.to_frame(_SERIES_COL), *key_parts, **kwargs)


def _chunk_frame(part: Any, *key_parts: Any, chunk: Any, **kwargs: Any) -> Any:
    return chunk(part, *key_parts, **kwargs)[0]


def _finish(parts: list, **kwargs: Any) -> Any:
    return G.finish(parts, **kwargs)


def _finish_concat(cat: pd.DataFrame, **kwargs: Any) -> Any:
    plan = kwargs["plan"]
    return G.finish([G.combine([(cat, {}, {})], plan)], **kwargs)
