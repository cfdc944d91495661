"""Bag to dataframe: one pandas partition per bag partition.

The elements are records: dicts (column name to value), or tuples/lists
(values in column order, named by ``columns=``). The dataframe's ``meta``
(its empty frame with column names and dtypes) is given with ``meta=`` or
inferred from the first element; every partition is then checked against
it, and one that does not fit raises an error naming the column.

Examples
--------
>>> import mpiflow.bag as db
>>> b = db.from_sequence([(1, 'a'), (2, 'b'), (3, 'c')], npartitions=2)
>>> df = b.to_dataframe(columns=['n', 's'])
>>> df.npartitions, list(df.columns)
(2, ['n', 's'])
>>> df.n.sum().compute(scheduler='sync')
np.int64(6)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mpiflow.bag.pipeline import optimize
from mpiflow.core.layers import LayeredGraph
from mpiflow.core.tokenize import tokenize

__all__ = ["to_dataframe"]


def _frame(part: Any, columns: list | None, where: str) -> Any:
    import pandas as pd

    rows = part if type(part) is list else list(part)
    if rows and isinstance(rows[0], Mapping):
        if columns is not None:
            seen: dict = {}
            for r in rows:
                seen.update(dict.fromkeys(r))
            missing = [c for c in columns if c not in seen]
            extra = [c for c in seen if c not in columns]
            if missing or extra:
                raise ValueError(
                    f"to_dataframe: {where} has records whose keys do not match meta's columns "
                    f"{list(columns)}: missing {missing}, unexpected {extra}; pass meta= with "
                    "the records' columns"
                )
        return pd.DataFrame(rows, columns=columns)
    if rows and columns is not None:
        lengths = {len(r) for r in rows}
        if lengths != {len(columns)}:
            raise ValueError(
                f"to_dataframe: {where} has records of length {sorted(lengths)} but meta has "
                f"{len(columns)} columns {list(columns)}; pass meta=/columns= matching the records"
            )
    return pd.DataFrame(rows, columns=columns)


def _to_frame(part: Any, meta: Any, i: int) -> Any:
    """Partition ``i`` as a pandas frame of ``meta``'s columns and dtypes."""
    columns = list(meta.columns)
    df = _frame(part, columns, f"partition {i}")
    if len(df) == 0:
        return meta.iloc[:0].copy()
    for col, dtype in meta.dtypes.items():
        if df[col].dtype == dtype:
            continue
        try:
            df[col] = df[col].astype(dtype)
        except (ValueError, TypeError) as err:
            raise ValueError(
                f"to_dataframe: column {col!r} of partition {i} holds {df[col].dtype} values "
                f"that cannot be made {dtype} as meta says ({err}); pass meta= with the "
                f"right dtype, e.g. meta={{..., {col!r}: 'float64'}} or object"
            ) from err
    return df


def _infer_meta(bag: Any, columns: Any) -> Any:
    from mpiflow.dataframe.meta import make_meta

    first = bag.take(1, warn=False, scheduler="sync")
    if not first:
        first = bag.take(1, npartitions=-1, warn=False, scheduler="sync")
    if not first:
        raise ValueError(
            "to_dataframe: the bag is empty, so its columns cannot be inferred; pass meta="
        )
    cols = list(columns) if columns is not None else None
    return make_meta(_frame(list(first), cols, "the first element"))


def to_dataframe(bag: Any, meta: Any = None, columns: Any = None) -> Any:
    """A dataframe with one pandas partition per partition of ``bag``.

    Parameters
    ----------
    bag : Bag
        Elements are dicts, or tuples/lists in column order.
    meta : pandas.DataFrame, dict or list of (name, dtype), optional
        The output's columns and dtypes. Default: inferred from the first
        element (computed now with the sync scheduler).
    columns : list, optional
        Column names for tuple/list elements (when ``meta`` is not given).

    Returns
    -------
    mpiflow.dataframe.DataFrame
        With unknown divisions; each partition has its own ``RangeIndex``.

    Raises
    ------
    ValueError
        When a partition's records do not fit ``meta`` (missing or unexpected
        columns, wrong lengths, values that cannot take meta's dtype).

    Examples
    --------
    >>> import mpiflow.bag as db
    >>> b = db.from_sequence([{'x': 1, 'y': 0.5}, {'x': 2, 'y': 1.5}], npartitions=2)
    >>> df = to_dataframe(b, meta={'x': 'int64', 'y': 'float64'})
    >>> df.compute(scheduler='sync').y.tolist()
    [0.5, 1.5]
    """
    from mpiflow.dataframe.core import new_collection
    from mpiflow.dataframe.meta import make_meta

    if meta is None:
        meta = _infer_meta(bag, columns)
    else:
        meta = make_meta(meta)
        if columns is not None and list(columns) != list(meta.columns):
            raise ValueError(
                f"to_dataframe: columns={list(columns)} disagrees with meta's columns "
                f"{list(meta.columns)}; pass one of them"
            )
    if not hasattr(meta, "columns"):
        raise TypeError(
            f"to_dataframe: meta must describe a DataFrame (a pandas DataFrame, a dict or a "
            f"list of (column, dtype) pairs), got {type(meta).__name__}"
        )
    name = f"to_dataframe-{tokenize(bag.name, meta)}"
    layer = {(name, i): (_to_frame, (bag.name, i), meta, i) for i in range(bag.npartitions)}
    keys = list(layer)
    fused = optimize(LayeredGraph.from_layer(name, layer, [bag]), keys)
    graph = LayeredGraph.from_layer(name, fused)
    return new_collection(graph, name, meta, (None,) * (bag.npartitions + 1))
