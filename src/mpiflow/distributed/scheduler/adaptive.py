"""How many workers the scheduler's work wants, and which workers to let go.

Pure functions of a :class:`~mpiflow.distributed.scheduler.state.SchedulerState`
(no I/O, no clock), asked about once a second by an adapt loop
(:meth:`Client.adaptive_target <mpiflow.distributed.client_info.ClusterInfoMixin.adaptive_target>`,
``SLURMCluster.adapt``). Each call costs ``O(task groups + workers)``, never
``O(tasks)``: the state machine keeps a :class:`WorkLedger`, running counts of
the tasks that still have to run per task group (key prefix), updated on every
transition.

Semantics follow Dask's ``Scheduler.adaptive_target`` and
``workers_to_close`` (queued and processing work divided by a target
duration; memory raises the target; only idle workers are closed when
shrinking), with three differences:

* the work is divided by the threads of a worker as well, so a pool of
  4-thread workers is not four times too big (Dask issue #2709);
* tasks restricted to named workers (``workers=`` without
  ``allow_other_workers``) never ask for more workers: new ones could not run
  them;
* ``workers_to_close(n)`` takes the number of workers to *keep*.

Examples
--------
>>> from mpiflow.distributed.scheduler import (
...     SchedulerState, WorkerJoined, GraphSubmitted, TaskSpec)
>>> s = SchedulerState(default_duration=1.0)
>>> _ = s.handle(WorkerJoined("w1", 1, stimulus_id="j"))
>>> tasks = {f"sleep-{i}": TaskSpec() for i in range(20)}
>>> _ = s.handle(GraphSubmitted("c", tasks, list(tasks), stimulus_id="g"))
>>> adaptive_target(s, target_duration=5.0)   # 20 tasks x 1 s on 1-thread workers
4
>>> workers_to_close(s, 0)
['w1']
"""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Iterable
from heapq import nsmallest
from numbers import Real
from operator import attrgetter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from mpiflow.distributed.scheduler.model import TaskState

__all__ = [
    "WORK_STATES",
    "WorkLedger",
    "adaptive_target",
    "workers_to_close",
    "check_target_duration",
    "check_n_workers",
]

#: Task states whose work still has to be done (and is counted by :class:`WorkLedger`).
WORK_STATES = frozenset({"queued", "no-worker", "processing"})

#: Fraction of a worker's memory limit that stored results may fill.
MEMORY_FRACTION = 0.6

_IDLE_ORDER = attrgetter("nbytes", "seq")
_BUSY_ORDER = attrgetter("occupancy", "nbytes", "seq")


class WorkLedger:
    """Running counts of the tasks that still have to run, per task group.

    ``groups`` maps a key prefix to how many of its tasks are queued,
    no-worker or processing; ``pinned`` counts such tasks restricted to named
    workers (without ``allow_other_workers``), which more workers cannot
    speed up. The scheduler calls :meth:`moved` after every transition that
    enters or leaves one of :data:`WORK_STATES`.

    Examples
    --------
    >>> from mpiflow.distributed.scheduler.model import TaskState
    >>> ledger, ts = WorkLedger(), TaskState(("inc-1", 0), None, (0,))
    >>> ledger.moved(ts, "waiting", "queued"); ledger.groups
    {'inc': 1}
    >>> ledger.moved(ts, "queued", "processing"); ledger.groups
    {'inc': 1}
    >>> ledger.moved(ts, "processing", "memory"); ledger.groups, ledger.pinned
    ({}, 0)
    """

    __slots__ = ("groups", "pinned")

    def __init__(self) -> None:
        self.groups: dict[str, int] = {}
        self.pinned = 0

    def moved(self, ts: TaskState, start: str, finish: str) -> None:
        """Account for ``ts`` having moved from state ``start`` to ``finish``."""
        was = start in WORK_STATES
        if was == (finish in WORK_STATES):
            return
        delta = -1 if was else 1
        if ts.workers is not None and not ts.loose:
            self.pinned += delta
            return
        groups = self.groups
        n = groups.get(ts.prefix, 0) + delta
        if n:
            groups[ts.prefix] = n
        else:
            del groups[ts.prefix]

    @classmethod
    def recount(cls, tasks: Iterable[TaskState]) -> WorkLedger:
        """A ledger counted from scratch (``O(tasks)``; for checks and tests).

        Examples
        --------
        >>> WorkLedger.recount([]).groups
        {}
        """
        ledger = cls()
        for ts in tasks:
            ledger.moved(ts, "released", ts.state)
        return ledger

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, WorkLedger) and self.groups == other.groups
                and self.pinned == other.pinned)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<WorkLedger groups={self.groups} pinned={self.pinned}>"


