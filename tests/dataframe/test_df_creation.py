"""Creating frames (from_dict, from_delayed, from_array) and converting them back."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from dataframe_helpers import SCHEDULERS, assert_eq
from hypothesis import given, settings
from hypothesis import strategies as st

import mpiflow.array as da
import mpiflow.dataframe as dd
from mpiflow.delayed import Delayed, delayed


def test_from_dict() -> None:
    data = {"a": [3, 1, 2, 5], "b": list("wxyz")}
    assert_eq(dd.from_dict(data, npartitions=2), pd.DataFrame(data))
    rows = {"r1": {"a": 1}, "r2": {"a": 2}}
    assert_eq(
        dd.from_dict(rows, npartitions=1, orient="index"),
        pd.DataFrame.from_dict(rows, orient="index"),
    )


def _part(i: int) -> pd.DataFrame:
    return pd.DataFrame({"a": [i, i + 1], "b": [0.5 * i, 1.0]}, index=[2 * i, 2 * i + 1])


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_from_delayed(scheduler: str) -> None:
    parts = [delayed(_part)(i) for i in range(3)]
    expected = pd.concat([_part(i) for i in range(3)])
    df = dd.from_delayed(parts, meta=expected.iloc[:0])
    assert df.npartitions == 3 and not df.known_divisions
    assert_eq(df, expected, scheduler=scheduler)
    df2 = dd.from_delayed(parts, meta={"a": "i8", "b": "f8"}, divisions=(0, 2, 4, 5))
    assert df2.known_divisions
    assert_eq(df2, expected, scheduler=scheduler)


def test_from_delayed_infers_meta_and_verifies() -> None:
    parts = [delayed(_part)(i) for i in range(2)]
    df = dd.from_delayed(parts)
    assert list(df.columns) == ["a", "b"]
    bad = dd.from_delayed(parts, meta={"a": "i8", "c": "f8"})
    with pytest.raises(ValueError, match=r"result of `from_delayed` do not match") as e:
        bad.compute(scheduler="sync")
    assert "c: float64" in str(e.value) and "b: float64" in str(e.value)
    unchecked = dd.from_delayed(parts, meta={"a": "i8", "c": "f8"}, verify_meta=False)
    assert list(unchecked.compute(scheduler="sync").columns) == ["a", "b"]
    with pytest.raises(TypeError, match="expects Delayed objects"):
        dd.from_delayed([_part(0)])
    with pytest.raises(ValueError, match="divisions must have"):
        dd.from_delayed(parts, meta={"a": "i8"}, divisions=(0, 1))


def test_from_array_numpy() -> None:
    x = np.arange(12.0).reshape(6, 2)
    df = dd.from_array(x, chunksize=4, columns=["p", "q"])
    assert df.divisions == (0, 4, 5)
    assert_eq(df, pd.DataFrame(x, columns=["p", "q"]))
    s = dd.from_array(np.arange(5), chunksize=2, columns="v")
    assert_eq(s, pd.Series(np.arange(5), name="v"))
    rec = np.array([(1, 2.0), (3, 4.0)], dtype=[("i", "i8"), ("f", "f8")])
    assert_eq(dd.from_array(rec), pd.DataFrame.from_records(rec))
    with pytest.raises(ValueError, match="1-D or 2-D"):
        dd.from_array(np.zeros((2, 2, 2)))


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_from_array_mpiflow(scheduler: str) -> None:
    x = da.from_array(np.arange(20.0).reshape(10, 2), chunks=(4, 1))
    df = dd.from_array(x, columns=["a", "b"])
    assert df.npartitions == 3
    assert df.divisions == (0, 4, 8, 9)
    assert_eq(
        df, pd.DataFrame(np.arange(20.0).reshape(10, 2), columns=["a", "b"]), scheduler=scheduler
    )
    s = dd.from_array(da.arange(7, chunks=3))
    assert_eq(s, pd.Series(np.arange(7)))


def test_to_delayed(scheduler: str = "sync") -> None:
    pdf = pd.DataFrame({"a": range(6)})
    df = dd.from_pandas(pdf, npartitions=3)
    parts = (df.a + 1).to_delayed()
    assert len(parts) == 3 and all(isinstance(p, Delayed) for p in parts)
    assert parts[2].compute().tolist() == [5, 6]
    raw = df.to_delayed(optimize_graph=False)
    assert raw[0].compute().a.tolist() == [0, 1]
    back = dd.from_delayed(parts, meta=("a", "i8"))
    assert_eq(back, pdf.a + 1, check_divisions=False)


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_to_array(scheduler: str) -> None:
    pdf = pd.DataFrame({"a": range(7), "b": np.linspace(0, 1, 7)})
    df = dd.from_pandas(pdf, npartitions=3)
    x = df.to_array()
    assert np.isnan(x.chunks[0][0]) and x.chunks[1] == (2,)
    np.testing.assert_allclose(x.compute(scheduler=scheduler), pdf.to_numpy())
    y = df.to_array(lengths=True)
    assert y.chunks == ((3, 3, 1), (2,))
    np.testing.assert_allclose(y.sum(axis=0).compute(scheduler=scheduler), pdf.to_numpy().sum(0))
    z = df.a.to_dask_array(lengths=[3, 3, 1])
    assert z.chunks == ((3, 3, 1),) and z.dtype == np.int64
    np.testing.assert_array_equal(df.a.values.compute(scheduler=scheduler), pdf.a.to_numpy())
    with pytest.raises(ValueError, match="lengths has 2 entries"):
        df.to_array(lengths=[1, 2])


def test_memory_usage() -> None:
    pdf = pd.DataFrame({"a": range(8), "b": np.ones(8)})
    df = dd.from_pandas(pdf, npartitions=2)
    assert_eq(df.memory_usage(index=False), pdf.memory_usage(index=False))
    assert df.a.memory_usage(index=False).compute() == pdf.a.memory_usage(index=False)
    assert df.memory_usage_per_partition(index=False).compute().tolist() == [64, 64]
    assert "Index" in df.memory_usage().compute().index


def test_from_delayed_sorted_divisions() -> None:
    parts = [delayed(_part)(i) for i in range(3)]
    df = dd.from_delayed(parts, meta={"a": "i8", "b": "f8"}, divisions="sorted")
    assert df.divisions == (0, 2, 4, 5)
    overlapping = [delayed(_part)(0), delayed(_part)(0)]
    with pytest.raises(ValueError, match="partition 1 starts at 0, not after the end"):
        dd.from_delayed(overlapping, meta={"a": "i8", "b": "f8"}, divisions="sorted")
    with pytest.raises(ValueError, match="pass a tuple or 'sorted'"):
        dd.from_delayed(parts, meta={"a": "i8", "b": "f8"}, divisions="nope")


def test_len_without_computing_for_data_in_memory() -> None:
    df = dd.from_pandas(pd.DataFrame({"a": range(11)}), npartitions=3)
    assert len(df) == 11
    assert len(df.persist(scheduler="sync")) == 11
    assert len(df[df.a > 3]) == 7


@settings(max_examples=25, deadline=None)
@given(
    values=st.lists(st.integers(0, 20), min_size=1, max_size=80),
    chunksize=st.integers(1, 30),
)
def test_sorted_division_locations_properties(values: list, chunksize: int) -> None:
    from mpiflow.dataframe.creation import sorted_division_locations

    index = pd.Index(sorted(values))
    nparts = -(-len(index) // chunksize)
    for limit in (None, nparts):
        divisions, locs = sorted_division_locations(index, chunksize, limit)
        assert locs[0] == 0 and locs[-1] == len(index)
        assert all(a < b for a, b in zip(locs, locs[1:], strict=False))
        for p in locs[1:-1]:
            assert index[p - 1] != index[p]  # equal labels never straddle partitions
        assert divisions == [index[p] for p in locs[:-1]] + [index[-1]]
        assert len(divisions) == len(locs)
        if limit is not None:
            assert len(locs) - 1 <= limit


@settings(max_examples=20, deadline=None)
@given(values=st.lists(st.integers(-5, 5), min_size=0, max_size=60), n=st.integers(1, 7))
def test_from_pandas_random_duplicated_index(values: list, n: int) -> None:
    pdf = pd.DataFrame({"v": range(len(values))}, index=values)
    df = dd.from_pandas(pdf, npartitions=n)
    assert df.npartitions <= max(n, 1)
    assert_eq(df, pdf.sort_index())
