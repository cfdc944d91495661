"""Test helpers for mpiflow.dataframe: :func:`assert_eq`, :data:`SCHEDULERS`, hypothesis strategies.

Import from a test with ``from dataframe_helpers import assert_eq, SCHEDULERS, frames``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from mpiflow.dataframe.core import FrameBase, Scalar

__all__ = ["assert_eq", "SCHEDULERS", "frames", "partitionings", "check_partitions"]


def _is_obj(dtype: object) -> bool:
    return isinstance(dtype, np.dtype) and dtype.kind == "O"


#: The three local schedulers every op family is checked with.
SCHEDULERS = ["sync", "threads", "processes"]


def _dtype_equal(found: Any, expected: Any) -> bool:
    if found == expected:
        return True
    strs = (_is_obj(found) or isinstance(found, pd.StringDtype)) and (
        _is_obj(expected) or isinstance(expected, pd.StringDtype)
    )
    cats = isinstance(found, pd.CategoricalDtype) and isinstance(expected, pd.CategoricalDtype)
    return strs or cats


def check_partitions(x: FrameBase, scheduler: str = "sync", check_divisions: bool = True) -> list:
    """Compute ``x`` partition by partition; check each against ``_meta`` and the divisions.

    Returns the list of partitions.
    """
    from mpiflow.base import compute

    parts = list(compute(*x.to_delayed(), scheduler=scheduler))
    assert len(parts) == x.npartitions, f"{len(parts)} partitions, npartitions={x.npartitions}"
    meta = x._meta
    for i, p in enumerate(parts):
        assert type(p) is type(meta) or (isinstance(p, pd.Index) and isinstance(meta, pd.Index)), (
            f"partition {i} is a {type(p).__name__}, meta is a {type(meta).__name__}"
        )
        if isinstance(meta, pd.DataFrame):
            assert list(p.columns) == list(meta.columns), (
                f"partition {i} has columns {list(p.columns)}, meta {list(meta.columns)}"
            )
            for c, d, e in zip(p.columns, p.dtypes, meta.dtypes, strict=True):
                assert _dtype_equal(d, e), f"partition {i} column {c!r}: dtype {d}, meta {e}"
        else:
            assert _dtype_equal(p.dtype, meta.dtype), (
                f"partition {i}: dtype {p.dtype}, meta {meta.dtype}"
            )
            assert p.name == meta.name, f"partition {i}: name {p.name!r}, meta {meta.name!r}"
        idx = p if isinstance(p, pd.Index) else p.index
        if not isinstance(meta, pd.Index):
            assert _dtype_equal(idx.dtype, meta.index.dtype) or len(idx) == 0, (
                f"partition {i}: index dtype {idx.dtype}, meta {meta.index.dtype}"
            )
    if check_divisions and x.known_divisions:
        d = x.divisions
        for i, p in enumerate(parts):
            idx = p if isinstance(p, pd.Index) else p.index
            if not len(idx):
                continue
            assert idx.min() >= d[i], f"partition {i} starts at {idx.min()!r} < {d[i]!r}"
            if i < len(parts) - 1:
                assert idx.max() < d[i + 1] or (idx.max() == d[i + 1] == d[i]), (
                    f"partition {i} ends at {idx.max()!r}, next division {d[i + 1]!r}"
                )
            else:
                assert idx.max() <= d[i + 1], f"last partition ends at {idx.max()!r} > {d[-1]!r}"
    return parts


def _value(x: Any, scheduler: str, check_divisions: bool, check: bool) -> Any:
    if isinstance(x, FrameBase):
        if check:
            from mpiflow.dataframe.core import concat_partitions

            return concat_partitions(check_partitions(x, scheduler, check_divisions))
        return x.compute(scheduler=scheduler)
    if isinstance(x, Scalar):
        return x.compute(scheduler=scheduler)
    return x


def assert_eq(
    a: Any,
    b: Any,
    scheduler: str = "sync",
    check_names: bool = True,
    check_dtype: bool = True,
    check_index: bool = True,
    check_divisions: bool = True,
    check_partitions: bool = True,
    sort_results: bool = False,
    **kwargs: Any,
) -> None:
    """Assert that ``a`` equals ``b``; either may be an mpiflow collection or pandas/scalar.

    mpiflow collections are computed partition by partition (each partition
    checked against ``_meta``, and against known divisions when
    ``check_divisions``), then compared with pandas' testing functions.
    ``check_index=False`` compares values ignoring the index;
    ``sort_results=True`` sorts rows (by index, then values) first.
    Extra keywords go to ``pd.testing.assert_*_equal`` (or ``np.allclose`` for scalars).
    """
    av = _value(a, scheduler, check_divisions, check_partitions)
    bv = _value(b, scheduler, check_divisions, check_partitions)
    if isinstance(av, (pd.DataFrame, pd.Series, pd.Index)) or isinstance(
        bv, (pd.DataFrame, pd.Series, pd.Index)
    ):
        assert type(av) is type(bv) or (isinstance(av, pd.Index) and isinstance(bv, pd.Index)), (
            f"types differ: {type(av).__name__} != {type(bv).__name__}"
        )
        if sort_results and not isinstance(av, pd.Index):
            av, bv = _sorted(av), _sorted(bv)
        elif sort_results:
            av, bv = av.sort_values(), bv.sort_values()
        if not check_index and not isinstance(av, pd.Index):
            av, bv = av.reset_index(drop=True), bv.reset_index(drop=True)
        kwargs.setdefault("check_freq", False)  # partitions do not keep an index's freq
        if isinstance(av, pd.DataFrame):
            pd.testing.assert_frame_equal(
                av, bv, check_names=check_names, check_dtype=check_dtype, **kwargs
            )
        elif isinstance(av, pd.Series):
            pd.testing.assert_series_equal(
                av, bv, check_names=check_names, check_dtype=check_dtype, **kwargs
            )
        else:
            pd.testing.assert_index_equal(
                av,
                bv,
                check_names=check_names,
                exact="equiv" if not check_dtype else True,
                **kwargs,
            )
        return
    if isinstance(av, float) or isinstance(bv, float) or isinstance(av, np.floating):
        if _isnan(av) and _isnan(bv):
            return
        assert np.allclose(av, bv, equal_nan=True, **kwargs), f"{av!r} != {bv!r}"
        return
    assert av == bv, f"{av!r} != {bv!r}"


def _isnan(x: Any) -> bool:
    try:
        return bool(math.isnan(x))
    except TypeError:
        return False


def _sorted(x: Any) -> Any:
    if isinstance(x, pd.DataFrame):
        cols = list(x.columns)
        try:
            return x.sort_index(kind="mergesort").sort_values(cols, kind="mergesort")
        except TypeError:
            return x.sort_index(kind="mergesort")
    try:
        return x.sort_index(kind="mergesort").sort_values(kind="mergesort")
    except TypeError:
        return x.sort_index(kind="mergesort")


# ----------------------------------------------------------------------------------------
# hypothesis strategies
# ----------------------------------------------------------------------------------------

_KINDS = ["int", "float", "str", "bool", "datetime"]


def _column(draw: Any, kind: str, n: int) -> pd.Series:
    if kind == "int":
        vals = draw(st.lists(st.integers(-1000, 1000), min_size=n, max_size=n))
        return pd.Series(vals, dtype="int64")
    if kind == "float":
        vals = draw(
            st.lists(
                st.one_of(st.floats(-1e6, 1e6, allow_nan=False), st.just(float("nan"))),
                min_size=n,
                max_size=n,
            )
        )
        return pd.Series(vals, dtype="float64")
    if kind == "str":
        vals = draw(
            st.lists(st.sampled_from(["a", "b", "cc", "dd", "e f", ""]), min_size=n, max_size=n)
        )
        return pd.Series(vals, dtype=object).astype(pd.StringDtype(na_value=np.nan))
    if kind == "bool":
        vals = draw(st.lists(st.booleans(), min_size=n, max_size=n))
        return pd.Series(vals, dtype=bool)
    vals = draw(st.lists(st.integers(0, 10**6), min_size=n, max_size=n))
    return pd.Series(pd.to_datetime(np.asarray(vals, dtype="i8") * 10**9))


@st.composite
def frames(
    draw: Any,
    min_rows: int = 0,
    max_rows: int = 200,
    kinds: tuple = tuple(_KINDS),
    min_columns: int = 1,
    max_columns: int = 5,
) -> pd.DataFrame:
    """Random pandas DataFrames: columns of ints, floats with NaN, strings, bools, datetimes.

    Column names are ``c0, c1, ...`` prefixed with the kind (``int0``, ``float1``...).
    """
    n = draw(st.integers(min_rows, max_rows))
    ncols = draw(st.integers(min_columns, max_columns))
    cols = {}
    for j in range(ncols):
        kind = draw(st.sampled_from(list(kinds)))
        cols[f"{kind}{j}"] = _column(draw, kind, n)
    return pd.DataFrame(cols, index=pd.RangeIndex(n))


@st.composite
def partitionings(draw: Any, n_rows: int) -> dict:
    """Keywords for ``from_pandas``: ``{'npartitions': k}`` or ``{'chunksize': k}``."""
    if draw(st.booleans()):
        return {"npartitions": draw(st.integers(1, max(1, min(n_rows, 8))))}
    return {"chunksize": draw(st.integers(1, max(1, n_rows)))}
