"""Tests for mpiflow.core.order: validity, determinism and memory behaviour."""

import heapq
import random
from operator import add

import pytest
from hypothesis import given
from strategies import random_dags

from mpiflow.core.errors import CycleError
from mpiflow.core.order import SHARED_LIMIT, order
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


# --- shared inputs ----------------------------------------------------------------


def x_plus_transpose(n):
    """Blocks of ``(x + x.T).sum()`` on an ``n`` x ``n`` grid; returns (dsk, root)."""
    dsk = {("x", i, j): (inc, i * n + j) for i in range(n) for j in range(n)}
    dsk.update({("s", i, j): (add, ("x", i, j), ("x", j, i)) for i in range(n) for j in range(n)})
    level = [("s", i, j) for i in range(n) for j in range(n)]
    depth = 0
    while len(level) > 1:
        depth += 1
        nxt = [("sum", depth, j) for j in range(len(level) // 2)]
        dsk.update({key: (add, level[2 * j], level[2 * j + 1]) for j, key in enumerate(nxt)})
        level = nxt + level[len(level) - len(level) % 2 :]
    return dsk, level[0]


def most_live_leaves(dsk, priority):
    """Run ``dsk`` one task at a time in ``priority`` order; the most leaves held at once.

    A leaf (a key without dependencies) is held from when it runs until its
    last dependent has run.
    """
    deps = get_all_dependencies(dsk)
    dependents = reverse_dict(deps)
    unreleased = {k: len(v) for k, v in dependents.items()}
    live = most = 0
    for k in sorted(dsk, key=priority.__getitem__):
        if not deps[k]:
            live += 1
        for d in deps[k]:
            unreleased[d] -= 1
            if unreleased[d] == 0 and not deps[d]:
                live -= 1
        most = max(most, live)
    return most


def test_x_plus_transpose_graph_shape():
    dsk, root = x_plus_transpose(3)
    deps = get_all_dependencies(dsk)
    assert deps[("s", 0, 1)] == {("x", 0, 1), ("x", 1, 0)}
    assert [k for k in dsk if not reverse_dict(deps)[k]] == [root]


def test_x_plus_transpose_uses_both_blocks_before_new_ones():
    # s(i, j) and s(j, i) need the same two blocks: once both exist, the
    # second sum runs before any new block is made
    dsk, _ = x_plus_transpose(10)
    o = order(dsk)
    for i in range(10):
        for j in range(i + 1, 10):
            first, second = sorted([("s", i, j), ("s", j, i)], key=o.get)
            assert o[second] == o[first] + 1
    assert most_live_leaves(dsk, o) <= 2


def test_x_plus_transpose_holds_few_blocks():
    # depth first alone does the upper triangle first and holds the lower
    # one's blocks of x until it gets there: about n * (n - 1) / 2
    dsk, _ = x_plus_transpose(30)
    assert most_live_leaves(dsk, order(dsk)) <= 2


def test_ready_dependents_of_a_shared_input_come_next():
    # 'a' feeds five sums; each sum is numbered as soon as its inputs are
    dsk = {"a": 1, **{f"b{i}": i for i in range(5)}}
    dsk.update({f"s{i}": (add, "a", f"b{i}") for i in range(5)})
    dsk["total"] = (sum, [f"s{i}" for i in range(5)])
    o = order(dsk)
    seq = sorted(dsk, key=o.get)
    assert seq == ["a", "b0", "s0", "b1", "s1", "b2", "s2", "b3", "s3", "b4", "s4", "total"]


def test_a_wide_shared_input_is_not_scanned():
    # 'a' has more dependents than SHARED_LIMIT: plain depth-first order
    n = SHARED_LIMIT + 1
    dsk = {"a": 1, **{f"b{i}": i for i in range(n)}}
    dsk.update({f"s{i}": (add, "a", f"b{i}") for i in range(n)})
    dsk.update({f"t{i}": (add, "b0", f"s{i}") for i in range(n)})
    o = order(dsk)
    assert sorted(o.values()) == list(range(len(dsk)))
    for k, ds in get_all_dependencies(dsk).items():
        assert all(o[d] < o[k] for d in ds)
