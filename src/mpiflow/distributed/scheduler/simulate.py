"""Drive :class:`SchedulerState` with fake workers on a virtual clock.

:class:`FakeCluster` plays the workers: it "runs" every :class:`Execute` by
drawing a duration from a seeded generator and later answering with a
:class:`TaskFinished` (or :class:`TaskErred` for keys told to fail). Nothing
sleeps, so 2,000 workers and 200,000 tasks take seconds, and the time spent
inside ``handle`` is measured apart from the simulation's own.

Examples
--------
>>> from mpiflow.distributed.scheduler import SchedulerState
>>> tasks, wanted = make_workload(200)
>>> sim = FakeCluster(SchedulerState(), nworkers=20, nthreads=2, seed=1)
>>> sim.submit(tasks, wanted)
>>> sim.run()
>>> sorted(sim.results) == sorted(wanted)
True
"""

from __future__ import annotations

import math
import random
from collections.abc import Hashable
from heapq import heappop, heappush
from time import perf_counter
from typing import Any

from mpiflow.distributed.scheduler import events as ev
from mpiflow.distributed.scheduler.instructions import (
    Execute,
    FreeKeys,
    KeyErred,
    KeyInMemory,
)

__all__ = ["FakeCluster", "make_workload"]


class _FakeWorker:
    __slots__ = ("name", "nthreads", "ready", "assigned", "running", "alive")

    def __init__(self, name: str, nthreads: int) -> None:
        self.name = name
        self.nthreads = nthreads
        self.ready: list = []  # heap of (priority, seq, key)
        self.assigned: dict = {}  # key -> token of its latest Execute
        self.running: dict = {}  # key -> token
        self.alive = True


class FakeCluster:
    """Fake workers that answer a scheduler's instructions on a virtual clock.

    Parameters
    ----------
    state : SchedulerState
        The state machine under test.
    nworkers, nthreads : int
        Workers to start (named ``w0``, ``w1``, ...) and threads per worker.
    seed : int
        Seed of durations and of the order of simultaneous finishes.
    fail : dict, optional
        ``{key: times}``: the first ``times`` runs of ``key`` raise.
    window : float
        Virtual seconds of finishes handed to ``handle`` in one call.
    validate_every : int
        Call ``validate_state`` every that many ``handle`` calls (0: never).

    Examples
    --------
    >>> from mpiflow.distributed.scheduler import SchedulerState, TaskSpec
    >>> sim = FakeCluster(SchedulerState(), nworkers=2, validate_every=1)
    >>> sim.submit({"x": TaskSpec(), "y": TaskSpec(deps=("x",))}, ["y"])
    >>> sim.run()
    >>> list(sim.results), sim.handle_calls > 1
    (['y'], True)
    """

    def __init__(
        self,
        state: Any,
        nworkers: int,
        nthreads: int = 2,
        seed: int = 0,
        fail: dict | None = None,
        window: float = 0.001,
        validate_every: int = 0,
    ) -> None:
        self.state = state
        self.rng = random.Random(seed)
        self.fail = dict(fail or {})
        self.window = window
        self.validate_every = validate_every
        self.clock = 0.0
        self.timeline: list = []  # heap of (time, seq, worker, key, token)
        self.workers: dict[str, _FakeWorker] = {}
        self.results: dict[Hashable, int] = {}
        self.errors: dict[Hashable, Any] = {}
        self.freed = 0
        self.executed = 0
        self.seconds = 0.0
        self.handle_calls = 0
        self._seq = 0
        for i in range(nworkers):
            self.workers[f"w{i}"] = _FakeWorker(f"w{i}", nthreads)
        self.handle(
            *(ev.WorkerJoined(f"w{i}", nthreads, 2**32, f"join-{i}") for i in range(nworkers))
        )

    # -- talking to the scheduler ------------------------------------------------

    def handle(self, *events: Any) -> None:
        """Pass ``events`` to the scheduler (timed) and carry out its instructions."""
        t0 = perf_counter()
        out = self.state.handle(*events)
        self.seconds += perf_counter() - t0
        self.handle_calls += 1
        if self.validate_every and self.handle_calls % self.validate_every == 0:
            self.state.validate_state()
        self._apply(out)

    def submit(self, tasks: dict, wanted: list, client: str = "client") -> None:
        """Submit a graph on behalf of ``client``."""
        self.handle(ev.GraphSubmitted(client, tasks, list(wanted), f"graph-{self._seq}"))

    def add_worker(self, name: str, nthreads: int = 2) -> None:
        """Start a new fake worker called ``name``."""
        self.workers[name] = _FakeWorker(name, nthreads)
        self.handle(ev.WorkerJoined(name, nthreads, 2**32, f"join-{name}"))

    def kill_worker(self, name: str, expected: bool = False) -> None:
        """Make worker ``name`` vanish (its running tasks and data are lost)."""
        fw = self.workers.pop(name, None)
        if fw is not None:
            fw.alive = False
        self.handle(ev.WorkerLeft(name, expected, f"kill-{name}"))

    def _apply(self, instructions: list) -> None:
        touched = set()
        for inst in instructions:
            typ = type(inst)
            if typ is Execute:
                fw = self.workers.get(inst.worker)
                if fw is None:
                    continue
                assert all(inst.who_has.values()), f"{inst.key!r}: a dependency has no holder"
                self._seq += 1
                fw.assigned[inst.key] = self._seq
                heappush(fw.ready, (inst.priority, self._seq, inst.key))
                touched.add(fw)
            elif typ is FreeKeys:
                fw = self.workers.get(inst.worker)
                self.freed += len(inst.keys)
                if fw is not None:
                    for key in inst.keys:
                        fw.assigned.pop(key, None)
                        if fw.running.pop(key, None) is not None:
                            touched.add(fw)
            elif typ is KeyInMemory:
                self.results[inst.key] = inst.nbytes
                self.errors.pop(inst.key, None)
            elif typ is KeyErred:
                self.errors[inst.key] = inst.exception
        for fw in touched:
            self._start(fw)

    def _start(self, fw: _FakeWorker) -> None:
        """Start ready tasks on free threads (best priority first)."""
        while fw.ready and len(fw.running) < fw.nthreads:
            _, seq, key = heappop(fw.ready)
            if fw.assigned.get(key) != seq:
                continue  # freed (cancelled) before it started
            del fw.assigned[key]
            fw.running[key] = seq
            duration = self.rng.expovariate(1.0) + 0.01
            heappush(self.timeline, (self.clock + duration, seq, fw.name, key, duration))

    # -- the clock ---------------------------------------------------------------

    def step(self) -> bool:
        """Advance to the next finish(es) and report them; False when idle."""
        timeline = self.timeline
        if not timeline:
            return False
        end = timeline[0][0] + self.window
        events = []
        done_on = set()
        while timeline and timeline[0][0] <= end:
            when, token, name, key, duration = heappop(timeline)
            fw = self.workers.get(name)
            if fw is None or fw.running.get(key) != token:
                continue  # cancelled, or the worker died
            del fw.running[key]
            done_on.add(fw)
            self.clock = when
            self.executed += 1
            if self.fail.get(key, 0) > 0:
                self.fail[key] -= 1
                events.append(ev.TaskErred(name, key, ValueError(key), None, f"err-{token}"))
            else:
                nbytes = 1000 * (1 + token % 7)
                events.append(ev.TaskFinished(name, key, nbytes, duration, f"done-{token}"))
        for fw in done_on:
            self._start(fw)
        if events:
            self.handle(*events)
        return True

    def run(self, max_steps: int | None = None) -> None:
        """Step until nothing runs (or ``max_steps`` steps)."""
        n = 0
        while self.step():
            n += 1
            if max_steps is not None and n >= max_steps:
                return


