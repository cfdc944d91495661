"""groupby (hash shuffle), join, product, accumulate, repartition."""

from __future__ import annotations

import itertools
from operator import add, mul

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mpiflow.bag as db
from mpiflow.bag.shuffle import stable_hash

words = st.lists(st.sampled_from(["a", "bb", "c", "dd", "e", 1, 2, (1, "x")]), max_size=40)
parts = st.integers(min_value=1, max_value=6)


def partitions(b: db.Bag) -> list:
    return [p.compute(scheduler="sync") for p in b.to_delayed()]


def python_groupby(seq, key):
    out: dict = {}
    for x in seq:
        out.setdefault(key(x), []).append(x)
    return out


@settings(max_examples=25, deadline=None)
@given(words, parts, st.integers(min_value=1, max_value=5))
def test_groupby_matches_python(seq, n, nout):
    b = db.from_sequence(seq, npartitions=n)
    g = b.groupby(lambda x: str(x)[:1], npartitions=nout)
    assert g.npartitions == nout
    out = g.compute(scheduler="sync")
    assert len(out) == len({k for k, _ in out})  # every key in one partition only
    expected = python_groupby(seq, lambda x: str(x)[:1])
    assert {k: v for k, v in out} == expected  # order within a group is kept


def test_groupby_by_item_key_under_threads():
    b = db.from_sequence([{"k": i % 3, "v": i} for i in range(12)], npartitions=4)
    out = dict(b.groupby("k").compute(scheduler="threads"))
    assert {k: [d["v"] for d in v] for k, v in out.items()} == {
        0: [0, 3, 6, 9],
        1: [1, 4, 7, 10],
        2: [2, 5, 8, 11],
    }


def test_stable_hash_is_the_same_in_another_process():
    import os
    import subprocess
    import sys

    code = "from mpiflow.bag.shuffle import stable_hash; print(stable_hash(('word', 3, b'x')))"
    env = dict(os.environ, PYTHONHASHSEED="123")
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert int(out.stdout) == stable_hash(("word", 3, b"x"))
    assert stable_hash(("a", 1)) == stable_hash(("a", 1.0))
    assert stable_hash(frozenset({"a", "b"})) == stable_hash(frozenset({"b", "a"}))


@settings(max_examples=20, deadline=None)
@given(words, parts, st.lists(st.sampled_from(["a", "b", "c", 1, 2]), max_size=8))
def test_join_matches_python(seq, n, other):
    b = db.from_sequence(seq, npartitions=n)
    key = lambda x: str(x)[:1]  # noqa: E731
    expected = [(y, x) for x in seq for y in other if key(y) == key(x)]
    assert b.join(other, key).compute(scheduler="sync") == expected
    ob = db.from_sequence(other, npartitions=1)
    assert b.join(ob, key).compute(scheduler="sync") == expected


def test_join_with_delayed_and_bad_bag():
    from mpiflow.delayed import delayed

    b = db.from_sequence([1, 2, 3], npartitions=2)
    other = delayed(tuple)([2, 3, 3])
    assert b.join(other, lambda x: x).compute(scheduler="sync") == [(2, 2), (3, 3), (3, 3)]
    with pytest.raises(ValueError, match="must have one partition, got 2"):
        b.join(b, lambda x: x)


@settings(max_examples=15, deadline=None)
@given(
    st.lists(st.integers(0, 9), max_size=8),
    parts,
    st.lists(st.integers(), max_size=5),
    st.integers(min_value=1, max_value=3),
)
def test_product_matches_python(a, na, c, nc):
    x = db.from_sequence(a, npartitions=na)
    y = db.from_sequence(c, npartitions=nc)
    p = x.product(y)
    assert p.npartitions == x.npartitions * y.npartitions
    assert sorted(p.compute(scheduler="sync")) == sorted(itertools.product(a, c))


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(-9, 9), max_size=30), parts, st.sampled_from([None, 0, 100]))
def test_accumulate_matches_itertools(seq, n, initial):
    b = db.from_sequence(seq, npartitions=n)
    if initial is None:
        assert b.accumulate(add).compute(scheduler="sync") == list(itertools.accumulate(seq))
    else:
        out = b.accumulate(add, initial=initial).compute(scheduler="sync")
        assert out == list(itertools.accumulate(seq, add, initial=initial))


def test_accumulate_with_empty_partitions():
    b = db.from_sequence(range(1, 9), npartitions=4).filter(lambda x: x in (3, 4, 7))
    assert b.accumulate(mul).compute(scheduler="threads") == [3, 12, 84]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(), max_size=40), parts, st.integers(min_value=1, max_value=9))
def test_repartition_keeps_order(seq, n, m):
    b = db.from_sequence(seq, npartitions=n)
    r = b.repartition(m)
    assert r.npartitions == m
    assert r.compute(scheduler="sync") == seq
    sizes = [len(p) for p in partitions(r)]
    if m > b.npartitions and len(seq) >= m:
        assert max(sizes) - min(sizes) <= max(len(p) for p in partitions(b))


def test_repartition_errors():
    with pytest.raises(ValueError, match="at least 1"):
        db.from_sequence([1]).repartition(0)
