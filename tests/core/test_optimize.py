"""Tests for mpiflow.core.optimize: inline and fuse preserve results."""

from operator import add, neg

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import dags_and_keys, random_dags

from mpiflow.core.errors import CycleError, MissingKeyError
from mpiflow.core.optimize import fuse, inline
from mpiflow.core.spec import get_all_dependencies, quote


def inc(x):
    return x + 1


def reference_get(dsk, keys):
    """Tiny reference evaluator (recursive, memoised); not the library's engine."""
    cache = {}

    def evaluate(v):
        if type(v) is tuple and v and callable(v[0]):
            return v[0](*[evaluate(a) for a in v[1:]])
        if type(v) is list:
            return [evaluate(a) for a in v]
        try:
            if v in dsk:
                return get(v)
        except TypeError:
            pass
        return v

    def get(k):
        if k not in cache:
            cache[k] = evaluate(dsk[k])
        return cache[k]

    return [get(k) for k in keys]


# --- inline -----------------------------------------------------------------


def test_inline_constants_by_default():
    d = {"x": 1, "y": (inc, "x"), "z": (add, "x", "y")}
    assert inline(d) == {"y": (inc, 1), "z": (add, 1, "y")}


def test_inline_given_keys():
    d = {"x": 1, "y": (inc, "x"), "z": (add, "x", "y")}
    assert inline(d, keys="y") == {"z": (add, 1, (inc, 1))}
    assert inline(d, keys=["y"], inline_constants=False) == {"x": 1, "z": (add, "x", (inc, "x"))}


def test_inline_protected_keys_survive():
    d = {"x": 1, "y": (inc, "x"), "z": (add, "x", "y")}
    assert inline(d, keys="y", protected=["x", "y"]) == {
        "x": 1,
        "y": (inc, 1),
        "z": (add, 1, (inc, 1)),
    }


def test_inline_chain_of_inlined_keys():
    d = {"a": 1, "b": (inc, "a"), "c": (inc, "b"), "d": (add, "c", "c")}
    assert inline(d, keys=["b", "c"], inline_constants=False) == {
        "a": 1,
        "d": (add, (inc, (inc, "a")), (inc, (inc, "a"))),
    }


def test_inline_aliases_and_constant_lists():
    d = {
        "x": 1,
        "y": (inc, "x"),
        "alias": "y",
        "pair": ["x", "y"],
        "out": (sum, "pair"),
        "out2": (inc, "alias"),
    }
    assert inline(d) == {"y": (inc, 1), "out": (sum, [1, "y"]), "out2": (inc, "y")}


def test_inline_does_not_treat_lists_holding_tasks_as_constants():
    d = {"l": [(inc, 1)], "a": (sum, "l"), "b": (sum, "l")}
    assert inline(d) == d


def test_inline_only_touches_argument_positions():
    d = {"x": 1, "y": (inc, (1, "x")), "q": (len, quote(["x"]))}
    out = inline(d)
    assert out["y"] == (inc, (1, "x"))  # literal tuple: not a reference
    assert reference_get(out, ["q"]) == [1]


def test_inline_missing_key():
    with pytest.raises(MissingKeyError, match="requested key 'yy' is not in the graph"):
        inline({"y": 1}, keys="yy")


def test_inline_cycle_among_inlined_keys():
    with pytest.raises(CycleError, match="cycle in the task graph"):
        inline({"a": (inc, "b"), "b": (inc, "a"), "c": (inc, "a")}, keys=["a", "b"])


def test_inline_nothing_to_do_returns_copy():
    d = {"a": (inc, 1)}
    out = inline(d, inline_constants=False)
    assert out == d and out is not d


@given(dags_and_keys())
def test_inline_constants_preserves_results(dsk_keys):
    dsk, keys = dsk_keys
    out = inline(dsk, protected=keys)
    assert set(keys) <= set(out)
    assert reference_get(out, keys) == reference_get(dsk, keys)


@given(dags_and_keys(), st.data())
def test_inline_random_keys_preserves_results(dsk_keys, data):
    dsk, keys = dsk_keys
    chosen = data.draw(st.lists(st.sampled_from(list(dsk)), unique=True))
    constants = data.draw(st.booleans())
    out = inline(dsk, chosen, inline_constants=constants, protected=keys)
    assert set(keys) <= set(out)
    assert not (set(chosen) - set(keys)) & set(out)
    assert reference_get(out, keys) == reference_get(dsk, keys)
    # the result is a well-formed graph: every remaining reference resolves
    assert reference_get(out, list(out)) == reference_get(dsk, list(out))


# --- fuse -------------------------------------------------------------------


