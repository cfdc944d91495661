"""Bag construction, element-wise methods, fusion and the collection protocol."""

from __future__ import annotations

import operator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mpiflow
import mpiflow.bag as db
from mpiflow.bag.pipeline import Pipeline
from mpiflow.base import collections_to_graph
from mpiflow.delayed import delayed

SCHEDULERS = ["sync", "threads"]

parts = st.integers(min_value=1, max_value=6)
ints = st.lists(st.integers(-50, 50), max_size=40)


def partitions(b: db.Bag) -> list:
    return [p.compute(scheduler="sync") for p in b.to_delayed()]


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_map_filter_pluck_chain(scheduler):
    data = [{"a": i, "b": str(i)} for i in range(20)]
    b = db.from_sequence(data, npartitions=3)
    out = b.filter(lambda d: d["a"] % 3).pluck("b").map(int).remove(lambda x: x > 15)
    expected = [int(d["b"]) for d in data if d["a"] % 3 and not int(d["b"]) > 15]
    assert out.compute(scheduler=scheduler) == expected


@settings(max_examples=25, deadline=None)
@given(ints, parts)
def test_elementwise_matches_python(seq, n):
    b = db.from_sequence(seq, npartitions=n)
    assert b.compute(scheduler="sync") == seq
    assert b.map(lambda x: x * 2).compute(scheduler="sync") == [x * 2 for x in seq]
    assert b.filter(lambda x: x > 0).compute(scheduler="threads") == [x for x in seq if x > 0]
    pairs = b.map(lambda x: (x, -x))
    assert pairs.starmap(operator.add).compute(scheduler="sync") == [0] * len(seq)
    assert pairs.pluck(1).compute(scheduler="sync") == [-x for x in seq]
    assert pairs.map(list).flatten().compute(scheduler="sync") == [y for x in seq for y in (x, -x)]
    assert b.map_partitions(sorted).compute(scheduler="sync") == [
        y for p in partitions(b) for y in sorted(p)
    ]


def test_from_sequence_partitioning():
    assert partitions(db.from_sequence(range(7), npartitions=3)) == [[0, 1, 2], [3, 4], [5, 6]]
    assert db.from_sequence(range(1000), npartitions=7).npartitions == 7  # Dask gives 8
    assert partitions(db.from_sequence(range(5), partition_size=2)) == [[0, 1], [2, 3], [4]]
    assert db.from_sequence(range(5), npartitions=10).npartitions == 5
    assert partitions(db.from_sequence([])) == [[]]
    assert db.from_sequence(range(50)).npartitions == 50
    with pytest.raises(ValueError, match="not both"):
        db.from_sequence([1], npartitions=1, partition_size=1)


def test_data_that_looks_like_tasks_or_keys_is_kept():
    name = "x"
    data = [(sum, [1, 2]), (name, 0), "x", [("x", 1)]]
    b = db.from_sequence(data, npartitions=2, name=name)
    assert b.compute(scheduler="sync") == data
    assert b.map(lambda v: v).compute(scheduler="sync") == data


def test_range_and_concat_and_zip():
    r = db.range(10, npartitions=3)
    assert r.compute(scheduler="sync") == list(range(10))
    assert r.npartitions == 3
    c = db.concat([r, db.from_sequence("ab")])
    assert c.npartitions == 5 and c.compute(scheduler="sync") == [*range(10), "a", "b"]
    z = db.zip(r, r.map(str))
    assert z.compute(scheduler="sync") == [(i, str(i)) for i in range(10)]


def test_from_delayed():
    parts_ = [delayed(list)(range(i)) for i in range(4)]
    b = db.from_delayed(parts_)
    assert b.npartitions == 4
    assert b.compute(scheduler="sync") == [0, 0, 1, 0, 1, 2]
    gen = delayed(lambda: (i for i in range(3)))()
    assert db.from_delayed(gen).compute(scheduler="sync") == [0, 1, 2]
    with pytest.raises(TypeError, match="Delayed"):
        db.from_delayed([[1, 2]])


def test_fusion_makes_one_task_per_partition():
    b = db.from_sequence(["a b", "c d e"] * 10, npartitions=4)
    freq = b.str.lower().str.split().flatten().filter(bool).map(len).frequencies()
    dsk, _ = collections_to_graph([freq])
    # 4 fused partition tasks + 1 aggregate; no intermediate keys
    assert len(dsk) == 5
    part_tasks = [v for k, v in dsk.items() if "part" in k[0]]
    assert all(type(v[1][0]) is Pipeline and v[1][0].lazy for v in part_tasks)
    assert len(part_tasks[0][1][0].steps) == 5
    assert sorted(freq.compute(scheduler="sync")) == [(1, 50)]


def test_shared_intermediate_is_not_duplicated():
    b = db.from_sequence(range(10), npartitions=2).map(lambda x: x + 1)
    total = b.sum()
    c = b.map(lambda x, t: x / t, total)
    assert c.compute(scheduler="sync") == [x / 55 for x in range(1, 11)]
    dsk, _ = collections_to_graph([c])
    assert sum(1 for k in dsk if k[0] == b.name) == 2  # kept: read twice


