"""Tests for mpiflow.core.spec: keys, tasks, dependencies, quote and subs."""

import pickle
from operator import add

import pytest

from mpiflow.core.spec import (
    get_all_dependencies,
    get_dependencies,
    ishashable,
    iskey,
    istask,
    literal,
    quote,
    reverse_dict,
    subs,
)


def inc(x):
    return x + 1


class Callable:
    def __call__(self, *args):
        return args


# --- istask / iskey / ishashable ----------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        ((inc, 1), True),
        ((Callable(),), True),
        ((literal(1),), True),
        ((inc,), True),
        (("inc", 1), False),
        ((), False),
        ([inc, 1], False),
        (inc, False),
        (1, False),
    ],
)
def test_istask(value, expected):
    assert istask(value) is expected


def test_istask_requires_exact_tuple():
    class T(tuple):
        pass

    assert not istask(T((inc, 1)))


@pytest.mark.parametrize(
    "value, expected",
    [
        ("x", True),
        (b"x", True),
        (1, True),
        (1.5, True),
        (("x", 0, 1), True),
        (("x", ("y", 1)), True),
        ((), True),
        (["x"], False),
        (("x", [0]), False),
        (None, False),
        (object(), False),
        ({"x": 1}, False),
    ],
)
def test_iskey(value, expected):
    assert iskey(value) is expected


def test_iskey_accepts_subclasses_of_atoms():
    class Name(str):
        pass

    assert iskey(Name("x"))


def test_ishashable():
    assert ishashable("x") and ishashable((1, 2)) and ishashable(None)
    assert not ishashable([1]) and not ishashable({}) and not ishashable((1, [2]))


# --- dependencies ----------------------------------------------------------------


def test_get_dependencies_nested_tasks_and_lists():
    dsk = {"x": 1, "y": 2, ("z", 0): 3, "t": (add, "x", [(inc, "y"), [("z", 0)]])}
    assert get_dependencies(dsk, "t") == {"x", "y", ("z", 0)}


def test_get_dependencies_alias():
    assert get_dependencies({"x": 1, "a": "x"}, "a") == {"x"}


def test_get_dependencies_ignores_literals():
    dsk = {
        "x": 1,
        "t": (
            inc,
            (1, "x"),  # literal tuple: not traversed
            {"k": "x"},  # dicts are not traversed
            ("a", [1]),  # unhashable literal tuple
            {1, 2},  # unhashable object
            None,  # hashable object that is not a key
            "y",  # string that is not a key
        ),
    }
    assert get_dependencies(dsk, "t") == set()


def test_get_dependencies_of_a_task_not_in_the_graph():
    assert get_dependencies({"x": 1}, task=(inc, "x")) == {"x"}
    assert get_dependencies({"x": 1}, task=[["x", "y"]]) == {"x"}


def test_get_dependencies_key_types():
    dsk = {b"b": 1, 2: 2, 2.5: 3, ("t", 1): 4}
    assert get_dependencies(dsk, task=(sum, [b"b", 2, 2.5, ("t", 1)])) == set(dsk)


def test_get_dependencies_deep_nesting_is_iterative():
    task = "x"
    for _ in range(10_000):
        task = (inc, task)
    assert get_dependencies({"x": 1}, task=task) == {"x"}


def test_get_all_dependencies():
    dsk = {"x": 1, "y": (inc, "x"), "z": (add, "x", "y")}
    assert get_all_dependencies(dsk) == {"x": set(), "y": {"x"}, "z": {"x", "y"}}


def test_reverse_dict():
    deps = {"a": {"b", "c"}, "b": {"c"}, "c": set()}
    assert reverse_dict(deps) == {"a": set(), "b": {"a"}, "c": {"a", "b"}}


def test_reverse_dict_values_not_in_keys():
    assert reverse_dict({"a": ["zz"]}) == {"a": set(), "zz": {"a"}}


# --- literal / quote ---------------------------------------------------------------


def test_literal_returns_payload_and_pickles():
    lit = literal((inc, [1, 2]))
    assert lit() == (inc, [1, 2])
    assert repr(lit) == "literal<type=tuple>"
    again = pickle.loads(pickle.dumps(literal([1, "x"])))
    assert again() == [1, "x"]


@pytest.mark.parametrize("value", [(inc, 1), [1, "x"], {"a": "x"}])
def test_quote_wraps_interpreted_values(value):
    q = quote(value)
    assert istask(q) and q[0]() == value


@pytest.mark.parametrize("value", [1, "x", ("x", 0), None])
def test_quote_leaves_plain_data_alone(value):
    assert quote(value) is value


# --- subs ------------------------------------------------------------------------------


def test_subs_replaces_argument_positions():
    task = (add, "x", [("x", 0), "x", (inc, "x")])
    assert subs(task, "x", 5) == (add, 5, [("x", 0), 5, (inc, 5)])


def test_subs_tuple_key():
    assert subs((inc, ("x", 0)), ("x", 0), 1) == (inc, 1)


def test_subs_leaves_literal_tuples_and_dicts():
    task = (inc, (1, "x"), {"k": "x"})
    assert subs(task, "x", 5) == task


def test_subs_is_type_strict():
    # 1 == 1.0 == True, but only the int is a reference to key 1
    assert subs((add, 1, 1.0, True), 1, "one") == (add, "one", 1.0, True)


def test_subs_top_level_alias():
    assert subs("x", "x", (inc, 1)) == (inc, 1)
    assert subs("y", "x", 1) == "y"


def test_subs_survives_odd_equality():
    class Weird:
        def __eq__(self, other):
            raise RuntimeError("no")

        __hash__ = object.__hash__

    w = Weird()
    assert subs((inc, w), w, 1)[1] is w  # an exception in __eq__ means "not the key"
