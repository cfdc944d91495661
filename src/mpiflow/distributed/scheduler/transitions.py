"""The transition table: one ``_transition_<start>_<finish>`` method per edge.

Each method moves one task, appends the instructions it implies to
``self._instructions`` and returns recommendations ``{ts: finish}`` for the
tasks it affects; :meth:`Transitions._transitions` applies them until none
are left. A pair missing from the table goes through ``released``.

Examples
--------
>>> from mpiflow.distributed.scheduler import SchedulerState
>>> ("waiting", "processing") in SchedulerState()._table
True
"""

from __future__ import annotations

from typing import Any

from mpiflow.distributed.scheduler.adaptive import WORK_STATES
from mpiflow.distributed.scheduler.groups import MOVES
from mpiflow.distributed.scheduler.instructions import (
    Execute,
    FreeKeys,
    KeyErred,
    KeyInMemory,
)
from mpiflow.distributed.scheduler.model import ACTIVE, TaskState, WorkerState
from mpiflow.distributed.scheduler.placement import Placement

__all__ = ["Transitions", "EDGES"]

#: every (start, finish) pair with its own method
EDGES = (
    ("released", "waiting"),
    ("released", "memory"),
    ("released", "erred"),
    ("released", "forgotten"),
    ("waiting", "processing"),
    ("waiting", "released"),
    ("waiting", "erred"),
    ("queued", "processing"),
    ("queued", "released"),
    ("no-worker", "processing"),
    ("no-worker", "released"),
    ("processing", "memory"),
    ("processing", "released"),
    ("processing", "erred"),
    ("memory", "released"),
    ("memory", "erred"),
    ("erred", "released"),
)


