"""``merge`` and ``join`` of partitioned frames.

Three plans, chosen from what is known without computing:

- **index join**: both sides joined on their index with known divisions:
  both are cut at the union of their divisions
  (:func:`~mpiflow.dataframe.repartition.repartition_divisions`) and merged
  partition by partition; divisions stay known.
- **broadcast**: one side has a single partition, or ``BROADCAST_RATIO``
  (8) times fewer partitions than the other (or ``broadcast=True``), and the
  join may drop its unmatched rows (``inner``; the right side of ``left``,
  the left side of ``right``): the small side is concatenated and indexed
  once, and every partition of the big side is joined with it.
- **hash join**: both sides are hash-shuffled on their keys into the same
  number of partitions (keys of different numeric dtypes are hashed as their
  common dtype) and merged piece by piece; each merge task reads its pieces
  straight from the split tasks.

Each partition's result is cast to the meta's dtypes (an ``int`` column of
the side that may miss values is ``float64`` in every partition, as pandas
makes it when any value is missing).

Examples
--------
>>> import pandas as pd
>>> import mpiflow.dataframe as dd
>>> a = dd.from_pandas(pd.DataFrame({'k': [1, 2, 3], 'x': [10, 20, 30]}), npartitions=2)
>>> b = pd.DataFrame({'k': [1, 3], 'y': ['one', 'three']})
>>> merge(a, b, on='k').compute().sort_values('k').y.tolist()
['one', 'three']
"""

from __future__ import annotations

from operator import getitem
from typing import Any

import numpy as np
import pandas as pd

from mpiflow.core.spec import quote_argument
from mpiflow.core.tokenize import tokenize
from mpiflow.dataframe.layers import new_graph
from mpiflow.dataframe.merge_kernels import merge_chunk, prepare_for_merge
from mpiflow.dataframe.shuffle import ShuffleLayer, concat_pieces, hash_split

__all__ = ["merge", "join", "merge_chunk"]

HOWS = ("inner", "left", "right", "outer", "leftsemi")

#: By default a side is broadcast when it has one partition, or at least this many
#: times fewer partitions than the other side.
BROADCAST_RATIO = 8


def _broadcastable(n_small: int, n_big: int, broadcast: bool | None) -> bool:
    if broadcast is not None:
        return bool(broadcast)
    return n_small == 1 or n_small * BROADCAST_RATIO <= n_big


# --------------------------------------------------------------------------------------
# kernels
# --------------------------------------------------------------------------------------


def _merge_pieces(lpieces: list, rpieces: list, meta: Any, kwargs: dict) -> Any:
    return merge_chunk(concat_pieces(lpieces), concat_pieces(rpieces), meta, **kwargs)


def _prepare(parts: list, kwargs: dict) -> Any:
    return prepare_for_merge(concat_pieces(parts), kwargs)


def _merge_with(part: Any, other: Any, meta: Any, kwargs: dict, swap: bool) -> Any:
    if swap:
        return merge_chunk(other, part, meta, **kwargs)
    return merge_chunk(part, other, meta, **kwargs)


# --------------------------------------------------------------------------------------
# checks and meta
# --------------------------------------------------------------------------------------


def _is_object(dtype: Any) -> bool:
    return isinstance(dtype, np.dtype) and dtype.kind == "O"


def _kind(dtype: Any) -> str:
    if isinstance(dtype, pd.CategoricalDtype):
        return _kind(dtype.categories.dtype)
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_numeric_dtype(dtype):
        return "number"
    if pd.api.types.is_string_dtype(dtype) or _is_object(dtype):
        return "string"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return f"datetime[{getattr(dtype, 'tz', None)}]"
    if pd.api.types.is_timedelta64_dtype(dtype):
        return "timedelta"
    return str(dtype)


def _key_dtypes(meta: Any, keys: list | None) -> list:
    if keys is None:  # the index
        idx = meta.index
        if isinstance(idx, pd.MultiIndex):
            return list(idx.dtypes)
        return [idx.dtype]
    return [meta[k].dtype if k in meta.columns else meta.index.dtype for k in keys]


