"""adaptive_target and workers_to_close on the pure scheduler state machine (no MPI)."""

from __future__ import annotations

import random

import pytest

from mpiflow.distributed.scheduler import (
    ClientReleasedKeys,
    GraphSubmitted,
    SchedulerState,
    TaskFinished,
    TaskSpec,
    WorkerJoined,
    WorkerLeft,
)
from mpiflow.distributed.scheduler.adaptive import (
    WorkLedger,
    adaptive_target,
    workers_to_close,
)
from mpiflow.distributed.scheduler.server import SchedulerServer
from mpiflow.distributed.scheduler.simulate import FakeCluster, make_workload

_n = 0


def stim() -> str:
    global _n
    _n += 1
    return f"a{_n}"


def step(s: SchedulerState, *events) -> list:
    out = s.handle(*events)
    s.validate_state()
    assert s.work == WorkLedger.recount(s.tasks.values()), "ledger drifted from the tasks"
    return out


def join(s, *names, nthreads=1, memory_limit=0):
    return step(s, *(WorkerJoined(n, nthreads, memory_limit, stimulus_id=stim())
                     for n in names))


def submit(s, tasks, wanted=None, client="c"):
    return step(s, GraphSubmitted(client, tasks, list(wanted or tasks), stimulus_id=stim()))


def running(s):
    """Some processing task's key."""
    return next(k for k, t in s.tasks.items() if t.state == "processing")


def finish(s, key, nbytes=10, duration=0.1):
    ts = s.tasks[key]
    return step(s, TaskFinished(ts.processing_on.name, key, nbytes, duration,
                                stimulus_id=stim()))


def sleeps(n, prefix="sleep", **spec):
    return {f"{prefix}-{i}": TaskSpec(**spec) for i in range(n)}


# -- queued work -------------------------------------------------------------------------

def test_nothing_to_do_wants_no_workers():
    s = SchedulerState()
    assert adaptive_target(s) == 0
    join(s, "w1", "w2")
    assert adaptive_target(s) == 0
    assert workers_to_close(s, 0) == ["w1", "w2"]


def test_queued_work_divided_by_target_duration():
    s = SchedulerState(default_duration=0.5)
    join(s, "w1")
    submit(s, sleeps(100))  # 100 x 0.5 s unseen group = 50 s of work
    assert s.counts() == {"processing": 2, "queued": 98}
    assert adaptive_target(s, target_duration=5.0) == 10
    assert adaptive_target(s, target_duration=10.0) == 5
    assert adaptive_target(s, target_duration=1000.0) == 1  # at least one while work waits


def test_threads_per_worker_divide_the_work():
    s = SchedulerState(default_duration=0.5)
    join(s, "w1", nthreads=4)
    submit(s, sleeps(100))
    assert adaptive_target(s, target_duration=5.0) == 3  # ceil(50 / (5 * 4))
    assert adaptive_target(s, target_duration=5.0, nthreads=1) == 10
    assert adaptive_target(s, target_duration=5.0, nthreads=10) == 1


def test_observed_durations_replace_the_default():
    s = SchedulerState(default_duration=0.5)
    join(s, "w1")
    submit(s, sleeps(101))
    finish(s, running(s), duration=2.0)  # the group now costs 2 s per task
    assert adaptive_target(s, target_duration=10.0) == 20  # 100 x 2 s / 10 s
    other = {f"fast-{i}": TaskSpec() for i in range(10)}
    submit(s, other)  # a second, unseen group adds 10 x 0.5 s
    assert adaptive_target(s, target_duration=10.0) == 21


def test_waiting_tasks_are_not_counted_until_ready():
    s = SchedulerState(default_duration=1.0)
    join(s, "w1")
    tasks = {"load": TaskSpec(), **{f"use-{i}": TaskSpec(deps=("load",)) for i in range(50)}}
    submit(s, tasks, [f"use-{i}" for i in range(50)])
    assert adaptive_target(s, target_duration=1.0) == 1  # only "load" can run
    finish(s, "load", duration=1.0)
    assert adaptive_target(s, target_duration=1.0) == 50  # all 50 now processing on w1


def test_no_workers_at_all_still_asks_for_some():
    s = SchedulerState(default_duration=1.0)
    submit(s, sleeps(30))
    assert s.counts() == {"queued": 30}
    assert adaptive_target(s, target_duration=5.0) == 6
    assert adaptive_target(s, target_duration=5.0, nthreads=2) == 3


# -- idle, busy, and which workers to close ---------------------------------------------

def test_after_the_work_is_done_one_worker_holds_the_results():
    s = SchedulerState()
    join(s, "w1", "w2", "w3")
    submit(s, sleeps(6))
    while s.counts().get("processing"):
        finish(s, running(s))
    assert adaptive_target(s) == 1  # results still wanted, and they can move
    step(s, ClientReleasedKeys("c", list(s.tasks), stimulus_id=stim()))
    assert adaptive_target(s) == 0


