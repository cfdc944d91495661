"""topk/argtopk, unique, bincount, histogram and percentile compared with NumPy."""

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
from mpiflow.array import reductions_percentile


@st.composite
def vector(draw, max_len=40, distinct=False):
    n = draw(st.integers(1, max_len))
    rng = np.random.default_rng(draw(st.integers(0, 9999)))
    x = rng.permutation(n).astype(float) if distinct else rng.integers(0, 8, n)
    parts, left = [], n
    while left > 0:
        c = draw(st.integers(1, left))
        parts.append(c)
        left -= c
    return x, (tuple(parts),)


# ------------------------------------------------------------------ topk


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_topk_matches_sort(data):
    shape = (data.draw(st.integers(1, 9)), data.draw(st.integers(1, 9)))
    x = (
        np.random.default_rng(data.draw(st.integers(0, 999)))
        .permutation(shape[0] * shape[1])
        .reshape(shape)
    )
    axis = data.draw(st.integers(-2, 1))
    n = shape[axis]
    k = data.draw(st.integers(1, n)) * data.draw(st.sampled_from([1, -1]))
    chunks = (data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4)))
    d = da.from_array(x, chunks=chunks)
    s = np.sort(x, axis=axis)
    order = np.argsort(x, axis=axis)
    sl = [slice(None)] * 2
    sl[axis] = slice(None, -k - 1, -1) if k > 0 else slice(None, -k)
    assert_eq(R.topk(d, k, axis=axis, split_every=2), s[tuple(sl)])
    assert_eq(R.argtopk(d, k, axis=axis), order[tuple(sl)].astype(np.intp))


def test_topk_schedulers_methods_and_unknown_chunks():
    x = np.array([5, 1, 9, 3, 7, 2, 8])
    d = da.from_array(x, chunks=3)
    assert_eq(R.topk(d, 3), np.array([9, 8, 7]), "processes")
    assert_eq(d.topk(-2), np.array([1, 2]), "threads")
    assert_eq(d.argtopk(2), np.array([2, 6]))
    u = d[d > 1]  # unknown chunks: indices still global
    np.testing.assert_array_equal(R.argtopk(u, 2).compute(), [1, 5])


def test_topk_bad_input():
    d = da.from_array(np.arange(5), chunks=2)
    with pytest.raises(ValueError, match="k must be a non-zero int"):
        R.topk(d, 0)
    with pytest.raises(ValueError, match=r"\|k\|=6 is larger than the axis length 5"):
        R.topk(d, 6)
    with pytest.raises(np.exceptions.AxisError, match="out of bounds"):
        R.argtopk(d, 1, axis=1)
    with pytest.raises(ValueError, match="is larger than the axis length"):
        R.topk(d[d > 2], 3).compute()  # unknown length, checked when computed


# ------------------------------------------------------------------ unique


@settings(max_examples=25, deadline=None)
@given(vector())
def test_unique_matches_numpy(xc):
    x, chunks = xc
    d = da.from_array(x, chunks=chunks)
    u, idx, inv, cnt = R.unique(d, return_index=True, return_inverse=True, return_counts=True)
    eu, eidx, einv, ecnt = np.unique(x, return_index=True, return_inverse=True, return_counts=True)
    for got, want in [(u, eu), (idx, eidx), (inv, einv), (cnt, ecnt)]:
        np.testing.assert_array_equal(got.compute(), want)


def test_unique_nd_nan_and_schedulers():
    x = np.array([[3.0, np.nan, 1.0], [1.0, np.nan, 7.0]])
    d = da.from_array(x, chunks=(1, 2))
    u = R.unique(d)
    assert math.isnan(u.chunks[0][0])
    np.testing.assert_array_equal(u.compute(scheduler="processes"), np.unique(x))
    got = R.unique(d, return_index=True, return_counts=True)
    want = np.unique(x, return_index=True, return_counts=True)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g.compute(scheduler="threads"), w)
    inv = R.unique(d, return_inverse=True)[1]
    np.testing.assert_array_equal(inv.compute(), np.unique(x, return_inverse=True)[1])


def test_unique_index_needs_known_chunks():
    d = da.from_array(np.arange(6), chunks=2)
    np.testing.assert_array_equal(R.unique(d[d > 2]).compute(), [3, 4, 5])
    with pytest.raises(ValueError, match="compute_chunk_sizes"):
        R.unique(d[d > 2], return_index=True)


