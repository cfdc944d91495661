"""The pandas-level kernels of shuffle, repartition, sorting, merge and rolling (no graphs)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mpiflow.dataframe.merge import _check_key_dtypes, _merge_meta, merge_chunk
from mpiflow.dataframe.merge_kernels import prepare_for_merge
from mpiflow.dataframe.repartition import _interpolated_divisions, loc_range
from mpiflow.dataframe.rolling import _after_rows, _before_rows, _before_time, rolling_chunk
from mpiflow.dataframe.shuffle import (
    _shuffle_layer,
    _stages,
    concat_pieces,
    hash_split,
    partitioning_index,
    split_by_partition,
)
from mpiflow.dataframe.sorting import (
    bin_by_divisions,
    divisions_from_summaries,
    partition_summary,
)
from mpiflow.local import get_sync

# -- hashing and splitting ----------------------------------------------------------------


def test_partitioning_index_same_key_same_partition_across_frames():
    a = pd.DataFrame({"k": [1, 2, 3, 4, 5], "x": range(5)})
    b = pd.DataFrame({"k": [5, 4, 3, 2, 1]})
    pa = partitioning_index(a, "k", 7)
    pb = partitioning_index(b, "k", 7)
    assert pa.tolist() == pb[::-1].tolist()
    assert pa.dtype == np.int64 and ((pa >= 0) & (pa < 7)).all()


def test_partitioning_index_cast_makes_int32_and_int64_agree():
    a = pd.DataFrame({"k": np.array([1, 2, 3], dtype="int64")})
    b = pd.DataFrame({"k": np.array([1, 2, 3], dtype="int32")})
    assert (
        partitioning_index(a, "k", 16, cast=np.int64).tolist()
        == partitioning_index(b, "k", 16, cast=np.int64).tolist()
    )


def test_partitioning_index_index_vs_column_and_multi_keys():
    df = pd.DataFrame({"k": ["a", "b", "c"], "j": [1, 2, 3]})
    by_col = partitioning_index(df, "k", 5)
    by_index = partitioning_index(df.set_index("k"), None, 5)
    assert by_col.tolist() == by_index.tolist()
    two = partitioning_index(df, ["k", "j"], 5)
    two_idx = partitioning_index(df.set_index(["k", "j"]), None, 5)
    assert two.tolist() == two_idx.tolist()
    # string dtypes: object and str hash alike
    obj = pd.DataFrame({"k": pd.Series(["a", "b", "c"], dtype=object)})
    assert partitioning_index(obj, "k", 5).tolist() == by_col.tolist()


def test_partitioning_index_categorical_hashes_as_values():
    df = pd.DataFrame({"k": ["x", "y", "x"]})
    cat = df.astype({"k": "category"})
    assert partitioning_index(df, "k", 4).tolist() == partitioning_index(cat, "k", 4).tolist()


def test_split_by_partition_keeps_order_and_handles_empty():
    s = pd.Series(range(10))
    pid = np.array([2, 0, 2, 1, 0, 0, 2, 1, 1, 0])
    parts = split_by_partition(s, pid, 4)
    assert [p.tolist() for p in parts] == [[1, 4, 5, 9], [3, 7, 8], [0, 2, 6], []]
    empty = split_by_partition(s.iloc[:0], np.array([], dtype=np.int64), 3)
    assert [len(p) for p in empty] == [0, 0, 0]
    assert split_by_partition(s, pid, 1)[0] is s


def test_split_many_partitions_uses_wide_ids():
    s = pd.Series(range(1000))
    pid = np.arange(1000) % 300
    parts = split_by_partition(s, pid, 300)
    assert len(parts) == 300 and all(len(p) in (3, 4) for p in parts)


def test_concat_pieces_skips_empties():
    a = pd.DataFrame({"x": [1]})
    e = a.iloc[:0]
    assert concat_pieces([e, a, e]) is a
    assert len(concat_pieces([e, e])) == 0
    assert concat_pieces([a, a], ignore_index=True).index.tolist() == [0, 1]


@settings(max_examples=25, deadline=None)
@given(
    n_in=st.integers(1, 12),
    n_out=st.integers(1, 12),
    max_branch=st.integers(2, 6),
    keys=st.lists(st.integers(-5, 40), min_size=0, max_size=80),
)
def test_staged_shuffle_layer_moves_every_row_once(n_in, n_out, max_branch, keys):
    df = pd.DataFrame({"k": keys, "v": range(len(keys))})
    b = np.linspace(0, len(df), n_in + 1).astype(int)
    dsk = {("x", i): df.iloc[b[i] : b[i + 1]] for i in range(n_in)}
    dsk.update(
        _shuffle_layer("s", "x", n_in, n_out, ["k"], None, None, df.iloc[:0], max_branch, False)
    )
    out = get_sync(dsk, [("s", i) for i in range(n_out)])
    pd.testing.assert_frame_equal(pd.concat(out).sort_values("v"), df, check_index_type=False)
    for i, part in enumerate(out):
        assert (partitioning_index(part, "k", n_out) == i).all()


def test_stages_counts():
    assert _stages(10, 32) == (1, 10)
    s, k = _stages(100, 32)
    assert s == 2 and k**s >= 100 and k <= 32
    s, k = _stages(5000, 32)
    assert s == 3 and k**3 >= 5000


def test_hash_split_numpy_free_of_python_loops_on_big_input():
    df = pd.DataFrame({"k": np.arange(200_000) % 997})
    parts = hash_split(df, "k", 8)
    assert sum(map(len, parts)) == len(df)


# -- repartition ---------------------------------------------------------------------------


def test_loc_range_sorted_and_unsorted():
    s = pd.Series(range(6), index=[0, 1, 2, 3, 4, 5])
    assert loc_range(s, 2, 4, False).tolist() == [2, 3]
    assert loc_range(s, 2, 4, True).tolist() == [2, 3, 4]
    assert loc_range(s, None, 1, False).tolist() == [0]
    u = pd.Series(range(4), index=[3, 0, 2, 1])
    assert loc_range(u, 1, 3, False).tolist() == [2, 3]


def test_interpolated_divisions():
    assert _interpolated_divisions((0, 10), 2) == (0, 5, 10)
    assert _interpolated_divisions((0, 1), 4) == (0, 1)  # too few integers: fewer cuts
    ts = (pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-03"))
    assert _interpolated_divisions(ts, 2)[1] == pd.Timestamp("2024-01-02")
    assert _interpolated_divisions(("a", "z"), 3) is None


# -- sorting -------------------------------------------------------------------------------


def test_partition_summary_and_divisions():
    s1 = partition_summary(pd.Series(np.arange(1000)), 16)
    s2 = partition_summary(pd.Series(np.arange(1000, 3000)), 16)
    divs = divisions_from_summaries([s1, s2], 3)
    assert divs[0] == 0 and divs[-1] == 2999 and len(divs) == 4
    assert 900 <= divs[1] <= 1100 and 1900 <= divs[2] <= 2100
    assert divisions_from_summaries([partition_summary(pd.Series([], dtype=float), 4)], 2) == (
        None,
        None,
    )
    strs = partition_summary(pd.Series(list("dacb")), 4)
    assert divisions_from_summaries([strs], 2) == ("a", "b", "d")
    same = partition_summary(pd.Series([7, 7, 7]), 4)
    assert divisions_from_summaries([same], 3) == (7, 7)


def test_partition_summary_samples_big_partitions():
    n, lo, hi, q = partition_summary(pd.Series(np.arange(300_000)), 5)
    assert (n, lo, hi) == (300_000, 0, 299_999) and len(q) == 5


def test_bin_by_divisions_directions_and_nulls():
    v = pd.Series([0.0, 4.9, 5.0, 10.0, np.nan])
    assert bin_by_divisions(v, (0, 5, 10)).tolist() == [0, 0, 1, 1, 1]
    assert bin_by_divisions(v, (0, 5, 10), ascending=False).tolist() == [1, 1, 0, 0, 1]
    assert bin_by_divisions(v, (0, 5, 10), na_last=False).tolist() == [0, 0, 1, 1, 0]
    d = pd.Series(pd.to_datetime(["2024-01-01", "2024-02-01"]))
    assert bin_by_divisions(d, (d[0], pd.Timestamp("2024-01-15"), d[1])).tolist() == [0, 1]


# -- merge ---------------------------------------------------------------------------------


def test_merge_chunk_conforms_to_meta():
    left = pd.DataFrame({"k": [1, 2], "x": [1, 2]})
    right = pd.DataFrame({"k": [1, 2], "y": [5, 6]})
    meta = _merge_meta(left.iloc[:0], right.iloc[:0], {"how": "left", "on": ["k"]})
    assert meta.dtypes["y"] == np.float64  # may miss values
    out = merge_chunk(left, right, meta, how="left", on=["k"])
    assert out.dtypes["y"] == np.float64 and out.y.tolist() == [5.0, 6.0]


def test_merge_meta_outer_promotes_both_sides():
    left = pd.DataFrame({"a": [1], "x": [True]}).iloc[:0]
    right = pd.DataFrame({"b": [1], "y": [2]}).iloc[:0]
    meta = _merge_meta(left, right, {"how": "outer", "left_on": ["a"], "right_on": ["b"]})
    assert meta.dtypes["y"] == np.float64 and meta.dtypes["b"] == np.float64
    assert meta.dtypes["x"].kind == "O"


def test_check_key_dtypes_messages():
    lf = pd.DataFrame({"a": pd.Series([], dtype="int64")})
    r = pd.DataFrame({"b": pd.Series([], dtype=object)})
    with pytest.raises(
        ValueError,
        match=r"left 'a' is int64, right 'b' is object.*"
        r"right\['b'\] = right\['b'\]\.astype\('int64'\)",
    ):
        _check_key_dtypes(lf, r, ["a"], ["b"])
    r32 = pd.DataFrame({"b": pd.Series([], dtype="int32")})
    assert _check_key_dtypes(lf, r32, ["a"], ["b"]) == [np.dtype("int64")]
    with pytest.raises(ValueError, match="joins on 1 keys"):
        _check_key_dtypes(lf, pd.DataFrame({"b": [], "c": []}), ["a"], ["b", "c"])


def test_merge_chunk_leftsemi():
    left = pd.DataFrame({"k": [1, 2, 3]})
    right = pd.DataFrame({"k": [1, 1, 3], "y": [0, 0, 0]})
    assert merge_chunk(left, right, how="leftsemi", on="k").k.tolist() == [1, 3]


# -- rolling -------------------------------------------------------------------------------


def test_neighbour_rows():
    a = pd.Series([1, 2])
    b = pd.Series([3])
    first = _before_rows(None, a, 3)
    assert first.tolist() == [1, 2]
    assert _before_rows(first, b, 3).tolist() == [1, 2, 3]
    assert _before_rows(first, b, 0).tolist() == []
    assert _after_rows(b, a, 2).tolist() == [3, 1]


def test_before_time_and_rolling_chunk_match_pandas():
    idx = pd.date_range("2024", periods=10, freq="s")
    s = pd.Series(np.arange(10.0), index=idx)
    p0, p1 = s.iloc[:6], s.iloc[6:]
    before = _before_time(None, p0, p1, pd.Timedelta("2s"))
    assert before.index[0] >= idx[6] - pd.Timedelta("2s")
    got = rolling_chunk(before, p1, None, {"window": "2s"}, "sum", (), {})
    pd.testing.assert_series_equal(got, s.rolling("2s").sum().iloc[6:])


@settings(max_examples=25, deadline=None)
@given(
    lk=st.lists(st.integers(-3, 12), max_size=40),
    rk=st.lists(st.integers(-2, 14), max_size=25),
    how=st.sampled_from(["inner", "left"]),
    spread=st.sampled_from([1, 10**9]),
)
def test_numpy_join_equals_pandas_merge_exactly(lk, rk, how, spread):
    left = pd.DataFrame({"k": np.asarray(lk, dtype=np.int64) * spread, "x": np.arange(len(lk))})
    right = pd.DataFrame(
        {"k": np.asarray(rk, dtype=np.int64) * spread, "x": np.arange(len(rk)) * 1.5, "b": True}
    )
    expected = pd.merge(left, right, on="k", how=how)
    got = merge_chunk(left, right, how=how, on="k")
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    prepared = prepare_for_merge(right, {"how": how, "on": ["k"]})
    again = merge_chunk(left, prepared, how=how, on=["k"])
    pd.testing.assert_frame_equal(again, expected, check_dtype=False)
