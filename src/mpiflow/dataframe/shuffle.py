"""Hash shuffle: move every row to the partition its key hashes to.

The pandas-level kernels work on one partition with NumPy: the key columns
(or the index) are hashed once with :func:`pandas.util.hash_array`, the
target partition of every row is ``hash % npartitions``, and the partition is
cut into its pieces by one stable counting sort of those targets and one
``take`` (:func:`split_by_partition`): no Python loop over rows.

The graph: each input partition is split by one task that returns the list
of its pieces; a small ``getitem`` task per (input, output) pair picks one
piece (so only that piece travels when the tasks run on different workers),
and one task per output concatenates its pieces. With ``n`` partitions that
is ``n * n`` picks; above ``max_branch`` partitions (default 32) the shuffle
runs in *stages* instead, as a base-``k`` digit sort: stage ``s`` moves each
row within a group of ``k`` partitions to the one whose ``s``-th digit
matches the row's target, so every task gathers at most ``k`` pieces and
the task count is ``O(n * k * stages)``. The targets are computed once, in
the first stage, and travel with the rows.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({'k': [1, 2, 3, 1, 2, 3], 'v': range(6)})
>>> pieces = hash_split(df, 'k', 2)
>>> sorted(len(p) for p in pieces)
[2, 4]
>>> all(set(p.k).isdisjoint(q.k) for p in pieces for q in pieces if p is not q)
True
"""

from __future__ import annotations

import math
from operator import getitem
from typing import Any

import numpy as np
import pandas as pd

from mpiflow.core.spec import quote_argument
from mpiflow.core.tokenize import tokenize
from mpiflow.dataframe.layers import new_graph

__all__ = [
    "partitioning_index",
    "split_by_partition",
    "take_rows",
    "hash_split",
    "concat_pieces",
    "shuffle",
    "shuffle_by_index_array",
    "groupby_shuffle_apply",
    "hash_aggregate",
]

#: Above this many partitions a shuffle runs in stages (each task gathers <= this many pieces).
DEFAULT_MAX_BRANCH = 32


class ShuffleLayer(dict):
    """A layer of ready-made shuffle tasks: reads every column of its inputs.

    Examples
    --------
    >>> ShuffleLayer({('x', 0): 1}).columns_read is None
    True
    """

    columns_read = None

    def __reduce__(self):
        return (ShuffleLayer, (dict(self),))


# --------------------------------------------------------------------------------------
# pandas-level kernels
# --------------------------------------------------------------------------------------


def _key_arrays(df: Any, on: Any) -> list:
    """The key values of ``df`` as a list of array-likes (``on=None``: the index levels)."""
    if on is None:
        idx = df.index
        if isinstance(idx, pd.MultiIndex):
            return [idx.get_level_values(i) for i in range(idx.nlevels)]
        return [idx]
    if isinstance(on, (pd.Series, pd.Index)):
        return [on]
    if isinstance(on, pd.DataFrame):
        return [on[c] for c in on.columns]
    if not isinstance(on, list):
        on = [on]
    return [_column_or_level(df, c) for c in on]


def _column_or_level(df: Any, c: Any) -> Any:
    if isinstance(c, (pd.Series, pd.Index)):
        return c
    if isinstance(df, pd.DataFrame) and c not in df.columns and c in (df.index.names or []):
        return df.index.get_level_values(c)  # an index level named like pandas' on=
    return df[c]


def _hash_values(values: Any, cast: Any = None) -> np.ndarray:
    """uint64 hashes of one key column (cast first, so both sides of a join agree)."""
    if cast is not None and values.dtype != cast:
        values = values.astype(cast)
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(values.dtype.categories.dtype)
    if isinstance(values.dtype, np.dtype):
        return pd.util.hash_array(np.asarray(values))
    ser = pd.Series(np.asarray(values) if not hasattr(values, "array") else values.array)
    return np.asarray(pd.util.hash_pandas_object(ser, index=False))


