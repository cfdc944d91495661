"""A performance report as one standalone HTML file.

:func:`summarize` turns what the scheduler recorded in a window (see
:meth:`~mpiflow.distributed.dashboard.recorder.Recorder.report`) into the
figures the report shows: totals, per-group durations, transfers per pair
of processes and over time, memory per worker. :func:`render_report` puts
them, with ``static/report.css`` and ``static/report.js``, into one HTML
file that needs nothing else (no network, no other file) to open.

Examples
--------
>>> data = {"since": 10.0, "until": 12.0, "workers": [], "clients": [1], "memory": [],
...         "tasks": [["inc-1", "inc", 2, 7, 10.5, 10.75, "memory"]],
...         "transfers": [[2, 3, 1000, 11.0, 11.5, 1]]}
>>> s = summarize(data)
>>> s["header"]["tasks"], s["groups"][0]["total"], s["pairs"][0]["bandwidth"]
(1, 0.25, 2000.0)
>>> "<script" in render_report(data, "demo")
True
"""

from __future__ import annotations

import html
import json
import time
from pathlib import Path
from typing import Any

__all__ = ["render_report", "summarize"]

STATIC = Path(__file__).parent / "static"
#: Time bins of the bandwidth-over-time chart.
BANDWIDTH_BINS = 60
#: Largest transfers listed one by one.
TOP_TRANSFERS = 50


def _name(rank: int, clients: set) -> str:
    return f"client mpi://{rank}" if rank in clients else f"mpi://{rank}"


def _groups(tasks: list) -> list[dict]:
    """Count, total, mean and erred per task group, longest total first."""
    acc: dict[str, list] = {}
    for _key, group, _rank, _thread, start, stop, status in tasks:
        a = acc.setdefault(group, [0, 0.0, 0])
        a[0] += 1
        a[1] += max(0.0, stop - start)
        a[2] += status == "erred"
    out = [{"group": g, "count": n, "total": total, "mean": total / n, "erred": erred}
           for g, (n, total, erred) in acc.items()]
    return sorted(out, key=lambda g: (-g["total"], g["group"]))


def _pairs(transfers: list, clients: set) -> list[dict]:
    """Transfers summed per (source, destination): bytes over the time they took."""
    acc: dict[tuple, list] = {}
    for source, dest, nbytes, start, stop, _nkeys in transfers:
        a = acc.setdefault((source, dest), [0, 0, 0.0])
        a[0] += 1
        a[1] += nbytes
        a[2] += max(0.0, stop - start)
    out = [{"source": _name(s, clients), "destination": _name(d, clients), "count": n,
            "nbytes": nbytes, "seconds": secs, "bandwidth": nbytes / secs if secs > 0 else None}
           for (s, d), (n, nbytes, secs) in acc.items()]
    return sorted(out, key=lambda p: (-p["nbytes"], p["source"], p["destination"]))


def _bandwidth(transfers: list, begin: float, end: float, bins: int = BANDWIDTH_BINS) -> dict:
    """Bytes per second moved in each of ``bins`` equal slices of ``[begin, end]``.

    Each transfer's bytes are spread evenly over its duration.
    """
    width = max(end - begin, 1e-9) / bins
    moved = [0.0] * bins
    for _s, _d, nbytes, start, stop, _n in transfers:
        start, stop = max(start, begin), min(max(stop, start), end)
        if stop - start <= 0:  # instantaneous (or clipped): all in one bin
            moved[min(bins - 1, max(0, int((stop - begin) / width)))] += nbytes
            continue
        rate = nbytes / (stop - start)
        first, last = int((start - begin) / width), min(bins - 1, int((stop - begin) / width))
        for b in range(first, last + 1):
            lo, hi = max(start, begin + b * width), min(stop, begin + (b + 1) * width)
            moved[b] += rate * max(0.0, hi - lo)
    return {"start": begin, "width": width, "rates": [m / width for m in moved]}


