"""Tests of mpiflow.array.manipulation against NumPy."""

from __future__ import annotations

import math

import numpy as np
import pytest
from array_helpers import assert_eq
from hypothesis import given, settings
from hypothesis import strategies as st

import mpiflow.array as da
from mpiflow.array.manipulation import (
    block,
    concatenate,
    expand_dims,
    moveaxis,
    ravel,
    reshape,
    squeeze,
    stack,
    swapaxes,
    transpose,
)

A = np.arange(4 * 5 * 6, dtype=float).reshape(4, 5, 6)


@pytest.fixture
def x():
    return da.from_array(A, chunks=(3, 2, 4))


def _chunks(draw, n):
    if n == 0:
        return (0,)
    cuts = sorted(draw(st.sets(st.integers(1, n - 1), max_size=3)) if n > 1 else set())
    bounds = [0, *cuts, n]
    return tuple(b - a for a, b in zip(bounds[:-1], bounds[1:], strict=True))


# --------------------------------------------------------------------------------------
# Axis order
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("axes", [None, (0, 1, 2), (2, 0, 1), (1, 0, 2), (-1, 0, 1)])
def test_transpose(x, axes):
    y = transpose(x, axes)
    assert_eq(y, np.transpose(A, axes))


def test_transpose_chunks_and_errors(x):
    assert transpose(x).chunks == ((4, 2), (2, 2, 1), (3, 1))
    with pytest.raises(ValueError, match="don't match"):
        transpose(x, (0, 1))
    with pytest.raises(ValueError, match="repeated axis"):
        transpose(x, (0, 0, 1))
    with pytest.raises(np.exceptions.AxisError, match="out of bounds"):
        transpose(x, (0, 1, 3))


@pytest.mark.parametrize("src, dst", [(0, -1), (-1, 0), ((0, 1), (2, 0)), ([2, 0], [0, 1]), (1, 1)])
def test_moveaxis(x, src, dst):
    assert_eq(moveaxis(x, src, dst), np.moveaxis(A, src, dst))


def test_moveaxis_swapaxes_errors(x):
    assert_eq(swapaxes(x, 0, -1), np.swapaxes(A, 0, -1))
    with pytest.raises(ValueError, match="same number of elements"):
        moveaxis(x, (0, 1), 2)
    with pytest.raises(np.exceptions.AxisError, match="axis 5 is out of bounds"):
        swapaxes(x, 5, 0)


@pytest.mark.parametrize("scheduler", ["threads", "processes"])
def test_schedulers(x, scheduler):
    y = concatenate([transpose(x, (1, 0, 2)), moveaxis(x, 0, 1)], axis=2)
    assert_eq(
        reshape(y, (10, -1)),
        np.concatenate([A.transpose(1, 0, 2)] * 2, 2).reshape(10, -1),
        scheduler=scheduler,
    )


# --------------------------------------------------------------------------------------
# reshape, ravel, squeeze, expand_dims
# --------------------------------------------------------------------------------------

RESHAPES = [
    ((4, 5, 6), (3, 2, 4), (20, 6)),
    ((4, 5, 6), (3, 2, 4), (4, 30)),
    ((4, 5, 6), (3, 2, 4), (120,)),
    ((4, 5, 6), (3, 2, 4), (2, 2, 5, 3, 2)),
    ((4, 5, 6), (3, 2, 4), (6, 5, 4)),
    ((4, 5, 6), (3, 2, 4), (1, 4, 1, 30, 1)),
    ((24,), (5,), (2, 3, 4)),
    ((24,), (4,), (6, -1)),
    ((6, 4), (2, 4), (3, 8)),  # blocks already line up: no rechunk
    ((6, 1, 4), (2, 1, 2), (2, 12)),
    ((1, 1), (1, 1), (1,)),
    ((3, 0, 2), (1, 1, 1), (0, 6)),
    ((12,), (12,), (3, 4)),
    ((), (), (1, 1)),
]


@pytest.mark.parametrize("shape, chunks, new", RESHAPES, ids=str)
def test_reshape(shape, chunks, new):
    a = np.arange(math.prod(shape)).reshape(shape)
    x = da.from_array(a, chunks=chunks)
    assert_eq(reshape(x, new), a.reshape(new))


