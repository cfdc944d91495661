"""Elementwise operations of mpiflow.dataframe compared with pandas."""

from __future__ import annotations

import operator

import numpy as np
import pandas as pd
import pytest
from dataframe_helpers import SCHEDULERS, assert_eq, frames, partitionings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mpiflow.dataframe as dd
from mpiflow.dataframe.core import DataFrame


@pytest.fixture
def pdf() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "a": np.arange(30),
            "b": rng.normal(size=30),
            "c": np.where(np.arange(30) % 4 == 0, np.nan, np.arange(30) * 0.5),
            "s": pd.array(list("abcxyz") * 5, dtype="str"),
            "flag": np.arange(30) % 3 == 0,
        }
    )


@pytest.fixture
def df(pdf: pd.DataFrame) -> DataFrame:
    return dd.from_pandas(pdf, npartitions=4)


BINOPS = [
    operator.add,
    operator.sub,
    operator.mul,
    operator.truediv,
    operator.floordiv,
    operator.mod,
    operator.pow,
    operator.lt,
    operator.le,
    operator.gt,
    operator.ge,
    operator.eq,
    operator.ne,
]


@pytest.mark.parametrize("op", BINOPS, ids=lambda f: f.__name__)
def test_binary_ops_series_scalar_frame(df: DataFrame, pdf: pd.DataFrame, op) -> None:
    assert_eq(op(df.a, 3), op(pdf.a, 3))
    assert_eq(op(3, df.b), op(3, pdf.b))
    assert_eq(op(df.a, df.b), op(pdf.a, pdf.b))
    assert_eq(op(df[["a", "b"]], 2), op(pdf[["a", "b"]], 2))


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_ops_under_schedulers(df: DataFrame, pdf: pd.DataFrame, scheduler: str) -> None:
    out = (df.a * 2 + df.b) / (df.c.fillna(1) + 1)
    exp = (pdf.a * 2 + pdf.b) / (pdf.c.fillna(1) + 1)
    assert_eq(out, exp, scheduler=scheduler)
    assert_eq(df[(df.a > 5) & ~df.flag], pdf[(pdf.a > 5) & ~pdf.flag], scheduler=scheduler)


def test_logical_and_unary(df: DataFrame, pdf: pd.DataFrame) -> None:
    assert_eq((df.a > 3) | df.flag, (pdf.a > 3) | pdf.flag)
    assert_eq((df.a > 3) ^ df.flag, (pdf.a > 3) ^ pdf.flag)
    assert_eq(-df.b, -pdf.b)
    assert_eq(abs(df.b), abs(pdf.b))
    assert_eq(+df.b, +pdf.b)
    assert_eq(np.exp(df.b), np.exp(pdf.b))
    assert_eq(np.add(df.a, df.b), np.add(pdf.a, pdf.b))


def test_named_methods_with_fill_value(df: DataFrame, pdf: pd.DataFrame) -> None:
    assert_eq(df.c.add(df.b, fill_value=0), pdf.c.add(pdf.b, fill_value=0))
    assert_eq(df.a.rsub(1), pdf.a.rsub(1))
    assert_eq(df[["a", "b"]].mul(2), pdf[["a", "b"]].mul(2))
    assert_eq(df.a.lt(4), pdf.a.lt(4))


def test_alignment_known_divisions(pdf: pd.DataFrame) -> None:
    a = dd.from_pandas(pdf, npartitions=4)
    b = dd.from_pandas(pdf, npartitions=3)
    out = a.b + b.c
    assert out.known_divisions
    assert_eq(out, pdf.b + pdf.c)
    shifted = dd.from_pandas(pdf.iloc[5:], npartitions=2)
    assert_eq(a.b + shifted.b, pdf.b + pdf.iloc[5:].b)
    assert_eq(a.assign(z=shifted.b), pdf.assign(z=pdf.iloc[5:].b))


def test_alignment_unknown_divisions(pdf: pd.DataFrame) -> None:
    a = dd.from_pandas(pdf, npartitions=4, sort=False)
    b = dd.from_pandas(pdf, npartitions=3, sort=False)
    assert_eq(a.a + a.b, pdf.a + pdf.b)  # same partitions: fine
    with pytest.raises(ValueError, match=r"different numbers of partitions \(\[3, 4\]\)"):
        a.a + b.a
    with pytest.raises(ValueError, match="cannot be aligned"):
        a.assign(z=b.a)


def test_with_in_memory_pandas_is_a_clear_error(df: DataFrame, pdf: pd.DataFrame) -> None:
    with pytest.raises(TypeError, match="in-memory pandas Series.*from_pandas"):
        df.a + pdf.a


def test_scalar_arithmetic(df: DataFrame, pdf: pd.DataFrame) -> None:
    from mpiflow.dataframe.scalar import Scalar, scalar_op

    s = Scalar({("s", 0): 4}, "s", np.int64(1))
    assert (s + 1).compute() == 5
    assert (2 * s - s / 2).compute() == 6.0
    assert (s**2).compute() == 16
    assert (-s).compute() == -4
    assert (s > 3).compute()
    assert_eq(df.a + s, pdf.a + 4)
    assert_eq(s * df.b, 4 * pdf.b)
    assert_eq(df[df.a > s], pdf[pdf.a > 4])
    assert scalar_op(max, s, 9).compute() == 9
    assert "Scalar" in repr(s + 1)
    d = (s * 3).to_delayed()
    assert d.compute() == 12
    assert (s + 1).persist().compute() == 5


