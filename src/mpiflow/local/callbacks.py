"""Hooks into the local engine: the base of progress bars and profilers.

A :class:`Callback` has up to five hooks, called in the caller's thread:

- ``start(dsk)`` before anything else;
- ``start_state(dsk, state)`` once the graph is validated and ordered;
- ``pretask(key, dsk, state)`` just before a task is handed to a worker;
- ``posttask(key, result, dsk, state, worker_id)`` when its result is back;
- ``finish(dsk, state, errored)`` at the end, also after an error or Ctrl-C.

``state`` is the engine's :class:`~mpiflow.local.engine.RunState`; read its
``ntasks`` and ``ndone`` counters, do not modify it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["Callback", "active_callbacks"]

_active: set[Callback] = set()
_active_lock = threading.Lock()


class Callback:
    """Base class for engine hooks; use as a context manager or ``register()``.

    Subclasses override ``_start``, ``_start_state``, ``_pretask``,
    ``_posttask`` and ``_finish``; or pass plain functions to the constructor.

    Examples
    --------
    >>> from mpiflow.local import get_sync
    >>> seen = []
    >>> with Callback(posttask=lambda key, *rest: seen.append(key)):
    ...     get_sync({'x': (abs, -1), 'y': (abs, 'x')}, 'y')
    1
    >>> seen
    ['x', 'y']
    """

    def __init__(
        self,
        start: Callable | None = None,
        start_state: Callable | None = None,
        pretask: Callable | None = None,
        posttask: Callable | None = None,
        finish: Callable | None = None,
    ) -> None:
        if start is not None:
            self._start = start
        if start_state is not None:
            self._start_state = start_state
        if pretask is not None:
            self._pretask = pretask
        if posttask is not None:
            self._posttask = posttask
        if finish is not None:
            self._finish = finish

    def __enter__(self) -> Callback:
        self.register()
        return self

    def __exit__(self, *exc: object) -> None:
        self.unregister()

    def register(self) -> None:
        """Make this callback apply to every local computation until unregistered."""
        with _active_lock:
            _active.add(self)

    def unregister(self) -> None:
        """Stop applying this callback globally."""
        with _active_lock:
            _active.discard(self)


class Hooks:
    """The hooks of several callbacks, grouped per event for the engine."""

    __slots__ = ("start", "start_state", "pretask", "posttask", "finish")

    def __init__(self, callbacks: Iterable[Any]) -> None:
        cbs = list(callbacks)
        self.start = [c._start for c in cbs if hasattr(c, "_start")]
        self.start_state = [c._start_state for c in cbs if hasattr(c, "_start_state")]
        self.pretask = [c._pretask for c in cbs if hasattr(c, "_pretask")]
        self.posttask = [c._posttask for c in cbs if hasattr(c, "_posttask")]
        self.finish = [c._finish for c in cbs if hasattr(c, "_finish")]


def active_callbacks(extra: Iterable[Any] | Any | None = None) -> Hooks:
    """Return the hooks of the globally registered callbacks plus ``extra``.

    Examples
    --------
    >>> active_callbacks(Callback(pretask=print)).pretask
    [<built-in function print>]
    """
    with _active_lock:
        cbs = list(_active)
    if extra is not None:
        if isinstance(extra, Callback) or not isinstance(extra, Iterable):
            extra = [extra]
        cbs.extend(c for c in extra if c not in cbs)
    return Hooks(cbs)
