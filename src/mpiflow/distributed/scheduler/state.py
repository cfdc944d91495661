"""The scheduler as a pure state machine: events in, instructions out.

:class:`SchedulerState` does no I/O, starts no thread and never reads a
clock: the server loop on rank 0 feeds it events and carries out the
instructions it returns, and tests drive it directly with thousands of fake
workers.

Examples
--------
>>> from mpiflow.distributed.scheduler import (
...     SchedulerState, WorkerJoined, GraphSubmitted, TaskSpec, TaskFinished)
>>> s = SchedulerState()
>>> _ = s.handle(WorkerJoined("w1", 1, stimulus_id="join"))
>>> out = s.handle(GraphSubmitted("c", {"x": TaskSpec(run_spec="f")}, ["x"], stimulus_id="g"))
>>> [type(i).__name__ for i in out], s.tasks["x"].state
(['Execute'], 'processing')
>>> out = s.handle(TaskFinished("w1", "x", 8, 0.1, stimulus_id="done"))
>>> [type(i).__name__ for i in out], s.tasks["x"].state
(['KeyInMemory'], 'memory')
>>> s.validate_state()
"""

from __future__ import annotations

import gc
from collections import deque
from collections.abc import Callable, Hashable
from typing import Any

from mpiflow.distributed.scheduler import events as ev
from mpiflow.distributed.scheduler.adaptive import WorkLedger
from mpiflow.distributed.scheduler.groups import GroupCounts
from mpiflow.distributed.scheduler.instructions import (
    FreeKeys,
    Instruction,
    KeyErred,
    KeyInMemory,
    KeyLost,
)
from mpiflow.distributed.scheduler.model import (
    ACTIVE,
    DependencyMissing,
    KilledWorker,
    ScatteredDataLost,
    TaskState,
    WorkerState,
)
from mpiflow.distributed.scheduler.transitions import Transitions
from mpiflow.distributed.scheduler.validate import validate_state

__all__ = ["SchedulerState"]