def partitioning_index(
    df: pd.DataFrame | pd.Series, on: Any, npartitions: int, cast: Any = None
) -> np.ndarray:
    """The output partition (``0 <= p < npartitions``) of every row of ``df``.

    Parameters
    ----------
    df : pandas.DataFrame or Series
    on : label, list of labels, pandas Series or None
        The key columns; ``None`` hashes the index (all levels of a MultiIndex).
    npartitions : int
    cast : dtype or list of dtypes, optional
        Cast each key to this dtype before hashing, so that keys of different
        dtypes on the two sides of a join (``int32``/``int64``) hash alike.

    Returns
    -------
    numpy.ndarray of int64
        Equal keys always get the same partition, whatever frame they are in.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({'a': [1, 2, 1], 'b': ['x', 'y', 'x']})
    >>> p = partitioning_index(df, 'a', 4)
    >>> bool(p[0] == p[2]), bool((p < 4).all())
    (True, True)
    >>> other = pd.Series([2, 1]).astype('int32')
    >>> list(partitioning_index(pd.DataFrame({'a': other}), 'a', 4, cast='int64')) == [p[1], p[0]]
    True
    """
    keys = _key_arrays(df, on)
    casts = cast if isinstance(cast, (list, tuple)) else [cast] * len(keys)
    if len(keys) == 1:
        h = _hash_values(keys[0], casts[0])
    else:
        h = _hash_values(keys[0], casts[0])
        for k, c in zip(keys[1:], casts[1:], strict=True):  # order-dependent mix (boost style)
            h2 = _hash_values(k, c)
            h = h ^ (h2 + np.uint64(0x9E3779B97F4A7C15) + (h << np.uint64(6)) + (h >> np.uint64(2)))
    return (h % np.uint64(npartitions)).astype(np.int64)


def _small_uint(n: int) -> type:
    return np.uint8 if n <= 256 else np.uint16 if n <= 65536 else np.uint32


def _take_values(s: Any, order: np.ndarray) -> Any:
    return s.to_numpy().take(order) if isinstance(s.dtype, np.dtype) else s.array.take(order)


def take_rows(df: Any, order: np.ndarray, keep_index: bool = True) -> Any:
    """``df.take(order)`` done column by column with NumPy (3x faster than pandas' block take).

    ``keep_index=False`` gives a ``RangeIndex`` instead of taking the index.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> df = pd.DataFrame({'a': [1, 2, 3], 'b': list('xyz')}, index=[7, 8, 9])
    >>> take_rows(df, np.array([2, 0])).to_dict('index')
    {9: {'a': 3, 'b': 'z'}, 7: {'a': 1, 'b': 'x'}}
    >>> take_rows(df, np.array([1]), keep_index=False).index
    RangeIndex(start=0, stop=1, step=1)
    """
    index = df.index.take(order) if keep_index else pd.RangeIndex(len(order))
    if isinstance(df, pd.Series):
        return pd.Series(_take_values(df, order), index=index, name=df.name, copy=False)
    arrays = {j: _take_values(df.iloc[:, j], order) for j in range(df.shape[1])}
    out = pd.DataFrame(arrays, index=index, copy=False)
    out.columns = df.columns
    return out


def split_by_partition(df: Any, pid: np.ndarray, npartitions: int, keep_index: bool = True) -> list:
    """Cut ``df`` into ``npartitions`` pieces: row ``r`` goes to piece ``pid[r]``.

    One stable counting sort of ``pid`` and one :func:`take_rows`; the pieces
    are slices of the taken frame and keep the rows' relative order.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> parts = split_by_partition(pd.Series([10, 11, 12, 13]), np.array([1, 0, 1, 1]), 3)
    >>> [p.tolist() for p in parts]
    [[11], [10, 12, 13], []]
    """
    if npartitions == 1:
        return [df if keep_index else df.reset_index(drop=True)]
    pid = np.asarray(pid)
    small = pid.astype(_small_uint(npartitions), copy=False)
    order = np.argsort(small, kind="stable")  # radix sort for <= 16-bit ids
    counts = np.bincount(small, minlength=npartitions)
    taken = take_rows(df, order, keep_index)
    bounds = np.zeros(npartitions + 1, dtype=np.int64)
    np.cumsum(counts, out=bounds[1:])
    return [taken.iloc[bounds[i] : bounds[i + 1]] for i in range(npartitions)]


