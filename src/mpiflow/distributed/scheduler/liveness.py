"""Which members of the cluster are still alive: heartbeats and, on this host, pids.

MPI says nothing when a process dies (a pending receive from it just never
completes), so the scheduler keeps watch itself. Every worker and client
sends a heartbeat every ``distributed.heartbeat-interval`` seconds (any
message counts as one); a member silent for ``distributed.worker-ttl``
seconds is declared lost. A member on the scheduler's own host whose
process has vanished is declared lost at the next check, without waiting
for the time-to-live.

Examples
--------
>>> watch = Liveness(ttl=5.0)
>>> watch.watch(2)
>>> watch.seen(2, now=0.0)
>>> watch.lost(now=1.0), watch.lost(now=6.0)
([], [2])
"""

from __future__ import annotations

import os
import socket
import time

from mpiflow import config

__all__ = ["Liveness", "heartbeat_interval"]


def heartbeat_interval() -> float:
    """Seconds between two heartbeats (config ``distributed.heartbeat-interval``).

    Examples
    --------
    >>> heartbeat_interval() > 0
    True
    """
    return float(config.get("distributed.heartbeat-interval", 0.5))


class Liveness:
    """Last sign of life of every member, and who has been silent too long.

    Parameters
    ----------
    ttl : float, optional
        Seconds of silence after which a member is lost (config
        ``distributed.worker-ttl``, default 10).
    """

    def __init__(self, ttl: float | None = None) -> None:
        self.ttl = float(config.get("distributed.worker-ttl", 10.0, override=ttl))
        self.last: dict[int, float] = {}
        self.local_pids: dict[int, int] = {}
        self.host = socket.gethostname()

    def seen(self, member: int, now: float | None = None) -> None:
        """``member`` just sent something (ignored unless it is watched)."""
        if member in self.last:
            self.last[member] = time.monotonic() if now is None else now

    def watch(self, member: int, host: str | None = None, pid: int | None = None) -> None:
        """Start watching ``member`` (its host and pid allow a faster check on this host)."""
        self.last[member] = time.monotonic()
        if host == self.host and pid:
            self.local_pids[member] = int(pid)

    def forget(self, member: int) -> None:
        """Stop watching ``member`` (it left or was declared lost)."""
        self.last.pop(member, None)
        self.local_pids.pop(member, None)

    def lost(self, now: float | None = None) -> list[int]:
        """Members silent for longer than the time-to-live, or whose process is gone."""
        now = time.monotonic() if now is None else now
        gone = [m for m, t in self.last.items() if now - t > self.ttl]
        for member, pid in self.local_pids.items():
            if member not in gone and not _exists(pid):
                gone.append(member)
        return sorted(gone)


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie (dead, not yet reaped by mpiexec) still has a pid: it is gone too
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return True
