"""performance_report: the record behind it, its HTML, and real clusters in headless Chromium.

The cluster tests run ``report_scripts/report_run.py`` under ``mpiexec -n 4``
(scheduler, client, two workers): inside the block ``y`` travels from one
worker to the other and a result to the client. The browser tests need
Debian's ``chromium`` (``.ci/run`` installs it) and are skipped without it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest
from chromium_helpers import keep_screenshot, needs_chromium, run_chromium
from mpi_helpers import MPIEXEC, cluster_env, finish_process, wait_for_file

from mpiflow.distributed import performance_report
from mpiflow.distributed.dashboard import DashboardServer, Recorder
from mpiflow.distributed.dashboard.report_html import render_report, summarize
from mpiflow.distributed.scheduler import SchedulerState

SCRIPT = Path(__file__).parent / "report_scripts" / "report_run.py"
needs_mpiexec = pytest.mark.skipif(MPIEXEC is None, reason="mpiexec not found")


def report_data(path: Path) -> dict:
    """The JSON a report embeds."""
    page = path.read_text()
    return json.loads(page.split('id="report-data">', 1)[1].split("</script>", 1)[0])


def fake_server() -> SimpleNamespace:
    return SimpleNamespace(state=SchedulerState(), worker_info={}, clients={1}, started=0.0,
                           joins=None, transport=None)


# -- summaries and HTML, no cluster ----------------------------------------------------
WINDOW = {"since": 100.0, "until": 104.0, "clients": [1],
          "tasks": [["inc-1", "inc", 2, 7, 100.5, 101.0, "memory"],
                    ["inc-2", "inc", 2, 7, 101.0, 102.0, "memory"],
                    ["add-1", "add", 3, 8, 102.0, 102.25, "erred"]],
          "transfers": [[2, 3, 1000, 101.0, 101.5, 1], [2, 3, 3000, 102.0, 102.5, 2],
                        [3, 1, 500, 103.0, 103.0, 1]],
          "memory": [[101.0, 2, 10], [100.0, 2, 5], [101.0, 3, 7]],
          "workers": [{"name": "mpi://2", "rank": 2, "host": "h", "nthreads": 2,
                       "memory_limit": 100},
                      {"name": "mpi://3", "rank": 3, "host": "h", "nthreads": 2,
                       "memory_limit": 0}]}


def test_summary_counts_groups_pairs_and_bandwidth():
    s = summarize(WINDOW)
    assert s["header"] == {"start": 100.0, "end": 104.0, "duration": 4.0, "tasks": 3,
                           "erred": 1, "workers": 2, "threads": 4, "transfers": 3,
                           "bytes": 4500, "dropped": {}}
    assert s["groups"] == [
        {"group": "inc", "count": 2, "total": 1.5, "mean": 0.75, "erred": 0},
        {"group": "add", "count": 1, "total": 0.25, "mean": 0.25, "erred": 1}]
    assert s["pairs"] == [
        {"source": "mpi://2", "destination": "mpi://3", "count": 2, "nbytes": 4000,
         "seconds": 1.0, "bandwidth": 4000.0},
        {"source": "mpi://3", "destination": "client mpi://1", "count": 1, "nbytes": 500,
         "seconds": 0.0, "bandwidth": None}]
    bw = s["bandwidth"]
    assert len(bw["rates"]) == 60 and bw["start"] == 100.0
    assert sum(bw["rates"]) * bw["width"] == pytest.approx(4500)  # every byte in some bin
    assert bw["rates"][int(2.25 / bw["width"])] == pytest.approx(6000)  # 3000 B in 0.5 s
    assert bw["rates"][int(3.0 / bw["width"])] == pytest.approx(500 / bw["width"])  # no time
    assert s["memory"] == {"mpi://2": [[100.0, 5], [101.0, 10]], "mpi://3": [[101.0, 7]]}
    assert s["limits"] == {"mpi://2": 100, "mpi://3": 0}
    assert [t["nbytes"] for t in s["top_transfers"]] == [3000, 1000, 500]


def test_the_page_is_standalone_and_its_data_cannot_break_out_of_the_script():
    window = dict(WINDOW, tasks=[["</script><script>alert(1)</script>", "x", 2, 7, 100.5,
                                  101.0, "memory"]])
    page = render_report(window, title="<b>run</b>")
    assert page.count("</script>") == 3  # the onerror hook, the data, the code: no more
    assert "<script>alert(1)" not in page and "&lt;b&gt;run&lt;/b&gt;" in page
    for remote in ("src=", "href=", "@import", "fetch(", "XMLHttpRequest", "url("):
        assert remote not in page, remote
    tmp = Path(os.environ.get("TMPDIR", "/tmp")) / f"mpiflow-report-{os.getpid()}.html"
    try:
        tmp.write_text(page)
        data = report_data(tmp)
    finally:
        tmp.unlink(missing_ok=True)
    assert data["tasks"][0][0] == "</script><script>alert(1)</script>"
    assert data["title"] == "<b>run</b>" and data["summary"]["header"]["tasks"] == 1


def test_a_bad_filename_says_what_to_give():
    with pytest.raises(TypeError, match=r"filename=3\): give the path of the HTML file"):
        performance_report(filename=3)


# -- the scheduler's record ------------------------------------------------------------
def test_recorder_keeps_transfers_and_a_memory_sample_per_heartbeat():
    rec = Recorder(fake_server())
    rec.heartbeat(10.0, 2, {"memory": 50, "cpu": 1.0})
    rec.heartbeat(10.5, 3, {})  # no metrics yet: no sample
    rec.heartbeat(11.0, 2, {"memory": 60, "cpu": 1.0})
    rec.task({"key": "add-1", "from": 2, "start": 10.5, "stop": 10.9, "thread": 1,
              "transfers": [(3, 800, 10.5, 10.7, 1), (1, 10, 10.6, 10.6, 1)]}, "memory")
    rec.task({"key": "add-2", "from": 3, "start": 10.5, "stop": 10.9, "thread": 1}, "memory")
    rec.publish()
    assert list(rec.memory) == [(10.0, 2, 50), (11.0, 2, 60)]
    assert list(rec.transfers) == [(3, 2, 800, 10.5, 10.7, 1), (1, 2, 10, 10.6, 10.6, 1)]
    records, next_ = rec.transfer_records(since=10.65)
    assert next_ == 2 and [r["source"] for r in records] == ["mpi://3"]
    assert records[0]["bandwidth"] == pytest.approx(4000)
    assert rec.transfer_records(after=1)[0][0]["bandwidth"] is None  # took no time
    window = rec.report(10.55, 12.0)
    assert window["memory"] == [[10.0, 2, 50], [11.0, 2, 60]]  # with the one before the window
    assert window["transfers"] == [[3, 2, 800, 10.5, 10.7, 1], [1, 2, 10, 10.6, 10.6, 1]]
    assert [t[0] for t in window["tasks"]] == ["add-1", "add-2"]
    assert window["clients"] == [1] and window["dropped"] == {"tasks": False,
                                                              "transfers": False}
    assert rec.report(10.95, 12.0)["tasks"] == []


def test_a_scheduler_without_dashboard_starts_recording_when_a_report_asks():
    from mpiflow.distributed.scheduler.server import SchedulerServer

    replies = []
    transport = SimpleNamespace(rank=0, reply=lambda msg, result=None, error=None:
                                replies.append(result))
    server = SchedulerServer(transport)
    assert server.recorder is None
    server._on_performance_report({"op": "performance-report", "from": 1, "rid": 0})
    assert server.recorder is not None and set(replies[0]) == {"time"}
    server._on_task_finished({"op": "task-finished", "from": 2, "key": "inc-1", "nbytes": 8,
                              "duration": 0.1, "start": replies[0]["time"],
                              "stop": replies[0]["time"] + 0.1, "thread": 3,
                              "transfers": [(3, 80, replies[0]["time"], replies[0]["time"],
                                             1)]})
    server.worker_info["mpi://2"] = {"rank": 2, "nthreads": 1}
    server._on_heartbeat({"op": "heartbeat", "from": 2, "metrics": {"memory": 7, "cpu": 1}})
    server._on_performance_report({"op": "performance-report", "from": 1, "rid": 1,
                                   "since": replies[0]["time"]})
    window = replies[1]
    assert [m[1:] for m in window["memory"]] == [[2, 7]]
    assert [t[:3] for t in window["tasks"]] == [["inc-1", "inc", 2]]
    assert [t[:3] for t in window["transfers"]] == [[3, 2, 80]]
    assert window["since"] == replies[0]["time"] <= window["until"]


@pytest.fixture
def dashboard():
    rec = Recorder(fake_server())
    rec.task({"key": "add-1", "from": 2, "start": 1.0, "stop": 2.0, "thread": 1,
              "transfers": [(3, 800, 1.0, 1.5, 1)]}, "memory")
    rec.publish()
    dash = DashboardServer(rec, "127.0.0.1", 0)
    yield dash.link.rsplit("/", 1)[0]
    dash.close()


def test_transfers_endpoint_answers_and_explains_bad_queries(dashboard):
    with urllib.request.urlopen(dashboard + "/api/v1/transfers?since=0", timeout=30) as r:
        body = json.load(r)
    assert body["next"] == 1 and body["transfers"][0]["nbytes"] == 800
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(dashboard + "/api/v1/transfers?since=soon", timeout=30)
    assert err.value.code == 400
    assert "/api/v1/transfers?since=1700000000.5" in json.load(err.value)["error"]


# -- real clusters ---------------------------------------------------------------------

def run_cluster(out: Path, address: str) -> subprocess.Popen:
    return subprocess.Popen([MPIEXEC, "-n", "4", sys.executable, str(SCRIPT), str(out),
                             address], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=cluster_env(), start_new_session=True)




@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A cluster with a dashboard that wrote a report and stays up: ``{"dir", "link", ...}``."""
    if MPIEXEC is None:
        pytest.skip("mpiexec not found")
    out = tmp_path_factory.mktemp("report")
    proc = run_cluster(out, "127.0.0.1:0")
    try:
        wait_for_file(out / "ready.json", proc)
        info = json.loads((out / "ready.json").read_text())
        info["dir"] = out
        yield info
    finally:
        (out / "done").touch()
        stdout, stderr = finish_process(proc)
    assert proc.returncode == 0, f"{stdout}\n{stderr}"
    assert stdout.strip().endswith("OK")


