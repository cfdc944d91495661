"""``concat``: stack frames (``axis=0``) or put them side by side (``axis=1``).

Along rows, the partitions of the inputs are listed one after another; each
is conformed to the union (or, with ``join='inner'``, intersection) of the
columns, with the dtypes ``pandas.concat`` gives. Divisions stay known when
every input has known divisions and each starts after the previous ends.
With overlapping known divisions the partitions are stacked as they are
(divisions unknown), or, with ``interleave_partitions=True``, all inputs are
cut at the union of their divisions and concatenated partition by partition
(divisions stay known).

Along columns, inputs are aligned on known divisions (or must have the same
number of partitions) and concatenated partition by partition. As in pandas,
an integer column of an input that misses some of the other inputs' index
values becomes float in the partitions where values are missing.

Examples
--------
>>> import pandas as pd
>>> import mpiflow.dataframe as dd
>>> a = dd.from_pandas(pd.DataFrame({'x': [1, 2]}, index=[0, 1]), npartitions=1)
>>> b = dd.from_pandas(pd.DataFrame({'x': [3, 4]}, index=[2, 3]), npartitions=1)
>>> out = concat([a, b])
>>> out.divisions, out.compute().x.tolist()
((0, 2, 3), [1, 2, 3, 4])
"""

from __future__ import annotations

import warnings
from typing import Any

import pandas as pd

from mpiflow.core.tokenize import tokenize
from mpiflow.dataframe.layers import new_graph
from mpiflow.dataframe.shuffle import ShuffleLayer

__all__ = ["concat"]


def _conform(df: Any, meta: Any) -> Any:
    """``df`` with ``meta``'s columns (missing ones all-NaN) and dtypes."""
    if isinstance(meta, pd.Series):
        if isinstance(df, pd.DataFrame):
            df = df.iloc[:, 0]
        out = df if df.dtype == meta.dtype else df.astype(meta.dtype)
        return out.rename(meta.name) if out.name != meta.name else out
    if isinstance(df, pd.Series):
        df = df.to_frame()
    if list(df.columns) != list(meta.columns):
        df = df.reindex(columns=meta.columns)
    diff = {c: t for c, t in meta.dtypes.items() if df.dtypes[c] != t}
    return df.astype(diff) if diff else df


def _concat_conformed(parts: list, meta: Any) -> Any:
    full = [p for p in parts if len(p)] or parts[:1]
    out = pd.concat([_conform(p, meta) for p in full]) if len(full) > 1 else full[0]
    return _conform(out, meta)


def _concat_axis1(*parts: Any, join: str = "outer", meta: Any = None) -> Any:
    out = pd.concat(list(parts), axis=1, join=join)
    if meta is not None and not out.columns.duplicated().any():
        for c, t in meta.dtypes.items():
            if c in out.columns and out[c].dtype != t and not out[c].isna().any():
                out[c] = out[c].astype(t)  # rows missing on one side stay float, as pandas
    return out


def _metas(dfs: list) -> list:
    return [d._meta if hasattr(d, "_meta") else d.iloc[:0] for d in dfs]


def concat(
    dfs: list,
    axis: int | str = 0,
    join: str = "outer",
    interleave_partitions: bool = False,
    ignore_unknown_divisions: bool = False,
    ignore_order: bool = False,
    **kwargs: Any,
) -> Any:
    """Concatenate DataFrames/Series along rows or columns.

    Parameters
    ----------
    dfs : list of DataFrame or Series (mpiflow or pandas)
    axis : {0, 1, 'index', 'columns'}
    join : {'outer', 'inner'}
        Keep the union or the intersection of the other axis.
    interleave_partitions : bool, default False
        With ``axis=0`` and known but overlapping divisions, merge the
        partitions by index range so the result keeps known divisions.
    ignore_unknown_divisions : bool, default False
        Do not warn when some inputs have unknown divisions.
    ignore_order : bool
        Accepted for compatibility (categoricals are unioned by pandas).

    Returns
    -------
    DataFrame or Series

    Raises
    ------
    ValueError
        An empty list, a bad ``axis`` or ``join``, or (``axis=1``) unknown
        divisions with different numbers of partitions.

    Examples
    --------
    >>> import pandas as pd
    >>> import mpiflow.dataframe as dd
    >>> a = dd.from_pandas(pd.DataFrame({'x': [1, 2]}), npartitions=1)
    >>> b = dd.from_pandas(pd.DataFrame({'y': [3.0]}), npartitions=1)
    >>> concat([a, b], interleave_partitions=True).compute().columns.tolist()
    ['x', 'y']
    >>> concat([a, a.rename(columns={'x': 'z'})], axis=1).compute().columns.tolist()
    ['x', 'z']
    """
    from mpiflow.dataframe.core import FrameBase

    if not isinstance(dfs, (list, tuple)):
        raise TypeError(f"concat: expected a list of frames, got {type(dfs).__name__}")
    dfs = list(dfs)
    if not dfs:
        raise ValueError("concat: no frames to concatenate (got an empty list)")
    if axis not in (0, 1, "index", "columns", "rows"):
        raise ValueError(f"concat: axis={axis!r} must be 0/'index' or 1/'columns'")
    if join not in ("outer", "inner"):
        raise ValueError(f"concat: join={join!r} must be 'outer' or 'inner'")
    bad = [type(d).__name__ for d in dfs if not isinstance(d, (FrameBase, pd.DataFrame, pd.Series))]
    if bad:
        raise TypeError(f"concat: expected DataFrames or Series, got {bad}")
    if all(not isinstance(d, FrameBase) for d in dfs):
        return pd.concat(dfs, axis=axis, join=join)
    from mpiflow.dataframe.creation import from_pandas

    dfs = [d if isinstance(d, FrameBase) else from_pandas(d, npartitions=1) for d in dfs]
    if len(dfs) == 1:
        return dfs[0]
    if axis in (1, "columns"):
        return _concat_columns(dfs, join)
    return _concat_rows(dfs, join, interleave_partitions, ignore_unknown_divisions)


