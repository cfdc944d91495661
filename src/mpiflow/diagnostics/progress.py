"""A text progress bar for the local schedulers and for ``compute`` on a ``Client``."""

from __future__ import annotations

import sys
import threading
import time
from typing import Any, TextIO

from mpiflow.local.callbacks import Callback

__all__ = ["ProgressBar", "format_time"]


def format_time(seconds: float) -> str:
    """Format a duration for humans.

    Examples
    --------
    >>> format_time(1.5)
    ' 1.50 s'
    >>> format_time(125)
    ' 2min  5.0s'
    >>> format_time(7322)
    ' 2hr  2min  2.0s'
    """
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(int(minutes), 60)
    if hours:
        return f"{hours:2d}hr {minutes:2d}min {secs:4.1f}s"
    if minutes:
        return f"{minutes:2d}min {secs:4.1f}s"
    return f"{secs:5.2f} s"


class ProgressBar(Callback):
    """Show a progress bar while a local scheduler or a ``Client`` computes.

    Use as a context manager around ``compute`` calls, or ``register()`` it
    once for every computation. With a ``Client`` as the scheduler
    (``compute(scheduler=client)`` or ``config.set(scheduler=client)``) the
    bar counts the results asked for as they finish on the cluster, one per
    key (chunk, partition) of the output, as ``mpiflow.distributed.progress``
    does for futures; with a local scheduler it counts every task.

    Parameters
    ----------
    minimum : float
        Seconds a computation must run before the bar appears.
    width : int
        Width of the bar in characters.
    dt : float
        Seconds between redraws.
    out : file, optional
        Where to draw; default ``sys.stdout``.

    Examples
    --------
    >>> import io
    >>> from mpiflow.local import get_sync
    >>> out = io.StringIO()
    >>> with ProgressBar(out=out, width=10):
    ...     get_sync({'x': (abs, -1)}, 'x')
    1
    >>> out.getvalue().strip().splitlines()[-1].split('|')[:2]
    ['[##########] ', ' 100% Completed ']
    """

    def __init__(
        self, minimum: float = 0, width: int = 40, dt: float = 0.1, out: TextIO | None = None
    ) -> None:
        super().__init__()
        self._minimum = minimum
        self._width = width
        self._dt = dt
        self._file = out
        self._state: Any = None
        self._running = False
        self._thread: threading.Thread | None = None
        self._start_time = 0.0
        self.last_duration = 0.0

    @property
    def _out(self) -> TextIO:
        return self._file if self._file is not None else sys.stdout

    def _start(self, dsk: Any) -> None:
        self._state = None
        self._start_time = time.perf_counter()
        self._running = True
        self._thread = threading.Thread(target=self._timer, name="mpiflow-progress", daemon=True)
        self._thread.start()

    def _start_state(self, dsk: Any, state: Any) -> None:
        self._state = state

    def _timer(self) -> None:
        while self._running:
            elapsed = time.perf_counter() - self._start_time
            if elapsed > self._minimum:
                self._draw(elapsed)
            time.sleep(self._dt)

    def _fraction(self) -> float:
        state = self._state
        if state is None or not state.ntasks:
            return 1.0 if state is not None else 0.0
        return state.ndone / state.ntasks

    def _draw(self, elapsed: float) -> None:
        frac = self._fraction()
        bar = "#" * int(self._width * frac)
        percent = int(100 * frac)
        text = f"\r[{bar:<{self._width}}] | {percent:3d}% Completed | {format_time(elapsed)}"
        try:
            self._out.write(text)
            self._out.flush()
        except ValueError:  # the stream was closed under us
            self._running = False

    def _finish(self, dsk: Any, state: Any, errored: bool) -> None:
        self._running = False
        if self._thread is not None:
            self._thread.join(timeout=5)
        elapsed = time.perf_counter() - self._start_time
        self.last_duration = elapsed
        if state is not None:
            self._state = state
        if elapsed < self._minimum:
            return
        self._draw(elapsed)
        self._out.write("\n")
        self._out.flush()