def check_report(path: Path, workers: list[str], client: int) -> dict:
    data = report_data(path)
    s = data["summary"]
    assert data["title"] == "test run"
    groups = {g["group"]: g["count"] for g in s["groups"]}
    assert groups == {"make": 10, "add": 8, "total": 2, "inc": 120}
    assert s["header"]["tasks"] == len(data["tasks"]) == 140 and s["header"]["erred"] == 0
    h = s["header"]
    assert h["start"] < h["end"] and h["duration"] == pytest.approx(h["end"] - h["start"])
    assert all(h["start"] <= t[5] and t[4] <= h["end"] for t in data["tasks"])
    pairs = {(p["source"], p["destination"]): p for p in s["pairs"]}
    a, b = workers
    for pair in ((b, a), (a, b), (a, f"client mpi://{client}")):  # y, z, and the result
        assert pairs[pair]["nbytes"] >= 8_000_000, pairs  # 1e6 float64 and a header
        assert pairs[pair]["bandwidth"] > 0
    assert sum(s["bandwidth"]["rates"]) > 0
    assert set(s["memory"]) == set(workers)
    for name in workers:  # over a second of heartbeats, every 0.5 s
        assert len(s["memory"][name]) >= 2 and all(m > 0 for _, m in s["memory"][name])
    return data


