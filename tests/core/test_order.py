"""Tests for mpiflow.core.order: validity, determinism and memory behaviour."""

import heapq
import random
from operator import add

import pytest
from hypothesis import given
from strategies import random_dags

from mpiflow.core.errors import CycleError
from mpiflow.core.order import order
from mpiflow.core.spec import get_all_dependencies, reverse_dict


def inc(x):
    return x + 1


# --- graph shapes -------------------------------------------------------------


def tree_reduction(leaves, name="sum", leaf="leaf"):
    """Pairwise reduction over ``leaves`` load tasks; returns (dsk, root)."""
    dsk = {(leaf, i): (inc, i) for i in range(leaves)}
    level = [(leaf, i) for i in range(leaves)]
    depth = 0
    while len(level) > 1:
        depth += 1
        nxt = []
        for j in range(0, len(level) - 1, 2):
            key = (name, depth, j // 2)
            dsk[key] = (add, level[j], level[j + 1])
            nxt.append(key)
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return dsk, level[0]


def map_reduce(n):
    """Load, map, then a pairwise reduction of the mapped values."""
    dsk = {("x", i): (inc, i) for i in range(n)}
    dsk.update({("y", i): (inc, ("x", i)) for i in range(n)})
    reduction, root = tree_reduction(n, leaf="y")
    dsk.update({k: v for k, v in reduction.items() if k[0] != "y"})
    return dsk, root


def simulate(dsk, priority, workers, durations=None):
    """Run ``dsk`` on ``workers`` simulated workers picking ready tasks lowest priority first.

    Returns the largest number of results held at once (a result is held from
    its completion until all its dependents have completed; outputs are never
    released).
    """
    deps = get_all_dependencies(dsk)
    dependents = reverse_dict(deps)
    waiting = {k: len(v) for k, v in deps.items()}
    unreleased = {k: len(v) for k, v in dependents.items()}
    ready = [(priority[k], k) for k, n in waiting.items() if n == 0]
    heapq.heapify(ready)
    running = []  # (finish time, priority, key)
    held = set()
    most = now = 0
    while ready or running:
        while ready and len(running) < workers:
            p, k = heapq.heappop(ready)
            heapq.heappush(running, (now + (durations[k] if durations else 1), p, k))
        now, _, k = heapq.heappop(running)
        held.add(k)
        for d in deps[k]:
            unreleased[d] -= 1
            if unreleased[d] == 0:
                held.discard(d)
        for p in dependents[k]:
            waiting[p] -= 1
            if waiting[p] == 0:
                heapq.heappush(ready, (priority[p], p))
        most = max(most, len(held))
    assert len(held) == sum(1 for k in dsk if not dependents[k])  # only outputs remain
    return most


def random_durations(dsk, seed):
    rng = random.Random(seed)
    return {k: rng.uniform(0.5, 2.0) for k in dsk}


# --- basic properties -----------------------------------------------------------


def test_small_tree_order():
    dsk = {
        "a": 1,
        "b": 2,
        "c": 3,
        "d": 4,
        "ab": (add, "a", "b"),
        "cd": (add, "c", "d"),
        "total": (add, "ab", "cd"),
    }
    o = order(dsk)
    assert sorted(dsk, key=o.get) == ["a", "b", "ab", "c", "d", "cd", "total"]


def test_taller_dependency_first():
    dsk = {"leaf": 1, "a": 1, "b": (inc, "a"), "c": (inc, "b"), "out": (add, "leaf", "c")}
    o = order(dsk)
    assert sorted(dsk, key=o.get) == ["a", "b", "c", "leaf", "out"]


def test_outputs_in_dict_order():
    dsk = {"x": 1, "out2": (inc, "x"), "y": 2, "out1": (inc, "y")}
    o = order(dsk)
    assert sorted(dsk, key=o.get) == ["x", "out2", "y", "out1"]


def test_empty_graph():
    assert order({}) == {}


def test_uses_given_dependencies():
    o = order({"a": 1, "b": 2}, dependencies={"a": {"b"}, "b": set()})
    assert o == {"b": 0, "a": 1}


@given(random_dags())
def test_priorities_are_a_topological_numbering(dsk):
    o = order(dsk)
    assert sorted(o.values()) == list(range(len(dsk)))
    assert set(o) == set(dsk)
    for k, deps in get_all_dependencies(dsk).items():
        for d in deps:
            assert o[d] < o[k]


@given(random_dags())
def test_deterministic(dsk):
    assert order(dsk) == order(dict(dsk)) == order(dsk, get_all_dependencies(dsk))


def test_cycle_message():
    dsk = {"a": (inc, "b"), "b": (inc, "a")}
    with pytest.raises(CycleError, match="'a' -> 'b' -> 'a'"):
        order(dsk)


def test_cycle_below_a_valid_output():
    dsk = {"out": (inc, "x"), "x": (inc, "y"), "y": (add, "z", 1), "z": (inc, "x")}
    with pytest.raises(CycleError, match="'x' -> 'y' -> 'z' -> 'x'") as info:
        order(dsk)
    assert info.value.cycle == ["x", "y", "z", "x"]


def test_cycle_without_any_output():
    with pytest.raises(CycleError, match="'a' -> 'a'"):
        order({"a": (inc, "a")})


def test_deep_chain_in_reverse_dict_order():
    n = 100_000
    dsk = {i: (inc, i - 1) for i in range(n, 0, -1)}
    dsk[0] = -1
    o = order(dsk)
    assert all(o[i] == i for i in range(n + 1))


# --- memory behaviour -----------------------------------------------------------


@pytest.mark.parametrize("workers", [1, 2, 4])
def test_tree_reduction_holds_few_results(workers):
    dsk, _ = tree_reduction(4000)
    held = simulate(dsk, order(dsk), workers)
    assert held < 64
    if workers == 1:
        assert held <= 13  # about log2(4000) + 1


@pytest.mark.parametrize("workers", [2, 4])
def test_tree_reduction_with_uneven_task_durations(workers):
    dsk, _ = tree_reduction(4000)
    held = simulate(dsk, order(dsk), workers, random_durations(dsk, seed=workers))
    assert held < 64


@pytest.mark.parametrize("workers", [1, 2, 4])
def test_map_then_reduce_holds_few_results(workers):
    dsk, _ = map_reduce(2000)
    held = simulate(dsk, order(dsk), workers, random_durations(dsk, seed=1))
    assert held < 64


@pytest.mark.parametrize("workers", [1, 2, 4])
def test_several_outputs_hold_few_results(workers):
    dsk = {}
    for name in ("a", "b", "c"):
        part, _ = tree_reduction(1000, name=f"sum-{name}", leaf=f"leaf-{name}")
        dsk.update(part)
    # a per-block statistic is an output too
    dsk.update({("mean", i): (inc, ("leaf-a", i)) for i in range(0, 1000, 100)})
    o = order(dsk)
    held = simulate(dsk, o, workers, random_durations(dsk, seed=2))
    assert held < 64 + 10  # the 10 per-block outputs are never released


def test_shuffled_dict_order_holds_few_results():
    dsk, _ = tree_reduction(4000)
    keys = list(dsk)
    random.Random(0).shuffle(keys)
    shuffled = {k: dsk[k] for k in keys}
    assert simulate(shuffled, order(shuffled), 2) < 64


def test_breadth_first_priorities_would_hold_much_more():
    # the baseline that order() improves on: all leaves before any sum
    dsk, _ = tree_reduction(4000)
    breadth_first = {k: i for i, k in enumerate(dsk)}
    assert simulate(dsk, breadth_first, 2) > 1000
    assert simulate(dsk, order(dsk), 2) < 64
