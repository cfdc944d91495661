"""The scheduler a job-queue cluster starts here, and where its scheduler file may live.

:func:`start_scheduler` runs ``mpiexec -n 1 python -m mpiflow cluster`` (a
scheduler with no workers of its own) detached from this process, as
``LocalCluster`` does, and waits for its scheduler file.
:func:`node_local_reason` tells when that file is somewhere compute nodes
cannot read it.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time

import psutil

from mpiflow.jobqueue.job import command_env

__all__ = ["start_scheduler", "node_local_reason", "tail"]


def start_scheduler(scheduler_file: str, directory: str, dashboard_address: str | None,
                    timeout: float, kind: str = "JobQueueCluster") -> subprocess.Popen:
    """Start a worker-less scheduler that writes ``scheduler_file``; return its ``mpiexec``.

    Its log is ``directory/scheduler.log``. Raises RuntimeError with the log's
    tail when it exits or does not write the file within ``timeout`` seconds.

    Examples
    --------
    >>> proc = start_scheduler('/shared/s.json', '/shared', None, 60)  # doctest: +SKIP
    """
    from mpiflow.distributed.comm.pmi import find_mpiexec

    mpiexec = find_mpiexec()
    if mpiexec is None:
        raise RuntimeError(
            f"{kind} starts its scheduler with `mpiexec`, and none was found next to "
            f"{sys.executable} or on PATH: load your site's MPI module or `pip install "
            "mpich`, or attach to a running scheduler with scheduler_file=")
    log = os.path.join(directory, "scheduler.log")
    where = "none" if dashboard_address is None else str(dashboard_address)
    args = [mpiexec, "-n", "1", sys.executable, "-m", "mpiflow", "cluster",
            "--scheduler-file", scheduler_file, "--local-directory", directory,
            "--dashboard-address", where]
    env = dict(command_env(), UCX_LOG_LEVEL=os.environ.get("UCX_LOG_LEVEL", "error"))
    with open(log, "w") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=env, start_new_session=True)
    deadline = time.monotonic() + timeout
    while not os.path.exists(scheduler_file):
        if proc.poll() is not None or time.monotonic() > deadline:
            why = (f"exited with code {proc.returncode}" if proc.returncode is not None
                   else f"did not start within {timeout:g} s")
            if proc.returncode is None:
                proc.kill()
                proc.wait(5)
            raise RuntimeError(f"the {kind} scheduler {why}; its log ({log}):\n{tail(log)}")
        time.sleep(0.05)
    return proc


def node_local_reason(path: str) -> str | None:
    """Why compute nodes probably cannot see ``path``, or None when it looks shared.

    Paths under ``/tmp``, ``/var/tmp``, ``/dev/shm``, ``$TMPDIR`` or on a
    memory file system (``tmpfs``) exist on each node separately.

    Examples
    --------
    >>> node_local_reason('/tmp/scheduler.json')
    'under /tmp, a directory each node has for itself'
    >>> node_local_reason('/nonexistent-shared/scheduler.json') is None
    True
    """
    path = os.path.abspath(path)
    local = ["/tmp", "/var/tmp", "/dev/shm"]
    if os.environ.get("TMPDIR"):
        local.append(os.path.abspath(os.environ["TMPDIR"]))
    for directory in local:
        if path == directory or path.startswith(directory.rstrip("/") + "/"):
            return f"under {directory}, a directory each node has for itself"
    best = None
    with contextlib.suppress(Exception):
        for part in psutil.disk_partitions(all=True):
            mount = part.mountpoint.rstrip("/") + "/"
            if path.startswith(mount) and (best is None or len(mount) > len(best[0])):
                best = (mount, part.fstype)
    if best is not None and best[1] in ("tmpfs", "ramfs") and best[0] != "/":
        return f"on a {best[1]} file system ({best[0]}), which lives in one node's memory"
    return None


def tail(path: str, lines: int = 20) -> str:
    """The last ``lines`` lines of the file at ``path`` ('' when unreadable).

    Examples
    --------
    >>> tail('/nonexistent.log')
    ''
    """
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""
