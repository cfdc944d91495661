"""``set_index`` and ``sort_values``: a range partitioning by sampled quantiles, then a local sort.

Divisions come from one pass over the key column: every partition reports
its exact minimum and maximum and the values at evenly spaced positions of
a sorted sample of its rows (at most ``SAMPLE_ROWS``), weighted by its row
count; the driver merges those summaries into ``npartitions - 1`` cut
points. Each input partition is then binned against the cut points
(``searchsorted``) and split by one counting sort (see
:func:`mpiflow.dataframe.shuffle.split_by_partition`); each output partition
concatenates its pieces and sorts them.

Examples
--------
>>> import pandas as pd
>>> import mpiflow.dataframe as dd
>>> pdf = pd.DataFrame({'x': [5, 1, 4, 2, 3, 0], 'y': list('abcdef')})
>>> df = dd.from_pandas(pdf, npartitions=2)
>>> out = set_index(df, 'x')
>>> out.known_divisions, out.compute().index.tolist()
(True, [0, 1, 2, 3, 4, 5])
"""

from __future__ import annotations

from operator import getitem
from typing import Any

import numpy as np
import pandas as pd

from mpiflow.core.spec import quote_argument
from mpiflow.core.tokenize import tokenize
from mpiflow.dataframe.layers import new_graph
from mpiflow.dataframe.shuffle import (
    DEFAULT_MAX_BRANCH,
    ShuffleLayer,
    concat_pieces,
    shuffle_by_index_array,
    split_by_partition,
    take_rows,
)

__all__ = ["set_index", "sort_values", "compute_divisions", "divisions_from_summaries"]

#: Rows sampled per partition to place the divisions.
SAMPLE_ROWS = 1 << 16


# --------------------------------------------------------------------------------------
# kernels
# --------------------------------------------------------------------------------------


def _key_of(df: Any, by: Any) -> Any:
    """The values to range-partition by; a categorical's codes (missing: NaN)."""
    if by is None:
        s = df.index.to_series() if not isinstance(df, pd.Series) else df
    else:
        s = df[by]
    if isinstance(s.dtype, pd.CategoricalDtype):
        codes = s.cat.codes
        return codes.where(codes >= 0)  # sorted as the categories are ordered
    return s


def partition_summary(values: Any, nq: int, seed: int = 0) -> tuple:
    """``(count, min, max, sample quantile values)`` of one partition's keys (NaN dropped).

    Examples
    --------
    >>> import pandas as pd
    >>> n, lo, hi, q = partition_summary(pd.Series([3.0, None, 1.0, 2.0]), 3)
    >>> n, lo, hi, q.tolist()
    (3, 1.0, 3.0, [1.0, 2.0, 3.0])
    """
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    if not (isinstance(s.dtype, np.dtype) and s.dtype.kind in "iub"):
        s = s.dropna()
    n = len(s)
    if n == 0:
        return 0, None, None, np.array([])
    arr = s.to_numpy()
    if isinstance(s.dtype, np.dtype) and s.dtype.kind in "iufmM":
        lo, hi = arr.min(), arr.max()
    else:
        lo, hi = s.min(), s.max()
    lo, hi = _scalar(lo), _scalar(hi)
    if n > SAMPLE_ROWS:
        arr = arr[np.random.default_rng(seed).integers(0, n, SAMPLE_ROWS)]
    arr = np.sort(arr) if arr.dtype != object else np.array(sorted(arr), dtype=object)
    pos = np.linspace(0, len(arr) - 1, nq).round().astype(np.int64)
    return n, lo, hi, arr[pos]


def _scalar(x: Any) -> Any:
    if isinstance(x, np.datetime64):
        return pd.Timestamp(x)
    if isinstance(x, np.timedelta64):
        return pd.Timedelta(x)
    if isinstance(x, np.generic):
        return x.item()
    return x


