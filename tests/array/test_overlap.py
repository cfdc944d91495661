"""Tests of mpiflow.array.overlap: overlap, trim_internal and map_overlap against NumPy."""

from __future__ import annotations

import math

import numpy as np
import pytest
from array_helpers import assert_eq
from hypothesis import given, settings
from hypothesis import strategies as st

import mpiflow.array as da
from mpiflow.array.overlap import map_overlap, overlap, trim_internal

_PAD_MODE = {"reflect": "symmetric", "periodic": "wrap", "nearest": "edge"}


def _expected_overlap(a, chunks, depth, boundary):
    """Each block of ``a`` extended by ``depth`` per axis, the blocks joined again."""
    for axis, d in enumerate(depth):
        if not d:
            continue
        width = [(0, 0)] * a.ndim
        if boundary == "none":
            padded = a
        else:
            width[axis] = (d, d)
            if isinstance(boundary, str):
                padded = np.pad(a, width, mode=_PAD_MODE[boundary])
            else:
                padded = np.pad(a, width, mode="constant", constant_values=boundary)
        off = 0 if boundary == "none" else d
        n = a.shape[axis]
        parts, lo = [], 0
        for c in chunks[axis]:
            start, stop = lo + off - d, lo + c + off + d
            if boundary == "none":
                start, stop = max(start, 0), min(stop, n)
            parts.append(np.take(padded, np.arange(start, stop), axis=axis))
            lo += c
        a = np.concatenate(parts, axis=axis)
    return a


def _chunks(draw, n, smallest=1):
    cuts = sorted(draw(st.sets(st.integers(1, n - 1), max_size=3)) if n > 1 else set())
    bounds = [0, *cuts, n]
    return tuple(b - a for a, b in zip(bounds[:-1], bounds[1:], strict=True))


@pytest.mark.parametrize("boundary", ["none", "reflect", "periodic", "nearest", -1])
def test_overlap_1d(boundary):
    a = np.arange(10)
    x = da.from_array(a, chunks=((3, 3, 4),))
    y = overlap(x, depth=2, boundary=boundary)
    expected = _expected_overlap(a, ((3, 3, 4),), (2,), boundary)
    assert_eq(y, expected)
    assert_eq(trim_internal(y, 2, boundary), a)


@pytest.mark.parametrize("boundary", ["none", "reflect", "periodic", "nearest", 0.5])
def test_overlap_2d_corners(boundary):
    a = np.arange(7 * 8, dtype=float).reshape(7, 8)
    chunks = ((3, 4), (2, 3, 3))
    x = da.from_array(a, chunks=chunks)
    y = overlap(x, depth={0: 1, 1: 2}, boundary=boundary)
    assert_eq(y, _expected_overlap(a, chunks, (1, 2), boundary))


def test_per_axis_boundary_and_depth_forms():
    a = np.arange(24).reshape(4, 6)
    x = da.from_array(a, chunks=(2, 3))
    y = overlap(x, depth=(1, 0), boundary={0: "periodic"})
    assert_eq(y, _expected_overlap(a, x.chunks, (1, 0), "periodic"))
    z = overlap(x, depth={-1: 1}, boundary=("none", "nearest"))
    assert_eq(z, _expected_overlap(a, x.chunks, (0, 1), "nearest"))
    assert overlap(x, depth=0) is x


def test_depth_larger_than_chunks_rechunks():
    a = np.arange(10)
    x = da.from_array(a, chunks=((1, 2, 1, 3, 3),))
    y = overlap(x, depth=2, boundary="reflect")
    assert all(c >= 2 + 2 * 2 for c in y.chunks[0])
    result = map_overlap(lambda b: b * 2, x, depth=2, boundary="reflect", dtype=x.dtype)
    assert_eq(result, a * 2)


def _stencil(b):
    """Each element plus its neighbours within the block (edges wrap inside the block)."""
    out = b.copy()
    for axis in range(b.ndim):
        out = out + np.roll(b, 1, axis) + np.roll(b, -1, axis)
    return out


def _global_stencil(a, boundary):
    mode = _PAD_MODE.get(boundary)
    p = np.pad(a, 1, mode=mode) if mode else np.pad(a, 1, mode="constant", constant_values=boundary)
    core = tuple(slice(1, -1) for _ in range(a.ndim))
    return _stencil(p)[core]