def test_fuse_linear_chain():
    d = {"a": 1, "b": (inc, "a"), "c": (inc, "b"), "d": (inc, "c")}
    dsk, deps = fuse(d, keys=["d"])
    assert dsk == {"d": (inc, (inc, (inc, 1)))}
    assert deps == {"d": set()}


def test_fuse_keeps_output_keys():
    d = {"a": 1, "b": (inc, "a"), "c": (inc, "b"), "d": (inc, "c")}
    dsk, deps = fuse(d, keys=["b", "d"])
    assert dsk == {"b": (inc, 1), "d": (inc, (inc, "b"))}
    assert deps == {"b": set(), "d": {"b"}}


def test_fuse_stops_at_branches_and_joins():
    d = {
        "a": 1,
        "b": (inc, "a"),  # two dependents: stays
        "c": (inc, "b"),
        "d": (neg, "b"),
        "e": (add, "c", "d"),  # two dependencies: c and d stay
    }
    dsk, deps = fuse(d, keys=["e"])
    assert dsk == {"b": (inc, 1), "c": (inc, "b"), "d": (neg, "b"), "e": (add, "c", "d")}
    assert deps == get_all_dependencies(dsk)


def test_fuse_does_not_duplicate_work_for_repeated_references():
    d = {"a": (inc, 1), "b": (add, "a", "a"), "c": (inc, "b")}
    dsk, _ = fuse(d, keys=["c"])
    assert dsk == {"a": (inc, 1), "c": (inc, (add, "a", "a"))}


def test_fuse_through_lists_and_aliases():
    d = {"a": (inc, 1), "b": [5, "a"], "c": (sum, "b"), "d": "c"}
    dsk, deps = fuse(d, keys=["d"])
    assert dsk == {"d": (sum, [5, (inc, 1)])}
    assert reference_get(dsk, ["d"]) == reference_get(d, ["d"]) == [7]


def test_fuse_max_length_cuts_chains():
    d = {0: -1, **{i: (inc, i - 1) for i in range(1, 7)}}
    dsk, deps = fuse(d, keys=[6], max_length=3)
    assert dsk == {0: -1, 3: (inc, (inc, (inc, 0))), 6: (inc, (inc, (inc, 3)))}
    assert list(dsk) == [0, 3, 6]
    assert deps == {0: set(), 3: {0}, 6: {3}}
    assert reference_get(dsk, [6]) == reference_get(d, [6])


def test_fuse_nothing_to_fuse():
    d = {"a": 1, "b": 2, "c": (add, "a", "b")}
    dsk, deps = fuse(d)
    assert dsk == d and deps == get_all_dependencies(d)


def test_fuse_cycle_of_single_links():
    with pytest.raises(CycleError, match="'a' -> 'b' -> 'a'"):
        fuse({"a": (inc, "b"), "b": (inc, "a")})


def test_fuse_long_chain_linear_time():
    n = 100_000
    d = {i: (inc, i - 1) for i in range(1, n)}
    d[0] = -1
    dsk, deps = fuse(d, keys=[n - 1])
    assert list(dsk) == [n - 1] and deps == {n - 1: set()}
    depth, v = 0, dsk[n - 1]
    while type(v) is tuple:
        depth, v = depth + 1, v[1]
    assert depth == n - 1 and v == -1


def test_fuse_result_order_follows_the_graph():
    d = {"x": 1, "y": (neg, "x"), "p": 2, "q": (add, "y", "p")}
    dsk, _ = fuse(d, keys=["q"])
    assert list(dsk) == ["y", "p", "q"]


@given(dags_and_keys())
def test_fuse_preserves_results(dsk_keys):
    dsk, keys = dsk_keys
    fused, deps = fuse(dsk, keys=keys)
    assert set(keys) <= set(fused) <= set(dsk)
    assert deps == get_all_dependencies(fused)
    assert reference_get(fused, list(fused)) == reference_get(dsk, list(fused))


@settings(max_examples=50)
@given(random_dags(), st.integers(1, 4))
def test_fuse_max_length_preserves_results(dsk, max_length):
    fused, deps = fuse(dsk, max_length=max_length)
    assert deps == get_all_dependencies(fused)
    assert reference_get(fused, list(fused)) == reference_get(dsk, list(fused))


@given(dags_and_keys())
def test_fuse_then_inline_preserves_results(dsk_keys):
    dsk, keys = dsk_keys
    fused, deps = fuse(dsk, keys=keys)
    out = inline(fused, dependencies=deps, protected=keys)
    assert reference_get(out, keys) == reference_get(dsk, keys)
