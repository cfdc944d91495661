"""Tests for mpiflow.core.traverse: toposort, find_cycle, cull, flatten_keys."""

from operator import add, neg

import pytest
from hypothesis import given, settings
from strategies import dags_and_keys, random_dags

from mpiflow.core.errors import CycleError, MissingKeyError
from mpiflow.core.spec import get_all_dependencies, get_dependencies
from mpiflow.core.traverse import close_keys, cull, find_cycle, flatten_keys, toposort


def inc(x):
    return x + 1


def ancestors(dsk, keys):
    """Reference: every key reachable from ``keys`` through dependencies."""
    seen = set()
    todo = list(keys)
    while todo:
        k = todo.pop()
        if k not in seen:
            seen.add(k)
            todo.extend(get_dependencies(dsk, k))
    return seen


# --- flatten_keys -----------------------------------------------------------


def test_flatten_keys_single_key():
    assert flatten_keys("x") == ["x"]
    assert flatten_keys(("x", 0)) == [("x", 0)]


def test_flatten_keys_nested_lists_keep_order():
    assert flatten_keys([["a", ["b"]], [], "c", [[[("d", 1)]]]]) == ["a", "b", "c", ("d", 1)]


def test_flatten_keys_deep_nesting_is_iterative():
    keys = "x"
    for _ in range(5000):
        keys = [keys]
    assert flatten_keys(keys) == ["x"]


# --- toposort ---------------------------------------------------------------


def test_toposort_simple():
    dsk = {"z": (add, "x", "y"), "y": (inc, "x"), "x": 1, "w": (sum, ["z", "y"])}
    assert toposort(dsk) == ["x", "y", "z", "w"]


def test_toposort_uses_given_dependencies():
    dsk = {"a": 1, "b": 2}
    assert toposort(dsk, dependencies={"a": {"b"}, "b": set()}) == ["b", "a"]


def test_toposort_deep_chain_no_recursion():
    n = 100_000
    dsk = {i: (inc, i - 1) for i in range(n, 0, -1)}  # dict order is reversed
    dsk[0] = -1
    result = toposort(dsk)
    assert result == list(range(n + 1))


def test_toposort_cycle_message():
    dsk = {"a": (inc, "b"), "b": (inc, "a")}
    with pytest.raises(CycleError, match="'a' -> 'b' -> 'a'") as info:
        toposort(dsk)
    assert info.value.cycle == ["a", "b", "a"]


def test_toposort_self_cycle():
    with pytest.raises(CycleError, match=r"cycle in the task graph: 'a' -> 'a'\."):
        toposort({"a": (inc, "a")})


@given(random_dags())
def test_toposort_respects_dependencies(dsk):
    order = toposort(dsk)
    assert sorted(map(repr, order)) == sorted(map(repr, dsk))
    position = {k: i for i, k in enumerate(order)}
    for k, deps in get_all_dependencies(dsk).items():
        for d in deps:
            assert position[d] < position[k]


@given(random_dags())
def test_toposort_is_deterministic(dsk):
    assert toposort(dsk) == toposort(dict(dsk))


# --- find_cycle -------------------------------------------------------------


def test_find_cycle_none_for_dag():
    assert find_cycle({"x": 1, "y": (inc, "x"), "z": (add, "x", "y")}) is None


def test_find_cycle_returns_the_path_not_just_a_flag():
    dsk = {
        "out": (inc, "a"),  # leads into the cycle but is not on it
        "a": (inc, "b"),
        "b": (add, "c", 1),
        "c": (sum, ["x", "a"]),
        "x": 1,
    }
    assert find_cycle(dsk) == ["a", "b", "c", "a"]


def test_find_cycle_tuple_keys_in_message():
    dsk = {("x", 0): (inc, ("x", 1)), ("x", 1): (inc, ("x", 0))}
    with pytest.raises(CycleError, match=r"\('x', 0\) -> \('x', 1\) -> \('x', 0\)"):
        toposort(dsk)


def test_find_cycle_long_cycle_iterative():
    n = 100_000
    dsk = {i: (inc, (i + 1) % n) for i in range(n)}
    cycle = find_cycle(dsk)
    assert cycle == list(range(n)) + [0]


# --- cull -------------------------------------------------------------------


def test_cull_keeps_only_what_is_needed():
    dsk = {"x": 1, "y": (inc, "x"), "out": (add, "x", 10), "unused": (neg, "y")}
    culled, deps = cull(dsk, "out")
    assert culled == {"x": 1, "out": (add, "x", 10)}
    assert deps == {"x": set(), "out": {"x"}}


def test_cull_nested_keys_and_lists():
    dsk = {"a": 1, "b": 2, "c": (sum, ["a", "b"]), "d": (neg, "a"), "e": 5}
    culled, deps = cull(dsk, [["c"], ["d", ["d"]]])
    assert set(culled) == {"a", "b", "c", "d"}
    assert deps["c"] == {"a", "b"}


def test_cull_preserves_graph_order_when_most_keys_survive():
    dsk = {"x": 1, "y": (inc, "x"), "z": (inc, "y"), "w": 0}
    culled, _ = cull(dsk, "z")
    assert list(culled) == ["x", "y", "z"]


def test_cull_missing_key_message_suggests_close_str_keys():
    dsk = {"sum-abc": 1, "x": 2}
    with pytest.raises(
        MissingKeyError, match="requested key 'sum-abd' is not in the graph; did you mean 'sum-abc'"
    ):
        cull(dsk, ["x", "sum-abd"])


def test_cull_missing_tuple_key_suggests_same_name_keys():
    dsk = {("x", i): i for i in range(4)}
    with pytest.raises(
        MissingKeyError,
        match=r"\('x', 9\) is not in the graph; "
        r"did you mean \('x', 3\), \('x', 2\), \('x', 1\)\?",
    ):
        cull(dsk, ("x", 9))


def test_cull_missing_key_without_close_match():
    with pytest.raises(MissingKeyError, match=r"^requested key 'q' is not in the graph$"):
        cull({"abc": 1}, "q")


def test_cull_missing_key_is_a_key_error():
    with pytest.raises(KeyError):
        cull({"a": 1}, "b")


def test_cull_unhashable_request():
    with pytest.raises(MissingKeyError, match=r"requested key \{\} is not in the graph"):
        cull({"a": 1}, [{}])


def test_close_keys_other_types():
    assert close_keys(3, {1: 1, 2: 2}) == []


@given(dags_and_keys())
def test_cull_keeps_exactly_the_ancestors(dsk_keys):
    dsk, keys = dsk_keys
    culled, deps = cull(dsk, keys)
    expected = ancestors(dsk, keys)
    assert set(culled) == expected
    assert all(culled[k] is dsk[k] for k in culled)
    assert deps == {k: get_dependencies(dsk, k) for k in expected}


@settings(max_examples=30)
@given(random_dags())
def test_cull_all_keys_is_identity(dsk):
    culled, deps = cull(dsk, list(dsk))
    assert culled == dsk and list(culled) == list(dsk)
    assert deps == get_all_dependencies(dsk)


def test_cull_deep_chain():
    n = 100_000
    dsk = {i: (inc, i - 1) for i in range(1, n)}
    dsk[0] = -1
    dsk["other"] = 1
    culled, deps = cull(dsk, n - 1)
    assert len(culled) == n and "other" not in culled
