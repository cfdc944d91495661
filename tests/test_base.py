"""Tests for mpiflow.base: compute, persist, visualize and scheduler choice."""

from __future__ import annotations

import operator
import os
import shutil
import threading
from collections import namedtuple

import pytest

import mpiflow.core
import mpiflow.local
import mpiflow.multiprocessing
import mpiflow.threaded
from mpiflow import config
from mpiflow.base import (
    collections_to_graph,
    compute,
    get_scheduler,
    is_mpiflow_collection,
    named_schedulers,
    persist,
    tokenize,
    visualize,
)
from mpiflow.core.spec import istask, literal
from mpiflow.delayed import Delayed, delayed


def inc(x):
    return x + 1


def add(x, y):
    return x + y


class Counter:
    """A thread-safe call counter."""

    def __init__(self):
        self.n = 0
        self._lock = threading.Lock()

    def __call__(self, value):
        with self._lock:
            self.n += 1
        return value


class RecordingGet:
    """A get function that records its calls and runs the graph synchronously."""

    def __init__(self):
        self.calls = []

    def __call__(self, dsk, keys, **kwargs):
        self.calls.append((dict(dsk), keys, kwargs))
        return mpiflow.local.get_sync(dsk, keys)


class Chunks:
    """A minimal non-Delayed collection: chunks summed on compute, with hooks."""

    optimize_calls: list = []

    def __init__(self, name, values, dsk=None):
        self.name = name
        self.dsk = dsk if dsk is not None else {(name, i): v for i, v in enumerate(values)}
        self.n = len(values)

    def __mpiflow_graph__(self):
        return self.dsk

    def __mpiflow_keys__(self):
        return [[(self.name, i) for i in range(self.n)]]

    def __mpiflow_postcompute__(self):
        return (lambda results, scale: scale * sum(results[0])), (10,)

    def __mpiflow_postpersist__(self):
        return Chunks._rebuild, (self.name, self.n)

    @staticmethod
    def _rebuild(dsk, name, n):
        return Chunks(name, [None] * n, dsk=dict(dsk))

    @staticmethod
    def __mpiflow_optimize__(dsk, keys, **kwargs):
        Chunks.optimize_calls.append((sorted(keys), kwargs))
        return {k: dsk[k] for k in keys}

    def __mpiflow_tokenize__(self):
        return self.name

    __mpiflow_scheduler__ = "sync"


@pytest.fixture(autouse=True)
def _reset_chunks():
    Chunks.optimize_calls = []


# ---- the tutorial ------------------------------------------------------------------------


def test_tutorial_workload(capsys):
    import random
    import time

    from mpiflow import compute, delayed, persist

    @delayed
    def inc(x):
        time.sleep(random.random() / 100)
        return x + 1

    @delayed
    def dec(x):
        time.sleep(random.random() / 100)
        return x - 1

    @delayed
    def add(x, y):
        time.sleep(random.random() / 100)
        return x + y

    zs = [add(inc(i), dec(inc(i))) for i in range(128)]
    zs = persist(*zs)
    L = list(zs)
    while len(L) > 1:
        L = [add(L[i], L[i + 1]) for i in range(0, len(L), 2)]
    print(compute(L))

    expected = sum((i + 1) + ((i + 1) - 1) for i in range(128))
    assert capsys.readouterr().out == f"([{expected}],)\n"
    assert compute(L) == ([expected],)


# ---- compute -----------------------------------------------------------------------------


def test_compute_plain_values_pass_through():
    assert compute(1, "a", [2]) == (1, "a", [2])
    assert compute() == ()


def test_compute_nested_structures():
    a = delayed(inc)(1)
    b = delayed(inc)(2)
    Point = namedtuple("Point", "x y")
    result = compute(
        a,
        [a, b, "s"],
        (b, [a, {"k": b, "n": 1}]),
        {"x": a, "y": (b, 3)},
        {a, 10},
        frozenset([b]),
        Point(a, 0),
        7,
        scheduler="sync",
    )
    assert result == (
        2,
        [2, 3, "s"],
        (3, [2, {"k": 3, "n": 1}]),
        {"x": 2, "y": (3, 3)},
        {2, 10},
        frozenset([3]),
        Point(2, 0),
        7,
    )
    assert type(result[6]) is Point


def test_compute_generator_becomes_list():
    assert compute((delayed(inc)(i) for i in range(3)), scheduler="sync") == ([1, 2, 3],)


def test_compute_traverse_false():
    a = delayed(inc)(1)
    (out,) = compute([a], traverse=False, scheduler="sync")
    assert out[0] is a
    assert compute(a, traverse=False, scheduler="sync") == (2,)