def _check_key_dtypes(lmeta: Any, rmeta: Any, lkeys: Any, rkeys: Any) -> list:
    """The dtype to hash each key pair as; a clear error when a pair cannot match."""
    ld, rd = _key_dtypes(lmeta, lkeys), _key_dtypes(rmeta, rkeys)
    lnames = lkeys if lkeys is not None else ["<index>"] * len(ld)
    rnames = rkeys if rkeys is not None else ["<index>"] * len(rd)
    if len(ld) != len(rd):
        raise ValueError(
            f"merge: the left side joins on {len(ld)} keys ({lnames}) but the right side on "
            f"{len(rd)} ({rnames}); pass the same number of keys"
        )
    casts, bad, fix = [], [], ""
    for ln, rn, a, b in zip(lnames, rnames, ld, rd, strict=True):
        if _kind(a) != _kind(b):
            bad.append(f"left {ln!r} is {a}, right {rn!r} is {b}")
            if not fix:
                target = "right" if rn != "<index>" else "left"
                col, dt = (rn, a) if target == "right" else (ln, b)
                fix = f"{target}[{col!r}] = {target}[{col!r}].astype('{dt}')"
            continue
        if _kind(a) == "number":
            casts.append(np.result_type(_base(a), _base(b)))
        elif _kind(a) == "string":
            casts.append(object if (_is_object(a) or _is_object(b)) and a != b else None)
        else:
            casts.append(None)
    if bad:
        raise ValueError(
            "merge: key columns have dtypes that cannot match: "
            + "; ".join(bad)
            + f". Cast one side so both keys have the same dtype before merging, e.g. {fix}"
        )
    return casts


def _base(dtype: Any) -> Any:
    if isinstance(dtype, pd.CategoricalDtype):
        dtype = dtype.categories.dtype
    return getattr(dtype, "numpy_dtype", dtype)


def _merge_meta(lmeta: Any, rmeta: Any, kwargs: dict) -> Any:
    """The result's meta, with the dtypes pandas gives when the optional side misses rows."""
    from mpiflow.dataframe.meta import make_meta, meta_nonempty

    how = kwargs["how"]
    kw = dict(kwargs)
    if how == "leftsemi":
        return merge_chunk(lmeta, rmeta, **kw).iloc[:0]
    ln, rn = meta_nonempty(lmeta), meta_nonempty(rmeta)
    try:
        base = pd.merge(lmeta, rmeta, **kw)
        missing = []  # merges where one side misses every row: pandas' promoted dtypes
        if how in ("left", "outer"):
            missing.append(pd.merge(ln, rn.iloc[:0], **kw))
        if how in ("right", "outer"):
            missing.append(pd.merge(ln.iloc[:0], rn, **kw))
    except (ValueError, KeyError, TypeError) as e:
        raise type(e)(f"merge: {e}") from e
    dtypes = dict(base.dtypes)
    for c, t in base.dtypes.items():
        for other in missing:
            if c in other.columns and other.dtypes[c] != t:
                dtypes[c] = other.dtypes[c]
    return make_meta(base.astype(dtypes))


