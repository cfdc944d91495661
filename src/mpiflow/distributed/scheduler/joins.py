"""The scheduler's side of joining: publish the port, watch for knocks, admit joiners.

Only a cluster started with a scheduler file (``mpiflow cluster``) accepts
joiners. Rank 0 opens an MPI port, writes the scheduler file, touches the
alive file every second (a daemon thread, no MPI), and between two rounds of
messages looks at the knock directory (at most every ``poll_interval``
seconds). A knock from a live process makes every live member accept
together (:func:`mpiflow.distributed.join.accept_join`).
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from typing import Any

from mpiflow.distributed.join import accept_join
from mpiflow.distributed.scheduler_file import (
    ALIVE_INTERVAL,
    join_in_progress,
    new_token,
    remove_scheduler_file,
    scan_knocks,
    touch_alive,
    write_scheduler_file,
)

__all__ = ["JoinService"]


class JoinService:
    """Admit processes that knock, for the scheduler on rank 0.

    Parameters
    ----------
    transport : Transport
        Rank 0's messaging.
    path : str
        Where to write the scheduler file.
    members : set of int
        Ids of the processes connected now (workers and clients). Every live
        member takes part in each accept; joiners are added when admitted,
        leavers removed with :meth:`forget`.
    poll_interval : float
        Seconds between two looks at the knock directory.

    Examples
    --------
    >>> service = JoinService(transport, 'scheduler.json', members={1, 2})  # doctest: +SKIP
    >>> service.poll()                                                      # doctest: +SKIP
    []
    """

    def __init__(self, transport: Any, path: str, members: set[int],
                 poll_interval: float = 0.01, dashboard: str | None = None) -> None:
        from mpiflow.distributed.comm.mpi import import_mpi

        self.transport = transport
        self.path = os.path.abspath(path)
        self.members = set(members)
        self.poll_interval = poll_interval
        self._MPI = import_mpi()
        self.port = self._MPI.Open_port()
        self.token = new_token()
        self.next_id = max(transport.endpoint.peers() + [transport.rank]) + 1
        self.info = write_scheduler_file(self.path, self.port, self.token, dashboard=dashboard)
        self._last_poll = 0.0
        self._stop = threading.Event()
        self._alive = threading.Thread(target=self._touch_alive, name="mpiflow-alive",
                                       daemon=True)
        self._alive.start()
        self.joined: list[dict] = []

    def _touch_alive(self) -> None:
        while not self._stop.wait(ALIVE_INTERVAL):
            with contextlib.suppress(OSError):
                touch_alive(self.info)

    def poll(self) -> list[dict]:
        """Admit every waiting knock (one look per interval at most); returns those admitted."""
        now = time.monotonic()
        if now - self._last_poll < self.poll_interval:
            return []
        self._last_poll = now
        admitted = []
        for path, knock in scan_knocks(self.info):
            if self._admit(path, knock):
                admitted.append(knock)
        return admitted

    def _admit(self, path: str, knock: dict) -> bool:
        try:
            os.unlink(path)  # claim it: a joiner that gave up has removed it already
        except FileNotFoundError:
            return False
        if not join_in_progress(self.info):
            return False  # its joiner gave up or died: nobody is connecting
        if knock.get("host") == socket.gethostname():
            try:
                os.kill(int(knock.get("pid", -1)), 0)
            except (ProcessLookupError, ValueError):
                return False  # it died after knocking: accepting would hang or crash MPI
            except PermissionError:
                pass
        nprocs = int(knock.get("nprocs", 1))
        new_ids = list(range(self.next_id, self.next_id + nprocs))
        members = sorted(self.members | {self.transport.rank})
        for rank in members:
            if rank != self.transport.rank:
                self.transport.send(rank, {"op": "accept-join", "members": members,
                                           "new_ids": new_ids})
        ok = accept_join(self.transport.endpoint, self.port, members, new_ids, self.token,
                         root_id=self.transport.rank)
        if ok:
            self.next_id += nprocs
            self.members.update(new_ids)
            self.joined.append(dict(knock, ids=new_ids))
        return ok

    def forget(self, member: int) -> None:
        """``member`` left (or died): later accepts go on without it."""
        self.members.discard(member)

    def close(self) -> None:
        """Stop announcing the cluster: remove the scheduler file and close the port."""
        self._stop.set()
        remove_scheduler_file(self.path)
        with contextlib.suppress(Exception):
            self._MPI.Close_port(self.port)