def test_shared_dependencies_computed_once():
    counter = Counter()
    x = delayed(counter)(5)
    a = x + 1
    b = x * 2
    c = delayed(add)(a, b)
    assert compute(a, b, [c, x], scheduler="threads") == (6, 10, [16, 5])
    assert counter.n == 1


def test_same_object_twice_computed_once():
    counter = Counter()
    x = delayed(counter)(1)
    assert compute(x, x, [x], scheduler="threads") == (1, 1, [1])
    assert counter.n == 1


def test_scheduler_called_once_with_one_merged_graph():
    get = RecordingGet()
    xs = [delayed(inc)(i) for i in range(20)]
    total = delayed(sum)(xs)
    assert compute(*xs, total, scheduler=get) == tuple(range(1, 21)) + (210,)
    assert len(get.calls) == 1
    dsk, keys, kwargs = get.calls[0]
    assert len(dsk) == 21
    assert keys == [[x.key] for x in xs] + [[total.key]]
    assert kwargs == {}


def test_kwargs_reach_the_get_function():
    get = RecordingGet()
    compute(delayed(inc)(1), scheduler=get, num_workers=3)
    assert get.calls[0][2] == {"num_workers": 3}
    assert compute(delayed(inc)(1), scheduler="threads", num_workers=1) == (2,)


def test_get_keyword():
    get = RecordingGet()
    assert compute(delayed(inc)(1), get=get) == (2,)
    assert len(get.calls) == 1
    other = RecordingGet()
    compute(delayed(inc)(1), scheduler=other, get=get)
    assert len(other.calls) == 1 and len(get.calls) == 1


def test_compute_errors_propagate():
    def boom(x):
        raise ZeroDivisionError("boom")

    with pytest.raises(ZeroDivisionError, match="boom"):
        compute(delayed(boom)(1), scheduler="sync")


def test_compute_processes_scheduler():
    a = delayed(abs)(-3)
    assert compute(a, a + 4, scheduler="processes", num_workers=2) == (3, 7)


def test_optimize_graph_false_skips_optimizations():
    get = RecordingGet()
    d = Delayed("z", {"x": 1, "z": (inc, "x"), "junk": 2})
    compute(d, scheduler=get, optimize_graph=False)
    assert "junk" in get.calls[-1][0]
    compute(d, scheduler=get)
    assert "junk" not in get.calls[-1][0]


# ---- the protocol with another collection type -------------------------------------------


def test_custom_collection_compute_and_optimize():
    a = Chunks("a", [1, 2, 3])
    b = Chunks("b", [4])
    d = delayed(inc)(1)
    get = RecordingGet()
    assert compute(a, b, d, scheduler=get, flag=True) == (60, 40, 2)
    # one call for the whole Chunks group, with every key of the group and the kwargs
    assert Chunks.optimize_calls == [([("a", 0), ("a", 1), ("a", 2), ("b", 0)], {"flag": True})]
    assert len(get.calls) == 1


def test_custom_collections_sharing_a_graph():
    shared = {("s", 0): 1, ("s", 1): 2}
    a = Chunks("s", [1, 2], dsk=shared)
    b = Chunks("s", [1, 2], dsk=shared)
    assert compute(a, b, scheduler="sync") == (30, 30)


def test_custom_collection_persist():
    a = Chunks("a", [(len, [1, 2]), (list, [1, 2])])
    (p,) = persist(a, scheduler="sync")
    assert isinstance(p, Chunks)
    assert p.dsk[("a", 0)] == 2
    # a list result is quoted so that the graph returns it instead of walking it
    quoted = p.dsk[("a", 1)]
    assert istask(quoted) and isinstance(quoted[0], literal) and quoted[0]() == [1, 2]
    assert mpiflow.local.get_sync(p.dsk, [("a", 0), ("a", 1)]) == [2, [1, 2]]


def test_is_mpiflow_collection():
    assert is_mpiflow_collection(delayed(1))
    assert is_mpiflow_collection(Chunks("a", [1]))
    assert not is_mpiflow_collection(Chunks)
    assert not is_mpiflow_collection({"x": 1})
    assert not is_mpiflow_collection(1)


def test_collections_to_graph():
    a = delayed(1, name="a")
    b = delayed(inc)(a, dask_key_name="b")
    dsk, keys = collections_to_graph([b, a])
    assert dsk == {"a": 1, "b": (inc, "a")}
    assert keys == [["b"], ["a"]]


def test_tokenize_reexported():
    assert tokenize is mpiflow.core.tokenize
    assert tokenize(1, "a") == mpiflow.core.tokenize(1, "a")