def test_reshape_keeps_aligned_chunks_and_block_size():
    a = np.arange(6 * 4).reshape(6, 4)
    x = da.from_array(a, chunks=(2, 4))
    assert reshape(x, (3, 8)).chunks == ((1, 1, 1), (8,))
    assert reshape(x, (24,)).chunks == ((8, 8, 8),)
    b = np.arange(40 * 40).reshape(40, 40)
    y = reshape(da.from_array(b, chunks=10), (-1,))
    assert y.chunks == ((400,) * 4,)  # rows kept, columns merged (as Dask)
    assert_eq(y, b.ravel())
    z = reshape(da.from_array(b.ravel(), chunks=100), (40, 40))
    assert z.npartitions > 1 and z.chunksize[0] * z.chunksize[1] <= 2 * 100
    assert_eq(z, b)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_reshape_hypothesis(data):
    factors = data.draw(st.lists(st.sampled_from([1, 2, 2, 3, 5]), min_size=1, max_size=5))
    size = math.prod(factors)

    def shape_of(fs):
        perm = data.draw(st.permutations(fs))
        out, i = [], 0
        while i < len(perm):
            k = data.draw(st.integers(1, len(perm) - i))
            out.append(math.prod(perm[i : i + k]))
            i += k
        return tuple(out)

    old, new = shape_of(factors), shape_of(factors)
    a = np.arange(size).reshape(old)
    x = da.from_array(a, chunks=tuple(_chunks(data.draw, n) for n in old))
    assert_eq(reshape(x, new), a.reshape(new))
    assert_eq(ravel(x), a.ravel())


def test_reshape_errors(x):
    with pytest.raises(ValueError, match=r"cannot reshape array of size 120 into shape \(7, -1\)"):
        reshape(x, (7, -1))
    with pytest.raises(ValueError, match="sizes differ"):
        reshape(x, (2, 3))
    with pytest.raises(ValueError, match="only specify one unknown dimension"):
        reshape(x, (-1, -1, 2))
    with pytest.raises(ValueError, match="negative dimensions"):
        reshape(x, (-2, 60))
    y = x[x > 3]
    with pytest.raises(ValueError, match=r"compute_chunk_sizes\(\)"):
        reshape(y, (-1,))


@pytest.mark.parametrize("axis", [None, 0, 2, (0, 2), -1])
def test_squeeze(axis):
    a = np.arange(6).reshape(1, 6, 1)
    x = da.from_array(a, chunks=4)
    assert_eq(squeeze(x, axis), np.squeeze(a, axis))


def test_squeeze_error_and_expand_dims(x):
    with pytest.raises(ValueError, match="cannot select an axis to squeeze out"):
        squeeze(x, 1)
    assert squeeze(x) is x
    for axis in [0, -1, (0, 2), (1, -1)]:
        assert_eq(expand_dims(x, axis), np.expand_dims(A, axis))


# --------------------------------------------------------------------------------------
# concatenate, stack, block
# --------------------------------------------------------------------------------------


def test_concatenate_dtype_and_chunks():
    a = np.arange(12).reshape(3, 4)
    b = np.linspace(0, 1, 8).reshape(2, 4).astype(np.float32)
    x = da.from_array(a, chunks=(2, 3))
    y = da.from_array(b, chunks=(1, 2))  # other axis chunked differently
    z = concatenate([x, y, a], axis=0)
    assert z.dtype == np.result_type(a, b)
    assert z.chunks[0] == (2, 1, 1, 1, 3)
    assert_eq(z, np.concatenate([a, b, a], axis=0))
    assert_eq(concatenate([x, x], axis=-1), np.concatenate([a, a], axis=-1))
    assert concatenate([x]) is x


def test_concatenate_errors():
    x = da.ones((3, 4), chunks=2)
    with pytest.raises(ValueError, match="along dimension 1, the array at index 0 has size 4"):
        concatenate([x, da.ones((3, 5), chunks=2)])
    with pytest.raises(ValueError, match="same number of dimensions"):
        concatenate([x, da.ones(4, chunks=2)])
    with pytest.raises(ValueError, match="need at least one array"):
        concatenate([])
    with pytest.raises(ValueError, match="zero-dimensional"):
        concatenate([x[0, 0], x[0, 0]])
    with pytest.raises(np.exceptions.AxisError, match="out of bounds"):
        concatenate([x, x], axis=2)