def divisions_from_summaries(summaries: list, npartitions: int) -> tuple:
    """Merge per-partition summaries into sorted, unique divisions (at most ``npartitions``).

    Examples
    --------
    >>> import pandas as pd
    >>> s1 = partition_summary(pd.Series(range(0, 50)), 5)
    >>> s2 = partition_summary(pd.Series(range(50, 100)), 5)
    >>> divisions_from_summaries([s1, s2], 4)
    (0, 24, 49, 74, 99)
    """
    full = [s for s in summaries if s[0]]
    if not full:
        return (None, None)
    lo = min(s[1] for s in full)
    hi = max(s[2] for s in full)
    vals = np.concatenate([np.asarray(s[3]) for s in full])
    weights = np.concatenate([np.full(len(s[3]), s[0] / len(s[3])) for s in full])
    order = np.argsort(vals, kind="stable")
    vals, cum = vals[order], np.cumsum(weights[order])
    targets = cum[-1] * np.arange(1, npartitions) / npartitions
    inner = vals[np.minimum(np.searchsorted(cum, targets, side="left"), len(vals) - 1)]
    out = [_scalar(lo)]
    for v in inner:
        v = _scalar(v)
        if out[-1] < v < _scalar(hi):
            out.append(v)
    out.append(_scalar(hi))
    return tuple(out)


def compute_divisions(frame: Any, by: Any, npartitions: int) -> tuple:
    """Divisions for range-partitioning ``frame`` by column ``by`` (``None``: the index).

    Computes the summaries (one pass) with the configured scheduler.

    Examples
    --------
    >>> import pandas as pd
    >>> import mpiflow.dataframe as dd
    >>> df = dd.from_pandas(pd.DataFrame({'a': range(100)}), npartitions=4)
    >>> compute_divisions(df, 'a', 2)
    (0, 49, 99)
    """
    from mpiflow.base import compute
    from mpiflow.delayed import delayed

    nq = max(npartitions * 4, 16)
    tasks = [
        delayed(_summary_of)(p, by, nq, i, pure=True) for i, p in enumerate(frame.to_delayed())
    ]
    return divisions_from_summaries(list(compute(*tasks)), npartitions)


def _summary_of(df: Any, by: Any, nq: int, seed: int) -> tuple:
    return partition_summary(_key_of(df, by), nq, seed)


def bin_by_divisions(
    values: Any, divisions: tuple, ascending: bool = True, na_last: bool = True
) -> np.ndarray:
    """Output partition of every value: ``i`` with ``divisions[i] <= v < divisions[i + 1]``.

    Values below the first division go to partition 0, above the last to the
    last; missing values go to the last partition (``na_last``) or the first.
    ``ascending=False`` numbers the partitions from the top.

    Examples
    --------
    >>> import pandas as pd
    >>> bin_by_divisions(pd.Series([0, 5, 9, 10, None]), (0, 5, 10)).tolist()
    [0, 1, 1, 1, 1]
    """
    n = len(divisions) - 1
    inner = list(divisions[1:-1])
    if not inner:
        return np.zeros(len(values), dtype=np.int64)
    pid = np.asarray(pd.Index(inner).searchsorted(values, side="right"), dtype=np.int64)
    if not ascending:
        pid = n - 1 - pid
    na = np.asarray(pd.isna(values))
    if na.any():
        pid[na] = (n - 1) if na_last else 0
    return pid


# --------------------------------------------------------------------------------------
# the range shuffle
# --------------------------------------------------------------------------------------


class _RangePid:
    """Picklable ``partition -> output partition of every row`` for a range shuffle."""

    def __init__(self, by: Any, divisions: tuple, ascending: bool, na_last: bool) -> None:
        self.args = (by, divisions, ascending, na_last)

    def __call__(self, df: Any) -> np.ndarray:
        by, divisions, ascending, na_last = self.args
        return bin_by_divisions(_key_of(df, by), divisions, ascending, na_last)

    def __mpiflow_tokenize__(self) -> tuple:
        return self.args

    def __reduce__(self):
        return (_RangePid, self.args)