def summarize(data: dict) -> dict[str, Any]:
    """The figures of a report from the scheduler's record of a window.

    Parameters
    ----------
    data : dict
        ``Recorder.report(since, until)``, plus client-side transfers if any.

    Returns
    -------
    dict
        ``header``, ``groups``, ``pairs``, ``bandwidth``, ``top_transfers``,
        ``memory`` (``{worker: [[time, rss], ...]}``) and ``limits``.

    Examples
    --------
    >>> data = {"since": 0.0, "until": 4.0, "tasks": [], "clients": [1],
    ...         "transfers": [[2, 1, 400, 1.0, 3.0, 2]], "memory": [[1.0, 2, 50], [2.0, 2, 70]],
    ...         "workers": [{"name": "mpi://2", "rank": 2, "host": "h", "nthreads": 1,
    ...                      "memory_limit": 100}]}
    >>> s = summarize(data)
    >>> s["pairs"][0]["destination"], s["memory"], s["limits"]
    ('client mpi://1', {'mpi://2': [[1.0, 50], [2.0, 70]]}, {'mpi://2': 100})
    >>> round(sum(s["bandwidth"]["rates"]) * s["bandwidth"]["width"])
    400
    """
    clients = set(data.get("clients", ()))
    since, until = data["since"], data["until"]
    tasks, transfers = data["tasks"], data["transfers"]
    workers = data.get("workers", [])
    memory: dict[str, list] = {}
    for t, rank, rss in sorted(data.get("memory", [])):
        memory.setdefault(_name(rank, clients), []).append([t, rss])
    top = sorted(transfers, key=lambda t: -t[2])[:TOP_TRANSFERS]
    header = {"start": since, "end": until, "duration": until - since, "tasks": len(tasks),
              "erred": sum(t[6] == "erred" for t in tasks),
              "workers": len(workers), "threads": sum(w.get("nthreads") or 0 for w in workers),
              "transfers": len(transfers), "bytes": sum(t[2] for t in transfers),
              "dropped": data.get("dropped", {})}
    return {
        "header": header, "groups": _groups(tasks), "pairs": _pairs(transfers, clients),
        "bandwidth": _bandwidth(transfers, since, until),
        "top_transfers": [{"source": _name(s, clients), "destination": _name(d, clients),
                           "nbytes": n, "start": a, "stop": b, "keys": k}
                          for s, d, n, a, b, k in top],
        "memory": memory,
        "limits": {w["name"]: w.get("memory_limit") or 0 for w in workers},
    }


def render_report(data: dict, title: str = "mpiflow performance report") -> str:
    """One standalone HTML page (inline CSS, JavaScript and data) showing ``data``.

    Parameters
    ----------
    data : dict
        ``Recorder.report(since, until)``, plus client-side transfers if any.
    title : str
        The page's title and heading.

    Examples
    --------
    >>> page = render_report({"since": 0.0, "until": 1.0, "tasks": [], "transfers": [],
    ...                       "memory": [], "workers": []}, "empty </script> run")
    >>> page.startswith("<!DOCTYPE html>"), "src=" in page, "</script> run" in page
    (True, False, False)
    """
    payload = {"title": title, "summary": summarize(data), "created": time.time(),
               "tasks": data["tasks"], "workers": data.get("workers", []),
               "clients": data.get("clients", [])}
    # '<' as \u003c: no '</script>' or '<!--' inside the data can end the script element
    blob = json.dumps(payload, default=str, separators=(",", ":")).replace("<", "\\u003c")
    css = (STATIC / "report.css").read_text()
    js = (STATIC / "report.js").read_text()
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{html.escape(title)}</title>\n<style>\n{css}</style>\n</head>\n"
        "<body data-error=\"\">\n"
        "<script>window.onerror = function (m) { document.body.dataset.error = String(m); };"
        "</script>\n"
        f"<script type=\"application/json\" id=\"report-data\">{blob}</script>\n"
        f"<script>\n{js}</script>\n</body>\n</html>\n"
    )
