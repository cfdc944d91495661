"""Unit tests of the scheduler state machine: one behaviour per test, no MPI."""

from __future__ import annotations

import pytest

from mpiflow.distributed.scheduler import (
    ClientDisconnected,
    ClientReleasedKeys,
    DataAdded,
    DependencyMissing,
    Execute,
    FreeKeys,
    GraphSubmitted,
    KeyErred,
    KeyInMemory,
    KeyLost,
    KilledWorker,
    ScatteredDataLost,
    SchedulerState,
    TaskErred,
    TaskFinished,
    TaskSpec,
    WorkerJoined,
    WorkerLeft,
    tasks_from_graph,
)
from mpiflow.distributed.scheduler.transitions import EDGES

_n = 0


def stim() -> str:
    global _n
    _n += 1
    return f"s{_n}"


def step(s: SchedulerState, *events) -> list:
    out = s.handle(*events)
    s.validate_state()
    return out


def of(out: list, typ: type) -> list:
    return [i for i in out if type(i) is typ]


def join(s: SchedulerState, *names: str, nthreads: int = 1) -> list:
    return step(s, *(WorkerJoined(n, nthreads, 0, stimulus_id=stim()) for n in names))


def submit(s, tasks, wanted, client="c") -> list:
    return step(s, GraphSubmitted(client, tasks, list(wanted), stimulus_id=stim()))


def finish(s, worker, key, nbytes=10, duration=0.1) -> list:
    return step(s, TaskFinished(worker, key, nbytes, duration, stimulus_id=stim()))


def chain(n: int = 3) -> dict:
    """x0 <- x1 <- ... (each depends on the previous)."""
    tasks = {"x0": TaskSpec(priority=(0, 0))}
    for i in range(1, n):
        tasks[f"x{i}"] = TaskSpec(deps=(f"x{i - 1}",), priority=(0, i))
    return tasks


def run_all(s: SchedulerState, out: list, fail=()) -> dict:
    """Finish every Execute (and those it triggers); return KeyInMemory reports."""
    reports: dict = {}
    pending = list(out)
    while pending:
        inst = pending.pop(0)
        if type(inst) is KeyInMemory:
            reports[inst.key] = inst
        if type(inst) is Execute:
            if inst.key in fail:
                exc = ValueError(inst.key)
                event = TaskErred(inst.worker, inst.key, exc, "tb", stimulus_id=stim())
                pending.extend(step(s, event))
            else:
                pending.extend(finish(s, inst.worker, inst.key))
    return reports


# -- the table -------------------------------------------------------------------


def test_every_edge_has_a_method():
    s = SchedulerState()
    for a, b in EDGES:
        assert callable(s._table[(a, b)])


def test_root_task_released_waiting_queued_processing_memory():
    s = SchedulerState()
    join(s, "a")
    out = submit(s, {"x": TaskSpec(run_spec="payload")}, ["x"])
    (ex,) = of(out, Execute)
    assert (ex.worker, ex.key, ex.run_spec, ex.who_has) == ("a", "x", "payload", {})
    states = [(start, end) for _, start, end, _ in s.story("x")]
    assert states == [("released", "waiting"), ("waiting", "queued"), ("queued", "processing")]
    out = finish(s, "a", "x", nbytes=123)
    assert of(out, KeyInMemory) == [KeyInMemory("c", "x", 123, ("a",), out[0].stimulus_id)]
    assert s.tasks["x"].state == "memory"


def test_dependent_goes_to_the_worker_with_its_data():
    s = SchedulerState()
    join(s, "a", "b")
    tasks = {"x": TaskSpec(), "y": TaskSpec(), "z": TaskSpec(deps=("x", "y"))}
    out = submit(s, tasks, ["z"])
    where = {i.key: i.worker for i in of(out, Execute)}
    big = where["y"]
    finish(s, where["x"], "x", nbytes=10)
    out = finish(s, big, "y", nbytes=10_000)
    (ex,) = of(out, Execute)
    assert ex.key == "z" and ex.worker == big
    assert ex.who_has == {"x": (where["x"],), "y": (big,)}
    # x and y are freed once z is in memory: only z is wanted
    out = finish(s, big, "z")
    freed = {k for i in of(out, FreeKeys) for k in i.keys}
    assert freed == {"x", "y"}
    assert s.tasks["x"].state == "released" and s.tasks["z"].state == "memory"


