"""More reduction methods: distinct values, counts, quantiles, ``describe``, ``groupby``.

Part of the :class:`~mpiflow.dataframe.methods_reduce.ReductionMethods` mixin.
``quantile`` and ``describe`` are exact: the (non-null) values of the columns
they describe are gathered into one task, as pandas would see them.

Examples
--------
>>> import pandas as pd
>>> import mpiflow.dataframe as dd
>>> s = dd.from_pandas(pd.Series([3, 1, 3, 2, 3], name='x'), npartitions=2)
>>> s.nunique().compute(), s.unique().compute().tolist()
(3, [3, 1, 2])
>>> s.value_counts().compute().to_dict()
{3: 3, 1: 1, 2: 1}
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from mpiflow.dataframe import reductions_kernels as K
from mpiflow.dataframe.meta import meta_nonempty

__all__ = ["MoreReductionMethods"]


def _meta(obj: Any, method: str, *args: Any, **kwargs: Any) -> Any:
    from mpiflow.dataframe.methods_reduce import pandas_meta

    return pandas_meta(obj, method, *args, **kwargs)


def _check_axis0(obj: Any, axis: Any, what: str) -> None:
    if axis not in (None, 0, "index", "rows"):
        raise NotImplementedError(
            f"{what}(axis={axis!r}) is not supported; only axis=0 (down the rows)"
        )


def _check_subset(obj: Any, subset: Any, what: str) -> list | None:
    if subset is None:
        return None
    from mpiflow.dataframe.groupby_kernels import check_column

    cols = list(subset) if isinstance(subset, (list, tuple)) else [subset]
    for c in cols:
        check_column(c, list(obj._meta.columns), what)
    return cols


class MoreReductionMethods:
    """Distinct values, value counts, quantiles, ``describe`` and ``groupby`` (mixin part)."""

    def nunique(self, dropna: bool = True, split_every: Any = None, axis: Any = None) -> Any:
        """Number of distinct values (per column of a DataFrame).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> dd.from_pandas(pd.Series([1, 1, None, 2]), npartitions=2).nunique().compute()
        2
        """
        _check_axis0(self, axis, "nunique")
        meta = _meta(self, "nunique", dropna=dropna)
        return self._tree(
            "nunique",
            K.chunk_unique,
            K.combine_unique,
            K.aggregate_nunique,
            meta=meta,
            split_every=split_every,
            aggregate_kwargs={"dropna": dropna},
        )

    def unique(self, split_every: Any = None, split_out: int = 1) -> Any:
        """The distinct values as a Series (order of first appearance; Dask returns a Series).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> s = dd.from_pandas(pd.Series([2, 1, 2, 3], name='v'), npartitions=2)
        >>> s.unique().compute().tolist()
        [2, 1, 3]
        """
        if isinstance(self._meta, pd.DataFrame):
            raise AttributeError("'DataFrame' has no unique(); use df[column].unique()")
        if split_out != 1:
            return self.drop_duplicates(split_out=split_out)
        meta = pd.Series([], dtype=self._meta.dtype, name=self._meta.name)
        return self._tree(
            "unique",
            K.chunk_unique,
            K.combine_unique,
            K.aggregate_unique,
            meta=meta,
            split_every=split_every,
        )

    def value_counts(
        self,
        sort: bool = True,
        ascending: bool = False,
        dropna: bool = True,
        normalize: bool = False,
        split_every: Any = None,
        split_out: int = 1,
    ) -> Any:
        """Counts of each distinct value, as ``pandas.Series.value_counts``.

        Ties in the counts are ordered by first appearance (pandas' order for
        ties may differ).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> s = dd.from_pandas(pd.Series(['a', 'b', 'a'], name='k'), npartitions=2)
        >>> s.value_counts().compute()
        k
        a    2
        b    1
        Name: count, dtype: int64
        """
        if isinstance(self._meta, pd.DataFrame):
            raise NotImplementedError(
                "DataFrame.value_counts is not supported; use df[column].value_counts() or "
                "df.groupby(columns).size()"
            )
        kw = {"sort": sort, "ascending": ascending, "normalize": normalize, "dropna": dropna}
        meta = _meta(self, "value_counts", **kw)
        if split_out != 1:
            from mpiflow.dataframe.core import partitionwise
            from mpiflow.dataframe.shuffle import hash_aggregate

            if normalize:
                raise NotImplementedError("value_counts(normalize=True, split_out>1)")
            parts = partitionwise(
                K.chunk_value_counts, self, dropna=dropna, meta=meta, label="value-counts-chunk"
            )
            return hash_aggregate(
                parts,
                _vc_aggregate,
                split_out,
                meta=meta,
                aggregate_kwargs={"empty": self._meta, "meta": meta, **kw},
            )
        return self._tree(
            "value-counts",
            K.chunk_value_counts,
            K.combine_value_counts,
            K.aggregate_value_counts,
            meta=meta,
            split_every=split_every,
            chunk_kwargs={"dropna": dropna},
            aggregate_kwargs={**kw, "meta": meta},
        )

    def mode(self, dropna: bool = True, split_every: Any = None) -> Any:
        """The most frequent value(s), sorted, as ``pandas.Series.mode``/``DataFrame.mode``.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> s = dd.from_pandas(pd.Series([1, 2, 2, 1, 3]), npartitions=2)
        >>> s.mode().compute().tolist()
        [1, 2]
        """
        meta = _meta(self, "mode", dropna=dropna)
        return self._tree(
            "mode",
            K.chunk_value_counts,
            K.combine_value_counts,
            K.aggregate_mode,
            meta=meta,
            split_every=split_every,
            chunk_kwargs={"dropna": dropna},
            aggregate_kwargs={"dropna": dropna},
        )

    def drop_duplicates(
        self,
        subset: Any = None,
        keep: Any = "first",
        split_every: Any = None,
        split_out: int = 1,
        ignore_index: bool = False,
    ) -> Any:
        """Rows (or values) with duplicates removed, as ``pandas.DataFrame.drop_duplicates``.

        With ``split_out=1`` partitions are deduplicated, then merged in a tree
        into one partition (``keep='first'``/``'last'`` hold). ``split_out=n``
        or ``keep=False`` hash-shuffle the rows by the ``subset`` columns into
        ``n`` partitions and deduplicate each (row order then follows the shuffle).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> df = dd.from_pandas(pd.DataFrame({'a': [1, 1, 2], 'b': [1, 2, 3]}), npartitions=2)
        >>> df.drop_duplicates(subset=['a']).compute()
           a  b
        0  1  1
        2  2  3
        """
        frame = isinstance(self._meta, pd.DataFrame)
        if subset is not None and not frame:
            raise TypeError("Series.drop_duplicates takes no subset=")
        cols = _check_subset(self, subset, "drop_duplicates") if frame else None
        if keep not in ("first", "last", False):
            raise ValueError(f"drop_duplicates: keep={keep!r} must be 'first', 'last' or False")
        kw: dict = {"keep": keep}
        if cols is not None:
            kw["subset"] = cols
        meta = self._meta.drop_duplicates(**kw)
        if split_out != 1 or keep is False:
            from mpiflow.dataframe.core import partitionwise
            from mpiflow.dataframe.shuffle import shuffle

            n = self.npartitions if split_out == 1 and keep is False else int(split_out)
            on = cols if frame else self
            if frame and on is None:
                on = list(self._meta.columns)
            shuffled = shuffle(self, on, npartitions=n)
            out = partitionwise(
                _drop_duplicates, shuffled, meta=meta, label="drop-duplicates", align=False, **kw
            )
        else:
            out = self._tree(
                "drop-duplicates",
                K.chunk_drop_duplicates,
                K.combine_drop_duplicates,
                K.aggregate_drop_duplicates,
                meta=meta,
                split_every=split_every,
                chunk_kwargs=kw,
                combine_kwargs=kw,
                aggregate_kwargs=kw,
            )
        if ignore_index:
            out = out.map_partitions(_reset, meta=meta.reset_index(drop=True))
        return out

    def quantile(
        self, q: Any = 0.5, axis: Any = 0, numeric_only: bool = False, method: str = "default"
    ) -> Any:
        """Exact quantile(s) with linear interpolation, as ``pandas.Series.quantile``.

        The non-null values (of every column of a DataFrame) are gathered into
        one task, so the answer is exactly pandas'; this needs them to fit in
        one worker's memory (``method`` is accepted for Dask compatibility).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> s = dd.from_pandas(pd.Series([1.0, 2.0, 3.0, 4.0]), npartitions=2)
        >>> float(s.quantile(0.5).compute())
        2.5
        >>> s.quantile([0.25, 0.75]).compute().tolist()
        [1.75, 3.25]
        """
        _check_axis0(self, axis, "quantile")
        frame = isinstance(self._meta, pd.DataFrame)
        kw: dict = {"q": q, **({"numeric_only": numeric_only} if frame else {})}
        meta = _meta(self, "quantile", **kw)
        if frame and numeric_only:
            kw.pop("numeric_only")
        return self._tree(
            "quantile",
            K.chunk_values,
            K.combine_concat,
            K.aggregate_quantile,
            meta=meta,
            chunk_kwargs={"numeric_only": numeric_only},
            aggregate_kwargs=kw,
            split_every=False,
        )

    def describe(
        self,
        percentiles: Any = None,
        include: Any = None,
        exclude: Any = None,
        split_every: Any = None,
    ) -> Any:
        """Summary statistics, exactly as ``pandas.DataFrame.describe`` computes them.

        Only the columns ``describe`` reports are read; their values are
        gathered into one task (see :meth:`quantile`).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> s = dd.from_pandas(pd.Series([1.0, 2.0, 3.0, 4.0]), npartitions=2)
        >>> s.describe().compute()[['count', 'mean', '50%']].tolist()
        [4.0, 2.5, 2.5]
        """
        kw: dict = {"percentiles": percentiles}
        frame = isinstance(self._meta, pd.DataFrame)
        if frame:
            kw.update(include=include, exclude=exclude)
        meta = _meta(self, "describe", **kw)
        data = self
        if frame:
            fake = meta_nonempty(self._meta).describe(**kw)
            data = self[list(fake.columns)]
        return self._tree(
            "describe",
            K.chunk_values,
            K.combine_concat,
            K.aggregate_describe,
            meta=meta,
            aggregate_kwargs={**kw, "empty": data._meta},
            split_every=False,
            frame=data,
        )

    def _top(self, how: str, n: int, columns: Any, keep: str, split_every: Any) -> Any:
        frame = isinstance(self._meta, pd.DataFrame)
        if frame and columns is None:
            raise TypeError(f"DataFrame.{how}(n, columns) needs columns= (the ones to order by)")
        if frame:
            _check_subset(self, columns, how)
        kw: dict = {"n": n, "keep": keep, **({"columns": columns} if frame else {})}
        meta = getattr(self._meta, how)(**kw)
        return self._tree(
            how,
            _top_chunk,
            _top_combine,
            _top_aggregate,
            meta=meta,
            split_every=split_every,
            chunk_kwargs={"how": how, **kw},
            combine_kwargs={"how": how, **kw},
            aggregate_kwargs={"how": how, **kw},
        )

    def nlargest(
        self, n: int = 5, columns: Any = None, keep: str = "first", split_every: Any = None
    ) -> Any:
        """The ``n`` largest rows (by ``columns`` for a DataFrame), as pandas ``nlargest``.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> s = dd.from_pandas(pd.Series([3, 9, 1, 7, 5]), npartitions=2)
        >>> s.nlargest(2).compute().tolist()
        [9, 7]
        """
        return self._top("nlargest", n, columns, keep, split_every)

    def nsmallest(
        self, n: int = 5, columns: Any = None, keep: str = "first", split_every: Any = None
    ) -> Any:
        """The ``n`` smallest rows (by ``columns`` for a DataFrame), as pandas ``nsmallest``.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> df = dd.from_pandas(pd.DataFrame({'a': [3, 9, 1, 7], 'b': list('wxyz')}),
        ...                     npartitions=2)
        >>> df.nsmallest(2, 'a').b.compute().tolist()
        ['y', 'w']
        """
        return self._top("nsmallest", n, columns, keep, split_every)

    def _idx(self, how: str, axis: Any, skipna: bool, split_every: Any, numeric_only) -> Any:
        _check_axis0(self, axis, f"idx{how}")
        if not skipna:
            raise NotImplementedError(f"idx{how}(skipna=False) is not supported")
        data = self
        if numeric_only and isinstance(self._meta, pd.DataFrame):
            data = self[list(self._meta.select_dtypes(include=["number", "bool"]).columns)]
        meta = _meta(data, f"idx{how}")
        return data._tree(
            f"idx{how}",
            K.chunk_idx,
            K.combine_idx,
            K.aggregate_idx,
            meta=meta,
            split_every=split_every,
            chunk_kwargs={"how": how},
            combine_kwargs={"how": how},
            aggregate_kwargs={"how": how},
        )

    def idxmin(
        self,
        axis: Any = None,
        skipna: bool = True,
        split_every: Any = None,
        numeric_only: bool = False,
    ) -> Any:
        """Index label of the first minimum (per column), as ``pandas.Series.idxmin``.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> s = dd.from_pandas(pd.Series([3, 1, 2, 1], index=list('abcd')), npartitions=2)
        >>> s.idxmin().compute()
        'b'
        """
        return self._idx("min", axis, skipna, split_every, numeric_only)

    def idxmax(
        self,
        axis: Any = None,
        skipna: bool = True,
        split_every: Any = None,
        numeric_only: bool = False,
    ) -> Any:
        """Index label of the first maximum (per column), as ``pandas.Series.idxmax``.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> s = dd.from_pandas(pd.Series([3, 1, 5, 5], index=list('abcd')), npartitions=2)
        >>> s.idxmax().compute()
        'c'
        """
        return self._idx("max", axis, skipna, split_every, numeric_only)

    def groupby(
        self,
        by: Any = None,
        level: Any = None,
        sort: bool = True,
        dropna: bool = True,
        observed: bool = True,
        group_keys: bool = True,
        **kwargs: Any,
    ) -> Any:
        """Group rows by column(s) and/or Series; returns a ``DataFrameGroupBy``/``SeriesGroupBy``.

        See :mod:`mpiflow.dataframe.groupby` for the aggregations (tree
        reductions) and ``transform``/``apply`` (via a hash shuffle).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> df = dd.from_pandas(pd.DataFrame({'k': [1, 2, 1], 'v': [1.0, 2.0, 3.0]}),
        ...                     npartitions=2)
        >>> df.groupby('k').v.mean().compute()
        k
        1    2.0
        2    2.0
        Name: v, dtype: float64
        """
        from mpiflow.dataframe.groupby import make_groupby

        return make_groupby(
            self,
            by,
            level=level,
            sort=sort,
            dropna=dropna,
            observed=observed,
            group_keys=group_keys,
            **kwargs,
        )


def _top_chunk(part: Any, how: str, **kw: Any) -> Any:
    if kw["keep"] == "last":  # pandas: keep='first' on the reversed data
        return getattr(part.iloc[::-1], how)(**{**kw, "keep": "first"})
    return getattr(part, how)(**kw)


def _top_combine(parts: list, how: str, **kw: Any) -> Any:
    if kw["keep"] == "last":  # partials hold reversed partitions: merge them in reverse
        return getattr(pd.concat(parts[::-1]), how)(**{**kw, "keep": "first"})
    return getattr(pd.concat(parts), how)(**kw)


def _top_aggregate(parts: list, how: str, empty: Any, **kw: Any) -> Any:
    if not parts:
        return getattr(empty, how)(**kw)
    return _top_combine(parts, how, **kw)


def _drop_duplicates(part: Any, **kwargs: Any) -> Any:
    return part.drop_duplicates(**kwargs)


def _reset(part: Any) -> Any:
    return part.reset_index(drop=True)


def _vc_aggregate(cat: Any, **kw: Any) -> Any:
    return K.aggregate_value_counts([K.combine_value_counts([cat])], **kw)
