"""``progress(futures)``: a text progress bar in the terminal for work on a cluster.

Examples
--------
>>> from mpiflow.distributed.dashboard.progress import text_bar
>>> text_bar(5, 10, 1.25, width=10)
'[#####     ] |  50% Completed |  1.25 s'
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from typing import Any, TextIO

from mpiflow.distributed.futures import Future

__all__ = ["progress", "futures_of", "text_bar"]


def futures_of(obj: Any) -> list[Future]:
    """Every :class:`Future` in ``obj``: futures, containers of them, persisted collections.

    A persisted collection (``client.persist(x)``) holds a future per key in
    its graph; those are found through ``__mpiflow_graph__``.

    Examples
    --------
    >>> futures_of([1, {"a": (2, 3)}])
    []
    """
    out: list[Future] = []
    seen: set[int] = set()
    stack = [obj]
    while stack:
        x = stack.pop()
        if isinstance(x, Future):
            if id(x) not in seen:
                seen.add(id(x))
                out.append(x)
        elif isinstance(x, (list, tuple, set, frozenset)):
            stack.extend(x)
        elif isinstance(x, Mapping):
            stack.extend(x.values())
        elif hasattr(x, "__mpiflow_graph__"):
            stack.extend(v for v in x.__mpiflow_graph__().values() if isinstance(v, Future))
    out.reverse()
    return out


def _seconds(seconds: float) -> str:
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(int(minutes), 60)
    if hours:
        return f"{hours:2d}hr {minutes:2d}min {secs:4.1f}s"
    if minutes:
        return f"{minutes:2d}min {secs:4.1f}s"
    return f"{secs:5.2f} s"


def text_bar(done: int, total: int, elapsed: float, width: int = 40, erred: int = 0) -> str:
    """One line of the bar, as Dask's text progress bar draws it.

    Examples
    --------
    >>> text_bar(0, 0, 0.0, width=4)
    '[####] | 100% Completed |  0.00 s'
    >>> text_bar(2, 4, 3.0, width=4, erred=1)
    '[##  ] |  50% Completed |  3.00 s | 1 erred'
    """
    frac = done / total if total else 1.0
    bar = "#" * int(width * frac)
    line = f"[{bar:<{width}}] | {frac:4.0%} Completed | {_seconds(elapsed)}"
    return line + (f" | {erred} erred" if erred else "")


def progress(*futures: Any, interval: float = 0.1, width: int = 40,
             file: TextIO | None = None, timeout: float | None = None) -> None:
    """Show a text progress bar until every future of ``futures`` is done.

    Works for futures (``client.submit``, ``client.map``, ``client.compute``),
    containers of them, and collections returned by ``client.persist``.
    Futures that raised count as done; the bar says how many did.

    Parameters
    ----------
    *futures : Future, list, dict or persisted collection
        What to follow.
    interval : float
        Seconds between two redraws.
    width : int
        Characters of the bar.
    file : file object, optional
        Where to draw (default ``sys.stdout``).
    timeout : float, optional
        Give up after this many seconds with ``TimeoutError``.

    Examples
    --------
    >>> progress([])  # nothing to wait for
    [########################################] | 100% Completed |  0.00 s

    On a cluster (``client = initialize()`` or ``Client()``):

    >>> futures = client.map(inc, range(1000))   # doctest: +SKIP
    >>> progress(futures)                         # doctest: +SKIP
    [########################################] | 100% Completed |  1.03 s
    """
    fs = futures_of(list(futures))
    out = file if file is not None else sys.stdout
    start = time.monotonic()
    deadline = None if timeout is None else start + timeout
    tty = getattr(out, "isatty", lambda: False)()
    while True:
        done = sum(f.done() for f in fs)
        elapsed = time.monotonic() - start
        finished = done == len(fs)
        if tty or finished:
            erred = sum(f.status == "error" for f in fs) if finished else 0
            out.write(("\r" if tty else "") + text_bar(done, len(fs), elapsed, width, erred)
                      + ("\n" if finished else ""))
            out.flush()
        if finished:
            return
        if deadline is not None and time.monotonic() > deadline:
            if tty:
                out.write("\n")
            raise TimeoutError(f"progress: {len(fs) - done} of {len(fs)} futures were not "
                               f"done after {timeout:g} s")
        time.sleep(interval)
