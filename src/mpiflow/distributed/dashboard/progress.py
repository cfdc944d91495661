"""``progress(futures)``: a progress bar for work on a cluster.

A text bar in a terminal; in a Jupyter notebook, an HTML bar (no widgets)
redrawn in place. :func:`following_futures` lets the local schedulers'
callbacks (``mpiflow.diagnostics.ProgressBar``) follow ``Client.get``.

Examples
--------
>>> from mpiflow.distributed.dashboard.progress import text_bar
>>> text_bar(5, 10, 1.25, width=10)
'[#####     ] |  50% Completed |  1.25 s'
"""

from __future__ import annotations

import html
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TextIO

from mpiflow.distributed.futures import Future

__all__ = ["progress", "futures_of", "text_bar", "html_bar", "in_notebook", "is_kernel_shell",
           "FuturesProgress", "following_futures"]


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


def html_bar(done: int, total: int, elapsed: float, erred: int = 0) -> str:
    """The notebook bar: one ``<div>`` with inline styles, no widgets, no scripts.

    Examples
    --------
    >>> print(html_bar(1, 4, 0.5))  # doctest: +NORMALIZE_WHITESPACE
    <div class="mpiflow-progress" data-percent="25" data-done="1" data-total="4"
    data-erred="0" style="font: 12px monospace; display: flex; align-items: center;
    gap: 8px"><div style="width: 300px; height: 14px; background: #e8e8e8;
    border-radius: 3px; overflow: hidden"><div style="width: 25.0%; height: 100%;
    background: #59a14f"></div></div><span>25% Completed | 1 / 4 |  0.50 s</span></div>
    """
    frac = done / total if total else 1.0
    colour = "#e15759" if erred else "#59a14f"
    text = f"{int(100 * frac)}% Completed | {done} / {total} | {_seconds(elapsed)}"
    if erred:
        text += f" | {erred} erred"
    return (f'<div class="mpiflow-progress" data-percent="{int(100 * frac)}" '
            f'data-done="{done}" data-total="{total}" data-erred="{erred}" '
            'style="font: 12px monospace; display: flex; align-items: center; gap: 8px">'
            '<div style="width: 300px; height: 14px; background: #e8e8e8; border-radius: 3px; '
            f'overflow: hidden"><div style="width: {100 * frac:.1f}%; height: 100%; '
            f'background: {colour}"></div></div><span>{html.escape(text)}</span></div>')


def is_kernel_shell(shell: Any) -> bool:
    """True for the IPython shell of a Jupyter kernel (a notebook), not a terminal IPython.

    Examples
    --------
    >>> is_kernel_shell(None)
    False
    >>> class ZMQInteractiveShell:  # what Jupyter's kernel runs
    ...     kernel = object()
    >>> is_kernel_shell(ZMQInteractiveShell())
    True
    """
    if shell is None:
        return False
    if getattr(shell, "kernel", None) is not None:
        return True
    return type(shell).__name__ == "ZMQInteractiveShell"


def in_notebook() -> bool:
    """True when this code runs in a Jupyter kernel; IPython is only looked at if loaded.

    Examples
    --------
    >>> in_notebook()  # a plain interpreter
    False
    """
    ipython = sys.modules.get("IPython")
    if ipython is None:  # a kernel always has it imported; never import it ourselves
        return False
    get_ipython = getattr(ipython, "get_ipython", None)
    try:
        return is_kernel_shell(get_ipython() if get_ipython is not None else None)
    except Exception:  # noqa: BLE001 - a broken IPython is no notebook
        return False


class _TextOut:
    """Draw the text bar: redrawn in place on a terminal, only the last line elsewhere."""

    def __init__(self, file: TextIO | None, width: int) -> None:
        self.out = file if file is not None else sys.stdout
        self.width = width
        self.tty = getattr(self.out, "isatty", lambda: False)()

    def draw(self, done: int, total: int, elapsed: float, erred: int, finished: bool) -> None:
        if self.tty or finished:
            self.out.write(("\r" if self.tty else "") + text_bar(done, total, elapsed, self.width,
                                                                 erred)
                           + ("\n" if finished else ""))
            self.out.flush()

    def abort(self) -> None:
        if self.tty:
            self.out.write("\n")