def test_waiting_released_when_client_releases():
    s = SchedulerState()
    join(s, "a")
    submit(s, chain(3), ["x2"])
    assert s.tasks["x1"].state == "waiting"
    out = step(s, ClientReleasedKeys("c", ["x2"], stimulus_id=stim()))
    assert of(out, FreeKeys) == [FreeKeys("a", ["x0"], out[0].stimulus_id)]  # cancels x0
    assert s.tasks == {}


def test_queued_released_when_client_releases():
    s = SchedulerState()
    join(s, "a")
    tasks = {f"r{i}": TaskSpec(priority=(0, i)) for i in range(5)}
    out = submit(s, tasks, list(tasks))
    assert len(of(out, Execute)) == 2  # cap = ceil(1 * 1.1) = 2
    assert s.counts() == {"processing": 2, "queued": 3}
    step(s, ClientReleasedKeys("c", ["r4"], stimulus_id=stim()))
    assert "r4" not in s.tasks and s._n_queued == 2


def test_priorities_user_then_generation_then_order():
    s = SchedulerState(saturation=1.0)
    join(s, "a")
    submit(s, {"busy": TaskSpec()}, ["busy"])
    submit(s, {"low1": TaskSpec(priority=(0, 1)), "low0": TaskSpec(priority=(0, 2))},
           ["low1", "low0"])
    submit(s, {"late": TaskSpec(priority=(0, 0))}, ["late"])
    submit(s, {"urgent": TaskSpec(priority=(5, 9))}, ["urgent"])
    ran = []
    key = "busy"
    for _ in range(4):
        out = finish(s, "a", key)
        (ex,) = of(out, Execute)
        key = ex.key
        ran.append(key)
    assert ran == ["urgent", "low1", "low0", "late"]


def test_queue_drains_to_new_worker():
    s = SchedulerState()
    join(s, "a")
    tasks = {f"r{i}": TaskSpec(priority=(0, i)) for i in range(6)}
    submit(s, tasks, list(tasks))
    out = join(s, "b", nthreads=2)
    assert [(i.worker, i.key) for i in of(out, Execute)] == [("b", "r2"), ("b", "r3"), ("b", "r4")]


def test_least_occupied_worker_gets_root_task():
    s = SchedulerState()
    join(s, "a", nthreads=1)
    join(s, "b", nthreads=4)
    tasks = {f"r{i}": TaskSpec(priority=(0, i)) for i in range(4)}
    out = submit(s, tasks, list(tasks))
    counts = {}
    for ex in of(out, Execute):
        counts[ex.worker] = counts.get(ex.worker, 0) + 1
    assert counts == {"b": 3, "a": 1}


# -- restrictions ------------------------------------------------------------------


def test_restricted_task_waits_for_its_worker():
    s = SchedulerState()
    join(s, "a")
    out = submit(s, {"x": TaskSpec(workers=("gpu",))}, ["x"])
    assert of(out, Execute) == [] and s.tasks["x"].state == "no-worker"
    assert join(s, "b") == []
    out = join(s, "gpu")
    assert [(i.worker, i.key) for i in of(out, Execute)] == [("gpu", "x")]


def test_loose_restriction_falls_back_to_other_workers():
    s = SchedulerState()
    join(s, "a")
    out = submit(s, {"x": TaskSpec(workers=("gpu",), allow_other_workers=True)}, ["x"])
    assert [(i.worker, i.key) for i in of(out, Execute)] == [("a", "x")]


def test_restriction_beats_data_locality():
    s = SchedulerState()
    join(s, "a", "b")
    out = submit(s, {"x": TaskSpec(workers=("a",)), "y": TaskSpec(deps=("x",), workers=("b",))},
                 ["y"])
    out = finish(s, "a", "x")
    assert [(i.worker, i.key) for i in of(out, Execute)] == [("b", "y")]


def test_no_worker_released_when_client_releases():
    s = SchedulerState()
    submit(s, {"x": TaskSpec(workers=("gpu",))}, ["x"])
    step(s, ClientDisconnected("c", stimulus_id=stim()))
    assert s.tasks == {} and not s.unrunnable


# -- errors and retries ---------------------------------------------------------------


def test_error_reaches_client_and_dependents():
    s = SchedulerState()
    join(s, "a")
    out = submit(s, chain(3), ["x2"])
    exc = ValueError("boom")
    out = step(s, TaskErred("a", "x0", exc, "tb", stimulus_id=stim()))
    (err,) = of(out, KeyErred)
    assert (err.key, err.exception, err.traceback, err.blamed) == ("x2", exc, "tb", "x0")
    assert {k: ts.state for k, ts in s.tasks.items()} == {k: "erred" for k in ("x0", "x1", "x2")}
    step(s, ClientReleasedKeys("c", ["x2"], stimulus_id=stim()))
    assert s.tasks == {}


