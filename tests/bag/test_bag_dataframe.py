"""Bag.to_dataframe compared with pandas, and its meta errors."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mpiflow.bag as db

records = st.lists(
    st.builds(lambda a, b: {"a": a, "b": b}, st.integers(-100, 100), st.floats(-1e6, 1e6)),
    min_size=1,
    max_size=30,
)


def expected_frame(recs: list, sizes: list) -> pd.DataFrame:
    """pandas' frame of ``recs`` with a RangeIndex restarting in every partition."""
    parts, start = [], 0
    for n in sizes:
        parts.append(pd.DataFrame(recs[start : start + n], columns=["a", "b"]))
        start += n
    return pd.concat(parts)


@settings(max_examples=12, deadline=None)
@given(records, st.integers(min_value=1, max_value=5))
def test_records_match_pandas(recs, n):
    b = db.from_sequence(recs, npartitions=n)
    df = b.to_dataframe()
    assert df.npartitions == b.npartitions
    assert list(df.columns) == ["a", "b"]
    assert df.divisions == (None,) * (b.npartitions + 1)
    sizes = [len(p.compute(scheduler="sync")) for p in b.to_delayed()]
    got = df.compute(scheduler="sync")
    pd.testing.assert_frame_equal(got, expected_frame(recs, sizes).astype(got.dtypes))
    assert df.a.sum().compute(scheduler="sync") == sum(r["a"] for r in recs)


@pytest.mark.parametrize("scheduler", ["sync", "threads", "processes"])
def test_tuples_with_columns_and_meta(scheduler):
    b = db.from_sequence([(i, str(i)) for i in range(6)], npartitions=3)
    df = b.to_dataframe(columns=["n", "s"])
    out = (
        df.compute(scheduler=scheduler, num_workers=2)
        if scheduler == "processes"
        else (df.compute(scheduler=scheduler))
    )
    assert out.n.tolist() == list(range(6)) and out.s.tolist() == [str(i) for i in range(6)]
    meta = pd.DataFrame({"n": pd.Series([], dtype="float64"), "s": pd.Series([], dtype=object)})
    df2 = b.to_dataframe(meta=meta)
    assert df2.dtypes["n"] == "float64"
    assert df2.compute(scheduler="sync").n.tolist() == [float(i) for i in range(6)]


def test_fused_with_the_bag_pipeline():
    b = db.from_sequence(range(10), npartitions=2).map(lambda x: {"x": x, "sq": x * x})
    df = b.filter(lambda r: r["x"] % 2).to_dataframe(meta={"x": "int64", "sq": "int64"})
    assert df.sq.sum().compute(scheduler="sync") == sum(x * x for x in range(10) if x % 2)


def test_meta_mismatch_errors():
    b = db.from_sequence([{"a": 1, "b": 2}, {"a": 3, "c": 4}], npartitions=2)
    with pytest.raises(ValueError, match=r"partition 1 .*missing \['b'\], unexpected \['c'\]"):
        b.to_dataframe(meta={"a": "int64", "b": "int64"}).compute(scheduler="sync")
    t = db.from_sequence([(1, 2), (3,)], npartitions=2)
    with pytest.raises(ValueError, match=r"records of length \[1\] but meta has 2 columns"):
        t.to_dataframe(columns=["x", "y"]).compute(scheduler="sync")
    s = db.from_sequence([{"a": 1}, {"a": "text"}], npartitions=2)
    with pytest.raises(ValueError, match=r"column 'a' of partition 1 .* cannot be made int64"):
        s.to_dataframe().compute(scheduler="sync")
    with pytest.raises(ValueError, match="disagrees with meta"):
        b.to_dataframe(meta={"a": "int64"}, columns=["z"])
    with pytest.raises(ValueError, match="bag is empty"):
        db.from_sequence([]).to_dataframe()