def _concat_columns(dfs: list, join: str) -> Any:
    from mpiflow.dataframe.core import partitionwise

    meta = pd.concat(_metas(dfs), axis=1, join=join)
    known = all(d.known_divisions for d in dfs)
    if not known:
        n = {d.npartitions for d in dfs}
        if len(n) != 1:
            raise ValueError(
                "concat(axis=1): the inputs have unknown divisions and different numbers of "
                f"partitions ({sorted(n)}); set_index or repartition them to match"
            )
        warnings.warn(
            "concat(axis=1) of frames with unknown divisions assumes their partitions line up "
            "row for row; the result is wrong if they do not",
            UserWarning,
            stacklevel=3,
        )
    return partitionwise(
        _concat_axis1, *dfs, join=join, meta=meta, label="concat-axis1", align=known
    )


def _ordered(dfs: list) -> bool:
    try:
        return all(a.divisions[-1] < b.divisions[0] for a, b in zip(dfs[:-1], dfs[1:], strict=True))
    except TypeError:
        return False


def _concat_rows(dfs: list, join: str, interleave: bool, ignore_unknown: bool) -> Any:
    from mpiflow.dataframe.core import new_collection, partitionwise

    metas = _metas(dfs)
    meta = pd.concat(metas, join=join)
    if all(isinstance(m, pd.Series) for m in metas) and len({m.name for m in metas}) > 1:
        meta = meta.rename(None)
    known = all(d.known_divisions for d in dfs)
    if known and not _ordered(dfs):
        if not interleave:  # stacked as they are: the index order across partitions is lost
            known = False
            ignore_unknown = True
        else:
            from mpiflow.dataframe.repartition import repartition_divisions

            divs = tuple(sorted(set().union(*[set(d.divisions) for d in dfs])))
            parts = [repartition_divisions(d, divs, force=True) for d in dfs]
            return partitionwise(
                _concat_list, meta, *parts, meta=meta, label="concat-interleave", align=False
            )
    if not known and not ignore_unknown and any(d.known_divisions for d in dfs):
        warnings.warn(
            "concat: some inputs have unknown divisions; the result's divisions are unknown",
            UserWarning,
            stacklevel=3,
        )
    name = "concat-" + tokenize([d._name for d in dfs], join)
    layer = ShuffleLayer()
    i = 0
    divisions: list = []
    for d, m in zip(dfs, metas, strict=True):
        same = _same_schema(m, meta)
        for j in range(d.npartitions):
            layer[(name, i)] = (d._name, j) if same else (_concat_conformed, [(d._name, j)], meta)
            i += 1
        if known:
            divisions.extend(d.divisions[:-1])
    if known:
        divisions.append(dfs[-1].divisions[-1])
    else:
        divisions = [None] * (i + 1)
    graph = new_graph(name, layer, dfs)
    return new_collection(graph, name, meta, tuple(divisions))


def _same_schema(a: Any, b: Any) -> bool:
    if isinstance(a, pd.Series) or isinstance(b, pd.Series):
        return (
            isinstance(a, pd.Series)
            and isinstance(b, pd.Series)
            and a.dtype == b.dtype
            and a.name == b.name
        )
    return list(a.columns) == list(b.columns) and all(a.dtypes == b.dtypes)


def _concat_list(meta: Any, *parts: Any) -> Any:
    return _concat_conformed(list(parts), meta)
