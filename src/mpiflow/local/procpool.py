"""A pool of worker processes started as fresh interpreters.

Why not ``concurrent.futures.ProcessPoolExecutor``: with the ``spawn`` start
method it re-imports the user's main script in every worker, so a script
without an ``if __name__ == '__main__':`` guard breaks; ``fork`` is unsafe
after MPI or threads have started. These workers are plain
``python -m mpiflow.local.procworker`` processes that exchange length-prefixed
pickles with the parent over two pipes, so neither problem arises, and a
worker that dies is noticed at once (end of file on its pipe) together with
its exit code.
"""

from __future__ import annotations

import os
import queue
import signal
import struct
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["ProcessPool", "WorkerProcessDied", "read_frame", "write_frame"]

_HEADER = struct.Struct("!Q")


class WorkerProcessDied(RuntimeError):
    """A worker process of the ``'processes'`` scheduler exited while running tasks."""


def write_frame(fd: int, payload: bytes) -> None:
    """Write one length-prefixed message to file descriptor ``fd``."""
    view = memoryview(_HEADER.pack(len(payload)) + payload)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def read_frame(fd: int) -> bytes | None:
    """Read one length-prefixed message; None at end of file."""
    header = _read_exactly(fd, _HEADER.size)
    if header is None:
        return None
    body = _read_exactly(fd, _HEADER.unpack(header)[0])
    return body


def _read_exactly(fd: int, n: int) -> bytes | None:
    chunks = []
    while n:
        chunk = os.read(fd, min(n, 1 << 24))
        if not chunk:
            return None
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def describe_exit(code: int | None) -> str:
    """Say how a process ended, e.g. ``'exit code -9, killed by SIGKILL'``.

    Examples
    --------
    >>> describe_exit(-9)
    'exit code -9, killed by SIGKILL'
    >>> describe_exit(3)
    'exit code 3'
    """
    if code is None:
        return "still running"
    text = f"exit code {code}"
    if code < 0:
        try:
            text += f", killed by {signal.Signals(-code).name}"
        except ValueError:
            pass
    return text


class _Worker:
    """One child process and the parent thread that feeds it jobs."""

    def __init__(self, pool: ProcessPool, index: int) -> None:
        to_child_r, self.to_child = os.pipe()
        self.from_child, from_child_w = os.pipe()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mpiflow.local.procworker", str(to_child_r), str(from_child_w)],
            pass_fds=(to_child_r, from_child_w),
            env=env,
            stdin=subprocess.DEVNULL,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self.thread = threading.Thread(
            target=self._serve, args=(pool,), name=f"mpiflow-proc-{index}", daemon=True
        )
        self.thread.start()

    def _serve(self, pool: ProcessPool) -> None:
        while True:
            job = pool._jobs.get()
            if job is None:
                break
            payload, callback = job
            try:
                write_frame(self.to_child, payload)
                reply = read_frame(self.from_child)
            except OSError:
                reply = None
            if reply is None:
                pool._broken(self, callback)
                return
            callback(reply, None)
        self.close()

    def close(self) -> None:
        for fd in (self.to_child, self.from_child):
            try:
                os.close(fd)
            except OSError:
                pass


class ProcessPool:
    """``n`` worker interpreters that run pickled batches.

    Examples
    --------
    >>> import pickle, queue
    >>> pool = ProcessPool(1)
    >>> replies = queue.SimpleQueue()
    >>> pool.submit(pickle.dumps(([], {})), lambda reply, err: replies.put(err))
    >>> replies.get(timeout=60) is None
    True
    >>> pool.close()
    """

    def __init__(self, num_workers: int) -> None:
        self.num_workers = num_workers
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self.dead: str | None = None
        self._workers = [_Worker(self, i) for i in range(num_workers)]

    def submit(self, payload: bytes, callback: Callable[[Any, Any], None]) -> None:
        """Run ``payload`` on a free worker; ``callback(reply, error)`` gets the outcome."""
        if self.dead is not None:
            callback(None, WorkerProcessDied(self.dead))
            return
        self._jobs.put((payload, callback))

    def _broken(self, worker: _Worker, callback: Callable) -> None:
        try:
            code = worker.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        with self._lock:
            first = self.dead is None
            if first:
                self.dead = f"a worker process (pid {worker.proc.pid}) died ({describe_exit(code)})"
        callback(None, WorkerProcessDied(self.dead))
        if first:
            self.terminate()

    def terminate(self) -> None:
        """Kill every worker now (Ctrl-C, or after one died)."""
        for w in self._workers:
            if w.proc.poll() is None:
                w.proc.kill()
        self.close()

    def close(self) -> None:
        """Ask the workers to exit once their current job is done."""
        for _ in self._workers:
            self._jobs.put(None)