# ------------------------------------------------------------------ bincount


@settings(max_examples=25, deadline=None)
@given(vector(), st.integers(0, 12), st.booleans())
def test_bincount_matches_numpy(xc, minlength, weighted):
    x, chunks = xc
    d = da.from_array(x, chunks=chunks)
    w = np.linspace(0, 1, x.size) if weighted else None
    dw = da.from_array(w, chunks=3) if weighted else None  # rechunked to x's chunks
    got = R.bincount(d, weights=dw, minlength=minlength)
    assert math.isnan(got.chunks[0][0])
    want = np.bincount(x, weights=w, minlength=minlength)
    assert_eq(got, want)


def test_bincount_schedulers_and_bad_input():
    x = np.array([0, 4, 4, 1])
    d = da.from_array(x, chunks=3)
    assert_eq(R.bincount(d), np.bincount(x), "processes")
    with pytest.raises(ValueError, match="x must be 1-dimensional"):
        R.bincount(da.from_array(np.ones((2, 2), int), chunks=1))
    with pytest.raises(TypeError, match="non-negative integers, got dtype float64"):
        R.bincount(da.from_array(np.ones(3), chunks=1))
    with pytest.raises(ValueError, match="minlength must be a non-negative int"):
        R.bincount(d, minlength=-1)
    with pytest.raises(ValueError, match="weights must have the shape"):
        R.bincount(d, weights=da.from_array(np.ones(3), chunks=1))


# ------------------------------------------------------------------ histogram


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_histogram_matches_numpy(data):
    shape = (data.draw(st.integers(1, 8)), data.draw(st.integers(1, 8)))
    x = np.random.default_rng(data.draw(st.integers(0, 999))).normal(size=shape)
    d = da.from_array(x, chunks=(data.draw(st.integers(1, 4)), 3))
    density = data.draw(st.booleans())
    weighted = data.draw(st.booleans())
    w = np.abs(x) if weighted else None
    dw = da.from_array(w, chunks=2) if weighted else None
    if data.draw(st.booleans()):
        kw = {"bins": data.draw(st.integers(1, 9)), "range": (-2.0, 2.5)}
    else:
        kw = {"bins": np.sort(np.random.default_rng(0).normal(size=5))}
    h, edges = R.histogram(d, weights=dw, density=density, **kw)
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        eh, eedges = np.histogram(x, weights=w, density=density, **kw)
    np.testing.assert_array_equal(edges, eedges)
    if theirs:  # a density with nothing in range divides by zero: NumPy warns, so must we
        with pytest.warns(RuntimeWarning, match="invalid value encountered in divide"):
            assert_eq(h, eh)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert_eq(h, eh)


def test_histogram_schedulers_and_bad_input():
    x = np.arange(10.0)
    d = da.from_array(x, chunks=4)
    h, _ = R.histogram(d, bins=3, range=(0, 9))
    assert_eq(h, np.histogram(x, bins=3, range=(0, 9))[0], "processes")
    with pytest.raises(ValueError, match=r"bins=10 \(a number of bins\) needs range="):
        R.histogram(d)
    with pytest.raises(ValueError, match="max must be larger than min"):
        R.histogram(d, bins=3, range=(5, 1))
    with pytest.raises(ValueError, match="bins` must increase monotonically"):
        R.histogram(d, bins=[3, 1, 2])
    with pytest.raises(NotImplementedError, match="bins='auto'"):
        R.histogram(d, bins="auto")


# ------------------------------------------------------------------ percentile


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_percentile_is_exact(data):
    n = data.draw(st.integers(1, 300))
    rng = np.random.default_rng(data.draw(st.integers(0, 999)))
    x = rng.integers(0, data.draw(st.sampled_from([3, 50, 10**6])), n).astype(float)
    d = da.from_array(x, chunks=data.draw(st.integers(1, 60)))
    q = data.draw(st.lists(st.floats(0, 100), min_size=1, max_size=6))
    method = data.draw(st.sampled_from(["linear", "lower", "higher", "nearest", "midpoint"]))
    assert_eq(R.percentile(d, q, method=method), np.percentile(x, q, method=method), rtol=0, atol=0)


