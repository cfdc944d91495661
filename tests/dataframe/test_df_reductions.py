"""Frame reductions (sum, mean, std, nunique, quantile, describe, ...) against pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from dataframe_helpers import SCHEDULERS, assert_eq, frames, partitionings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mpiflow.dataframe as dd
from mpiflow.dataframe.reductions import reduction


@pytest.fixture
def pdf() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 97
    return pd.DataFrame(
        {
            "i": rng.integers(-50, 50, n),
            "f": np.where(rng.random(n) < 0.2, np.nan, rng.normal(1e6, 3.0, n)),
            "b": rng.random(n) < 0.5,
            "s": rng.choice(["x", "y", "zz", "w"], n),
            "t": pd.to_datetime(rng.integers(0, 10**6, n) * 10**9),
        }
    )


NUM = ["i", "f", "b"]


@pytest.mark.parametrize("scheduler", SCHEDULERS)
@pytest.mark.parametrize("how", ["sum", "prod", "min", "max", "count", "mean", "std", "var"])
def test_numeric_frame_reductions(pdf, how, scheduler):
    pdf = pdf[NUM] if how != "prod" else pdf[["b"]].assign(j=pdf.i % 3 + 1)
    df = dd.from_pandas(pdf, npartitions=7)
    assert_eq(getattr(df, how)(split_every=2), getattr(pdf, how)(), scheduler=scheduler)
    for c in pdf.columns:
        assert_eq(getattr(df[c], how)(), getattr(pdf[c], how)(), scheduler=scheduler)


@pytest.mark.parametrize("how", ["min", "max", "count", "sum"])
def test_mixed_frame_reductions_keep_pandas_dtypes(pdf, how):
    cols = ["i", "s", "t", "b"] if how != "sum" else ["i", "s", "b"]
    p = pdf[cols]
    df = dd.from_pandas(p, npartitions=5)
    assert_eq(getattr(df, how)(), getattr(p, how)())
    assert_eq(getattr(df.s, how)(), getattr(p.s, how)())


@pytest.mark.parametrize("how", ["sum", "mean", "std", "var", "min", "max"])
def test_numeric_only_and_skipna(pdf, how):
    df = dd.from_pandas(pdf, npartitions=4)
    assert_eq(getattr(df, how)(numeric_only=True), getattr(pdf, how)(numeric_only=True))
    assert_eq(getattr(df.f, how)(skipna=False), getattr(pdf.f, how)(skipna=False))


def test_ddof_and_large_mean_variance_is_stable():
    s = pd.Series(1e9 + np.arange(1000) % 7, dtype=float)
    ds = dd.from_pandas(s, npartitions=9)
    for ddof in (0, 1, 2):
        assert np.isclose(ds.var(ddof=ddof).compute(), s.var(ddof=ddof), rtol=1e-9)
        assert np.isclose(ds.std(ddof=ddof).compute(), s.std(ddof=ddof), rtol=1e-9)


def test_min_count(pdf):
    p = pdf[["i", "f"]]
    df = dd.from_pandas(p, npartitions=4)
    for n in (1, 60, 1000):
        assert_eq(df.sum(min_count=n), p.sum(min_count=n))
        assert_eq(df.f.sum(min_count=n), p.f.sum(min_count=n))
        assert_eq(df.prod(min_count=n, axis=1), p.prod(min_count=n, axis=1))
    assert_eq(df[df.i > 1000].i.sum(min_count=1), p[p.i > 1000].i.sum(min_count=1))


@pytest.mark.parametrize("how", ["sum", "mean", "min", "max", "std", "count"])
def test_axis_1(pdf, how):
    p = pdf[["i", "f"]]
    df = dd.from_pandas(p, npartitions=3)
    assert_eq(getattr(df, how)(axis=1), getattr(p, how)(axis=1))


def test_empty_partitions_and_empty_frames():
    p = pd.DataFrame({"a": [1.0, 2.0, 5.0], "b": [3, 1, 2]})
    df = dd.from_pandas(p, npartitions=3)
    empty = df[df.a > 10]
    assert_eq(empty.min(), p[p.a > 10].min())
    assert_eq(empty.sum(), p[p.a > 10].sum())
    assert_eq(empty.a.mean(), p[p.a > 10].a.mean())
    some = df[df.a > 1.5]  # first partition empty
    for how in ("min", "max", "mean", "std", "nunique", "count"):
        assert_eq(getattr(some, how)(), getattr(p[p.a > 1.5], how)())


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_nunique_unique_value_counts_mode(pdf, scheduler):
    df = dd.from_pandas(pdf, npartitions=6)
    assert_eq(df.nunique(), pdf.nunique(), scheduler=scheduler)
    assert_eq(df.s.nunique(), pdf.s.nunique(), scheduler=scheduler)
    assert_eq(df.f.nunique(dropna=False), pdf.f.nunique(dropna=False))
    assert_eq(df.s.unique(), pd.Series(pdf.s.unique(), name="s"), scheduler=scheduler)
    vc = df.s.value_counts().compute(scheduler=scheduler)
    pd.testing.assert_series_equal(vc.sort_index(), pdf.s.value_counts().sort_index())
    assert list(vc) == sorted(vc, reverse=True)
    assert_eq(
        df.i.value_counts(normalize=True), pdf.i.value_counts(normalize=True), sort_results=True
    )
    assert_eq(df.f.value_counts(dropna=False), pdf.f.value_counts(dropna=False), sort_results=True)
    assert_eq(df.i.value_counts(split_out=3), pdf.i.value_counts(), sort_results=True)
    assert_eq(df.i.mode(), pdf.i.mode(), scheduler=scheduler)
    assert_eq(df[["i", "s"]].mode(), pdf[["i", "s"]].mode())


@pytest.mark.parametrize("keep", ["first", "last", False])
def test_drop_duplicates(pdf, keep):
    df = dd.from_pandas(pdf, npartitions=5)
    assert_eq(
        df.drop_duplicates(subset=["s"], keep=keep),
        pdf.drop_duplicates(subset=["s"], keep=keep),
        sort_results=keep is False,
    )
    assert_eq(
        df.s.drop_duplicates(keep=keep),
        pdf.s.drop_duplicates(keep=keep),
        sort_results=keep is False,
    )
    assert_eq(
        df.drop_duplicates(subset="s", split_out=3, keep=keep),
        pdf.drop_duplicates(subset="s", keep=keep),
        sort_results=True,
    )
    assert_eq(
        df[["s", "b"]].drop_duplicates(ignore_index=True, keep=keep),
        pdf[["s", "b"]].drop_duplicates(ignore_index=True, keep=keep),
        check_index=False,
        sort_results=True,
    )


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_quantile_and_describe(pdf, scheduler):
    df = dd.from_pandas(pdf, npartitions=4)
    assert_eq(df.f.quantile(0.3), pdf.f.quantile(0.3), scheduler=scheduler)
    assert_eq(df.f.quantile([0.1, 0.9]), pdf.f.quantile([0.1, 0.9]))
    assert_eq(df[NUM[:2]].quantile(0.5), pdf[NUM[:2]].quantile(0.5))
    p2 = pdf[["i", "f", "s"]]
    d2 = dd.from_pandas(p2, npartitions=3)
    assert_eq(
        d2.quantile([0.25, 0.75], numeric_only=True), p2.quantile([0.25, 0.75], numeric_only=True)
    )
    assert_eq(df.describe(), pdf.describe(), scheduler=scheduler)
    assert_eq(df.s.describe(), pdf.s.describe())
    assert_eq(df.describe(include="all"), pdf.describe(include="all"))
    assert_eq(df.f.describe(percentiles=[0.1]), pdf.f.describe(percentiles=[0.1]))


def test_idxmin_idxmax(pdf):
    p = pdf.set_axis(pd.Index([f"r{i}" for i in range(len(pdf))]))
    df = dd.from_pandas(p, npartitions=4, sort=False)
    for how in ("idxmin", "idxmax"):
        assert_eq(getattr(df.f, how)(), getattr(p.f, how)())
        assert_eq(getattr(df[NUM], how)(), getattr(p[NUM], how)())
        assert_eq(getattr(df, how)(numeric_only=True), getattr(p, how)(numeric_only=True))


def test_any_all(pdf):
    df = dd.from_pandas(pdf[["b", "i"]], npartitions=3)
    assert_eq(df.any(), pdf[["b", "i"]].any())
    assert_eq(df.all(), pdf[["b", "i"]].all())


def test_generic_reduction_dask_convention():
    p = pd.DataFrame({"x": range(20), "y": np.arange(20.0) ** 2})
    df = dd.from_pandas(p, npartitions=6)
    out = df.reduction(lambda d: d.sum(), lambda parts: parts.sum(), split_every=2)
    assert_eq(out, p.sum())
    s = df.x.reduction(lambda d: d.max(), lambda parts: parts.max(), meta=1)
    assert s.compute() == 19
    r = reduction(df, lambda d: len(d), lambda parts: parts.sum(), meta=1, split_every=3)
    assert r.compute(scheduler="threads") == 20


def test_graph_is_a_tree():
    df = dd.from_pandas(pd.Series(range(100)), npartitions=20)
    r = df.sum(split_every=4)
    layer = r.graph.layers[r.name]
    combines = [k for k in layer if "combine" in str(k[0])]
    assert len(combines) == 5 + 2  # 20 -> 5 -> 2 -> final
    assert len(df.sum(split_every=False).graph.layers[df.sum(split_every=False).name]) == 21


def test_bad_input_messages(pdf):
    df = dd.from_pandas(pdf, npartitions=2)
    with pytest.raises(TypeError, match=r"DataFrame.mean is not defined for these dtypes .*s: "):
        df.mean()
    with pytest.raises(TypeError, match="Series.var is not defined"):
        df.s.var()
    with pytest.raises(ValueError, match="axis=1 is not valid for a Series"):
        df.i.sum(axis=1)
    with pytest.raises(ValueError, match="split_every=1 must be an int >= 2"):
        df[["i"]].sum(split_every=1)
    with pytest.raises(KeyError, match="did you mean 's'"):
        df.drop_duplicates(subset=["ss"])
    with pytest.raises(ValueError, match="keep='middle' must be"):
        df.drop_duplicates(keep="middle")
    with pytest.raises(NotImplementedError, match="mean of datetime/timedelta values"):
        df.t.mean()
    with pytest.raises(NotImplementedError, match=r"\(columns t\); pass numeric_only=True"):
        df[["i", "t"]].std()
    with pytest.raises(TypeError, match="frames must be a DataFrame"):
        reduction([1], len, sum, meta=1)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_hypothesis_reductions(data):
    p = data.draw(frames(kinds=("int", "float", "bool"), max_rows=60))
    parts = data.draw(partitionings(len(p)))
    df = dd.from_pandas(p, **parts)
    split_every = data.draw(st.sampled_from([None, 2, 3, False]))
    for how in ("sum", "min", "max", "count", "mean", "var", "nunique"):
        got = getattr(df, how)(split_every=split_every)
        exact = how not in ("min", "max") or len(p) > 0  # pandas: NaN (float) when empty
        assert_eq(got, getattr(p, how)(), check_dtype=exact, check_partitions=exact, rtol=1e-6)
    col = p.columns[0]
    assert_eq(df[col].std(split_every=split_every), p[col].std(), rtol=1e-6)
    assert_eq(df[col].value_counts(), p[col].value_counts(), sort_results=True)
    assert_eq(df.drop_duplicates(), p.drop_duplicates())


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(p=frames(kinds=("str", "datetime", "int"), min_rows=1, max_rows=40))
def test_hypothesis_non_numeric(p):
    df = dd.from_pandas(p, npartitions=3)
    assert_eq(df.min(), p.min())
    assert_eq(df.max(), p.max())
    assert_eq(df.nunique(), p.nunique())
    assert_eq(df.count(), p.count())


def test_index_reductions():
    p = pd.DataFrame({"a": [3, 1, 2, 5]}, index=[10, 40, 20, 30])
    df = dd.from_pandas(p, npartitions=2, sort=False)
    assert_eq(df.index.max(), p.index.max())
    assert_eq(df.index.min(), p.index.min())
    assert_eq(df.index.nunique(), p.index.nunique())
    vc = df.index.value_counts().compute()
    pd.testing.assert_series_equal(vc.sort_index(), p.index.value_counts().sort_index())


def test_reduction_of_several_frames():
    p = pd.DataFrame({"x": np.arange(10.0), "y": np.arange(10.0) * 2})
    df = dd.from_pandas(p, npartitions=3)

    def chunk(a, b):
        return (a * b).sum()

    r = reduction([df.x, df.y], chunk, lambda parts: parts.sum(), meta=1.0)
    assert r.compute() == (p.x * p.y).sum()


@pytest.mark.parametrize("how", ["nlargest", "nsmallest"])
def test_nlargest_nsmallest(pdf, how):
    df = dd.from_pandas(pdf, npartitions=6)
    assert_eq(getattr(df.f, how)(7, split_every=2), getattr(pdf.f, how)(7))
    assert_eq(getattr(df, how)(5, columns=["i", "f"]), getattr(pdf, how)(5, columns=["i", "f"]))
    assert_eq(getattr(df.i, how)(3, keep="last"), getattr(pdf.i, how)(3, keep="last"))
    with pytest.raises(TypeError, match="needs columns="):
        getattr(df, how)(3)


def test_nullable_categorical_and_arrow_dtypes():
    pytest.importorskip("pyarrow")  # string[pyarrow] (the `parquet` extra brings it)
    p = pd.DataFrame(
        {
            "a": pd.array([1, None, 3, 4, 5, None], dtype="Int64"),
            "f": pd.array([1.5, None, 2, 3, 4, 5], dtype="Float64"),
            "c": pd.Categorical(list("xyxzyx")),
            "s": pd.array(list("abcabc"), dtype="string[pyarrow]"),
            "k": [1, 1, 2, 2, 3, 3],
        }
    )
    df = dd.from_pandas(p, npartitions=3)
    for how in ("sum", "min", "max", "mean", "std", "count", "nunique"):
        assert_eq(getattr(df.a, how)(), getattr(p.a, how)())
        assert_eq(getattr(df.f, how)(), getattr(p.f, how)())
    assert_eq(df[["a", "f"]].sum(), p[["a", "f"]].sum())
    assert_eq(df[["a", "f"]].mean(), p[["a", "f"]].mean())
    assert_eq(df.c.value_counts(), p.c.value_counts(), sort_results=True)
    assert_eq(df.s.value_counts(), p.s.value_counts(), sort_results=True)
    assert_eq(df.s.nunique(), p.s.nunique())
    assert_eq(df.c.nunique(), p.c.nunique())
    assert_eq(df.a.quantile(0.5), p.a.quantile(0.5))
    assert_eq(df.a.unique(), pd.Series(p.a.unique(), name="a"))
    assert_eq(df.a.mode(), p.a.mode())
    assert_eq(df.groupby("k").a.mean(), p.groupby("k").a.mean())
    assert_eq(df.groupby("k").f.std(), p.groupby("k").f.std())
    assert_eq(df.groupby("s").a.sum(), p.groupby("s").a.sum())
    assert_eq(df.groupby("k").c.nunique(), p.groupby("k").c.nunique())
