"""Doorbells: wake a sleeping progress thread on the same node at once.

A progress loop that sleeps between polls sees a message up to one sleep
late, and on a node where ranks outnumber cores a loop that never sleeps
steals the CPU the busy ranks need. Ranks that share a node therefore ring
each other's doorbell after every send: each rank owns a named pipe (FIFO),
every rank on the node holds a non-blocking write end to it, and an idle
progress loop blocks in ``select`` on its read end instead of sleeping. A
ring is one byte and carries no data (MPI still carries every message); it
only says "poll now". Ranks on other nodes, and processes that joined later,
have no bell: their messages are found by the regular polling, whose
back-off cap bounds the delay.

The FIFOs are created in the temporary directory (``TMPDIR``), opened by
every local rank during setup, and unlinked before setup returns, so nothing
is left behind even if the job is killed. If FIFOs cannot be made (an
unusual file system, another OS), every ring is a no-op and waits fall back
to plain timed sleeps.

Examples
--------
>>> bell = Doorbell.unconnected()
>>> bell.ring_self()
>>> bell.wait(1.0)          # returns at once: someone rang
True
>>> bell.wait(0.001)        # nobody rang: times out
False
>>> bell.close()
"""

from __future__ import annotations

import contextlib
import os
import select
import tempfile
import threading
import uuid
from typing import Any

__all__ = ["Doorbell"]

_DRAIN = 4096


class Doorbell:
    """This rank's doorbell and the bells of the other ranks on its node.

    Build it with :meth:`connect` (collective over a communicator) or
    :meth:`unconnected` (a bell only this process rings).

    Parameters
    ----------
    read_fd : int or None
        Read end of this rank's FIFO (``None``: no bell; waits are sleeps).
    self_fd : int or None
        A write end of this rank's own FIFO, for wake-ups from its own threads.
    peers : dict
        Rank -> write end of that rank's FIFO.
    """

    def __init__(self, read_fd: int | None, self_fd: int | None, peers: dict[int, int]) -> None:
        self._read_fd = read_fd
        self._self_fd = self_fd
        self._peers = peers
        self._sleeper: Any = None
        #: Names this job's FIFOs (``mpiflow-bell-<token>-<rank>``) while they exist.
        self.token: str | None = None
        if read_fd is None:
            self._sleeper = threading.Event()

    # ---------------------------------------------------------------- setup
    @classmethod
    def unconnected(cls) -> Doorbell:
        """A bell for this process alone (an anonymous pipe).

        Examples
        --------
        >>> bell = Doorbell.unconnected()
        >>> bell.peers
        []
        >>> bell.close()
        """
        try:
            r, w = os.pipe()
        except OSError:
            return cls(None, None, {})
        os.set_blocking(r, False)
        os.set_blocking(w, False)
        return cls(r, w, {})

    @classmethod
    def connect(cls, comm: Any, MPI: Any) -> Doorbell:
        """Create bells for every rank of ``comm`` that shares this node.

        Collective over ``comm``: every rank must call it. Ranks on other
        nodes get no bell. Never raises for a file-system problem: a rank
        whose FIFO cannot be made simply has no bell.
        """
        local = comm.Split_type(MPI.COMM_TYPE_SHARED, key=comm.Get_rank())
        try:
            token = comm.bcast(uuid.uuid4().hex if comm.Get_rank() == 0 else None, root=0)
            path = os.path.join(tempfile.gettempdir(), f"mpiflow-bell-{token}-{comm.Get_rank()}")
            read_fd = self_fd = None
            try:
                os.mkfifo(path, 0o600)
                read_fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
                self_fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            except (OSError, AttributeError):
                read_fd = self_fd = None
            made = local.allgather((comm.Get_rank(), path if read_fd is not None else None))
            peers: dict[int, int] = {}
            for rank, peer_path in made:
                if peer_path is None or rank == comm.Get_rank():
                    continue
                with contextlib.suppress(OSError):
                    peers[rank] = os.open(peer_path, os.O_WRONLY | os.O_NONBLOCK)
            local.allgather(None)  # every rank has opened every bell it can
            with contextlib.suppress(OSError):
                os.unlink(path)
            bell = cls(read_fd, self_fd, peers)
            bell.token = token
            return bell
        finally:
            local.Free()

    # ------------------------------------------------------------------ use
    @property
    def peers(self) -> list[int]:
        """Ranks this process can ring."""
        return sorted(self._peers)

    @property
    def can_wait(self) -> bool:
        """Whether :meth:`wait` blocks on a pipe that peers can ring."""
        return self._read_fd is not None

    def ring(self, rank: int) -> None:
        """Wake ``rank``'s progress loop if it shares this node (else nothing)."""
        fd = self._peers.get(rank)
        if fd is not None:
            with contextlib.suppress(OSError):  # full pipe: the peer will wake anyway
                os.write(fd, b"\0")

    def ring_self(self) -> None:
        """Wake this process's own waiting progress loop."""
        if self._self_fd is None:
            self._sleeper.set()
            return
        with contextlib.suppress(OSError):
            os.write(self._self_fd, b"\0")

    def wait(self, timeout: float) -> bool:
        """Block up to ``timeout`` seconds for a ring; True if one came.

        Every pending ring is consumed, so one wait answers many rings.
        """
        if self._read_fd is None:
            rang = self._sleeper.wait(timeout)
            self._sleeper.clear()
            return rang
        ready, _, _ = select.select([self._read_fd], [], [], timeout)
        if not ready:
            return False
        with contextlib.suppress(BlockingIOError, OSError):
            while len(os.read(self._read_fd, _DRAIN)) == _DRAIN:
                pass
        return True

    def close(self) -> None:
        """Close every file descriptor (idempotent)."""
        fds = [self._read_fd, self._self_fd, *self._peers.values()]
        self._read_fd = self._self_fd = None
        self._peers = {}
        if self._sleeper is None:
            self._sleeper = threading.Event()
        for fd in fds:
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
