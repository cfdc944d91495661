"""Hash shuffle and the shuffle-based groupby helpers, against pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from dataframe_helpers import SCHEDULERS, assert_eq, frames, partitionings
from hypothesis import given, settings
from hypothesis import strategies as st

import mpiflow.dataframe as dd
from mpiflow.base import compute
from mpiflow.dataframe.shuffle import (
    groupby_shuffle_apply,
    hash_aggregate,
    partitioning_index,
    shuffle,
    shuffle_by_index_array,
)


def _pdf(n=100):
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {"k": rng.integers(0, 10, n), "s": rng.choice(list("abcde"), n), "v": rng.random(n)},
        index=pd.RangeIndex(n) * 2,
    )


def _parts(x, scheduler="sync"):
    return list(compute(*x.to_delayed(), scheduler=scheduler))


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_shuffle_on_column_groups_keys(scheduler):
    pdf = _pdf()
    df = dd.from_pandas(pdf, npartitions=4)
    out = df.shuffle("k", npartitions=3)
    assert out.npartitions == 3 and not out.known_divisions
    assert_eq(out, pdf, scheduler=scheduler, sort_results=True)
    parts = _parts(out, scheduler)
    seen = [set(p.k) for p in parts]
    for i in range(3):
        for j in range(i + 1, 3):
            assert seen[i].isdisjoint(seen[j])
        assert (partitioning_index(parts[i], "k", 3) == i).all()


def test_shuffle_on_several_columns_index_and_series():
    pdf = _pdf()
    df = dd.from_pandas(pdf, npartitions=5)
    for out in (
        df.shuffle(["k", "s"]),
        df.shuffle(on_index=True),
        df.shuffle(df.k % 3),
        shuffle(df.v, None, 2),
    ):
        expected = pdf if isinstance(out._meta, pd.DataFrame) else pdf.v
        assert_eq(out, expected, sort_results=True)
    parts = _parts(df.shuffle(df.k % 3))
    assert sum(1 for p in parts if len(p)) <= 3


def test_shuffle_ignore_index_and_keeps_row_order_within_partitions():
    pdf = _pdf(60)
    df = dd.from_pandas(pdf, npartitions=3)
    out = df.shuffle("k", ignore_index=True)
    for p in _parts(out):
        assert isinstance(p.index, pd.RangeIndex)
    kept = _parts(df.shuffle("k"))
    for p in kept:
        assert p.index.is_monotonic_increasing


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_staged_shuffle_many_partitions(scheduler):
    pdf = _pdf(400)
    df = dd.from_pandas(pdf, npartitions=40)
    out = df.shuffle("k", npartitions=37, max_branch=4)
    assert out.npartitions == 37
    layer_keys = len(out.graph.layers[out._name])
    assert layer_keys < 40 * 37  # staged: fewer tasks than the n*n picks of one stage
    assert_eq(out, pdf, scheduler=scheduler, sort_results=True)
    for i, p in enumerate(_parts(out, scheduler)):
        assert (partitioning_index(p, "k", 37) == i).all()


@settings(max_examples=20, deadline=None)
@given(data=frames(max_rows=80, min_columns=2), nout=st.integers(1, 6))
def test_shuffle_hypothesis(data, nout):
    part = {"npartitions": min(4, max(1, len(data)))}
    df = dd.from_pandas(data, **part)
    out = df.shuffle(data.columns[0], npartitions=nout)
    assert_eq(out, data, sort_results=True)


@settings(max_examples=15, deadline=None)
@given(data=frames(max_rows=60), part=st.data())
def test_shuffle_hypothesis_partitionings(data, part):
    kw = part.draw(partitionings(len(data)))
    df = dd.from_pandas(data, **kw)
    assert_eq(df.shuffle(on_index=True), data, sort_results=True)


def test_shuffle_by_index_array():
    pdf = pd.DataFrame({"a": range(10)})
    df = dd.from_pandas(pdf, npartitions=3)
    out = shuffle_by_index_array(df, _even_odd, 2)
    parts = _parts(out)
    assert parts[0].a.tolist() == [0, 2, 4, 6, 8] and parts[1].a.tolist() == [1, 3, 5, 7, 9]


def _even_odd(p):
    return (p.a.to_numpy() % 2).astype(np.int64)


def test_shuffle_bad_input():
    df = dd.from_pandas(_pdf(), npartitions=2)
    with pytest.raises(KeyError, match=r"columns \['kk'\] are not in the frame.*did you mean 'k'"):
        df.shuffle("kk")
    with pytest.raises(ValueError, match="npartitions=0 must be a positive integer"):
        df.shuffle("k", npartitions=0)
    with pytest.raises(ValueError, match="max_branch=1 must be at least 2"):
        df.shuffle("k", max_branch=1)
    other = dd.from_pandas(_pdf(), npartitions=3)
    with pytest.raises(
        ValueError, match="on= is a collection with 3 partitions but the frame has 2"
    ):
        df.shuffle(other.k)
    with pytest.raises(ValueError, match="only 'tasks' exists"):
        df.shuffle("k", shuffle_method="weird")


# -- groupby helpers -------------------------------------------------------------------------


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_groupby_shuffle_transform(scheduler):
    pdf = _pdf()
    df = dd.from_pandas(pdf, npartitions=4)
    meta = pd.Series([], dtype=float, name="v")
    out = groupby_shuffle_apply(df, "k", _demean, meta=meta, how="transform", selection="v")
    expected = pdf.groupby("k").v.transform(lambda v: v - v.mean())
    assert_eq(out, expected, scheduler=scheduler, sort_results=True)


def _demean(v):
    return v - v.mean()


def test_groupby_shuffle_apply_with_series_key_and_kwargs():
    pdf = _pdf()
    df = dd.from_pandas(pdf, npartitions=4)
    key = df.k % 3
    meta = pd.Series([], dtype=float, name="v")
    out = groupby_shuffle_apply(
        df,
        [key],
        _top,
        kwargs={"n": 2},
        meta=meta,
        groupby_kwargs={"group_keys": False},
        selection="v",
    )
    expected = pdf.groupby(pdf.k % 3, group_keys=False).v.apply(_top, n=2)
    assert_eq(out, expected, sort_results=True)


def _top(v, n):
    return v.nlargest(n)


def test_groupby_shuffle_empty_partitions_and_key_names():
    pdf = pd.DataFrame({"k": [1, 1, 1, 1], "v": [1.0, 2.0, 3.0, 4.0]})
    df = dd.from_pandas(pdf, npartitions=2)
    meta = pd.Series([], dtype=float, name="v")
    out = groupby_shuffle_apply(
        df, "k", _demean, meta=meta, how="transform", selection="v", npartitions=4
    )  # three of the four outputs are empty
    assert_eq(out, pdf.groupby("k").v.transform(_demean), sort_results=True)
    key = df.k.rename("key")
    expected = pdf.groupby(pdf.k.rename("key")).v.apply(_first_two)
    res = groupby_shuffle_apply(df, key, _first_two, meta=expected.iloc[:0], selection="v")
    got = res.compute()
    assert got.index.names == expected.index.names
    assert_eq(res, expected, sort_results=True)


def _first_two(v):
    return v.head(2)


def test_groupby_shuffle_apply_bad_how():
    df = dd.from_pandas(_pdf(), npartitions=2)
    with pytest.raises(ValueError, match="how='map' must be 'apply' or 'transform'"):
        groupby_shuffle_apply(df, "k", _demean, meta=None, how="map")


def test_hash_aggregate_split_out():
    pdf = _pdf()
    df = dd.from_pandas(pdf, npartitions=4)
    meta = pd.Series([], dtype=float, name="v", index=pd.Index([], dtype="int64", name="k"))
    partial = df.map_partitions(lambda p: p.groupby("k").v.sum(), meta=meta)
    out = hash_aggregate(partial, _sum_level0, 3, meta=meta)
    assert out.npartitions == 3
    assert_eq(out, pdf.groupby("k").v.sum(), sort_results=True)
    idx = [set(p.index) for p in _parts(out)]
    assert idx[0].isdisjoint(idx[1]) and idx[1].isdisjoint(idx[2])
    with pytest.raises(ValueError, match="split_out=0 must be a positive integer"):
        hash_aggregate(partial, _sum_level0, 0, meta=pd.Series([], dtype=float))


def _sum_level0(s):
    return s.groupby(level=0).sum()
