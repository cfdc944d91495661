"""repartition by divisions, npartitions, partition_size and freq, against pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from dataframe_helpers import SCHEDULERS, assert_eq, frames
from hypothesis import given, settings
from hypothesis import strategies as st

import mpiflow.dataframe as dd
from mpiflow.base import compute
from mpiflow.dataframe.repartition import repartition_divisions, repartition_npartitions


def _pdf(n=50):
    return pd.DataFrame({"x": np.arange(n), "y": np.arange(n) * 0.5}, index=np.arange(n) * 2)


def _lens(x):
    return [len(p) for p in compute(*x.to_delayed(), scheduler="sync")]


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_repartition_divisions(scheduler):
    pdf = _pdf()
    df = dd.from_pandas(pdf, npartitions=4)
    out = df.repartition(divisions=[0, 10, 11, 60, 98])
    assert out.divisions == (0, 10, 11, 60, 98)
    assert_eq(out, pdf, scheduler=scheduler)
    assert _lens(out) == [5, 1, 24, 20]


def test_repartition_divisions_force_and_same():
    pdf = _pdf()
    df = dd.from_pandas(pdf, npartitions=3)
    assert df.repartition(divisions=df.divisions) is df
    out = df.repartition(divisions=[-5, 50, 200], force=True)
    assert out.divisions == (-5, 50, 200)
    assert_eq(out, pdf)


def test_repartition_divisions_on_series_and_datetime_index():
    idx = pd.date_range("2024-01-01", periods=48, freq="h")
    s = pd.Series(np.arange(48.0), index=idx)
    ds = dd.from_pandas(s, npartitions=3)
    divs = (idx[0], pd.Timestamp("2024-01-01 12:00"), pd.Timestamp("2024-01-02 05:30"), idx[-1])
    out = ds.repartition(divisions=divs)
    assert_eq(out, s)
    assert _lens(out) == [12, 18, 18]
    assert_eq(ds.repartition(freq="1D"), s)
    assert ds.repartition(freq="1D").npartitions == 2


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 60),
    nin=st.integers(1, 6),
    cuts=st.lists(st.integers(0, 200), max_size=6),
)
def test_repartition_divisions_hypothesis(n, nin, cuts):
    pdf = pd.DataFrame({"x": range(n)}, index=np.arange(n) * 3)
    df = dd.from_pandas(pdf, npartitions=nin)
    lo, hi = df.divisions[0], df.divisions[-1]
    inner = sorted({c for c in cuts if lo < c < hi})
    out = repartition_divisions(df, (lo, *inner, hi))
    assert out.npartitions == len(inner) + 1
    assert_eq(out, pdf)


@pytest.mark.parametrize("n", [1, 2, 3, 7, 12])
def test_repartition_npartitions(n):
    pdf = _pdf()
    df = dd.from_pandas(pdf, npartitions=4)
    out = df.repartition(npartitions=n)
    assert out.npartitions == n
    assert out.known_divisions  # integer index: split by ranges
    assert_eq(out, pdf)


def test_repartition_npartitions_unknown_divisions_and_strings():
    pdf = pd.DataFrame({"x": range(20)}, index=[f"k{i:02d}" for i in range(20)])
    df = dd.from_pandas(pdf, npartitions=2)
    out = df.repartition(npartitions=5)
    assert out.npartitions == 5 and not out.known_divisions
    assert_eq(out, pdf)
    fewer = df.clear_divisions().repartition(npartitions=1)
    assert fewer.npartitions == 1
    assert_eq(fewer, pdf, check_divisions=False)


@settings(max_examples=20, deadline=None)
@given(data=frames(max_rows=60), nin=st.integers(1, 5), nout=st.integers(1, 9))
def test_repartition_npartitions_hypothesis(data, nin, nout):
    df = dd.from_pandas(data, npartitions=nin)
    out = repartition_npartitions(df, nout)
    assert_eq(out, data)


def test_repartition_partition_size():
    pdf = pd.DataFrame({"x": np.arange(10_000)})
    df = dd.from_pandas(pdf, npartitions=2)
    out = df.repartition(partition_size="20kB")
    assert out.npartitions >= 4
    assert_eq(out, pdf, check_divisions=False)
    big = df.repartition(partition_size=10**9)
    assert big.npartitions == 1


def test_repartition_bad_input():
    df = dd.from_pandas(_pdf(), npartitions=2)
    with pytest.raises(ValueError, match="pass exactly one of divisions=.*got npartitions, freq"):
        df.repartition(npartitions=2, freq="1D")
    with pytest.raises(ValueError, match="must start and end where the old ones do"):
        df.repartition(divisions=[1, 50, 98])
    with pytest.raises(ValueError, match="must be sorted"):
        df.repartition(divisions=[0, 50, 10, 98])
    with pytest.raises(ValueError, match="needs at least 2 values"):
        df.repartition(divisions=[0])
    with pytest.raises(TypeError, match="divisions must be a list or tuple"):
        df.repartition(divisions=5)
    with pytest.raises(ValueError, match="new first division 5 must be <= the old one 0"):
        df.repartition(divisions=[5, 200], force=True)
    with pytest.raises(ValueError, match="npartitions=0 must be a positive integer"):
        df.repartition(npartitions=0)
    with pytest.raises(ValueError, match="partition_size=-1 must be a positive byte count"):
        df.repartition(partition_size=-1)
    with pytest.raises(ValueError, match="needs known divisions"):
        df.clear_divisions().repartition(divisions=[0, 98])
    with pytest.raises(TypeError, match="needs a DatetimeIndex"):
        df.repartition(freq="1D")
