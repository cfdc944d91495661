"""The dashboard without MPI: addresses, task groups, the recorder and the HTTP server."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from types import SimpleNamespace

import pytest

from mpiflow.distributed.dashboard import (
    DashboardServer,
    Recorder,
    dashboard_link,
    key_group,
    parse_dashboard_address,
    resolve_dashboard_address,
)
from mpiflow.distributed.scheduler import (
    ClientReleasedKeys,
    GraphSubmitted,
    SchedulerState,
    TaskErred,
    TaskFinished,
    TaskSpec,
    WorkerJoined,
)

TOKEN = "5d41402abc4b2a76b9719d911017c592"


# -- addresses -------------------------------------------------------------------------
@pytest.mark.parametrize("value, expected", [
    (":8787", ("127.0.0.1", 8787)),
    ("0.0.0.0:9000", ("0.0.0.0", 9000)),
    ("localhost:0", ("localhost", 0)),
    ("[::1]:8787", ("::1", 8787)),
    (8790, ("127.0.0.1", 8790)),
    ("8791", ("127.0.0.1", 8791)),
    ("http://127.0.0.1:8787/status", ("127.0.0.1", 8787)),
    (None, None), ("none", None), ("off", None), (False, None),
])
def test_addresses_parse(value, expected):
    assert parse_dashboard_address(value) == expected


@pytest.mark.parametrize("value", ["localhost", "host:port", ":99999", ":-1", 3.5, ["x"]])
def test_bad_addresses_say_the_expected_form(value):
    with pytest.raises(ValueError, match="expected 'host:port'.*':port'.*None"):
        parse_dashboard_address(value)


def test_environment_replaces_only_the_default(monkeypatch):
    monkeypatch.setenv("MPIFLOW_DISTRIBUTED_DASHBOARD_ADDRESS", "none")
    assert resolve_dashboard_address(":8787") is None
    assert resolve_dashboard_address(":9000") == ("127.0.0.1", 9000)
    monkeypatch.setenv("MPIFLOW_DISTRIBUTED_DASHBOARD_ADDRESS", ":9001")
    assert resolve_dashboard_address(":8787") == ("127.0.0.1", 9001)


def test_links():
    assert dashboard_link("127.0.0.1", 8787) == "http://127.0.0.1:8787/status"
    assert dashboard_link("0.0.0.0", 1, "info") == f"http://{socket.gethostname()}:1/info"
    assert dashboard_link("::1", 2) == "http://[::1]:2/status"


def test_entry_points_reject_bad_addresses_before_starting_anything():
    from mpiflow.distributed import LocalCluster, initialize

    with pytest.raises(ValueError, match="expected 'host:port'"):
        initialize(dashboard_address="nowhere")
    with pytest.raises(ValueError, match="expected 'host:port'"):
        LocalCluster(n_workers=1, dashboard_address="nowhere")


# -- task groups -----------------------------------------------------------------------
@pytest.mark.parametrize("key, group", [
    (f"inc-{TOKEN}", "inc"), (("random_sample-" + TOKEN, 0, 1), "random_sample"),
    (f"sum-aggregate-{TOKEN}", "sum-aggregate"), ("hello-world-1", "hello-world"),
    ("x-abcdefab", "x"), (TOKEN, "data"), ("('x-2', 1)", "x"), (b"x-1", "x"),
    ("<module.sub.MyClass object at 0x1", "MyClass"), (7, "7"), ((), "Other"),
])
def test_key_groups_follow_dask(key, group):
    assert key_group(key) == group


# -- the recorder ----------------------------------------------------------------------
def fake_server(state=None):
    return SimpleNamespace(state=state or SchedulerState(), worker_info={}, clients=set(),
                           started=0.0, joins=None, transport=None)


def run_graph(state, n=3):
    state.handle(WorkerJoined("mpi://2", 10, 1000, stimulus_id="j"))  # runs all at once
    tasks = {f"inc-{i}": TaskSpec() for i in range(n)}
    tasks[f"sum-aggregate-{TOKEN}"] = TaskSpec(deps=tuple(tasks))
    tasks["fail-1"] = TaskSpec()
    return state.handle(GraphSubmitted("c", tasks, list(tasks), stimulus_id="g"))


def progress(rec):
    return {g["group"]: g for g in rec.snapshot["progress"]}


def test_group_counts_follow_the_transitions():
    server = fake_server()
    rec = Recorder(server)
    run_graph(server.state)
    rec.publish()
    p = progress(rec)
    assert p["inc"]["processing"] + p["inc"]["waiting"] == 3
    assert p["sum-aggregate"] == {"group": "sum-aggregate", "done": 0, "processing": 0,
                                  "waiting": 1, "erred": 0, "memory": 0, "total": 1}
    for key in [f"inc-{i}" for i in range(3)] + [f"sum-aggregate-{TOKEN}"]:
        server.state.handle(TaskFinished("mpi://2", key, 8, 0.1, stimulus_id="f"))
        rec.task({"key": key, "from": 2}, "memory")  # as the server records each report
    server.state.handle(TaskErred("mpi://2", "fail-1", ValueError("x"), stimulus_id="e"))
    rec.publish()
    p = progress(rec)
    assert p["inc"]["done"] == p["inc"]["total"] == 3
    assert p["sum-aggregate"]["done"] == 1
    assert p["fail"]["erred"] == p["fail"]["total"] == 1
    # released results stay counted as done: the bar stays at 100%
    server.state.handle(ClientReleasedKeys("c", list(server.state.tasks), stimulus_id="r"))
    rec.publish()
    p = progress(rec)
    assert not server.state.tasks
    assert p["inc"]["done"] == p["inc"]["total"] == 3 and p["inc"]["memory"] == 0
    assert rec.snapshot["info"]["tasks"]["done"] == 4


def test_a_result_released_before_its_report_still_counts_as_done():
    # The worker pushed the value, the client released the key, then the report came.
    server = fake_server()
    rec = Recorder(server)
    run_graph(server.state)
    server.state.handle(ClientReleasedKeys("c", [f"sum-aggregate-{TOKEN}"], stimulus_id="r"))
    server.state.handle(TaskFinished("mpi://2", f"sum-aggregate-{TOKEN}", 8, 0.1,
                                     stimulus_id="f"))
    rec.task({"key": f"sum-aggregate-{TOKEN}", "from": 2}, "memory")
    rec.publish()
    p = progress(rec)
    assert p["sum-aggregate"]["done"] == p["sum-aggregate"]["total"] == 1, p


def test_a_recorder_started_late_counts_the_tasks_already_there():
    # A performance report starts a recorder on a scheduler that is already busy;
    # a log too short to replay does not matter (the counts do not read it).
    server = fake_server(SchedulerState(log_size=4))
    run_graph(server.state, n=1)
    server.state.handle(TaskFinished("mpi://2", "inc-0", 8, 0.1, stimulus_id="f"))
    rec = Recorder(server)
    rec.publish()
    p = progress(rec)
    assert (p["inc"]["memory"], p["inc"]["processing"]) == (1, 0), p
    assert p["sum-aggregate"]["processing"] == 1, p
    server.state.handle(GraphSubmitted("c", {f"inc-{i}": TaskSpec() for i in range(5, 20)},
                                       [f"inc-{i}" for i in range(5, 20)], stimulus_id="g2"))
    rec.publish()
    p = progress(rec)
    assert p["inc"]["processing"] + p["inc"]["waiting"] == 15
    server.state.validate_state()  # the kept counts equal a recount


def test_a_restart_starts_the_counts_afresh():
    server = fake_server()
    rec = Recorder(server)
    run_graph(server.state)
    rec.publish()
    server.state = SchedulerState()
    rec.publish()
    assert rec.snapshot["progress"] == []


def test_task_stream_keeps_a_bounded_ring_and_answers_since_and_after():
    rec = Recorder(fake_server(), stream_size=5)
    for i in range(8):
        rec.task({"key": ("x-1", i), "from": 2, "start": float(i), "stop": i + 0.5,
                  "thread": 11}, "memory")
    assert len(rec.stream) == 0  # nothing moves until the next snapshot
    rec.publish()
    records, next_ = rec.task_stream()
    assert next_ == 8 and [r["start"] for r in records] == [3.0, 4.0, 5.0, 6.0, 7.0]
    assert records[0] == {"key": "('x-1', 3)", "group": "x", "worker": "mpi://2",
                          "thread": 11, "start": 3.0, "stop": 3.5, "status": "memory"}
    assert [r["start"] for r in rec.task_stream(since=5.6)[0]] == [6.0, 7.0]
    assert [r["start"] for r in rec.task_stream(after=7)[0]] == [7.0]
    assert rec.task_stream(after=8)[0] == []
    assert [r["start"] for r in rec.task_stream(limit=2)[0]] == [6.0, 7.0]


def test_workers_and_events_in_the_snapshot():
    server = fake_server()
    server.worker_info["mpi://2"] = {"rank": 2, "nthreads": 2, "memory_limit": 100,
                                     "host": "h", "pid": 1, "last_heartbeat": 1.0,
                                     "metrics": {"memory": 50, "cpu": 12.5}}
    server.state.handle(WorkerJoined("mpi://2", 2, 100, stimulus_id="j"))
    rec = Recorder(server)
    rec.publish()
    [w] = rec.snapshot["workers"]
    assert (w["name"], w["memory"], w["memory_limit"], w["cpu"]) == ("mpi://2", 50, 100, 12.5)
    del server.worker_info["mpi://2"]
    rec.publish()
    assert [e["event"] for e in rec.snapshot["info"]["events"]] == [
        "worker mpi://2 joined", "worker mpi://2 left"]


# -- the HTTP server -------------------------------------------------------------------
@pytest.fixture
def dashboard():
    server = fake_server()
    run_graph(server.state)
    rec = Recorder(server)
    rec.task({"key": "inc-0", "from": 2, "start": 1.0, "stop": 2.0, "thread": 3}, "memory")
    dash = DashboardServer(rec, "127.0.0.1", 0)
    rec.publish()
    yield dash, rec
    dash.close()


def fetch(dash, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{dash.port}{path}", timeout=10) as r:
        return r.status, r.headers["Content-Type"], r.read()


def test_pages_and_their_files_are_served_from_the_package(dashboard):
    dash, _ = dashboard
    for page in ("/status", "/workers", "/graph", "/info", "/"):
        status, kind, body = fetch(dash, page)
        assert status == 200 and kind.startswith("text/html")
        assert b"/static/dashboard.js" in body and b"http" not in body.split(b"<body>")[0]
    for name in ("dashboard.js", "dashboard.css", "status.js", "graph.js"):
        status, _, body = fetch(dash, f"/static/{name}")
        assert status == 200 and b"https://" not in body  # nothing from the internet


@pytest.mark.parametrize("path, status", [("/nope", 404), ("/api/v1/nope", 404),
                                          ("/static/../web.py", 404),
                                          ("/api/v1/task-stream?since=yesterday", 400)])
def test_bad_requests_get_json_errors(dashboard, path, status):
    dash, _ = dashboard
    with pytest.raises(urllib.error.HTTPError) as info:
        fetch(dash, path)
    assert info.value.code == status
    assert "error" in json.load(info.value)


def test_graph_is_published_while_someone_looks(dashboard):
    dash, rec = dashboard
    assert json.loads(fetch(dash, "/api/v1/graph")[2])["graph"] is None
    rec.publish()
    graph = json.loads(fetch(dash, "/api/v1/graph")[2])["graph"]
    assert graph["tasks"] == 5 and len(graph["nodes"]) == 5 and len(graph["edges"]) == 3
    assert graph["group_edges"] == [["inc", "sum-aggregate"]]
    assert {n["state"] for n in graph["nodes"]} <= {"processing", "waiting", "queued"}


def test_a_busy_port_moves_to_the_next_free_one():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        dash = DashboardServer(Recorder(fake_server()), "127.0.0.1", port)
        try:
            assert dash.port > port
            assert dash.link == f"http://127.0.0.1:{dash.port}/status"
        finally:
            dash.close()


# -- the scheduler's hooks -------------------------------------------------------------
def test_scheduler_serves_its_dashboard_and_names_it_in_its_info():
    from mpiflow.distributed.scheduler.server import SchedulerServer

    server = SchedulerServer(SimpleNamespace(rank=0), dashboard_address=("127.0.0.1", 0))
    server._start_dashboard(*server.dashboard_address)
    try:
        port = server.dashboard.port
        info = server.info()
        assert info["services"] == {"dashboard": port}
        assert info["dashboard_link"] == f"http://127.0.0.1:{port}/status"
        server.worker_info["mpi://2"] = {"rank": 2, "nthreads": 1}
        server._on_heartbeat({"op": "heartbeat", "from": 2, "metrics": {"memory": 7, "cpu": 1}})
        server.recorder.publish()
        [w] = json.loads(fetch(server.dashboard, "/api/v1/workers")[2])["workers"]
        assert w["memory"] == 7 and w["last_heartbeat"] > 0
    finally:
        server.dashboard.close()


def test_a_dashboard_that_cannot_start_leaves_the_scheduler_running(capsys):
    from mpiflow.distributed.scheduler.server import SchedulerServer

    server = SchedulerServer(SimpleNamespace(rank=0))
    server._start_dashboard("256.256.256.256", 8787)
    assert server.dashboard is None and server.recorder is None
    assert server.info()["services"] == {}
    assert "no dashboard" in capsys.readouterr().err


# -- progress() ------------------------------------------------------------------------
class FakeClient:
    def __init__(self):
        from mpiflow.distributed.futures import KeyState

        self.states = {}
        self._make = KeyState

    def _key_state(self, key):
        return self.states.setdefault(key, self._make(key))

    def _inc_ref(self, key):
        pass

    def _dec_ref(self, key):
        pass


def test_progress_draws_one_line_when_everything_is_done():
    import io

    from mpiflow.distributed import Future, progress

    client = FakeClient()
    fs = [Future(f"x-{i}", client) for i in range(4)]
    for f in fs[:3]:
        f._state.finish("finished")
    fs[3]._state.finish("error", ValueError("no"))
    out = io.StringIO()
    progress({"a": fs[:2], "b": (fs[2], fs[3], 5)}, width=8, file=out)
    assert out.getvalue().startswith("[########] | 100% Completed |")
    assert out.getvalue().endswith(" | 1 erred\n")


def test_progress_follows_persisted_collections_and_times_out():
    import io

    from mpiflow.distributed import Future, progress

    client = FakeClient()
    pending = Future("y-1", client)
    collection = SimpleNamespace(__mpiflow_graph__=lambda: {"y-1": pending, "z": 1})
    with pytest.raises(TimeoutError, match="1 of 1 futures were not done after 0.2 s"):
        progress(collection, file=io.StringIO(), timeout=0.2, interval=0.05)


def test_task_stream_endpoint_is_valid_json_in_chunks(dashboard):
    dash, rec = dashboard
    for i in range(450):
        rec.task({"key": ("x-1", i), "from": 3, "start": 5.0 + i, "stop": 6.0 + i,
                  "thread": 1}, "memory")
    rec.publish()
    body = json.loads(fetch(dash, "/api/v1/task-stream?since=0")[2])
    assert body["next"] == 451 and len(body["tasks"]) == 451
    assert [r["start"] for r in body["tasks"][1:]] == [5.0 + i for i in range(450)]
    body = json.loads(fetch(dash, "/api/v1/task-stream?after=451")[2])
    assert body == {"time": rec.snapshot["time"], "since": 0.0, "next": 451, "tasks": []}
