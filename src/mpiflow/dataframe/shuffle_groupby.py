"""Shuffle-based groupby pieces that reduce's ``groupby`` calls.

- :func:`groupby_shuffle_apply`: ``groupby(...).apply``/``transform`` with
  arbitrary functions: a hash shuffle on the group keys puts every group in
  one partition, then pandas runs the function partition by partition.
- :func:`hash_aggregate`: ``split_out=n``: per-partition partial results are
  hash-partitioned by their index (the group keys) into ``n`` outputs, each
  combined by the caller's ``aggregate``.

Both are re-exported by :mod:`mpiflow.dataframe.shuffle`.

Examples
--------
>>> import pandas as pd
>>> import mpiflow.dataframe as dd
>>> df = dd.from_pandas(pd.DataFrame({'k': [1, 2, 1], 'v': [1.0, 2.0, 5.0]}), npartitions=2)
>>> out = groupby_shuffle_apply(df, 'k', lambda v: v.max(), selection='v',
...                             meta=pd.Series([], dtype=float, name='v'))
>>> out.compute().sort_index().to_dict()
{1: 5.0, 2: 2.0}
"""

from __future__ import annotations

from operator import getitem
from typing import Any

import pandas as pd

from mpiflow.core.tokenize import tokenize
from mpiflow.dataframe.layers import new_graph
from mpiflow.dataframe.shuffle import ShuffleLayer, concat_pieces, hash_split, shuffle

__all__ = ["groupby_shuffle_apply", "hash_aggregate"]


# --------------------------------------------------------------------------------------


def _apply_groups(
    df: Any,
    by: list,
    func: Any,
    args: tuple,
    kwargs: dict,
    how: str,
    gkw: dict,
    names: dict,
    selection: Any = None,
    meta: Any = None,
) -> Any:
    if len(df) == 0 and meta is not None:  # pandas cannot apply to no groups
        return meta
    keys = [df[c].rename(names[c]) if c in names else c for c in by]
    data = df.drop(columns=list(names)) if names else df
    g = data.groupby(keys if len(keys) > 1 else keys[0], **gkw)
    if selection is not None:
        g = g[selection]
    if how == "transform":
        return g.transform(func, *args, **kwargs)
    return g.apply(func, *args, **kwargs)


def _with_by_columns(df: Any, *series: Any) -> Any:
    df = df.to_frame() if isinstance(df, pd.Series) else df
    extra = {f"__by{i}": s for i, s in enumerate(series)}
    return df.assign(**extra)


def groupby_shuffle_apply(
    frame: Any,
    by: Any,
    func: Any,
    args: tuple = (),
    kwargs: dict | None = None,
    *,
    meta: Any,
    how: str = "apply",
    groupby_kwargs: dict | None = None,
    npartitions: int | None = None,
    selection: Any = None,
) -> Any:
    """``frame.groupby(by).apply(func)`` (or ``transform``): shuffle so each group is whole.

    Parameters
    ----------
    frame : DataFrame
    by : label, collection Series, or a list of those
        The group keys: column labels of ``frame`` and/or Series collections
        with the same partitions.
    func : callable
        Called with each group's pandas frame (``*args``, ``**kwargs`` follow).
    meta : pandas object
        The result's meta (the caller emulates it).
    how : {'apply', 'transform'}
    groupby_kwargs : dict, optional
        Passed to ``pandas.DataFrame.groupby`` in each partition (``dropna``,
        ``observed``, ``group_keys``, ``sort``).
    npartitions : int, optional
        Output partitions (default: as many as ``frame``).
    selection : label or list, optional
        Column(s) selected after grouping (``df.groupby(k)['v'].transform(...)``).

    Returns
    -------
    DataFrame or Series
        Unknown divisions; rows in the shuffled order.

    Examples
    --------
    >>> import pandas as pd
    >>> import mpiflow.dataframe as dd
    >>> pdf = pd.DataFrame({'k': [1, 2, 1, 2], 'v': [1, 2, 3, 4]})
    >>> df = dd.from_pandas(pdf, npartitions=2)
    >>> out = groupby_shuffle_apply(df, 'k', lambda v: v - v.mean(), selection='v',
    ...                             meta=pd.Series([], dtype=float, name='v'), how='transform')
    >>> out.compute().sort_index().tolist()
    [-1.0, -1.0, 1.0, 1.0]
    """
    from mpiflow.dataframe.core import FrameBase, partitionwise

    if how not in ("apply", "transform"):
        raise ValueError(f"groupby_shuffle_apply: how={how!r} must be 'apply' or 'transform'")
    keys = list(by) if isinstance(by, (list, tuple)) else [by]
    colls = [k for k in keys if isinstance(k, FrameBase)]
    data = frame
    if colls:
        data = partitionwise(
            _with_by_columns,
            frame,
            *colls,
            meta=_with_by_columns(frame._meta, *[c._meta for c in colls]),
            label="groupby-by-columns",
        )
        it = iter(range(len(colls)))
        keys = [f"__by{next(it)}" if isinstance(k, FrameBase) else k for k in keys]
    names = {f"__by{i}": c._meta.name for i, c in enumerate(colls)}
    shuffled = shuffle(data, keys, npartitions=npartitions)
    return partitionwise(
        _apply_groups,
        shuffled,
        keys,
        func,
        tuple(args),
        dict(kwargs or {}),
        how,
        dict(groupby_kwargs or {}),
        names,
        selection,
        meta,
        meta=meta,
        label=f"groupby-{how}",
        align=False,
    )


def _aggregate_pieces(pieces: list, aggregate: Any, kwargs: dict) -> Any:
    return aggregate(concat_pieces(pieces), **kwargs)


def hash_aggregate(
    frame: Any,
    aggregate: Any,
    split_out: int,
    *,
    meta: Any,
    aggregate_kwargs: dict | None = None,
) -> Any:
    """Hash-partition ``frame`` by its index into ``split_out`` outputs, then ``aggregate`` each.

    For ``groupby(..., split_out=n)``: ``frame`` holds per-partition partial
    results indexed by the group keys; equal keys land in one output, whose
    concatenated pieces ``aggregate(pieces_frame, **aggregate_kwargs)`` combines.

    Examples
    --------
    >>> import pandas as pd
    >>> import mpiflow.dataframe as dd
    >>> parts = dd.from_pandas(pd.Series([1, 2, 3, 4], index=['a', 'b', 'a', 'b']), npartitions=2)
    >>> out = hash_aggregate(parts, lambda s: s.groupby(level=0).sum(), 2,
    ...                      meta=pd.Series([], dtype='int64'))
    >>> out.npartitions, out.compute().sort_index().to_dict()
    (2, {'a': 4, 'b': 6})
    """
    from mpiflow.dataframe.core import new_collection

    n = int(split_out)
    if n < 1:
        raise ValueError(f"split_out={split_out!r} must be a positive integer")
    kw = dict(aggregate_kwargs or {})
    name = "split-aggregate-" + tokenize(frame._name, aggregate, n, kw)
    split, pick = name + "-split", name + "-pick"
    layer = ShuffleLayer()
    for j in range(frame.npartitions):
        layer[(split, j)] = (hash_split, (frame._name, j), None, n)
    for i in range(n):
        refs = []
        for j in range(frame.npartitions):
            layer[(pick, j, i)] = (getitem, (split, j), i)
            refs.append((pick, j, i))
        layer[(name, i)] = (_aggregate_pieces, refs, aggregate, kw)
    graph = new_graph(name, layer, [frame])
    return new_collection(graph, name, meta, (None,) * (n + 1))