def test_where_mask(df: DataFrame, pdf: pd.DataFrame) -> None:
    assert_eq(df.b.where(df.a > 10), pdf.b.where(pdf.a > 10))
    assert_eq(df.b.where(df.a > 10, -1.0), pdf.b.where(pdf.a > 10, -1.0))
    assert_eq(df.b.mask(df.flag, df.a), pdf.b.mask(pdf.flag, pdf.a))
    num, pnum = df[["a", "b"]], pdf[["a", "b"]]
    assert_eq(num.where(num > 0, 0), pnum.where(pnum > 0, 0))


def test_missing_values(df: DataFrame, pdf: pd.DataFrame) -> None:
    assert_eq(df.isna(), pdf.isna())
    assert_eq(df.c.notna(), pdf.c.notna())
    assert_eq(df.isnull(), pdf.isnull())
    assert_eq(df.c.fillna(-1), pdf.c.fillna(-1))
    assert_eq(df.fillna({"c": 0}), pdf.fillna({"c": 0}))
    assert_eq(df.dropna(), pdf.dropna())
    assert_eq(df.dropna(subset=["c"]), pdf.dropna(subset=["c"]))
    assert_eq(df.c.dropna(), pdf.c.dropna())
    with pytest.raises(ValueError, match="pass the value to fill with"):
        df.fillna()
    with pytest.raises(KeyError, match="Did you mean 'c'"):
        df.dropna(subset=["cc"])
    with pytest.raises(NotImplementedError, match="axis=1"):
        df.dropna(axis=1)


def test_astype(df: DataFrame, pdf: pd.DataFrame) -> None:
    assert_eq(df.a.astype("f4"), pdf.a.astype("f4"))
    assert_eq(df.astype({"a": "f8", "flag": "i1"}), pdf.astype({"a": "f8", "flag": "i1"}))
    cat = df.s.astype("category")
    assert isinstance(cat.dtype, pd.CategoricalDtype)
    assert_eq(cat, pdf.s.astype("category"))
    with pytest.raises(KeyError, match="Did you mean 'flag'"):
        df.astype({"flg": "i8"})


def test_value_methods(df: DataFrame, pdf: pd.DataFrame) -> None:
    assert_eq(df.a.isin([1, 5, 7]), pdf.a.isin([1, 5, 7]))
    assert_eq(df.isin({"a": [1, 2]}), pdf.isin({"a": [1, 2]}))
    assert_eq(df.a.between(3, 9), pdf.a.between(3, 9))
    assert_eq(df.a.between(3, 9, inclusive="left"), pdf.a.between(3, 9, inclusive="left"))
    assert_eq(df.b.clip(-0.5, 0.5), pdf.b.clip(-0.5, 0.5))
    assert_eq(df.b.abs(), pdf.b.abs())
    assert_eq(df.b.round(2), pdf.b.round(2))
    assert_eq(df[["a", "b"]].round(1), pdf[["a", "b"]].round(1))
    assert_eq(df.a.map({1: "one", 2: "two"}), pdf.a.map({1: "one", 2: "two"}))
    assert_eq(df.a.map(lambda v: v * 2, meta=("a", "i8")), pdf.a.map(lambda v: v * 2))


def test_assign_rename_drop(df: DataFrame, pdf: pd.DataFrame) -> None:
    assert_eq(
        df.assign(d=df.a + df.b, e=1, f=lambda x: x.d * 2),
        pdf.assign(d=pdf.a + pdf.b, e=1, f=lambda x: x.d * 2),
    )
    assert_eq(df.rename(columns={"a": "A"}), pdf.rename(columns={"a": "A"}))
    assert_eq(df.rename(columns=str.upper), pdf.rename(columns=str.upper))
    assert_eq(df.a.rename("z"), pdf.a.rename("z"))
    assert_eq(df.drop(columns=["s", "flag"]), pdf.drop(columns=["s", "flag"]))
    assert_eq(df.drop("c", axis=1), pdf.drop("c", axis=1))
    assert_eq(df.drop(columns="nope", errors="ignore"), pdf.drop(columns="nope", errors="ignore"))
    with pytest.raises(NotImplementedError, match="drop\\(\\) of rows"):
        df.drop([1, 2])
    with pytest.raises(TypeError, match="in-memory pandas object"):
        df.assign(z=pdf.a)


def test_apply_rows(df: DataFrame, pdf: pd.DataFrame) -> None:
    def f(r):
        return r.a * 2 + r.b

    assert_eq(df.apply(f, axis=1, meta=(None, "f8")), pdf.apply(f, axis=1))
    with pytest.warns(UserWarning, match="did not provide metadata"):
        out = df.apply(f, axis=1)
    assert_eq(out, pdf.apply(f, axis=1))
    assert_eq(df.a.apply(lambda v: v + 1, meta=("a", "i8")), pdf.a.apply(lambda v: v + 1))
    with pytest.raises(NotImplementedError, match="only axis=1"):
        df.apply(f)