def make_workload(n: int, seed: int = 0) -> tuple[dict, list]:
    """A graph of about ``n`` tasks: map, tree reduction and an all-to-all shuffle.

    Returns ``(tasks, wanted)`` for :class:`GraphSubmitted`: ``n`` is split
    between ``m`` loads each followed by a map task, a reduction of the maps
    with fan-in 8, and a shuffle of ``p`` partitions (``p * p`` edges).

    Examples
    --------
    >>> tasks, wanted = make_workload(1000)
    >>> 900 < len(tasks) <= 1000, ("sum", 0) in wanted
    (True, True)
    """
    from mpiflow.distributed.scheduler.events import TaskSpec

    p = max(2, min(300, int(math.sqrt(n) / 1.5)))
    m = max(1, int((n - 3 * p - 2) / (2 + 1 / 7)))
    tasks: dict = {}
    order = 0

    def add(key: Any, deps: tuple = ()) -> None:
        nonlocal order
        tasks[key] = TaskSpec(deps=deps, priority=(0, order), run_spec=key)
        order += 1

    level = []
    for i in range(m):
        add(("load", i))
        add(("map", i), (("load", i),))
        level.append(("map", i))
    depth = 1
    while len(level) > 1:
        nxt = []
        for j in range(0, len(level), 8):
            key = ("sum", depth, j // 8) if len(level) > 8 else ("sum", 0)
            add(key, tuple(level[j : j + 8]))
            nxt.append(key)
        level = nxt
        depth += 1
    if m == 1:
        add(("sum", 0), tuple(level))
    for i in range(p):
        add(("shuffle-in", i))
        add(("split", i), (("shuffle-in", i),))
    for j in range(p):
        add(("join", j), tuple(("split", i) for i in range(p)))
    wanted = [("sum", 0)] + [("join", j) for j in range(p)]
    return tasks, wanted