def _finish_one(part: Any, finish: Any, *args: Any) -> Any:
    return finish([part], *args)


def _split_range(
    df: Any, by: Any, divisions: tuple, ascending: bool, na_last: bool, keep_index: bool
) -> list:
    pid = bin_by_divisions(_key_of(df, by), divisions, ascending, na_last)
    return split_by_partition(df, pid, len(divisions) - 1, keep_index)


def _range_shuffle(
    frame: Any, by: Any, divisions: tuple, finish: Any, finish_args: tuple, meta: Any, label: str
) -> Any:
    """Range-partition ``frame`` by ``by`` at ``divisions`` and apply ``finish`` per output."""
    from mpiflow.dataframe.core import partitionwise

    n = len(divisions) - 1
    name = f"{label}-" + tokenize(frame._name, by, divisions, finish, finish_args)
    split, pick = name + "-split", name + "-pick"
    layer = ShuffleLayer()
    ascending, na_last, keep_index = True, True, finish is not _finish_set_index
    if finish is _finish_sort_values:
        ascending = finish_args[1] if isinstance(finish_args[1], bool) else finish_args[1][0]
        na_last = finish_args[2] == "last"
    if max(frame.npartitions, n) > DEFAULT_MAX_BRANCH:  # many partitions: a staged shuffle
        pid = _RangePid(by, divisions, ascending, na_last)
        moved = shuffle_by_index_array(frame, pid, n, ignore_index=not keep_index)
        out = partitionwise(
            _finish_one, moved, finish, *finish_args, meta=meta, label=label, align=False
        )
        return out.graph, out._name
    for j in range(frame.npartitions):
        layer[(split, j)] = (
            _split_range,
            (frame._name, j),
            quote_argument(by),
            quote_argument(divisions),
            ascending,
            na_last,
            keep_index,
        )
    for i in range(n):
        refs = []
        for j in range(frame.npartitions):
            layer[(pick, j, i)] = (getitem, (split, j), i)
            refs.append((pick, j, i))
        layer[(name, i)] = (finish, refs, *map(quote_argument, finish_args))
    return new_graph(name, layer, [frame]), name


_TMP = "__set_index_key"


def _named(df: Any, col: Any, name: Any) -> Any:
    return df.rename_axis(name) if col == _TMP else df


def _finish_set_index(pieces: list, col: Any, drop: bool, sort: bool, name: Any = None) -> Any:
    df = concat_pieces(pieces)
    if col is not None:
        if sort:  # quicksort, as pandas' sort_index: ties come in no particular order
            key = df[col]
            if isinstance(key.dtype, np.dtype) and key.dtype.kind in "iufmM":
                order = np.argsort(key.to_numpy(), kind="quicksort")
            else:
                order = key.reset_index(drop=True).sort_values().index.to_numpy()
            df = take_rows(df, np.asarray(order), keep_index=False)
        return _named(df.set_index(col, drop=drop), col, name)
    return df.sort_index() if sort else df


def _finish_sort_values(pieces: list, by: Any, ascending: Any, na_position: str, func: Any, kw):
    df = concat_pieces(pieces)
    if func is not None:
        return func(df, by=by, ascending=ascending, na_position=na_position, **kw)
    return df.sort_values(by=by, ascending=ascending, na_position=na_position)


# --------------------------------------------------------------------------------------
# set_index
# --------------------------------------------------------------------------------------


