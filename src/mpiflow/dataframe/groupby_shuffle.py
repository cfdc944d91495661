"""``groupby(...).transform``/``.apply``/``.median``: hash-shuffle by the keys, then pandas.

After :func:`mpiflow.dataframe.shuffle.shuffle` moves every row to the partition
its group keys hash to, every group is whole in one partition and pandas'
own ``transform``/``apply`` gives the right answer there. Key Series
collections travel as temporary columns (``__by0``, ...) and are turned back
into keys with their own names, so results are indexed as pandas indexes them.
Empty partitions (a shuffle may leave some) return the empty meta.

Examples
--------
>>> import pandas as pd
>>> import mpiflow.dataframe as dd
>>> df = dd.from_pandas(pd.DataFrame({'k': [1, 2, 1, 2], 'v': [1, 2, 3, 6]}), npartitions=2)
>>> out = shuffle_apply(df, ['k'], 'v', 'transform', 'max', (), {},
...                     meta=pd.Series([], dtype='int64', name='v'), groupby_kwargs={})
>>> out.compute().sort_index().tolist()
[3, 6, 3, 6]
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from mpiflow.dataframe.meta import make_meta, no_default

__all__ = ["shuffle_apply", "gather_sorted", "ShuffleGroupByMethods"]


def _attach_keys(df: Any, *series: Any) -> pd.DataFrame:
    df = df.to_frame() if isinstance(df, pd.Series) else df
    return df.assign(**{f"__by{i}": s for i, s in enumerate(series)})


def _run_groups(
    df: pd.DataFrame,
    by: list,
    names: list,
    selected: Any,
    how: str,
    func: Any,
    args: tuple,
    kwargs: dict,
    gkw: dict,
    meta: Any,
) -> Any:
    if len(df) == 0:
        return meta
    tmp = [c for c in by if isinstance(c, str) and c.startswith("__by")]
    keys = [df[c].rename(names[i]) if c in tmp else c for i, c in enumerate(by)]
    data = df.drop(columns=tmp) if tmp else df
    g = data.groupby(keys if len(keys) > 1 else keys[0], **gkw)
    if selected is not None:
        g = g[selected]
    if func is None:  # a pandas groupby method (median, ...)
        return getattr(g, how)(*args, **kwargs)
    return getattr(g, how)(func, *args, **kwargs)


def _concat_sorted(parts: list, sort: bool, meta: Any) -> Any:
    parts = [p for p in parts if len(p)]
    if not parts:
        return meta
    out = pd.concat(parts) if len(parts) > 1 else parts[0]
    return out.sort_index() if sort else out


def gather_sorted(frame: Any, sort: bool) -> Any:
    """One partition holding every partition of ``frame`` (index-sorted when ``sort``).

    For per-group results after a shuffle: they are small (one row per group).

    Examples
    --------
    >>> import pandas as pd
    >>> import mpiflow.dataframe as dd
    >>> s = dd.from_pandas(pd.Series([1, 2], index=[5, 3]), npartitions=2, sort=False)
    >>> gather_sorted(s, True).compute().index.tolist()
    [3, 5]
    """
    from mpiflow.dataframe.reductions import reduction

    return reduction(
        frame,
        _identity,
        _concat_sorted,
        meta=frame._meta,
        split_every=False,
        label="groupby-gather",
        aggregate_kwargs={"sort": sort, "meta": frame._meta},
        concat=False,
    )


def _identity(part: Any) -> Any:
    return part


def shuffle_apply(
    frame: Any,
    by: list,
    selected: Any,
    how: str,
    func: Any,
    args: tuple,
    kwargs: dict,
    *,
    meta: Any,
    groupby_kwargs: dict,
    npartitions: int | None = None,
) -> Any:
    """Shuffle ``frame`` by the keys ``by`` and run ``groupby(...)[selected].<how>(func)``.

    Parameters
    ----------
    frame : DataFrame or Series
        The grouped data (a Series is made a one-column frame).
    by : list
        Column labels and/or Series collections with the same partitions.
    selected : label, list or None
        The column selection of the groupby (None: all columns).
    how : str
        ``'transform'``, ``'apply'``, or a pandas groupby method (``'median'``)
        when ``func`` is None.
    func, args, kwargs
        What pandas calls per group (``getattr(grouped, how)(func, *args, **kwargs)``).
    meta : pandas object
        The result's meta.
    groupby_kwargs : dict
        ``dropna``, ``observed``, ``group_keys`` ... for pandas' ``groupby``.
    npartitions : int, optional
        Partitions after the shuffle (default: as many as ``frame``).

    Returns
    -------
    DataFrame or Series
        Unknown divisions; rows in the shuffled order.

    Examples
    --------
    >>> import pandas as pd
    >>> import mpiflow.dataframe as dd
    >>> df = dd.from_pandas(pd.DataFrame({'k': [1, 2, 1], 'v': [1, 2, 3]}), npartitions=2)
    >>> out = shuffle_apply(df, ['k'], 'v', 'apply', lambda s: s.sum(), (), {},
    ...                     meta=pd.Series([], dtype='int64', name='v'), groupby_kwargs={})
    >>> out.compute().sort_index().to_dict()
    {1: 4, 2: 2}
    """
    from mpiflow.dataframe.core import FrameBase, partitionwise
    from mpiflow.dataframe.shuffle import shuffle

    colls = [k for k in by if isinstance(k, FrameBase)]
    names = [k._meta.name if isinstance(k, FrameBase) else k for k in by]
    data = frame
    if isinstance(frame._meta, pd.Series) and selected is None:
        selected = frame._meta.name if frame._meta.name is not None else 0
    if colls or isinstance(frame._meta, pd.Series):
        data = partitionwise(
            _attach_keys,
            frame,
            *colls,
            meta=_attach_keys(frame._meta, *[c._meta for c in colls]),
            label="groupby-keys",
        )
        it = iter(range(len(colls)))
        by = [f"__by{next(it)}" if isinstance(k, FrameBase) else k for k in by]
    shuffled = shuffle(data, by, npartitions=npartitions)
    return partitionwise(
        _run_groups,
        shuffled,
        by,
        names,
        selected,
        how,
        func,
        tuple(args),
        dict(kwargs),
        dict(groupby_kwargs),
        meta,
        meta=meta,
        label=f"groupby-{how}",
        align=False,
    )


class ShuffleGroupByMethods:
    """``transform``, ``apply`` and ``median`` of the groupby classes (mixin)."""

    def _shuffled(self, how: str, func: Any, args: tuple, kwargs: dict, meta: Any) -> Any:
        data = self._projected(self._value_columns()) if self._selected is not None else self.obj
        if meta is no_default:
            data_fake, keys = self._fake()
            try:
                out = getattr(self._pandas_grouped(data_fake, keys), how)(func, *args, **kwargs)
            except Exception as e:
                raise ValueError(
                    f"groupby(...).{how}: could not infer the result's meta by running the "
                    f"function on a small fake frame ({type(e).__name__}: {e}); pass meta= "
                    "(an empty pandas object, a {column: dtype} dict or a (name, dtype) tuple)"
                ) from e
            meta = make_meta(out)
        elif how == "transform":
            meta = make_meta(meta, index=self.obj._meta.index)
        else:  # apply: a (name, dtype) or dict meta is indexed by the group keys
            data_fake, keys = self._fake()
            index = self._pandas_grouped(data_fake, keys).size().index[:0]
            meta = make_meta(meta, index=index)
        gkw = {"dropna": self.dropna, "observed": self.observed, "sort": self.sort}
        if how == "apply":
            gkw["group_keys"] = self.group_keys
        return shuffle_apply(
            data, self.by, self._selected, how, func, args, kwargs, meta=meta, groupby_kwargs=gkw
        )

    def transform(self, func: Any, *args: Any, meta: Any = no_default, **kwargs: Any) -> Any:
        """``func`` applied to each group, result aligned with the input rows (via a shuffle).

        The rows are hash-shuffled by the group keys so each group is whole in
        one partition; the result comes in the shuffled order (sort it by
        index to compare with pandas).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> df = dd.from_pandas(pd.DataFrame({'k': [1, 2, 1, 2], 'v': [1, 2, 3, 6]}),
        ...                     npartitions=2)
        >>> df.groupby('k').v.transform(lambda s: s - s.mean()).compute().sort_index().tolist()
        [-1.0, -2.0, 1.0, 2.0]
        """
        return self._shuffled("transform", func, args, kwargs, meta)

    def apply(self, func: Any, *args: Any, meta: Any = no_default, **kwargs: Any) -> Any:
        """``func`` applied to each whole group (via a shuffle), as pandas ``GroupBy.apply``.

        Pass ``meta=`` to skip running ``func`` on a small fake frame to learn
        what it returns.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> df = dd.from_pandas(pd.DataFrame({'k': [1, 2, 1, 2], 'v': [1, 2, 3, 6]}),
        ...                     npartitions=2)
        >>> df.groupby('k').v.apply(lambda s: s.max() - s.min()).compute().sort_index().to_dict()
        {1: 2, 2: 4}
        """
        return self._shuffled("apply", func, args, kwargs, meta)

    def median(self, split_every: Any = None, split_out: Any = 1, **kwargs: Any) -> Any:
        """Median of each group (exact: the rows are hash-shuffled so each group is whole).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> df = dd.from_pandas(pd.DataFrame({'k': [1, 2, 1, 1], 'v': [1, 2, 3, 9]}),
        ...                     npartitions=2)
        >>> df.groupby('k').v.median().compute().to_dict()
        {1: 3.0, 2: 2.0}
        """
        from mpiflow.dataframe.groupby import _SERIES_COL, DataFrameGroupBy, _no_kwargs

        numeric_only = kwargs.pop("numeric_only", False)
        _no_kwargs("median", kwargs)
        if numeric_only and not self._is_series():
            meta = self.obj._meta[self._value_columns()]
            num = list(meta.select_dtypes(include=["number", "bool"]).columns)
            return DataFrameGroupBy(self.obj, self.by, selected=num, **self._options()).median(
                split_every, split_out
            )
        meta = self._meta_of("median()", lambda g: g.median())
        cols = self._value_columns()
        data = self._projected(cols if cols != [_SERIES_COL] else [])
        sel = self._selected
        n_out = self.obj.npartitions if split_out is True else int(split_out or 1)
        gkw = {"dropna": self.dropna, "observed": self.observed, "sort": self.sort}
        out = shuffle_apply(
            data,
            self.by,
            sel,
            "median",
            None,
            (),
            {},
            meta=meta,
            groupby_kwargs=gkw,
            npartitions=n_out if n_out > 1 else None,
        )
        return out if n_out > 1 else gather_sorted(out, self.sort)