def hash_split(
    df: Any, on: Any, npartitions: int, cast: Any = None, keep_index: bool = True
) -> list:
    """Split ``df`` into ``npartitions`` pieces by the hash of ``on`` (``None``: index).

    Examples
    --------
    >>> import pandas as pd
    >>> [len(p) for p in hash_split(pd.DataFrame({'a': [5, 5, 5]}), 'a', 3)].count(3)
    1
    """
    pid = partitioning_index(df, on, npartitions, cast)
    return split_by_partition(df, pid, npartitions, keep_index)


def concat_pieces(pieces: list, ignore_index: bool = False) -> Any:
    """Concatenate row pieces of one schema, skipping empty ones (all empty: the first).

    Examples
    --------
    >>> import pandas as pd
    >>> concat_pieces([pd.Series([1]), pd.Series([], dtype=int), pd.Series([2])]).tolist()
    [1, 2]
    """
    full = [p for p in pieces if len(p)]
    if not full:
        return pieces[0].iloc[:0] if not ignore_index else pieces[0].iloc[:0].reset_index(drop=True)
    if len(full) == 1 and not ignore_index:
        return full[0]
    return pd.concat(full, ignore_index=ignore_index)


# -- staged kernels: intermediate values are (frame, targets) pairs --------------------------


def _split_first(
    df: Any,
    on: Any,
    n_out: int,
    k: int,
    cast: Any,
    on_part: Any = None,
    direct: bool = True,
    pid_func: Any = None,
    keep_index: bool = True,
) -> list:
    if pid_func is not None:
        pid = np.asarray(pid_func(df), dtype=np.int64)
    else:
        pid = partitioning_index(df, on if on_part is None else on_part, n_out, cast)
    if direct:  # one stage: split by target
        return split_by_partition(df, pid, n_out, keep_index)
    return _split_digit(df, pid, k, 0, keep_index)


def _split_later(pair: tuple, k: int, stage: int) -> list:
    df, pid = pair
    return _split_digit(df, pid, k, stage)


