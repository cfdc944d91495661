"""A helper process that asks the scheduler questions on behalf of a job-queue cluster.

A process holds at most one mpiflow client (MPI is used at the serialized
thread level by one progress thread), and that one belongs to the user:
``Client(cluster)``. So the cluster object asks its questions (which
workers joined, how many the queued work wants, retire these) through a
small child process that is a client of its own, started with
``python -m mpiflow.jobqueue.control SCHEDULER_FILE``. It reads one JSON
request per line on stdin and answers one JSON line on stdout.

Examples
--------
>>> answer({'method': 'nthreads'}, None)['error'].startswith('AttributeError')
True
>>> answer({'method': 'shutdown'}, None)['error']
"ValueError: 'shutdown' is not a question the cluster's helper answers"
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
from typing import Any

__all__ = ["ControlProcess", "answer", "main", "METHODS"]

#: The Client methods the helper calls.
METHODS = frozenset({"scheduler_info", "retire_workers", "adaptive_target",
                     "workers_to_close", "nthreads"})
#: Seconds to wait for the helper to join the cluster.
START_TIMEOUT = 90.0


def answer(request: dict, client: Any) -> dict:
    """Call ``client.<method>(**kwargs)``; ``{'result': ...}`` or ``{'error': 'Type: msg'}``."""
    method = request.get("method")
    if method not in METHODS:
        return {"error": f"ValueError: {method!r} is not a question the cluster's helper "
                         "answers"}
    try:
        result = getattr(client, method)(**request.get("kwargs", {}))
    except Exception as exc:  # noqa: BLE001 - sent back to the cluster object
        return {"error": f"{type(exc).__name__}: {exc}"}
    return {"result": result}


def main(argv: list[str] | None = None) -> int:
    """Serve requests from stdin until it closes (the helper process's entry point)."""
    argv = sys.argv[1:] if argv is None else argv
    out = sys.stdout
    sys.stdout = sys.stderr  # nothing but answers on the answer channel
    from mpiflow.distributed import Client

    try:
        client = Client(scheduler_file=argv[0], timeout=START_TIMEOUT)
    except Exception as exc:  # noqa: BLE001 - reported to the cluster object
        out.write(json.dumps({"error": f"{type(exc).__name__}: {exc}"}) + "\n")
        out.flush()
        return 1
    out.write(json.dumps({"result": "ready"}) + "\n")
    out.flush()
    for line in sys.stdin:
        if not line.strip():
            continue
        reply = answer(json.loads(line), client)
        out.write(json.dumps(reply, default=str) + "\n")
        out.flush()
    with contextlib.suppress(Exception):
        client.close()
    return 0


class ControlProcess:
    """The cluster object's side: start the helper, ask it, stop it.

    Calls are serialized by a lock; each waits at most ``timeout`` seconds.
    """

    def __init__(self, scheduler_file: str, log_path: str, env: dict[str, str],
                 python: str = sys.executable, timeout: float = START_TIMEOUT) -> None:
        self._lock = threading.Lock()
        self._log_path = log_path
        self._log = open(log_path, "w")  # noqa: SIM115 - closed in close()
        self.proc = subprocess.Popen(
            [python, "-m", "mpiflow.jobqueue.control", scheduler_file],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log, text=True,
            env=env, start_new_session=True)
        first = self._read(timeout, "the helper process to join the cluster")
        if "error" in first:
            self.close()
            raise RuntimeError(f"the cluster's helper process could not join the cluster: "
                               f"{first['error']}")

    def _read(self, timeout: float, what: str) -> dict:
        box: list = []
        reader = threading.Thread(target=lambda: box.append(self.proc.stdout.readline()),
                                  daemon=True)
        reader.start()
        reader.join(timeout)
        if reader.is_alive():
            # an answer may still come and would be taken for the next one: end the helper
            # (the cluster starts a new one when it asks again)
            with contextlib.suppress(OSError):
                os.killpg(self.proc.pid, 9)
            raise TimeoutError(f"waited {timeout:g} s for {what}; its log "
                               f"({self._log_path}):\n{self._tail()}")
        if not box or not box[0]:
            raise RuntimeError(f"the cluster's helper process ended while waiting for {what} "
                               f"(the scheduler may be gone); its log ({self._log_path}):\n"
                               f"{self._tail()}")
        return json.loads(box[0])

    def _tail(self) -> str:
        try:
            with open(self._log_path, errors="replace") as f:
                return "".join(f.readlines()[-20:])
        except OSError:
            return ""

    def call(self, method: str, timeout: float = 120.0, **kwargs: Any) -> Any:
        """Ask the cluster ``client.<method>(**kwargs)`` through the helper."""
        with self._lock:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"the cluster's helper process has ended (code {self.proc.returncode}); "
                    f"its log ({self._log_path}):\n{self._tail()}")
            self.proc.stdin.write(json.dumps({"method": method, "kwargs": kwargs}) + "\n")
            self.proc.stdin.flush()
            reply = self._read(timeout, f"the scheduler to answer {method}")
        if "error" in reply:
            raise RuntimeError(f"{method} failed on the cluster: {reply['error']}")
        return reply["result"]

    def close(self, timeout: float = 10.0) -> None:
        """Stop the helper (it leaves the cluster and exits)."""
        with contextlib.suppress(OSError, ValueError):
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(OSError):
                os.killpg(self.proc.pid, 9)
            self.proc.wait(5)
        self._log.close()


if __name__ == "__main__":
    sys.exit(main())
