"""The per-partition join: pandas' merge, with a NumPy fast path for integer keys.

:func:`merge_chunk` is ``pandas.merge`` cast to the result's meta. For the
common case of one integer key column on each side and ``how`` in
``inner``/``left``/``leftsemi``, :func:`fast_merge` joins with NumPy
instead: the right side is indexed once (:func:`prepare_right`: a lookup
table over the key range when the keys are unique and dense, pandas' hash
index when unique, else a sorted copy for ``searchsorted``), each left row
finds its matches by a gather, a hash lookup or a binary search, and the
output columns are taken with NumPy; the left columns are
not copied at all when every left row appears once in order (a left join on
unique right keys, or an inner join where every key matches). NumPy
releases the GIL for all of this, so partitions join in parallel on threads
(``pandas.merge`` holds it while it factorizes the keys). Results are the
same rows, in the same order, as ``pandas.merge(..., sort=False)``.

Examples
--------
>>> import pandas as pd
>>> l = pd.DataFrame({'k': [3, 1, 2, 9], 'x': [30, 10, 20, 90]})
>>> r = pd.DataFrame({'k': [1, 2, 3], 'y': [.1, .2, .3]})
>>> fast_merge(l, prepare_right(r, 'k'), 'k', 'inner').to_dict('list')
{'k': [3, 1, 2], 'x': [30, 10, 20], 'y': [0.3, 0.1, 0.2]}
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["merge_chunk", "fast_merge", "prepare_right", "PreparedRight"]

#: Build a lookup table when the key range is at most this many times the row count
#: (plus 65,536).
DENSE_FACTOR = 16


def _conform(out: Any, meta: Any) -> Any:
    """Cast ``out`` to ``meta``'s dtypes where they differ (int -> float after misses)."""
    if isinstance(out, pd.DataFrame):
        diff = {c: t for c, t in meta.dtypes.items() if c in out.columns and out.dtypes[c] != t}
        if diff:
            out = out.astype(diff)
    return out


class PreparedRight:
    """The right side of a join indexed on one integer key column (made once, used per task).

    Attributes
    ----------
    frame : pandas.DataFrame
    key : label
    unique : bool
        Every key occurs once.
    lo : int
        Smallest key (lookup-table mode).
    table : numpy.ndarray or None
        ``table[k - lo]`` = row of key ``k`` or -1 (unique, dense keys).
    index : pandas.Index or None
        The keys as a unique Index (a hash table) when they are not dense.
    order, sorted_keys : numpy.ndarray or None
        A stable sort of the keys (duplicate keys: binary search).

    Examples
    --------
    >>> import pandas as pd
    >>> pr = PreparedRight(pd.DataFrame({'k': [10, 10**9]}), 'k')
    >>> pr.unique, pr.table is None, pr.index is not None
    (True, True, True)
    """

    __slots__ = ("frame", "key", "unique", "lo", "table", "index", "order", "sorted_keys")

    def __init__(self, frame: Any, key: Any) -> None:
        self.frame, self.key = frame, key
        keys = frame[key].to_numpy()
        self.table = self.index = self.order = self.sorted_keys = None
        self.lo = 0
        n = len(keys)
        if n:
            lo, hi = int(keys.min()), int(keys.max())
            span = hi - lo + 1
            if span <= DENSE_FACTOR * n + (1 << 16):
                table = np.full(span, -1, dtype=np.int32 if n < 2**31 else np.int64)
                table[keys - lo] = np.arange(n, dtype=table.dtype)
                if np.count_nonzero(table >= 0) == n:  # all distinct: a plain lookup table
                    self.table, self.lo, self.unique = table, lo, True
                    return
        index = pd.Index(keys)
        if index.is_unique:  # a hash table (pandas' engine), built now, before threads share it
            index.get_indexer(keys[:1])
            self.index, self.unique = index, True
            return
        self.order = np.argsort(keys, kind="stable")
        self.sorted_keys = keys[self.order]
        self.unique = False

    def __reduce__(self):
        return (PreparedRight, (self.frame, self.key))


def prepare_right(frame: Any, key: Any) -> PreparedRight:
    """Index the right side of a join on its integer key column ``key``.

    Examples
    --------
    >>> import pandas as pd
    >>> prepare_right(pd.DataFrame({'k': [5, 6, 7]}), 'k').table.tolist()
    [0, 1, 2]
    """
    return PreparedRight(frame, key)