def test_busy_workers_are_kept_when_shrinking():
    s = SchedulerState(default_duration=0.01)
    join(s, "w1", "w2", "w3", "w4")
    submit(s, sleeps(3))  # three short tasks, one per worker
    busy = {t.processing_on.name for t in s.tasks.values()}
    assert len(busy) == 3
    assert adaptive_target(s, target_duration=5.0) == 3  # work wants 1; 3 are running
    assert workers_to_close(s, 3) == sorted({"w1", "w2", "w3", "w4"} - busy)


def test_workers_to_close_idle_first_then_fewest_bytes_then_oldest():
    s = SchedulerState()
    join(s, "a", "b", "c", "d")
    submit(s, {"x-0": TaskSpec(workers=("a",)), "x-1": TaskSpec(workers=("b",))})
    finish(s, "x-0", nbytes=5000)
    finish(s, "x-1", nbytes=10)
    submit(s, {"y-0": TaskSpec(workers=("c",))})  # c is busy
    assert workers_to_close(s, 3) == ["d"]          # idle and empty
    assert workers_to_close(s, 2) == ["d", "b"]     # then the fewest bytes
    assert workers_to_close(s, 1) == ["d", "b", "a"]
    assert workers_to_close(s, 0) == ["d", "b", "a", "c"]  # busy only when idle ones run out
    assert workers_to_close(s, 4) == workers_to_close(s, 9) == []
    assert workers_to_close(s, 2, leaving=["d"]) == ["b"]


def test_workers_to_close_is_a_prefix_of_one_order_for_every_n():
    """Few or many names (heap or sort inside): always the same order."""
    s = SchedulerState(default_duration=1.0)
    names = [f"w{i:02d}" for i in range(40)]
    join(s, *names)
    rng = random.Random(5)
    for i, name in enumerate(names[:30]):
        submit(s, {f"d-{i}": TaskSpec(workers=(name,))})
        finish(s, f"d-{i}", nbytes=rng.randrange(1, 5) * 100)  # ties broken by age
    submit(s, {f"busy-{i}": TaskSpec(workers=(names[i],)) for i in range(0, 40, 7)})
    order = workers_to_close(s, 0)
    ws = s.workers
    idle = [n for n in order if not ws[n].processing]
    assert idle == sorted(idle, key=lambda n: (ws[n].nbytes, ws[n].seq))
    assert all(ws[n].processing for n in order[len(idle):])
    for n in range(41):
        assert workers_to_close(s, n) == order[: 40 - n]


def test_busy_workers_closed_least_work_first():
    s = SchedulerState(default_duration=1.0)
    join(s, "a", "b")
    submit(s, {"p-0": TaskSpec(workers=("a",)), "p-1": TaskSpec(workers=("b",)),
               "p-2": TaskSpec(workers=("b",))})
    assert workers_to_close(s, 1) == ["a"]


# -- memory -----------------------------------------------------------------------------

def test_stored_bytes_beyond_memory_limits_raise_the_target():
    s = SchedulerState()
    join(s, "w1", "w2", memory_limit=1000)
    submit(s, sleeps(2))
    finish(s, "sleep-0", nbytes=1500)
    finish(s, "sleep-1", nbytes=1500)
    # 3000 bytes at 60 % of 1000 bytes per worker: 5 workers, although no work is left
    assert adaptive_target(s) == 5
    assert adaptive_target(s, memory_fraction=1.0) == 3
    step(s, ClientReleasedKeys("c", ["sleep-0"], stimulus_id=stim()))
    assert adaptive_target(s) == 3


def test_memory_without_limits_keeps_one_worker():
    s = SchedulerState()
    join(s, "w1", "w2")  # memory_limit 0: unknown, holds anything
    submit(s, sleeps(1))
    finish(s, "sleep-0", nbytes=10**12)
    assert adaptive_target(s) == 1


# -- restrictions ------------------------------------------------------------------------

def test_tasks_pinned_to_a_worker_do_not_ask_for_more_workers():
    s = SchedulerState(default_duration=1.0)
    join(s, "w1", "w2")
    submit(s, sleeps(100, workers=("w1",)))
    assert s.work.pinned == 100 and s.work.groups == {}
    assert adaptive_target(s, target_duration=1.0) == 1  # w1 is busy; more would not help
    assert workers_to_close(s, 1) == ["w2"]


def test_loose_restrictions_count_as_work():
    s = SchedulerState(default_duration=1.0)
    join(s, "w1", "w2")
    submit(s, sleeps(100, workers=("w1",), allow_other_workers=True))
    assert s.work.groups == {"sleep": 100}
    assert adaptive_target(s, target_duration=10.0) == 10


def test_tasks_pinned_to_a_missing_worker_still_want_one():
    s = SchedulerState()
    submit(s, sleeps(3, workers=("gone",)))
    assert s.counts() == {"no-worker": 3}
    assert adaptive_target(s) == 1
    join(s, "w1")
    assert adaptive_target(s) == 1 and workers_to_close(s, 0) == ["w1"]


# -- the ledger stays exact through everything the scheduler does ----------------------