class Transitions(Placement):
    """Mixin for :class:`SchedulerState`: the transition methods.

    Examples
    --------
    >>> from mpiflow.distributed.scheduler import SchedulerState
    >>> len(SchedulerState()._table) == len(EDGES)
    True
    """

    tasks: dict
    log: Any
    work: Any  # WorkLedger: tasks still to run, per group
    _instructions: list

    def _init_table(self) -> None:
        self._table = {
            (a, b): getattr(self, f"_transition_{a}_{b}".replace("-", "_")) for a, b in EDGES
        }

    def _transition(self, ts: TaskState, finish: str, stim: str, **kw: Any) -> dict | None:
        """Move ``ts`` to ``finish`` (via ``released`` if there is no direct edge)."""
        start = ts.state
        if start == finish or start == "forgotten":
            return None
        func = self._table.get((start, finish))
        if func is not None:
            recs = func(ts, stim, **kw)
            if (start in WORK_STATES) is not (ts.state in WORK_STATES):
                self.work.moved(ts, start, ts.state)  # for adaptive_target
            self.log.append((ts.key, start, ts.state, stim))
            counts = ts.counts
            if counts is not None:  # group counters are on (a dashboard): inline, it is hot
                out, into, erred = MOVES[start][ts.state]
                if out >= 0:
                    counts[out] -= 1
                if into >= 0:
                    counts[into] += 1
                if erred >= 0:
                    counts[erred] += 1
            return recs
        if finish == "released" or (start, "released") not in self._table:
            raise RuntimeError(f"impossible transition {start} -> {finish} for {ts.key!r}")
        recs = self._transition(ts, "released", stim) or {}
        recs.pop(ts, None)
        more = self._transition(ts, finish, stim)
        if more:
            recs.update(more)
        return recs

    def _transitions(self, recs: dict, stim: str) -> None:
        """Apply recommendations (depth first) until none are left."""
        transition = self._transition
        while recs:
            ts, finish = recs.popitem()
            new = transition(ts, finish, stim)
            if new:
                recs.update(new)

    # -- helpers ---------------------------------------------------------------

    def _assign(self, ts: TaskState, ws: WorkerState, stim: str) -> None:
        est = self._estimate(ts)
        ts.state = "processing"
        ts.processing_on = ws
        ws.processing[ts] = est
        ws.occupancy += est
        self._touch(ws)
        who_has = {dts.key: tuple(w.name for w in dts.who_has) for dts in ts.deps}
        self._instructions.append(Execute(ws.name, ts.key, ts.run_spec, ts.priority, who_has, stim))

    def _unassign(self, ts: TaskState) -> WorkerState:
        ws = ts.processing_on
        ts.processing_on = None
        ws.occupancy -= ws.processing.pop(ts)
        if not ws.processing:
            ws.occupancy = 0.0
        self._touch(ws)
        return ws

    def _add_replica(self, ts: TaskState, ws: WorkerState, nbytes: int) -> None:
        if ws not in ts.who_has:
            ts.who_has.add(ws)
            ws.has_what.add(ts)
            ws.nbytes += nbytes

    def _release_deps(self, ts: TaskState, recs: dict) -> None:
        """``ts`` no longer needs its dependencies: drop its claim on them."""
        for dts in ts.deps:
            dts.waiters.discard(ts)
            if not dts.waiters and not dts.who_wants and (
                dts.state == "memory" or dts.state in ACTIVE
            ):
                recs[dts] = "released"

    @staticmethod
    def _forget_if_unused(ts: TaskState, recs: dict) -> None:
        if not ts.dependents and not ts.who_wants:
            recs[ts] = "forgotten"

    def _set_error(self, ts: TaskState, exception: Any, traceback: Any, blamed: Any) -> None:
        ts.exception = exception
        ts.traceback = traceback
        ts.blamed = blamed

    def _become_erred(self, ts: TaskState, stim: str) -> dict:
        """Common tail of every ``* -> erred``: tell clients, err active dependents."""
        ts.state = "erred"
        recs: dict = {}
        self._release_deps(ts, recs)
        for dep in ts.dependents:
            if dep.state in ACTIVE:
                self._set_error(dep, ts.exception, ts.traceback, ts.blamed)
                recs[dep] = "erred"
        for client in ts.who_wants:
            self._instructions.append(
                KeyErred(client, ts.key, ts.exception, ts.traceback, ts.blamed, stim)
            )
        return recs

    # -- from released ---------------------------------------------------------

    def _transition_released_waiting(self, ts: TaskState, stim: str) -> dict:
        recs: dict = {}
        if not ts.needed():  # a stale recommendation: whoever needed it is gone
            self._forget_if_unused(ts, recs)
            return recs
        ts.state = "waiting"
        waiting_on = ts.waiting_on
        waiting_on.clear()
        for dts in ts.deps:
            dts.waiters.add(ts)
            state = dts.state
            if state == "memory":
                continue
            if state == "erred":
                self._set_error(ts, dts.exception, dts.traceback, dts.blamed)
                recs[ts] = "erred"
            elif state == "released":
                recs[dts] = "waiting"
            waiting_on.add(dts)
        if not waiting_on:
            recs[ts] = "processing"
        return recs

    def _transition_released_memory(
        self, ts: TaskState, stim: str, worker: WorkerState, nbytes: int
    ) -> dict:
        ts.state = "memory"
        ts.nbytes = nbytes
        self._add_replica(ts, worker, nbytes)
        return self._after_memory(ts, stim)

    def _transition_released_erred(self, ts: TaskState, stim: str) -> dict:
        return self._become_erred(ts, stim)

    def _transition_released_forgotten(self, ts: TaskState, stim: str) -> dict:
        ts.state = "forgotten"
        del self.tasks[ts.key]
        recs: dict = {}
        for dts in ts.deps:
            dts.dependents.discard(ts)
            dts.waiters.discard(ts)
            if dts.state in ("released", "erred") and not dts.dependents and not dts.who_wants:
                recs[dts] = "forgotten"
        return recs

    # -- from waiting / queued / no-worker -----------------------------------

    def _transition_waiting_processing(self, ts: TaskState, stim: str) -> dict | None:
        if self._is_root(ts):
            ts.state = "queued"
            self._queue_push(ts)
            return None
        ws = self._decide_worker(ts)
        if ws is None:
            ts.state = "no-worker"
            self.unrunnable.add(ts)
            return None
        self._assign(ts, ws, stim)
        return None

    def _transition_waiting_released(self, ts: TaskState, stim: str) -> dict:
        ts.waiting_on.clear()
        return self._to_released(ts)

    def _transition_waiting_erred(self, ts: TaskState, stim: str) -> dict:
        ts.waiting_on.clear()
        return self._become_erred(ts, stim)

    def _transition_queued_processing(self, ts: TaskState, stim: str) -> None:
        ws = self._least_loaded()
        if ws is None or ws.free_slots() <= 0:
            return None
        self._queue_remove(ts)
        self._assign(ts, ws, stim)
        return None

    def _transition_queued_released(self, ts: TaskState, stim: str) -> dict:
        self._queue_remove(ts)
        return self._to_released(ts)

    def _transition_no_worker_processing(self, ts: TaskState, stim: str) -> dict | None:
        self.unrunnable.discard(ts)
        return self._transition_waiting_processing(ts, stim)

    def _transition_no_worker_released(self, ts: TaskState, stim: str) -> dict:
        self.unrunnable.discard(ts)
        return self._to_released(ts)

    def _to_released(self, ts: TaskState) -> dict:
        """Tail of ``active -> released``: back to waiting if still needed."""
        ts.state = "released"
        recs: dict = {}
        if ts.needed():
            recs[ts] = "waiting"
        else:
            self._release_deps(ts, recs)
            self._forget_if_unused(ts, recs)
        return recs

    # -- from processing -----------------------------------------------------

    def _transition_processing_memory(
        self, ts: TaskState, stim: str, worker: WorkerState, nbytes: int, duration: float
    ) -> dict:
        self._unassign(ts)
        self._record_duration(ts, duration)
        ts.state = "memory"
        ts.nbytes = nbytes
        self._add_replica(ts, worker, nbytes)
        recs = self._after_memory(ts, stim)
        self._release_deps(ts, recs)
        return recs

    def _after_memory(self, ts: TaskState, stim: str) -> dict:
        recs: dict = {}
        for dep in ts.dependents:
            if dep.state == "waiting":
                waiting_on = dep.waiting_on
                waiting_on.discard(ts)
                if not waiting_on:
                    recs[dep] = "processing"
        if ts.who_wants:
            who_has = tuple(ws.name for ws in ts.who_has)
            for client in ts.who_wants:
                self._instructions.append(KeyInMemory(client, ts.key, ts.nbytes, who_has, stim))
        elif not ts.waiters:
            recs[ts] = "released"
        return recs

    def _transition_processing_released(self, ts: TaskState, stim: str) -> dict:
        ws = self._unassign(ts)
        if ws.alive:
            self._instructions.append(FreeKeys(ws.name, [ts.key], stim))
        return self._to_released(ts)

    def _transition_processing_erred(self, ts: TaskState, stim: str) -> dict:
        ws = self._unassign(ts)
        if ws.alive:
            self._instructions.append(FreeKeys(ws.name, [ts.key], stim))
        return self._become_erred(ts, stim)

    # -- from memory / erred ---------------------------------------------------

    def _drop_data(self, ts: TaskState, stim: str) -> dict:
        """Free every copy of ``ts``; put dependents that relied on it back to wait."""
        for ws in ts.who_has:
            ws.has_what.discard(ts)
            ws.nbytes -= ts.nbytes
            self._instructions.append(FreeKeys(ws.name, [ts.key], stim))
        ts.who_has.clear()
        recs: dict = {}
        for dep in ts.dependents:
            state = dep.state
            if state == "waiting":
                dep.waiting_on.add(ts)
            elif state == "processing" or state == "no-worker":
                recs[dep] = "released"
        return recs

    def _transition_memory_released(self, ts: TaskState, stim: str) -> dict:
        recs = self._drop_data(ts, stim)
        ts.state = "released"
        if ts.needed():
            recs[ts] = "waiting"
        else:
            self._forget_if_unused(ts, recs)
        return recs

    def _transition_memory_erred(self, ts: TaskState, stim: str) -> dict:
        recs = self._drop_data(ts, stim)
        for dep, finish in list(recs.items()):
            if finish == "released":  # they cannot run without ts
                self._set_error(dep, ts.exception, ts.traceback, ts.blamed)
                recs[dep] = "erred"
        recs.update(self._become_erred(ts, stim))
        return recs

    def _transition_erred_released(self, ts: TaskState, stim: str) -> dict:
        ts.state = "released"
        ts.exception = ts.traceback = ts.blamed = None
        recs: dict = {}
        if ts.needed():
            recs[ts] = "waiting"
        else:
            self._forget_if_unused(ts, recs)
        return recs