def test_select_dtypes_reset_index_index(df: DataFrame, pdf: pd.DataFrame) -> None:
    assert_eq(df.select_dtypes("number"), pdf.select_dtypes("number"))
    assert_eq(df.select_dtypes(exclude="number"), pdf.select_dtypes(exclude="number"))
    out = df.reset_index()
    assert not out.known_divisions
    assert_eq(out, pdf.reset_index(), check_index=False)
    assert_eq(df.a.reset_index(drop=True), pdf.a.reset_index(drop=True), check_index=False)
    assert_eq(df.index, pdf.index)
    assert_eq(df.index + 1, pdf.index + 1)


def _roundtrip_ops(pdf: pd.DataFrame, ddf: DataFrame) -> None:
    num = [c for c in pdf.columns if c.startswith(("int", "float"))]
    if num:
        c = num[0]
        assert_eq(ddf[c] * 2 - 1, pdf[c] * 2 - 1)
        assert_eq(ddf[ddf[c] > 0], pdf[pdf[c] > 0])
        assert_eq(ddf[c].where(ddf[c] > 0, 0), pdf[c].where(pdf[c] > 0, 0))
        assert_eq(ddf.assign(new=ddf[c] + 1), pdf.assign(new=pdf[c] + 1))
    assert_eq(ddf.isna(), pdf.isna())
    assert_eq(ddf.dropna(), pdf.dropna())
    assert_eq(ddf[list(pdf.columns[::-1])], pdf[list(pdf.columns[::-1])])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_hypothesis_random_frames(data: st.DataObject) -> None:
    pdf = data.draw(frames(max_rows=120))
    parts = data.draw(partitionings(len(pdf)))
    ddf = dd.from_pandas(pdf, **parts)
    assert_eq(ddf, pdf)
    _roundtrip_ops(pdf, ddf)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pdf=frames(min_rows=1, max_rows=60, kinds=("float",)), n=st.integers(1, 5))
def test_hypothesis_alignment(pdf: pd.DataFrame, n: int) -> None:
    a = dd.from_pandas(pdf, npartitions=n)
    b = dd.from_pandas(pdf.iloc[len(pdf) // 3 :], npartitions=max(1, n - 1))
    c = pdf.columns[0]
    assert_eq(a[c] + b[c], pdf[c] + pdf.iloc[len(pdf) // 3 :][c])


def test_index_comparisons_and_filters() -> None:
    pdf = pd.DataFrame({"a": range(10)}, index=range(100, 110))
    df = dd.from_pandas(pdf, npartitions=3)
    assert_eq(df.index > 104, pd.Index(pdf.index > 104))
    assert_eq(df[df.index > 104], pdf[pdf.index > 104])
    assert_eq(df.a[df.index % 2 == 0], pdf.a[pdf.index % 2 == 0])
    assert_eq(df.index[df.index > 107], pdf.index[pdf.index > 107])


def test_frame_mask_and_lazy_fill_values(df: DataFrame, pdf: pd.DataFrame) -> None:
    num, pnum = df[["a", "b", "c"]], pdf[["a", "b", "c"]]
    # an int column becomes float only in partitions where a value is masked (as pandas)
    assert_eq(num[num > 1], pnum[pnum > 1], check_partitions=False)
    assert_eq(num[["b", "c"]][num[["b", "c"]] > 0.5], pnum[["b", "c"]][pnum[["b", "c"]] > 0.5])
    assert_eq(df.c.fillna(df.c.mean()), pdf.c.fillna(pdf.c.mean()))
    assert_eq(df.a.between(df.a.min() + 2, 20), pdf.a.between(pdf.a.min() + 2, 20))
    assert_eq(df.b.where(df.b > 0, df.a), pdf.b.where(pdf.b > 0, pdf.a))


def test_index_methods_forget_divisions() -> None:
    pdf = pd.DataFrame({"a": range(6)}, index=[10, 20, 30, 40, 50, 60])
    df = dd.from_pandas(pdf, npartitions=2)
    out = df.index.map(lambda v: -v)
    assert not out.known_divisions
    assert_eq(out, pdf.index.map(lambda v: -v))
    assert_eq(-df.index, -pdf.index)
    assert not df.index.astype("f8").known_divisions


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pdf=frames(min_rows=1, max_rows=80, kinds=("int", "float", "bool")),
    n=st.integers(1, 6),
    op=st.sampled_from([operator.add, operator.mul, operator.lt, operator.ne]),
)
def test_hypothesis_ops_threads(pdf: pd.DataFrame, n: int, op) -> None:
    ddf = dd.from_pandas(pdf, npartitions=n)
    c = pdf.columns[0]
    assert_eq(op(ddf[c], 3), op(pdf[c], 3), scheduler="threads")
    assert_eq(ddf[ddf[c] == ddf[c]].isna(), pdf[pdf[c] == pdf[c]].isna(), scheduler="threads")
