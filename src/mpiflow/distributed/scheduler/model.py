"""The scheduler's records: one :class:`TaskState` per key, one :class:`WorkerState` per worker.

Task states (fewer than Dask's):

========== ==============================================================
released   known, not computed and not needed right now (keeps its recipe)
waiting    needed; some dependencies are not in memory yet
queued     ready root task held centrally until a worker has a free slot
no-worker  ready, but no allowed worker exists
processing sent to one worker
memory     result held by at least one worker
erred      failed (or a dependency failed); clients were told why
forgotten  dropped from the scheduler (only seen in the log)
========== ==============================================================

Examples
--------
>>> ts = TaskState("x", None, (0, 0, 0))
>>> ts.state, ts.needed()
('released', False)
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from typing import Any

__all__ = [
    "TaskState",
    "WorkerState",
    "KilledWorker",
    "ScatteredDataLost",
    "DependencyMissing",
    "STATES",
    "ACTIVE",
    "key_prefix",
]

STATES = (
    "released",
    "waiting",
    "queued",
    "no-worker",
    "processing",
    "memory",
    "erred",
    "forgotten",
)
#: states of a task that still has to run; such tasks are ``waiters`` of their deps
ACTIVE = frozenset({"waiting", "queued", "no-worker", "processing"})


class KilledWorker(Exception):
    """A task was running on too many workers that died.

    Examples
    --------
    >>> str(KilledWorker("x", 3, "w9"))[:39]
    "task 'x' was running on 3 workers that "
    """

    def __init__(self, key: Hashable, count: int, last_worker: str) -> None:
        self.key = key
        self.count = count
        self.last_worker = last_worker
        super().__init__(
            f"task {key!r} was running on {count} workers that died (last: {last_worker!r}); "
            "it probably crashes its worker (segfault, out of memory). Run it alone to see "
            "why, or raise the scheduler's allowed_failures."
        )

    def __reduce__(self):  # travels to the client: rebuild from the arguments, not the message
        return (KilledWorker, (self.key, self.count, self.last_worker))


class ScatteredDataLost(Exception):
    """Scattered data (which has no recipe) was only on a worker that left.

    Examples
    --------
    >>> "Scatter it again" in str(ScatteredDataLost("d", "w1"))
    True
    """

    def __init__(self, key: Hashable, worker: str) -> None:
        self.key = key
        self.worker = worker
        super().__init__(
            f"key {key!r} was scattered data held only by worker {worker!r}, which left; "
            "it has no recipe to recompute it. Scatter it again (or scatter with "
            "broadcast=True to keep copies on several workers)."
        )

    def __reduce__(self):
        return (ScatteredDataLost, (self.key, self.worker))


class DependencyMissing(Exception):
    """A submitted task depends on a key neither in its graph nor on the cluster.

    Examples
    --------
    >>> "'a' depends on 'b'" in str(DependencyMissing("a", "b"))
    True
    """

    def __init__(self, key: Hashable, missing: Hashable) -> None:
        self.key = key
        self.missing = missing
        super().__init__(
            f"task {key!r} depends on {missing!r}, which is neither in the submitted graph "
            "nor held by the cluster (it may have been released). Submit it with the graph."
        )


_PREFIXES: dict = {}


def key_prefix(key: Any) -> str:
    """The name of the group a key belongs to (used to estimate durations).

    Examples
    --------
    >>> key_prefix(("sum-abc", 3)), key_prefix("inc-12"), key_prefix(7)
    ('sum', 'inc', '7')
    """
    if type(key) is tuple:
        key = key[0] if key else ""
    try:
        return _PREFIXES[key]
    except (KeyError, TypeError):
        pass
    name = key
    if type(key) is bytes:
        key = key.decode(errors="replace")
    s = key if type(key) is str else str(key)
    head, sep, _ = s.partition("-")
    out = head if sep and head else s
    if type(name) is str and len(_PREFIXES) < 10_000:
        _PREFIXES[name] = out  # group names repeat across many keys
    return out


class TaskState:
    """Everything the scheduler tracks for one key.

    ``waiting_on`` holds dependencies not yet in memory (only while waiting);
    ``waiters`` holds dependents that still have to run and so keep this
    task's data alive; ``who_wants`` holds clients that want the result.

    Examples
    --------
    >>> a, b = TaskState("a", None, (0,)), TaskState("b", None, (0,))
    >>> b.deps.add(a); a.dependents.add(b)
    >>> [d.key for d in b.deps]
    ['a']
    """

    __slots__ = (
        "key",
        "run_spec",
        "priority",
        "prefix",
        "state",
        "deps",
        "dependents",
        "waiting_on",
        "waiters",
        "who_wants",
        "who_has",
        "processing_on",
        "nbytes",
        "workers",
        "loose",
        "retries",
        "suspicious",
        "avoid",
        "exception",
        "traceback",
        "blamed",
        "queue_token",
        "scattered",
        "counts",
    )

    def __init__(self, key: Hashable, run_spec: Any, priority: tuple) -> None:
        self.key = key
        self.run_spec = run_spec
        self.priority = priority
        self.prefix = key_prefix(key)
        self.state = "released"
        self.deps: set[TaskState] = set()
        self.dependents: set[TaskState] = set()
        self.waiting_on: set[TaskState] = set()
        self.waiters: set[TaskState] = set()
        self.who_wants: set[str] = set()
        self.who_has: set[WorkerState] = set()
        self.processing_on: WorkerState | None = None
        self.nbytes = 0
        self.workers: frozenset | None = None
        self.loose = False
        self.retries = 0
        self.suspicious = 0
        self.avoid: set[str] | None = None
        self.exception: Any = None
        self.traceback: Any = None
        self.blamed: Hashable = None
        self.queue_token = 0
        self.scattered = False
        self.counts: list[int] | None = None  # its group's counters, while they are kept

    def needed(self) -> bool:
        """True if a client or a dependent that still has to run needs this result."""
        return bool(self.who_wants or self.waiters)

    def __repr__(self) -> str:
        return f"<TaskState {self.key!r} {self.state}>"


class WorkerState:
    """Everything the scheduler tracks for one worker.

    ``processing`` maps each task sent there to its estimated duration;
    ``occupancy`` is their sum. ``cap`` is how many tasks the worker may hold
    at once before root tasks wait in the scheduler's queue.

    Examples
    --------
    >>> ws = WorkerState("w1", 4, 0, seq=0, saturation=1.1)
    >>> ws.cap, ws.free_slots()
    (5, 5)
    """

    __slots__ = (
        "name",
        "nthreads",
        "memory_limit",
        "seq",
        "cap",
        "processing",
        "occupancy",
        "has_what",
        "nbytes",
        "version",
        "alive",
        "base_cap",
        "avg_duration",
    )

    #: Seconds of queued work per thread a worker may hold when tasks are short.
    SHORT_TASK_SECONDS = 0.005
    #: Most tasks per thread in flight, however short they are.
    MAX_TASKS_PER_THREAD = 200

    def __init__(
        self, name: str, nthreads: int, memory_limit: int, seq: int, saturation: float
    ) -> None:
        self.name = name
        self.nthreads = max(1, int(nthreads))
        self.memory_limit = memory_limit
        self.seq = seq
        self.cap = self.base_cap = max(1, math.ceil(self.nthreads * saturation))
        self.avg_duration: float | None = None
        self.processing: dict[TaskState, float] = {}
        self.occupancy = 0.0
        self.has_what: set[TaskState] = set()
        self.nbytes = 0
        self.version = 0
        self.alive = True

    def observe(self, duration: float) -> None:
        """Learn from a finished task's duration; short tasks earn more slots.

        Each handed-out task costs a round trip to the scheduler, so a worker
        running tasks of 50 µs would idle most of the time with ``base_cap``
        slots. It may hold about :attr:`SHORT_TASK_SECONDS` of work per thread
        instead (never fewer than ``base_cap`` tasks); long tasks keep the
        memory-safe ``base_cap``.

        Examples
        --------
        >>> ws = WorkerState("w", 1, 0, seq=0, saturation=1.1)
        >>> ws.observe(0.0001); ws.cap
        50
        >>> for _ in range(20): ws.observe(1.0)
        >>> ws.cap
        2
        """
        avg = self.avg_duration
        avg = duration if avg is None else 0.8 * avg + 0.2 * duration
        self.avg_duration = avg
        per_thread = min(self.MAX_TASKS_PER_THREAD,
                         int(self.SHORT_TASK_SECONDS / max(avg, 1e-7)))
        self.cap = max(self.base_cap, per_thread * self.nthreads)

    def free_slots(self) -> int:
        """How many more tasks the worker may take before it is saturated."""
        return self.cap - len(self.processing)

    def load(self) -> tuple:
        """Sort key for "least occupied": fullness first, then estimated seconds per thread."""
        return (len(self.processing) / self.cap, self.occupancy / self.nthreads)

    def __repr__(self) -> str:
        return f"<WorkerState {self.name!r} processing={len(self.processing)}>"
