"""Random graphs under random worker joins, crashes and task failures.

Whatever happens, every wanted key ends in memory or erred with a reason,
no task is sent to read a dependency nobody holds, and ``validate_state``
holds after every event.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import dags_and_keys

from mpiflow.distributed.scheduler import (
    ClientDisconnected,
    Execute,
    FreeKeys,
    GraphSubmitted,
    KeyErred,
    KeyInMemory,
    SchedulerState,
    TaskErred,
    TaskFinished,
    WorkerJoined,
    WorkerLeft,
    tasks_from_graph,
)


class Driver:
    """Plays clients and workers; checks every instruction it receives."""

    def __init__(self, s: SchedulerState) -> None:
        self.s = s
        s.count_groups(lambda name: str(name).split("-")[0])  # checked by validate_state
        self.running: dict = {}  # (worker, key) -> True, in Execute order
        self.alive: list = []
        self.reports: dict = {}
        self.n = 0
        self.next_worker = 0

    def step(self, event) -> None:
        out = self.s.handle(event)
        self.s.validate_state()
        for inst in out:
            if type(inst) is Execute:
                assert inst.worker in self.alive
                for dep, holders in inst.who_has.items():
                    assert holders, f"{inst.key!r} sent out while {dep!r} is held nowhere"
                    assert set(holders) <= set(self.alive)
                self.running[(inst.worker, inst.key)] = True
            elif type(inst) is FreeKeys:
                for key in inst.keys:
                    self.running.pop((inst.worker, key), None)
            elif type(inst) in (KeyInMemory, KeyErred):
                self.reports[inst.key] = inst

    def stim(self) -> str:
        self.n += 1
        return f"e{self.n}"

    def join(self) -> None:
        name = f"w{self.next_worker}"
        self.next_worker += 1
        self.alive.append(name)
        self.step(WorkerJoined(name, 1 + self.next_worker % 2, 0, stimulus_id=self.stim()))

    def leave(self, i: int, expected: bool) -> None:
        name = self.alive.pop(i % len(self.alive))
        self.running = {wk: v for wk, v in self.running.items() if wk[0] != name}
        self.step(WorkerLeft(name, expected, stimulus_id=self.stim()))

    def finish(self, i: int, fail: bool) -> None:
        worker, key = sorted(self.running, key=repr)[i % len(self.running)]
        del self.running[(worker, key)]
        if fail:
            self.step(TaskErred(worker, key, ValueError(key), "tb", stimulus_id=self.stim()))
        else:
            self.step(TaskFinished(worker, key, 1 + len(str(key)), 0.01, stimulus_id=self.stim()))


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(dk=dags_and_keys(), data=st.data())
def test_random_graphs_with_random_failures(dk, data):
    dsk, wanted = dk
    retries = data.draw(st.integers(0, 1))
    s = SchedulerState(allowed_failures=data.draw(st.integers(0, 2)), saturation=1.0)
    d = Driver(s)
    for _ in range(data.draw(st.integers(0, 3))):
        d.join()
    tasks = tasks_from_graph(dsk, retries=retries)
    d.step(GraphSubmitted("c", tasks, wanted, stimulus_id="graph"))
    # a second client wants other keys of the same graph and leaves midway
    other = data.draw(st.lists(st.sampled_from(list(dsk)), max_size=3, unique=True))
    d.step(GraphSubmitted("c2", tasks, other, stimulus_id="graph2"))
    for _ in range(data.draw(st.integers(0, 60))):
        # draw the same things whatever the state: set order may vary between runs
        action = data.draw(
            st.sampled_from(["finish"] * 6 + ["fail", "join", "crash", "leave", "drop"])
        )
        index = data.draw(st.integers(0, 1000))
        if action == "drop":
            d.step(ClientDisconnected("c2", stimulus_id=d.stim()))
        elif action in ("finish", "fail") and d.running:
            d.finish(index, action == "fail")
        elif action == "join" or not d.alive:
            d.join()
        elif action in ("crash", "leave"):
            d.leave(index, action == "leave")
    if not d.alive:
        d.join()
    while d.running:  # drain: everything left succeeds
        d.finish(0, False)
    for key in wanted:
        ts = s.tasks[key]
        assert ts.state in ("memory", "erred"), (key, ts.state, s.story(key))
        report = d.reports[key]
        if ts.state == "memory":
            assert type(report) is KeyInMemory
        else:
            assert type(report) is KeyErred and report.exception is not None
            assert str(report.exception)
    d.step(ClientDisconnected("c", stimulus_id="bye"))
    d.step(ClientDisconnected("c2", stimulus_id="bye2"))
    assert s.tasks == {}
    assert all(not ws.has_what and not ws.processing for ws in s.workers.values())


@settings(max_examples=60, deadline=None)
@given(dk=dags_and_keys(), nworkers=st.integers(1, 4))
def test_random_graphs_complete_without_failures(dk, nworkers):
    dsk, wanted = dk
    s = SchedulerState()
    d = Driver(s)
    for _ in range(nworkers):
        d.join()
    d.step(GraphSubmitted("c", tasks_from_graph(dsk), wanted, stimulus_id="graph"))
    while d.running:
        d.finish(len(d.running) // 2, False)
    assert {k: s.tasks[k].state for k in wanted} == dict.fromkeys(wanted, "memory")
    kept = {k for k, ts in s.tasks.items() if ts.state == "memory"}
    assert kept == set(wanted)  # everything else was freed