def test_retries_run_on_another_worker():
    s = SchedulerState()
    join(s, "a", "b")
    out = submit(s, {"x": TaskSpec(retries=1)}, ["x"])
    (ex,) = of(out, Execute)
    out = step(s, TaskErred(ex.worker, "x", ValueError(), None, stimulus_id=stim()))
    assert of(out, KeyErred) == []
    (ex2,) = of(out, Execute)
    assert ex2.worker != ex.worker
    out = step(s, TaskErred(ex2.worker, "x", ValueError("again"), None, stimulus_id=stim()))
    assert [e.key for e in of(out, KeyErred)] == ["x"]


def test_missing_dependency_is_reported():
    s = SchedulerState()
    join(s, "a")
    out = submit(s, {"y": TaskSpec(deps=("nope",)), "z": TaskSpec(deps=("y",))}, ["z"])
    (err,) = of(out, KeyErred)
    assert isinstance(err.exception, DependencyMissing) and "'nope'" in str(err.exception)
    out = submit(s, {}, ["unknown"])
    assert [e.key for e in of(out, KeyErred)] == ["unknown"]


def test_stale_finish_is_freed():
    s = SchedulerState()
    join(s, "a", "b")
    out = finish(s, "a", "ghost")
    assert [(i.worker, i.keys) for i in of(out, FreeKeys)] == [("a", ["ghost"])]
    assert finish(s, "zombie", "ghost") == []


# -- worker loss -------------------------------------------------------------------------


def test_processing_task_rescheduled_when_worker_dies():
    s = SchedulerState()
    join(s, "a", "b")
    out = submit(s, {"x": TaskSpec()}, ["x"])
    (ex,) = of(out, Execute)
    out = step(s, WorkerLeft(ex.worker, stimulus_id=stim()))
    (ex2,) = of(out, Execute)
    assert ex2.worker != ex.worker and s.tasks["x"].suspicious == 1


def test_lost_data_is_recomputed_from_what_is_in_memory():
    s = SchedulerState()
    join(s, "a")
    submit(s, chain(4), ["x3", "x0"])
    finish(s, "a", "x0")
    finish(s, "a", "x1")
    join(s, "b")
    out = finish(s, "a", "x2")  # x1 freed, x3 runs on a
    assert s.tasks["x1"].state == "released"
    out = step(s, WorkerLeft("a", expected=True, stimulus_id=stim()))
    # x0 wanted -> recomputed; x1, x2 recomputed for x3; x3 rescheduled
    assert [i.key for i in of(out, KeyLost)] == ["x0"]
    assert [(i.worker, i.key) for i in of(out, Execute)] == [("b", "x0")]
    assert s.tasks["x3"].suspicious == 0  # the worker left on purpose
    reports = run_all(s, out)
    assert set(reports) == {"x0", "x3"}


def test_task_that_kills_three_workers_is_erred():
    s = SchedulerState()
    join(s, "a", "b", "c", "d")
    out = submit(s, {"bad": TaskSpec()}, ["bad"])
    for _ in range(2):
        (ex,) = of(out, Execute)
        out = step(s, WorkerLeft(ex.worker, stimulus_id=stim()))
    (ex,) = of(out, Execute)
    out = step(s, WorkerLeft(ex.worker, stimulus_id=stim()))
    (err,) = of(out, KeyErred)
    assert isinstance(err.exception, KilledWorker)
    assert "3 workers that died" in str(err.exception)


def test_allowed_failures_configurable():
    s = SchedulerState(allowed_failures=0)
    join(s, "a", "b")
    out = submit(s, {"bad": TaskSpec()}, ["bad"])
    (ex,) = of(out, Execute)
    out = step(s, WorkerLeft(ex.worker, stimulus_id=stim()))
    assert [e.key for e in of(out, KeyErred)] == ["bad"]


def test_lost_scattered_data_errs_dependents():
    s = SchedulerState()
    join(s, "a", "b")
    step(s, DataAdded("a", {"d": 100}, client="c", stimulus_id=stim()))
    assert s.tasks["d"].state == "memory"
    out = submit(s, {"y": TaskSpec(deps=("d",), workers=("b",))}, ["y"])
    assert [(i.worker, i.who_has) for i in of(out, Execute)] == [("b", {"d": ("a",)})]
    out = step(s, WorkerLeft("a", stimulus_id=stim()))
    errs = {e.key: e.exception for e in of(out, KeyErred)}
    assert set(errs) == {"d", "y"}
    assert isinstance(errs["y"], ScatteredDataLost) and "'d'" in str(errs["y"])
    assert [(i.worker, i.keys) for i in of(out, FreeKeys)] == [("b", ["y"])]


