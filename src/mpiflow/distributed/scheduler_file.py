"""The scheduler file: how processes outside a launch find and join its cluster.

``mpiflow cluster --scheduler-file F`` writes ``F`` (JSON, mode 0600): the
MPI port of the scheduler, a random token that joining processes must
present, the dashboard URL, and where its *alive file* and *knock directory*
are. Rank 0 touches the alive file every second, so a client can tell a live
cluster from a stale file before it touches MPI (connecting to a dead port
crashes MPICH). A process that wants to join drops a small file into the
knock directory; the scheduler notices it within a poll interval and lets
the cluster accept the connection. It is a shared-file-system protocol: the
same assumption as the scheduler file itself.

Examples
--------
>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), 'scheduler.json')
>>> info = write_scheduler_file(path, port='port-name', token='secret')
>>> oct(os.stat(path).st_mode & 0o777)
'0o600'
>>> touch_alive(info)
>>> read_scheduler_file(path)['port']
'port-name'
>>> knock = write_knock(info, {'role': 'client'})
>>> [k['role'] for _, k in scan_knocks(info)]
['client']
>>> remove_scheduler_file(path)
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import shutil
import socket
import time
from typing import Any

__all__ = [
    "SchedulerFileError",
    "write_scheduler_file",
    "read_scheduler_file",
    "remove_scheduler_file",
    "touch_alive",
    "write_knock",
    "scan_knocks",
    "new_token",
    "join_lock",
    "join_in_progress",
    "ALIVE_INTERVAL",
]

#: Seconds between two touches of the alive file.
ALIVE_INTERVAL = 1.0
#: A scheduler whose alive file is older than this is considered gone.
STALE_AFTER = 10.0


class SchedulerFileError(RuntimeError):
    """The scheduler file cannot be used: missing, unreadable, malformed or stale."""


def new_token() -> str:
    """A random secret that joining processes must present.

    Examples
    --------
    >>> len(new_token())
    32
    """
    return secrets.token_hex(16)


def _write_private(path: str, text: str) -> None:
    """Write ``text`` to ``path`` atomically, readable by the owner only."""
    directory = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def write_scheduler_file(path: str, port: str, token: str,
                         dashboard: str | None = None, **extra: Any) -> dict:
    """Write the scheduler file at ``path`` (mode 0600) and make its knock directory.

    Returns the dict written. ``extra`` items are stored too.

    Examples
    --------
    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), 'f.json')
    >>> sorted(write_scheduler_file(p, 'port', 'tok'))[:4]
    ['address', 'alive', 'dashboard', 'host']
    >>> remove_scheduler_file(p)
    """
    path = os.path.abspath(path)
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        raise SchedulerFileError(
            f"cannot write the scheduler file {path}: directory {directory} does not exist; "
            "create it first (on a file system the clients can read)"
        )
    side = path + ".d"
    knock = os.path.join(side, "knock")
    shutil.rmtree(side, ignore_errors=True)
    os.makedirs(knock, mode=0o700)
    os.chmod(side, 0o700)
    info = {
        "address": "mpi://0",
        "port": port,
        "token": token,
        "dashboard": dashboard,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "started": time.time(),
        "alive": os.path.join(side, "alive"),
        "knock": knock,
        **extra,
    }
    touch_alive(info)
    _write_private(path, json.dumps(info, indent=1))
    return info


def touch_alive(info: dict) -> None:
    """Mark the scheduler alive now (rank 0 calls this every second).

    Examples
    --------
    >>> import tempfile, os
    >>> touch_alive({'alive': os.path.join(tempfile.mkdtemp(), 'alive')})
    """
    with open(info["alive"], "a"):
        pass
    os.utime(info["alive"])


def _how_to_start(path: str) -> str:
    return (f"start a cluster with `mpiexec -n 4 mpiflow cluster --scheduler-file {path}` "
            "(or check the path)")


def read_scheduler_file(path: str, check_alive: bool = True,
                        stale_after: float = STALE_AFTER) -> dict:
    """Read the scheduler file at ``path``; raise :class:`SchedulerFileError` if unusable.

    With ``check_alive`` the scheduler must have touched its alive file within
    ``stale_after`` seconds (and, on the same host, its process must exist).

    Examples
    --------
    >>> read_scheduler_file('/nonexistent/scheduler.json')  # doctest: +ELLIPSIS
    Traceback (most recent call last):
      ...
    mpiflow.distributed.scheduler_file.SchedulerFileError: no scheduler file at ...
    """
    path = os.path.abspath(path)
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        raise SchedulerFileError(f"no scheduler file at {path}: {_how_to_start(path)}") from None
    except OSError as err:
        raise SchedulerFileError(
            f"cannot read the scheduler file {path}: {err.strerror}; it must be readable by "
            "the user who runs the client (the cluster writes it with mode 0600)"
        ) from None
    try:
        info = json.loads(text)
        for field in ("port", "token", "alive", "knock", "pid", "host"):
            info[field]  # noqa: B018 - presence check
    except (ValueError, KeyError, TypeError) as err:
        raise SchedulerFileError(
            f"{path} is not an mpiflow scheduler file ({type(err).__name__}: {err}); "
            f"{_how_to_start(path)}"
        ) from None
    if check_alive:
        _check_alive(path, info, stale_after)
    return info


def _check_alive(path: str, info: dict, stale_after: float) -> None:
    stale = (f"the scheduler file {path} is stale: its scheduler (pid {info['pid']} on "
             f"{info['host']}) ")
    if info["host"] == socket.gethostname():
        try:
            os.kill(int(info["pid"]), 0)
        except ProcessLookupError:
            raise SchedulerFileError(stale + f"is gone; {_how_to_start(path)}") from None
        except PermissionError:
            pass
    try:
        age = time.time() - os.stat(info["alive"]).st_mtime
    except OSError:
        raise SchedulerFileError(stale + f"left no alive file; {_how_to_start(path)}") from None
    if age > stale_after:
        raise SchedulerFileError(
            stale + f"has not shown a sign of life for {age:.0f} s (limit {stale_after:g} s); "
            f"it is gone or hung. {_how_to_start(path)}"
        )


def remove_scheduler_file(path: str) -> None:
    """Remove the scheduler file and its side directory (at shutdown).

    Examples
    --------
    >>> remove_scheduler_file('/nonexistent/scheduler.json')  # nothing there: no error
    """
    path = os.path.abspath(path)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    shutil.rmtree(path + ".d", ignore_errors=True)


def write_knock(info: dict, content: dict) -> str:
    """Ask the scheduler of ``info`` to accept this process; returns the knock's path.

    The file appears atomically (written under a dot-name, then renamed).

    Examples
    --------
    >>> import tempfile
    >>> os.path.basename(write_knock({'knock': tempfile.mkdtemp()}, {})).count('-') >= 2
    True
    """
    name = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(4)}"
    path = os.path.join(info["knock"], name)
    _write_private(path, json.dumps(content))
    return path


def scan_knocks(info: dict) -> list[tuple[str, dict]]:
    """Knocks waiting in the knock directory, oldest first (unreadable ones are dropped).

    Examples
    --------
    >>> import tempfile
    >>> scan_knocks({'knock': tempfile.mkdtemp()})
    []
    """
    found = []
    try:
        entries = list(os.scandir(info["knock"]))
    except FileNotFoundError:
        return []
    for entry in entries:
        if entry.name.startswith("."):
            continue
        try:
            with open(entry.path) as f:
                found.append((entry.stat().st_mtime, entry.path, json.loads(f.read())))
        except (OSError, ValueError):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
    found.sort()
    return [(p, c) for _, p, c in found]


def _lock_path(info: dict) -> str:
    return os.path.join(info["knock"], ".lock")


@contextlib.contextmanager
def join_lock(info: dict, timeout: float):
    """Hold the cluster's join lock: one joiner connects at a time.

    MPICH's port queues connection requests, and one that arrives while
    another join is being accepted can crash the acceptor, so joiners take
    turns. The lock is an ``flock`` on a file in the knock directory; the
    kernel releases it if the joiner dies, which also tells the scheduler
    that a knock left behind is stale (:func:`join_in_progress`).

    Examples
    --------
    >>> import tempfile
    >>> info = {'knock': tempfile.mkdtemp()}
    >>> with join_lock(info, timeout=5):
    ...     join_in_progress(info)
    True
    >>> join_in_progress(info)
    False
    """
    fd = os.open(_lock_path(info), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"waited {timeout:g} s for other processes to finish joining the "
                        f"cluster (join lock {_lock_path(info)})"
                    ) from None
                time.sleep(0.01)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def join_in_progress(info: dict) -> bool:
    """Whether some process holds the join lock (is connecting right now); see :func:`join_lock`."""
    try:
        fd = os.open(_lock_path(info), os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return True  # cannot tell: trust the knock
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False