def test_concatenate_unknown_chunks_along_axis():
    a = np.arange(10)
    x = da.from_array(a, chunks=4)
    y = concatenate([x[x > 5], x], axis=0)
    assert_eq(y, np.concatenate([a[a > 5], a]), check_chunks=False)


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_concatenate_hypothesis(data):
    nd = data.draw(st.integers(1, 3))
    shape = data.draw(st.lists(st.integers(1, 5), min_size=nd, max_size=nd))
    axis = data.draw(st.integers(-nd, nd - 1))
    arrays, xs = [], []
    for _ in range(data.draw(st.integers(1, 3))):
        s = list(shape)
        s[axis] = data.draw(st.integers(0, 5))
        a = np.arange(math.prod(s)).reshape(s) * data.draw(st.sampled_from([1, 1.5]))
        arrays.append(a)
        xs.append(da.from_array(a, chunks=tuple(_chunks(data.draw, n) for n in s)))
    assert_eq(concatenate(xs, axis=axis), np.concatenate(arrays, axis=axis))
    if all(a.shape == arrays[0].shape for a in arrays):
        assert_eq(stack(xs, axis=axis), np.stack(arrays, axis=axis))


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_stack(x, axis):
    assert_eq(stack([x, x + 1], axis=axis), np.stack([A, A + 1], axis=axis))


def test_stack_errors(x):
    with pytest.raises(ValueError, match="must have the same shape"):
        stack([x, x[1:]])
    with pytest.raises(ValueError, match="need at least one array"):
        stack([])


def test_block():
    a = np.arange(4).reshape(2, 2)
    x = da.from_array(a, chunks=1)
    assert_eq(block([x, a]), np.block([a, a]))
    assert_eq(block([[x, a], [a, x]]), np.block([[a, a], [a, a]]))
    v = np.arange(3)
    assert_eq(block([[da.from_array(v, chunks=2)], [v]]), np.block([[v], [v]]))
    assert_eq(block([[[x]], [[a]]]), np.block([[[a]], [[a]]]))
    assert_eq(block(x), a)


def test_block_errors():
    x = da.ones((2, 2), chunks=1)
    with pytest.raises(ValueError, match="depths are mismatched"):
        block([[x], x])
    with pytest.raises(ValueError, match="cannot be empty"):
        block([[x], []])
    with pytest.raises(TypeError, match="is a tuple"):
        block((x, x))


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_repeat(x, axis):
    assert_eq(da.repeat(x, 3, axis=axis), np.repeat(A, 3, axis=axis))
    assert_eq(x.repeat(2, axis=axis), np.repeat(A, 2, axis=axis))
    with pytest.raises(NotImplementedError, match="array of repeats"):
        da.repeat(x, [1, 2], axis=0)


def test_methods_and_array_function(x):
    assert_eq(x.T, A.T)
    assert_eq(x.transpose(1, 2, 0), A.transpose(1, 2, 0))
    assert_eq(x.reshape(20, 6), A.reshape(20, 6))
    assert_eq(x.reshape((-1, 2)), A.reshape((-1, 2)))
    assert_eq(x.ravel(), A.ravel())
    assert_eq(x[:1].squeeze(), A[:1].squeeze())
    assert_eq(x.swapaxes(0, 1), A.swapaxes(0, 1))
    z = np.concatenate([x, x], axis=1)
    assert isinstance(z, da.Array)
    assert_eq(z, np.concatenate([A, A], axis=1))
    assert_eq(np.stack([x, x]), np.stack([A, A]))
    assert_eq(np.moveaxis(x, 0, 2), np.moveaxis(A, 0, 2))
    assert_eq(np.reshape(x, (5, 24)), A.reshape(5, 24))


def test_reshape_limit():
    b = np.arange(40 * 40.0).reshape(40, 40)
    y = reshape(da.from_array(b, chunks=20), (-1,), limit=40 * 8)
    assert max(y.chunks[0]) == 40
    assert_eq(y, b.ravel())
