"""concat along rows and columns, against pandas."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from dataframe_helpers import SCHEDULERS, assert_eq, frames
from hypothesis import given, settings
from hypothesis import strategies as st

import mpiflow.dataframe as dd


def _a():
    return pd.DataFrame({"x": [1, 2, 3], "y": [1.0, 2.0, 3.0]}, index=[0, 1, 2])


def _b():
    return pd.DataFrame({"x": [4, 5], "z": ["p", "q"]}, index=[5, 6])


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_concat_rows_ordered_keeps_divisions(scheduler):
    a, b = _a(), _b()
    da, db = dd.from_pandas(a, npartitions=2), dd.from_pandas(b, npartitions=1)
    out = dd.concat([da, db])
    assert out.known_divisions and out.divisions == (0, 2, 5, 6)
    assert out.npartitions == 3
    assert_eq(out, pd.concat([a, b]), scheduler=scheduler)


def test_concat_rows_inner_join_and_pandas_inputs():
    a, b = _a(), _b()
    da = dd.from_pandas(a, npartitions=2)
    assert_eq(dd.concat([da, b], join="inner"), pd.concat([a, b], join="inner"))
    assert_eq(dd.concat([a, b]), pd.concat([a, b]))  # all pandas: pandas result


def test_concat_rows_overlapping_divisions():
    a = _a()
    da = dd.from_pandas(a, npartitions=2)
    stacked = dd.concat([da, da])
    assert not stacked.known_divisions and stacked.npartitions == 4
    assert_eq(stacked, pd.concat([a, a]))
    inter = dd.concat([da, da], interleave_partitions=True)
    assert inter.known_divisions
    assert_eq(inter, pd.concat([a, a]), sort_results=True)


def test_concat_rows_unknown_divisions_warns():
    a, b = _a(), _b()
    da = dd.from_pandas(a, npartitions=2).clear_divisions()
    db = dd.from_pandas(b, npartitions=1)
    with pytest.warns(UserWarning, match="some inputs have unknown divisions"):
        out = dd.concat([da, db])
    assert not out.known_divisions
    assert_eq(out, pd.concat([a, b]), check_divisions=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dd.concat([da, db], ignore_unknown_divisions=True)


def test_concat_series():
    s1 = pd.Series([1, 2], index=[0, 1], name="a")
    s2 = pd.Series([3.5], index=[4], name="a")
    out = dd.concat([dd.from_pandas(s1, npartitions=1), dd.from_pandas(s2, npartitions=1)])
    assert_eq(out, pd.concat([s1, s2]))


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_concat_columns(scheduler):
    a = _a()
    c = pd.DataFrame({"w": [10, 20, 30, 40]}, index=[0, 1, 2, 3])
    da, dc = dd.from_pandas(a, npartitions=2), dd.from_pandas(c, npartitions=3)
    out = dd.concat([da, dc], axis=1)
    # row 3 misses x and y: that partition's x is float, as pandas makes it
    assert_eq(out, pd.concat([a, c], axis=1), scheduler=scheduler, check_partitions=False)
    c3 = c.iloc[:3]
    dc3 = dd.from_pandas(c3, npartitions=2)
    assert_eq(dd.concat([da, dc3], axis=1), pd.concat([a, c3], axis=1), scheduler=scheduler)
    assert_eq(
        dd.concat([da, dc], axis="columns", join="inner"), pd.concat([a, c], axis=1, join="inner")
    )


def test_concat_columns_unknown_divisions():
    a = _a()
    da = dd.from_pandas(a, npartitions=2).clear_divisions()
    db = dd.from_pandas(a.rename(columns={"x": "x2", "y": "y2"}), npartitions=2).clear_divisions()
    with pytest.warns(UserWarning, match="assumes their partitions line up"):
        out = dd.concat([da, db], axis=1)
    assert_eq(out, pd.concat([a, a.rename(columns={"x": "x2", "y": "y2"})], axis=1))
    dc = dd.from_pandas(a, npartitions=1).clear_divisions()
    with pytest.raises(ValueError, match=r"different numbers of partitions \(\[1, 2\]\)"):
        dd.concat([da, dc], axis=1)


@settings(max_examples=20, deadline=None)
@given(
    data=frames(max_rows=40, kinds=("int", "float", "str")),
    other=frames(max_rows=40, kinds=("int", "float", "str")),
    n1=st.integers(1, 4),
    n2=st.integers(1, 4),
)
def test_concat_hypothesis(data, other, n1, n2):
    other = other.set_axis(np.arange(len(other)) + len(data) + 10)
    d1, d2 = dd.from_pandas(data, npartitions=n1), dd.from_pandas(other, npartitions=n2)
    assert_eq(dd.concat([d1, d2], ignore_unknown_divisions=True), pd.concat([data, other]))


def test_concat_bad_input():
    da = dd.from_pandas(_a(), npartitions=1)
    with pytest.raises(ValueError, match="no frames to concatenate"):
        dd.concat([])
    with pytest.raises(ValueError, match="axis=2 must be"):
        dd.concat([da, da], axis=2)
    with pytest.raises(ValueError, match="join='left' must be 'outer' or 'inner'"):
        dd.concat([da, da], join="left")
    with pytest.raises(TypeError, match=r"expected DataFrames or Series, got \['int'\]"):
        dd.concat([da, 1])
    with pytest.raises(TypeError, match="expected a list of frames"):
        dd.concat(da)
    assert dd.concat([da]) is da
