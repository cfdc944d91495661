"""Profiler records every task once, with a timeline per worker that never overlaps."""

from __future__ import annotations

import time
from operator import add

import pytest

import mpiflow
import mpiflow.multiprocessing
import mpiflow.threaded
from mpiflow.diagnostics import Profiler, TaskData
from mpiflow.local import get_sync


def slow(x):
    time.sleep(0.01)
    return x


def graph(n: int = 12) -> dict:
    dsk = {("slow-a1b2", i): (slow, i) for i in range(n)}
    dsk["total"] = (sum, list(dsk))
    dsk["lit"] = 5  # plain data: nothing runs for it
    dsk["plus"] = (add, "total", "lit")
    return dsk


GETS = {
    "sync": get_sync,
    "threads": lambda dsk, keys: mpiflow.threaded.get(dsk, keys, num_workers=2),
    "processes": lambda dsk, keys: mpiflow.multiprocessing.get(dsk, keys, num_workers=2),
}


def assert_no_overlap(results: list[TaskData]) -> None:
    by_worker: dict = {}
    for r in results:
        assert r.start_time <= r.end_time, r
        by_worker.setdefault(r.worker_id, []).append(r)
    for rows in by_worker.values():
        rows.sort(key=lambda r: r.start_time)
        for a, b in zip(rows, rows[1:], strict=False):
            assert a.end_time <= b.start_time + 1e-9, (a, b)


@pytest.mark.parametrize("name", list(GETS))
def test_every_task_recorded_once_on_each_scheduler(name):
    dsk = graph()
    t0 = time.time()
    with Profiler() as prof:
        assert GETS[name](dsk, "plus") == sum(range(12)) + 5
    t1 = time.time()
    keys = [r.key for r in prof.results]
    assert sorted(map(str, keys)) == sorted(str(k) for k in dsk if k != "lit")
    assert keys[-1] == "plus" and keys[-2] == "total"  # in the order they finished
    for r in prof.results:
        assert r.task is dsk[r.key]
        assert t0 <= r.start_time <= r.end_time <= t1
    assert_no_overlap(prof.results)
    workers = {r.worker_id for r in prof.results}
    if name == "sync":
        assert workers == {0}
    elif name == "threads":
        assert workers <= {0, 1}
    else:
        assert all(isinstance(w, int) and w > 1 for w in workers)  # worker pids


def test_tiny_tasks_in_batches_get_distinct_slots():
    dsk = {("tiny", i): (abs, -i) for i in range(2000)}
    with Profiler() as prof:
        mpiflow.threaded.get(dsk, list(dsk), num_workers=2)
    assert len(prof.results) == 2000
    assert_no_overlap(prof.results)


def test_registered_accumulates_until_cleared():
    prof = Profiler()
    prof.register()
    try:
        get_sync({"a": (abs, -1)}, "a")
        get_sync({"b": (abs, -2)}, "b")
    finally:
        prof.unregister()
    get_sync({"c": (abs, -3)}, "c")
    assert [r.key for r in prof.results] == ["a", "b"]
    prof.clear()
    assert prof.results == []


def test_entering_again_starts_from_empty_and_errors_keep_finished_tasks():
    prof = Profiler()
    with prof:
        get_sync({"a": (abs, -1)}, "a")

    def fail(x):
        raise RuntimeError("no")

    with pytest.raises(RuntimeError), prof:
        get_sync({"b": (abs, -1), "c": (fail, "b")}, "c")
    assert [r.key for r in prof.results] == ["b"]


def test_compute_of_a_collection_is_profiled():
    x = mpiflow.delayed(slow)(1)
    with Profiler() as prof:
        assert mpiflow.compute(x + 1, scheduler="threads") == (2,)
    assert len(prof.results) == 2
