"""Tests of mpiflow.array.rechunk: values against NumPy, the stage plan's bounds, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from array_helpers import assert_eq
from hypothesis import given, settings
from hypothesis import strategies as st

import mpiflow.array as da
from mpiflow.array.core import new_array
from mpiflow.array.rechunk import _fanin, _plan, rechunk
from mpiflow.core.spec import get_dependencies

A = np.arange(8 * 9 * 5, dtype="f8").reshape(8, 9, 5)


@pytest.fixture
def x():
    return da.from_array(A, chunks=(3, 4, 5))


@pytest.mark.parametrize(
    ("spec", "chunks"),
    [
        ((4, 9, 1), ((4, 4), (9,), (1,) * 5)),
        (2, ((2,) * 4, (2, 2, 2, 2, 1), (2, 2, 1))),
        ({0: 8}, ((8,), (4, 4, 1), (5,))),
        ({-1: 2, 1: None}, ((3, 3, 2), (4, 4, 1), (2, 2, 1))),
        ((None, -1, None), ((3, 3, 2), (9,), (5,))),
        (((1, 7), (2, 7), (5,)), ((1, 7), (2, 7), (5,))),
        (-1, ((8,), (9,), (5,))),
        ("auto", ((8,), (9,), (5,))),
        ("80B", None),
    ],
)
def test_specs(x, spec, chunks):
    y = rechunk(x, spec)
    if chunks is not None:
        assert y.chunks == chunks
    assert_eq(y, A)
    assert_eq(x.rechunk(spec), A)


def test_noop_returns_same_array(x):
    assert rechunk(x, (3, 4, 5)) is x
    assert rechunk(x, {}) is x
    assert rechunk(x, ((3, 3, 2), None, -1)) is x


def test_unchanged_blocks_are_aliases_and_views():
    a = np.arange(24).reshape(4, 6)
    x = da.from_array(a, chunks=(2, 3))
    y = x.rechunk(((2, 2), (1, 2, 3)))
    layer = dict(y.graph)
    assert layer[(y.name, 1, 2)] == (x.name, 1, 1)  # an alias of the unchanged block
    assert layer[(y.name, 1, 0)][1] == (x.name, 1, 0)  # a view into one block
    assert_eq(y, a)
    assert_eq(y.persist(scheduler="sync"), a)


def test_balance():
    y = da.from_array(np.arange(10), chunks=4).rechunk(4, balance=True)
    assert y.chunks == ((4, 3, 3),)
    assert_eq(y, np.arange(10))


def test_zero_length_axes():
    z = np.zeros((0, 4))
    y = da.from_array(z, chunks=(1, 2))
    assert_eq(y.rechunk((2, 4)), z)
    e = da.from_array(np.arange(5), chunks=((2, 0, 3),))
    assert_eq(e.rechunk(((1, 4),)), np.arange(5))
    assert_eq(e.rechunk(((0, 5, 0),)), np.arange(5))


@pytest.mark.parametrize("scheduler", ["threads", "processes"])
def test_schedulers(x, scheduler):
    assert_eq(x.rechunk((2, 3, 1)), A, scheduler=scheduler)


def _random_chunks(draw, n):
    if n == 0:
        return (0,)
    cuts = sorted(set(draw(st.lists(st.integers(1, n - 1), max_size=n)) if n > 1 else []))
    bounds = [0, *cuts, n]
    return tuple(b - a for a, b in zip(bounds, bounds[1:], strict=False))


@st.composite
def rechunk_cases(draw):
    shape = tuple(draw(st.lists(st.integers(0, 10), min_size=1, max_size=3)))
    old = tuple(_random_chunks(draw, n) for n in shape)
    new = tuple(_random_chunks(draw, n) for n in shape)
    return shape, old, new, draw(st.integers(2, 5))


@settings(max_examples=40, deadline=None)
@given(rechunk_cases())
def test_hypothesis_random_chunkings(case):
    shape, old, new, threshold = case
    a = np.arange(math.prod(shape)).reshape(shape)
    y = da.from_array(a, chunks=old).rechunk(new, threshold=threshold)
    assert y.chunks == new
    assert_eq(y, a)


# --------------------------------------------------------------------------------------
# The plan: bounded fan-in, no giant intermediate, bounded graph
# --------------------------------------------------------------------------------------


def _max_task_fanin(y):
    dsk = dict(y.graph)
    return max(len(get_dependencies(dsk, k)) for k in dsk)


def test_rows_to_columns_is_one_stage_without_giant_block():
    old = ((1000,) * 10, (10000,))
    new = ((10000,), (1000,) * 10)
    assert _plan(old, new, 8, 32, 2**27) == [new]
    x = new_array("src", {("src", i, 0): None for i in range(10)}, old, "f8")
    y = x.rechunk(new)
    dsk = dict(y.graph)
    assert _max_task_fanin(y) == 10
    merges = [k for k in dsk if k[0] == y.name]
    assert len(merges) == 10  # ten 80 MB column blocks, never one 800 MB block
    assert len(dsk) == 10 + 10 + 100  # inputs, outputs, split pieces


@pytest.mark.parametrize("limit", [2**27, 8 * 4000])
def test_tiny_blocks_go_through_few_bounded_stages(limit):
    old = ((1,) * 1000, (1000,))
    new = ((1000,), (1,) * 1000)
    assert _fanin(old, new) == 1000
    plan = _plan(old, new, 8, 32, limit)
    assert len(plan) == 2 and plan[-1] == new
    for a, b in zip([old, *plan], plan, strict=False):
        assert _fanin(a, b) <= 32
        assert max(b[0]) * max(b[1]) * 8 <= limit  # no block above the limit


def test_tiny_transpose_task_count():
    x = da.ones((2000, 2000), chunks=(1, 2000))
    y = x.rechunk((2000, 1))
    tasks = sum(len(layer) for layer in y.graph.layers.values())
    assert tasks < 5 * 2000  # 8,065: 2,000 inputs, 63 + 2 merges, 2,000 outputs of 2 pieces
    assert _max_task_fanin(y) <= 32


def test_multi_stage_graph_bounds_fanin_and_values():
    a = np.arange(60 * 60).reshape(60, 60)
    x = da.from_array(a, chunks=(1, 60))
    y = x.rechunk((60, 1), threshold=4)
    assert _max_task_fanin(y) <= 2 * 4
    assert len(dict(y.graph)) < 20 * 60 * 4
    assert_eq(y, a)


def test_direct_merge_fanin_bounded():
    a = np.arange(1000)
    y = da.from_array(a, chunks=1).rechunk(1000, threshold=10)
    assert _max_task_fanin(y) <= 10
    assert_eq(y, a)


# --------------------------------------------------------------------------------------
# Unknown chunks and bad input
# --------------------------------------------------------------------------------------


def _unknown():
    layer = {("u", i, 0): (np.ones, (2, 4)) for i in range(3)}
    return new_array("u", layer, ((math.nan,) * 3, (4,)), "f8")


def test_unknown_axes_kept():
    y = _unknown().rechunk({1: 1})
    assert y.chunks[1] == (1, 1, 1, 1) and all(math.isnan(c) for c in y.chunks[0])
    np.testing.assert_array_equal(y.compute(scheduler="sync"), np.ones((6, 4)))


def test_unknown_chunks_refused():
    with pytest.raises(ValueError, match=r"unknown \(NaN\).*compute_chunk_sizes\(\)"):
        _unknown().rechunk({0: 2})
    with pytest.raises(ValueError, match="compute_chunk_sizes"):
        _unknown().rechunk(2)


def test_bad_specs(x):
    with pytest.raises(ValueError, match="add up to 7 but the axis has length 8"):
        x.rechunk(((4, 3), 9, 5))
    with pytest.raises(ValueError, match="has 2 entries but the array has 3 dimensions"):
        x.rechunk((2, 2))
    with pytest.raises(ValueError, match="names axes \\[3\\]"):
        x.rechunk({3: 2})
    with pytest.raises(ValueError, match="negative"):
        x.rechunk((-2, 2, 2))
    with pytest.raises(ValueError, match="cannot read 'lots'"):
        x.rechunk("lots")
    with pytest.raises(ValueError, match="threshold=1 must be a number >= 2"):
        x.rechunk(2, threshold=1)
    with pytest.raises(NotImplementedError, match="method='p2p'"):
        x.rechunk(2, method="p2p")
    with pytest.raises(TypeError, match="expects an mpiflow Array"):
        rechunk(A, 2)
