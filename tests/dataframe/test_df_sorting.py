"""set_index and sort_values against pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from dataframe_helpers import SCHEDULERS, assert_eq, frames
from hypothesis import given, settings
from hypothesis import strategies as st

import mpiflow.dataframe as dd
from mpiflow.base import compute


def _pdf(n=200, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "x": rng.permutation(n),
            "k": rng.integers(0, 20, n),
            "f": rng.random(n),
            "s": rng.choice(["a", "b", "c", "d"], n),
            "t": pd.to_datetime(rng.integers(0, 10**6, n), unit="s"),
        }
    )


def _parts(x):
    return list(compute(*x.to_delayed(), scheduler="sync"))


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_set_index_unique_ints(scheduler):
    pdf = _pdf()
    df = dd.from_pandas(pdf, npartitions=5)
    out = df.set_index("x")
    assert out.known_divisions and out.npartitions == 5
    assert out.divisions[0] == 0 and out.divisions[-1] == 199
    assert_eq(out, pdf.set_index("x").sort_index(), scheduler=scheduler)
    sizes = [len(p) for p in _parts(out)]
    assert min(sizes) > 10  # balanced by quantiles


@pytest.mark.parametrize("col", ["k", "f", "s", "t"])
def test_set_index_other_dtypes_and_duplicates(col):
    pdf = _pdf()
    df = dd.from_pandas(pdf, npartitions=4)
    out = df.set_index(col)
    assert out.known_divisions
    assert_eq(out, pdf.set_index(col), sort_results=True)
    for p in _parts(out):
        assert p.index.is_monotonic_increasing


def test_set_index_options():
    pdf = _pdf()
    df = dd.from_pandas(pdf, npartitions=4)
    kept = df.set_index("x", drop=False)
    assert_eq(kept, pdf.set_index("x", drop=False).sort_index())
    fewer = df.set_index("x", npartitions=2)
    assert fewer.npartitions == 2
    assert_eq(fewer, pdf.set_index("x").sort_index())
    given_divs = df.set_index("x", divisions=[0, 50, 100, 199])
    assert given_divs.divisions == (0, 50, 100, 199)
    assert_eq(given_divs, pdf.set_index("x").sort_index())
    by_series = df.set_index(df.x * 2)
    expected = pdf.set_index(pdf.x * 2).sort_index()
    assert_eq(by_series, expected)
    unsorted = df.set_index("x", sort=False)
    assert unsorted.known_divisions
    assert_eq(unsorted, pdf.set_index("x"), sort_results=True)


def test_set_index_and_sort_values_categorical():
    rng = np.random.default_rng(2)
    cats = pd.CategoricalDtype(["z", "a", "m"], ordered=False)  # not lexicographic
    pdf = pd.DataFrame({"c": pd.Categorical(rng.choice(["z", "a", "m"], 60), dtype=cats)})
    pdf["v"] = np.arange(60)
    pdf.loc[::9, "c"] = np.nan
    df = dd.from_pandas(pdf, npartitions=4)
    out = df.set_index("c")
    assert out.known_divisions and out.divisions[0] == "z"
    assert_eq(out, pdf.set_index("c"), sort_results=True, check_divisions=False)
    got = df.sort_values("c").compute()
    exp = pdf.sort_values("c")
    assert got.c.astype(object).tolist() == exp.c.astype(object).tolist()


def test_set_index_sorted_true():
    pdf = _pdf().sort_values("x")
    df = dd.from_pandas(pdf.reset_index(drop=True), npartitions=4)
    out = df.set_index("x", sorted=True)
    assert out.divisions == (0, 50, 100, 150, 199)
    assert_eq(out, pdf.set_index("x"))
    with_divs = df.set_index("x", sorted=True, divisions=[0, 50, 100, 150, 199])
    assert_eq(with_divs, pdf.set_index("x"))
    shuffled = dd.from_pandas(_pdf(), npartitions=3)
    with pytest.raises(ValueError, match="is not sorted across partitions"):
        shuffled.set_index("x", sorted=True)


def test_set_index_with_nulls_and_single_value():
    pdf = pd.DataFrame({"a": [3.0, np.nan, 1.0, 2.0, np.nan, 0.5], "b": range(6)})
    df = dd.from_pandas(pdf, npartitions=3)
    out = df.set_index("a")
    assert_eq(out, pdf.set_index("a"), sort_results=True, check_divisions=False)
    one = pd.DataFrame({"a": [7, 7, 7], "b": [1, 2, 3]})
    out1 = dd.from_pandas(one, npartitions=2).set_index("a")
    assert out1.divisions == (7, 7)
    assert_eq(out1, one.set_index("a"), sort_results=True)
    allnull = pd.DataFrame({"a": [np.nan, np.nan], "b": [1, 2]})
    outn = dd.from_pandas(allnull, npartitions=2).set_index("a")
    assert not outn.known_divisions
    assert_eq(outn, allnull.set_index("a"), sort_results=True)


@settings(max_examples=20, deadline=None)
@given(
    data=frames(min_rows=1, max_rows=80, kinds=("int", "float", "datetime")), n=st.integers(1, 5)
)
def test_set_index_hypothesis(data, n):
    col = data.columns[0]
    df = dd.from_pandas(data, npartitions=n)
    out = df.set_index(col)
    assert_eq(out, data.set_index(col), sort_results=True, check_divisions=data[col].notna().all())


def test_set_index_bad_input():
    df = dd.from_pandas(_pdf(), npartitions=2)
    with pytest.raises(KeyError, match="column 'xx' is not in the frame.*did you mean 'x'"):
        df.set_index("xx")
    with pytest.raises(NotImplementedError, match="a MultiIndex"):
        df.set_index(["x", "k"])
    with pytest.raises(TypeError, match="set_index is a DataFrame method"):
        df.x.set_index("x")
    other = dd.from_pandas(_pdf(), npartitions=3)
    with pytest.raises(ValueError, match="the Series has 3 partitions but the frame has 2"):
        df.set_index(other.x)
    with pytest.raises(ValueError, match="divisions has 2 values but the frame has 2 partitions"):
        df.set_index("x", sorted=True, divisions=[0, 2])


# -- sort_values ---------------------------------------------------------------------------


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_sort_values_unique(scheduler):
    pdf = _pdf()
    df = dd.from_pandas(pdf, npartitions=4)
    assert_eq(df.sort_values("x"), pdf.sort_values("x"), scheduler=scheduler)
    assert_eq(df.sort_values("x", ascending=False), pdf.sort_values("x", ascending=False))


def test_sort_values_multi_and_nulls():
    pdf = _pdf()
    pdf.loc[::7, "f"] = np.nan
    df = dd.from_pandas(pdf, npartitions=4)
    out = df.sort_values(["k", "x"], ascending=[True, False])
    assert_eq(out, pdf.sort_values(["k", "x"], ascending=[True, False]))
    for pos in ("first", "last"):
        got = df.sort_values("f", na_position=pos).compute()
        exp = pdf.sort_values("f", na_position=pos)
        assert got.f.isna().tolist() == exp.f.isna().tolist()
        assert got.f.dropna().tolist() == exp.f.dropna().tolist()
    strs = df.sort_values("s").compute()
    assert strs.s.tolist() == sorted(pdf.s)
    fewer = df.sort_values("x", npartitions=2)
    assert fewer.npartitions == 2
    assert_eq(fewer, pdf.sort_values("x"))


def test_sort_values_sort_function():
    pdf = _pdf()
    df = dd.from_pandas(pdf, npartitions=3)
    out = df.sort_values("x", sort_function=_my_sort, sort_function_kwargs={"kind": "stable"})
    assert_eq(out, pdf.sort_values("x"))


def _my_sort(df, by, ascending, na_position, kind):
    return df.sort_values(by=by, ascending=ascending, na_position=na_position, kind=kind)


@settings(max_examples=20, deadline=None)
@given(data=frames(min_rows=1, max_rows=80, kinds=("int", "float", "str")), n=st.integers(1, 5))
def test_sort_values_hypothesis(data, n):
    col = data.columns[0]
    df = dd.from_pandas(data, npartitions=n)
    got = df.sort_values(col).compute()
    exp = data.sort_values(col)
    assert got[col].tolist() == exp[col].tolist() or (
        got[col].isna().sum() == exp[col].isna().sum()
        and got[col].dropna().tolist() == exp[col].dropna().tolist()
    )
    assert_eq(got, exp, sort_results=True)


def test_sort_values_bad_input():
    df = dd.from_pandas(_pdf(), npartitions=2)
    with pytest.raises(KeyError, match="sort_values: column 'y' is not in the frame"):
        df.sort_values("y")
    with pytest.raises(ValueError, match="na_position='middle' must be 'first' or 'last'"):
        df.sort_values("x", na_position="middle")
    with pytest.raises(ValueError, match="must be a bool or one bool per column"):
        df.sort_values(["x", "k"], ascending=[True])
    with pytest.raises(ValueError, match="by= needs at least one column"):
        df.sort_values([])


def test_set_index_and_sort_values_many_partitions_are_staged():
    pdf = _pdf(400)
    df = dd.from_pandas(pdf, npartitions=40)
    out = df.set_index("x", npartitions=36)
    assert out.npartitions == 36
    assert_eq(out, pdf.set_index("x").sort_index())
    assert_eq(df.sort_values("f"), pdf.sort_values("f"))
