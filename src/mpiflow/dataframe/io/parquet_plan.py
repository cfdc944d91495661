"""Planning Parquet partitions: filters, row-group pruning by statistics, divisions.

Examples
--------
>>> normalize_filters([('x', '=', 1)], ['x', 'y'])
[[('x', '==', 1)]]
>>> may_match(('x', '>', 10), 0, 5)
False
"""

from __future__ import annotations

import difflib
from typing import Any

__all__ = ["normalize_filters", "row_filter_columns", "may_match", "plan_parts"]

_OPS = {"==", "=", "!=", "<", "<=", ">", ">=", "in", "not in"}


def normalize_filters(filters: Any, names: list) -> list | None:
    """Filters as a list of AND-groups of ``(column, op, value)``, checked.

    Examples
    --------
    >>> normalize_filters([[('a', 'in', [1, 2])], [('b', '<', 0)]], ['a', 'b'])
    [[('a', 'in', [1, 2])], [('b', '<', 0)]]
    >>> normalize_filters([('c', '>', 1)], ['a', 'cc'])
    Traceback (most recent call last):
    ValueError: filters name the column 'c', which is not in the dataset; did you mean 'cc'?
    """
    if filters is None or len(filters) == 0:
        return None
    groups = [filters] if isinstance(filters[0], tuple) else filters
    out = []
    for group in groups:
        if not isinstance(group, (list, tuple)) or not all(
            isinstance(p, (list, tuple)) and len(p) == 3 for p in group
        ):
            raise ValueError(
                f"filters must be a list of (column, op, value) tuples, or a list of such "
                f"lists; got {filters!r}"
            )
        norm = []
        for col, op, value in group:
            if op not in _OPS:
                raise ValueError(
                    f"filter operator {op!r} is not supported: use one of {sorted(_OPS)}"
                )
            if col not in names:
                close = difflib.get_close_matches(str(col), [str(n) for n in names], n=1)
                hint = f"; did you mean {close[0]!r}?" if close else f"; the columns are {names}"
                raise ValueError(
                    f"filters name the column {col!r}, which is not in the dataset{hint}"
                )
            if op in ("in", "not in"):
                value = list(value)
            norm.append((col, "==" if op == "=" else op, value))
        out.append(norm)
    return out


def row_filter_columns(filters: list | None) -> list:
    """The columns the filters read.

    Examples
    --------
    >>> row_filter_columns([[('a', '==', 1), ('b', '<', 2)], [('a', '>', 5)]])
    ['a', 'b']
    """
    if not filters:
        return []
    return list(dict.fromkeys(p[0] for g in filters for p in g))


def may_match(pred: tuple, lo: Any, hi: Any) -> bool:
    """False only if no value in ``[lo, hi]`` can satisfy ``pred`` (unknown types: True).

    Examples
    --------
    >>> may_match(('x', 'in', [7, 20]), 0, 10), may_match(('x', '!=', 3), 3, 3)
    (True, False)
    """
    _, op, v = pred
    try:
        if op == "==":
            return lo <= v <= hi
        if op == "!=":
            return not (lo == hi == v)
        if op == "<":
            return lo < v
        if op == "<=":
            return lo <= v
        if op == ">":
            return hi > v
        if op == ">=":
            return hi >= v
        if op == "in":
            return any(lo <= x <= hi for x in v)
        if op == "not in":
            return not (lo == hi and lo in v)
    except TypeError:
        return True
    return True


def _group_may_match(group: list, ranges: dict) -> bool:
    """An AND-group may match unless one predicate's column range rules it out."""
    for pred in group:
        r = ranges.get(pred[0])
        if r is not None and not may_match(pred, *r):
            return False
    return True


def _may_match_any(filters: list | None, ranges: dict) -> bool:
    return not filters or any(_group_may_match(g, ranges) for g in filters)


def _rg_ranges(md: Any, i: int, cols: dict) -> dict:
    """``{column: (min, max)}`` of row group ``i`` from its statistics (where present)."""
    rg = md.row_group(i)
    out = {}
    for name, j in cols.items():
        st = rg.column(j).statistics
        if st is not None and st.has_min_max and st.null_count == 0:
            out[name] = (st.min, st.max)
        elif st is not None and st.has_min_max:
            # nulls never satisfy a comparison; the range of the values still holds
            out[name] = (st.min, st.max)
    return out


