"""The worker rank: a control loop, a thread pool and a local data store.

The control loop (one thread) receives the scheduler's instructions and
peers' data requests on the control stream. ``execute`` goes to the thread
pool: the pool thread fetches missing inputs straight from the workers that
hold them, runs the task, stores the result and tells the scheduler. Data
requests are answered from the store by the control loop with zero-copy
frames, so a busy pool never delays a peer that is waiting for data.
"""

from __future__ import annotations

import os
import pickle
import queue
import socket
import sys
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psutil

from mpiflow.distributed.join import on_accept_join
from mpiflow.distributed.protocol import pack_exception
from mpiflow.distributed.roles import SCHEDULER_RANK, address, rank_of
from mpiflow.distributed.scheduler.liveness import heartbeat_interval
from mpiflow.distributed.transport import Transport
from mpiflow.local.execute import execute_task

__all__ = ["Worker", "sizeof"]

#: Seconds a worker waits for a peer to send a task's input.
FETCH_TIMEOUT = 300.0
#: Most task reports sent in one message.
REPORT_BATCH = 256
#: Reports (and pushed results) wait for the next queued task only while tasks
#: are this short and the oldest waiting report is at most this old (seconds):
#: batching pays for tiny tasks, and must not hold a result back behind a long one.
REPORT_DELAY = 0.002
#: Results up to this size go straight to the clients that want them.
PUSH_BYTES = 64 * 1024
#: Fetches of inputs remembered until the next task report carries them to the scheduler.
TRANSFER_LOG = 10_000


def sizeof(value: Any) -> int:
    """Estimate the bytes ``value`` holds (NumPy and pandas exactly, others roughly).

    Examples
    --------
    >>> import numpy as np
    >>> sizeof(np.zeros(1000))
    8000
    >>> sizeof(b'abc')
    3
    """
    nbytes = getattr(value, "nbytes", None)
    if isinstance(nbytes, int):
        return nbytes
    if isinstance(value, (bytes, bytearray, memoryview)):
        return len(value)
    memory_usage = getattr(value, "memory_usage", None)
    if callable(memory_usage):
        try:
            total = memory_usage(index=True)
            return int(getattr(total, "sum", lambda: total)())
        except Exception:
            pass
    try:
        return sys.getsizeof(value)
    except Exception:
        return 64


