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


def test_a_retirement_never_moves_data_to_a_worker_already_retiring():
    # Two retirements in a row: the first copies a key to a worker the second
    # then retires. Planned at once, the second would not move that key (it is
    # not there yet) and the first's copy would go with the closed worker.
    from concurrent.futures import Future

    class RequestingTransport(RecordingTransport):
        def request(self, rank: int, msg: dict) -> Future:
            self.sent.append((rank, msg))
            return Future()  # the copy is still running

    transport = RequestingTransport()
    server = SchedulerServer(transport)
    for rank in (2, 3, 4):
        server._apply(server._dispatch({"op": "register-worker", "from": rank,
                                        "nthreads": 1}, []))
    server._apply(server._dispatch({"op": "update-graph", "from": 1, "wanted": ["x", "y"],
                                    "tasks": {k: {"run_spec": (None, b"")}
                                              for k in ("x", "y")}}, []))
    server._flush()
    holder = {k: ts.processing_on.name for k, ts in server.state.tasks.items()}
    for key, worker in holder.items():
        server._apply(server._dispatch({"op": "task-finished", "from": int(worker[6:]),
                                        "key": key, "nbytes": 8, "duration": 0.1}, []))
    first, second = holder["x"], holder["y"]
    if first == second:  # both ran on one worker: retire it, then another one
        second = next(w for w in ("mpi://2", "mpi://3", "mpi://4") if w != first)
    transport.sent.clear()
    server._dispatch({"op": "retire-workers", "from": 1, "workers": [first]}, [])
    server._dispatch({"op": "retire-workers", "from": 1, "workers": [second]}, [])
    copies = [(rank, msg) for rank, msg in transport.sent if msg["op"] == "replicate"]
    assert len(copies) == 1 and copies[0][0] != int(first[6:]), transport.sent
    server._on_workers_to_close({"from": 1, "n": 1})
    assert transport.sent[-1] == (1, {"op": "reply", "result": []})  # both count as leaving
    rank, msg = copies[0]
    server._retiring[0][2][0][1].set_result({k: 8 for k in msg["keys"]})  # copy done
    transport.sent.clear()
    server._finish_retirements()  # the first retirement ends; the second starts now
    copies = [(rank, msg) for rank, msg in transport.sent if msg["op"] == "replicate"]
    targets = {rank for rank, _ in copies}
    assert targets and not targets & {int(first[6:]), int(second[6:])}, transport.sent
    moved = {k for _, msg in copies for k in msg["keys"]}
    assert moved == {"x", "y"} - {k for k, w in holder.items() if w not in (first, second)}
