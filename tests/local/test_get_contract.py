"""One contract every local ``get`` keeps; each scheduler's class inherits it."""

from __future__ import annotations

import threading
from operator import add, neg

import pytest

import mpiflow
import mpiflow.multiprocessing
import mpiflow.threaded
from mpiflow.core import CycleError, MalformedTaskError, MissingDependencyError, MissingKeyError
from mpiflow.local import Callback, get_sync


def inc(x):
    return x + 1


def boom(x):
    raise ZeroDivisionError(f"boom on {x}")


DESIGN_GRAPH = {
    "x": 1,
    "y": 2,
    "z": (add, "x", "y"),
    "w": (sum, ["x", "y", "z"]),
    "v": [(sum, ["w", "z"]), 2],
}


def tree(leaves: int) -> tuple[dict, object]:
    dsk: dict = {("leaf", i): (inc, i) for i in range(leaves)}
    layer = [("leaf", i) for i in range(leaves)]
    depth = 0
    while len(layer) > 1:
        depth += 1
        layer_next = []
        for j in range(0, len(layer) - 1, 2):
            dsk[("sum", depth, j // 2)] = (add, layer[j], layer[j + 1])
            layer_next.append(("sum", depth, j // 2))
        layer_next += layer[len(layer_next) * 2 :]
        layer = layer_next
    return dsk, layer[0]


class GetContract:
    """Behaviour every ``get(dsk, keys, **kwargs)`` must have."""

    get = staticmethod(get_sync)

    def test_design_graph_every_key(self):
        assert self.get(DESIGN_GRAPH, ["x", "y", "z", "w", "v"]) == [1, 2, 3, 6, [9, 2]]

    def test_single_key_and_nesting(self):
        assert self.get(DESIGN_GRAPH, "w") == 6
        assert self.get(DESIGN_GRAPH, [["x", ["z"]], "v"]) == [[1, [3]], [9, 2]]
        assert self.get(DESIGN_GRAPH, []) == []

    def test_tuple_keys_aliases_and_literals(self):
        dsk = {
            ("x", 0): 10,
            ("x", 1): (inc, ("x", 0)),
            "alias": ("x", 1),
            "literal-tuple": (1, "not-a-key"),
            "text": "plain string",
            "nested": (add, (inc, ("x", 0)), (neg, "alias")),
            "dict": {"a": "x"},
        }
        out = self.get(dsk, [("x", 1), "alias", "literal-tuple", "text", "nested", "dict"])
        assert out == [11, 11, (1, "not-a-key"), "plain string", 0, {"a": "x"}]

    def test_quoted_task_is_data(self):
        from mpiflow.core import quote

        assert self.get({"q": quote((sum, [1, 2]))}, "q") == (sum, [1, 2])

    def test_task_exception_keeps_type_and_names_key(self):
        dsk = {"a": 1, "b": (boom, "a"), "c": (inc, "b")}
        with pytest.raises(ZeroDivisionError, match="boom on 1") as info:
            self.get(dsk, "c")
        notes = "\n".join(getattr(info.value, "__notes__", []))
        assert "'b'" in notes
        assert "boom" in "".join(
            __import__("traceback").format_exception(info.type, info.value, info.tb)
        )

    def test_cycle_is_refused_before_running(self):
        ran = []
        dsk = {"a": (inc, "b"), "b": (inc, "a"), "c": (ran.append, 1)}
        with pytest.raises(CycleError, match="'a' -> 'b' -> 'a'|'b' -> 'a' -> 'b'"):
            self.get(dsk, ["a", "c"])
        assert ran == []

    def test_missing_requested_key(self):
        with pytest.raises(MissingKeyError, match="'zz' is not in the graph"):
            self.get(DESIGN_GRAPH, ["x", "zz"])

    def test_missing_tuple_dependency(self):
        dsk = {("x", 0): 1, ("x", 1): 2, "total": (sum, [("x", 0), ("x", 1), ("x", 2)])}
        with pytest.raises(MissingDependencyError, match=r"\('x', 2\)"):
            self.get(dsk, "total")

    def test_non_callable_in_task_position(self):
        dsk = {"x": 1, "y": 2, "z": ("add", "x", "y")}
        with pytest.raises(MalformedTaskError, match="'add'.*not callable"):
            self.get(dsk, "z")

    def test_only_needed_tasks_run(self):
        calls = []
        lock = threading.Lock()

        def record(name):
            with lock:
                calls.append(name)
            return name

        dsk = {"a": (record, "a"), "b": (record, "b"), "c": (inc, 1)}
        assert self.get(dsk, "c") == 2
        assert calls == []

    def test_intermediates_are_freed(self):
        # chunksize=1 turns off batching: adaptive batches bound memory by
        # about 2 ms of work each (benchmarks/local_memory.py shows that part).
        dsk, root = tree(256)
        held = []
        cb = Callback(posttask=lambda key, value, dsk, state, worker: held.append(len(state.cache)))
        assert self.get(dsk, root, callbacks=[cb], chunksize=1) == sum(range(1, 257))
        assert max(held) < 24, max(held)

    def test_callbacks_see_every_task(self):
        events = []
        cb = Callback(
            start=lambda dsk: events.append("start"),
            pretask=lambda key, dsk, state: events.append(("pre", key)),
            posttask=lambda key, res, dsk, state, worker: events.append(("post", key, res)),
            finish=lambda dsk, state, errored: events.append(("finish", errored, state.ndone)),
        )
        assert self.get({"a": (inc, 1), "b": (inc, "a")}, "b", callbacks=cb) == 3
        assert events[0] == "start"
        assert ("post", "a", 2) in events and ("post", "b", 3) in events
        assert events[-1] == ("finish", False, 2)

    def test_finish_callback_on_error(self):
        seen = []
        cb = Callback(finish=lambda dsk, state, errored: seen.append(errored))
        with pytest.raises(ZeroDivisionError):
            self.get({"a": (boom, 1)}, "a", callbacks=cb)
        assert seen == [True]

    def test_many_tasks(self):
        dsk = {("x", i): (inc, i) for i in range(3000)}
        dsk["total"] = (sum, list(dsk))
        assert self.get(dsk, "total") == sum(range(1, 3001))

    def test_deep_chain_does_not_recurse(self):
        dsk = {("c", 0): 0}
        for i in range(1, 5000):
            dsk[("c", i)] = (inc, ("c", i - 1))
        assert self.get(dsk, ("c", 4999)) == 4999


class TestGetSync(GetContract):
    get = staticmethod(get_sync)

    def test_top_level_get_is_sync(self):
        assert mpiflow.get is get_sync


class TestThreaded(GetContract):
    get = staticmethod(mpiflow.threaded.get)

    def test_runs_on_pool_threads(self):
        names = self.get({("t", i): (lambda i: threading.current_thread().name, i)
                          for i in range(20)}, [("t", i) for i in range(20)], num_workers=2)
        assert all(n.startswith("mpiflow-thread") for n in names)

    def test_nested_get_inside_a_task(self):
        inner = {"a": (inc, 1)}
        dsk = {("o", i): (mpiflow.threaded.get, inner, "a") for i in range(4)}
        assert self.get(dsk, [("o", i) for i in range(4)], num_workers=2) == [2] * 4

    def test_bad_num_workers(self):
        with pytest.raises(ValueError, match="num_workers must be at least 1"):
            self.get({"a": 1}, "a", num_workers=0)


class TestProcesses(GetContract):
    get = staticmethod(mpiflow.multiprocessing.get)

    # The callbacks and freeing tests hold closures over local lists: those run
    # in this process (callbacks) and only the task functions travel.
    def test_only_needed_tasks_run(self):
        dsk = {"a": (boom, 1), "c": (inc, 1)}
        assert self.get(dsk, "c") == 2

    def test_lambdas_and_closures_travel(self):
        k = 10
        assert self.get({"a": (lambda x: x + k, 1)}, "a") == 11

    def test_runs_in_other_processes(self):
        import os

        pids = self.get({("p", i): (os.getpid,) for i in range(8)}, [("p", i) for i in range(8)])
        assert os.getpid() not in pids
