"""Futures: handles on results that live on the cluster.

A :class:`Future` names one key. All futures of a key share one
:class:`KeyState` that the client's listener thread updates when the
scheduler reports the key finished, erred or lost. Dropping the last
future of a key tells the scheduler that this client no longer wants it, so
the workers free its data.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

__all__ = ["Future", "KeyState", "Signal", "wait", "as_completed", "FIRST_COMPLETED",
           "FIRST_EXCEPTION", "ALL_COMPLETED"]

FIRST_COMPLETED = "FIRST_COMPLETED"
FIRST_EXCEPTION = "FIRST_EXCEPTION"
ALL_COMPLETED = "ALL_COMPLETED"


_SIGNALS = threading.Lock()  # guards every Signal's waiter list (held for microseconds)


class Signal:
    """A ``threading.Event`` that costs nothing until somebody waits on it.

    Every key a client submits gets one, and many are never waited on one
    by one (``gather`` and ``map`` results); a ``threading.Event`` builds a
    condition variable and a lock up front, about a tenth of the client's
    CPU per ``submit`` (py-spy). A waiter brings its own lock; :meth:`set`
    releases them.

    Examples
    --------
    >>> s = Signal()
    >>> s.is_set(), s.wait(0.01)
    (False, False)
    >>> threading.Timer(0.05, s.set).start()
    >>> s.wait(5), s.is_set()
    (True, True)
    """

    __slots__ = ("_flag", "_waiters")

    def __init__(self) -> None:
        self._flag = False
        self._waiters: list | None = None

    def is_set(self) -> bool:
        """Whether :meth:`set` was called (and not undone by :meth:`clear`)."""
        return self._flag

    def set(self) -> None:
        """Set the flag and wake every waiter."""
        with _SIGNALS:
            self._flag = True
            waiters, self._waiters = self._waiters, None
        for lock in waiters or ():
            lock.release()

    def clear(self) -> None:
        """Reset the flag; later waiters wait for the next :meth:`set`."""
        self._flag = False

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the flag is set or ``timeout`` seconds pass; return the flag."""
        if self._flag:
            return True
        lock = threading.Lock()
        lock.acquire()
        with _SIGNALS:
            if self._flag:
                return True
            if self._waiters is None:
                self._waiters = []
            self._waiters.append(lock)
        if lock.acquire(timeout=-1 if timeout is None else max(0.0, timeout)):
            return True
        with _SIGNALS:  # timed out: stop waiting (unless set() took us meanwhile)
            if self._waiters is not None and lock in self._waiters:
                self._waiters.remove(lock)
        return self._flag


class KeyState:
    """The client's view of one key: status, error, where it is, who waits."""

    __slots__ = ("key", "status", "event", "error", "who_has", "nbytes", "callbacks", "type",
                 "value", "has_value")

    def __init__(self, key: Any) -> None:
        self.key = key
        self.status = "pending"
        self.event = Signal()
        self.error: BaseException | None = None
        self.who_has: list = []
        self.nbytes = 0
        self.type: str | None = None
        self.callbacks: list[Callable] = []
        self.value: Any = None
        self.has_value = False

    def finish(self, status: str, error: BaseException | None = None, who_has: Any = None,
               nbytes: int = 0) -> None:
        """Record the outcome and wake everyone waiting (again: no effect)."""
        if self.event.is_set() and status == self.status:
            if who_has:
                self.who_has = list(who_has)
            return
        self.status = status
        self.error = error
        if who_has is not None:
            self.who_has = list(who_has)
        self.nbytes = nbytes
        self.event.set()
        callbacks, self.callbacks = self.callbacks, []
        for cb in callbacks:
            cb()

    def hold(self, value: Any) -> None:
        """Keep a small result a worker pushed to the client."""
        self.value = value
        self.has_value = True
        self.type = type(value).__name__

    def reset(self) -> None:
        """The key is being computed again (it was lost)."""
        self.status = "pending"
        self.value = None
        self.has_value = False
        self.event.clear()


