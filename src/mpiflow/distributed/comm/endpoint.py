"""The MPI endpoint: one progress thread per process owns every MPI call.

Other threads never touch MPI. They hand outgoing messages to the progress
thread through a queue (:meth:`MPIEndpoint.send_async` returns a
``concurrent.futures.Future`` that completes when the buffers may be reused)
and wait for incoming ones on per-stream queues (:meth:`MPIEndpoint.recv`).

Wire format of one message from rank A to rank B on stream ``key``:

1. a *header* message, tag :data:`HEADER_TAG`, pickled
   ``(key, data_tag, lengths, inline)``; when the frames are small
   (``sum(lengths) <= inline_bytes``) they ride inside it as ``inline`` and
   nothing else is sent;
2. otherwise each non-empty frame as its own MPI message with tag ``data_tag``,
   sent with ``Isend`` straight from the frame's memory (no copy) and received
   with ``Irecv`` into a new uninitialised buffer of the announced size (no
   copy either). Every transfer gets a fresh ``data_tag`` per destination, so
   concurrent transfers between the same pair never mix.

Messages of one stream are delivered in the order they were sent, even when
a small message overtakes a large one on the wire. The sending half (start,
watch, complete) is in :mod:`.sending`, the receiving half (probe, receive,
deliver) in :mod:`.receiving`, the records of messages in flight in
:mod:`.transfers`.

The loop polls (``improbe`` for headers, ``Testall`` for transfers). When
every peer shares this node, each one rings this rank's doorbell
(:mod:`.doorbell`) after it sends, so an idle loop blocks on the bell (at
most ``max_sleep_us``) instead of polling; it keeps polling only while a large
transfer is moving. Otherwise it backs off adaptively
(:class:`~mpiflow.distributed.comm.backoff.Backoff`): it spins for ``spin_us``
after activity, then sleeps a fraction of its idle time, growing up to
``max_sleep_us`` (default 1000). A thread that queues a message wakes the loop
at once. Settings come from keywords or ``mpiflow.config`` (environment
``MPIFLOW_COMM_SPIN_US``, ``MPIFLOW_COMM_MAX_SLEEP_US``,
``MPIFLOW_COMM_BACKOFF_FRACTION``, ``MPIFLOW_COMM_INLINE_BYTES``).

Examples
--------
>>> HEADER_TAG < FIRST_DATA_TAG
True
"""

from __future__ import annotations

import atexit
import collections
import itertools
import queue
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from mpiflow import config

from .backoff import Backoff
from .buffers import BufferPool
from .core import CommClosedError, CommTimeoutError, resolve_timeout
from .doorbell import Doorbell
from .mpi import import_mpi
from .receiving import HEADER_TAG, MAX_BATCH, ReceiveSide
from .sending import FIRST_DATA_TAG, SendSide
from .transfers import (
    SENT,
    Closed,
    CommRoute,
    Incoming,
    Outgoing,
    StreamKey,
    cancel_requests,
    reduce_timer_slack,
)

__all__ = ["MPIEndpoint", "get_endpoint", "HEADER_TAG", "FIRST_DATA_TAG", "StreamKey"]

_PUMP_SECONDS = 200e-6