class SchedulerState(Transitions):
    """Metadata of every task, worker and client; decides what runs where.

    Parameters
    ----------
    allowed_failures : int
        A task running on a worker that dies is suspected; once it was on
        ``allowed_failures + 1`` dead workers (3 by default) it is erred with
        :class:`~mpiflow.distributed.scheduler.model.KilledWorker`.
    saturation : float
        A worker holds at most ``ceil(nthreads * saturation)`` root tasks at
        once; the rest wait in the scheduler's queue.
    default_duration : float
        Seconds assumed for a task whose key prefix has not run yet.
    log_size : int
        How many transitions the log keeps for :meth:`story`.

    Examples
    --------
    >>> SchedulerState(allowed_failures=0).allowed_failures
    0
    """

    def __init__(
        self,
        allowed_failures: int = 2,
        saturation: float = 1.1,
        default_duration: float = 0.5,
        log_size: int = 100_000,
    ) -> None:
        self.allowed_failures = allowed_failures
        self.saturation = saturation
        self.default_duration = default_duration
        self.tasks: dict[Hashable, TaskState] = {}
        self.workers: dict[str, WorkerState] = {}
        self.clients: dict[str, set[TaskState]] = {}
        self.unrunnable: set[TaskState] = set()
        self.work = WorkLedger()  # tasks still to run per group, for adaptive_target
        self.generation = 0
        self.log: deque = deque(maxlen=log_size)
        self.group_counts: GroupCounts | None = None  # see count_groups()
        self._worker_seq = 0
        self._instructions: list[Instruction] = []
        self._init_placement()
        self._init_table()
        self._handlers = {
            ev.WorkerJoined: self._handle_worker_joined,
            ev.WorkerLeft: self._handle_worker_left,
            ev.GraphSubmitted: self._handle_graph_submitted,
            ev.TaskFinished: self._handle_task_finished,
            ev.TaskErred: self._handle_task_erred,
            ev.ClientReleasedKeys: self._handle_client_released,
            ev.ClientDisconnected: self._handle_client_disconnected,
            ev.DataAdded: self._handle_data_added,
        }

    # -- entry point -----------------------------------------------------------

    def handle(self, *events: ev.SchedulerEvent) -> list[Instruction]:
        """Apply ``events`` in order and return the instructions they imply.

        Examples
        --------
        >>> SchedulerState().handle()
        []
        >>> SchedulerState().handle("finished x")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
          ...
        TypeError: SchedulerState.handle got 'finished x', which is not a scheduler event; ...
        """
        self._instructions = out = []
        stim = ""
        handlers = self._handlers
        for event in events:
            handler = handlers.get(type(event))
            if handler is None:
                raise TypeError(
                    f"SchedulerState.handle got {event!r}, which is not a scheduler event; "
                    f"pass instances of {sorted(t.__name__ for t in handlers)}"
                )
            stim = event.stimulus_id
            handler(event, stim)
        if self._n_queued:
            self._fill_slots(stim)
        self._instructions = []
        return out

    def _fill_slots(self, stim: str) -> None:
        """Hand queued root tasks, best priority first, to workers with free slots."""
        while self._n_queued:
            ws = self._least_loaded()
            if ws is None or ws.free_slots() <= 0:
                return
            ts = self._queue_peek()
            self._transitions({ts: "processing"}, stim)

    # -- workers -----------------------------------------------------------------

    def _handle_worker_joined(self, event: ev.WorkerJoined, stim: str) -> None:
        if event.worker in self.workers:
            self._remove_worker(event.worker, True, stim)
        self._worker_seq += 1
        ws = WorkerState(
            event.worker, event.nthreads, event.memory_limit, self._worker_seq, self.saturation
        )
        self.workers[ws.name] = ws
        self._touch(ws)
        recs = {ts: "processing" for ts in self.unrunnable if self._can_run_on(ts, ws)}
        self._transitions(recs, stim)

    def _handle_worker_left(self, event: ev.WorkerLeft, stim: str) -> None:
        if event.worker in self.workers:
            self._remove_worker(event.worker, event.expected, stim)

    def _remove_worker(self, name: str, expected: bool, stim: str) -> None:
        """Forget worker ``name``: rerun what ran there, recompute what only it held."""
        ws = self.workers.pop(name)
        ws.alive = False
        lost = []
        for ts in ws.has_what:
            ts.who_has.discard(ws)
            if not ts.who_has:
                lost.append(ts)
        ws.has_what = set()
        ws.nbytes = 0
        # every lost key leaves memory before anything is rescheduled, so that
        # no task is sent out to read a dependency that no longer exists
        recs: dict = {}
        for ts in lost:
            if ts.scattered:
                self._set_error(ts, ScatteredDataLost(ts.key, name), None, ts.key)
                more = self._transition(ts, "erred", stim)
            else:
                for client in ts.who_wants:
                    self._instructions.append(KeyLost(client, ts.key, stim))
                more = self._transition(ts, "released", stim)
            if more:
                recs.update(more)
        for ts in ws.processing:
            if ts in recs:  # already told to move by a lost dependency
                continue
            if not expected:
                ts.suspicious += 1
            if ts.suspicious > self.allowed_failures:
                self._set_error(ts, KilledWorker(ts.key, ts.suspicious, name), None, ts.key)
                recs[ts] = "erred"
            else:
                recs[ts] = "released"
        self._transitions(recs, stim)
        if not self.workers:
            self._load_heap.clear()

    # -- tasks -------------------------------------------------------------------

    def _handle_task_finished(self, event: ev.TaskFinished, stim: str) -> None:
        ws = self.workers.get(event.worker)
        if ws is None:
            return
        ts = self.tasks.get(event.key)
        ws.observe(event.duration)
        if ts is not None and ts.state == "processing" and ts.processing_on is ws:
            recs = self._transition(
                ts, "memory", stim, worker=ws, nbytes=event.nbytes, duration=event.duration
            )
            self._transitions(recs, stim)
        elif ts is not None and ts.state == "memory":
            self._add_replica(ts, ws, ts.nbytes)
        else:  # stale: the task was cancelled, moved or forgotten meanwhile
            self._instructions.append(FreeKeys(ws.name, [event.key], stim))

    def _handle_task_erred(self, event: ev.TaskErred, stim: str) -> None:
        ws = self.workers.get(event.worker)
        ts = self.tasks.get(event.key)
        if ws is None or ts is None or ts.state != "processing" or ts.processing_on is not ws:
            return
        if ts.retries > 0:
            ts.retries -= 1
            if ts.avoid is None:
                ts.avoid = set()
            ts.avoid.add(ws.name)
            self._transitions({ts: "released"}, stim)
            return
        self._set_error(ts, event.exception, event.traceback, ts.key)
        self._transitions({ts: "erred"}, stim)

    def _handle_graph_submitted(self, event: ev.GraphSubmitted, stim: str) -> None:
        self.generation += 1
        new = self._add_tasks(event.tasks)
        broken = {ts: "erred" for ts in new if ts.exception is not None}
        self._transitions(broken, stim)
        wants = self.clients.setdefault(event.client, set())
        recs: dict = {}
        for key in event.wanted:
            ts = self.tasks.get(key)
            if ts is None:
                err = DependencyMissing("<wanted>", key)
                self._instructions.append(KeyErred(event.client, key, err, None, key, stim))
                continue
            ts.who_wants.add(event.client)
            wants.add(ts)
            self._report_existing(ts, event.client, stim)
            if ts.state == "released":
                recs[ts] = "waiting"
        self._transitions(recs, stim)
        recs = {}
        for ts in new:
            if ts.state == "released" or ts.state == "erred":
                self._forget_if_unused(ts, recs)
        self._transitions(recs, stim)

    def _add_tasks(self, specs: dict) -> list[TaskState]:
        """Create a TaskState for every unknown key of ``specs`` and link dependencies.

        The cyclic garbage collector is paused meanwhile: every object made
        here stays alive, and with it on, a large graph triggers repeated full
        collections that scan all of them (a third of the submit time).
        """
        enabled = gc.isenabled()
        gc.disable()
        try:
            return self._add_tasks_nogc(specs)
        finally:
            if enabled:
                gc.enable()

    def _add_tasks_nogc(self, specs: dict) -> list[TaskState]:
        gen = self.generation
        tasks = self.tasks
        counts = self.group_counts
        new = []
        for key, spec in specs.items():
            if key in tasks:
                continue
            prio = (-spec.priority[0], gen, *spec.priority[1:])
            ts = TaskState(key, spec.run_spec, prio)
            if spec.workers is not None:
                ts.workers = frozenset(spec.workers)
                ts.loose = spec.allow_other_workers
            ts.retries = spec.retries
            if counts is not None:
                ts.counts = counts.of(key)
            tasks[key] = ts
            new.append((ts, spec))
        for ts, spec in new:
            for dkey in spec.deps:
                dts = tasks.get(dkey)
                if dts is None:
                    self._set_error(ts, DependencyMissing(ts.key, dkey), None, ts.key)
                    continue
                ts.deps.add(dts)
                dts.dependents.add(ts)
        return [ts for ts, _ in new]

    def _report_existing(self, ts: TaskState, client: str, stim: str) -> None:
        """Tell a client that newly wants ``ts`` what is already known about it."""
        if ts.state == "memory":
            who_has = tuple(ws.name for ws in ts.who_has)
            self._instructions.append(KeyInMemory(client, ts.key, ts.nbytes, who_has, stim))
        elif ts.state == "erred":
            self._instructions.append(
                KeyErred(client, ts.key, ts.exception, ts.traceback, ts.blamed, stim)
            )

    # -- clients -----------------------------------------------------------------

    def _handle_client_released(self, event: ev.ClientReleasedKeys, stim: str) -> None:
        self._release_keys(event.client, [self.tasks.get(k) for k in event.keys], stim)

    def _handle_client_disconnected(self, event: ev.ClientDisconnected, stim: str) -> None:
        wants = self.clients.pop(event.client, set())
        self._release_keys(event.client, list(wants), stim)

    def _release_keys(self, client: str, tss: list, stim: str) -> None:
        wants = self.clients.get(client, set())
        recs: dict = {}
        for ts in tss:
            if ts is None or client not in ts.who_wants:
                continue
            ts.who_wants.discard(client)
            wants.discard(ts)
            if ts.needed():
                continue
            if ts.state in ACTIVE or ts.state in ("memory", "erred"):
                recs[ts] = "released"
            elif ts.state == "released":
                self._forget_if_unused(ts, recs)
        self._transitions(recs, stim)

    def _handle_data_added(self, event: ev.DataAdded, stim: str) -> None:
        ws = self.workers.get(event.worker)
        if ws is None:
            return
        wants = self.clients.setdefault(event.client, set()) if event.client else None
        for key, nbytes in event.keys_with_nbytes.items():
            ts = self.tasks.get(key)
            if ts is None:
                ts = self.tasks[key] = TaskState(key, None, ())
                ts.scattered = True
                if self.group_counts is not None:
                    ts.counts = self.group_counts.of(key)
            if event.client:
                ts.who_wants.add(event.client)
                wants.add(ts)
            if ts.state == "memory":
                self._add_replica(ts, ws, nbytes)
            elif ts.state == "released":
                recs = self._transition(ts, "memory", stim, worker=ws, nbytes=nbytes)
                self._transitions(recs or {}, stim)
            else:  # being computed or erred: keep the scheduler's own account
                self._instructions.append(FreeKeys(ws.name, [key], stim))

    # -- introspection -------------------------------------------------------------

    def story(self, *keys: Hashable) -> list[tuple]:
        """Transitions of ``keys`` still in the log: ``(key, start, finish, stimulus_id)``.

        Examples
        --------
        >>> from mpiflow.distributed.scheduler import GraphSubmitted, TaskSpec
        >>> s = SchedulerState()
        >>> _ = s.handle(GraphSubmitted("c", {"x": TaskSpec()}, ["x"], stimulus_id="g1"))
        >>> s.story("x")
        [('x', 'released', 'waiting', 'g1'), ('x', 'waiting', 'queued', 'g1')]
        """
        wanted = set(keys)
        return [entry for entry in self.log if entry[0] in wanted]

    def count_groups(self, group_of: Callable[[Any], str]) -> GroupCounts:
        """Keep counts of tasks per state for every task group from now on.

        ``group_of`` maps a key's name to its group. The tasks already known
        are counted at once; afterwards every transition keeps the counts
        current (:mod:`.groups`). Calling it again returns the same counts.

        Examples
        --------
        >>> from mpiflow.distributed.scheduler import GraphSubmitted, TaskSpec
        >>> s = SchedulerState()
        >>> _ = s.handle(GraphSubmitted("c", {"x-1": TaskSpec()}, ["x-1"]))
        >>> s.count_groups(lambda name: name[0]).groups
        {'x': [1, 0, 0, 0, 0]}
        """
        if self.group_counts is None:
            counts = GroupCounts(group_of)
            counts.recount(self.tasks.values())
            self.group_counts = counts
        return self.group_counts

    def validate_state(self) -> None:
        """Check every invariant; raise AssertionError naming the first broken one."""
        validate_state(self)

    def __repr__(self) -> str:
        return (
            f"<SchedulerState tasks={len(self.tasks)} workers={len(self.workers)} "
            f"queued={self._n_queued}>"
        )

    def counts(self) -> dict[str, int]:
        """Number of tasks in each state.

        Examples
        --------
        >>> SchedulerState().counts()
        {}
        """
        out: dict[str, int] = {}
        for ts in self.tasks.values():
            out[ts.state] = out.get(ts.state, 0) + 1
        return out