def plan_parts(
    frags: list,
    filters: list | None,
    split_row_groups: Any,
    blocksize: int,
    index_cols: list | None = None,
) -> tuple[list, tuple | None]:
    """Partitions ``(path, row groups or None, hive keys)`` and divisions (or None).

    Parameters
    ----------
    frags : list
        ``(path, {hive column: value})`` per file.
    filters : list or None
        Normalized filters (whole files and row groups that cannot match are dropped).
    split_row_groups : bool, int or 'infer'
    blocksize : int
        Uncompressed bytes per partition for ``'infer'``.
    index_cols : list, optional
        Compute divisions from the statistics of this (single) index column.

    Examples
    --------
    >>> import os, tempfile, pyarrow as pa, pyarrow.parquet as pq
    >>> p = os.path.join(tempfile.mkdtemp(), 'f.parquet')
    >>> pq.write_table(pa.table({'x': list(range(10))}), p, row_group_size=3)
    >>> parts, _ = plan_parts([(p, {})], [[('x', '>=', 7)]], 'infer', 2**20)
    >>> [rgs for _, rgs, _ in parts]
    [[2, 3]]
    >>> len(plan_parts([(p, {})], None, True, 2**20)[0])
    4
    """
    import pyarrow.parquet as pq

    stat_cols = set(row_filter_columns(filters))
    if index_cols and len(index_cols) == 1:
        stat_cols.add(index_cols[0])
    parts: list = []
    bounds: list = []
    for path, keys in frags:
        if filters and keys:
            fixed = {c: (v, v) for c, v in keys.items()}
            if not _may_match_any(filters, fixed):
                continue
        md = pq.ParquetFile(path).metadata
        cols = {}
        for j in range(md.num_columns):
            name = md.schema.column(j).path
            if name in stat_cols:
                cols[name] = j
        n = md.num_row_groups
        kept = []
        ranges_by_rg = {}
        for i in range(n):
            ranges = _rg_ranges(md, i, cols) if cols else {}
            ranges.update({c: (v, v) for c, v in keys.items()})
            if _may_match_any(filters, ranges):
                kept.append(i)
                ranges_by_rg[i] = ranges
        if not kept and n:
            continue
        for group in _split(md, kept, n, split_row_groups, blocksize):
            parts.append((path, None if group is None else group, keys))
            if index_cols and len(index_cols) == 1:
                rgs = kept if group is None else group
                rs = [ranges_by_rg[i].get(index_cols[0]) for i in rgs]
                bounds.append(
                    None
                    if (not rs or any(r is None for r in rs))
                    else (min(r[0] for r in rs), max(r[1] for r in rs))
                )
    return parts, _divisions(bounds) if index_cols and len(index_cols) == 1 else None


def _split(md: Any, kept: list, n: int, how: Any, blocksize: int) -> list:
    """Row-group lists of one file's partitions (``None``: the whole file)."""
    whole = len(kept) == n
    if how is False or (how == "infer" and _size(md, kept) <= blocksize) or not kept:
        return [None if whole else kept]
    if how is True:
        return [[i] for i in kept]
    if isinstance(how, int) and not isinstance(how, bool):
        if how < 1:
            raise ValueError(f"split_row_groups={how}: give a positive number of row groups")
        return [kept[i : i + how] for i in range(0, len(kept), how)]
    if how != "infer":
        raise ValueError(f"split_row_groups={how!r}: use True, False, an int or 'infer'")
    out, cur, size = [], [], 0
    for i in kept:
        s = md.row_group(i).total_byte_size
        if cur and size + s > blocksize:
            out.append(cur)
            cur, size = [], 0
        cur.append(i)
        size += s
    if cur:
        out.append(cur)
    return out


def _size(md: Any, kept: list) -> int:
    return sum(md.row_group(i).total_byte_size for i in kept)


def _divisions(bounds: list) -> tuple | None:
    if not bounds or any(b is None for b in bounds):
        return None
    for (_, hi), (lo, _) in zip(bounds, bounds[1:], strict=False):
        try:
            if not hi < lo:
                return None
        except TypeError:
            return None
    return tuple(b[0] for b in bounds) + (bounds[-1][1],)
