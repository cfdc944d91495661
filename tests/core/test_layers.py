"""Tests of mpiflow.core.layers.LayeredGraph."""

from __future__ import annotations

import pickle
from operator import add

import pytest

from mpiflow.core.layers import LayeredGraph
from mpiflow.local import get_sync


def _chain(n: int) -> LayeredGraph:
    g = LayeredGraph.from_layer("l0", {("l0", 0): 1})
    for i in range(1, n):
        g = LayeredGraph.from_layer(f"l{i}", {(f"l{i}", 0): (add, (f"l{i - 1}", 0), 1)}, [g])
    return g


def test_from_layer_and_lookup():
    g = _chain(3)
    assert list(g.layers) == ["l0", "l1", "l2"]
    assert g.dependencies == {"l0": frozenset(), "l1": {"l0"}, "l2": {"l1"}}
    assert g[("l2", 0)] == (add, ("l1", 0), 1)
    assert ("l1", 0) in g and ("l9", 0) not in g and "l1" not in g
    assert len(g) == 3 and set(g) == {("l0", 0), ("l1", 0), ("l2", 0)}
    assert dict(g) == g.to_dict()
    assert get_sync(g, ("l2", 0)) == 3


def test_keys_not_named_after_their_layer():
    g = LayeredGraph({"red": {("red-partial", 0): 1, ("red", 0): (abs, ("red-partial", 0))}}, {})
    assert g[("red-partial", 0)] == 1
    assert g.layer_of(("red-partial", 0)) == "red"
    with pytest.raises(KeyError):
        g.layer_of("nope")
    with pytest.raises(KeyError):
        g["nope"]


def test_string_keys_and_dict_dependencies():
    base = {"a": 1}
    g = LayeredGraph.from_layer("b", {"b": (abs, "a")}, [base])
    assert g["b"] == (abs, "a") and g["a"] == 1
    (dict_layer,) = [n for n in g.layers if n != "b"]
    assert g.dependencies["b"] == {dict_layer}
    assert get_sync(g, "b") == 1


def test_merge_and_cull():
    a = LayeredGraph.from_layer("a", {"a": 1})
    b = LayeredGraph.from_layer("b", {"b": (abs, "a")}, [a])
    c = LayeredGraph.from_layer("c", {"c": 2})
    m = LayeredGraph.merge(b, c)
    assert set(m.layers) == {"a", "b", "c"}
    assert set(m.cull_layers(["b"]).layers) == {"a", "b"}
    assert set(m.cull_keys(["c"]).layers) == {"c"}
    assert set(m.cull_layers(["unknown"]).layers) == set()


def test_bad_dependencies_are_reported():
    with pytest.raises(ValueError, match="not in the graph.*'zz'"):
        LayeredGraph({"a": {}}, {"a": {"zz"}})


def test_missing_dependency_entries_default_to_empty():
    g = LayeredGraph({"a": {"a": 1}}, {})
    assert g.dependencies == {"a": frozenset()}


def test_not_a_graph():
    with pytest.raises(TypeError, match="cannot take a task graph from int"):
        LayeredGraph.from_layer("x", {}, [3])


def test_pickle_roundtrip():
    g = _chain(4)
    h = pickle.loads(pickle.dumps(g))
    assert dict(h) == dict(g) and h.dependencies == g.dependencies


def test_mapping_protocol():
    g = _chain(2)
    assert list(g.keys()) == list(g.to_dict().keys())
    assert list(g.values()) == list(g.to_dict().values())
    assert dict(g.items()) == g.to_dict()
    assert "2 layers" in repr(g)
    assert g.to_dict() is g.to_dict()  # cached


def test_building_shares_layers_instead_of_copying_them():
    # Linear building: a new graph refers to its inputs' layer mappings, it
    # never copies their tasks (timings are left to benchmarks).
    first = LayeredGraph.from_layer("a", {("a", 0): 1})
    second = LayeredGraph.from_layer("b", {("b", 0): (add, ("a", 0), 1)}, [first])
    assert second.layers["a"] is first.layers["a"]
    g = _chain(2000)
    assert len(g.layers) == 2000 and get_sync(g, ("l1999", 0)) == 2000