class MPIEndpoint(SendSide, ReceiveSide):
    """This process's MPI transport: a progress thread and its queues.

    Parameters
    ----------
    comm : mpi4py.MPI.Intracomm, optional
        Communicator to duplicate (``COMM_WORLD`` by default). Duplicating is
        collective: every rank of ``comm`` must create its endpoint.
    ids : list of int, optional
        The process id of each rank of ``comm`` (default: the ranks). Peers are
        addressed by id; processes that join later (:meth:`add_comm`) get new ids.
    dup : bool
        Duplicate ``comm`` (default). A process that joined a running cluster
        passes the fresh communicator of its join, which nobody else uses.
    doorbell : bool
        Make node-local doorbells (collective over ``comm``); joined processes
        have none and are found by polling.
    spin_us, max_sleep_us, backoff_fraction : float, optional
        Back-off settings (defaults 50 µs, 1000 µs, 0.2), see the module docstring
        and :class:`~mpiflow.distributed.comm.backoff.Backoff`.
    inline_bytes : int, optional
        Messages up to this size travel inside their header (default 16384).
    """

    def __init__(
        self,
        comm: Any = None,
        *,
        spin_us: float | None = None,
        max_sleep_us: float | None = None,
        inline_bytes: int | None = None,
        backoff_fraction: float | None = None,
        ids: list[int] | None = None,
        dup: bool = True,
        doorbell: bool = True,
    ) -> None:
        MPI = import_mpi()
        self._MPI = MPI
        base = comm if comm is not None else MPI.COMM_WORLD
        self.comm = base.Dup() if dup else base
        ids = list(range(self.comm.Get_size())) if ids is None else list(ids)
        #: This process's id: its rank in the launch, or the id it got when it joined.
        self.rank = ids[self.comm.Get_rank()]
        self.size = len(ids)
        self._comms: list[CommRoute] = []
        self._routes: dict[int, tuple[Any, int]] = {}
        self._lost: set[int] = set()
        self.inline_bytes = int(config.get("comm.inline-bytes", 16384, override=inline_bytes))
        spin = float(config.get("comm.spin-us", 50.0, override=spin_us)) * 1e-6
        cap = float(config.get("comm.max-sleep-us", 1000.0, override=max_sleep_us)) * 1e-6
        fraction = float(config.get("comm.backoff-fraction", 0.2, override=backoff_fraction))
        self._backoff = Backoff(spin=spin, first_sleep=min(20e-6, cap), max_sleep=cap,
                                fraction=fraction)
        self._outbox: queue.SimpleQueue[Outgoing] = queue.SimpleQueue()
        self._buffers = BufferPool()  # large receive buffers, reused (see .buffers)
        # Held around every MPI call: the progress thread holds it while it
        # polls; a sending thread that finds it free starts its send itself,
        # saving a hand-off to the progress thread (MPI_THREAD_SERIALIZED).
        self._mpi_lock = threading.Lock()
        self._bell = Doorbell.connect(self.comm, MPI) if doorbell else Doorbell.unconnected()
        self._bells_everywhere = True
        self._lock = threading.Lock()
        self._inboxes: dict[Any, queue.Queue] = {}
        self._handlers: dict[Any, Any] = {}
        self._calls: list[tuple[Any, Any]] = []
        self._round_hook: Any = None
        self._order: dict[Any, collections.deque[Incoming]] = {}
        self._accept: queue.Queue = queue.Queue()
        self._sending: list[Outgoing] = []
        self._receiving: list[Incoming] = []
        self._tags: dict[int, int] = {}
        self._streams = itertools.count()
        self._stopping = False
        self._error: BaseException | None = None
        self.stats = {"sent": 0, "received": 0, "bytes_sent": 0, "bytes_received": 0}
        self._add_comm(self.comm, ids)
        self._thread = threading.Thread(
            target=self._run, name=f"mpiflow-mpi-progress-{self.rank}", daemon=True
        )
        self._thread.start()
        atexit.register(self.close)

    # ------------------------------------------------------------------ API
    def new_stream(self) -> StreamKey:
        """Return a stream key no other stream of this job uses."""
        return (self.rank, next(self._streams))

    def send_async(self, dest: int, key: StreamKey, frames: Sequence[Any]) -> Future:
        """Queue ``frames`` for rank ``dest`` on stream ``key``.

        The returned future resolves when the send buffers may be reused.
        """
        if dest not in self._routes:
            if dest in self._lost:
                raise CommClosedError(f"Rank {dest} is gone (lost); rank {self.rank} cannot "
                                      "send to it")
            raise ValueError(f"Rank {dest} is not a peer of rank {self.rank}; it knows "
                             f"{sorted(self._routes)[:20]}")
        self._check_alive(f"send to rank {dest}")
        if self._outbox.empty() and self._mpi_lock.acquire(blocking=False):
            out = Outgoing(dest, key, list(frames), None)
            watch = False
            try:  # nothing queued before us, so order is kept
                watch = self._start_one(out)
            except Exception as exc:
                out.waitable().set_exception(exc)
            finally:
                self._mpi_lock.release()
            if watch and threading.get_ident() != self._thread.ident:
                # MPI has not finished it: the progress thread must, and it may
                # be asleep on its bell (the peer's bell rings, but the message
                # only arrives once this side's MPI progresses).
                self._bell.ring_self()
            # A small message was copied: nothing to wait for, no future to build.
            return out.future if out.future is not None else SENT
        fut: Future = Future()
        self._outbox.put(Outgoing(dest, key, list(frames), fut))
        self._bell.ring_self()
        return fut

    def send(self, dest: int, key: StreamKey, frames: Sequence[Any],
             timeout: float | None = None) -> None:
        """Send and wait until the buffers may be reused (at most ``timeout`` s)."""
        wait = resolve_timeout(timeout)
        fut = self.send_async(dest, key, frames)
        try:
            fut.result(timeout=wait)
        except FutureTimeout:
            size = sum(memoryview(f).nbytes for f in frames)
            raise CommTimeoutError(
                f"Rank {self.rank} waited {wait:g} s for rank {dest} to receive a message "
                f"of {size} bytes in {len(frames)} frame(s) on stream {key}; is rank {dest} "
                "alive and running its mpiflow endpoint?"
            ) from None

    def recv(self, source: int, key: StreamKey, timeout: float | None = None) -> list[Any]:
        """Return the next message from ``source`` on stream ``key``."""
        wait = resolve_timeout(timeout)
        try:
            item = self._inbox(key).get(timeout=wait)
        except queue.Empty:
            self._check_alive(f"receive from rank {source}")
            raise CommTimeoutError(
                f"Rank {self.rank} waited {wait:g} s for a message from rank {source} on "
                f"stream {key}; none came. Is rank {source} alive and sending?"
            ) from None
        if isinstance(item, Closed):
            self._inbox(key).put(item)  # keep later receivers informed too
            raise CommClosedError(item.reason)
        return item

    def accept(self, timeout: float | None = None) -> tuple[int, StreamKey]:
        """Return ``(source, key)`` of the next stream another rank opened to us."""
        wait = resolve_timeout(timeout)
        try:
            item = self._accept.get(timeout=wait)
        except queue.Empty:
            self._check_alive("accept a stream")
            raise CommTimeoutError(
                f"Rank {self.rank} waited {wait:g} s for another rank to open a stream to it; "
                "none did."
            ) from None
        if isinstance(item, Closed):
            self._accept.put(item)
            raise CommClosedError(item.reason)
        return item

    def open_inbox(self, key: Any) -> None:
        """Receive stream ``key`` from any rank without announcing it to :meth:`accept`.

        Used for well-known streams (the cluster's control stream) that every
        rank sends on.
        """
        self._inbox(key)

    def set_handler(self, key: Any, handler: Any) -> None:
        """Deliver stream ``key`` by calling ``handler(frames)`` on the progress thread.

        This saves the hand-off to a thread blocked in :meth:`recv` (about
        50 µs per message on a busy node). The handler runs outside the MPI
        lock, in arrival order, and must be quick and never wait for another
        message (it may send). ``handler(None)`` means the endpoint failed.
        If the handler raises, the endpoint fails as if MPI had. Messages
        already waiting in the stream's inbox go to the handler first.
        """
        with self._mpi_lock:
            with self._lock:
                self._handlers[key] = handler
                box = self._inboxes.pop(key, None)
            while box is not None and not box.empty():
                item = box.get()
                self._calls.append((handler, None if isinstance(item, Closed) else item))
        self._bell.ring_self()

    def set_round_hook(self, hook: Any) -> None:
        """Call ``hook()`` on the progress thread after every turn of its loop (None: stop).

        The owner of a stream handled with :meth:`set_handler` uses it to act on
        what a turn delivered, all at once (the scheduler's rounds), and for
        periodic checks: an idle loop still turns at least every
        ``max_sleep_us``. The hook runs outside the MPI lock, may send, and
        must be quick; it returns whether it did anything (the loop then keeps
        polling briefly, as after any activity). If it raises, the endpoint
        fails as if MPI had.
        """
        self._round_hook = hook
        self._bell.ring_self()

    def peers(self) -> list[int]:
        """Ids of every process this endpoint can send to."""
        return sorted(self._routes)

    def collective(self, fn: Any) -> Any:
        """Run ``fn(self)`` while no other thread of this process makes MPI calls.

        For collective operations on new communicators (a join): the
        progress loop pauses, messages already queued are started first, then
        ``fn`` runs in the calling thread. It must not wait for anything that
        needs this process's progress loop.
        """
        self._check_alive("run a collective operation")
        with self._mpi_lock:
            self._start_sends()
            return fn(self)

    def is_lost(self, peer: int) -> bool:
        """Whether ``peer`` was declared gone with :meth:`drop_peer`."""
        return peer in self._lost

    @property
    def lost_any(self) -> bool:
        """Whether any peer was declared gone (then ``MPI_Finalize`` may wait for it forever)."""
        return bool(self._lost)

    def drop_peer(self, peer: int) -> None:
        """Forget ``peer`` (it died or left): nothing more is sent to or awaited from it.

        Transfers in flight with it are cancelled (MPI reports nothing when a
        peer dies: they would otherwise wait forever) and their waiters fail.
        """
        with self._mpi_lock:
            if peer in self._lost or peer == self.rank:
                return
            self._lost.add(peer)
            self._routes.pop(peer, None)
            reason = f"rank {peer} is gone (lost or left)"
            keep = []
            for out in self._sending:
                if out.dest == peer:
                    cancel_requests(out.requests)
                    out.settle(CommClosedError(reason))
                else:
                    keep.append(out)
            self._sending = keep
            keep_in = []
            for incoming in self._receiving:
                if incoming.source == peer:
                    cancel_requests(incoming.requests)
                    self._inbox(incoming.key).put(Closed(reason))
                    self._order.pop(incoming.key, None)
                else:
                    keep_in.append(incoming)
            self._receiving = keep_in

    def latest_comm(self) -> tuple[Any, list[int]]:
        """The newest communicator (every live member of the cluster has it) and its ids."""
        c = self._comms[-1]
        return c.comm, c.ids

    def add_comm(self, comm: Any, ids: list[int]) -> None:
        """Talk on ``comm`` too, whose rank ``i`` is the process with id ``ids[i]``.

        Call it from :meth:`collective`. Peers already known keep the
        communicator they had (so the messages between two processes stay in
        order); new ids are reached through ``comm``.
        """
        self._add_comm(comm, list(ids))

    def _add_comm(self, comm: Any, ids: list[int]) -> None:
        self._comms.append(CommRoute(comm, ids))
        bells = set(self._bell.peers)
        for rank, pid in enumerate(ids):
            if pid != self.rank and pid not in self._routes:
                self._routes[pid] = (comm, rank)
                if pid not in bells:
                    self._bells_everywhere = False

    def discard_stream(self, key: Any) -> None:
        """Forget a finished one-shot stream of ours without notifying the peer."""
        with self._lock:
            self._inboxes.pop(key, None)
            self._order.pop(key, None)

    def close_stream(self, dest: int, key: StreamKey) -> None:
        """Tell ``dest`` that stream ``key`` is closed (its recv raises)."""
        if self._error is None and not self._stopping:
            self._outbox.put(Outgoing(dest, None, [key], Future()))
            self._bell.ring_self()
        with self._lock:
            self._inboxes.pop(key, None)
            self._order.pop(key, None)

    def close(self, timeout: float = 10.0) -> None:
        """Finish pending sends (at most ``timeout`` s), then stop the progress thread."""
        if self._thread is None:
            return
        self._stopping = True
        self._bell.ring_self()
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise CommTimeoutError(
                f"Rank {self.rank}: the MPI progress thread did not stop within {timeout:g} s; "
                f"{len(self._sending)} send(s) still wait for their receivers."
            )
        self._thread = None  # type: ignore[assignment]
        self._bell.close()
        atexit.unregister(self.close)

    @property
    def closed(self) -> bool:
        """Whether the endpoint stopped (closed or failed)."""
        return self._thread is None or self._error is not None or self._stopping

    # ------------------------------------------------------------ internals
    def _check_alive(self, doing: str) -> None:
        if self._error is not None:
            raise CommClosedError(
                f"Cannot {doing}: the MPI progress thread of rank {self.rank} failed with "
                f"{type(self._error).__name__}: {self._error}"
            ) from self._error
        if self._stopping:
            raise CommClosedError(
                f"Cannot {doing}: the MPI endpoint of rank {self.rank} is closed."
            )

    def _run(self) -> None:
        reduce_timer_slack()
        # When every peer shares this node, each one rings before we could
        # find its message by polling: an idle loop then blocks on the bell
        # instead of spinning, which leaves the GIL and the CPU to the threads
        # doing the work (spinning cost ~0.2 ms per hand-off on 2 cores).
        rang = False
        streak = 0  # turns in a row, without sleeping, that found something to do
        try:
            while True:
                with self._mpi_lock:
                    started = self._start_sends()
                    found = self._probe_headers()
                    active = self._test_transfers() or started > 0 or found > 0
                    calls, self._calls = self._calls, []
                # A batch limit was hit: more is waiting, and its rings were
                # already consumed, so the bell will not announce it.
                more = started >= MAX_BATCH or found >= MAX_BATCH
                for handler, frames in calls:
                    handler(frames)
                active = active or bool(calls)
                hook = self._round_hook
                if hook is not None and hook():
                    active = True
                if self._stopping and not self._sending and self._outbox.empty():
                    break
                if not active and (self._receiving or self._sending_bulk()):
                    active = self._pump()
                if active:
                    self._backoff.reset()
                streak = streak + 1 if active else 0
                # Busy (several messages in a turn, or turns in a row): one more
                # turn without sleeping finds the next message sooner than a
                # wake-up would. A lone message is followed by silence: sleep.
                busy = active and (streak > 1 or started + found > 1)
                rung = self._bells_everywhere and self._bell.can_wait
                if more or busy or self._receiving or self._sending or (active and not rung):
                    # MPI moves a message only while someone calls into MPI: keep
                    # polling (yielding the GIL) until every transfer is done. A
                    # small send waits here only while the peer's queue is full.
                    # Without bells, a reply is only found by polling.
                    wait = 0.0
                elif rung and (active or not rang):
                    # Every peer rings when it sends: wait for that, not spin.
                    wait = self._backoff.max_sleep
                else:
                    wait = self._backoff.next_wait()
                rang = False
                if wait == 0.0:
                    # Spinning: still give up the GIL each turn, or the thread we
                    # just handed a message to waits for the switch interval.
                    time.sleep(0)
                else:
                    streak = 0
                    if self._bell.wait(wait):
                        rang = True  # a peer rang: if its message is not visible yet, poll
                        self._backoff.reset()
        except BaseException as exc:  # noqa: BLE001 - reported to every waiter
            self._fail(exc)

    def _test_transfers(self) -> bool:
        """Complete the sends and deliver the receives MPI has finished; whether any."""
        sent = self._test_sends()
        received = self._test_receives()
        return sent or received

    def _pump(self) -> bool:
        """Drive bulk transfers alone for up to ``_PUMP_SECONDS``; whether one finished.

        MPI moves a large message in pieces, one per call into it; a full turn
        of the loop between two calls (polling for headers, queues, Python
        bookkeeping) cost about half the bandwidth. Messages that arrive
        meanwhile wait at most this long.
        """
        deadline = time.perf_counter() + _PUMP_SECONDS
        with self._mpi_lock:
            while True:
                if self._test_transfers():
                    return True
                if time.perf_counter() >= deadline:
                    return False

    def _fail(self, exc: BaseException) -> None:
        self._error = exc
        reason = f"the MPI progress thread of rank {self.rank} failed: {type(exc).__name__}: {exc}"
        for out in self._sending:
            out.settle(CommClosedError(reason))
        while not self._outbox.empty():
            self._outbox.get().settle(CommClosedError(reason))
        with self._lock:
            boxes = list(self._inboxes.values())
        for box in boxes:
            box.put(Closed(reason))
        self._accept.put(Closed(reason))
        for handler in list(self._handlers.values()):
            try:
                handler(None)
            except Exception:  # noqa: BLE001 - already failing; every waiter is told
                pass


_endpoint: MPIEndpoint | None = None
_endpoint_lock = threading.Lock()


def get_endpoint(**kwargs: Any) -> MPIEndpoint:
    """Return this process's endpoint, creating it on first use.

    Creating it duplicates ``COMM_WORLD``, a collective call: every rank of the
    job must call this (``mpiflow.distributed.initialize()`` does).
    """
    global _endpoint
    with _endpoint_lock:
        if _endpoint is None or _endpoint._thread is None:
            _endpoint = MPIEndpoint(**kwargs)
        return _endpoint
