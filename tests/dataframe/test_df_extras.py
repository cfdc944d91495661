"""to_frame, replace, query, eval, sample, explode, prefixes, iloc and iteration."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from dataframe_helpers import SCHEDULERS, assert_eq

import mpiflow.dataframe as dd


@pytest.fixture
def pdf() -> pd.DataFrame:
    return pd.DataFrame({"a": np.arange(12), "b": np.arange(12) % 3, "c": list("xyzw") * 3})


@pytest.fixture
def df(pdf: pd.DataFrame) -> dd.DataFrame:
    return dd.from_pandas(pdf, npartitions=3)


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_query_eval(df, pdf, scheduler: str) -> None:
    assert_eq(df.query("a > 4 and b == 1"), pdf.query("a > 4 and b == 1"), scheduler=scheduler)
    assert_eq(df.eval("a + b"), pdf.eval("a + b"), scheduler=scheduler)
    assert_eq(df.eval("d = a * 2"), pdf.eval("d = a * 2"), scheduler=scheduler)


def test_to_frame_to_series(df, pdf) -> None:
    assert_eq(df.a.to_frame(), pdf.a.to_frame())
    assert_eq(df.a.to_frame("q"), pdf.a.to_frame("q"))
    assert_eq(df.index.to_series(), pdf.index.to_series())
    with pytest.raises(TypeError, match="Series/Index method"):
        df.to_frame()


def test_replace_explode_prefix(df, pdf) -> None:
    assert_eq(df.replace({"c": {"x": "X"}}), pdf.replace({"c": {"x": "X"}}))
    assert_eq(df.b.replace(1, 10), pdf.b.replace(1, 10))
    lists = pd.DataFrame({"k": [[1, 2], [3], []], "v": [1, 2, 3]})
    assert_eq(
        dd.from_pandas(lists, npartitions=2).explode("k"),
        lists.explode("k"),
        check_divisions=False,
    )
    assert_eq(df.add_prefix("p_"), pdf.add_prefix("p_"))
    assert_eq(df.add_suffix("_s"), pdf.add_suffix("_s"))
    with pytest.raises(KeyError, match="Did you mean 'k'"):
        dd.from_pandas(lists, npartitions=1).explode("kk")


def test_sample(df, pdf) -> None:
    a = df.sample(frac=0.5, random_state=3).compute()
    b = df.sample(frac=0.5, random_state=3).compute()
    pd.testing.assert_frame_equal(a, b)
    assert set(a.index) <= set(pdf.index)
    with pytest.raises(ValueError, match="pass frac="):
        df.sample(n=3)


def test_iloc_columns(df, pdf) -> None:
    assert_eq(df.iloc[:, [0, 2]], pdf.iloc[:, [0, 2]])
    assert_eq(df.iloc[:, 1], pdf.iloc[:, 1])
    with pytest.raises(NotImplementedError, match="iloc only selects columns"):
        df.iloc[3]


def test_iteration(df, pdf) -> None:
    assert [t.a for t in df.itertuples()] == pdf.a.tolist()
    assert [i for i, _ in df.iterrows()] == pdf.index.tolist()
    assert [c for c, _ in df.items()] == ["a", "b", "c"]
    assert list(df) == ["a", "b", "c"]
    assert "a" in df and "zz" not in df


def test_top_level_conversions() -> None:
    p = pd.DataFrame(
        {"t": ["2024-01-02", "2024-02-03", "2024-03-04", "2024-04-05"], "n": ["1", "2", "x", "4"]}
    )
    d = dd.from_pandas(p, npartitions=2)
    assert_eq(dd.to_datetime(d.t), pd.to_datetime(p.t))
    # pandas picks int64 or float64 from the data of each partition; the whole result matches
    assert_eq(
        dd.to_numeric(d.n, errors="coerce"),
        pd.to_numeric(p.n, errors="coerce"),
        check_partitions=False,
    )
    secs = pd.Series([1, 2, 3])
    assert_eq(
        dd.to_timedelta(dd.from_pandas(secs, npartitions=2), unit="s"),
        pd.to_timedelta(secs, unit="s"),
    )
    assert_eq(dd.isna(d.n), p.n.isna())
    with pytest.raises(TypeError, match="use pandas.to_datetime"):
        dd.to_datetime(["2024-01-01"])


def test_iterating_series_and_index(df, pdf) -> None:
    assert list(df.a) == pdf.a.tolist()
    assert list(df.index) == pdf.index.tolist()


def test_index_attributes() -> None:
    idx = pd.date_range("2024-01-30", periods=10, freq="D", name="t")
    pdf = pd.DataFrame({"v": range(10)}, index=idx)
    df = dd.from_pandas(pdf, npartitions=3)
    assert_eq(df.index.month, pdf.index.month)
    assert_eq(df.index.day_of_week, pdf.index.day_of_week)
    assert_eq(df.index.normalize(), pdf.index.normalize())
    assert_eq(df.index.strftime("%d"), pdf.index.strftime("%d"))
    assert_eq(df.index.is_month_end, pd.Index(pdf.index.is_month_end, name="t"))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = df.index.nope


def test_categorize(df, pdf) -> None:
    c = df.categorize()
    assert c.c.cat.known and sorted(c.c.cat.categories) == ["w", "x", "y", "z"]
    assert_eq(c, pdf.astype({"c": pd.CategoricalDtype(list(c.c.cat.categories))}))
    only = df.categorize(columns=["b"])
    assert list(only.b.cat.categories) == [0, 1, 2]
    with pytest.raises(KeyError, match="Did you mean 'c'"):
        df.categorize(columns=["cc"])


def test_info(df) -> None:
    import io

    buf = io.StringIO()
    df.info(buf=buf, memory_usage=True)
    text = buf.getvalue()
    assert "Columns: 3 entries, a to c" in text and "int64(2)" in text and "memory usage" in text
    with pytest.raises(TypeError, match="DataFrame method"):
        df.a.info()
