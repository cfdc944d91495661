"""The .str, .dt and .cat accessors compared with pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from dataframe_helpers import SCHEDULERS, assert_eq

import mpiflow.dataframe as dd


@pytest.fixture
def pdf() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "s": pd.array(
                ["Apple", "banana", "fig", "Cherry pie", "date", "Elder"] * 3, dtype="str"
            ),
            "t": pd.date_range("2023-12-30 10:00", periods=18, freq="17h"),
            "d": pd.to_timedelta(np.arange(18), unit="h"),
            "c": pd.Categorical(list("xyzxyzxyzxyzxyzxyz")),
        }
    )


@pytest.fixture
def df(pdf: pd.DataFrame) -> dd.DataFrame:
    return dd.from_pandas(pdf, npartitions=3)


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_str_methods(df, pdf, scheduler: str) -> None:
    assert_eq(df.s.str.upper(), pdf.s.str.upper(), scheduler=scheduler)
    assert_eq(df.s.str.len(), pdf.s.str.len(), scheduler=scheduler)
    assert_eq(df.s.str.contains("an"), pdf.s.str.contains("an"), scheduler=scheduler)


def test_str_more(df, pdf) -> None:
    assert_eq(df.s.str.startswith("b"), pdf.s.str.startswith("b"))
    assert_eq(df.s.str.replace("a", "A"), pdf.s.str.replace("a", "A"))
    assert_eq(df.s.str.slice(0, 2), pdf.s.str.slice(0, 2))
    assert_eq(df.s.str.split(" ", n=1, expand=True), pdf.s.str.split(" ", n=1, expand=True))
    assert_eq(df[df.s.str.lower().str.startswith("c")], pdf[pdf.s.str.lower().str.startswith("c")])


def test_str_with_missing_values() -> None:
    # pandas gives float64 for str.len() of a partition holding NaN and int64 otherwise; the
    # meta (int64, like Dask's) cannot know, so compare the whole result only
    pdf = pd.Series(pd.array(["a", None, "ccc", "dd"], dtype="str"), name="s")
    s = dd.from_pandas(pdf, npartitions=2)
    assert_eq(s.str.len(), pdf.str.len(), check_partitions=False, check_dtype=False)
    assert_eq(s.str.upper(), pdf.str.upper())


def test_dt(df, pdf) -> None:
    assert_eq(df.t.dt.year, pdf.t.dt.year)
    assert_eq(df.t.dt.hour, pdf.t.dt.hour)
    assert_eq(df.t.dt.day_of_week, pdf.t.dt.day_of_week)
    assert_eq(df.t.dt.floor("D"), pdf.t.dt.floor("D"))
    assert_eq(df.t.dt.strftime("%Y-%m"), pdf.t.dt.strftime("%Y-%m"))
    assert_eq(df.d.dt.total_seconds(), pdf.d.dt.total_seconds())


def test_cat(df, pdf) -> None:
    assert_eq(df.c.cat.codes, pdf.c.cat.codes)
    assert list(df.c.cat.categories) == ["x", "y", "z"]
    assert df.c.cat.ordered is False
    assert_eq(
        df.c.cat.rename_categories(["a", "b", "c"]), pdf.c.cat.rename_categories(["a", "b", "c"])
    )


def test_index_accessors() -> None:
    pdf = pd.DataFrame({"v": range(5)}, index=pd.date_range("2024-01-01", periods=5, name="when"))
    df = dd.from_pandas(pdf, npartitions=2)
    assert_eq(df.index.day, pdf.index.day)
    assert_eq(df.v.index, pdf.v.index)
    strs = dd.from_pandas(pd.Series([1, 2], index=pd.Index(["ab", "cd"], dtype="str")), 1)
    assert_eq(strs.index.str.upper(), pd.Index(["AB", "CD"], dtype="str"))


def test_wrong_dtype_errors(df) -> None:
    with pytest.raises(AttributeError, match=r"Can only use \.str accessor with strings.*datetime"):
        _ = df.t.str
    with pytest.raises(AttributeError, match=r"\.dt accessor with datetimes"):
        _ = df.s.dt
    with pytest.raises(AttributeError, match=r"\.cat accessor with categoricals"):
        _ = df.s.cat
    with pytest.raises(AttributeError, match="has no attribute 'nonsense'"):
        _ = df.s.str.nonsense


def test_unknown_categories() -> None:
    pdf = pd.Series(list("bacab"), name="k")
    s = dd.from_pandas(pdf, npartitions=2).astype("category")
    assert s.cat.known is False
    with pytest.raises(AttributeError, match=r"not known without computing.*as_known"):
        _ = s.cat.categories
    k = s.cat.as_known()
    assert k.cat.known and sorted(k.cat.categories) == ["a", "b", "c"]
    decoded = k.cat.codes.map(dict(enumerate(k.cat.categories)))
    assert_eq(decoded, pdf, check_dtype=False, check_names=False)
    assert s.cat.as_known().cat.as_unknown().cat.known is False


def test_str_whole_data_methods_are_refused(df) -> None:
    with pytest.raises(NotImplementedError, match="every partition at once"):
        df.s.str.cat(sep=",")
    with pytest.raises(NotImplementedError, match="every partition at once"):
        df.s.str.get_dummies()
    with pytest.raises(NotImplementedError, match="needs the number of splits n="):
        df.s.str.split(" ", expand=True)