def _indexers(lk: np.ndarray, pr: PreparedRight, how: str) -> tuple:
    """(left rows or None for 'all, in order', right rows with -1 for a miss)."""
    n = len(lk)
    if pr.table is not None:
        table = pr.table
        if n and lk.min() >= pr.lo and lk.max() - pr.lo < len(table):
            ridx = table.take(lk - pr.lo)  # every key inside the table's range
        else:
            pos = lk - pr.lo
            inside = (pos >= 0) & (pos < len(table))
            ridx = np.full(n, -1, dtype=table.dtype)
            ridx[inside] = table.take(pos[inside])
        if how == "left":
            return None, ridx
        hit = ridx >= 0
        if hit.all():
            return None, ridx
        return np.flatnonzero(hit), ridx[hit]
    if pr.index is not None:
        ridx = pr.index.get_indexer(lk)
        if how == "left":
            return None, ridx
        hit = ridx >= 0
        if hit.all():
            return None, ridx
        return np.flatnonzero(hit), ridx[hit]
    sk = pr.sorted_keys
    if len(sk) == 0:
        return (
            (None, np.full(n, -1, dtype=np.int64))
            if how == "left"
            else (
                np.zeros(0, dtype=np.int64),
                np.zeros(0, dtype=np.int64),
            )
        )
    lo = np.searchsorted(sk, lk, side="left")
    if pr.unique:
        found = sk[np.minimum(lo, len(sk) - 1)] == lk
        ridx = np.where(found, pr.order[np.minimum(lo, len(sk) - 1)], -1)
        if how == "left" or found.all():
            return None, ridx
        return np.flatnonzero(found), ridx[found]
    hi = np.searchsorted(sk, lk, side="right")
    cnt = hi - lo
    out = np.maximum(cnt, 1) if how == "left" else cnt
    lidx = np.repeat(np.arange(n, dtype=np.int64), out)
    total = len(lidx)
    first = np.repeat(np.cumsum(out) - out, out)
    pos = np.repeat(lo, out) + (np.arange(total, dtype=np.int64) - first)
    ridx = pr.order[np.minimum(pos, len(sk) - 1)]
    if how == "left":
        ridx = np.where(np.repeat(cnt, out) > 0, ridx, -1)
    return lidx, ridx


def _take(values: Any, idx: np.ndarray, fill: bool) -> Any:
    if isinstance(values, np.ndarray):
        if not fill or not (idx < 0).any():
            return values.take(idx)
        # misses: pandas' take fills NaN/NaT/None and promotes int -> float, bool -> object
        return pd.api.extensions.take(values, idx, allow_fill=True)
    return values.take(idx, allow_fill=fill)


def _values(s: Any) -> Any:
    return s.to_numpy() if isinstance(s.dtype, np.dtype) else s.array


def _out_names(lcols: list, rcols: list, lkey: Any, rkey: Any, suffixes: tuple) -> tuple:
    """Result names of the left and right columns (right key dropped when shared)."""
    rkeep = [c for c in rcols if not (c == rkey and lkey == rkey)]
    shared = {c for c in lcols if c in rkeep and not (c == lkey and lkey == rkey)}
    ls, rs = suffixes
    lnames = [f"{c}{ls}" if c in shared else c for c in lcols]
    rnames = [f"{c}{rs}" if c in shared else c for c in rkeep]
    return lnames, rkeep, rnames


def fast_merge(
    left: Any, right: Any, lkey: Any, how: str, rkey: Any = None, suffixes=("_x", "_y")
) -> Any:
    """Join ``left`` with a :class:`PreparedRight` on one integer key (see module notes).

    Examples
    --------
    >>> import pandas as pd
    >>> l = pd.DataFrame({'k': [1, 5, 1]})
    >>> r = prepare_right(pd.DataFrame({'k': [1, 1, 2], 'y': [1, 2, 3]}), 'k')
    >>> fast_merge(l, r, 'k', 'left').to_dict('list')
    {'k': [1, 1, 5, 1, 1], 'y': [1.0, 2.0, nan, 1.0, 2.0]}
    """
    rkey = lkey if rkey is None else rkey
    rframe = right.frame
    lcols, rcols = list(left.columns), list(rframe.columns)
    lnames, rkeep, rnames = _out_names(lcols, rcols, lkey, rkey, suffixes)
    if how == "leftsemi":
        lidx, ridx = _indexers(left[lkey].to_numpy(), right, "inner")
        if not right.unique:
            keep = np.isin(left[lkey].to_numpy(), rframe[rkey].to_numpy())
            return left[keep]
        return left if lidx is None else left.iloc[lidx]
    lidx, ridx = _indexers(left[lkey].to_numpy(), right, how)
    data: dict = {}
    for c, name in zip(lcols, lnames, strict=True):
        arr = _values(left[c])
        data[name] = arr if lidx is None else _take(arr, lidx, False)
    for c, name in zip(rkeep, rnames, strict=True):
        data[name] = _take(_values(rframe[c]), ridx, how == "left")
    return pd.DataFrame(data, index=pd.RangeIndex(len(ridx)), copy=False)


