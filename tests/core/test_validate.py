"""Tests for mpiflow.core.validate: each bad input has its own test and message."""

from operator import add

import pytest
from hypothesis import given
from strategies import dags_and_keys, random_dags

from mpiflow.core.errors import (
    CycleError,
    GraphError,
    MalformedTaskError,
    MissingDependencyError,
    MissingKeyError,
)
from mpiflow.core.spec import get_all_dependencies, quote
from mpiflow.core.validate import validate


def inc(x):
    return x + 1


# --- valid graphs -----------------------------------------------------------


def test_valid_graph_returns_dependencies():
    dsk = {"x": 1, "y": (inc, "x"), "z": (sum, ["x", "y", (inc, "y")]), "a": "z"}
    assert validate(dsk, keys=["a"]) == {"x": set(), "y": {"x"}, "z": {"x", "y"}, "a": {"z"}}


def test_given_dependencies_are_returned():
    dsk = {"x": 1, "y": (inc, "x")}
    deps = {"x": set(), "y": {"x"}}
    assert validate(dsk, dependencies=deps) == deps


@given(dags_and_keys())
def test_random_graphs_are_valid(dsk_keys):
    dsk, keys = dsk_keys
    assert validate(dsk, keys) == get_all_dependencies(dsk)


def test_literal_tuples_that_are_fine():
    dsk = {
        "x": 1,
        "a": (inc, (1, 2)),  # literal tuple of data
        "b": ("x", 0),  # names no tuple key of the graph: literal
        "c": quote(("x", "y")),  # quoted: literal on purpose
        "d": ((), 1),  # odd literal data
        "e": (sum, [("q", [1])]),  # unhashable literal tuple
        "f": {"k": ("add", "x")},  # dicts are never traversed
    }
    assert validate(dsk)["a"] == set()


def test_missing_string_key_cannot_be_detected():
    # documented limitation: a string that is not a key is literal data
    dsk = {"x": 1, "z": (add, "x", "y")}
    assert validate(dsk) == {"x": set(), "z": {"x"}}


# --- requested key not in graph ---------------------------------------------


def test_requested_key_not_in_graph():
    dsk = {"x": 1, "total": (inc, "x")}
    with pytest.raises(
        MissingKeyError, match="requested key 'totl' is not in the graph; did you mean 'total'?"
    ):
        validate(dsk, keys=[["x"], "totl"])


# --- cycles -----------------------------------------------------------------


def test_cycle():
    dsk = {"a": (inc, "b"), "b": (inc, "a")}
    with pytest.raises(CycleError, match="'a' -> 'b' -> 'a'"):
        validate(dsk)


def test_cycle_check_can_be_skipped():
    dsk = {"a": (inc, "b"), "b": (inc, "a")}
    assert validate(dsk, cycles=False) == {"a": {"b"}, "b": {"a"}}


# --- non-callable in task position ------------------------------------------


def test_non_callable_in_task_position():
    dsk = {"x": 1, "z": ("add", "x", "y")}
    with pytest.raises(MalformedTaskError) as info:
        validate(dsk)
    msg = str(info.value)
    assert msg.startswith("task 'z': ('add', 'x', 'y') is not a task")
    assert "its first element 'add' (str) is not callable" in msg
    assert "A task is (callable, *args)" in msg
    assert "wrap it with mpiflow.core.quote" in msg
    assert info.value.key == "z" and info.value.value == ("add", "x", "y")


def test_non_callable_nested_in_task_and_list():
    dsk = {"x": 1, "z": (sum, [1, (inc, (None, "x"))])}
    msg = r"first element None \(NoneType\) is not callable"
    with pytest.raises(MalformedTaskError, match=msg):
        validate(dsk)


def test_tuple_of_keys_instead_of_list():
    dsk = {"x": 1, "y": 2, "z": (sum, ("x", "y"))}
    with pytest.raises(MalformedTaskError, match=r"to pass several keys use a list"):
        validate(dsk)


def test_malformed_task_names_the_keys_it_would_skip():
    dsk = {("x", 0): 1, "z": (inc, (3, ("x", 0)))}
    with pytest.raises(MalformedTaskError, match=r"the keys in it \(\('x', 0\)\)"):
        validate(dsk)


# --- missing dependency ------------------------------------------------------


def test_missing_dependency():
    dsk = {("x", 0): 1, ("x", 1): 2, ("x", 2): 3, "total": (add, ("x", 0), ("x", 3))}
    with pytest.raises(MissingDependencyError) as info:
        validate(dsk)
    assert str(info.value) == (
        "task 'total' depends on ('x', 3), which is not a key of the graph "
        "(the graph has 3 keys named \"x\", e.g. ('x', 0)). "
        "Add that key to the graph or fix the reference."
    )
    assert info.value.key == "total" and info.value.missing == ("x", 3)


def test_missing_dependency_inside_lists_and_nested_tasks():
    dsk = {("x", 0, 0): 1, "s": (sum, [("x", 0, 0), (inc, [("x", 0, 1)])])}
    with pytest.raises(
        MissingDependencyError, match=r"task 's' depends on \('x', 0, 1\).*1 key named \"x\""
    ):
        validate(dsk)


def test_missing_dependency_as_alias():
    dsk = {("x", 0): 1, "y": ("x", 1)}
    with pytest.raises(MissingDependencyError, match=r"task 'y' depends on \('x', 1\)"):
        validate(dsk)


def test_tuple_of_other_length_is_literal():
    dsk = {("x", 0): 1, "y": (inc, ("x", 0, 0))}
    assert validate(dsk) == {("x", 0): set(), "y": set()}


# --- invalid keys -----------------------------------------------------------


def test_invalid_key_object():
    bad = object()
    msg = r"<object object at .*> \(type object\) is not a valid key"
    with pytest.raises(GraphError, match=msg):
        validate({"x": 1, bad: 2})


def test_invalid_tuple_key():
    with pytest.raises(GraphError, match=r"\('x', None\) \(type tuple\) is not a valid key"):
        validate({("x", None): 1})


def test_valid_key_types():
    dsk = {"s": "v", b"b": "v", 3: "v", 4.5: "v", ("x", 0): "v", ("y", ("z", 1), 2.0): "v"}
    assert validate(dsk) == {k: set() for k in dsk}


@given(random_dags())
def test_validate_finds_a_broken_reference_in_random_graphs(dsk):
    # replace a tuple key by one that does not exist: always detected
    tuple_keys = [k for k in dsk if isinstance(k, tuple)]
    if not tuple_keys:
        return
    name, *rest = tuple_keys[0]
    missing = (name, 10_000, *rest[1:])
    broken = dict(dsk)
    broken["user"] = (inc, missing)
    with pytest.raises(MissingDependencyError, match="task 'user' depends on"):
        validate(broken)