def test_report_holds_the_tasks_transfers_and_memory_of_the_block(run):
    check_report(run["dir"] / "report.html", run["workers"], run["client"])


def test_api_transfers_schema(run):
    url = run["link"].rsplit("/", 1)[0] + "/api/v1/transfers?since=0"
    with urllib.request.urlopen(url, timeout=30) as r:
        assert r.headers["Content-Type"] == "application/json"
        body = json.load(r)
    assert set(body) == {"time", "since", "next", "transfers"}
    assert isinstance(body["time"], float) and body["since"] == 0.0
    assert body["next"] == len(body["transfers"]) >= 2  # the client's fetch is not here
    kinds = {"source": str, "destination": str, "nbytes": int, "keys": int, "start": float,
             "stop": float, "bandwidth": (float, type(None))}
    for t in body["transfers"]:
        assert set(t) == set(kinds), t
        for name, kind in kinds.items():
            assert isinstance(t[name], kind), (name, t)
        assert t["start"] <= t["stop"] and t["source"] != t["destination"]
    assert {(t["source"], t["destination"]) for t in body["transfers"]} >= {
        tuple(run["workers"]), tuple(reversed(run["workers"]))}


def chromium(url: str, tmp: Path, *args: str) -> subprocess.CompletedProcess:
    return run_chromium(url, tmp / "profile", *args, window="1280,1300", budget_ms=3000)

@needs_chromium
def test_report_renders_in_chromium_without_errors(run, tmp_path):
    url = (run["dir"] / "report.html").as_uri()
    dom = chromium(url, tmp_path, "--dump-dom").stdout
    assert 'data-error=""' in dom  # window.onerror saw nothing
    assert dom.count('class="pair"') == 3 and dom.count('class="group"') == 4
    assert 'id="memory-chart"' in dom and 'id="bandwidth-chart"' in dom
    assert '<dd id="h-tasks">140</dd>' in dom
    shot = tmp_path / "performance-report.png"
    chromium(url, tmp_path, f"--screenshot={shot}")
    keep_screenshot(shot)


@needs_mpiexec
def test_report_on_a_cluster_without_dashboard(tmp_path):
    (tmp_path / "done").touch()  # no need to stay up
    proc = run_cluster(tmp_path, "none")
    try:
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            with contextlib.suppress(OSError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate(timeout=10)
    assert proc.returncode == 0, f"{stdout}\n{stderr}"
    info = json.loads((tmp_path / "ready.json").read_text())
    assert info["link"] is None
    check_report(tmp_path / "report.html", info["workers"], info["client"])
