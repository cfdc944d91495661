"""groupby aggregations, agg specs, transform/apply and split_out against pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from dataframe_helpers import SCHEDULERS, assert_eq

import mpiflow.dataframe as dd
from mpiflow.dataframe.groupby_kernels import SUPPORTED_AGGS


@pytest.fixture
def pdf() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    n = 211
    return pd.DataFrame(
        {
            "k": rng.integers(0, 7, n),
            "k2": rng.choice(["a", "b", "c"], n),
            "kn": np.where(rng.random(n) < 0.15, np.nan, rng.integers(0, 4, n)),
            "x": rng.integers(-100, 100, n),
            "y": np.where(rng.random(n) < 0.1, np.nan, rng.normal(1e6, 2.0, n)),
            "b": rng.random(n) < 0.3,
            "s": rng.choice(["p", "q", "r", "t"], n),
        }
    )


AGGS = ["sum", "mean", "count", "min", "max", "std", "var", "first", "last", "nunique", "prod"]


@pytest.mark.parametrize("scheduler", SCHEDULERS)
@pytest.mark.parametrize("how", AGGS)
def test_series_groupby_methods(pdf, how, scheduler):
    df = dd.from_pandas(pdf, npartitions=9)
    col = "x" if how != "prod" else "b"
    got = getattr(df.groupby("k")[col], how)(split_every=3)
    assert_eq(got, getattr(pdf.groupby("k")[col], how)(), scheduler=scheduler, rtol=1e-9)


@pytest.mark.parametrize("how", AGGS + ["size"])
def test_frame_groupby_methods_multi_keys(pdf, how):
    cols = ["k", "k2", "x", "y", "b"]
    p = pdf[cols]
    df = dd.from_pandas(p, npartitions=5)
    assert_eq(
        getattr(df.groupby(["k", "k2"]), how)(), getattr(p.groupby(["k", "k2"]), how)(), rtol=1e-9
    )
    assert_eq(
        getattr(df.groupby("k2")[["x", "y"]], how)(),
        getattr(p.groupby("k2")[["x", "y"]], how)(),
        rtol=1e-9,
    )


@pytest.mark.parametrize("how", ["sum", "mean", "std", "min", "first"])
def test_numeric_only(pdf, how):
    df = dd.from_pandas(pdf, npartitions=4)
    got = getattr(df.groupby("k2"), how)(numeric_only=True)
    assert_eq(got, getattr(pdf.groupby("k2"), how)(numeric_only=True), rtol=1e-9)


def test_string_columns_follow_pandas(pdf):
    df = dd.from_pandas(pdf, npartitions=4)
    for how in ("min", "max", "first", "last", "count", "nunique", "sum"):
        assert_eq(getattr(df.groupby("k").s, how)(), getattr(pdf.groupby("k").s, how)())
    with pytest.raises(TypeError, match=r"groupby\(\.\.\.\)\.mean\(\) is not defined .*s: str"):
        df.groupby("k").mean()


@pytest.mark.parametrize("sort", [True, False])
@pytest.mark.parametrize("dropna", [True, False])
def test_sort_and_dropna(pdf, sort, dropna):
    df = dd.from_pandas(pdf, npartitions=6)
    exp = pdf.groupby("kn", sort=sort, dropna=dropna).y.mean()
    got = df.groupby("kn", sort=sort, dropna=dropna).y.mean(split_every=2)
    assert_eq(got, exp)  # also the order: sort=False keeps first appearance
    exp2 = pdf.groupby(["kn", "k2"], sort=sort, dropna=dropna).agg({"x": ["sum", "std"]})
    got2 = df.groupby(["kn", "k2"], sort=sort, dropna=dropna).agg({"x": ["sum", "std"]})
    assert_eq(got2, exp2)


def test_first_last_and_group_order_through_a_deep_tree(pdf):
    df = dd.from_pandas(pdf, npartitions=17)
    for how in ("first", "last"):
        got = getattr(df.groupby("k2", sort=False).y, how)(split_every=2)
        assert_eq(got, getattr(pdf.groupby("k2", sort=False).y, how)())
    got = df.groupby(["k", "k2"], sort=False).x.agg(["first", "last", "size"], split_every=3)
    assert_eq(got, pdf.groupby(["k", "k2"], sort=False).x.agg(["first", "last", "size"]))


def test_series_keys(pdf):
    df = dd.from_pandas(pdf, npartitions=5)
    assert_eq(df.groupby(df.k % 3).x.sum(), pdf.groupby(pdf.k % 3).x.sum())
    assert_eq(df.groupby([df.k2, "k"]).y.mean(), pdf.groupby([pdf.k2, "k"]).y.mean())
    assert_eq(df.x.groupby(df.k).max(), pdf.x.groupby(pdf.k).max())
    assert_eq(
        df.x.groupby(df.k).agg(["min", "nunique"]), pdf.x.groupby(pdf.k).agg(["min", "nunique"])
    )
    assert_eq(
        df.groupby(df.k.rename("kk")).x.nunique(), pdf.groupby(pdf.k.rename("kk")).x.nunique()
    )


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_agg_specs(pdf, scheduler):
    p = pdf[["k", "x", "y", "s"]]
    df = dd.from_pandas(p, npartitions=7)
    g, pg = df.groupby("k"), p.groupby("k")
    assert_eq(
        g[["x", "y"]].agg(["sum", "mean", "var"]),
        pg[["x", "y"]].agg(["sum", "mean", "var"]),
        scheduler=scheduler,
    )
    assert_eq(g.agg({"x": "sum", "s": "nunique"}), pg.agg({"x": "sum", "s": "nunique"}))
    assert_eq(g.agg({"x": ["min", "max"], "y": "mean"}), pg.agg({"x": ["min", "max"], "y": "mean"}))
    named = {
        "total": ("x", "sum"),
        "avg": pd.NamedAgg("y", "mean"),
        "n": ("s", "nunique"),
        "rows": ("x", "size"),
        "sd": ("y", "std"),
    }
    assert_eq(g.agg(**named), pg.agg(**named), scheduler=scheduler)
    assert_eq(g.x.agg(total="sum", hi="max"), pg.x.agg(total="sum", hi="max"))
    assert_eq(g.x.agg("mean"), pg.x.agg("mean"))
    assert_eq(g.x.aggregate([np.sum, "first"]), pg.x.aggregate(["sum", "first"]))
    assert_eq(g[["x", "y"]].agg("max"), pg[["x", "y"]].agg("max"))


def test_std_var_ddof_and_stability():
    p = pd.DataFrame({"k": np.arange(3000) % 5, "v": 1e9 + (np.arange(3000) % 11)})
    df = dd.from_pandas(p, npartitions=13)
    for ddof in (0, 1, 3):
        assert_eq(
            df.groupby("k").v.var(ddof=ddof, split_every=2),
            p.groupby("k").v.var(ddof=ddof),
            rtol=1e-7,
        )
        assert_eq(df.groupby("k").std(ddof=ddof), p.groupby("k").std(ddof=ddof), rtol=1e-7)


def test_categorical_keys_observed():
    p = pd.DataFrame(
        {"c": pd.Categorical(["a", "b", "a"], categories=["a", "b", "z"]), "v": [1.0, 2.0, 3.0]}
    )
    df = dd.from_pandas(p, npartitions=2)
    for observed in (True, False):
        assert_eq(
            df.groupby("c", observed=observed).v.sum(), p.groupby("c", observed=observed).v.sum()
        )
        assert_eq(
            df.groupby("c", observed=observed).v.count(),
            p.groupby("c", observed=observed).v.count(),
        )


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_split_out(pdf, scheduler):
    df = dd.from_pandas(pdf, npartitions=6)
    got = df.groupby("k").y.mean(split_out=3)
    assert got.npartitions == 3
    assert_eq(got, pdf.groupby("k").y.mean(), scheduler=scheduler, sort_results=True)
    got = df.groupby(["k", "k2"]).agg({"x": ["sum", "var"], "y": "first"}, split_out=4)
    exp = pdf.groupby(["k", "k2"]).agg({"x": ["sum", "var"], "y": "first"})
    assert_eq(got, exp, sort_results=True)
    with pytest.raises(NotImplementedError, match="split_out > 1"):
        df.groupby("k").x.nunique(split_out=2)


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_transform_and_apply(pdf, scheduler):
    df = dd.from_pandas(pdf, npartitions=5)
    got = df.groupby("k").x.transform(lambda s: s - s.mean())
    exp = pdf.groupby("k").x.transform(lambda s: s - s.mean())
    assert_eq(got, exp, scheduler=scheduler, sort_results=True)
    assert_eq(
        df.groupby("k").x.transform("sum"), pdf.groupby("k").x.transform("sum"), sort_results=True
    )
    assert_eq(
        df.groupby("k")[["x", "y"]].transform("max"),
        pdf.groupby("k")[["x", "y"]].transform("max"),
        sort_results=True,
    )
    got = df.groupby("k").x.apply(lambda s: s.max() - s.min())
    assert_eq(
        got,
        pdf.groupby("k").x.apply(lambda s: s.max() - s.min()),
        sort_results=True,
        scheduler=scheduler,
    )
    got = df.groupby("k2")[["x", "y"]].apply(lambda d: d.x.sum() + d.y.count(), meta=(None, "i8"))
    exp = pdf.groupby("k2")[["x", "y"]].apply(lambda d: d.x.sum() + d.y.count())
    assert_eq(got, exp, sort_results=True)


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_median_via_shuffle(pdf, scheduler):
    df = dd.from_pandas(pdf, npartitions=5)
    assert_eq(df.groupby("k").y.median(), pdf.groupby("k").y.median(), scheduler=scheduler)
    assert_eq(
        df.groupby(["k2", "kn"], dropna=False)[["x", "y"]].median(),
        pdf.groupby(["k2", "kn"], dropna=False)[["x", "y"]].median(),
    )
    assert_eq(
        df.groupby("k2").median(numeric_only=True), pdf.groupby("k2").median(numeric_only=True)
    )
    got = df.groupby("k").x.median(split_out=2)
    assert got.npartitions == 2
    assert_eq(got, pdf.groupby("k").x.median(), sort_results=True)
    assert_eq(df.x.groupby(df.k).median(), pdf.x.groupby(pdf.k).median())


def test_column_projection_selects_needed_columns(pdf):
    df = dd.from_pandas(pdf, npartitions=3)
    r = df.groupby("k").x.mean()
    selects = [layer for layer in r.graph.layers.values() if getattr(layer, "columns_read", None)]
    assert [set(layer.columns_read) for layer in selects] == [{"k", "x"}]
    r = df.groupby(["k", "k2"]).agg(t=("y", "sum"))
    selects = [layer for layer in r.graph.layers.values() if getattr(layer, "columns_read", None)]
    assert [set(layer.columns_read) for layer in selects] == [{"k", "k2", "y"}]


def test_empty_partitions(pdf):
    df = dd.from_pandas(pdf, npartitions=4)
    sub, psub = df[df.x > 90], pdf[pdf.x > 90]
    assert_eq(
        sub.groupby("k").y.agg(["mean", "std", "first", "nunique"]),
        psub.groupby("k").y.agg(["mean", "std", "first", "nunique"]),
    )
    none, pnone = df[df.x > 1000], pdf[pdf.x > 1000]
    assert_eq(none.groupby("k").y.sum(), pnone.groupby("k").y.sum())


def test_bad_input_messages(pdf):
    df = dd.from_pandas(pdf, npartitions=2)
    with pytest.raises(KeyError, match="did you mean 'k2'"):
        df.groupby("kk2")
    with pytest.raises(KeyError, match="column 'xx' not found; did you mean 'x'"):
        df.groupby("k")["xx"]
    with pytest.raises(AttributeError, match="did you mean 'x'"):
        df.groupby("k").xx  # noqa: B018
    with pytest.raises(ValueError, match=r"unsupported aggregation 'median'.*supported: sum, mean"):
        df.groupby("k").x.agg("median")
    with pytest.raises(ValueError, match=r"unsupported aggregation 'means' \(did you mean 'mean'"):
        df.groupby("k").agg({"x": "means"})
    with pytest.raises(KeyError, match="agg: column 'z' not found"):
        df.groupby("k").agg(t=("z", "sum"))
    with pytest.raises(TypeError, match="must be a \\(column, func\\) tuple"):
        df.groupby("k").agg(t="sum")
    with pytest.raises(TypeError, match="dict is not supported on a selected column"):
        df.groupby("k").x.agg({"x": "sum"})
    with pytest.raises(NotImplementedError, match="level="):
        df.groupby(level=0)
    with pytest.raises(TypeError, match="unsupported keyword arguments"):
        df.groupby("k").x.sum(min_count=2)
    assert "nunique" in SUPPORTED_AGGS


def test_csv_reader_reads_only_grouped_columns(tmp_path, pdf):
    from mpiflow.dataframe.io.projection import project_columns

    path = tmp_path / "data.csv"
    pdf.to_csv(path, index=False)
    df = dd.read_csv(str(path), blocksize=2000)
    for r, cols in [
        (df.groupby("k").x.mean(), ["k", "x"]),
        (df.groupby(["k", "k2"]).agg(t=("y", "sum")), ["k", "k2", "y"]),
        (df.groupby("k")[["x", "y"]].max(), ["k", "x", "y"]),
        (df.groupby("k").size(), ["k"]),
    ]:
        g = project_columns(r.graph, r.__mpiflow_keys__())
        assert sorted(g.layers[df._name].columns) == sorted(cols)
    p = pd.read_csv(path)
    assert_eq(df.groupby("k").x.mean(), p.groupby("k").x.mean())


custom_mean = dd.Aggregation(
    "custom_mean",
    chunk=lambda s: (s.count(), s.sum()),
    agg=lambda count, total: (count.sum(), total.sum()),
    finalize=lambda count, total: total / count,
)
custom_sum = dd.Aggregation("custom_sum", chunk=lambda s: s.sum(), agg=lambda s: s.sum())


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_custom_aggregation(pdf, scheduler):
    df = dd.from_pandas(pdf, npartitions=9)
    g, pg = df.groupby("k"), pdf.groupby("k")
    got = g.y.agg(custom_mean, split_every=2)
    assert_eq(got, pg.y.mean(), scheduler=scheduler, rtol=1e-12)
    got = g.agg({"x": [custom_sum, "max"], "y": custom_mean})
    exp = pg.agg({"x": ["sum", "max"], "y": "mean"})
    exp.columns = pd.MultiIndex.from_tuples(
        [("x", "custom_sum"), ("x", "max"), ("y", "custom_mean")]
    )
    assert_eq(got, exp, rtol=1e-12)
    got = df.groupby(["k", "k2"]).agg(a=("x", custom_sum), b=("y", "std"))
    exp = pdf.groupby(["k", "k2"]).agg(a=("x", "sum"), b=("y", "std"))
    assert_eq(got, exp, rtol=1e-12)
    assert_eq(df.x.groupby(df.k2).agg(custom_sum), pdf.x.groupby(pdf.k2).sum())
    with pytest.raises(NotImplementedError, match="custom dd.Aggregation do not support split_out"):
        g.x.agg(custom_sum, split_out=2)
    with pytest.raises(TypeError, match="chunk must be callable"):
        dd.Aggregation("bad", chunk=1, agg=sum)
    boom = dd.Aggregation("boom", chunk=lambda s: s.nope(), agg=lambda s: s.sum())
    with pytest.raises(ValueError, match="custom aggregation failed on a small fake frame"):
        g.x.agg(boom)