# ---- scheduler choice --------------------------------------------------------------------


def _runs_in_main_thread(**kwargs):
    """Compute a task that reports whether it ran in the calling thread."""
    main = threading.get_ident()
    (same,) = compute(delayed(lambda: threading.get_ident() == main, pure=False)(), **kwargs)
    return same


def test_named_schedulers():
    assert named_schedulers["sync"] is mpiflow.local.get_sync
    assert named_schedulers["synchronous"] is mpiflow.local.get_sync
    assert named_schedulers["single-threaded"] is mpiflow.local.get_sync
    assert named_schedulers["threads"] is mpiflow.threaded.get
    assert named_schedulers["threading"] is mpiflow.threaded.get
    assert named_schedulers["processes"] is mpiflow.multiprocessing.get
    assert named_schedulers["multiprocessing"] is mpiflow.multiprocessing.get


@pytest.mark.parametrize("name", sorted(named_schedulers))
def test_get_scheduler_by_name(name):
    assert get_scheduler(name) is named_schedulers[name]
    assert get_scheduler(name.upper()) is named_schedulers[name]


def test_default_scheduler_is_threaded():
    assert get_scheduler() is mpiflow.threaded.get
    assert get_scheduler(collections=[delayed(1)]) is mpiflow.threaded.get
    assert not _runs_in_main_thread()


def test_collection_default_scheduler():
    assert get_scheduler(collections=[Chunks("a", [1])]) is mpiflow.local.get_sync
    # disagreeing defaults: threads, which runs anything
    mixed = [Chunks("a", [1]), delayed(1)]
    assert get_scheduler(collections=mixed) is mpiflow.threaded.get


def test_config_set_context_manager():
    with config.set(scheduler="sync"):
        assert get_scheduler() is mpiflow.local.get_sync
        assert get_scheduler(collections=[delayed(1)]) is mpiflow.local.get_sync
        assert _runs_in_main_thread()
    assert get_scheduler() is mpiflow.threaded.get
    assert not _runs_in_main_thread()


def test_config_set_globally():
    setting = config.set(scheduler="single-threaded")
    try:
        assert _runs_in_main_thread()
        assert get_scheduler() is mpiflow.local.get_sync
    finally:
        setting.__exit__(None, None, None)
    assert get_scheduler() is mpiflow.threaded.get


def test_config_accepts_get_function():
    get = RecordingGet()
    with config.set(scheduler=get):
        assert compute(delayed(inc)(1)) == (2,)
    assert len(get.calls) == 1


def test_env_var(monkeypatch):
    monkeypatch.setenv("MPIFLOW_SCHEDULER", "sync")
    assert get_scheduler() is mpiflow.local.get_sync
    assert _runs_in_main_thread()
    monkeypatch.setenv("MPIFLOW_SCHEDULER", "threads")
    assert get_scheduler() is mpiflow.threaded.get


def test_keyword_beats_config_beats_collection():
    get = RecordingGet()
    with config.set(scheduler="sync"):
        assert compute(delayed(inc)(1), scheduler=get) == (2,)
        assert len(get.calls) == 1
        assert get_scheduler(collections=[delayed(1)]) is mpiflow.local.get_sync
    with config.set(scheduler="threads"):
        assert get_scheduler(collections=[Chunks("a", [1])]) is mpiflow.threaded.get


def test_unknown_scheduler_name():
    with pytest.raises(ValueError) as info:
        compute(delayed(inc)(1), scheduler="gpu")
    msg = str(info.value)
    assert "unknown scheduler 'gpu'" in msg
    for name in ("sync", "synchronous", "single-threaded", "threads", "threading",
                 "processes", "multiprocessing"):  # fmt: skip
        assert repr(name) in msg
    assert "scheduler= keyword" in msg


def test_unknown_scheduler_from_config_says_where(monkeypatch):
    monkeypatch.setenv("MPIFLOW_SCHEDULER", "nope")
    with pytest.raises(ValueError, match="MPIFLOW_SCHEDULER"):
        compute(delayed(inc)(1))


def test_unexpected_scheduler_object():
    with pytest.raises(ValueError, match="unexpected scheduler 42"):
        get_scheduler(42)
    with pytest.raises(ValueError, match="unexpected scheduler"):
        get_scheduler({"get": 1})


class FakeClient:
    """Stands in for a future distributed Client: has get, and optionally persist."""

    def __init__(self):
        self.gets = 0

    def get(self, dsk, keys, **kwargs):
        self.gets += 1
        return mpiflow.local.get_sync(dsk, keys)