def _normalize_keys(
    left: Any, right: Any, on: Any, left_on: Any, right_on: Any, left_index: bool, right_index: bool
) -> tuple:
    """(left keys or None for the index, right keys or None)."""

    def aslist(x: Any) -> list:
        return list(x) if isinstance(x, (list, tuple)) else [x]

    if on is not None and (left_on is not None or right_on is not None):
        raise ValueError("merge: pass on= or left_on=/right_on=, not both")
    if on is not None and (left_index or right_index):
        raise ValueError("merge: pass on= or left_index=/right_index=, not both")
    lcols, rcols = list(left._meta.columns), list(right._meta.columns)
    if on is not None:
        lk = rk = aslist(on)
    else:
        lk = None if left_index else (aslist(left_on) if left_on is not None else None)
        rk = None if right_index else (aslist(right_on) if right_on is not None else None)
        if lk is None and rk is None and not (left_index and right_index):
            if left_index or right_index:
                raise ValueError(
                    "merge: left_index=True needs right_on= or right_index=True (and vice versa)"
                )
            common = [c for c in lcols if c in rcols]
            if not common:
                raise ValueError(
                    "merge: the frames share no column to join on; pass on=, left_on=/right_on= "
                    "or left_index=/right_index="
                )
            lk = rk = common
        elif lk is None and not left_index:
            raise ValueError("merge: right_on= needs left_on= or left_index=True")
        elif rk is None and not right_index:
            raise ValueError("merge: left_on= needs right_on= or right_index=True")
    for side, keys, cols, meta in (
        ("left", lk, lcols, left._meta),
        ("right", rk, rcols, right._meta),
    ):
        for k in keys or []:
            if k not in cols and k not in (meta.index.names or []):
                import difflib

                close = difflib.get_close_matches(str(k), [str(c) for c in cols], 1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise KeyError(
                    f"merge: key {k!r} is not a column of the {side} frame (columns: {cols}){hint}"
                )
    return lk, rk


# --------------------------------------------------------------------------------------
# plans
# --------------------------------------------------------------------------------------


def _as_collection(x: Any) -> Any:
    from mpiflow.dataframe.core import FrameBase

    if isinstance(x, FrameBase):
        return x.to_frame() if isinstance(x._meta, pd.Series) else x
    if isinstance(x, pd.Series):
        x = x.to_frame()
    if isinstance(x, pd.DataFrame):
        from mpiflow.dataframe.creation import from_pandas

        return from_pandas(x, npartitions=1)
    raise TypeError(
        f"merge: expected an mpiflow or pandas DataFrame or named Series, got {type(x).__name__}"
    )


def _broadcast(big: Any, small: Any, meta: Any, kwargs: dict, swap: bool, divisions: Any) -> Any:
    from mpiflow.dataframe.core import new_collection

    name = "merge-broadcast-" + tokenize(big._name, small._name, kwargs, swap)
    layer = ShuffleLayer()
    whole = (name + "-small", 0)
    refs = [(small._name, i) for i in range(small.npartitions)]
    if swap:  # the small side is the left one: pandas' merge
        layer[whole] = refs[0] if len(refs) == 1 else (concat_pieces, refs)
    else:  # indexed once for the NumPy join when it applies
        layer[whole] = (_prepare, refs, kwargs)
    for i in range(big.npartitions):
        layer[(name, i)] = (_merge_with, (big._name, i), whole, meta, kwargs, swap)
    graph = new_graph(name, layer, [big, small])
    return new_collection(graph, name, meta, divisions or (None,) * (big.npartitions + 1))


def _hash_join(
    left: Any,
    right: Any,
    lk: Any,
    rk: Any,
    casts: list,
    meta: Any,
    kwargs: dict,
    npartitions: int | None,
) -> Any:
    from mpiflow.dataframe.core import new_collection, partitionwise
    from mpiflow.dataframe.shuffle import DEFAULT_MAX_BRANCH, shuffle

    n = npartitions or max(left.npartitions, right.npartitions)
    # keep the indexes when a side joins on its index or on index levels
    on_index = any(
        keys is None or any(k not in frame._meta.columns for k in keys)
        for frame, keys in ((left, lk), (right, rk))
    )
    if max(left.npartitions, right.npartitions, n) > DEFAULT_MAX_BRANCH:  # staged shuffles
        ls = shuffle(left, lk, n, cast=casts, ignore_index=not on_index)
        rs = shuffle(right, rk, n, cast=casts, ignore_index=not on_index)
        return partitionwise(
            _merge_aligned, ls, rs, meta, kwargs, meta=meta, label="merge-hash", align=False
        )
    name = "merge-hash-" + tokenize(left._name, right._name, kwargs, n, casts)
    layer = ShuffleLayer()
    for side, frame, keys in (("l", left, lk), ("r", right, rk)):
        for j in range(frame.npartitions):
            layer[(f"{name}-split{side}", j)] = (
                hash_split,
                (frame._name, j),
                quote_argument(keys),
                n,
                quote_argument(casts),
                on_index,
            )
            for i in range(n):
                layer[(f"{name}-pick{side}", j, i)] = (getitem, (f"{name}-split{side}", j), i)
    for i in range(n):
        lrefs = [(f"{name}-pickl", j, i) for j in range(left.npartitions)]
        rrefs = [(f"{name}-pickr", j, i) for j in range(right.npartitions)]
        layer[(name, i)] = (_merge_pieces, lrefs, rrefs, meta, kwargs)
    graph = new_graph(name, layer, [left, right])
    return new_collection(graph, name, meta, (None,) * (n + 1))


def _merge_aligned(left: Any, right: Any, meta: Any, kwargs: dict) -> Any:
    return merge_chunk(left, right, meta, **kwargs)


def _index_join(left: Any, right: Any, meta: Any, kwargs: dict) -> Any:
    from mpiflow.dataframe.core import partitionwise
    from mpiflow.dataframe.repartition import repartition_divisions

    divs = tuple(sorted(set(left.divisions) | set(right.divisions)))
    if divs != tuple(left.divisions):
        left = repartition_divisions(left, divs, force=True)
    if divs != tuple(right.divisions):
        right = repartition_divisions(right, divs, force=True)
    out = partitionwise(
        _merge_aligned, left, right, meta, kwargs, meta=meta, label="merge-index", align=False
    )
    return out


# --------------------------------------------------------------------------------------
# merge and join
# --------------------------------------------------------------------------------------


def merge(
    left: Any,
    right: Any,
    how: str = "inner",
    on: Any = None,
    left_on: Any = None,
    right_on: Any = None,
    left_index: bool = False,
    right_index: bool = False,
    suffixes: tuple = ("_x", "_y"),
    indicator: bool = False,
    npartitions: int | None = None,
    shuffle_method: str | None = None,
    broadcast: bool | None = None,
) -> Any:
    """Join two frames on columns or the index, as :func:`pandas.merge`.

    Parameters
    ----------
    left, right : DataFrame or pandas.DataFrame (or a named Series)
    how : {'inner', 'left', 'right', 'outer', 'leftsemi'}
    on, left_on, right_on : label or list of labels
    left_index, right_index : bool
    suffixes : (str, str)
        Appended to overlapping non-key column names.
    indicator : bool
        Not supported (raises).
    npartitions : int, optional
        Output partitions of a hash join (default: the larger input's).
    shuffle_method : {None, 'tasks'}
        Only the task-based shuffle exists.
    broadcast : bool, optional
        Force (True) or forbid (False) broadcasting the smaller side; by
        default a side with one partition, or ``BROADCAST_RATIO`` (8) times fewer
        partitions than the other, is broadcast.

    Returns
    -------
    DataFrame
        Known divisions only for index-on-index joins of frames with known
        divisions; otherwise each partition has pandas' merge index.

    Raises
    ------
    ValueError
        For an unknown ``how``, inconsistent key arguments, or key dtypes
        that cannot match (e.g. ``int64`` against ``object``), naming the
        columns and the cast to make.

    Examples
    --------
    >>> import pandas as pd
    >>> import mpiflow.dataframe as dd
    >>> l = dd.from_pandas(pd.DataFrame({'k': [1, 2, 3, 4], 'x': range(4)}), npartitions=2)
    >>> r = dd.from_pandas(pd.DataFrame({'k': [2, 4, 6], 'y': [.2, .4, .6]}), npartitions=2)
    >>> merge(l, r, on='k', how='outer').compute().sort_values('k').k.tolist()
    [1, 2, 3, 4, 6]
    >>> merge(l, r.assign(k=r.k.astype(str)), on='k')
    Traceback (most recent call last):
      ...
    ValueError: merge: key columns have dtypes that cannot match: left 'k' is int64, right 'k' is str. Cast one side so both keys have the same dtype before merging, e.g. right['k'] = right['k'].astype('int64')
    """  # noqa: E501
    from mpiflow.dataframe.core import FrameBase

    if not isinstance(left, FrameBase) and not isinstance(right, FrameBase):
        return pd.merge(
            left,
            right,
            how=how,
            on=on,
            left_on=left_on,
            right_on=right_on,
            left_index=left_index,
            right_index=right_index,
            suffixes=suffixes,
        )
    if how not in HOWS:
        raise ValueError(f"merge: how={how!r} must be one of {list(HOWS)}")
    if indicator:
        raise NotImplementedError("merge: indicator=True is not supported")
    if shuffle_method not in (None, "tasks", "disk"):
        raise ValueError(f"merge: shuffle_method={shuffle_method!r}: only 'tasks' exists")
    left, right = _as_collection(left), _as_collection(right)
    lk, rk = _normalize_keys(left, right, on, left_on, right_on, left_index, right_index)
    casts = _check_key_dtypes(left._meta, right._meta, lk, rk)
    kwargs = {"how": how, "suffixes": tuple(suffixes)}
    if on is not None:
        kwargs["on"] = lk
    else:
        if lk is None:
            kwargs["left_index"] = True
        else:
            kwargs["left_on"] = lk
        if rk is None:
            kwargs["right_index"] = True
        else:
            kwargs["right_on"] = rk
        if lk is not None and rk is not None and lk == rk:
            kwargs = {"how": how, "suffixes": tuple(suffixes), "on": lk}
    meta = _merge_meta(left._meta, right._meta, kwargs)
    if lk is None and rk is None and left.known_divisions and right.known_divisions:
        return _index_join(left, right, meta, kwargs)
    can_right = how in ("inner", "left", "leftsemi")  # right may be broadcast
    can_left = how in ("inner", "right")
    nr, nl = right.npartitions, left.npartitions
    if can_right and nr <= nl and _broadcastable(nr, nl, broadcast):
        # the output keeps the left index when the right side joins on its index
        keep = rk is None and lk is not None and left.known_divisions
        divs = tuple(left.divisions) if keep else None
        return _broadcast(left, right, meta, kwargs, False, divs)
    if can_left and _broadcastable(nl, nr, broadcast):
        keep = lk is None and rk is not None and right.known_divisions
        divs = tuple(right.divisions) if keep else None
        return _broadcast(right, left, meta, kwargs, True, divs)
    return _hash_join(left, right, lk, rk, casts, meta, kwargs, npartitions)


def join(
    left: Any,
    other: Any,
    on: Any = None,
    how: str = "left",
    lsuffix: str = "",
    rsuffix: str = "",
    npartitions: int | None = None,
    shuffle_method: str | None = None,
) -> Any:
    """Join ``other`` on the index (or ``left``'s column(s) ``on``), as ``DataFrame.join``.

    Examples
    --------
    >>> import pandas as pd
    >>> import mpiflow.dataframe as dd
    >>> l = dd.from_pandas(pd.DataFrame({'x': [1, 2, 3]}), npartitions=2)
    >>> r = dd.from_pandas(pd.DataFrame({'y': [10, 30]}, index=[0, 2]), npartitions=1)
    >>> join(l, r).compute().y.tolist()
    [10.0, nan, 30.0]
    """
    from mpiflow.dataframe.core import FrameBase

    if isinstance(other, (list, tuple)):
        raise NotImplementedError("join: a list of frames is not supported; join them one by one")
    if isinstance(other, (pd.Series, FrameBase)) and isinstance(
        getattr(other, "_meta", other), pd.Series
    ):
        if getattr(other, "_meta", other).name is None:
            raise ValueError("join: a Series must have a name (it becomes the column name)")
    lmeta = left._meta if isinstance(left, FrameBase) else left
    omet = getattr(other, "_meta", other)
    ocols = [omet.name] if isinstance(omet, pd.Series) else list(omet.columns)
    overlap = [c for c in lmeta.columns if c in ocols]
    if overlap and not (lsuffix or rsuffix):
        raise ValueError(
            f"join: columns overlap ({overlap}) but no suffix was given; pass lsuffix= and/or "
            "rsuffix="
        )
    return merge(
        left,
        other,
        how=how,
        left_on=on,
        left_index=on is None,
        right_index=True,
        suffixes=(lsuffix, rsuffix),
        npartitions=npartitions,
        shuffle_method=shuffle_method,
    )
