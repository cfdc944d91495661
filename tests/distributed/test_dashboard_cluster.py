"""The dashboard of real clusters: JSON API schemas and pages in headless Chromium.

One ``mpiexec -n 4`` job (scheduler, client, two workers) runs some work and
then stays up while the tests look at its dashboard; another test starts
``mpiflow cluster`` to check the scheduler file. The browser tests need
Debian's ``chromium`` (``.ci/run`` installs it) and are skipped without it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import pytest
from chromium_helpers import keep_screenshot, needs_chromium, run_chromium
from mpi_helpers import MPIEXEC, cluster_env, finish_process, wait_for_file

SCRIPTS = Path(__file__).parent / "dashboard_scripts"
pytestmark = pytest.mark.skipif(MPIEXEC is None, reason="mpiexec not found")





@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A finished run's cluster, still up: ``{"link", "services", "repr", "workers"}``."""
    out = tmp_path_factory.mktemp("dashboard")
    proc = subprocess.Popen([MPIEXEC, "-n", "4", sys.executable,
                             str(SCRIPTS / "work_then_wait.py"), str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=cluster_env(), start_new_session=True)
    try:
        wait_for_file(out / "ready.json", proc)
        info = json.loads((out / "ready.json").read_text())
        info["base"] = info["link"].rsplit("/", 1)[0]
        yield info
    finally:
        (out / "done").touch()
        stdout, stderr = finish_process(proc)
    assert proc.returncode == 0, f"{stdout}\n{stderr}"
    assert stdout.strip().endswith("OK")
    # progress(): one final line each (stdout is no terminal), for futures and a collection
    assert stdout.count("| 100% Completed |") == 2 and stdout.count("| 1 erred") == 1, stdout


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as r:
        assert r.headers["Content-Type"] == "application/json"
        return json.load(r)


def check_fields(record: dict, schema: dict) -> None:
    assert set(record) >= set(schema), f"missing {set(schema) - set(record)} in {record}"
    for name, kinds in schema.items():
        assert isinstance(record[name], kinds), f"{name}={record[name]!r} is not {kinds}"


NUM = (int, float)
OPT_NUM = (int, float, type(None))


def test_services_scheduler_info_and_repr_show_the_dashboard(cluster):
    port = cluster["services"]["dashboard"]
    assert cluster["services"] == {"dashboard": port} and isinstance(port, int)
    assert cluster["link"] == f"http://127.0.0.1:{port}/status"
    assert f"dashboard='{cluster['link']}'" in cluster["repr"]


def test_api_workers_schema(cluster):
    body = get_json(cluster["base"] + "/api/v1/workers")
    assert isinstance(body["time"], float)
    assert [w["name"] for w in body["workers"]] == ["mpi://2", "mpi://3"]
    for w in body["workers"]:
        check_fields(w, {"name": str, "rank": int, "host": str, "pid": int, "nthreads": int,
                         "memory_limit": int, "memory": int, "cpu": NUM, "processing": int,
                         "stored_keys": int, "nbytes": int, "spilled_nbytes": int,
                         "last_heartbeat": float, "last_seen": float})
        assert w["nthreads"] == 2 and w["memory"] > 0 and w["stored_keys"] > 0


def test_api_progress_schema(cluster):
    body = get_json(cluster["base"] + "/api/v1/progress")
    check_fields(body, {"time": float, "groups": list, "tasks_per_second": NUM})
    groups = {g["group"]: g for g in body["groups"]}
    for g in groups.values():
        check_fields(g, {"group": str, "done": int, "processing": int, "waiting": int,
                         "erred": int, "memory": int, "total": int})
    assert groups["inc"]["done"] == groups["inc"]["total"] == 200
    assert groups["add"]["done"] == 20 and groups["sum-aggregate"]["done"] == 1
    assert groups["fail"]["erred"] == groups["fail"]["total"] == 1


def test_api_task_stream_schema(cluster):
    body = get_json(cluster["base"] + "/api/v1/task-stream?since=0")
    check_fields(body, {"time": float, "since": NUM, "next": int, "tasks": list})
    assert len(body["tasks"]) == body["next"] == 223
    for r in body["tasks"]:
        check_fields(r, {"key": str, "group": str, "worker": str, "thread": int,
                         "start": float, "stop": float, "status": str})
        assert r["start"] <= r["stop"] and r["worker"] in ("mpi://2", "mpi://3")
    assert {r["status"] for r in body["tasks"]} == {"memory", "erred"}
    assert len({(r["worker"], r["thread"]) for r in body["tasks"]}) <= 4
    since = sorted(r["stop"] for r in body["tasks"])[150]
    recent = get_json(cluster["base"] + f"/api/v1/task-stream?since={since!r}")["tasks"]
    assert len(recent) == sum(r["stop"] > since for r in body["tasks"]) < 223
    assert len(get_json(cluster["base"] + "/api/v1/task-stream?limit=5")["tasks"]) == 5
    assert get_json(cluster["base"] + "/api/v1/task-stream?after=223")["tasks"] == []


def test_api_info_schema(cluster):
    body = get_json(cluster["base"] + "/api/v1/info")
    check_fields(body, {"scheduler": str, "host": str, "pid": int, "started": float,
                        "now": float, "uptime": float, "workers": int, "threads": int,
                        "clients": int, "memory": int, "memory_limit": int, "tasks": dict,
                        "tasks_finished": int, "tasks_per_second": NUM, "dashboard": dict,
                        "python": str, "events": list})
    assert (body["workers"], body["threads"], body["clients"]) == (2, 4, 1)
    assert body["tasks_finished"] == 223 and body["tasks"]["erred"] == 1
    assert body["dashboard"]["link"] == cluster["link"]
    assert {"worker mpi://2 joined", "worker mpi://3 joined"} <= {
        e["event"] for e in body["events"]}


def test_api_graph_schema(cluster):
    deadline = time.monotonic() + 30
    while (graph := get_json(cluster["base"] + "/api/v1/graph")["graph"]) is None:
        assert time.monotonic() < deadline, "the graph was never published"
        time.sleep(0.2)
    check_fields(graph, {"tasks": int, "nodes": list, "edges": list, "group_edges": list,
                         "too_large": bool})
    assert graph["tasks"] == len(graph["nodes"]) == 202  # held: 200 inc, fail, double
    assert {n["state"] for n in graph["nodes"]} == {"memory", "erred"}


# -- the pages in a browser ------------------------------------------------------------
class Elements(HTMLParser):
    """Every element's tag and attributes, and the text of those with an id."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict]] = []
        self.text: dict[str, str] = {}
        self._open: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attrs = dict(attrs)
        self.elements.append((tag, attrs))
        if tag not in ("br", "img", "input", "link", "meta"):
            self._open.append(attrs.get("id"))

    def handle_endtag(self, tag: str) -> None:
        if self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for ident in self._open:
            if ident:
                self.text[ident] = self.text.get(ident, "") + data

    def having(self, cls: str) -> list[dict]:
        return [a for _, a in self.elements if cls in (a.get("class") or "").split()]


def chromium(url: str, tmp: Path, *args: str) -> str:
    return run_chromium(url, tmp / "profile", *args).stdout

@needs_chromium
def test_status_page_shows_the_workers_and_full_progress_bars(cluster, tmp_path):
    page = Elements()
    page.feed(chromium(cluster["link"], tmp_path, "--dump-dom"))
    assert page.text["worker-count"] == "2"
    assert [a["data-worker"] for a in page.having("worker")] == ["mpi://2", "mpi://3"]
    bars = {a["data-group"]: a for a in page.having("progress")}
    for group, total in (("inc", "200"), ("add", "20"), ("sum-aggregate", "1")):
        assert bars[group]["data-percent"] == "100"
        assert bars[group]["data-done"] == bars[group]["data-total"] == total
    assert bars["fail"]["data-percent"] == "0"
    assert "2 workers · 4 threads" in page.text["summary"]
    assert page.elements[[t for t, _ in page.elements].index("body")][1]["data-error"] == ""
    assert "(last" in page.text["stream-span"]  # the task stream drew the finished tasks


@needs_chromium
@pytest.mark.parametrize("name", ["status", "workers", "graph", "info"])
def test_screenshots_for_the_docs(cluster, tmp_path, name):
    shot = tmp_path / f"dashboard-{name}.png"
    chromium(cluster["base"] + f"/{name}", tmp_path, f"--screenshot={shot}")
    keep_screenshot(shot)


@needs_chromium
def test_workers_page_has_a_row_per_worker(cluster, tmp_path):
    page = Elements()
    page.feed(chromium(cluster["base"] + "/workers", tmp_path, "--dump-dom"))
    assert [a["data-worker"] for a in page.having("worker")] == ["mpi://2", "mpi://3"]


# -- mpiflow cluster and its scheduler file -------------------------------------------
def test_cluster_command_puts_the_dashboard_in_the_scheduler_file(tmp_path):
    sched = tmp_path / "scheduler.json"
    proc = subprocess.Popen([MPIEXEC, "-n", "2", sys.executable, "-m", "mpiflow", "cluster",
                             "--scheduler-file", str(sched), "--dashboard-address",
                             "127.0.0.1:0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=cluster_env(), start_new_session=True)
    try:
        wait_for_file(sched, proc)
        link = json.loads(sched.read_text())["dashboard"]
        assert link.startswith("http://127.0.0.1:") and link.endswith("/status")
        deadline = time.monotonic() + 30  # the next snapshot (0.5 s) shows the worker
        while (info := get_json(link.replace("/status", "/api/v1/info")))["workers"] < 1:
            assert time.monotonic() < deadline, info
            time.sleep(0.1)
        assert info["workers"] == 1 and info["scheduler_file"] == str(sched)
    finally:
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGTERM)
        out, err = finish_process(proc)
    assert proc.returncode == 0, f"{out}\n{err}"
