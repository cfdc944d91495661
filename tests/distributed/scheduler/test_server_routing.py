"""SchedulerServer turns events into messages per rank (a recording transport, no MPI)."""

from __future__ import annotations

from mpiflow.distributed.scheduler.server import SchedulerServer


class RecordingTransport:
    """Stands in for the MPI transport: records what the server sends."""

    rank = 0

    def __init__(self) -> None:
        self.sent: list[tuple[int, dict]] = []

    def send(self, rank: int, msg: dict) -> None:
        self.sent.append((rank, msg))

    def reply(self, msg: dict, result=None, error=None) -> None:
        self.sent.append((msg["from"], {"op": "reply", "result": result}))


def _ops(messages: list[tuple[int, dict]], rank: int) -> list[str]:
    out = []
    for r, msg in messages:
        if r == rank:
            out += [m["op"] for m in msg["messages"]] if msg["op"] == "batch" else [msg["op"]]
    return out


def _server_running_one_task(key: str) -> tuple[SchedulerServer, RecordingTransport]:
    transport = RecordingTransport()
    server = SchedulerServer(transport)
    for msg in ({"op": "register-worker", "from": 2, "nthreads": 1},
                {"op": "update-graph", "from": 1, "wanted": [key],
                 "tasks": {key: {"run_spec": (None, b"")}}}):
        server._apply(server._dispatch(msg, []))
        server._flush()
    assert _ops(transport.sent, 2) == ["execute"]
    transport.sent.clear()
    return server, transport


def test_client_is_told_where_a_result_is():
    server, transport = _server_running_one_task("x")
    done = {"op": "task-finished", "from": 2, "key": "x", "nbytes": 8, "duration": 0.1}
    server._apply(server._dispatch(done, []))
    server._flush()
    assert _ops(transport.sent, 1) == ["key-in-memory"]


def test_no_second_message_when_the_worker_pushed_the_result():
    server, transport = _server_running_one_task("x")
    done = {"op": "task-finished", "from": 2, "key": "x", "nbytes": 8, "duration": 0.1,
            "pushed_to": [1]}
    server._apply(server._dispatch(done, []))
    server._flush()
    assert _ops(transport.sent, 1) == []
    assert server.state.tasks["x"].state == "memory"
    assert server._pushed == {}  # remembered for one round only