class Future:
    """A result that is (or will be) held on the cluster.

    Use :meth:`result` to bring it to the client; pass it to ``submit`` or
    ``map`` to use it in another task without a round trip. Create futures
    with :meth:`Client.submit`, :meth:`Client.map`, :meth:`Client.scatter`.
    """

    __slots__ = ("key", "client", "_state", "__weakref__")

    def __init__(self, key: Any, client: Any, state: KeyState | None = None) -> None:
        self.key = key
        self.client = client
        self._state = state if state is not None else client._key_state(key)
        client._inc_ref(key)

    @property
    def status(self) -> str:
        """``'pending'``, ``'finished'``, ``'error'``, ``'cancelled'`` or ``'lost'``."""
        return self._state.status

    def done(self) -> bool:
        """Whether the key finished, failed or was cancelled."""
        return self._state.event.is_set()

    def _wait(self, timeout: float | None, doing: str) -> None:
        if not self._state.event.wait(timeout):
            raise TimeoutError(
                f"waited {timeout:g} s to {doing} of future {self.key!r}; it is still "
                f"{self.status}. Increase timeout= or check client.scheduler_info()."
            )

    def result(self, timeout: float | None = None) -> Any:
        """Wait for the result and return it (raising the task's exception if it failed)."""
        self._wait(timeout, "get the result")
        state = self._state
        if state.status == "error":
            raise state.error  # type: ignore[misc]
        if state.status == "cancelled":
            from concurrent.futures import CancelledError

            raise CancelledError(f"future {self.key!r} was cancelled")
        return self.client._gather_keys([self.key], timeout=timeout)[self.key]

    def exception(self, timeout: float | None = None) -> BaseException | None:
        """The exception the task raised, or None."""
        self._wait(timeout, "get the exception")
        return self._state.error

    def traceback(self, timeout: float | None = None) -> str | None:
        """The remote traceback text of a failed task, or None."""
        self._wait(timeout, "get the traceback")
        notes = getattr(self._state.error, "__notes__", None) or []
        return "\n".join(notes) or None

    def cancel(self) -> None:
        """Ask the cluster to forget this key (every future of it is cancelled)."""
        self.client.cancel([self])

    def add_done_callback(self, fn: Callable[[Future], Any]) -> None:
        """Call ``fn(self)`` once the future is done (now if it already is)."""
        state = self._state
        if state.event.is_set():
            fn(self)
        else:
            state.callbacks.append(lambda: fn(self))

    def __repr__(self) -> str:
        extra = f", type: {self._state.type}" if self._state.type else ""
        return f"<Future: {self.status}, key: {self.key!r}{extra}>"

    def __del__(self) -> None:
        try:
            self.client._dec_ref(self.key)
        except Exception:  # interpreter shutdown
            pass

    def __mpiflow_tokenize__(self) -> str:
        return f"future-{self.key!r}"

    def __reduce__(self):
        raise TypeError(
            "a Future cannot be pickled; pass it as an argument of client.submit/map (it is "
            "resolved on the cluster) or call .result() first"
        )


def wait(fs: Future | Iterable[Future], timeout: float | None = None,
         return_when: str = ALL_COMPLETED) -> tuple[set, set]:
    """Wait for futures; return ``(done, not_done)`` sets.

    ``return_when`` is ``'ALL_COMPLETED'``, ``'FIRST_COMPLETED'`` or
    ``'FIRST_EXCEPTION'``; ``timeout`` expiring raises ``TimeoutError``.
    """
    futures = [fs] if isinstance(fs, Future) else list(fs)
    if return_when not in (ALL_COMPLETED, FIRST_COMPLETED, FIRST_EXCEPTION):
        raise ValueError(f"return_when={return_when!r}; use 'ALL_COMPLETED', "
                         "'FIRST_COMPLETED' or 'FIRST_EXCEPTION'")
    deadline = None if timeout is None else time.monotonic() + timeout
    wake = threading.Event()
    for f in futures:
        f.add_done_callback(lambda _f: wake.set())
    while True:
        done = {f for f in futures if f.done()}
        if len(done) == len(futures):
            break
        if return_when == FIRST_COMPLETED and done:
            break
        if return_when == FIRST_EXCEPTION and any(f.status == "error" for f in done):
            break
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            raise TimeoutError(f"waited {timeout:g} s: {len(futures) - len(done)} of "
                               f"{len(futures)} futures are not done")
        wake.wait(0.1 if left is None else min(left, 0.1))
        wake.clear()
    return done, {f for f in futures if f not in done}


class as_completed:  # noqa: N801 - Dask's name
    """Iterate over futures in the order they finish.

    Parameters
    ----------
    futures : iterable of Future
    with_results : bool
        Yield ``(future, result)`` pairs instead of futures.
    timeout : float, optional
        Raise ``TimeoutError`` if the next future takes longer than this.
    """

    def __init__(self, futures: Iterable[Future] = (), with_results: bool = False,
                 timeout: float | None = None) -> None:
        import queue

        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._count = 0
        self.with_results = with_results
        self.timeout = timeout
        for f in futures:
            self.add(f)

    def add(self, future: Future) -> None:
        """Add one more future to iterate over."""
        self._count += 1
        future.add_done_callback(self._queue.put)

    def __iter__(self) -> Iterator:
        import queue

        while self._count:
            try:
                f = self._queue.get(timeout=self.timeout)
            except queue.Empty:
                raise TimeoutError(f"no future finished within {self.timeout} s; "
                                   f"{self._count} still pending") from None
            self._count -= 1
            yield (f, f.result()) if self.with_results else f