def test_map_with_bags_items_delayed_and_kwargs():
    a = db.from_sequence([1, 2, 3, 4], npartitions=2)
    b = a.map(lambda x: x * 10)
    total = a.sum()
    off = delayed(100)
    out = db.map(lambda x, y, t, o=0: x + y + t + o, a, b, total, o=off)
    assert out.compute(scheduler="threads") == [x + 10 * x + 10 + 100 for x in [1, 2, 3, 4]]
    kw = a.map(lambda x, y=0: x - y, y=b)
    assert kw.compute(scheduler="sync") == [-9 * x for x in [1, 2, 3, 4]]
    mp = db.map_partitions(lambda p, q, t: [sum(p) + sum(q) + t], a, b, total)
    assert mp.compute(scheduler="sync") == [3 + 30 + 10, 7 + 70 + 10]
    star = db.from_sequence([(1, 2), (3, 4)]).starmap(lambda x, y, z=0: x * y + z, z=total)
    assert star.compute(scheduler="sync") == [12, 22]


def test_bad_input_errors():
    b = db.from_sequence([1, 2, 3], npartitions=2)
    with pytest.raises(TypeError, match="map: expected a callable.*got 3"):
        b.map(3)
    with pytest.raises(TypeError, match="filter: expected a callable"):
        b.filter("x")
    c = db.from_sequence([1, 2, 3], npartitions=3)
    with pytest.raises(ValueError, match=r"same number of partitions.*\(2\).*\(3\)"):
        db.map(operator.add, b, c)
    with pytest.raises(ValueError, match="at least one Bag"):
        db.map(operator.add, 1, 2)
    d = db.from_sequence([1, 2, 3, 4], npartitions=2)
    e = db.from_sequence([1, 2, 3], npartitions=2)
    with pytest.raises(ValueError, match="partitions of different lengths"):
        db.map(operator.add, d, e).compute(scheduler="sync")


def test_str_accessor():
    b = db.from_sequence(["Alice Smith", "bob jones", "Carol Smith"], npartitions=2)
    assert b.str.lower().compute(scheduler="sync") == [s.lower() for s in b]
    assert b.str.split().compute(scheduler="sync") == [s.split() for s in b]
    assert b.str.split(" ", 1).compute(scheduler="sync") == [s.split(" ", 1) for s in b]
    assert b.str.startswith("C").compute(scheduler="sync") == [False, False, True]
    assert b.str.match("*Smith").compute(scheduler="sync") == ["Alice Smith", "Carol Smith"]
    with pytest.raises(AttributeError, match="no method 'nope'"):
        b.str.nope()


def test_item_arithmetic_and_protocol():
    b = db.from_sequence(range(5), npartitions=2)
    s, n = b.sum(), b.count()
    assert (s / n).compute(scheduler="sync") == 2.0
    assert (1 - s).compute(scheduler="sync") == -9
    assert (-s + abs(s) * 2).compute(scheduler="sync") == 10
    assert (s > 3).compute(scheduler="sync") is True
    assert s.apply(str).compute(scheduler="sync") == "10"
    assert mpiflow.compute(s, n, b, scheduler="sync") == (10, 5, [0, 1, 2, 3, 4])
    assert s.to_delayed().compute(scheduler="sync") == 10
    (p,) = mpiflow.persist(s, scheduler="sync")
    assert p.compute(scheduler="sync") == 10


def test_persist_repr_iter_and_names():
    b = db.from_sequence(range(6), npartitions=3).map(lambda x: x * x)
    assert repr(b) == "mpiflow.bag<lambda, npartitions=3>"
    p = b.persist(scheduler="threads")
    assert p.npartitions == 3 and partitions(p) == [[0, 1], [4, 9], [16, 25]]
    assert list(b.map(str).filter(None.__ne__)) == [str(x * x) for x in range(6)]
    assert db.from_sequence([1]).map(abs).name == db.from_sequence([1]).map(abs).name


def test_default_scheduler_is_processes():
    from mpiflow import multiprocessing

    assert db.Bag.__mpiflow_scheduler__ is multiprocessing.get
    assert db.Item.__mpiflow_scheduler__ is multiprocessing.get


@settings(max_examples=15, deadline=None)
@given(ints, parts, st.floats(0, 1), st.integers(0, 2**32))
def test_random_sample_is_a_reproducible_subsequence(seq, n, prob, seed):
    b = db.from_sequence(seq, npartitions=n)
    s1 = b.random_sample(prob, random_state=seed).compute(scheduler="sync")
    s2 = b.random_sample(prob, random_state=seed).compute(scheduler="threads")
    assert s1 == s2
    it = iter(seq)
    assert all(any(x == y for y in it) for x in s1)  # s1 is a subsequence of seq
    assert b.random_sample(1.0).compute(scheduler="sync") == seq
    assert b.random_sample(0.0).compute(scheduler="sync") == []
    with pytest.raises(ValueError, match="between 0 and 1"):
        b.random_sample(1.5)


def test_unzip():
    b = db.from_sequence([(1, "a", None), (2, "b", None)], npartitions=2)
    x, y, z = b.unzip(3)
    assert mpiflow.compute(x, y, z, scheduler="sync") == ([1, 2], ["a", "b"], [None, None])


def test_long_chain_is_fused_without_recursion_limits():
    from functools import partial

    b = db.from_sequence(range(10), npartitions=2)
    for _ in range(3000):
        b = b.map(partial(operator.add, 1))
    assert b.sum().compute(scheduler="sync") == sum(range(10)) + 30000
    dsk, _ = collections_to_graph([b])
    assert len(dsk) == 2
