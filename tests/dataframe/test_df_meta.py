"""make_meta, meta_nonempty, emulate and check_meta."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mpiflow.dataframe.meta import (
    check_meta,
    closest_name,
    emulate,
    make_meta,
    meta_nonempty,
    no_default,
)


def _all_dtypes() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "i8": pd.Series([1], dtype="i8"),
            "I64": pd.Series([1], dtype="Int64"),
            "b": pd.Series([True], dtype="boolean"),
            "bool": [True],
            "F": pd.Series([1.0], dtype="Float64"),
            "cat": pd.Categorical(["a"]),
            "tz": pd.to_datetime(["2020-01-01"]).tz_localize("UTC"),
            "per": pd.period_range("2020", periods=1, freq="M"),
            "iv": pd.interval_range(0, 1),
            "td": pd.to_timedelta([1], unit="s"),
            "sp": pd.Series(["x"], dtype="string[python]"),
            "s": pd.Series(["x"], dtype="str"),
            "o": pd.Series([{"a": 1}], dtype=object),
            "u1": pd.Series([1], dtype="u1"),
            "f4": pd.Series([1], dtype="f4"),
            "c16": pd.Series([1j]),
            "dt_s": pd.Series(pd.to_datetime(["2020-01-01"])).astype("datetime64[s]"),
        }
    )


def test_meta_nonempty_keeps_every_dtype() -> None:
    df = _all_dtypes()
    meta = make_meta(df)
    assert len(meta) == 0
    fake = meta_nonempty(meta)
    assert len(fake) == 2
    pd.testing.assert_series_equal(fake.dtypes, df.dtypes)
    for c in df.columns:
        s = meta_nonempty(meta[c])
        assert s.dtype == df[c].dtype and s.name == c


@pytest.mark.parametrize(
    "index",
    [
        pd.MultiIndex.from_tuples([(1, "a")], names=["x", "y"]),
        pd.CategoricalIndex(["a"], name="c"),
        pd.DatetimeIndex(["2020-01-01"], tz="US/Eastern", name="t"),
        pd.Index(["a"], dtype="str"),
        pd.TimedeltaIndex([1]),
        pd.PeriodIndex(["2020-01"], freq="M"),
        pd.Index([1.5]),
        pd.RangeIndex(1, name="r"),
    ],
    ids=lambda i: type(i).__name__,
)
def test_meta_nonempty_index(index: pd.Index) -> None:
    s = pd.Series([1], index=index)
    fake = meta_nonempty(make_meta(s))
    assert type(fake.index) is type(index)
    assert fake.index.dtype == index.dtype
    assert list(fake.index.names) == list(index.names)
    assert meta_nonempty(index[:0]).dtype == index.dtype


def test_make_meta_forms() -> None:
    m = make_meta({"a": "i8", "b": "f8"})
    assert list(m.columns) == ["a", "b"] and list(m.dtypes) == [np.int64, np.float64]
    assert make_meta([("a", "i4")]).dtypes.tolist() == [np.int32]
    s = make_meta(("x", "f4"))
    assert isinstance(s, pd.Series) and s.name == "x" and s.dtype == np.float32
    idx = pd.Index([], dtype="i8", name="k")
    assert make_meta({"a": "f8"}, index=idx).index.name == "k"
    assert make_meta("f8") == np.float64(1.0)
    assert make_meta(3) == 3
    assert make_meta(np.arange(3)) == np.int64(1)
    assert make_meta(pd.Index([1, 2])).dtype == np.int64
    assert repr(no_default) == "<no_default>"


def test_emulate_and_errors() -> None:
    meta = make_meta({"a": "i8"})
    out = emulate(lambda d: d.assign(b=d.a / 2), meta)
    assert out.dtypes.to_dict() == {"a": np.dtype("i8"), "b": np.dtype("f8")}

    def broken(d):
        raise RuntimeError("boom")

    with pytest.raises(ValueError, match=r"(?s)Metadata inference failed in `broken`.*boom.*meta="):
        emulate(broken, meta, udf=True)
    with pytest.raises(ValueError, match="not supported for these dtypes"):
        emulate(broken, meta)
    assert emulate(
        lambda d, name: d.rename(columns={"a": name}), meta, func_kwargs={"name": "z"}
    ).columns.tolist() == ["z"]


def test_check_meta_messages() -> None:
    meta = make_meta({"a": "i8", "b": "f8"})
    good = pd.DataFrame({"a": [1], "b": [1.0]})
    assert check_meta(good, meta) is good
    with pytest.raises(ValueError, match=r"(?s)result of `f` do not match.*\| b .*\| c ") as e:
        check_meta(pd.DataFrame({"a": [1], "c": [1.0]}), meta, "f")
    assert "Expected: a: int64, b: float64" in str(e.value)
    with pytest.raises(ValueError, match=r"(?s)\| a +\| float64 +\| int64"):
        check_meta(pd.DataFrame({"a": [1.0], "b": [1.0]}), meta, "f")
    with pytest.raises(ValueError, match="is a Series, but meta says DataFrame"):
        check_meta(pd.Series([1]), meta, "g")
    with pytest.raises(ValueError, match="expected int64, found float64"):
        check_meta(pd.Series([1.0]), make_meta(("x", "i8")), "h")
    # strings stored as object or str, and categoricals with other categories, are accepted
    check_meta(pd.Series(["x"], dtype=object), make_meta(("s", "str")))
    check_meta(pd.Series(["x"], dtype="category"), pd.Series([], dtype="category"))


def test_closest_name() -> None:
    assert (
        closest_name("fare_amout", ["fare_amount", "tip_amount"]) == " Did you mean 'fare_amount'?"
    )
    assert closest_name("zzz", ["a", "b"]) == ""
