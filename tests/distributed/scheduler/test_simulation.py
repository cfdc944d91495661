"""The scheduler driven by fake workers at scale (correctness only, never timing).

``benchmarks/scheduler_sim.py`` prints the time of the same runs.
"""

from __future__ import annotations

import pytest

from mpiflow.distributed.scheduler import (
    ClientDisconnected,
    KilledWorker,
    SchedulerState,
    TaskSpec,
)
from mpiflow.distributed.scheduler.simulate import FakeCluster, make_workload


def check_done(sim: FakeCluster, wanted: list) -> None:
    s = sim.state
    s.validate_state()
    assert set(sim.results) == set(wanted) and not sim.errors
    # reference counting: only wanted keys stay in memory, the rest were freed
    in_memory = {k for k, ts in s.tasks.items() if ts.state == "memory"}
    assert in_memory == set(wanted)
    assert s.counts() == {"memory": len(wanted), "released": len(s.tasks) - len(wanted)}
    held = sum(ws.nbytes for ws in s.workers.values())
    assert held == sum(s.tasks[k].nbytes for k in wanted)
    assert all(not ws.processing for ws in s.workers.values())


def release_all(sim: FakeCluster) -> None:
    sim.handle(ClientDisconnected("client", "bye"))
    sim.state.validate_state()
    assert sim.state.tasks == {}
    assert all(ws.nbytes == 0 and not ws.has_what for ws in sim.state.workers.values())


@pytest.mark.slow
def test_200k_tasks_on_2000_workers():
    tasks, wanted = make_workload(200_000)
    assert len(tasks) > 199_000
    s = SchedulerState()
    sim = FakeCluster(s, nworkers=2_000, nthreads=2, seed=3)
    sim.submit(tasks, wanted)
    # queuing: right after submission only cap root tasks per worker are out
    assert s.counts()["processing"] == sum(ws.cap for ws in s.workers.values())
    sim.run()
    assert sim.executed == len(tasks)  # nothing ran twice
    check_done(sim, wanted)
    release_all(sim)


def test_small_scale_validated_periodically():
    tasks, wanted = make_workload(2_000)
    sim = FakeCluster(SchedulerState(), nworkers=40, nthreads=2, seed=5, validate_every=40)
    sim.submit(tasks, wanted)
    sim.run()
    check_done(sim, wanted)
    release_all(sim)


def test_churn_failures_and_retries_at_scale():
    """Workers crash, leave and join mid-run; some tasks fail once (retried)."""
    tasks, wanted = make_workload(3_000)
    fail = {k: 1 for i, k in enumerate(tasks) if i % 97 == 0}
    tasks = {
        k: TaskSpec(spec.deps, spec.priority, retries=1, run_spec=spec.run_spec)
        for k, spec in tasks.items()
    }
    s = SchedulerState(allowed_failures=10)
    sim = FakeCluster(s, nworkers=30, nthreads=2, seed=7, fail=fail, validate_every=100)
    sim.submit(tasks, wanted)
    for round_ in range(12):
        sim.run(max_steps=80)
        sim.kill_worker(f"w{round_}", expected=round_ % 3 == 0)
        sim.add_worker(f"new{round_}", nthreads=1 + round_ % 3)
        s.validate_state()
    sim.run()
    assert sim.executed > len(tasks)  # lost work was redone
    check_done(sim, wanted)
    release_all(sim)


def test_crashing_task_is_erred_in_a_crowd():
    """A task that crashes every worker it touches is erred; the rest finishes."""
    s = SchedulerState()
    sim = FakeCluster(s, nworkers=10, nthreads=1, seed=1)
    tasks = {f"ok{i}": TaskSpec(priority=(0, i)) for i in range(50)}
    tasks["bad"] = TaskSpec(priority=(1, 0))
    sim.submit(tasks, list(tasks))
    bad = s.tasks["bad"]
    for _ in range(3):
        while bad.state != "processing":  # rescheduled first in the queue
            sim.step()
        sim.kill_worker(bad.processing_on.name)
    sim.run()
    assert isinstance(sim.errors["bad"], KilledWorker)
    assert set(sim.results) == set(tasks) - {"bad"}
    s.validate_state()