def _split_digit(df: Any, pid: np.ndarray, k: int, stage: int, keep_index: bool = True) -> list:
    digit = (pid // (k**stage)) % k
    small = digit.astype(_small_uint(k))
    order = np.argsort(small, kind="stable")
    counts = np.bincount(small, minlength=k)
    taken, tpid = take_rows(df, order, keep_index), pid[order]
    b = np.zeros(k + 1, dtype=np.int64)
    np.cumsum(counts, out=b[1:])
    return [(taken.iloc[b[i] : b[i + 1]], tpid[b[i] : b[i + 1]]) for i in range(k)]


def _concat_pairs(pairs: list, last: bool, ignore_index: bool) -> Any:
    frame = concat_pieces([p[0] for p in pairs], ignore_index)
    if last:
        return frame
    pids = [p[1] for p in pairs if len(p[1])]
    return frame, (np.concatenate(pids) if pids else np.zeros(0, dtype=np.int64))


def _empty_pair(meta: Any) -> tuple:
    return meta, np.zeros(0, dtype=np.int64)


# --------------------------------------------------------------------------------------
# The graph
# --------------------------------------------------------------------------------------


def _stages(n: int, max_branch: int) -> tuple[int, int]:
    """(number of stages, branching factor k) with ``k ** stages >= n``."""
    if n <= max_branch:
        return 1, max(n, 1)
    stages = math.ceil(math.log(n) / math.log(max_branch))
    k = math.ceil(n ** (1 / stages))
    while k**stages < n:
        k += 1
    return stages, k


def _shuffle_layer(
    name: str,
    in_name: str,
    n_in: int,
    n_out: int,
    on: Any,
    on_name: str | None,
    cast: Any,
    meta: Any,
    max_branch: int,
    ignore_index: bool,
    pid_func: Any = None,
) -> dict:
    """Tasks of a (possibly staged) shuffle of ``n_in`` partitions into ``n_out``.

    Rows go to ``pid_func(partition)`` when given, else to the hash of ``on``.
    """
    n = max(n_in, n_out)
    stages, k = _stages(n, max_branch)
    if stages == 1:  # direct: split by target, one concat per output
        k = n_out
    total = k**stages if stages > 1 else max(n_in, n_out)
    layer = ShuffleLayer()
    q_on, q_cast = quote_argument(on), quote_argument(cast)
    prev: dict = {}
    for i in range(n_in):
        prev[i] = (in_name, i)
    for s in range(stages):
        last = s == stages - 1
        split, pick, out = f"{name}-split{s}", f"{name}-pick{s}", name if last else f"{name}-s{s}"
        for j, src in prev.items():
            if s == 0:
                on_key = (on_name, j) if on_name is not None else None
                layer[(split, j)] = (
                    _split_first,
                    src,
                    q_on,
                    n_out,
                    k,
                    q_cast,
                    on_key,
                    stages == 1,
                    pid_func,
                    not ignore_index,
                )
            else:
                layer[(split, j)] = (_split_later, src, k, s)
        step = k**s
        outs = range(n_out) if last else range(total)
        nxt: dict = {}
        for i in outs:
            digit = (i // step) % k
            base = i - digit * step
            members = [base + t * step for t in range(k) if stages > 1 or t == 0]
            if stages == 1:
                members = list(range(n_in))
            refs = []
            for j in members:
                if j in prev:
                    pk = (pick, j, i)
                    layer[pk] = (getitem, (split, j), digit if stages > 1 else i)
                    refs.append(pk)
            if stages == 1:
                layer[(out, i)] = (concat_pieces, refs, ignore_index) if refs else meta
            elif refs:
                layer[(out, i)] = (_concat_pairs, refs, last, ignore_index)
            else:
                layer[(out, i)] = meta if last else (_empty_pair, meta)
            nxt[i] = (out, i)
        prev = nxt
    return layer


def _normalize_on(frame: Any, on: Any) -> tuple[Any, Any]:
    """(column labels or None, collection or None) for the ``on=`` of a shuffle."""
    from mpiflow.dataframe.core import FrameBase

    if isinstance(on, FrameBase):
        if on.npartitions != frame.npartitions:
            raise ValueError(
                f"shuffle: on= is a collection with {on.npartitions} partitions but the frame has "
                f"{frame.npartitions}; repartition one of them so they match"
            )
        return None, on
    if on is None:
        return None, None
    labels = list(on) if isinstance(on, (list, tuple)) else [on]
    cols = list(getattr(frame._meta, "columns", []))
    if isinstance(frame._meta, pd.Series):
        raise ValueError("shuffle: on= column labels need a DataFrame; a Series shuffles by index")
    missing = [c for c in labels if c not in cols]
    if missing:
        import difflib

        hints = [difflib.get_close_matches(str(m), [str(c) for c in cols], 1) for m in missing]
        hint = "; ".join(
            f"{m!r} (did you mean {h[0]!r}?)" for m, h in zip(missing, hints, strict=True) if h
        )
        raise KeyError(
            f"shuffle: columns {missing} are not in the frame (columns: {cols})"
            + (f"; closest: {hint}" if hint else "")
        )
    return labels, None


def shuffle(
    frame: Any,
    on: Any = None,
    npartitions: int | None = None,
    max_branch: int | None = None,
    ignore_index: bool = False,
    cast: Any = None,
) -> Any:
    """Move rows so that all rows with equal ``on`` values share one partition.

    Parameters
    ----------
    frame : DataFrame or Series
    on : label, list of labels, Series or None
        Column labels, a collection with the same partitions (its values are
        hashed), or ``None`` for the index.
    npartitions : int, optional
        Output partitions (default: as many as ``frame``).
    max_branch : int, optional
        The most pieces one task gathers (default 32); more partitions run in stages.
    ignore_index : bool, default False
        Drop the index of the result (a ``RangeIndex`` per partition), which is cheaper.
    cast : dtype or list of dtypes, optional
        Hash keys as these dtypes (for joins of keys of different dtypes).

    Returns
    -------
    DataFrame or Series
        Same rows and meta, unknown divisions; within a partition rows keep
        their input order.

    Examples
    --------
    >>> import pandas as pd
    >>> import mpiflow.dataframe as dd
    >>> df = dd.from_pandas(pd.DataFrame({'k': [1, 2, 3, 1, 2, 3], 'v': range(6)}), npartitions=3)
    >>> s = shuffle(df, 'k', npartitions=2)
    >>> s.npartitions, sorted(s.compute().v)
    (2, [0, 1, 2, 3, 4, 5])
    >>> parts = [set(p.k) for p in s.to_delayed() for p in [p.compute()]]
    >>> parts[0].isdisjoint(parts[1])
    True
    """
    from mpiflow.dataframe.core import new_collection

    labels, on_coll = _normalize_on(frame, on)
    n_out = frame.npartitions if npartitions is None else int(npartitions)
    if n_out < 1:
        raise ValueError(f"shuffle: npartitions={npartitions!r} must be a positive integer")
    max_branch = int(max_branch or DEFAULT_MAX_BRANCH)
    if max_branch < 2:
        raise ValueError(f"shuffle: max_branch={max_branch} must be at least 2")
    meta = frame._meta
    if ignore_index:
        meta = meta.reset_index(drop=True)
    token = tokenize(frame._name, labels, getattr(on_coll, "_name", None), n_out, max_branch, cast)
    name = f"shuffle-{token}"
    layer = _shuffle_layer(
        name,
        frame._name,
        frame.npartitions,
        n_out,
        labels,
        getattr(on_coll, "_name", None),
        cast,
        meta,
        max_branch,
        ignore_index,
    )
    deps = [frame] if on_coll is None else [frame, on_coll]
    graph = new_graph(name, layer, deps)
    return new_collection(graph, name, meta, (None,) * (n_out + 1))


def shuffle_by_index_array(
    frame: Any,
    func: Any,
    npartitions: int,
    meta: Any = None,
    max_branch: int | None = None,
    ignore_index: bool = False,
) -> Any:
    """Shuffle where ``func(partition) -> int array`` gives every row's output partition.

    The building block of :func:`~mpiflow.dataframe.sorting.set_index` and
    ``sort_values`` for many partitions (``func`` bins a column by
    divisions); ``func`` must be picklable and return values in
    ``[0, npartitions)``. Staged like :func:`shuffle` above ``max_branch``.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> import mpiflow.dataframe as dd
    >>> df = dd.from_pandas(pd.DataFrame({'a': range(8)}), npartitions=2)
    >>> out = shuffle_by_index_array(df, lambda p: (p.a.to_numpy() >= 4).astype(int), 2)
    >>> [p.compute().a.tolist() for p in out.to_delayed()]
    [[0, 1, 2, 3], [4, 5, 6, 7]]
    """
    from mpiflow.dataframe.core import new_collection

    meta = frame._meta if meta is None else meta
    if ignore_index:
        meta = meta.reset_index(drop=True)
    max_branch = int(max_branch or DEFAULT_MAX_BRANCH)
    name = "shuffle-by-" + tokenize(frame._name, func, npartitions, max_branch, ignore_index)
    layer = _shuffle_layer(
        name,
        frame._name,
        frame.npartitions,
        npartitions,
        None,
        None,
        None,
        meta,
        max_branch,
        ignore_index,
        pid_func=func,
    )
    graph = new_graph(name, layer, [frame])
    return new_collection(graph, name, meta, (None,) * (npartitions + 1))


# The groupby helpers live in their own module; re-exported here (the contract's home).
from mpiflow.dataframe.shuffle_groupby import (  # noqa: E402
    groupby_shuffle_apply,
    hash_aggregate,
)