def check_target_duration(target_duration: Any) -> float:
    """``target_duration`` as a positive number of seconds, or a clear error.

    Examples
    --------
    >>> check_target_duration(5)
    5.0
    >>> check_target_duration("5s")
    Traceback (most recent call last):
      ...
    TypeError: target_duration must be a number of seconds (like 5.0), got '5s'
    """
    if isinstance(target_duration, bool) or not isinstance(target_duration, Real):
        raise TypeError(
            f"target_duration must be a number of seconds (like 5.0), got {target_duration!r}")
    value = float(target_duration)
    if not (value > 0 and math.isfinite(value)):
        raise ValueError(
            f"target_duration must be a positive, finite number of seconds (like 5.0): the "
            f"time the queued work should take; got {target_duration!r}")
    return value


def check_n_workers(n: Any) -> int:
    """``n`` as a count of workers to keep (an int >= 0), or a clear error.

    Examples
    --------
    >>> check_n_workers(2)
    2
    >>> check_n_workers(-1)
    Traceback (most recent call last):
      ...
    ValueError: n is the number of workers to keep and must be >= 0, got -1
    """
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"n is the number of workers to keep and must be an int, got {n!r}")
    if n < 0:
        raise ValueError(f"n is the number of workers to keep and must be >= 0, got {n!r}")
    return n


def adaptive_target(state: Any, target_duration: float = 5.0, *,
                    memory_fraction: float = MEMORY_FRACTION,
                    nthreads: int | None = None) -> int:
    """How many workers the scheduler's work wants, to finish within ``target_duration``.

    The work is the expected run time of every queued, no-worker and
    processing task (the running mean of observed durations of its task
    group; ``state.default_duration`` for groups not seen yet), divided by
    ``target_duration`` times the threads of one worker. Then:

    * at least 1 while any task still has to run (also one restricted to
      named workers, which otherwise asks for no extra workers);
    * memory: enough workers to keep the results they hold within
      ``memory_fraction`` of the mean worker memory limit (at least 1 while
      anything is held; workers without a limit hold anything);
    * when that is fewer workers than there are, never fewer than the workers
      still running tasks: only idle workers are let go. Data held by idle
      workers moves when they retire, so it keeps none of them.

    ``O(task groups + workers)``. 0 means "no work and no data".

    Parameters
    ----------
    state : SchedulerState
        The scheduler's state machine.
    target_duration : float
        Seconds the work in hand should take with the target's workers.
    memory_fraction : float
        Share of a worker's memory limit that held results may fill.
    nthreads : int, optional
        Threads of a worker that would be started; by default the mean of
        the current workers (1 when there are none).

    Returns
    -------
    int
        The number of workers wanted; an adapt loop clamps it to its
        ``minimum`` and ``maximum``.

    Examples
    --------
    >>> from mpiflow.distributed.scheduler import SchedulerState, WorkerJoined
    >>> s = SchedulerState()
    >>> adaptive_target(s)
    0
    >>> _ = s.handle(WorkerJoined("w1", 2, 10**9, stimulus_id="j"))
    >>> adaptive_target(s)  # an idle worker holding nothing is not wanted
    0
    >>> adaptive_target(s, target_duration=0)
    Traceback (most recent call last):
      ...
    ValueError: target_duration must be a positive, finite number of seconds (like 5.0): \
the time the queued work should take; got 0
    """
    target_duration = check_target_duration(target_duration)
    if not 0 < memory_fraction <= 1:
        raise ValueError(f"memory_fraction must be in (0, 1], got {memory_fraction!r}")
    if nthreads is not None and (isinstance(nthreads, bool) or not isinstance(nthreads, int)
                                 or nthreads < 1):
        raise ValueError(f"nthreads must be an int >= 1 (threads of one worker), got {nthreads!r}")
    ledger: WorkLedger = state.work
    durations = state._durations
    default = state.default_duration
    work = 0.0
    for group, count in ledger.groups.items():
        work += count * durations.get(group, default)

    threads = busy = stored = limits = limited = 0
    workers = state.workers
    for ws in workers.values():
        threads += ws.nthreads
        stored += ws.nbytes
        if ws.processing:
            busy += 1
        if ws.memory_limit and ws.memory_limit > 0:
            limits += ws.memory_limit
            limited += 1
    per_worker = nthreads or (threads / len(workers) if workers else 1)

    cpu = math.ceil(work / (target_duration * per_worker))
    if ledger.groups or ledger.pinned:
        cpu = max(cpu, 1)
    memory = 0
    if stored > 0:
        memory = (math.ceil(stored / (memory_fraction * limits / limited)) if limited else 1)
    target = max(cpu, memory)
    if target < len(workers):
        target = max(target, busy)
    return target