class Worker:
    """One worker rank of a cluster.

    Parameters
    ----------
    transport : Transport
        This rank's messaging.
    nthreads : int
        Size of the task thread pool.
    memory_limit : int
        Bytes this worker may use (reported to the scheduler; 0 = no limit).
    local_directory : str, optional
        Scratch space for this worker.
    """

    def __init__(self, transport: Transport, nthreads: int, memory_limit: int = 0,
                 local_directory: str | None = None) -> None:
        self.transport = transport
        transport.fetch_log = deque(maxlen=TRANSFER_LOG)  # timed transfers, for the dashboard
        self.nthreads = nthreads
        self.memory_limit = memory_limit
        self.local_directory = local_directory
        self.data: dict = {}
        self._functions: dict[bytes, Any] = {}
        self.pool = ThreadPoolExecutor(nthreads, thread_name_prefix=f"mpiflow-w{transport.rank}")
        self._ready: queue.SimpleQueue = queue.SimpleQueue()
        self._reports: list = []
        self._pushes: list = []  # (report, key-data message, client ranks), sent before reports
        self._reports_lock = threading.Lock()
        self._oldest_report = 0.0  # perf_counter() when the oldest waiting report was made
        self._executors = [
            threading.Thread(target=self._execute_loop, name=f"mpiflow-w{transport.rank}-{i}",
                             daemon=True)
            for i in range(nthreads)
        ]
        for t in self._executors:
            t.start()
        self._stopped = threading.Event()
        self._failure: BaseException | None = None
        self.handlers = {
            "execute": self._on_execute,
            "free-keys": self._on_free_keys,
            "get-data": self._on_get_data,
            "store-data": self._on_store_data,
            "run": self._on_run,
            "close": self._on_close,
            "accept-join": lambda msg: on_accept_join(transport, msg),
            "peer-lost": lambda msg: transport.endpoint.drop_peer(msg["id"]),
            "replicate": self._on_replicate,
            "restart": self._on_restart,
            "reply": transport.on_reply,
        }

    def info(self) -> dict:
        """What the scheduler shows about this worker."""
        return {"nthreads": self.nthreads, "memory_limit": self.memory_limit,
                "host": socket.gethostname(), "pid": os.getpid(),
                "local_directory": self.local_directory,
                "job_id": os.environ.get("MPIFLOW_JOB_ID")}  # set by mpiflow.jobqueue scripts

    def metrics(self, process: psutil.Process) -> dict:
        """What the heartbeat tells the scheduler: memory in use (RSS) and CPU %.

        Examples
        --------
        >>> from types import SimpleNamespace
        >>> sorted(Worker.metrics(SimpleNamespace(data={}), psutil.Process()))
        ['cpu', 'memory', 'stored']
        """
        try:
            return {"memory": process.memory_info().rss, "cpu": process.cpu_percent(),
                    "stored": len(self.data)}
        except psutil.Error:  # pragma: no cover - the process is going away
            return {}

    def run(self) -> None:
        """Register with the scheduler and serve until told to close.

        Control messages are handled on the MPI progress thread (each handler
        only queues or answers, so none waits for another message); this
        thread just waits for ``close`` or for the endpoint to fail.
        """
        self.transport.listen(self._dispatch, self._on_failure)
        self.transport.send(SCHEDULER_RANK, {"op": "register-worker", **self.info()})
        interval = heartbeat_interval()
        process = psutil.Process()
        process.cpu_percent()  # the first call only starts the measurement
        while not self._stopped.wait(interval):
            try:
                self.transport.send(SCHEDULER_RANK, {"op": "heartbeat",
                                                     "metrics": self.metrics(process)})
            except Exception:  # noqa: BLE001 - the endpoint failed: _on_failure stops us
                pass
        for _ in self._executors:
            self._ready.put(None)
        self.pool.shutdown(wait=True, cancel_futures=True)
        if self._failure is not None:
            raise self._failure

    def _dispatch(self, msg: dict) -> None:
        self.handlers[msg["op"]](msg)

    def _on_failure(self, exc: BaseException) -> None:
        self._failure = exc
        self._stopped.set()

    # -- handlers ---------------------------------------------------------------
    def _on_execute(self, msg: dict) -> None:
        self._ready.put(msg)

    def _on_free_keys(self, msg: dict) -> None:
        for key in msg["keys"]:
            self.data.pop(key, None)

    def _on_get_data(self, msg: dict) -> None:
        self.transport.serve(msg, self.data)

    def _on_store_data(self, msg: dict) -> None:
        self.data.update(msg["data"])
        sizes = {k: sizeof(v) for k, v in msg["data"].items()}
        self.transport.reply(msg, sizes)

    def _on_run(self, msg: dict) -> None:
        def call() -> None:
            try:
                result = pickle.loads(msg["function"])(*msg.get("args", ()),
                                                       **msg.get("kwargs", {}))
            except BaseException as exc:  # noqa: BLE001 - sent to the client
                self.transport.reply(msg, error=pack_exception(exc, context="client.run"))
            else:
                self.transport.reply(msg, result)

        self.pool.submit(call)

    def _on_replicate(self, msg: dict) -> None:
        """Copy ``{key: holder rank}`` here (a worker is retiring); reply ``{key: nbytes}``."""
        def copy() -> None:
            by_rank: dict[int, list] = {}
            for key, rank in msg["keys"].items():
                by_rank.setdefault(rank, []).append(key)
            try:
                sizes = {}
                for rank, keys in by_rank.items():
                    got = self.transport.fetch(rank, keys, FETCH_TIMEOUT, what="data to keep")
                    self.data.update(got)
                    sizes.update({k: sizeof(v) for k, v in got.items()})
            except BaseException as exc:  # noqa: BLE001 - the scheduler reports it
                self.transport.reply(msg, error=pack_exception(exc, context="retire_workers"))
            else:
                self.transport.reply(msg, sizes)

        threading.Thread(target=copy, name="mpiflow-replicate", daemon=True).start()

    def _on_restart(self, msg: dict) -> None:
        """Forget all data and queued tasks (the scheduler starts afresh)."""
        while not self._ready.empty():
            try:
                self._ready.get_nowait()
            except queue.Empty:
                break
        self.data.clear()
        self._functions.clear()

    def _on_close(self, msg: dict) -> None:
        self._stopped.set()

    def leave(self, timeout: float = 10.0) -> None:
        """Tell the scheduler this worker is going, then stop serving.

        Safe to call from a signal handler: the wait happens on a helper thread.
        """
        def go() -> None:
            try:
                fut = self.transport.request(SCHEDULER_RANK, {"op": "unregister-worker"})
                fut.result(timeout=timeout)
            except Exception:  # noqa: BLE001 - leaving anyway
                pass
            self._stopped.set()

        threading.Thread(target=go, name="mpiflow-worker-leave", daemon=True).start()

    # -- running a task (pool thread) -------------------------------------------
    def _gather_inputs(self, who_has: dict) -> dict:
        inputs: dict = {}
        remote: dict[int, list] = {}
        for dep, holders in who_has.items():
            if dep in self.data:
                inputs[dep] = self.data[dep]
            elif not holders:
                raise KeyError(f"no worker holds input {dep!r} any more")
            else:
                remote.setdefault(rank_of(holders[0]), []).append(dep)
        for rank, keys in remote.items():
            inputs.update(self.transport.fetch(rank, keys, FETCH_TIMEOUT, what="task inputs"))
        return inputs

    def _execute_loop(self) -> None:
        """Executor thread: run tasks; report them, batched while more are queued."""
        ready = self._ready
        while True:
            msg = ready.get()
            if msg is None:
                return
            started = time.perf_counter()
            report, push = self._execute(msg["key"], msg["run_spec"], msg["who_has"],
                                         msg.get("report_to"))
            now = time.perf_counter()
            with self._reports_lock:
                if not self._reports:
                    self._oldest_report = now
                self._reports.append(report)
                if push is not None:
                    self._pushes.append(push)
                if (not ready.empty() and len(self._reports) < REPORT_BATCH
                        and now - started < REPORT_DELAY
                        and now - self._oldest_report < REPORT_DELAY):
                    continue  # tiny tasks queued here: report (and push) together
                reports, self._reports = self._reports, []
                pushes, self._pushes = self._pushes, []
            if pushes:
                self._send_pushes(pushes)
            transfers = self._take_transfers()
            if transfers:  # they ride with the reports: no message of their own
                reports[-1]["transfers"] = transfers
            if len(reports) == 1:
                self.transport.send(SCHEDULER_RANK, reports[0])
            else:
                self.transport.send(SCHEDULER_RANK, {"op": "batch", "messages": reports})

    def _take_transfers(self) -> list:
        """The fetches timed since the last report: ``[(rank, nbytes, start, stop, nkeys)]``."""
        log = self.transport.fetch_log
        out: list = []
        while log:
            try:
                out.append(log.popleft())
            except IndexError:  # another executor thread took the last one
                break
        return out

    def _task(self, run_spec: tuple) -> Any:
        """Rebuild a task from its run_spec, reusing functions already unpickled."""
        func_blob, blob = run_spec
        if func_blob is None:
            return pickle.loads(blob)
        func = self._functions.get(func_blob)
        if func is None:
            if len(self._functions) > 1000:
                self._functions.clear()
            func = self._functions[func_blob] = pickle.loads(func_blob)
        return (func, *pickle.loads(blob))

    def _execute(self, key: Any, run_spec: tuple, who_has: dict,
                 report_to: list | None = None) -> tuple[dict, tuple | None]:
        """Run one task; returns its report and, for a small result, what to push."""
        begin = time.time()
        start = time.perf_counter()
        try:
            inputs = self._gather_inputs(who_has)
            task = self._task(run_spec)
            result = execute_task(task, inputs)
        except BaseException as exc:  # noqa: BLE001 - reported to the scheduler
            return {"op": "task-erred", "key": key, "error": pack_exception(exc, context=key),
                    "start": begin, "stop": time.time(), "thread": threading.get_ident()}, None
        duration = time.perf_counter() - start
        self.data[key] = result
        nbytes = sizeof(result)
        # start/stop (wall clock) and thread: for the dashboard's task stream
        report = {"op": "task-finished", "key": key, "nbytes": nbytes, "duration": duration,
                  "start": begin, "stop": begin + duration, "thread": threading.get_ident()}
        if report_to and nbytes <= PUSH_BYTES:
            # The clients waiting for a small result get it straight from here:
            # no round trip to fetch it, and no "key in memory" message from the
            # scheduler (the push says where it is held).
            report["pushed_to"] = list(report_to)
            push = {"op": "key-data", "key": key, "value": result, "nbytes": nbytes,
                    "worker": address(self.transport.rank)}
            return report, (report, push, report_to)
        return report, None

    def _send_pushes(self, pushes: list) -> None:
        """Send small results to their clients, one message per client.

        A value that does not pickle stays here: its report then names no
        client, so the scheduler tells them where it is and their fetch
        reports why it cannot travel.
        """
        by_client: dict[int, list] = {}
        for push in pushes:
            for rank in push[2]:
                by_client.setdefault(rank, []).append(push)
        for rank, items in by_client.items():
            msgs = [dict(msg) for _, msg, _ in items]
            try:
                self.transport.send(rank, msgs[0] if len(msgs) == 1
                                    else {"op": "batch", "messages": msgs})
                continue
            except Exception:  # noqa: BLE001 - find the value that does not pickle
                pass
            for report, msg, _ in items:
                try:
                    self.transport.send(rank, dict(msg))
                except Exception:  # noqa: BLE001 - fetched (and explained) later
                    report.pop("pushed_to", None)
