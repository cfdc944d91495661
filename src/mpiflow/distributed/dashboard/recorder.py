"""What the dashboard shows, recorded cheaply on the scheduler thread.

The scheduler thread does two things for the dashboard:

- for every finished or erred task, :meth:`Recorder.task` appends one tuple
  to a plain list (the worker's report already carries the start and stop
  times and the thread);
- every :attr:`Recorder.interval` seconds, :meth:`Recorder.publish` moves
  those tuples into a bounded ring buffer (under a lock), and the timed
  transfers the reports carry into another, and replaces
  :attr:`Recorder.snapshot`, a dict that is never changed once published.

The per-group counts of tasks waiting, processing and in memory are kept by
the state machine's transitions themselves
(:meth:`~mpiflow.distributed.scheduler.state.SchedulerState.count_groups`,
switched on by the first recorder); the recorder adds the finished reports
to them.

A worker's heartbeat (twice a second) adds one memory sample to a third
ring buffer, read by performance reports.

The HTTP threads only read the latest snapshot and copy the ring buffer
under the lock; they never touch the state machine.

Examples
--------
>>> key_group(("sum-aggregate-2f3c1a0b9e8d7c6b5a4f3e2d1c0b9a8f", 3))
'sum-aggregate'
>>> key_group("inc-5d41402abc4b2a76b9719d911017c592")
'inc'
"""

from __future__ import annotations

import os
import re
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Hashable
from itertools import islice
from operator import itemgetter
from typing import Any

from mpiflow.distributed.scheduler.groups import DONE, ERRED, MEMORY, PROCESSING, WAITING

__all__ = ["Recorder", "key_group", "STREAM_SIZE", "TRANSFERS_SIZE", "MEMORY_SIZE"]

#: Task-stream records kept (the oldest are dropped first).
STREAM_SIZE = 100_000
#: Transfer records kept (the oldest are dropped first).
TRANSFERS_SIZE = 100_000
#: Memory samples kept (one per worker per heartbeat, the oldest dropped first).
MEMORY_SIZE = 100_000
#: Most task-stream records one request returns.
STREAM_LIMIT = 20_000
#: Graphs up to this many tasks are published node by node for /graph.
GRAPH_TASKS = 300
#: Above this many tasks /graph shows nothing (even group edges cost a full scan).
GRAPH_GROUP_TASKS = 20_000
#: Seconds /graph keeps being published after its last request.
GRAPH_INTEREST = 10.0

#: A task report's fields in a task-stream record (the status is added).
_REPORT_FIELDS = itemgetter("key", "from", "thread", "start", "stop")

_HEX = re.compile(r"[a-f]+")
_TOKEN32 = re.compile(r"[a-f0-9]{32}")
_GROUPS: dict = {}

def _split(name: str) -> str:
    words = name.split("-")
    first = words[0]
    result = first if first[:1].isalpha() else first.split(",")[0].strip("_'()\"")
    for word in words[1:]:
        if word.isalpha() and not (len(word) == 8 and _HEX.match(word) is not None):
            result += "-" + word
        else:
            break
    if len(result) == 32 and _TOKEN32.match(result):
        return "data"
    if result[:1] == "<":
        result = result.strip("<>").split()[0].split(".")[-1]
    return result or "Other"


def key_group(key: Hashable) -> str:
    """The task group of ``key``, named as Dask names them.

    The group is the key's name (the first element of a tuple key) without
    its token: the words before the first one that is not alphabetic (or
    is an 8-letter hex word).

    Examples
    --------
    >>> key_group("hello-world-1"), key_group(b"x-1"), key_group(("x-2", 1))
    ('hello-world', 'x', 'x')
    >>> key_group("ae05086432ca935f6eba409a8ecd4896"), key_group(7)
    ('data', '7')
    """
    if type(key) is tuple:
        key = key[0] if key else ""
    try:
        return _GROUPS[key]
    except (KeyError, TypeError):
        pass
    if type(key) is str:  # 'inc-<token>': the group of 'inc', remembered once for all
        head, sep, tail = key.rpartition("-")
        if sep and head and not tail.isalpha():
            return key_group(head)
    name = key.decode(errors="replace") if type(key) is bytes else str(key)
    try:
        out = sys.intern(_split(name))
    except Exception:  # noqa: BLE001 - any odd name still belongs to some group
        out = "Other"
    if len(_GROUPS) < 100_000:
        try:
            _GROUPS[key] = out
        except TypeError:
            pass
    return out


def _key_text(key: Hashable) -> str:
    return key if type(key) is str else repr(key)