@pytest.mark.parametrize("boundary", ["reflect", "periodic", "nearest", 0])
def test_map_overlap_stencil(boundary):
    a = np.arange(9 * 7, dtype=float).reshape(9, 7) ** 1.5
    x = da.from_array(a, chunks=(4, 3))
    y = map_overlap(_stencil, x, depth=1, boundary=boundary, dtype=x.dtype)
    assert_eq(y, _global_stencil(a, boundary))


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_map_overlap_hypothesis(data):
    shape = tuple(data.draw(st.lists(st.integers(2, 9), min_size=1, max_size=2)))
    chunks = tuple(_chunks(data.draw, n) for n in shape)
    boundary = data.draw(st.sampled_from(["reflect", "periodic", "nearest", 3]))
    a = np.arange(math.prod(shape)).reshape(shape) % 7
    x = da.from_array(a, chunks=chunks)
    y = map_overlap(_stencil, x, depth=1, boundary=boundary, dtype=x.dtype)
    assert_eq(y, _global_stencil(a, boundary), check_chunks=True)
    d = tuple(data.draw(st.integers(0, n)) for n in shape)
    assert_eq(
        overlap(x, depth=d, boundary="none"),
        _expected_overlap(a, _rechunked(chunks, d), d, "none"),
    )


def _rechunked(chunks, depth):
    from mpiflow.array.overlap import _min_chunks

    return tuple(_min_chunks(c, d) if d else c for c, d in zip(chunks, depth, strict=True))


def test_map_overlap_none_boundary_and_kwargs():
    a = np.arange(12.0)
    x = da.from_array(a, chunks=4)

    def shift_sum(b, k=1):
        return b + k * np.roll(b, 1)

    y = map_overlap(shift_sum, x, depth=1, boundary="none", k=10, dtype=x.dtype)
    expected = a + 10 * np.roll(a, 1)
    expected[0] = a[0] + 10 * a[4]  # the first block has no left neighbour: it wraps
    assert_eq(y, expected)


def test_map_overlap_two_arrays_and_legacy_order():
    a = np.arange(10.0)
    b = a[::-1].copy()
    x, y = da.from_array(a, chunks=3), da.from_array(b, chunks=5)
    z = map_overlap(np.add, x, y, depth=1, boundary="periodic", dtype=float)
    assert_eq(z, a + b)
    assert_eq(map_overlap(x, np.negative, depth=1, boundary="nearest", dtype=float), -a)
    untrimmed = map_overlap(np.negative, x, depth=1, boundary=0, trim=False, dtype=float)
    assert untrimmed.chunks == ((5, 5, 5, 3),)


@pytest.mark.parametrize("scheduler", ["threads", "processes"])
def test_schedulers(scheduler):
    a = np.arange(30.0).reshape(5, 6)
    x = da.from_array(a, chunks=2)
    y = map_overlap(_stencil, x, depth=1, boundary="periodic", dtype=x.dtype)
    assert_eq(y, _global_stencil(a, "periodic"), scheduler=scheduler)


def test_errors():
    x = da.from_array(np.arange(10), chunks=5)
    with pytest.raises(ValueError, match="unknown boundary 'wrap'"):
        overlap(x, 1, boundary="wrap")
    with pytest.raises(ValueError, match="non-negative integer"):
        overlap(x, -1)
    with pytest.raises(NotImplementedError, match="asymmetric depth"):
        overlap(x, {0: (1, 2)})
    with pytest.raises(ValueError, match="one depth per axis"):
        overlap(x, (1, 1))
    with pytest.raises(ValueError, match="larger than the array's length 10"):
        overlap(x, 11, boundary="reflect")
    with pytest.raises(TypeError, match="boundary must be"):
        overlap(x, 1, boundary=object())
    with pytest.raises(NotImplementedError, match="different shapes"):
        map_overlap(np.add, x, x[1:], depth=1)
    with pytest.raises(ValueError, match=r"compute_chunk_sizes\(\)"):
        overlap(x[x > 2], 1)
    with pytest.raises(ValueError, match="larger than the smallest chunk"):
        overlap(da.from_array(np.arange(10), chunks=((1, 9),)), 2, allow_rechunk=False)
    with pytest.raises(ValueError, match="needs at least one array"):
        map_overlap(np.negative, depth=1)


def test_method_and_namespace():
    a = np.arange(12.0).reshape(3, 4)
    x = da.from_array(a, chunks=2)
    y = x.map_overlap(_stencil, depth=1, boundary="nearest", dtype=x.dtype)
    assert_eq(y, _global_stencil(a, "nearest"))
    assert da.map_overlap is map_overlap
