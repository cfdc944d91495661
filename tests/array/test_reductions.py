"""Tree reductions of mpiflow.array compared with NumPy on the same data."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from array_helpers import assert_eq
from hypothesis import given, settings
from hypothesis import strategies as st

import mpiflow.array as da
from mpiflow.array import reductions as R
from mpiflow.array.reductions_tree import normalize_split_every

SIMPLE = ["sum", "prod", "min", "max", "any", "all", "mean", "var", "std"]
NAN = ["nansum", "nanprod", "nanmin", "nanmax", "nanmean", "nanvar", "nanstd"]
ARG = ["argmin", "argmax", "nanargmin", "nanargmax"]


@st.composite
def chunked(draw, max_ndim=3, max_side=7, zero_chunks=True):
    """(numpy array, chunks) with random shape and a random chunking per axis."""
    ndim = draw(st.integers(1, max_ndim))
    shape = tuple(draw(st.integers(0, max_side)) for _ in range(ndim))
    chunks = []
    for n in shape:
        parts = []
        left = n
        while left > 0:
            c = draw(st.integers(1, left))
            parts.append(c)
            left -= c
            if zero_chunks and left and draw(st.integers(0, 9)) == 0:
                parts.append(0)
        chunks.append(tuple(parts) or (0,))
    seed = draw(st.integers(0, 2**16))
    x = np.random.default_rng(seed).standard_normal(shape)
    return x, tuple(chunks)


@st.composite
def axes(draw, ndim):
    kind = draw(st.integers(0, 2))
    if kind == 0:
        return None
    if kind == 1:
        return draw(st.integers(-ndim, ndim - 1))
    chosen = draw(st.lists(st.integers(0, ndim - 1), unique=True, min_size=1))
    return tuple(chosen)


def _np(func, x, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return getattr(np, func)(x, **kw)
        except ValueError as e:
            return e


def _ours(func, x, scheduler="sync", **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return getattr(R, func)(x, **kw).compute(scheduler=scheduler)
        except ValueError as e:
            return e


def _check(func, data, chunks, split_every=None, **kw):
    expected = _np(func, data, **kw)
    got = _ours(func, da.from_array(data, chunks=chunks), split_every=split_every, **kw)
    if isinstance(expected, Exception):
        assert isinstance(got, Exception), (func, kw, got)
        assert str(got) == str(expected)
        return
    assert not isinstance(got, Exception), (func, kw, got)
    expected = np.asarray(expected)
    got = np.asarray(got)
    assert got.shape == expected.shape, (func, kw)
    assert got.dtype == expected.dtype, (func, kw, got.dtype, expected.dtype)
    assert np.allclose(got, expected, equal_nan=True, rtol=1e-9, atol=1e-12), (func, kw)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_simple_reductions_match_numpy(data):
    x, chunks = data.draw(chunked())
    func = data.draw(st.sampled_from(SIMPLE))
    ax = data.draw(axes(x.ndim))
    keepdims = data.draw(st.booleans())
    split = data.draw(st.sampled_from([None, 2, 3]))
    _check(func, x, chunks, split_every=split, axis=ax, keepdims=keepdims)


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_nan_reductions_match_numpy(data):
    x, chunks = data.draw(chunked())
    x[np.random.default_rng(0).random(x.shape) < 0.4] = np.nan
    func = data.draw(st.sampled_from(NAN))
    ax = data.draw(axes(x.ndim))
    _check(func, x, chunks, split_every=2, axis=ax, keepdims=data.draw(st.booleans()))


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_arg_reductions_match_numpy(data):
    x, chunks = data.draw(chunked())
    x = np.round(x)  # ties: the first index must win
    if data.draw(st.booleans()):
        x[np.random.default_rng(1).random(x.shape) < 0.3] = np.nan
    func = data.draw(st.sampled_from(ARG))
    ax = data.draw(st.one_of(st.none(), st.integers(-x.ndim, x.ndim - 1)))
    _check(func, x, chunks, split_every=2, axis=ax, keepdims=data.draw(st.booleans()))


@pytest.mark.parametrize("scheduler", ["threads", "processes"])
def test_families_under_schedulers(scheduler):
    x = np.arange(60, dtype=float).reshape(6, 10) % 7
    x[2, 3] = np.nan
    d = da.from_array(x, chunks=(4, 3))
    for func in ["sum", "max", "any", "nanmean", "nanvar", "argmin", "nanargmax"]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert_eq(getattr(R, func)(d, axis=0), getattr(np, func)(x, axis=0), scheduler)
    assert_eq(R.std(d), np.std(x), scheduler, equal_nan=True)


def test_integer_and_bool_dtypes():
    x = np.arange(-10, 14, dtype=np.int8).reshape(4, 6)
    d = da.from_array(x, chunks=(3, 4))
    for func in ["sum", "prod", "min", "max", "mean", "var", "std", "nansum", "nanmean"]:
        assert_eq(getattr(R, func)(d, axis=1), getattr(np, func)(x, axis=1))
    b = da.from_array(x > 0, chunks=2)
    assert_eq(R.sum(b), np.sum(x > 0))
    assert_eq(R.any(b, axis=0), np.any(x > 0, axis=0))
    assert_eq(R.all(b, axis=0), np.all(x > 0, axis=0))
    assert_eq(R.sum(d, dtype=np.float32), np.sum(x, dtype=np.float32))
    assert_eq(R.mean(d, axis=0, dtype=np.float32), np.mean(x, axis=0, dtype=np.float32))


def test_float32_and_complex():
    rng = np.random.default_rng(3)
    x = rng.random((50, 4)).astype(np.float32)
    d = da.from_array(x, chunks=(7, 3))
    assert_eq(R.mean(d, axis=0), np.mean(x, axis=0), rtol=1e-5)
    assert_eq(R.var(d), np.var(x), rtol=1e-4)
    z = rng.random((9, 5)) + 1j * rng.random((9, 5))
    dz = da.from_array(z, chunks=(4, 2))
    for func in ["sum", "mean", "var", "std", "prod"]:
        assert_eq(getattr(R, func)(dz, axis=0), getattr(np, func)(z, axis=0))
    assert_eq(R.argmax(dz), np.argmax(z))


def test_variance_is_stable_with_a_large_mean():
    x = 1e9 + np.random.default_rng(0).random(100_000)
    d = da.from_array(x, chunks=7_000)
    assert_eq(R.var(d), np.var(x), rtol=1e-7)
    assert_eq(R.std(d, ddof=1), np.std(x, ddof=1), rtol=1e-7)


def test_fast_paths_match_general_path():
    rng = np.random.default_rng(5)
    x = rng.random((40_000, 3)) + 100  # leading-axis path in cache-sized pieces
    d = da.from_array(x, chunks=(15_000, 3))
    assert_eq(R.var(d, axis=0), np.var(x, axis=0), rtol=1e-10)
    assert_eq(R.mean(d, axis=0), np.mean(x, axis=0), rtol=1e-12)
    assert_eq(R.sum(d, axis=0), np.sum(x, axis=0), rtol=1e-12)
    assert_eq(R.std(d), np.std(x), rtol=1e-10)
    assert_eq(R.var(d.T, axis=1), np.var(x.T, axis=1), rtol=1e-10)  # non-contiguous path


def test_empty_reductions_follow_numpy():
    e = da.from_array(np.zeros((0, 3)), chunks=2)
    assert_eq(R.sum(e, axis=0), np.sum(np.zeros((0, 3)), axis=0))
    assert_eq(R.min(e, axis=1), np.min(np.zeros((0, 3)), axis=1))
    with pytest.raises(ValueError, match="zero-size array to reduction operation minimum"):
        R.min(e).compute()
    with pytest.raises(ValueError, match="attempt to get argmax of an empty sequence"):
        R.argmax(e).compute()
    with pytest.warns(RuntimeWarning, match="Mean of empty slice"):
        assert np.isnan(R.mean(e).compute())
    with pytest.warns(RuntimeWarning, match="Degrees of freedom <= 0"):
        assert np.isnan(R.var(da.from_array(np.ones(1), chunks=1), ddof=1).compute())
    # empty chunks in the middle are skipped
    x = da.from_array(np.array([3.0, 1.0, 2.0]), chunks=((1, 0, 2),))
    assert_eq(R.min(x), np.float64(1.0))
    assert_eq(R.argmin(x), np.intp(1))


def test_all_nan_slices_like_numpy():
    x = np.array([[np.nan, 1.0], [np.nan, 2.0]])
    d = da.from_array(x, chunks=1)
    with pytest.warns(RuntimeWarning, match="All-NaN slice"):
        assert_eq(R.nanmin(d, axis=0), np.array([np.nan, 1.0]))
    with pytest.warns(RuntimeWarning, match="Mean of empty slice"):
        R.nanmean(d, axis=0).compute()
    with pytest.raises(ValueError, match="All-NaN slice encountered"):
        R.nanargmin(d, axis=0).compute()
    assert_eq(R.nanargmin(d, axis=1), np.nanargmin(x, axis=1))
    assert_eq(R.nansum(d, axis=0), np.nansum(x, axis=0))


def test_unknown_chunks():
    x = np.arange(10.0)
    d = da.from_array(x, chunks=3)
    u = d[d > 2]  # unknown chunk sizes
    assert math.isnan(u.chunks[0][0])
    for func in ["sum", "mean", "var", "max", "argmax", "argmin"]:
        assert getattr(R, func)(u).compute() == getattr(np, func)(x[x > 2])
    m = da.from_array(np.arange(12.0).reshape(3, 4), chunks=2)
    with pytest.raises(ValueError, match="compute_chunk_sizes"):
        R.argmin(m[m[:, 0] > 0], axis=None)


def test_split_every_and_graph_shape():
    d = da.from_array(np.ones((64, 64)), chunks=4)  # 16 x 16 blocks
    assert normalize_split_every(None, (0, 1), (16, 16), 2) == {0: 4, 1: 4}
    r = R.sum(d, split_every={0: 2, 1: 16})
    assert r.compute() == 64 * 64
    deep = len(dict(R.sum(d, split_every=2).__mpiflow_graph__()))
    shallow = len(dict(R.sum(d, split_every=256).__mpiflow_graph__()))
    assert deep > shallow
    assert_eq(R.sum(d, axis=1, split_every={1: 3}), np.full(64, 64.0))
    # equal inputs give equal names
    assert R.mean(d, axis=0).name == R.mean(d, axis=0).name
    assert R.mean(d, axis=0).name != R.mean(d, axis=1).name


def test_methods_and_array_function():
    x = np.arange(12.0).reshape(3, 4)
    d = da.from_array(x, chunks=2)
    assert_eq(np.sum(d, axis=0), np.sum(x, axis=0))
    assert_eq(np.nanmax(d), np.nanmax(x))
    assert isinstance(np.mean(d), da.Array)


def test_bad_input():
    d = da.from_array(np.ones((3, 4)), chunks=2)
    with pytest.raises(np.exceptions.AxisError, match="axis 2 is out of bounds"):
        R.sum(d, axis=2)
    with pytest.raises(np.exceptions.AxisError, match="out of bounds"):
        R.mean(d, axis=(0, -3))
    with pytest.raises(ValueError, match="duplicate value in axis"):
        R.max(d, axis=(1, -1))
    with pytest.raises(TypeError, match="axis must be None, an int or a tuple"):
        R.sum(d, axis=1.5)
    with pytest.raises(TypeError, match="argmin: axis must be None or an int"):
        R.argmin(d, axis=(0, 1))
    with pytest.raises(ValueError, match="split_every must be an int >= 2"):
        R.sum(d, split_every=1)
    with pytest.raises(NotImplementedError, match=r"sum\(\.\.\., out=\.\.\.\) is not supported"):
        R.sum(d, out=np.empty(4))


def test_moment_and_trace():
    x = np.random.default_rng(7).standard_normal((9, 8)) + 5
    d = da.from_array(x, chunks=(4, 3))
    for order in [0, 1, 2, 3, 4]:
        for axis in [None, 0, 1]:
            want = ((x - x.mean(axis=axis, keepdims=True)) ** order).sum(axis=axis)
            n = x.size if axis is None else x.shape[axis]
            if order < 2:  # as Dask: 1 and 0 whatever ddof
                want = np.full_like(want, 1.0 - order)
            else:
                want = want / (n - 1)
            assert_eq(R.moment(d, order, axis=axis, ddof=1), want)
    assert_eq(d.moment(2), np.var(x))
    y = np.arange(5 * 6 * 7).reshape(5, 6, 7)
    dy = da.from_array(y, chunks=(2, 4, 3))
    for offset in [-3, 0, 2, 9]:
        for a1, a2 in [(0, 1), (1, 0), (2, 0), (-1, 1)]:
            assert_eq(R.trace(dy, offset, a1, a2), np.trace(y, offset, a1, a2))
    assert_eq(np.trace(dy), np.trace(y))
    with pytest.raises(ValueError, match="order must be a non-negative int"):
        R.moment(d, -1)
    with pytest.raises(ValueError, match="axis1 and axis2 cannot be the same"):
        R.trace(d, axis1=1, axis2=-1)


def test_moments_of_strided_views_in_pieces():
    # from_array blocks of a 2-d array are strided views: pieces are copied small
    x = np.random.default_rng(9).random((2000, 300)) * 10 + 3
    d = da.from_array(x, chunks=(1000, 100))
    for axis in [None, 0, 1, (0, 1)]:
        assert_eq(R.var(d, axis=axis), np.var(x, axis=axis), rtol=1e-10)
        assert_eq(R.mean(d, axis=axis), np.mean(x, axis=axis), rtol=1e-12)
    t = da.from_array(np.ascontiguousarray(x.T), chunks=(300, 2000))
    assert_eq(R.std(t, axis=1, ddof=1), np.std(x.T, axis=1, ddof=1), rtol=1e-10)


def _count_chunk(x, axis=None, keepdims=None):
    return np.full(
        [1 if a in axis else s for a, s in enumerate(x.shape)],
        x.size // np.prod([x.shape[a] for a in range(x.ndim) if a not in axis], dtype=int),
    )


def _flatten(nested):
    if isinstance(nested, list):
        return [y for n in nested for y in _flatten(n)]
    return [nested]


def _nested_total(parts, axis=None, keepdims=None):
    flat = _flatten(parts)  # concatenate=False: nested lists, one level per axis
    total = sum(flat[1:], flat[0])
    return total if keepdims else total.squeeze(axis)


@pytest.mark.parametrize("scheduler", ["sync", "processes"])
def test_public_reduction_has_dasks_signature(scheduler):
    x = np.random.default_rng(2).random((7, 9, 5))
    d = da.from_array(x, chunks=(2, 3, 2))
    for axis in [None, 0, (0, 2), -1]:
        for keepdims in [False, True]:
            r = da.reduction(d, np.sum, np.sum, axis=axis, keepdims=keepdims, split_every=2)
            assert_eq(r, x.sum(axis=axis, keepdims=keepdims), scheduler)
    r = da.reduction(d, np.max, np.max, combine=np.max, axis=1, dtype=d.dtype, name="mymax")
    assert r.name.startswith("mymax-")
    assert_eq(r, x.max(axis=1), scheduler)
    n = da.reduction(d, _count_chunk, _nested_total, axis=(0, 1), concatenate=False, split_every=2)
    assert_eq(n, np.full(5, 63), scheduler)