class Recorder:
    """The scheduler's record of its work, published for the dashboard.

    Parameters
    ----------
    server : SchedulerServer
        The scheduler loop this records (read on the scheduler thread only).
    interval : float
        Seconds between two snapshots.
    stream_size : int
        Task-stream records kept in the ring buffer.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from mpiflow.distributed.scheduler import SchedulerState
    >>> server = SimpleNamespace(state=SchedulerState(), worker_info={}, clients=set(),
    ...                          started=0.0, joins=None, transport=None)
    >>> rec = Recorder(server)
    >>> rec.task({"key": "inc-1", "from": 2, "start": 1.0, "stop": 2.0, "thread": 7}, "memory")
    >>> rec.publish()
    >>> records, next_ = rec.task_stream(0.0)
    >>> [r["group"] for r in records], next_
    (['inc'], 1)
    """

    def __init__(self, server: Any, interval: float = 0.5,
                 stream_size: int = STREAM_SIZE) -> None:
        self.server = server
        self.interval = interval
        self.lock = threading.Lock()
        self.stream: deque = deque(maxlen=stream_size)
        self.pending: list = []  # task-stream records since the last snapshot
        self.pending_transfers: list = []
        self.published = 0  # records ever moved into the ring buffer
        # (source rank, destination rank, nbytes, start, stop, nkeys) per fetch
        self.transfers: deque = deque(maxlen=TRANSFERS_SIZE)
        self.transfers_published = 0
        self.memory: deque = deque(maxlen=MEMORY_SIZE)  # (time, rank, rss) per heartbeat
        self.groups: dict[str, list[int]] = {}  # the state machine's, see _group_counts
        self.snapshot: dict[str, Any] = {}
        self.graph_wanted = 0.0
        self.events: deque = deque(maxlen=200)
        self.dashboard: dict[str, Any] = {}
        self._state: Any = None  # the state machine whose counts self.groups is
        self._counts: Any = None
        self._next = 0.0
        self._finished = 0
        self._rates: deque = deque(maxlen=8)
        self._known_workers: set[str] = set()

    # -- scheduler thread ------------------------------------------------------
    def task(self, msg: dict, status: str) -> None:
        """Note a task report (``task-finished`` or ``task-erred``) of a worker."""
        # Only a plain tuple is kept, so the report dict is freed at once rather
        # than held (and walked by the garbage collector) until the snapshot.
        try:
            record = (*_REPORT_FIELDS(msg), status)
        except KeyError:  # a report without timings: defaults
            record = (msg["key"], msg["from"], msg.get("thread", 0), msg.get("start", 0.0),
                      msg.get("stop", 0.0), status)
        self.pending.append(record)
        if status == "memory":
            # "done" counts the workers' reports, not transitions to memory: a client
            # that got a pushed result may release the key before the report arrives,
            # and the task then never reaches memory on the scheduler.
            self._group_counts().of(record[0])[DONE] += 1
        if "transfers" in msg:
            rank = record[1]
            self.pending_transfers.extend(
                (source, rank, nbytes, start, stop, nkeys)
                for source, nbytes, start, stop, nkeys in msg["transfers"])

    def heartbeat(self, when: float, rank: int, metrics: dict) -> None:
        """Note the memory a worker's heartbeat reports (one tuple per heartbeat)."""
        if metrics.get("memory") is not None:
            self.memory.append((when, rank, metrics["memory"]))

    def tick(self) -> None:
        """Publish a new snapshot if :attr:`interval` has passed since the last one."""
        now = time.monotonic()
        if now >= self._next:
            self._next = now + self.interval
            self.publish()

    def publish(self) -> None:
        """Publish a fresh snapshot (and the reports since the last one)."""
        self._group_counts()
        pending, self.pending = self.pending, []
        transfers, self.pending_transfers = self.pending_transfers, []
        self._finished += len(pending)
        with self.lock:
            self.stream.extend(pending)
            self.published += len(pending)
            if transfers:
                self.transfers.extend(transfers)
                self.transfers_published += len(transfers)
        now = time.time()
        self._rates.append((now, self._finished))
        t0, n0 = self._rates[0]
        rate = (self._finished - n0) / (now - t0) if now > t0 else 0.0
        workers = self._workers(now)
        self.snapshot = {
            "time": now,
            "workers": workers,
            "progress": self._progress(),
            "info": self._info(now, rate, workers),
            "graph": self._graph() if time.time() - self.graph_wanted < GRAPH_INTEREST else None,
        }

    def _group_counts(self) -> Any:
        """The state machine's per-group counters (switched on at the first look)."""
        state = self.server.state
        if state is not self._state:  # first look, or a new state machine (restart)
            self._state = state
            self._counts = state.count_groups(key_group)
            self.groups = self._counts.groups
        return self._counts

    def _progress(self) -> list[dict]:
        out = []
        for g, (waiting, processing, memory, done, erred) in self.groups.items():
            waiting, processing = max(0, waiting), max(0, processing)
            out.append({"group": g, "done": done, "processing": processing,
                        "waiting": waiting, "erred": erred, "memory": max(0, memory),
                        "total": done + processing + waiting + erred})
        return out

    def _workers(self, now: float) -> list[dict]:
        server = self.server
        out = []
        names = set()
        for name, info in server.worker_info.items():
            ws = server.state.workers.get(name)
            metrics = info.get("metrics") or {}
            names.add(name)
            out.append({
                "name": name, "rank": info.get("rank"), "host": info.get("host"),
                "pid": info.get("pid"), "nthreads": info.get("nthreads"),
                "memory_limit": info.get("memory_limit") or 0,
                "memory": metrics.get("memory"), "cpu": metrics.get("cpu"),
                "processing": len(ws.processing) if ws is not None else 0,
                "stored_keys": len(ws.has_what) if ws is not None else 0,
                "nbytes": ws.nbytes if ws is not None else 0, "spilled_nbytes": 0,
                "last_heartbeat": info.get("last_heartbeat"),
                "last_seen": now - info["last_heartbeat"] if info.get("last_heartbeat")
                else None,
            })
        for name in sorted(names - self._known_workers):
            self.events.append({"time": now, "event": f"worker {name} joined"})
        for name in sorted(self._known_workers - names):
            self.events.append({"time": now, "event": f"worker {name} left"})
        self._known_workers = names
        return sorted(out, key=lambda w: w["rank"] if w["rank"] is not None else -1)

    def _info(self, now: float, rate: float, workers: list) -> dict:
        server = self.server
        joins = server.joins
        counts = [sum(c[i] for c in self.groups.values()) for i in range(5)]
        return {
            "scheduler": "mpi://0", "host": socket.gethostname(), "pid": os.getpid(),
            "started": server.started, "now": now, "uptime": now - server.started,
            "workers": len(workers), "threads": sum(w["nthreads"] or 0 for w in workers),
            "clients": len(server.clients),
            "memory": sum(w["memory"] or 0 for w in workers),
            "memory_limit": sum(w["memory_limit"] or 0 for w in workers),
            "tasks": {"waiting": max(0, counts[WAITING]),
                      "processing": max(0, counts[PROCESSING]),
                      "memory": max(0, counts[MEMORY]), "done": counts[DONE],
                      "erred": counts[ERRED]},
            "tasks_finished": self._finished, "tasks_per_second": rate,
            "scheduler_file": joins.path if joins is not None else None,
            "dashboard": dict(self.dashboard),
            "python": sys.version.split()[0], "events": list(self.events),
        }

    def _graph(self) -> dict:
        tasks = self.server.state.tasks
        n = len(tasks)
        if n > GRAPH_GROUP_TASKS:
            return {"tasks": n, "nodes": [], "edges": [], "group_edges": [],
                    "too_large": True}
        group_edges: set[tuple[str, str]] = set()
        for ts in tasks.values():
            g = key_group(ts.key)
            for dts in ts.deps:
                dg = key_group(dts.key)
                if dg != g:
                    group_edges.add((dg, g))
        graph: dict[str, Any] = {"tasks": n, "nodes": [], "edges": [],
                                 "group_edges": sorted(group_edges), "too_large": False}
        if n <= GRAPH_TASKS:
            index = {ts.key: i for i, ts in enumerate(tasks.values())}
            graph["nodes"] = [{"key": _key_text(ts.key), "group": key_group(ts.key),
                               "state": ts.state} for ts in tasks.values()]
            graph["edges"] = [[index[dts.key], index[ts.key]] for ts in tasks.values()
                              for dts in ts.deps if dts.key in index]
        return graph

    def report(self, since: float, until: float) -> dict[str, Any]:
        """Everything recorded between ``since`` and ``until``, for a performance report.

        Call :meth:`publish` first (on the scheduler thread) so that the
        latest reports are in. Records are compact lists: tasks
        ``[key, group, rank, thread, start, stop, status]`` that ran at some
        point in the window, transfers ``[source rank, destination rank,
        nbytes, start, stop, nkeys]`` that ended in it and memory samples
        ``[time, rank, rss]`` taken in it (and each worker's last one before it).

        Examples
        --------
        >>> from types import SimpleNamespace
        >>> from mpiflow.distributed.scheduler import SchedulerState
        >>> server = SimpleNamespace(state=SchedulerState(), worker_info={}, clients=set(),
        ...                          started=0.0, joins=None, transport=None)
        >>> rec = Recorder(server)
        >>> rec.task({"key": "add-1", "from": 3, "start": 5.0, "stop": 6.0, "thread": 1,
        ...           "transfers": [(2, 800, 5.0, 5.1, 1)]}, "memory")
        >>> rec.publish()
        >>> data = rec.report(4.0, 7.0)
        >>> data["tasks"], data["transfers"]
        ([['add-1', 'add', 3, 1, 5.0, 6.0, 'memory']], [[2, 3, 800, 5.0, 5.1, 1]])
        >>> rec.report(6.5, 7.0)["tasks"]
        []
        """
        with self.lock:
            stream, transfers, memory = list(self.stream), list(self.transfers), list(self.memory)
        tasks = [[_key_text(key), key_group(key), rank, thread, start, stop, status]
                 for key, rank, thread, start, stop, status in stream
                 if stop >= since and start <= until]
        workers = [{"name": w["name"], "rank": w["rank"], "host": w["host"],
                    "nthreads": w["nthreads"], "memory_limit": w["memory_limit"]}
                   for w in self.snapshot.get("workers", [])]
        before: dict = {}  # the last sample of each worker before the window: its start
        for m in memory:
            if m[0] < since:
                before[m[1]] = m
        return {"since": since, "until": until, "time": time.time(), "tasks": tasks,
                "transfers": [list(t) for t in transfers if since <= t[4] <= until],
                "memory": [list(m) for m in before.values()]
                + [list(m) for m in memory if since <= m[0] <= until],
                "workers": workers, "clients": sorted(self.server.clients),
                "dropped": {"tasks": self.published > len(stream) and bool(stream)
                            and stream[0][4] > since,
                            "transfers": self.transfers_published > len(transfers)
                            and bool(transfers) and transfers[0][4] > since}}

    # -- HTTP threads ------------------------------------------------------------
    def transfer_records(self, since: float = 0.0, limit: int = STREAM_LIMIT,
                         after: int | None = None) -> tuple[list[dict], int]:
        """Transfers that ended after ``since``; ``after`` and ``limit`` as in :meth:`task_stream`.

        Examples
        --------
        >>> from types import SimpleNamespace
        >>> from mpiflow.distributed.scheduler import SchedulerState
        >>> server = SimpleNamespace(state=SchedulerState(), worker_info={}, clients=set(),
        ...                          started=0.0, joins=None, transport=None)
        >>> rec = Recorder(server)
        >>> rec.task({"key": "add-1", "from": 3, "start": 5.0, "stop": 6.0, "thread": 1,
        ...           "transfers": [(2, 800, 5.0, 5.5, 1)]}, "memory")
        >>> rec.publish()
        >>> records, next_ = rec.transfer_records()
        >>> records[0]["source"], records[0]["destination"], records[0]["bandwidth"], next_
        ('mpi://2', 'mpi://3', 1600.0, 1)
        """
        with self.lock:
            published = self.transfers_published
            wanted = len(self.transfers)
            if after is not None:
                wanted = max(0, min(wanted, published - after))
            if since <= 0:
                wanted = min(wanted, limit)
            records = list(islice(reversed(self.transfers), wanted))
        out = []
        for source, dest, nbytes, start, stop, nkeys in records:
            if stop <= since:
                continue
            out.append({"source": f"mpi://{source}", "destination": f"mpi://{dest}",
                        "nbytes": nbytes, "keys": nkeys, "start": start, "stop": stop,
                        "bandwidth": nbytes / (stop - start) if stop > start else None})
            if len(out) >= limit:
                break
        out.reverse()
        return out, published

    def task_stream(self, since: float = 0.0, limit: int = STREAM_LIMIT,
                    after: int | None = None) -> tuple[list[dict], int]:
        """Task-stream records that stopped after ``since`` (seconds since the epoch).

        With ``after``, only records published after the first ``after`` ones
        (a poller passes the ``next`` of its previous call and misses
        nothing, even a record a worker reported late). Returns at most
        ``limit`` records, the most recent ones, and ``next``.
        """
        with self.lock:  # copy only what may be returned, newest first
            published = self.published
            wanted = len(self.stream)
            if after is not None:
                wanted = max(0, min(wanted, published - after))
            if since <= 0:
                wanted = min(wanted, limit)
            records = list(islice(reversed(self.stream), wanted))
        out = []
        for i, (key, rank, thread, start, stop, status) in enumerate(records):
            if stop <= since:
                continue
            out.append({"key": _key_text(key), "group": key_group(key),
                        "worker": f"mpi://{rank}", "thread": thread, "start": start,
                        "stop": stop, "status": status})
            if len(out) >= limit:
                break
            if i % 200 == 199:
                time.sleep(0)  # let the scheduler's threads have the GIL: keep its latency
        out.reverse()
        return out, published