def test_percentile_large_with_small_samples(monkeypatch):
    monkeypatch.setattr(reductions_percentile, "_SAMPLES", 8)  # wide brackets
    x = np.random.default_rng(4).standard_normal(5000)
    d = da.from_array(x, chunks=700)
    q = [0, 0.1, 25, 50, 99.9, 100]
    assert_eq(R.percentile(d, q), np.percentile(x, q), "threads", rtol=0, atol=0)
    assert_eq(R.percentile(d, 37.5), np.percentile(x, 37.5), "processes", rtol=0, atol=0)


def test_percentile_nan_ints_and_bad_input():
    d = da.from_array(np.array([1.0, np.nan, 3.0]), chunks=2)
    assert np.isnan(R.percentile(d, [10, 90]).compute()).all()
    xi = np.array([5, 1, 4, 4, 9])
    assert_eq(R.percentile(da.from_array(xi, chunks=2), [30, 50]), np.percentile(xi, [30, 50]))
    with pytest.raises(ValueError, match=r"Percentiles must be in the range \[0, 100\]"):
        R.percentile(d, 101)
    with pytest.raises(ValueError, match=r"range \[0, 100\]"):
        R.percentile(d, [-1, 50])
    with pytest.raises(NotImplementedError, match="only 1-d arrays"):
        R.percentile(da.from_array(np.ones((2, 2)), chunks=1), 50)
    with pytest.raises(NotImplementedError, match="method='hazen'"):
        R.percentile(d, 50, method="hazen")
    with pytest.raises(IndexError, match="percentile of an empty array"):
        R.percentile(da.from_array(np.ones(0), chunks=1), 50).compute()


# ------------------------------------------------------------------ median, ptp, ...


@settings(max_examples=20, deadline=None)
@given(st.data())
def test_median_matches_numpy(data):
    shape = (data.draw(st.integers(1, 7)), data.draw(st.integers(1, 7)))
    x = np.random.default_rng(data.draw(st.integers(0, 999))).integers(0, 9, shape) * 1.0
    if data.draw(st.booleans()):
        x[np.random.default_rng(1).random(shape) < 0.3] = np.nan
    d = da.from_array(x, chunks=(data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))))
    axis = data.draw(st.sampled_from([None, 0, 1, -1, (0, 1)]))
    keepdims = data.draw(st.booleans())
    func = data.draw(st.sampled_from(["median", "nanmedian"]))
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        want = getattr(np, func)(x, axis=axis, keepdims=keepdims)
    got = getattr(R, func)(d, axis=axis, keepdims=keepdims)
    if theirs:  # nanmedian of an all-NaN slice: NumPy warns, and so must we
        with pytest.warns(RuntimeWarning, match="All-NaN slice") as ours:
            assert_eq(got, want, rtol=0, atol=0)
        assert {str(w.message) for w in ours} == {str(w.message) for w in theirs}
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert_eq(got, want, rtol=0, atol=0)


def test_nanmedian_of_an_all_nan_slice_warns_as_numpy():
    x = np.array([[np.nan, np.nan], [1.0, 3.0]])
    d = da.from_array(x, chunks=1)
    for axis in [1, None]:
        with pytest.warns(RuntimeWarning, match="All-NaN slice"):
            want = np.nanmedian(x[:1], axis=axis)
        with pytest.warns(RuntimeWarning, match="All-NaN slice"):
            assert_eq(R.nanmedian(d[:1], axis=axis), want)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # NumPy is silent when no slice is all NaN
        assert_eq(R.nanmedian(d, axis=0), np.nanmedian(x, axis=0))


def test_nanpercentile_ptp_count_nonzero():
    x = np.array([4.0, np.nan, 1.0, 2.0, np.nan, 8.0])
    d = da.from_array(x, chunks=4)
    assert_eq(R.nanpercentile(d, [10, 50, 75]), np.nanpercentile(x, [10, 50, 75]), "processes")
    with pytest.warns(RuntimeWarning, match="All-NaN slice"):
        R.nanpercentile(da.from_array(np.full(3, np.nan), chunks=2), 50).compute()
    y = np.array([[3, 0, 7], [0, 5, -2]])
    dy = da.from_array(y, chunks=1)
    for axis in [None, 0, 1]:
        assert_eq(R.ptp(dy, axis=axis), np.ptp(y, axis=axis))
        assert_eq(
            R.count_nonzero(dy, axis=axis),
            np.asarray(np.count_nonzero(y, axis=axis)),
            check_dtype=False,
        )
    with pytest.raises(ValueError, match="zero-size array"):
        R.ptp(da.from_array(np.ones(0), chunks=1)).compute()