class FakePersistingClient(FakeClient):
    def __init__(self):
        super().__init__()
        self.persisted = []

    def _persist_collections(self, collections, optimize_graph=True, **kwargs):
        self.persisted.append((list(collections), optimize_graph, kwargs))
        return [c._rebuild({c.key: "future"}) for c in collections]


def test_client_like_scheduler():
    client = FakeClient()
    assert get_scheduler(client) == client.get
    assert compute(delayed(inc)(1), scheduler=client) == (2,)
    assert client.gets == 1
    (p,) = persist(delayed(inc)(1), scheduler=client)
    assert client.gets == 2
    assert compute(p, scheduler="sync") == (2,)


def test_persist_delegates_to_client():
    client = FakePersistingClient()
    a = delayed(inc)(1)
    (p, rest) = persist(a, [a, 5], scheduler=client, optimize_graph=False, extra=1)
    assert client.gets == 0
    assert client.persisted == [([a], False, {"extra": 1})]
    assert rest[0] is p and rest[1] == 5
    assert compute(p, scheduler="sync") == ("future",)


# ---- persist -----------------------------------------------------------------------------


def _only_data(dsk):
    """True if no value of ``dsk`` is work left to do (quoted literals are data)."""
    return all(not istask(v) or isinstance(v[0], literal) for v in dsk.values())


def test_persist_returns_tuple_of_computed_collections():
    counter = Counter()
    a = delayed(counter)(delayed(inc)(1))
    result = persist(a, scheduler="sync")
    assert isinstance(result, tuple) and len(result) == 1
    (p,) = result
    assert isinstance(p, Delayed)
    assert p.key == a.key
    assert p.dask == {a.key: 2}
    assert _only_data(p.dask)
    assert counter.n == 1
    assert compute(p + 1, p * 2, scheduler="sync") == (3, 4)
    assert counter.n == 1  # nothing upstream runs again


def test_persist_values_that_look_like_tasks():
    values = [(sum, [1, 2]), [1, 2], {"a": 1}, "text", ("x", 0), None, 3.5]
    ds = [delayed(lambda v: v, pure=False)(v) for v in values]
    persisted = persist(*ds, scheduler="sync")
    for p, v in zip(persisted, values, strict=True):
        assert _only_data(p.dask)
        assert compute(p, scheduler="sync") == (v,)


def test_persist_nested_and_plain():
    a = delayed(inc)(1)
    p, (q, r), s = persist(a, [a, "x"], 5, scheduler="sync")
    assert q is p and r == "x" and s == 5
    assert persist(1, 2) == (1, 2)


def test_persist_shares_one_computation():
    get = RecordingGet()
    counter = Counter()
    x = delayed(counter)(1)
    ps = persist(x + 1, x + 2, scheduler=get)
    assert len(get.calls) == 1 and counter.n == 1
    assert [p.dask[p.key] for p in ps] == [2, 3]


def test_persist_method():
    p = delayed(inc)(1).persist(scheduler="sync")
    assert isinstance(p, Delayed) and _only_data(p.dask)


# ---- visualize ---------------------------------------------------------------------------


def test_visualize_writes_dot(tmp_path):
    a = delayed(inc)(1)
    b = delayed(add)(a, 2)
    path = visualize(b, filename=str(tmp_path / "graph"), format="dot")
    assert path == str(tmp_path / "graph.dot")
    text = open(path).read()
    assert text.startswith("digraph")
    assert "inc" in text and "add" in text


def test_visualize_renders_png_when_graphviz_exists(tmp_path):
    a = delayed(inc)(1)
    if shutil.which("dot") is None:
        with pytest.warns(UserWarning, match="Graphviz"):
            path = visualize(a, filename=str(tmp_path / "g"))
        assert path.endswith(".dot")
    else:
        path = visualize(a, filename=str(tmp_path / "g"))
        assert path == str(tmp_path / "g.png")
        with open(path, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    assert os.path.exists(tmp_path / "g.dot")


def test_visualize_method_and_raw_graphs(tmp_path):
    a = delayed(inc)(1, dask_key_name="a-key")
    path = a.visualize(filename=str(tmp_path / "m.dot"))
    assert 'label="a-key"' in open(path).read()
    raw = {"x": 1, "y": (operator.neg, "x")}
    path = visualize(raw, [a], filename=str(tmp_path / "both.dot"))
    assert open(path).read().startswith("digraph")
    path = visualize(a, filename=str(tmp_path / "opt.dot"), optimize_graph=True)
    assert os.path.exists(path)


def test_visualize_nothing():
    with pytest.raises(ValueError, match="nothing to draw"):
        visualize(1, "x")
