"""Reductions, folds and take, compared with plain Python."""

from __future__ import annotations

import math
import statistics
import warnings
from collections import Counter
from functools import reduce
from operator import add

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mpiflow.bag as db

ints = st.lists(st.integers(-1000, 1000), max_size=60)
parts = st.integers(min_value=1, max_value=7)
split = st.sampled_from([None, 2, 3])


@settings(max_examples=25, deadline=None)
@given(ints, parts, split)
def test_reductions_match_python(seq, n, split_every):
    b = db.from_sequence(seq, npartitions=n)
    kw = {"split_every": split_every}
    assert b.count(**kw).compute(scheduler="sync") == len(seq)
    assert b.sum(**kw).compute(scheduler="sync") == sum(seq)
    assert b.any(**kw).compute(scheduler="sync") == any(seq)
    assert b.all(**kw).compute(scheduler="threads") == all(seq)
    assert Counter(dict(b.frequencies(**kw).compute(scheduler="sync"))) == Counter(seq)
    assert b.topk(3, **kw).compute(scheduler="sync") == sorted(seq, reverse=True)[:3]
    assert b.distinct().compute(scheduler="sync") == list(dict.fromkeys(seq))
    assert b.reduction(len, sum, **kw).compute(scheduler="sync") == len(seq)
    if seq:
        assert b.min(**kw).compute(scheduler="sync") == min(seq)
        assert b.max(**kw).compute(scheduler="threads") == max(seq)
        assert b.fold(add, **kw).compute(scheduler="sync") == reduce(add, seq)
        assert math.isclose(b.mean(**kw).compute(scheduler="sync"), statistics.fmean(seq))
        assert math.isclose(
            b.var(**kw).compute(scheduler="sync"), statistics.pvariance(seq), abs_tol=1e-6
        )
        assert math.isclose(
            b.std(**kw).compute(scheduler="sync"), statistics.pstdev(seq), abs_tol=1e-6
        )
    if len(seq) > 1:
        assert math.isclose(
            b.var(ddof=1).compute(scheduler="sync"), statistics.variance(seq), abs_tol=1e-6
        )


@settings(max_examples=25, deadline=None)
@given(ints, parts, split)
def test_foldby_matches_python(seq, n, split_every):
    b = db.from_sequence(seq, npartitions=n)
    expected: dict = {}
    for x in seq:
        expected[x % 5] = expected.get(x % 5, 0) + x
    out = b.foldby(lambda x: x % 5, add, split_every=split_every).compute(scheduler="sync")
    assert dict(out) == expected and len(out) == len(expected)
    counts = b.foldby(lambda x: x % 5, lambda acc, x: acc + 1, 0, add, 0)
    assert dict(counts.compute(scheduler="threads")) == Counter(x % 5 for x in seq)
    lists = b.foldby(lambda x: x > 0, lambda acc, x: acc + [x], list, add, list)
    got = {k: sorted(v) for k, v in lists.compute(scheduler="sync")}
    assert got == {k: sorted(x for x in seq if (x > 0) == k) for k in {x > 0 for x in seq}}


def test_foldby_with_getitem_key_and_frequencies_sort():
    b = db.from_sequence([("a", 1), ("b", 2), ("a", 3)], npartitions=2)
    assert sorted(b.foldby(0, lambda acc, x: acc + x[1], 0, add).compute(scheduler="sync")) == [
        ("a", 4),
        ("b", 2),
    ]
    w = db.from_sequence(list("abracadabra"), npartitions=3)
    assert w.frequencies(sort=True).compute(scheduler="sync")[:2] == [("a", 5), ("b", 2)]


def test_fold_with_initial_and_empty_partitions():
    b = db.from_sequence(range(10), npartitions=4).filter(lambda x: x > 7)
    assert b.fold(add).compute(scheduler="sync") == 17
    assert b.fold(add, initial=0).compute(scheduler="sync") == 17
    assert b.min().compute(scheduler="sync") == 8
    assert b.fold(lambda acc, x: acc + [x], add, initial=[]).compute(scheduler="sync") == [8, 9]
    empty = b.filter(lambda x: x > 100)
    with pytest.raises(ValueError, match=r"max\(\) of an empty bag"):
        empty.max().compute(scheduler="sync")
    with pytest.raises(ValueError, match=r"mean\(\) of an empty bag"):
        empty.mean().compute(scheduler="sync")
    assert empty.sum().compute(scheduler="sync") == 0
    assert empty.count().compute(scheduler="sync") == 0


def test_topk_and_distinct_with_keys():
    b = db.from_sequence([("a", 3), ("b", 1), ("c", 7), ("a", 5)], npartitions=3)
    assert b.topk(2, key=1).compute(scheduler="sync") == [("c", 7), ("a", 5)]
    assert b.topk(1, key=lambda t: -t[1]).compute(scheduler="sync") == [("b", 1)]
    assert b.distinct(key=0).compute(scheduler="sync") == [("a", 3), ("b", 1), ("c", 7)]


def test_reduction_tree_depth_and_out_type():
    b = db.from_sequence(range(100), npartitions=20)
    item = b.reduction(sum, sum, split_every=3)
    levels = {k[1] for k in item.dask if len(k) == 3}
    assert levels == {0, 1}  # 20 -> 7 -> 3 -> 1
    assert item.compute(scheduler="sync") == 4950
    bag = b.reduction(
        lambda p: [max(p)], lambda ps: [max(x for p in ps for x in p)], out_type=db.Bag
    )
    assert bag.npartitions == 1 and bag.compute(scheduler="sync") == [99]
    with pytest.raises(ValueError, match="split_every must be at least 2"):
        b.sum(split_every=1)


def test_take():
    b = db.from_sequence(range(10), npartitions=5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert b.take(2, scheduler="sync") == (0, 1)
        assert b.take(5, npartitions=3, scheduler="sync") == (0, 1, 2, 3, 4)
        assert b.take(20, npartitions=-1, scheduler="sync", warn=False) == tuple(range(10))
    with pytest.warns(UserWarning, match=r"take\(3\) found only 2 elements in the first 1 of 5"):
        assert b.take(3, scheduler="sync") == (0, 1)
    lazy = b.take(3, npartitions=2, compute=False)
    assert isinstance(lazy, db.Bag) and lazy.compute(scheduler="sync") == [0, 1, 2]
    with pytest.raises(ValueError, match="npartitions=9 is out of range"):
        b.take(1, npartitions=9)


def test_take_computes_only_the_first_partitions():
    seen = []

    def record(x):
        seen.append(x)
        return x

    b = db.from_sequence(range(100), npartitions=10).map(record)
    assert b.take(3, scheduler="sync") == (0, 1, 2)
    assert max(seen) < 10