def _fast_ok(left: Any, right: Any, kwargs: dict) -> tuple | None:
    """(left key, right key) when the NumPy path applies to ``pd.merge(left, right, **kwargs)``."""
    how = kwargs.get("how", "inner")
    if (
        how not in ("inner", "left", "leftsemi")
        or kwargs.get("left_index")
        or kwargs.get("right_index")
    ):
        return None
    on = kwargs.get("on")
    lk = on if on is not None else kwargs.get("left_on")
    rk = on if on is not None else kwargs.get("right_on")
    lk = lk[0] if isinstance(lk, list) and len(lk) == 1 else lk
    rk = rk[0] if isinstance(rk, list) and len(rk) == 1 else rk
    if isinstance(lk, (list, tuple)) or isinstance(rk, (list, tuple)) or lk is None:
        return None
    if not isinstance(left, pd.DataFrame) or not isinstance(right, pd.DataFrame):
        return None
    if left.columns.duplicated().any() or right.columns.duplicated().any():
        return None
    if lk not in left.columns or rk not in right.columns:
        return None
    a, b = left[lk].dtype, right[rk].dtype
    if not (isinstance(a, np.dtype) and isinstance(b, np.dtype) and a == b and a.kind in "iu"):
        return None
    return lk, rk


def merge_chunk(left: Any, right: Any, meta: Any = None, **kwargs: Any) -> Any:
    """``pandas.merge(left, right, **kwargs)`` cast to ``meta``'s dtypes (``how='leftsemi'`` too).

    ``right`` may be a :class:`PreparedRight` (the NumPy path, see module notes).

    Examples
    --------
    >>> import pandas as pd
    >>> l = pd.DataFrame({'k': [1, 2], 'x': [1, 2]})
    >>> r = pd.DataFrame({'k': [1], 'y': [5]})
    >>> merge_chunk(l, r, how='left', on='k').y.tolist()
    [5.0, nan]
    >>> merge_chunk(l, r, how='leftsemi', on='k').to_dict('list')
    {'k': [1], 'x': [1]}
    """
    if isinstance(right, PreparedRight):
        keys = _fast_ok(left, right.frame, kwargs)
        if keys is None or keys[1] != right.key:
            right = right.frame
        else:
            out = fast_merge(
                left,
                right,
                keys[0],
                kwargs.get("how", "inner"),
                keys[1],
                tuple(kwargs.get("suffixes", ("_x", "_y"))),
            )
            return _conform(out, meta) if meta is not None else out
    keys = _fast_ok(left, right, kwargs)
    if keys is not None and len(right) and len(left):
        pr = PreparedRight(right, keys[1])
        out = fast_merge(
            left,
            pr,
            keys[0],
            kwargs.get("how", "inner"),
            keys[1],
            tuple(kwargs.get("suffixes", ("_x", "_y"))),
        )
        return _conform(out, meta) if meta is not None else out
    if kwargs.get("how") == "leftsemi":
        out = _semi_join(left, right, kwargs)
    else:
        out = pd.merge(left, right, **kwargs)
    return _conform(out, meta) if meta is not None else out


def _semi_join(left: Any, right: Any, kwargs: dict) -> Any:
    """Rows of ``left`` whose key is in ``right`` (each once, in order)."""

    def keys_of(df: Any, on: Any, index: bool) -> pd.DataFrame:
        if index:
            return df.index.to_frame(index=False)
        on = on if isinstance(on, list) else [on]
        return df[on].reset_index(drop=True)

    on = kwargs.get("on")
    lk = keys_of(left, on if on is not None else kwargs.get("left_on"), kwargs.get("left_index"))
    rk = keys_of(right, on if on is not None else kwargs.get("right_on"), kwargs.get("right_index"))
    names = [f"k{i}" for i in range(lk.shape[1])]
    lk.columns, rk.columns = names, names
    pos = pd.merge(lk.assign(_pos=np.arange(len(lk))), rk.drop_duplicates(), on=names)["_pos"]
    return left.iloc[np.sort(pos.to_numpy())]


def prepare_for_merge(right: Any, kwargs: dict) -> Any:
    """A :class:`PreparedRight` for a broadcast side when the NumPy path applies, else ``right``.

    Examples
    --------
    >>> import pandas as pd
    >>> r = pd.DataFrame({'k': [1, 2]})
    >>> type(prepare_for_merge(r, {'how': 'inner', 'on': ['k']})).__name__
    'PreparedRight'
    """
    on = kwargs.get("on")
    rk = on if on is not None else kwargs.get("right_on")
    rk = rk[0] if isinstance(rk, list) and len(rk) == 1 else rk
    if isinstance(rk, (list, tuple)) or rk is None or kwargs.get("right_index"):
        return right
    if kwargs.get("how", "inner") not in ("inner", "left", "leftsemi"):
        return right
    if rk not in right.columns or right.columns.duplicated().any():
        return right
    dt = right[rk].dtype
    if not (isinstance(dt, np.dtype) and dt.kind in "iu"):
        return right
    return PreparedRight(right, rk)
