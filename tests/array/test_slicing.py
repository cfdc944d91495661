"""Tests of mpiflow.array.slicing: x[...] against NumPy, unknown chunks, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from array_helpers import assert_eq
from hypothesis import given, settings
from hypothesis import strategies as st

import mpiflow.array as da
from mpiflow.array.slicing import compute_chunk_sizes, getitem, require_known_chunks, take

A = np.arange(6 * 7 * 8).reshape(6, 7, 8)


@pytest.fixture
def x():
    return da.from_array(A, chunks=(2, 3, 4))


# --------------------------------------------------------------------------------------
# Basic indexing
# --------------------------------------------------------------------------------------

BASIC = [
    0,
    -1,
    slice(None),
    slice(1, 5),
    slice(None, None, 2),
    slice(None, None, -1),
    slice(5, 0, -2),
    slice(-2, None),
    slice(10, 20),  # empty
    slice(4, 1),  # empty
    slice(-100, 100, 3),
    (0, 0, 0),
    (-1, slice(None, None, -3), 2),
    (Ellipsis, 3),
    (1, Ellipsis),
    (None, 1, None, slice(2, 6), Ellipsis, None),
    (slice(None), None),
    (slice(1, None, 4), slice(None, 2), slice(7, None, -5)),
    (Ellipsis,),
    (),
    (np.int64(2), slice(np.int32(1), None)),
]


@pytest.mark.parametrize("index", BASIC, ids=repr)
def test_basic(x, index):
    assert_eq(x[index], A[index])


def test_basic_keeps_block_structure(x):
    y = x[1:5, :, ::-1]
    assert y.chunks == ((1, 2, 1), (3, 3, 1), (4, 4))
    assert x[:, 1, :].chunks == ((2, 2, 2), (4, 4))
    assert x[...] is x and x[:, :, :] is x


def test_scalar_result(x):
    y = x[1, 2, 3]
    assert y.shape == () and y.compute() == A[1, 2, 3]


class _CountingSource:
    """An array-like that records which blocks are read."""

    shape, dtype, ndim = (1000, 1000), np.dtype(float), 2

    def __init__(self):
        self.reads = []

    def __getitem__(self, index):
        self.reads.append(index)
        return np.zeros(tuple(len(range(*s.indices(1000))) for s in index))


def test_only_touched_blocks_enter_the_graph():
    src = _CountingSource()
    x = da.from_array(src, chunks=10)  # 10,000 blocks
    y = x[0, :5]
    assert len(y.graph.layers[y.name]) == 1
    assert_eq(y, np.zeros(5))
    assert src.reads == [(slice(0, 10), slice(0, 10))]
    z = x[::500, 3]
    assert z.npartitions == 2 and len(z.graph.layers[z.name]) == 2


@pytest.mark.parametrize("scheduler", ["threads", "processes"])
def test_schedulers(x, scheduler):
    assert_eq(x[1:, None, ::-2, 3], A[1:, None, ::-2, 3], scheduler=scheduler)
    assert_eq(x[[4, 0, 4], 1], A[[4, 0, 4], 1], scheduler=scheduler)


def _chunks(draw, n):
    if n == 0:
        return (0,)
    cuts = sorted(draw(st.sets(st.integers(1, n - 1), max_size=4)) if n > 1 else set())
    bounds = [0, *cuts, n]
    return tuple(b - a for a, b in zip(bounds[:-1], bounds[1:], strict=True))


@st.composite
def arrays_and_basic_indices(draw):
    shape = tuple(draw(st.lists(st.integers(0, 9), min_size=1, max_size=3)))
    chunks = tuple(_chunks(draw, n) for n in shape)
    index = []
    for n in shape:
        if draw(st.integers(0, 4)) == 4:
            index.append(None)
        kind = draw(st.sampled_from(["int", "slice", "slice"] if n else ["slice"]))
        if kind == "int":
            index.append(draw(st.integers(-n, n - 1)))
        else:
            bound = st.none() | st.integers(-12, 12)
            step = st.none() | st.integers(-4, 4).filter(bool)
            index.append(slice(draw(bound), draw(bound), draw(step)))
    k = len(index)
    cut = draw(st.integers(0, k))
    if draw(st.booleans()):
        index = [*index[:cut], Ellipsis]  # trailing axes through Ellipsis
    return shape, chunks, tuple(index)


@settings(max_examples=60, deadline=None)
@given(arrays_and_basic_indices())
def test_basic_hypothesis(args):
    shape, chunks, index = args
    a = np.arange(math.prod(shape)).reshape(shape)
    x = da.from_array(a, chunks=chunks)
    assert_eq(x[index], a[index])


# --------------------------------------------------------------------------------------
# Integer and boolean arrays
# --------------------------------------------------------------------------------------

FANCY = [
    [0, 5, 2],
    [5, 4, 4, 0, 1],
    [-1, -6],
    [],
    np.array([1, 2, 3, 4]),
    (slice(None), [6, 0, 3]),
    (1, slice(None), [7, 7, 0]),  # int and array not adjacent: array's axis goes first
    (slice(None), [1, 2], 0),
    (0, [1, 2]),
    (Ellipsis, [0, 3]),
    (None, [2, 0], None),
    (np.array([[0, 1], [5, 3]]),),
    (slice(1, 3), np.array([[0, 6], [2, 2], [5, 1]])),
    ([0, 2], [1, 3]),  # several arrays: NumPy's zipped semantics
    ([0, 2], slice(None), [1, 3]),
    ([[0], [2]], [1, 3, 0]),
    (slice(None), [1, 3], [[0], [7]]),
    (1, [0, 2], 3),
    ([0, 2], 1, [1, 3]),
    np.array([True, False, True, True, False, False]),
    (slice(None), np.arange(7) % 2 == 0),
    (A[:, :, 0] % 3 == 0,),
    (A % 5 == 0,),
    (slice(2, 4), A[0] % 3 == 0),
]


@pytest.mark.parametrize("index", FANCY, ids=repr)
def test_fancy(x, index):
    assert_eq(x[index], A[index])


def test_unsorted_index_chunking():
    a = np.arange(100)
    x = da.from_array(a, chunks=10)
    idx = np.random.default_rng(0).integers(0, 100, size=55)
    y = x[idx]
    assert max(y.chunks[0]) <= 10
    assert_eq(y, a[idx])
    y = x[np.arange(95, 5, -1) // 2 * 2]
    assert_eq(y, a[np.arange(95, 5, -1) // 2 * 2])
    s = x[[3, 3, 3, 4, 40, 41, 99]]  # sorted: one chunk per touched block
    assert s.chunks == ((4, 2, 1),)
    assert_eq(s, a[[3, 3, 3, 4, 40, 41, 99]])


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_take_hypothesis(data):
    shape = tuple(data.draw(st.lists(st.integers(1, 8), min_size=1, max_size=3)))
    chunks = tuple(_chunks(data.draw, n) for n in shape)
    axis = data.draw(st.integers(0, len(shape) - 1))
    n = shape[axis]
    idx = data.draw(st.lists(st.integers(-n, n - 1), max_size=12))
    a = np.arange(math.prod(shape)).reshape(shape)
    x = da.from_array(a, chunks=chunks)
    assert_eq(take(x, idx, axis=axis), np.take(a, idx, axis=axis))
    index = (slice(None),) * axis + (np.array(idx, dtype=int),)
    assert_eq(x[index], a[index])


@st.composite
def arrays_and_fancy_indices(draw):
    shape = tuple(draw(st.lists(st.integers(1, 6), min_size=1, max_size=3)))
    chunks = tuple(_chunks(draw, n) for n in shape)
    length = draw(st.integers(0, 4))  # zipped integer arrays share one length
    index, arrays = [], 0
    for n in shape:
        kinds = ["int", "slice"] + ["list"] * (arrays < 2) + ["bool"] * (arrays == 0)
        kind = draw(st.sampled_from(kinds))
        if kind == "int":
            index.append(draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            step = st.none() | st.integers(-3, 3).filter(bool)
            index.append(slice(draw(st.none() | st.integers(-8, 8)), None, draw(step)))
        elif kind == "list":
            arrays += 1
            ints = st.integers(-n, n - 1)
            index.append(draw(st.lists(ints, min_size=length, max_size=length)))
        else:
            arrays = 2  # one boolean mask only: its length is data dependent
            index.append(np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n))))
    return shape, chunks, tuple(index)


@settings(max_examples=50, deadline=None)
@given(arrays_and_fancy_indices())
def test_fancy_hypothesis(args):
    shape, chunks, index = args
    a = np.arange(math.prod(shape)).reshape(shape)
    x = da.from_array(a, chunks=chunks)
    assert_eq(x[index], a[index])


def test_mpiflow_bool_mask():
    a = np.arange(20)
    x = da.from_array(a, chunks=6)
    y = x[x % 3 == 1]
    assert all(math.isnan(c) for c in y.chunks[0]) and len(y.chunks[0]) == 4
    assert_eq(y, a[a % 3 == 1], check_chunks=False)
    b = A % 4 == 0
    m = da.from_array(b, chunks=(3, 7, 2))  # chunks differ from x's
    xx = da.from_array(A, chunks=(2, 3, 4))
    assert_eq(xx[m], A[b], check_chunks=False)
    col = da.from_array(np.arange(7) > 3, chunks=2)
    assert_eq(xx[:, col], A[:, np.arange(7) > 3], check_chunks=False)
    assert_eq(xx[1, col, 2:], A[1, np.arange(7) > 3, 2:], check_chunks=False)


def test_mpiflow_int_index():
    a = np.arange(30).reshape(10, 3)
    x = da.from_array(a, chunks=(4, 2))
    i = np.array([9, 0, -1, 4, 4])
    y = x[da.from_array(i, chunks=2)]
    assert y.chunks == ((2, 2, 1), (2, 1))
    assert_eq(y, a[i])
    assert_eq(x[:, da.from_array(np.array([2, 0]), chunks=1)], a[:, [2, 0]])
    with pytest.raises(IndexError, match="out of bounds"):
        x[da.from_array(np.array([10]), chunks=1)].compute(scheduler="sync")


def test_compute_chunk_sizes_and_errors():
    a = np.arange(20)
    x = da.from_array(a, chunks=6)
    y = x[x > 7]
    with pytest.raises(ValueError, match=r"compute_chunk_sizes\(\)"):
        y[2:5]
    with pytest.raises(ValueError, match="unknown .NaN. chunk sizes"):
        require_known_chunks(y, "this")
    assert_eq(y[:], a[a > 7], check_chunks=False)  # a full slice needs no sizes
    z = compute_chunk_sizes(y)
    assert z.chunks == ((0, 4, 6, 2),)
    assert_eq(z[2:5], a[a > 7][2:5])
    assert compute_chunk_sizes(x) is x


# --------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "index, exc, match",
    [
        (6, IndexError, "index 6 is out of bounds for axis 0 with size 6"),
        ((0, -8), IndexError, "index -8 is out of bounds for axis 1 with size 7"),
        ([0, 6], IndexError, "index 6 is out of bounds for axis 0"),
        ((slice(None), [-9]), IndexError, "index -9 is out of bounds for axis 1"),
        ((0, 0, 0, 0), IndexError, "too many indices"),
        ((Ellipsis, 0, Ellipsis), IndexError, "single ellipsis"),
        (1.5, IndexError, "only integers, slices"),
        ("a", IndexError, "only integers, slices"),
        ([1.5], IndexError, "integer or boolean type"),
        (slice(None, None, 0), ValueError, "slice step cannot be zero"),
        (np.ones(5, bool), IndexError, "boolean index did not match"),
        (True, NotImplementedError, "scalar boolean"),
    ],
)
def test_errors(x, index, exc, match):
    with pytest.raises(exc, match=match):
        x[index]


def test_error_mixing_lazy_and_other_arrays(x):
    i = da.from_array(np.array([0, 1]), chunks=1)
    with pytest.raises(NotImplementedError, match="one axis at a time"):
        x[i, [0, 1]]
    with pytest.raises(IndexError, match="integer or boolean"):
        x[da.from_array(np.array([0.5]), chunks=1)]
    m = da.from_array(A[:, :, 0] > 3, chunks=2)
    with pytest.raises(NotImplementedError, match="whole array"):
        x[m]


def test_getitem_function_and_take_axis_error(x):
    assert_eq(getitem(x, (slice(None, None, -1), 2)), A[::-1, 2])
    with pytest.raises(np.exceptions.AxisError, match="axis 3 is out of bounds"):
        take(x, [0], axis=3)


# --------------------------------------------------------------------------------------
# vindex, nonzero, methods
# --------------------------------------------------------------------------------------


def test_vindex(x):
    assert_eq(x.vindex[[0, 5, 2], [1, 1, 6]], A[[0, 5, 2], [1, 1, 6]])
    # the broadcast axes come first, unlike NumPy's x[:, [..], [..]]... when adjacent
    got = x.vindex[:, [0, 2], [1, 3]]
    assert got.shape == (2, 6)
    assert_eq(got, np.moveaxis(A[:, [0, 2], [1, 3]], 1, 0))
    assert_eq(x.vindex[[[1], [4]], 0, [2, 3, 7]], A[[[1], [4]], 0, [2, 3, 7]])
    with pytest.raises(IndexError, match="at least one integer or boolean array"):
        x.vindex[0, 1:]


@pytest.mark.parametrize("shape, chunks", [((11,), 4), ((5, 6), (2, 4)), ((3, 1, 4), 2)])
def test_nonzero_family(shape, chunks):
    a = np.arange(math.prod(shape)).reshape(shape) % 3 == 0
    x = da.from_array(a, chunks=chunks)
    got = da.nonzero(x)
    assert len(got) == a.ndim
    for g, e in zip(got, np.nonzero(a), strict=True):
        assert_eq(g, e, check_chunks=False)
    assert_eq(da.flatnonzero(x), np.flatnonzero(a), check_chunks=False)
    assert_eq(da.argwhere(x), np.argwhere(a), check_chunks=False)
    assert_eq(x.nonzero()[0], np.nonzero(a)[0], check_chunks=False)


def test_array_methods(x):
    y = x[x[:, 0, 0] > 100]
    assert math.isnan(y.shape[0])
    assert y.compute_chunk_sizes() is y and y.chunks[0] == (0, 2, 2)
    assert_eq(y, A[A[:, 0, 0] > 100])
    assert_eq(np.take(x, [1, 0], axis=2), np.take(A, [1, 0], axis=2))
