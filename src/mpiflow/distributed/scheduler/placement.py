"""Where tasks run: the load heap, the root-task queue and ``decide_worker``.

Choice: **queuing, not stealing.** A ready task without dependencies (a
*root* task) is never pushed to a worker that already holds ``cap``
(about ``nthreads * saturation``) tasks: it waits in a scheduler-side heap,
ordered by priority, and is handed to the first worker that frees a slot.
So a new worker picks up work at once, memory stays bounded (roots are what
create data), and no task ever has to be taken back from a busy worker, which
stealing would need (a round trip, and races with a task that already
started). Tasks with dependencies go straight to the worker holding most of
their input bytes, like Dask: moving them would cost transfers.

Finding the least-loaded worker is ``O(log n)``: every worker whose load
changed since the last lookup pushes a new entry on a heap; stale entries (older ``version``, dead
worker) are dropped when they reach the top, and the heap is rebuilt when it
grows past a few entries per worker.

Examples
--------
>>> from mpiflow.distributed.scheduler import SchedulerState
>>> s = SchedulerState()
>>> s._least_loaded() is None
True
"""

from __future__ import annotations

from heapq import heapify, heappop, heappush

from mpiflow.distributed.scheduler.model import TaskState, WorkerState

__all__ = ["Placement"]


class Placement:
    """Mixin for :class:`SchedulerState`: worker choice and the root-task queue.

    Examples
    --------
    >>> from mpiflow.distributed.scheduler import SchedulerState, WorkerJoined
    >>> s = SchedulerState()
    >>> _ = s.handle(WorkerJoined("a", 2, stimulus_id="j"), WorkerJoined("b", 1, stimulus_id="j"))
    >>> s._least_loaded().name
    'a'
    """

    workers: dict[str, WorkerState]
    default_duration: float

    def _init_placement(self) -> None:
        self._load_heap: list = []
        self._dirty: set = set()
        self._queue: list = []
        self._n_queued = 0
        self._queue_counter = 0
        self._durations: dict[str, float] = {}

    # -- load heap ---------------------------------------------------------

    def _touch(self, ws: WorkerState) -> None:
        """Record that ``ws``'s load changed; the heap learns it before the next lookup."""
        self._dirty.add(ws)

    def _flush_loads(self) -> None:
        """Push a fresh heap entry for every worker whose load changed."""
        heap = self._load_heap
        for ws in self._dirty:
            if ws.alive:
                ws.version += 1
                heappush(
                    heap,
                    (len(ws.processing) / ws.cap, ws.occupancy / ws.nthreads, ws.seq,
                     ws.version, ws),
                )
        self._dirty.clear()
        if len(heap) > 4 * len(self.workers) + 64:
            self._rebuild_heap()

    def _rebuild_heap(self) -> None:
        heap = [
            (len(ws.processing) / ws.cap, ws.occupancy / ws.nthreads, ws.seq, ws.version, ws)
            for ws in self.workers.values()
        ]
        heapify(heap)
        self._load_heap = heap

    def _least_loaded(self, avoid: set | None = None) -> WorkerState | None:
        """The least-loaded live worker, preferring those not named in ``avoid``.

        ``O(log n)`` amortised, plus ``O(len(avoid) log n)`` with ``avoid``.
        """
        if self._dirty:
            self._flush_loads()
        heap = self._load_heap
        stash = []
        found = None
        while heap:
            entry = heap[0]
            ws = entry[4]
            if not ws.alive or entry[3] != ws.version:
                heappop(heap)
                continue
            if avoid and ws.name in avoid:
                stash.append(heappop(heap))
                continue
            found = ws
            break
        for entry in stash:
            heappush(heap, entry)
        if found is None and stash:
            found = stash[0][4]
        return found

    # -- root-task queue -----------------------------------------------------

    def _queue_push(self, ts: TaskState) -> None:
        self._queue_counter += 1
        ts.queue_token = self._queue_counter
        heappush(self._queue, (ts.priority, self._queue_counter, ts))
        self._n_queued += 1

    def _queue_remove(self, ts: TaskState) -> None:
        """Take ``ts`` out of the queue (its heap entry becomes stale)."""
        ts.queue_token = 0
        self._n_queued -= 1

    def _queue_peek(self) -> TaskState | None:
        """The queued task with the best priority, or None."""
        queue = self._queue
        while queue:
            _, token, ts = queue[0]
            if ts.queue_token == token and ts.state == "queued":
                return ts
            heappop(queue)
        return None

    # -- decisions -------------------------------------------------------------

    @staticmethod
    def _is_root(ts: TaskState) -> bool:
        """Root tasks (no dependencies, no restrictions) wait in the queue."""
        return not ts.deps and ts.workers is None and not ts.avoid

    def _estimate(self, ts: TaskState) -> float:
        """Expected run time of ``ts``: running mean of its key prefix."""
        return self._durations.get(ts.prefix, self.default_duration)

    def _record_duration(self, ts: TaskState, duration: float) -> None:
        old = self._durations.get(ts.prefix)
        self._durations[ts.prefix] = duration if old is None else 0.8 * old + 0.2 * duration

    def _allowed(self, ts: TaskState) -> set | None:
        """Workers ``ts`` may run on: None means any; an empty set means none."""
        if ts.workers is None:
            return None
        allowed = {ws for name in ts.workers if (ws := self.workers.get(name)) is not None}
        if not allowed and ts.loose:
            return None
        return allowed

    def _decide_worker(self, ts: TaskState) -> WorkerState | None:
        """Pick a worker for a ready non-root task, or None if none is allowed.

        The worker holding the most input bytes wins; ties, and tasks without
        a holder among the allowed workers, go to the least-loaded allowed
        worker. Workers in ``ts.avoid`` (where it failed) are used last.
        """
        allowed = self._allowed(ts)
        if allowed is not None and not allowed:
            return None
        avoid = ts.avoid
        if ts.deps:
            score: dict = {}
            get = score.get
            for dts in ts.deps:
                nb = dts.nbytes + 1
                for ws in dts.who_has:
                    score[ws] = get(ws, 0) + nb
            best = None
            best_key = None
            for ws, s in score.items():
                if (allowed is not None and ws not in allowed) or (avoid and ws.name in avoid):
                    continue
                k = (-s, len(ws.processing) / ws.cap, ws.occupancy / ws.nthreads, ws.seq)
                if best_key is None or k < best_key:
                    best, best_key = ws, k
            if best is not None:
                return best
        if allowed is not None:
            pool = [ws for ws in allowed if not (avoid and ws.name in avoid)] or list(allowed)
            return min(pool, key=lambda ws: (ws.load(), ws.seq))
        return self._least_loaded(avoid)

    def _can_run_on(self, ts: TaskState, ws: WorkerState) -> bool:
        """True if the no-worker task ``ts`` may now run on the new worker ``ws``."""
        return ts.workers is None or ws.name in ts.workers or ts.loose
