"""The dashboard's HTTP server: a daemon thread of the scheduler rank.

Standard library only (:class:`http.server.ThreadingHTTPServer`). Pages and
their JavaScript and CSS ship in ``static/``; nothing is fetched from the
internet. The JSON API answers from the :class:`~.recorder.Recorder`'s
latest snapshot, never from the scheduler's live state.

Examples
--------
>>> from mpiflow.distributed.dashboard.web import PAGES
>>> sorted(PAGES)
['/graph', '/info', '/status', '/workers']
"""

from __future__ import annotations

import errno
import json
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from mpiflow.distributed.dashboard.address import dashboard_link
from mpiflow.distributed.dashboard.recorder import STREAM_LIMIT, Recorder

__all__ = ["DashboardServer", "PAGES", "STATIC"]

STATIC = Path(__file__).parent / "static"
PAGES = {"/status": "status.html", "/workers": "workers.html", "/graph": "graph.html",
         "/info": "info.html"}
_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
          ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml", ".png": "image/png"}
#: Ports tried after the asked-for one is taken.
PORT_TRIES = 100


class _Handler(BaseHTTPRequestHandler):
    server_version = "mpiflow-dashboard"
    recorder: Recorder

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        pass

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        url = urlsplit(self.path)
        path = url.path.rstrip("/") or "/"
        query = parse_qs(url.query)
        try:
            if path == "/":
                self._redirect("/status")
            elif path in PAGES:
                self._file(STATIC / PAGES[path])
            elif path.startswith("/static/"):
                self._static(path[len("/static/"):])
            elif path.startswith("/api/v1/"):
                self._api(path[len("/api/v1/"):], query)
            else:
                self._error(HTTPStatus.NOT_FOUND, f"no page {path}; try /status")
        except (BrokenPipeError, ConnectionResetError):
            pass

    # -- answers -------------------------------------------------------------
    def _api(self, name: str, query: dict) -> None:
        rec = self.recorder
        snap = rec.snapshot
        if name == "workers":
            body: Any = {"time": snap.get("time"), "workers": snap.get("workers", [])}
        elif name == "progress":
            body = {"time": snap.get("time"), "groups": snap.get("progress", []),
                    "tasks_per_second": snap.get("info", {}).get("tasks_per_second", 0.0)}
        elif name == "task-stream":
            if (window := self._window(name, query)) is None:
                return
            since, limit, after = window
            tasks, next_ = rec.task_stream(since, limit, after)
            head = json.dumps({"time": snap.get("time"), "since": since, "next": next_})
            parts = [head[:-1].encode(), b', "tasks": [']
            for i in range(0, len(tasks), 200):  # a long encoding would hold the GIL for ms
                if i:
                    parts.append(b", ")
                    time.sleep(0)
                parts.append(json.dumps(tasks[i:i + 200], default=str)[1:-1].encode())
            parts.append(b"]}")
            self._send(HTTPStatus.OK, "application/json", b"".join(parts))
            return
        elif name == "transfers":
            if (window := self._window(name, query)) is None:
                return
            transfers, next_ = rec.transfer_records(*window)
            body = {"time": snap.get("time"), "since": window[0], "next": next_,
                    "transfers": transfers}
        elif name == "info":
            body = snap.get("info", {})
        elif name == "graph":
            rec.graph_wanted = time.time()
            body = {"time": snap.get("time"), "graph": snap.get("graph")}
        else:
            self._error(HTTPStatus.NOT_FOUND, f"no API endpoint {name!r}; there are "
                        "workers, progress, task-stream, transfers, info and graph")
            return
        self._send(HTTPStatus.OK, "application/json", json.dumps(body, default=str).encode())

    def _window(self, name: str, query: dict) -> tuple[float, int, int | None] | None:
        """``since``, ``limit`` and ``after`` of a query (None: answered with an error)."""
        try:
            since = float(query.get("since", ["0"])[0])
            limit = int(query.get("limit", [str(STREAM_LIMIT)])[0])
            after = int(query["after"][0]) if "after" in query else None
        except ValueError:
            self._error(HTTPStatus.BAD_REQUEST,
                        "since must be a number of seconds since the epoch, limit and after "
                        f"integers, e.g. /api/v1/{name}?since=1700000000.5&limit=1000")
            return None
        return since, max(1, limit), after

    def _static(self, name: str) -> None:
        target = (STATIC / name).resolve()
        if STATIC.resolve() not in target.parents or not target.is_file():
            self._error(HTTPStatus.NOT_FOUND, f"no static file {name!r}")
            return
        self._file(target)

    def _file(self, path: Path) -> None:
        kind = _TYPES.get(path.suffix, "application/octet-stream")
        self._send(HTTPStatus.OK, kind, path.read_bytes())

    def _redirect(self, where: str) -> None:
        self.send_response(HTTPStatus.FOUND)
        self.send_header("Location", where)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _error(self, status: HTTPStatus, message: str) -> None:
        self._send(status, "application/json", json.dumps({"error": message}).encode())

    def _send(self, status: HTTPStatus, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False


def _bind(host: str, port: int, handler: type) -> _Server:
    """Bind ``port`` or, when it is taken, the next free one."""
    ports = [port] if port == 0 else range(port, min(65536, port + PORT_TRIES))
    last: OSError | None = None
    for p in ports:
        try:
            return _Server((host, p), handler)
        except OSError as err:
            if err.errno not in (errno.EADDRINUSE, errno.EACCES):
                raise OSError(err.errno, f"the dashboard cannot listen on {host}:{p}: "
                              f"{err.strerror}; pass another dashboard_address, or None "
                              "to turn it off") from err
            last = err
    raise OSError(errno.EADDRINUSE, f"the dashboard found no free port from {port} to "
                  f"{port + PORT_TRIES - 1} on {host} ({last}); pass another "
                  "dashboard_address (':0' takes any free port), or None to turn it off")


class DashboardServer:
    """Serve the dashboard of ``recorder`` on ``host:port`` from a daemon thread.

    Parameters
    ----------
    recorder : Recorder
        Where the pages' data comes from.
    host : str
        Interface to bind (``127.0.0.1``: this machine only).
    port : int
        Port to try first; the next free one is taken when it is busy, and
        0 takes any free port.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from mpiflow.distributed.scheduler import SchedulerState
    >>> server = SimpleNamespace(state=SchedulerState(), worker_info={}, clients=set(),
    ...                          started=0.0, joins=None, transport=None)
    >>> rec = Recorder(server)
    >>> dash = DashboardServer(rec, "127.0.0.1", 0)
    >>> rec.publish()
    >>> import json, urllib.request
    >>> with urllib.request.urlopen(dash.link.replace("/status", "/api/v1/info")) as r:
    ...     json.load(r)["workers"]
    0
    >>> dash.close()
    """

    def __init__(self, recorder: Recorder, host: str = "127.0.0.1", port: int = 8787) -> None:
        handler = type("Handler", (_Handler,), {"recorder": recorder})
        self.httpd = _bind(host, port, handler)
        self.host = host
        self.port = self.httpd.server_address[1]
        self.link = dashboard_link(host, self.port)
        recorder.dashboard = {"host": host, "port": self.port, "link": self.link}
        self._thread = threading.Thread(target=self.httpd.serve_forever,
                                        kwargs={"poll_interval": 0.5},
                                        name="mpiflow-dashboard", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop serving and free the port."""
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)
