"""rolling with neighbour overlap, against pandas on the whole frame."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from dataframe_helpers import SCHEDULERS, assert_eq
from hypothesis import given, settings
from hypothesis import strategies as st

import mpiflow.dataframe as dd

METHODS = ["count", "sum", "mean", "median", "min", "max", "std", "var"]


def _pdf(n=60):
    rng = np.random.default_rng(0)
    return pd.DataFrame({"a": rng.random(n), "b": rng.integers(0, 10, n).astype(float)})


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("window", [1, 3, 10, 25])
def test_rolling_integer_windows(method, window):
    pdf = _pdf()
    df = dd.from_pandas(pdf, npartitions=6)  # windows span several partitions
    got = getattr(df.rolling(window), method)()
    assert got.divisions == df.divisions
    assert_eq(got, getattr(pdf.rolling(window), method)())


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_rolling_center_min_periods_series(scheduler):
    pdf = _pdf()
    s = pdf.a
    ds = dd.from_pandas(s, npartitions=5)
    assert_eq(
        ds.rolling(4, center=True).mean(), s.rolling(4, center=True).mean(), scheduler=scheduler
    )
    assert_eq(
        ds.rolling(7, min_periods=2, center=True).sum(),
        s.rolling(7, min_periods=2, center=True).sum(),
        scheduler=scheduler,
    )


def test_rolling_apply_quantile_agg():
    pdf = _pdf()
    df = dd.from_pandas(pdf, npartitions=4)
    assert_eq(df.rolling(5).apply(_spread, raw=True), pdf.rolling(5).apply(_spread, raw=True))
    assert_eq(df.a.rolling(5).quantile(0.25), pdf.a.rolling(5).quantile(0.25))
    assert_eq(df.a.rolling(3).agg(["sum", "max"]), pdf.a.rolling(3).agg(["sum", "max"]))
    assert_eq(df.rolling(3).std(ddof=0), pdf.rolling(3).std(ddof=0))


def _spread(w):
    return w.max() - w.min()


@pytest.mark.parametrize("window", ["2s", "5s", "30s", pd.Timedelta("3s")])
def test_rolling_time_windows(window):
    idx = pd.date_range("2024-01-01", periods=80, freq="s")
    idx = idx[np.random.default_rng(1).random(80) > 0.3]  # irregular spacing
    pdf = pd.DataFrame({"v": np.arange(len(idx), dtype=float)}, index=idx)
    df = dd.from_pandas(pdf, npartitions=7)
    for method in ("sum", "mean", "count", "max"):
        assert_eq(getattr(df.rolling(window), method)(), getattr(pdf.rolling(window), method)())
    assert_eq(df.v.rolling(window, center=True).sum(), pdf.v.rolling(window, center=True).sum())


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(0, 50),
    nparts=st.integers(1, 8),
    window=st.integers(1, 12),
    center=st.booleans(),
    min_periods=st.one_of(st.none(), st.integers(0, 3)),
)
def test_rolling_hypothesis(n, nparts, window, center, min_periods):
    if min_periods is not None:
        min_periods = min(min_periods, window)
    s = pd.Series(np.random.default_rng(n).random(n))
    ds = dd.from_pandas(s, npartitions=nparts)
    got = ds.rolling(window, min_periods=min_periods, center=center).sum()
    assert_eq(got, s.rolling(window, min_periods=min_periods, center=center).sum())


def test_rolling_repr_and_bad_input():
    pdf = _pdf()
    df = dd.from_pandas(pdf, npartitions=2)
    assert "window=3" in repr(df.rolling(3))
    with pytest.raises(ValueError, match="window=-1 must be a non-negative integer"):
        df.rolling(-1)
    with pytest.raises(ValueError, match="window=2.5 must be a non-negative integer"):
        df.rolling(2.5)
    with pytest.raises(ValueError, match="needs a DatetimeIndex, but the index is int64"):
        df.rolling("2s")
    idx = pd.date_range("2024", periods=4, freq="s")
    unknown = dd.from_pandas(pd.Series([1.0, 2, 3, 4], index=idx), npartitions=2)
    with pytest.raises(ValueError, match="needs known divisions"):
        unknown.clear_divisions().rolling("2s")
    with pytest.raises(ValueError, match="only axis=0"):
        df.rolling(2, axis=1)
    with pytest.raises(ValueError, match="min_periods='x' must be an integer"):
        df.rolling(2, min_periods="x")
    strs = dd.from_pandas(pd.DataFrame({"s": list("abcd")}), npartitions=2)
    with pytest.raises(Exception, match=r"rolling\(...\).sum\(\) fails on this frame's dtypes"):
        strs.rolling(2).sum()
