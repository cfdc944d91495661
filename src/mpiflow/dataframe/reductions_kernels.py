"""Pandas-level kernels of the frame reductions: ``chunk``, ``combine``, ``aggregate``.

Every reduction of :mod:`mpiflow.dataframe.methods_reduce` is three pure functions
on pandas objects, run by the tree of :func:`mpiflow.dataframe.reductions.reduction`:

``chunk(partition, **kw) -> partial``
    Summarizes one partition; ``None`` means "nothing here" (an empty partition
    of a reduction without an identity, such as ``min``).
``combine(partials, **kw) -> partial``
    Merges a list of partials (``None`` already dropped) into one.
``aggregate(partials, **kw) -> result``
    Merges the last partials and makes the pandas result. It gets ``empty=``,
    the empty input, so that a reduction of nothing is exactly pandas' answer.

A partial of a Series reduction is a scalar (or a small array); a partial of a
DataFrame reduction is a Series indexed by column (or a dict keyed by column).
No kernel loops over rows in Python.

Examples
--------
>>> import numpy as np
>>> import pandas as pd
>>> parts = [pd.Series([1, 5]), pd.Series([3])]
>>> aggregate_simple([chunk_simple(p, how='max') for p in parts], how='max',
...                  empty=parts[0].iloc[:0])
np.int64(5)
>>> s = pd.Series([1.0, 2.0, 4.0, 8.0])
>>> v = aggregate_moments([chunk_moments(s[:1]), chunk_moments(s[1:])], how='var',
...                       empty=s[:0])
>>> bool(np.isclose(v, s.var()))
True
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__: list = []  # internal kernels; the methods live in methods_reduce

_NO_IDENTITY = frozenset({"min", "max"})


def _is_frame(obj: Any) -> bool:
    return isinstance(obj, pd.DataFrame)


def _combine_values(values: list, how: str, skipna: bool) -> Any:
    """Reduce a list of per-partition scalars with pandas (so dtypes follow pandas)."""
    ser = pd.Series(values)
    if how == "count":
        return ser.sum()
    if how in ("any", "all"):
        return getattr(ser, how)()
    return getattr(ser, how)(skipna=skipna)


# --------------------------------------------------------------------------------------
# sum, prod, min, max, count, any, all
# --------------------------------------------------------------------------------------


def _as_meta(out: Any, meta: Any) -> Any:
    """``out`` with the dtype of the Series ``meta`` (nullable/arrow dtypes as pandas gives)."""
    if isinstance(out, pd.Series) and isinstance(meta, pd.Series) and out.dtype != meta.dtype:
        try:
            return out.astype(meta.dtype)
        except (TypeError, ValueError):
            return out
    return out


def _series(part: Any) -> Any:
    """An Index as a Series (so partials concatenate); Series pass through."""
    return pd.Series(part, index=None, name=part.name) if isinstance(part, pd.Index) else part


def _call(part: Any, how: str, skipna: bool, numeric_only: bool) -> Any:
    """``part.<how>(...)`` with the keywords that method takes."""
    kw: dict = {}
    if how not in ("count", "any", "all"):
        kw["skipna"] = skipna
    if _is_frame(part) and how not in ("any", "all"):
        kw["numeric_only"] = numeric_only
    return getattr(part, how)(**kw)


def chunk_simple(part: Any, how: str, skipna: bool = True, numeric_only: bool = False) -> Any:
    """``part.<how>()`` of one partition; ``None`` for an empty one when ``how`` has no identity.

    Examples
    --------
    >>> chunk_simple(pd.Series([1, 2]), how='sum')
    np.int64(3)
    >>> chunk_simple(pd.Series([], dtype=float), how='min') is None
    True
    """
    if how in _NO_IDENTITY and len(part) == 0:
        return None
    return _call(part, how, skipna, numeric_only)


def combine_simple(parts: list, how: str, skipna: bool = True) -> Any:
    """Merge partials of :func:`chunk_simple` (scalars or Series indexed by column).

    Examples
    --------
    >>> combine_simple([pd.Series({'a': 1}), pd.Series({'a': 4})], how='max')
    a    4
    dtype: int64
    """
    if isinstance(parts[0], pd.Series):
        cols = parts[0].index
        dtypes = {p.dtype for p in parts}
        if len(dtypes) == 1 and next(iter(dtypes)).kind in "iufb":  # one vectorized reduction
            frame = pd.DataFrame(np.vstack([p.to_numpy() for p in parts]), columns=cols)
            if how in ("count", "any", "all"):
                return frame.sum() if how == "count" else getattr(frame, how)()
            return getattr(frame, how)(skipna=skipna)
        values = [
            _combine_values([p.iloc[j] for p in parts], how, skipna) for j in range(len(cols))
        ]
        if not values:
            return parts[0]
        return pd.Series(values, index=cols)
    return _combine_values(parts, how, skipna)


def aggregate_simple(
    parts: list,
    how: str,
    empty: Any,
    skipna: bool = True,
    numeric_only: bool = False,
    meta: Any = None,
) -> Any:
    """Final step of :func:`chunk_simple` reductions (``meta``: the dtype pandas gives).

    Examples
    --------
    >>> aggregate_simple([], how='min', empty=pd.Series([], dtype=float))
    nan
    """
    if not parts:
        return _call(empty, how, skipna, numeric_only)
    out = parts[0] if len(parts) == 1 else combine_simple(parts, how, skipna)
    if isinstance(out, pd.Series) and isinstance(meta, pd.Series) and out.dtype != meta.dtype:
        try:
            out = out.astype(meta.dtype)
        except (TypeError, ValueError):
            out = out.infer_objects()
    return out


# --------------------------------------------------------------------------------------
# mean, var, std: (count, sum, M2) per column, merged with Chan's formula
# --------------------------------------------------------------------------------------


def chunk_moments(
    part: Any, skipna: bool = True, numeric_only: bool = False, order: int = 2
) -> tuple:
    """``(count, sum, M2)`` as float arrays (one entry per column; ``M2`` if ``order == 2``).

    ``M2`` is the sum of squared deviations from the partition mean (two passes,
    as pandas' ``var``); partitions are merged with Chan's formula, so large
    means do not lose the variance to cancellation.

    Examples
    --------
    >>> chunk_moments(pd.Series([1.0, 3.0]))
    (array([2.]), array([4.]), array([2.]))
    """
    frame = part if _is_frame(part) else part.to_frame()
    if numeric_only:
        frame = frame.select_dtypes(include=["number", "bool"])
    if any(dt.kind == "b" for dt in frame.dtypes):
        frame = frame.astype({c: "int64" for c, dt in frame.dtypes.items() if dt.kind == "b"})
    n = np.array(frame.count().to_numpy(dtype="float64"))
    s = np.array(frame.sum(skipna=skipna).to_numpy(dtype="float64"))
    if not skipna:
        nan = frame.isna().any().to_numpy()
        s[nan] = np.nan
    if order < 2:
        return n, s, None
    # two passes, as pandas' var: deviations from this partition's mean, squared and summed
    arr = frame.to_numpy(dtype="float64", na_value=np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        dev = arr - np.where(n > 0, s / np.where(n > 0, n, 1), 0.0)
    missing = np.isnan(dev)
    if missing.any():
        dev[missing] = 0.0
    m2 = np.einsum("ij,ij->j", dev, dev)
    if not skipna:
        m2[nan] = np.nan
    return n, s, m2


def combine_moments(parts: list) -> tuple:
    """Merge ``(count, sum, M2)`` partials (Chan et al.'s pairwise update, vectorized).

    Examples
    --------
    >>> combine_moments([chunk_moments(pd.Series([1.0])), chunk_moments(pd.Series([3.0]))])
    (array([2.]), array([4.]), array([2.]))
    """
    n = np.stack([p[0] for p in parts])
    s = np.stack([p[1] for p in parts])
    ntot = n.sum(axis=0)
    stot = s.sum(axis=0)
    if parts[0][2] is None:
        return ntot, stot, None
    m2 = np.stack([p[2] for p in parts])
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = stot / ntot
        dev = np.where(n > 0, (s - n * mean) ** 2 / np.where(n > 0, n, 1), 0.0)
    return ntot, stot, (m2 + dev).sum(axis=0)


def aggregate_moments(
    parts: list,
    how: str,
    empty: Any,
    ddof: int = 1,
    skipna: bool = True,
    numeric_only: bool = False,
    meta: Any = None,
) -> Any:
    """``mean``, ``var`` or ``std`` from merged moments, shaped like pandas' result.

    Examples
    --------
    >>> s = pd.Series([1.0, 2.0, 6.0])
    >>> float(aggregate_moments([chunk_moments(s)], how='mean', empty=s[:0]))
    3.0
    """
    n, s, m2 = combine_moments(parts) if len(parts) > 1 else parts[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        if how == "mean":
            out = s / n
        else:
            out = np.where(n - ddof > 0, m2 / np.maximum(n - ddof, 1), np.nan)
            if how == "std":
                out = np.sqrt(out)
    if not _is_frame(empty):
        return np.float64(out[0])
    cols = empty.columns
    if numeric_only:
        cols = empty.select_dtypes(include=["number", "bool"]).columns
    res = pd.Series(out, index=cols, dtype="float64")
    return _as_meta(res, meta)


# --------------------------------------------------------------------------------------
# nunique, unique, value_counts, mode, drop_duplicates
# --------------------------------------------------------------------------------------


def chunk_unique(part: Any) -> Any:
    """The distinct values of a Series (or of each column: a dict of Series).

    Examples
    --------
    >>> chunk_unique(pd.Series([1, 1, 2])).tolist()
    [1, 2]
    """
    if _is_frame(part):
        return {c: part[c].drop_duplicates() for c in part.columns}
    return _series(part).drop_duplicates()


def combine_unique(parts: list) -> Any:
    """Merge :func:`chunk_unique` partials, keeping the order of first appearance.

    Examples
    --------
    >>> combine_unique([pd.Series([2, 1]), pd.Series([1, 3])]).tolist()
    [2, 1, 3]
    """
    if isinstance(parts[0], dict):
        return {c: combine_unique([p[c] for p in parts]) for c in parts[0]}
    return pd.concat(parts, ignore_index=True).drop_duplicates()


def aggregate_nunique(parts: list, empty: Any, dropna: bool = True) -> Any:
    """``nunique`` from :func:`chunk_unique` partials.

    Examples
    --------
    >>> aggregate_nunique([pd.Series([1.0, None]), pd.Series([2.0])], empty=None)
    2
    """
    if not parts:
        return empty.nunique(dropna=dropna)
    u = combine_unique(parts) if len(parts) > 1 else parts[0]
    if isinstance(u, dict):
        return pd.Series({c: v.nunique(dropna=dropna) for c, v in u.items()}, dtype="int64")
    return int(u.nunique(dropna=dropna))


def aggregate_unique(parts: list, empty: Any) -> pd.Series:
    """``unique`` as a Series named like the input, values in order of first appearance.

    Examples
    --------
    >>> aggregate_unique([pd.Series([3, 1], name='x'), pd.Series([1, 2], name='x')], None)
    0    3
    1    1
    2    2
    Name: x, dtype: int64
    """
    if not parts:
        return pd.Series(empty.unique(), name=empty.name, dtype=empty.dtype)
    u = combine_unique(parts) if len(parts) > 1 else parts[0]
    return u.reset_index(drop=True)


def chunk_value_counts(part: Any, dropna: bool = True) -> pd.Series:
    """Counts of one partition (unsorted; ``NaN`` kept as a key when ``dropna=False``).

    Examples
    --------
    >>> chunk_value_counts(pd.Series(['a', 'b', 'a'])).to_dict()
    {'a': 2, 'b': 1}
    """
    if _is_frame(part):
        return {c: part[c].value_counts(dropna=dropna, sort=False) for c in part.columns}
    return _series(part).value_counts(dropna=dropna, sort=False)


def combine_value_counts(parts: list) -> Any:
    """Add the counts of several partials by value.

    Examples
    --------
    >>> combine_value_counts([pd.Series({'a': 1}), pd.Series({'a': 2, 'b': 1})]).to_dict()
    {'a': 3, 'b': 1}
    """
    if isinstance(parts[0], dict):
        return {c: combine_value_counts([p[c] for p in parts]) for c in parts[0]}
    cat = pd.concat(parts)
    if cat.index.is_unique:
        return cat
    return cat.groupby(level=0, sort=False, dropna=False, observed=True).sum()


def aggregate_value_counts(
    parts: list,
    empty: Any,
    sort: bool = True,
    ascending: bool = False,
    normalize: bool = False,
    dropna: bool = True,
    meta: Any = None,
) -> pd.Series:
    """``Series.value_counts`` from :func:`chunk_value_counts` partials.

    Examples
    --------
    >>> s = pd.Series([1, 1, 2], name='x')
    >>> aggregate_value_counts([chunk_value_counts(s)], empty=s[:0])
    x
    1    2
    2    1
    Name: count, dtype: int64
    """
    if not parts:
        return empty.value_counts(
            sort=sort, ascending=ascending, normalize=normalize, dropna=dropna
        )
    out = combine_value_counts(parts) if len(parts) > 1 else parts[0]
    out = out.astype("int64")
    if normalize:
        total = out.sum()
        out = (out / total) if total else out.astype("float64")
        out.name = "proportion"
    else:
        out.name = "count"
    out.index.name = empty.name
    if sort:
        out = out.sort_values(ascending=ascending, kind="stable")
    return _as_meta(out, meta)


def aggregate_mode(parts: list, empty: Any, dropna: bool = True) -> Any:
    """``mode`` (sorted most frequent values) from :func:`chunk_value_counts` partials.

    Examples
    --------
    >>> s = pd.Series([3, 1, 3, 1, 2], name='x')
    >>> aggregate_mode([chunk_value_counts(s)], empty=s[:0])
    0    1
    1    3
    Name: x, dtype: int64
    """
    if not parts:
        return empty.mode(dropna=dropna)
    counts = combine_value_counts(parts) if len(parts) > 1 else parts[0]
    if isinstance(counts, dict):
        cols = {c: _mode_of(v, empty[c], dropna) for c, v in counts.items()}
        return pd.DataFrame(cols, columns=empty.columns)
    return _mode_of(counts, empty, dropna)


def _mode_of(counts: pd.Series, empty: pd.Series, dropna: bool) -> pd.Series:
    if len(counts) == 0:
        return empty.mode(dropna=dropna)
    top = counts[counts == counts.max()].index
    vals = pd.Series(top, dtype=empty.dtype, name=empty.name)
    return vals.sort_values(kind="stable", na_position="last").reset_index(drop=True)


def chunk_drop_duplicates(part: Any, **kwargs: Any) -> Any:
    """``drop_duplicates`` of one partition (``subset=``/``keep=`` passed through).

    Examples
    --------
    >>> chunk_drop_duplicates(pd.Series([1, 1, 2])).tolist()
    [1, 2]
    """
    return part.drop_duplicates(**kwargs)


def combine_drop_duplicates(parts: list, **kwargs: Any) -> Any:
    """Concatenate partials in partition order and drop duplicates again.

    Examples
    --------
    >>> combine_drop_duplicates([pd.Series([1, 2]), pd.Series([2, 3], index=[2, 3])]).tolist()
    [1, 2, 3]
    """
    return pd.concat(parts).drop_duplicates(**kwargs)


def aggregate_drop_duplicates(parts: list, empty: Any, **kwargs: Any) -> Any:
    """Final step of ``drop_duplicates`` (the empty input when there was nothing).

    Examples
    --------
    >>> aggregate_drop_duplicates([], empty=pd.Series([], dtype=float)).tolist()
    []
    """
    if not parts:
        return empty
    return combine_drop_duplicates(parts, **kwargs) if len(parts) > 1 else parts[0]


# --------------------------------------------------------------------------------------
# quantile and describe: the non-null values are gathered (exact, as pandas)
# --------------------------------------------------------------------------------------


def chunk_values(part: Any, numeric_only: bool = False) -> Any:
    """The non-null values a quantile needs (numeric columns of a frame when asked).

    Examples
    --------
    >>> chunk_values(pd.Series([1.0, None])).tolist()
    [1.0]
    """
    if _is_frame(part):
        return part.select_dtypes(include=["number", "bool"]) if numeric_only else part
    return _series(part).dropna()


def combine_concat(parts: list) -> Any:
    """``pd.concat`` of the partials (for gathering reductions).

    Examples
    --------
    >>> combine_concat([pd.Series([1]), pd.Series([2])]).tolist()
    [1, 2]
    """
    return pd.concat(parts) if len(parts) > 1 else parts[0]


def aggregate_quantile(parts: list, empty: Any, **kwargs: Any) -> Any:
    """Exact ``quantile`` of the gathered values (keywords passed to pandas).

    Examples
    --------
    >>> float(aggregate_quantile([pd.Series([1.0, 2.0]), pd.Series([3.0])], None, q=0.5))
    2.0
    """
    data = combine_concat(parts) if parts else empty
    return data.quantile(**kwargs)


def aggregate_describe(parts: list, empty: Any, **kwargs: Any) -> Any:
    """``describe`` of the gathered partials (exact, as pandas computes it).

    Examples
    --------
    >>> aggregate_describe([pd.Series([1.0, 3.0])], None)['mean']
    np.float64(2.0)
    """
    data = combine_concat(parts) if parts else empty
    return data.describe(**kwargs)


# --------------------------------------------------------------------------------------
# idxmin / idxmax
# --------------------------------------------------------------------------------------


def chunk_idx(part: Any, how: str) -> Any:
    """``(values, labels)`` of each column's extreme in one partition (``None`` if none).

    Examples
    --------
    >>> chunk_idx(pd.Series([3, 1, 2], index=list('abc')), how='min')
    ([np.int64(1)], ['b'])
    """
    frame = part if _is_frame(part) else part.to_frame()
    vals, labels = [], []
    for c in range(frame.shape[1]):
        col = frame.iloc[:, c].dropna()
        if len(col) == 0:
            vals.append(None)
            labels.append(None)
            continue
        pos = col.argmin() if how == "min" else col.argmax()
        vals.append(col.iloc[pos])
        labels.append(col.index[pos])
    if all(v is None for v in vals):
        return None
    return vals, labels


def combine_idx(parts: list, how: str) -> tuple:
    """The best ``(value, label)`` per column; ties keep the earlier partition.

    Examples
    --------
    >>> combine_idx([([2], ['a']), ([1], ['b']), ([1], ['c'])], how='min')
    ([1], ['b'])
    """
    vals, labels = list(parts[0][0]), list(parts[0][1])
    for pv, pl in parts[1:]:
        for j, (v, lab) in enumerate(zip(pv, pl, strict=True)):
            if v is None:
                continue
            if vals[j] is None or (v < vals[j] if how == "min" else v > vals[j]):
                vals[j], labels[j] = v, lab
    return vals, labels


def aggregate_idx(parts: list, how: str, empty: Any) -> Any:
    """``idxmin``/``idxmax`` from :func:`chunk_idx` partials (pandas' error when all-NA).

    Examples
    --------
    >>> aggregate_idx([([5], ['x'])], how='max', empty=pd.Series([], dtype=float))
    'x'
    """
    if not parts:
        return getattr(empty, f"idx{how}")()
    vals, labels = combine_idx(parts, how)
    if _is_frame(empty):
        if any(v is None for v in vals):
            bad = [c for c, v in zip(empty.columns, vals, strict=True) if v is None]
            raise ValueError(f"idx{how}: columns {bad} have only NA values (Encountered all NA)")
        return pd.Series(labels, index=empty.columns, dtype=empty.index.dtype)
    return labels[0]
