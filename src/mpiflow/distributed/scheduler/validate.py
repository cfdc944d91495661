"""``validate_state``: every invariant of :class:`SchedulerState`, checked in full.

Costs ``O(tasks + edges + workers)``; tests call it after every step, the
server never does.

Examples
--------
>>> from mpiflow.distributed.scheduler import SchedulerState
>>> validate_state(SchedulerState())
"""

from __future__ import annotations

from typing import Any

from mpiflow.distributed.scheduler.groups import SLOT
from mpiflow.distributed.scheduler.model import ACTIVE, STATES

__all__ = ["validate_state"]


def _check(ok: Any, what: Any = "invariant broken") -> None:
    """``assert`` that survives ``python -O`` and pytest's assertion rewriting."""
    if not ok:
        raise AssertionError(what)


def validate_state(s: Any) -> None:
    """Raise AssertionError with a message naming the first broken invariant.

    Examples
    --------
    >>> from mpiflow.distributed.scheduler import SchedulerState
    >>> s = SchedulerState()
    >>> s._n_queued = 1
    >>> validate_state(s)
    Traceback (most recent call last):
      ...
    AssertionError: 1 queued tasks counted, 0 found
    """
    n_queued = 0
    for key, ts in s.tasks.items():
        _check(ts.key == key, (key, ts))
        _check(ts.state in STATES and ts.state != "forgotten", ts)
        _validate_links(s, ts)
        _validate_task(s, ts)
        n_queued += ts.state == "queued"
    _check(n_queued == s._n_queued, f"{s._n_queued} queued tasks counted, {n_queued} found")
    for ts in s.unrunnable:
        _check(ts.state == "no-worker", ts)
    for name, ws in s.workers.items():
        _validate_worker(s, name, ws)
    if n_queued:
        full = all(ws.free_slots() <= 0 for ws in s.workers.values())
        _check(full, "tasks are queued while a worker has a free slot")
    for client, wants in s.clients.items():
        for ts in wants:
            _check(client in ts.who_wants and s.tasks.get(ts.key) is ts, (client, ts))
    if s.group_counts is not None:
        _validate_group_counts(s)


def _validate_group_counts(s: Any) -> None:
    """The counters the transitions keep equal a count made from scratch."""
    counts = s.group_counts
    found: dict[int, list[int]] = {}  # id of a group's counter list -> recounted
    for ts in s.tasks.values():
        _check(ts.counts is counts.of(ts.key), f"{ts} points at another group's counters")
        slot = SLOT.get(ts.state)
        if slot is not None:
            found.setdefault(id(ts.counts), [0, 0, 0])[slot] += 1
    for group, kept in counts.groups.items():
        recount = found.get(id(kept), [0, 0, 0])
        _check(kept[:3] == recount, f"group {group!r}: counted {kept[:3]}, found {recount}")


def _validate_links(s: Any, ts: Any) -> None:
    for dts in ts.deps:
        _check(ts in dts.dependents, (ts, dts))
        _check(s.tasks.get(dts.key) is dts, f"{ts} depends on forgotten {dts}")
    for dep in ts.dependents:
        _check(ts in dep.deps, (ts, dep))
        _check(s.tasks.get(dep.key) is dep, f"{ts} has forgotten dependent {dep}")
    active = {dep for dep in ts.dependents if dep.state in ACTIVE}
    _check(ts.waiters == active, (ts, ts.waiters, active))
    for client in ts.who_wants:
        _check(ts in s.clients.get(client, ()), (ts, client))


def _validate_task(s: Any, ts: Any) -> None:
    state = ts.state
    if state in ACTIVE:
        _check(ts.needed(), f"{ts} runs although nobody needs it")
    if state == "memory":
        _check(ts.who_has, f"{ts} in memory nowhere")
        _check(ts.needed(), f"{ts} kept in memory although nobody needs it")
        for ws in ts.who_has:
            _check(ws.alive and s.workers.get(ws.name) is ws, (ts, ws))
            _check(ts in ws.has_what, (ts, ws))
    else:
        _check(not ts.who_has, f"{ts} has holders")
    if state == "processing":
        ws = ts.processing_on
        _check(ws is not None and ws.alive and ts in ws.processing, (ts, ws))
    else:
        _check(ts.processing_on is None, ts)
    if state in ("processing", "no-worker", "queued"):
        for dts in ts.deps:
            _check(dts.state == "memory", f"{ts} is ready but {dts} is not in memory")
    if state == "waiting":
        missing = {dts for dts in ts.deps if dts.state != "memory"}
        _check(missing and ts.waiting_on == missing, (ts, ts.waiting_on, missing))
        for dts in missing:
            _check(dts.state in ACTIVE, f"{ts} waits on {dts}, which will not run")
    else:
        _check(not ts.waiting_on, ts)
    if state == "queued":
        _check(ts.queue_token and s._is_root(ts), ts)
    if state == "no-worker":
        _check(ts in s.unrunnable, ts)
    if state == "released":
        _check(not ts.needed(), f"{ts} released although needed")
        _check(ts.dependents or ts.who_wants, f"{ts} released but should be forgotten")
    if state == "erred":
        _check(ts.blamed is not None, ts)
        _check(not ts.waiters, ts)
        _check(ts.dependents or ts.who_wants, f"{ts} erred but should be forgotten")


def _validate_worker(s: Any, name: str, ws: Any) -> None:
    _check(ws.name == name and ws.alive, ws)
    occupancy = 0.0
    for ts, est in ws.processing.items():
        _check(ts.state == "processing" and ts.processing_on is ws, (ws, ts))
        occupancy += est
    _check(abs(ws.occupancy - occupancy) < 1e-6 * max(1.0, occupancy), (ws, ws.occupancy))
    nbytes = 0
    for ts in ws.has_what:
        _check(ts.state == "memory" and ws in ts.who_has, (ws, ts))
        nbytes += ts.nbytes
    _check(ws.nbytes == nbytes, (ws, ws.nbytes, nbytes))