def _check_column(frame: Any, col: Any, what: str) -> None:
    cols = list(frame._meta.columns)
    if col not in cols:
        import difflib

        close = difflib.get_close_matches(str(col), [str(c) for c in cols], 1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise KeyError(f"{what}: column {col!r} is not in the frame (columns: {cols}){hint}")


def _set_index_sorted(df: Any, col: Any, drop: bool, name: Any = None) -> Any:
    return _named(df.set_index(col, drop=drop), col, name)


def set_index(
    frame: Any,
    other: Any,
    drop: bool = True,
    sorted: bool = False,
    npartitions: int | None = None,
    divisions: Any = None,
    sort: bool = True,
    upsample: float = 1.0,
    **kwargs: Any,
) -> Any:
    """Make column ``other`` the index, sorted across partitions, with known divisions.

    Parameters
    ----------
    frame : DataFrame
    other : label or Series
        A column label, or a Series collection with the same partitions.
    drop : bool, default True
        Drop the column from the data.
    sorted : bool, default False
        The column is already sorted across partitions: no shuffle, only
        each partition's min/max is computed (unless ``divisions`` is given).
    npartitions : int, optional
        Output partitions (default: as many as ``frame``); fewer come out
        when the column has fewer distinct values.
    divisions : list or tuple, optional
        Use these divisions instead of computing them.
    sort : bool, default True
        ``False``: partition by the key but leave rows unsorted within partitions
        (divisions are still known).
    upsample : float
        Accepted for compatibility (the sample size is fixed).

    Returns
    -------
    DataFrame

    Examples
    --------
    >>> import pandas as pd
    >>> import mpiflow.dataframe as dd
    >>> pdf = pd.DataFrame({'x': [3, 1, 2, 0], 'y': [30, 10, 20, 0]})
    >>> out = set_index(dd.from_pandas(pdf, npartitions=2), 'x')
    >>> out.compute().y.tolist()
    [0, 10, 20, 30]
    >>> set_index(dd.from_pandas(pdf, npartitions=2), 'z')
    Traceback (most recent call last):
      ...
    KeyError: "set_index: column 'z' is not in the frame (columns: ['x', 'y'])"
    """
    from mpiflow.dataframe.core import FrameBase, new_collection, partitionwise

    if isinstance(other, FrameBase):
        if other.npartitions != frame.npartitions:
            raise ValueError(
                f"set_index: the Series has {other.npartitions} partitions but the frame has "
                f"{frame.npartitions}; repartition one of them to match"
            )
        col, name, drop = _TMP, other._meta.name, True
        frame = partitionwise(
            _assign_col, frame, other, col, meta=_assign_col(frame._meta, other._meta, col)
        )
    elif isinstance(other, (list, tuple)):
        raise NotImplementedError(
            "set_index: a MultiIndex (a list of columns) is not supported, as in Dask; "
            "set one column as the index"
        )
    else:
        col, name = other, None
        _check_column(frame, col, "set_index")
    meta = _named(frame._meta.set_index(col, drop=drop), col, name)
    if sorted:
        out = partitionwise(_set_index_sorted, frame, col, drop, name, meta=meta, align=False)
        if divisions is None:
            divisions = _sorted_divisions(frame, col)
        else:
            divisions = tuple(divisions)
        if len(divisions) != frame.npartitions + 1:
            raise ValueError(
                f"set_index(sorted=True): divisions has {len(divisions)} values but the frame "
                f"has {frame.npartitions} partitions; pass {frame.npartitions + 1} values"
            )
        return new_collection(out.graph, out._name, meta, divisions)
    n = frame.npartitions if npartitions is None else int(npartitions)
    cats = _categories(frame._meta[col])
    if divisions is None:
        divisions = compute_divisions(frame, col, n)
        if divisions[0] is None:  # no non-null keys
            divisions = (None, None)
        bins = divisions
        if cats is not None and divisions[0] is not None:  # codes -> category values
            divisions = tuple(cats[int(d)] for d in divisions)
    else:
        divisions = tuple(divisions)
        bins = divisions if cats is None else tuple(int(i) for i in cats.get_indexer(divisions))
    known = divisions[0] is not None
    bins = bins if known else (0, 0)
    graph, name = _range_shuffle(
        frame, col, bins, _finish_set_index, (col, drop, sort, name), meta, "set-index"
    )
    return new_collection(graph, name, meta, divisions if known else (None, None))


def _categories(s: Any) -> Any:
    """The categories of a categorical column (the code order), else None."""
    if not isinstance(s.dtype, pd.CategoricalDtype):
        return None
    cats = s.dtype.categories
    if cats is None or (len(cats) == 1 and str(cats[0]) == "__UNKNOWN_CATEGORIES__"):
        raise ValueError(
            "set_index/sort_values on a categorical column needs known categories; call "
            "df[col].cat.as_known() first"
        )
    return cats


def _assign_col(df: Any, s: Any, col: Any) -> Any:
    return df.assign(**{col: s})


def _minmax(df: Any, col: Any) -> tuple:
    s = df[col]
    return (len(s), s.min(), s.max()) if len(s) else (0, None, None)


def _sorted_divisions(frame: Any, col: Any) -> tuple:
    from mpiflow.base import compute
    from mpiflow.delayed import delayed

    stats = compute(*[delayed(_minmax)(p, col) for p in frame.to_delayed()])
    mins = [s[1] for s in stats]
    maxs = [s[2] for s in stats]
    if any(m is None for m in mins):
        return (None,) * (frame.npartitions + 1)
    for i in range(len(stats) - 1):
        if maxs[i] > mins[i + 1]:
            raise ValueError(
                f"set_index(sorted=True): column {col!r} is not sorted across partitions "
                f"(partition {i} ends at {maxs[i]!r}, partition {i + 1} starts at "
                f"{mins[i + 1]!r}); use sorted=False to sort it"
            )
    return tuple(_scalar(m) for m in mins) + (_scalar(maxs[-1]),)


# --------------------------------------------------------------------------------------
# sort_values
# --------------------------------------------------------------------------------------


def sort_values(
    frame: Any,
    by: Any,
    npartitions: int | None = None,
    ascending: Any = True,
    na_position: str = "last",
    sort_function: Any = None,
    sort_function_kwargs: dict | None = None,
    upsample: float = 1.0,
) -> Any:
    """Sort rows by column(s) ``by``, across partitions (the index is kept, unsorted).

    Rows are range-partitioned by the first column of ``by``, then sorted
    within each partition (stable, so ties keep their input order).

    Examples
    --------
    >>> import pandas as pd
    >>> import mpiflow.dataframe as dd
    >>> pdf = pd.DataFrame({'a': [3, 1, 2, 5, 4], 'b': list('xyzuv')})
    >>> out = sort_values(dd.from_pandas(pdf, npartitions=2), 'a', ascending=False)
    >>> out.compute().a.tolist()
    [5, 4, 3, 2, 1]
    """
    from mpiflow.dataframe.core import new_collection

    if isinstance(frame._meta, pd.Series):
        raise NotImplementedError("sort_values on a Series: use s.to_frame().sort_values(...)")
    cols = list(by) if isinstance(by, (list, tuple)) else [by]
    if not cols:
        raise ValueError("sort_values: by= needs at least one column")
    for c in cols:
        _check_column(frame, c, "sort_values")
    if na_position not in ("first", "last"):
        raise ValueError(f"sort_values: na_position={na_position!r} must be 'first' or 'last'")
    if isinstance(ascending, (list, tuple)):
        if len(ascending) != len(cols) or not all(isinstance(a, bool) for a in ascending):
            raise ValueError(
                f"sort_values: ascending={ascending!r} must be a bool or one bool per column "
                f"of by ({len(cols)})"
            )
        ascending = list(ascending)
    elif not isinstance(ascending, bool):
        raise ValueError(f"sort_values: ascending={ascending!r} must be True or False")
    by_arg = cols if isinstance(by, (list, tuple)) else by
    n = frame.npartitions if npartitions is None else int(npartitions)
    _categories(frame._meta[cols[0]])
    divisions = compute_divisions(frame, cols[0], n)
    if divisions[0] is None:
        divisions = (0, 0)
    args = (by_arg, ascending, na_position, sort_function, dict(sort_function_kwargs or {}))
    graph, name = _range_shuffle(
        frame, cols[0], divisions, _finish_sort_values, args, frame._meta, "sort-values"
    )
    return new_collection(graph, name, frame._meta, (None,) * len(divisions))
