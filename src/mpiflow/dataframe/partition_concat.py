"""Joining computed partitions into one pandas object (what ``compute`` returns).

Categorical columns whose partitions have different categories are given the
union of the categories first, as Dask does.

Examples
--------
>>> import pandas as pd
>>> a = pd.Series(['x'], dtype='category'); b = pd.Series(['y'], dtype='category', index=[1])
>>> concat_partitions([a, b]).cat.categories.tolist()
['x', 'y']
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["concat_partitions"]


def concat_partitions(parts: list) -> Any:
    """Join computed partitions into one pandas object (what ``compute`` returns).

    Partitions that are not pandas objects (``map_partitions(len)``) become
    a Series with one element per partition, as in Dask.

    Examples
    --------
    >>> import pandas as pd
    >>> concat_partitions([pd.Series([1]), pd.Series([2])]).tolist()
    [1, 2]
    >>> concat_partitions([3, 4]).tolist()
    [3, 4]
    """
    if not parts:
        return pd.DataFrame()
    first = parts[0]
    if isinstance(first, pd.Index):
        return first.append(list(parts[1:])) if len(parts) > 1 else first
    if isinstance(first, (pd.DataFrame, pd.Series)):
        if len(parts) == 1:
            return first
        nonempty = [p for p in parts if len(p)]
        if not nonempty:
            return first
        if len(nonempty) == 1:
            return nonempty[0]
        return pd.concat(_unify_categoricals(nonempty), sort=False)
    try:
        return pd.Series(parts)
    except Exception:
        return parts


def _union_categories(columns: list) -> Any:
    """Categories holding those of every column (first-seen order), or None if all agree."""
    first = columns[0].dtype
    if all(c.dtype == first for c in columns[1:]):
        return None
    cats = pd.Index(first.categories)
    for c in columns[1:]:
        extra = c.dtype.categories.difference(cats, sort=False)
        if len(extra):
            cats = cats.append(extra)
    return pd.CategoricalDtype(cats, ordered=first.ordered)


def _unify_categoricals(parts: list) -> list:
    """Give categorical columns of all partitions the union of their categories (as Dask)."""
    first = parts[0]
    if isinstance(first, pd.Series):
        if not isinstance(first.dtype, pd.CategoricalDtype):
            return parts
        dtype = _union_categories(parts)
        return parts if dtype is None else [p.astype(dtype) for p in parts]
    cat_cols = [c for c, d in first.dtypes.items() if isinstance(d, pd.CategoricalDtype)]
    if not cat_cols:
        return parts
    out = list(parts)
    for c in cat_cols:
        try:
            dtype = _union_categories([p[c] for p in parts])
        except (KeyError, AttributeError):
            continue
        if dtype is not None:
            out = [p.assign(**{c: p[c].astype(dtype)}) if isinstance(c, str) else p for p in out]
    return out
