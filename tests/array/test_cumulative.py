"""cumsum/cumprod (+ nan forms) of mpiflow.array compared with NumPy."""

from __future__ import annotations

import math

import numpy as np
import pytest
from array_helpers import assert_eq
from hypothesis import given, settings
from hypothesis import strategies as st

import mpiflow.array as da
from mpiflow.array import cumulative as C

FUNCS = ["cumsum", "cumprod", "nancumsum", "nancumprod"]


@st.composite
def chunked(draw):
    ndim = draw(st.integers(1, 3))
    shape = tuple(draw(st.integers(0, 6)) for _ in range(ndim))
    chunks = []
    for n in shape:
        parts, left = [], n
        while left > 0:
            c = draw(st.integers(1, left))
            parts.append(c)
            left -= c
        chunks.append(tuple(parts) or (0,))
    x = np.random.default_rng(draw(st.integers(0, 999))).uniform(0.5, 1.5, shape)
    return x, tuple(chunks)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_scans_match_numpy(data):
    x, chunks = data.draw(chunked())
    if data.draw(st.booleans()):
        x[np.random.default_rng(2).random(x.shape) < 0.3] = np.nan
    func = data.draw(st.sampled_from(FUNCS))
    axis = data.draw(st.one_of(st.none(), st.integers(-x.ndim, x.ndim - 1)))
    d = da.from_array(x, chunks=chunks)  # axis=None on n-d scans x.ravel()
    assert_eq(getattr(C, func)(d, axis=axis), getattr(np, func)(x, axis=axis))


@pytest.mark.parametrize("scheduler", ["threads", "processes"])
def test_scans_under_schedulers(scheduler):
    x = np.arange(1, 41, dtype=float).reshape(8, 5) / 10
    d = da.from_array(x, chunks=(3, 2))
    assert_eq(C.cumsum(d, axis=0), np.cumsum(x, axis=0), scheduler)
    assert_eq(C.cumprod(d, axis=1), np.cumprod(x, axis=1), scheduler)


def test_dtypes_and_methods():
    x = np.arange(12, dtype=np.int8).reshape(3, 4)
    d = da.from_array(x, chunks=2)
    assert_eq(C.cumsum(d, axis=1), np.cumsum(x, axis=1))
    assert_eq(C.cumsum(d, axis=0, dtype=np.float32), np.cumsum(x, axis=0, dtype=np.float32))
    assert_eq(C.cumprod(d > 3, axis=0), np.cumprod(x > 3, axis=0))
    assert_eq(np.cumsum(d, axis=0), np.cumsum(x, axis=0))  # __array_function__
    assert_eq(d.cumsum(axis=1), x.cumsum(axis=1))


def test_unknown_chunks_and_empty():
    x = np.arange(10.0)
    d = da.from_array(x, chunks=3)
    u = d[d > 3]
    assert math.isnan(u.chunks[0][0])
    np.testing.assert_array_equal(C.cumsum(u).compute(), np.cumsum(x[x > 3]))
    e = da.from_array(np.zeros((0, 3)), chunks=2)
    assert_eq(C.cumsum(e, axis=0), np.cumsum(np.zeros((0, 3)), axis=0))
    z = da.from_array(np.array([1.0, 2.0, 3.0]), chunks=((1, 0, 2),))
    assert_eq(C.cumsum(z), np.array([1.0, 3.0, 6.0]))


def test_bad_input():
    d = da.from_array(np.ones((3, 4)), chunks=2)
    with pytest.raises(np.exceptions.AxisError, match="axis 2 is out of bounds"):
        C.cumsum(d, axis=2)
    with pytest.raises(TypeError, match="axis must be None or an int"):
        C.cumprod(d, axis=(0, 1))
    with pytest.raises(NotImplementedError, match="method='blelloch'"):
        C.cumsum(d, axis=0, method="blelloch")
    with pytest.raises(NotImplementedError, match="out="):
        C.cumsum(d, axis=0, out=np.empty((3, 4)))