def workers_to_close(state: Any, n: int, leaving: Collection[Hashable] = ()) -> list[str]:
    """Names of the workers to retire so that ``n`` workers remain.

    Idle workers (nothing processing) go first, those holding the fewest
    stored bytes first, then the oldest (the first to reach a walltime).
    Workers running tasks are named only when the idle ones are not enough,
    least estimated work first. Retiring moves their data to the workers
    that stay (:meth:`Client.retire_workers`), so nothing is lost.

    Unlike Dask's ``Scheduler.workers_to_close(n=...)``, where ``n`` is how
    many to close, ``n`` here is how many to keep: pass the result of
    :func:`adaptive_target` directly.

    ``O(workers log k)`` for ``k`` workers named.

    Parameters
    ----------
    state : SchedulerState
        The scheduler's state machine.
    n : int
        Workers to keep (>= 0). At or above the current number: ``[]``.
    leaving : collection of str
        Workers already being retired: counted as gone, never named again.

    Examples
    --------
    >>> from mpiflow.distributed.scheduler import SchedulerState, WorkerJoined
    >>> s = SchedulerState()
    >>> _ = s.handle(*(WorkerJoined(f"w{i}", 1, stimulus_id="j") for i in range(3)))
    >>> workers_to_close(s, 1)
    ['w0', 'w1']
    >>> workers_to_close(s, 1, leaving=["w0"])
    ['w1']
    >>> workers_to_close(s, 5)
    []
    """
    n = check_n_workers(n)
    leaving = set(leaving)
    candidates = [ws for ws in state.workers.values() if ws.name not in leaving]
    k = len(candidates) - n
    if k <= 0:
        return []
    idle = [ws for ws in candidates if not ws.processing]
    if len(idle) >= k:
        chosen = _smallest(k, idle, _IDLE_ORDER)
    else:
        busy = [ws for ws in candidates if ws.processing]
        chosen = sorted(idle, key=_IDLE_ORDER) + _smallest(k - len(idle), busy, _BUSY_ORDER)
    return [ws.name for ws in chosen]


def _smallest(k: int, items: list, key: Any) -> list:
    """The ``k`` smallest of ``items``: a heap for a few, a sort for many."""
    if 8 * k < len(items):
        return nsmallest(k, items, key=key)
    return sorted(items, key=key)[:k]
