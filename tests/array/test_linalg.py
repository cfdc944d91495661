"""Tests of mpiflow.array.linalg: products, TSQR qr/svd and norms against NumPy."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from array_helpers import assert_eq
from hypothesis import given, settings
from hypothesis import strategies as st

import mpiflow
import mpiflow.array as da
from mpiflow.array import linalg

einsum_module = importlib.import_module("mpiflow.array.einsum")

RNG = np.random.default_rng(42)


def arr(shape, chunks, dtype=float):
    x = RNG.standard_normal(shape).astype(dtype) if shape else np.array(1.5, dtype)
    return x, da.from_array(x, chunks=chunks)


@st.composite
def chunking(draw, n):
    """A random chunking of an axis of length ``n``."""
    sizes = []
    left = n
    while left > 0:
        c = draw(st.integers(1, left))
        sizes.append(c)
        left -= c
    return tuple(sizes) or (0,)


# --------------------------------------------------------------------------------------
# tensordot, dot, matmul
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sa, ca, sb, cb, axes",
    [
        ((4, 6), (2, 3), (6, 5), (3, 2), 1),
        ((4, 6), (2, 3), (6, 5), (2, 5), 1),  # contracted chunks differ: aligned
        ((2, 3, 4), 2, (3, 4, 5), (1, 3, 2), 2),
        ((2, 3, 4), 2, (4, 3), 2, ([1, 2], [1, 0])),
        ((3, 4), 2, (5,), 2, 0),  # outer product
        ((2, 3, 4), 2, (4, 3, 2), 2, ([0, -1], [2, 0])),
        ((6,), 4, (6,), 5, 1),
    ],
)
def test_tensordot(sa, ca, sb, cb, axes):
    a, x = arr(sa, ca)
    b, y = arr(sb, cb)
    assert_eq(da.tensordot(x, y, axes=axes), np.tensordot(a, b, axes=axes))
    assert_eq(linalg.tensordot(x, b, axes=axes), np.tensordot(a, b, axes=axes))


def test_tensordot_errors():
    _, x = arr((4, 6), 2)
    _, y = arr((5, 3), 2)
    with pytest.raises(ValueError, match=r"shape mismatch.*\(4, 6\).*\(5, 3\)"):
        da.tensordot(x, y, axes=1)
    with pytest.raises(ValueError, match="out of bounds"):
        da.tensordot(x, y, axes=([2], [0]))
    with pytest.raises(ValueError, match="pair up"):
        da.tensordot(x, y, axes=([0, 1], [0]))
    with pytest.raises(ValueError, match="between 0"):
        da.tensordot(x, y, axes=3)


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_matmul_random_chunks(data):
    m, k, n = (data.draw(st.integers(1, 9), label=s) for s in "mkn")
    a, b = RNG.standard_normal((m, k)), RNG.standard_normal((k, n))
    x = da.from_array(a, chunks=(data.draw(chunking(m)), data.draw(chunking(k))))
    y = da.from_array(b, chunks=(data.draw(chunking(k)), data.draw(chunking(n))))
    assert_eq(x @ y, a @ b)
    assert_eq(da.dot(x, y), a @ b)


@pytest.mark.parametrize(
    "sa, ca, sb, cb",
    [
        ((3, 4), 2, (4,), 3),
        ((4,), 3, (4, 5), 2),
        ((4,), 3, (4,), 2),
        ((2, 3, 4), (1, 2, 2), (4, 5), 2),
        ((2, 1, 3, 4), (1, 1, 2, 3), (5, 4, 2), (2, 3, 1)),  # batch broadcasting
        ((3, 4), 2, (2, 4, 3), (1, 2, 2)),
    ],
)
def test_matmul(sa, ca, sb, cb):
    a, x = arr(sa, ca)
    b, y = arr(sb, cb)
    assert_eq(da.matmul(x, y), np.matmul(a, b))
    assert_eq(x @ y, a @ b)


def test_matmul_errors():
    _, x = arr((3, 4), 2)
    _, y = arr((5, 2), 2)
    with pytest.raises(ValueError, match=r"\(3, 4\) and \(5, 2\)"):
        da.matmul(x, y)
    with pytest.raises(ValueError, match="at least 1-d"):
        da.matmul(x, da.from_array(np.array(2.0)))
    with pytest.raises(ValueError, match="batch|shape mismatch"):
        da.matmul(da.ones((2, 3, 4), chunks=2), da.ones((3, 4, 5), chunks=2))


@pytest.mark.parametrize(
    "sa, sb",
    [((3,), (3,)), ((2, 3), (3,)), ((2, 3), (3, 4)), ((2, 3, 4), (5, 4, 2)), ((4,), (2, 4, 3))],
)
def test_dot(sa, sb):
    a, x = arr(sa, 2)
    b, y = arr(sb, 2)
    assert_eq(da.dot(x, y), np.dot(a, b))
    assert_eq(x.dot(y), np.dot(a, b))


def test_dot_scalar_and_errors():
    a, x = arr((3, 2), 2)
    assert_eq(da.dot(x, 2.0), np.dot(a, 2.0))
    with pytest.raises(ValueError, match=r"\(3, 2\) and \(3, 2\) not aligned"):
        da.dot(x, x)


def test_vdot_outer():
    a = RNG.standard_normal((3, 4)) + 1j * RNG.standard_normal((3, 4))
    x = da.from_array(a, chunks=2)
    assert_eq(da.vdot(x, x), np.vdot(a, a))
    b, y = arr((4, 3), 3)
    assert_eq(da.vdot(x.real, y), np.vdot(a.real, b))
    v, w = arr((5,), 2)
    assert_eq(da.outer(w, y), np.outer(v, b))
    with pytest.raises(ValueError, match="same number of elements"):
        da.vdot(w, y)


def test_numpy_dispatch():
    a, x = arr((4, 3), 2)
    b, y = arr((3, 2), 2)
    assert isinstance(np.dot(x, y), da.Array)
    assert isinstance(np.matmul(x, y), da.Array)
    assert isinstance(np.tensordot(x, y, axes=1), da.Array)
    assert_eq(np.dot(x, y), a @ b)
    assert_eq(np.linalg.norm(x), np.linalg.norm(a))


def test_many_contracted_chunks_tree(monkeypatch):
    """Small groups force partial sums combined in a multi-level tree."""
    monkeypatch.setattr(einsum_module, "GROUP_BYTES", 1)
    a, x = arr((3, 40), (3, 2))
    b, y = arr((40, 2), (2, 2))
    z = da.matmul(x, y, split_every=2)
    assert any("-sum" in str(k[0]) for k in dict(z.graph) if isinstance(k, tuple))
    assert_eq(z, a @ b)
    assert_eq(da.tensordot(x, y, axes=1, split_every=3), a @ b)


def test_inputs_not_modified(monkeypatch):
    monkeypatch.setattr(einsum_module, "GROUP_BYTES", 1)
    a = np.ones((4, 4))
    x = da.from_array(a, chunks=2)
    assert_eq(x @ x, a @ a)
    assert_eq(da.einsum("ij->j", x), a.sum(axis=0))
    np.testing.assert_array_equal(a, np.ones((4, 4)))


@pytest.mark.parametrize("scheduler", ["threads", "processes"])
def test_products_schedulers(scheduler):
    a, x = arr((6, 5), (4, 2))
    b, y = arr((5, 3), (3, 2))
    assert_eq(x @ y, a @ b, scheduler=scheduler)
    assert_eq(da.tensordot(x, y, axes=([1], [0])), a @ b, scheduler=scheduler)


def test_graph_size_is_linear():
    x = da.ones((8, 8), chunks=2)
    z = x @ x
    layer_keys = [k for k in dict(z.graph) if isinstance(k, tuple) and k[0] == z.name]
    assert len(layer_keys) == 16  # one task per output block (4 products each)
    assert z.name == (x @ x).name  # deterministic names


# --------------------------------------------------------------------------------------
# qr and svd
# --------------------------------------------------------------------------------------


def _check_qr(a, q, r, scheduler="sync"):
    qv, rv = mpiflow.compute(q, r, scheduler=scheduler)
    k = min(a.shape)
    assert qv.shape == (a.shape[0], k) and rv.shape == (k, a.shape[1])
    np.testing.assert_allclose(qv @ rv, a, atol=1e-10)
    np.testing.assert_allclose(qv.T @ qv, np.eye(k), atol=1e-10)
    np.testing.assert_allclose(np.triu(rv), rv, atol=1e-12)


@pytest.mark.parametrize(
    "shape, chunks",
    [((20, 4), (5, 4)), ((20, 4), ((7, 3, 10), 4)), ((9, 4), (3, 4)), ((3, 5), (2, 5))],
)
def test_qr(shape, chunks):
    a, x = arr(shape, chunks)
    q, r = da.linalg.qr(x)
    assert q.chunks[0] == x.chunks[0]
    _check_qr(a, q, r)
    assert_eq(q @ r, a, atol=1e-10)


def test_qr_processes_and_r_alone():
    a, x = arr((30, 3), (10, 3))
    q, r = da.linalg.qr(x)
    _check_qr(a, q, r, scheduler="processes")
    np.testing.assert_allclose(np.abs(r.compute()), np.abs(np.linalg.qr(a)[1]), atol=1e-10)


@settings(max_examples=15, deadline=None)
@given(st.data())
def test_svd_random_chunks(data):
    n = data.draw(st.integers(1, 5))
    m = data.draw(st.integers(n, 20))
    a = RNG.standard_normal((m, n))
    x = da.from_array(a, chunks=(data.draw(chunking(m)), n))
    u, s, vh = da.linalg.svd(x)
    uv, sv, vv = mpiflow.compute(u, s, vh, scheduler="sync")
    np.testing.assert_allclose(sv, np.linalg.svd(a, compute_uv=False), atol=1e-10)
    np.testing.assert_allclose((uv * sv) @ vv, a, atol=1e-10)
    np.testing.assert_allclose(uv.T @ uv, np.eye(n), atol=1e-10)


def test_svd_signs_do_not_depend_on_chunks():
    a, x = arr((24, 3), (6, 3))
    u1, s1, v1 = mpiflow.compute(*da.linalg.svd(x))
    u2, s2, v2 = mpiflow.compute(*da.linalg.svd(x.rechunk((8, 3))))
    np.testing.assert_allclose(v1, v2, atol=1e-10)
    np.testing.assert_allclose(u1, u2, atol=1e-10)


def test_svd_short_fat_and_values_only():
    a, x = arr((3, 12), (3, 4))
    u, s, vh = da.linalg.svd(x)
    uv, sv, vv = mpiflow.compute(u, s, vh)
    np.testing.assert_allclose((uv * sv) @ vv, a, atol=1e-10)
    assert_eq(da.linalg.svd(x, compute_uv=False), np.linalg.svd(a, compute_uv=False))


def test_qr_svd_errors():
    _, x = arr((20, 6), (5, 3))
    with pytest.raises(ValueError, match=r"tall-and-skinny.*one chunk.*rechunk\(\{1: -1\}\)"):
        da.linalg.qr(x)
    with pytest.raises(ValueError, match="tall-and-skinny"):
        da.linalg.svd(x)
    with pytest.raises(ValueError, match="2-d"):
        da.linalg.qr(da.ones((4, 4, 4), chunks=2))
    with pytest.raises(NotImplementedError, match="mode='r'"):
        da.linalg.qr(x.rechunk((10, 6)), mode="r")
    with pytest.raises(NotImplementedError, match="full_matrices"):
        da.linalg.svd(x.rechunk((10, 6)), full_matrices=True)


# --------------------------------------------------------------------------------------
# norm
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("ord", [None, 2, 1, -1, np.inf, -np.inf, 0, 3, 0.5])
@pytest.mark.parametrize("keepdims", [False, True])
def test_vector_norm(ord, keepdims):
    a, x = arr((10,), 3)
    assert_eq(da.linalg.norm(x, ord=ord, keepdims=keepdims), np.linalg.norm(a, ord, None, keepdims))
    b, y = arr((4, 6), (3, 4))
    for axis in (0, 1, -1):
        assert_eq(
            da.linalg.norm(y, ord=ord, axis=axis, keepdims=keepdims),
            np.linalg.norm(b, ord=ord, axis=axis, keepdims=keepdims),
        )


@pytest.mark.parametrize("ord", [None, "fro", 1, -1, np.inf, -np.inf, 2, -2, "nuc"])
def test_matrix_norm(ord):
    a, x = arr((12, 4), (5, 4))
    assert_eq(da.linalg.norm(x, ord=ord), np.linalg.norm(a, ord=ord))
    if ord not in (2, -2, "nuc"):
        b, y = arr((3, 4, 5), 2)
        for axis in ((0, 1), (2, 0), (-1, 1)):
            assert_eq(
                da.linalg.norm(y, ord=ord, axis=axis, keepdims=True),
                np.linalg.norm(b, ord=ord, axis=axis, keepdims=True),
            )


def test_norm_other_dtypes_and_shapes():
    a = np.arange(12).reshape(3, 4)
    x = da.from_array(a, chunks=2)
    assert_eq(da.linalg.norm(x), np.linalg.norm(a))
    assert_eq(da.linalg.norm(x, axis=1), np.linalg.norm(a, axis=1))
    c = a + 1j * a[::-1]
    z = da.from_array(c, chunks=2)
    assert_eq(da.linalg.norm(z, ord=1, axis=0), np.linalg.norm(c, ord=1, axis=0))
    b, y = arr((2, 3, 4), 2)
    assert_eq(da.linalg.norm(y), np.linalg.norm(b))


def test_norm_errors():
    _, y = arr((2, 3, 4), 2)
    with pytest.raises(ValueError, match="1-d or 2-d"):
        da.linalg.norm(y, ord=1)
    with pytest.raises(ValueError, match="invalid norm order"):
        da.linalg.norm(y[0], ord="bad")
    with pytest.raises(ValueError, match="out of bounds"):
        da.linalg.norm(y, axis=3)
    with pytest.raises(NotImplementedError, match="ord=2"):
        da.linalg.norm(y, ord=2, axis=(0, 1))
    with pytest.raises(ValueError, match="tall-and-skinny"):
        da.linalg.norm(da.ones((8, 8), chunks=4), ord=2)


def test_unknown_chunks_raise():
    a, x = arr((10,), 3)
    v = x[x > 0]  # unknown (NaN) chunk sizes
    with pytest.raises(ValueError, match="compute_chunk_sizes"):
        da.dot(v, v)
    _, m = arr((10, 2), (3, 2))
    with pytest.raises(ValueError, match="compute_chunk_sizes"):
        da.linalg.qr(m[x > 0])