def test_graph_may_depend_on_keys_in_memory():
    s = SchedulerState()
    join(s, "a")
    run_all(s, submit(s, {"x": TaskSpec()}, ["x"]))
    out = submit(s, {"y": TaskSpec(deps=("x",))}, ["y"], client="other")
    assert [(i.key, i.who_has) for i in of(out, Execute)] == [("y", {"x": ("a",)})]
    out = submit(s, {"x": TaskSpec()}, ["x"], client="third")
    assert [i.key for i in of(out, KeyInMemory)] == ["x"]


# -- release ----------------------------------------------------------------------------


def test_client_release_frees_data_on_workers():
    s = SchedulerState()
    join(s, "a", "b")
    tasks = tasks_from_graph({"x": 1, "y": (abs, "x"), "z": (abs, "y")})
    reports = run_all(s, submit(s, tasks, ["z", "y"]))
    assert set(reports) == {"y", "z"}
    assert s.tasks["x"].state == "released"
    out = step(s, ClientReleasedKeys("c", ["z"], stimulus_id=stim()))
    assert sorted(k for i in of(out, FreeKeys) for k in i.keys) == ["z"]
    out = step(s, ClientReleasedKeys("c", ["y"], stimulus_id=stim()))
    assert sorted(k for i in of(out, FreeKeys) for k in i.keys) == ["y"]
    assert s.tasks == {}
    assert all(ws.nbytes == 0 and not ws.has_what for ws in s.workers.values())


def test_two_clients_share_a_key():
    s = SchedulerState()
    join(s, "a")
    run_all(s, submit(s, {"x": TaskSpec()}, ["x"], client="c1"))
    submit(s, {"x": TaskSpec()}, ["x"], client="c2")
    assert step(s, ClientDisconnected("c1", stimulus_id=stim())) == []
    out = step(s, ClientDisconnected("c2", stimulus_id=stim()))
    assert of(out, FreeKeys) and s.tasks == {}


def test_processing_released_cancels_on_worker():
    s = SchedulerState()
    join(s, "a")
    submit(s, {"x": TaskSpec()}, ["x"])
    out = step(s, ClientReleasedKeys("c", ["x"], stimulus_id=stim()))
    assert of(out, FreeKeys)[0].keys == ["x"]
    (late,) = finish(s, "a", "x")  # the worker finished it anyway
    assert (type(late), late.keys) == (FreeKeys, ["x"])


# -- introspection ------------------------------------------------------------------------


def test_story_names_stimuli_and_log_is_bounded():
    s = SchedulerState(log_size=5)
    join(s, "a")
    submit(s, chain(4), ["x3"])
    assert len(s.log) == 5
    assert all(len(entry) == 4 for entry in s.log)
    s2 = SchedulerState()
    step(s2, GraphSubmitted("c", {"k": TaskSpec()}, ["k"], stimulus_id="graph-7"))
    assert {e[3] for e in s2.story("k")} == {"graph-7"}


def test_validate_state_catches_corruption():
    s = SchedulerState()
    join(s, "a")
    submit(s, {"x": TaskSpec()}, ["x"])
    s.tasks["x"].state = "memory"
    with pytest.raises(AssertionError):
        s.validate_state()


def test_tasks_from_graph_links_to_keys_already_on_the_cluster():
    s = SchedulerState()
    join(s, "a")
    run_all(s, submit(s, tasks_from_graph({"x": 1}), ["x"]))
    specs = tasks_from_graph({"y": (abs, "x")}, known=frozenset(s.tasks))
    assert specs["y"].deps == ("x",)
    reports = run_all(s, submit(s, specs, ["y"]))
    assert set(reports) == {"y"}


def test_worker_rejoining_under_the_same_name_starts_fresh():
    s = SchedulerState()
    join(s, "a")
    submit(s, {"x": TaskSpec()}, ["x"])
    out = join(s, "a")  # the old "a" is gone: x is sent again
    assert [(i.worker, i.key) for i in of(out, Execute)] == [("a", "x")]
    assert s.tasks["x"].suspicious == 0


def test_scatter_without_client_is_freed():
    s = SchedulerState()
    join(s, "a")
    out = step(s, DataAdded("a", {"d": 8}, stimulus_id=stim()))
    assert of(out, FreeKeys) == [FreeKeys("a", ["d"], out[0].stimulus_id)] and s.tasks == {}
