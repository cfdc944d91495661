"""``performance_report``: what a cluster did inside a ``with`` block, as one HTML file.

The scheduler already records, cheaply, what its dashboard shows (see
:mod:`~mpiflow.distributed.dashboard.recorder`): every task's start, stop
and thread; the input fetches each worker timed, carried in its task
reports; each worker's memory from its heartbeats. Entering the block asks
the scheduler for the time (and starts the recording on a cluster without a
dashboard); leaving it asks for everything recorded since, adds the fetches
of the client process itself, and writes the file.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import Any

from mpiflow.distributed.client import default_client
from mpiflow.distributed.dashboard.recorder import TRANSFERS_SIZE
from mpiflow.distributed.dashboard.report_html import render_report

__all__ = ["performance_report"]


class performance_report:  # noqa: N801 - Dask's name: a context manager used like a function
    """Write a standalone HTML report of the cluster's work inside a ``with`` block.

    The file opens offline (its scripts, styles and data are inline) and
    shows: a header (start, end, duration, tasks, workers), the task stream
    (one row per worker thread, coloured by task group), per-group
    durations (count, total, mean), transfers between processes (per pair of
    source and destination: count, bytes, time and bandwidth; bandwidth over
    time; the largest ones) and each worker's memory over the run.

    Parameters
    ----------
    filename : str or path
        Where to write the report (written when the block ends, also when
        it raised).
    client : Client, optional
        The cluster to report on; by default the current client.
    title : str
        Heading of the page.

    Notes
    -----
    Only the block's window is shown: tasks running at some time inside it,
    transfers that ended inside it. A transfer is timed by the process that
    fetches the data: from its request to the last byte; results small
    enough to be pushed to the client with the task's report are not
    counted. The scheduler keeps the last 100,000 tasks and transfers, so a
    longer block loses its oldest records (the report says so).

    Examples
    --------
    >>> from mpiflow.distributed import performance_report
    >>> with performance_report(filename="report.html"):  # doctest: +SKIP
    ...     x = client.submit(sum, [1, 2]).result()
    """

    def __init__(self, filename: str | Path = "report.html", client: Any = None,
                 title: str = "mpiflow performance report") -> None:
        if not isinstance(filename, (str, Path)) or not str(filename):
            raise TypeError(f"performance_report(filename={filename!r}): give the path of the "
                            "HTML file to write, e.g. filename='report.html'")
        self.filename = Path(filename)
        self.client = client
        self.title = title
        self.start: float | None = None
        self._client: Any = None
        self._log: deque | None = None
        self._own_log = False

    def __enter__(self) -> performance_report:
        self._client = default_client() if self.client is None else self.client
        transport = self._client.transport
        if transport.fetch_log is None:  # time this client's own fetches of results
            transport.fetch_log = deque(maxlen=TRANSFERS_SIZE)
            self._own_log = True
        self._log = transport.fetch_log
        self.start = self._client.performance_data()["time"]
        return self

    def __exit__(self, *exc: object) -> None:
        client, since = self._client, self.start
        try:
            data = client.performance_data(since)
            rank = client.transport.rank
            data["transfers"] += [[source, rank, nbytes, start, stop, nkeys]
                                  for source, nbytes, start, stop, nkeys in list(self._log)
                                  if stop >= since]
            data["transfers"].sort(key=lambda t: t[3])
            self.filename.write_text(render_report(data, self.title), encoding="utf-8")
        finally:
            if self._own_log:
                client.transport.fetch_log = None
                self._own_log = False