class _HtmlOut:
    """Draw the HTML bar in a notebook cell and update that same output in place."""

    def __init__(self) -> None:
        from IPython.display import HTML, display

        self.HTML = HTML
        self.handle = display(HTML(html_bar(0, 1, 0.0)), display_id=True)

    def draw(self, done: int, total: int, elapsed: float, erred: int, finished: bool) -> None:
        self.handle.update(self.HTML(html_bar(done, total, elapsed, erred)))

    def abort(self) -> None:
        pass


def progress(*futures: Any, interval: float = 0.1, width: int = 40,
             file: TextIO | None = None, timeout: float | None = None,
             notebook: bool | None = None) -> None:
    """Show a progress bar until every future of ``futures`` is done.

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
    notebook : bool, optional
        Draw an HTML bar in the notebook cell (IPython's display) instead of
        text; default: when running in a Jupyter kernel and ``file`` is not given.

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
    if notebook is None:
        notebook = file is None and in_notebook()
    bar: Any = _HtmlOut() if notebook else _TextOut(file, width)
    start = time.monotonic()
    deadline = None if timeout is None else start + timeout
    while True:
        done = sum(f.done() for f in fs)
        elapsed = time.monotonic() - start
        finished = done == len(fs)
        erred = sum(f.status == "error" for f in fs) if finished or notebook else 0
        bar.draw(done, len(fs), elapsed, erred, finished)
        if finished:
            return
        if deadline is not None and time.monotonic() > deadline:
            bar.abort()
            raise TimeoutError(f"progress: {len(fs) - done} of {len(fs)} futures were not "
                               f"done after {timeout:g} s")
        time.sleep(interval)


class FuturesProgress:
    """``ntasks`` and ``ndone`` of some futures: what local callbacks read of a run's state.

    Examples
    --------
    >>> FuturesProgress([]).ntasks, FuturesProgress([]).ndone
    (0, 0)
    """

    __slots__ = ("futures",)

    def __init__(self, futures: list[Future]) -> None:
        self.futures = futures

    @property
    def ntasks(self) -> int:
        return len(self.futures)

    @property
    def ndone(self) -> int:
        return sum(f.done() for f in self.futures)


@contextmanager
def following_futures(dsk: Mapping, futures: list[Future],
                      callbacks: Any = None) -> Iterator[None]:
    """Run the local callbacks' ``start``/``start_state``/``finish`` around waiting for futures.

    ``Client.get`` (``compute(scheduler=client)``) waits inside this, so a
    ``ProgressBar`` (or any callback reading ``state.ntasks``/``state.ndone``)
    follows the requested results as they finish on the cluster. ``pretask``
    and ``posttask`` are not called: tasks run on other processes.

    Examples
    --------
    >>> from mpiflow.local.callbacks import Callback
    >>> seen = []
    >>> cb = Callback(start_state=lambda dsk, state: seen.append(state.ntasks),
    ...               finish=lambda dsk, state, errored: seen.append(errored))
    >>> with following_futures({}, [], callbacks=cb):
    ...     pass
    >>> seen
    [0, False]
    """
    from mpiflow.local.callbacks import active_callbacks

    hooks = active_callbacks(callbacks)
    if not (hooks.start or hooks.start_state or hooks.finish):
        yield
        return
    state = FuturesProgress(futures)
    for hook in hooks.start:
        hook(dsk)
    errored = True
    try:
        for hook in hooks.start_state:
            hook(dsk, state)
        yield
        errored = False
    finally:
        for hook in hooks.finish:
            hook(dsk, state, errored)