def test_ledger_matches_a_recount_through_failures_kills_and_releases():
    s = SchedulerState()
    tasks, wanted = make_workload(1500, seed=3)
    fail = {("map", 3): 1, ("sum", 1, 0): 5}
    sim = FakeCluster(s, nworkers=6, nthreads=2, seed=3, fail=fail, validate_every=1)
    sim.submit(tasks, wanted)
    rng = random.Random(3)
    n = 0
    while sim.step():
        n += 1
        assert s.work == WorkLedger.recount(s.tasks.values()), f"drift after step {n}"
        if n % 40 == 0 and len(sim.workers) > 2:
            sim.kill_worker(rng.choice(sorted(sim.workers)), expected=rng.random() < 0.5)
        if n % 55 == 0:
            sim.add_worker(f"new{n}")
        if n == 200:
            sim.handle(ClientReleasedKeys("client", wanted[1:10], stimulus_id="rel"))
        target = adaptive_target(s, target_duration=1.0)
        assert target >= 1  # there is always work or data until the end
    assert s.work.groups == {} and s.work.pinned == 0
    for name in list(sim.workers):
        sim.kill_worker(name)
    assert s.work == WorkLedger.recount(s.tasks.values())


def test_costs_do_not_depend_on_the_tasks():
    """Neither function reads the task table (it is O(groups + workers))."""
    s = SchedulerState(default_duration=1.0)
    join(s, "w1", "w2")
    submit(s, sleeps(50))
    s.tasks = None  # any per-task scan would fail
    assert adaptive_target(s, target_duration=5.0) == 10
    assert workers_to_close(s, 1) in (["w1"], ["w2"])


def test_worker_leaving_puts_its_work_back_in_the_ledger():
    s = SchedulerState(default_duration=1.0)
    join(s, "w1", "w2")
    submit(s, sleeps(10))
    before = adaptive_target(s, target_duration=1.0)
    step(s, WorkerLeft("w1", expected=True, stimulus_id=stim()))
    assert s.work.groups == {"sleep": 10}
    assert adaptive_target(s, target_duration=1.0) == before == 10


# -- bad input ------------------------------------------------------------------------------

@pytest.mark.parametrize("bad, err, match", [
    (0, ValueError, "positive, finite number of seconds"),
    (-1.0, ValueError, "positive, finite number of seconds"),
    (float("inf"), ValueError, "positive, finite number of seconds"),
    ("5s", TypeError, "number of seconds \\(like 5.0\\), got '5s'"),
    (True, TypeError, "number of seconds"),
])
def test_bad_target_duration_is_a_clear_error(bad, err, match):
    with pytest.raises(err, match=match):
        adaptive_target(SchedulerState(), target_duration=bad)


def test_bad_options_are_clear_errors():
    s = SchedulerState()
    with pytest.raises(ValueError, match="memory_fraction must be in \\(0, 1\\], got 2"):
        adaptive_target(s, memory_fraction=2)
    with pytest.raises(ValueError, match="nthreads must be an int >= 1"):
        adaptive_target(s, nthreads=0)
    with pytest.raises(ValueError, match="workers to keep and must be >= 0, got -1"):
        workers_to_close(s, -1)
    with pytest.raises(TypeError, match="workers to keep and must be an int, got 1.5"):
        workers_to_close(s, 1.5)


# -- the scheduler ops ---------------------------------------------------------------------

class ReplyTransport:
    """Stands in for the MPI transport: records replies."""

    rank = 0

    def __init__(self) -> None:
        self.replies: list[tuple] = []

    def send(self, rank: int, msg: dict) -> None:
        pass

    def reply(self, msg: dict, result=None, error=None) -> None:
        self.replies.append((msg["op"], result, error))


def test_scheduler_answers_both_queries_after_the_events_before_them():
    transport = ReplyTransport()
    server = SchedulerServer(transport)
    tasks = {f"sleep-{i}": {"run_spec": None} for i in range(40)}
    msgs = [{"op": "register-worker", "from": 2, "nthreads": 1},
            {"op": "register-worker", "from": 3, "nthreads": 1},
            {"op": "update-graph", "from": 1, "wanted": list(tasks), "tasks": tasks},
            {"op": "adaptive-target", "from": 1, "rid": 1, "target_duration": 2.0},
            {"op": "workers-to-close", "from": 1, "rid": 2, "n": 1}]
    events: list = []
    for msg in msgs:
        events = server._dispatch(msg, events)
    server._apply(events)
    assert transport.replies[0] == ("adaptive-target", 10, None)  # 40 x 0.5 s / 2 s
    assert transport.replies[1] == ("workers-to-close", ["mpi://2"], None)


def test_scheduler_replies_with_the_error_for_bad_queries():
    transport = ReplyTransport()
    server = SchedulerServer(transport)
    server._dispatch({"op": "adaptive-target", "from": 1, "rid": 1, "target_duration": -2}, [])
    server._dispatch({"op": "workers-to-close", "from": 1, "rid": 2}, [])
    (op1, res1, err1), (op2, res2, err2) = transport.replies
    assert res1 is None and err1 is not None and res2 is None and err2 is not None
