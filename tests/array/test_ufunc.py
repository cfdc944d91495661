"""Tests of ufuncs, operators, routines and NumPy dispatch on mpiflow arrays."""

from __future__ import annotations

import operator
import pickle

import numpy as np
import pytest
from array_helpers import SCHEDULERS, assert_eq
from hypothesis import given, settings
from hypothesis import strategies as st

import mpiflow.array as da
from mpiflow.array.ufunc import _UFUNC_NAMES, ufunc

RNG = np.random.default_rng(0)
F = RNG.uniform(0.1, 0.9, size=(5, 4))  # in the domain of every float ufunc
G = RNG.uniform(0.1, 0.9, size=(5, 4))
K = RNG.integers(1, 50, size=(5, 4))
J = RNG.integers(1, 7, size=(5, 4))
B = K % 2 == 0


def _operands(uf: np.ufunc) -> list | None:
    """NumPy operands ``uf`` accepts (float first, then int, then bool), or None."""
    for data in ([F, G], [K, J], [B, B == 0]):
        args = data[: uf.nin]
        try:
            with np.errstate(all="ignore"):
                uf(*args)
        except TypeError:
            continue
        return args
    return None


ELEMENTWISE = [n for n in _UFUNC_NAMES if getattr(np, n).signature is None and n != "isnat"]


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_every_ufunc_matches_numpy(name):
    uf = getattr(np, name)
    args = _operands(uf)
    assert args is not None, name
    lazy = [da.from_array(a, chunks=(2, 3)) for a in args]
    with np.errstate(all="ignore"):
        expected = uf(*args)
        module_level = getattr(da, name)(*lazy)
        dispatched = uf(*lazy)
    with np.errstate(all="ignore"):  # e.g. arccosh of values < 1 is NaN, as in NumPy
        if uf.nout == 1:
            assert_eq(module_level, expected)
            assert_eq(dispatched, expected)
        else:
            assert isinstance(dispatched, tuple) and len(dispatched) == uf.nout
            for got, want in zip(dispatched, expected, strict=True):
                assert_eq(got, want)
            for got, want in zip(module_level, expected, strict=True):
                assert_eq(got, want)


def test_isnat():
    t = np.array(["2020-01-01", "NaT"], dtype="datetime64[D]")
    assert_eq(da.isnat(da.from_array(t, chunks=1)), np.isnat(t))


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_ufuncs_under_schedulers(scheduler):
    x = da.from_array(F, chunks=2)
    mant, expo = np.frexp(x)
    assert_eq(
        np.sin(x) + np.exp(x) * mant + expo,
        np.sin(F) + np.exp(F) * np.frexp(F)[0] + np.frexp(F)[1],
        scheduler=scheduler,
    )


def test_ufunc_wrapper_passes_numpy_through():
    assert isinstance(da.sin(F), np.ndarray)
    assert da.sin(0.0) == 0.0
    assert da.add.nin == 2 and da.add.identity == 0
    assert "sqrt" in repr(da.sqrt) and "numpy.sqrt" in da.sqrt.__doc__
    assert pickle.loads(pickle.dumps(da.cos))(0.0) == 1.0
    assert da.add.outer(np.arange(2), np.arange(3)).shape == (2, 3)
    assert da.add.reduce(np.arange(4)) == 6
    assert da.add.accumulate(np.arange(3)).tolist() == [0, 1, 3]
    with pytest.raises(TypeError, match="wraps a numpy.ufunc"):
        ufunc(abs)
    with pytest.raises(AttributeError):
        da.add.__nope__  # noqa: B018


def test_ufunc_kwargs():
    x = da.from_array(K, chunks=2)
    assert np.add(x, 1, dtype="f4").dtype == np.float32
    assert_eq(np.add(x, 1, dtype="f4"), np.add(K, 1, dtype="f4"))
    assert_eq(np.negative(x, casting="same_kind"), -K)
    with pytest.raises(NotImplementedError, match="where=.*da.where"):
        np.add(x, 1, where=x > 3)
    with pytest.raises(TypeError, match="unexpected keyword"):
        da.add(x, 1, bogus=1)


def test_outer():
    x = da.from_array(F[0], chunks=2)
    y = da.from_array(K[:, 0], chunks=3)
    assert_eq(np.multiply.outer(x, y), np.multiply.outer(F[0], K[:, 0]))
    assert_eq(da.subtract.outer(x, K[:, 0]), np.subtract.outer(F[0], K[:, 0]))
    assert_eq(np.add.outer(da.from_array(F, chunks=2), y), np.add.outer(F, K[:, 0]))
    with pytest.raises(NotImplementedError, match="binary ufunc"):
        da.sin.outer(x, x)


def test_reduce_and_accumulate():
    x = da.from_array(K, chunks=2)
    assert_eq(np.add.reduce(x), np.add.reduce(K))
    assert_eq(np.maximum.reduce(x, axis=1), np.maximum.reduce(K, axis=1))
    assert_eq(np.multiply.reduce(x, axis=None), np.multiply.reduce(K, axis=None))
    assert_eq(np.logical_or.reduce(x > 40, axis=0), np.logical_or.reduce(K > 40, axis=0))
    assert_eq(np.add.accumulate(x), np.add.accumulate(K))
    with pytest.raises(NotImplementedError, match=r"numpy\.subtract\.reduce .*supported"):
        np.subtract.reduce(x)
    with pytest.raises(NotImplementedError, match=r"numpy\.add\.reduceat"):
        np.add.reduceat(x, [0, 2])
    with pytest.raises(NotImplementedError, match=r"numpy\.add\.at"):
        np.add.at(x, [0], 1)


def test_out_argument():
    x = da.from_array(F, chunks=2)
    out = da.from_array(np.zeros_like(F), chunks=2)
    res = np.sin(x, out=out)
    assert res is out
    assert_eq(out, np.sin(F))
    with pytest.raises(NotImplementedError, match="out= a ndarray is not supported"):
        np.sin(x, out=np.empty_like(F))
    with pytest.raises(ValueError, match="out= has shape"):
        np.sin(x, out=da.from_array(np.zeros(3), chunks=1))


def test_gufunc():
    x = da.from_array(F, chunks=2)
    with pytest.raises(NotImplementedError, match="generalized ufunc"):
        np.vecdot(x, x)


def test_non_array_operands_defer():
    class Other:
        __array_ufunc__ = None

        def __radd__(self, other):
            return "other"

    x = da.from_array(F, chunks=2)
    assert x + Other() == "other"
    with pytest.raises(TypeError):
        np.add(x, Other())


# --------------------------------------------------------------------------------------
# operators
# --------------------------------------------------------------------------------------

BINARY = [
    operator.add,
    operator.sub,
    operator.mul,
    operator.truediv,
    operator.floordiv,
    operator.mod,
    operator.pow,
    operator.lt,
    operator.le,
    operator.gt,
    operator.ge,
    operator.eq,
    operator.ne,
]
INT_BINARY = [operator.and_, operator.or_, operator.xor, operator.lshift, operator.rshift]


@pytest.mark.parametrize("op", BINARY + INT_BINARY)
def test_binary_operators(op):
    a, b = (K, J) if op in INT_BINARY else (F, G)
    x = da.from_array(a, chunks=(2, 3))
    y = da.from_array(b, chunks=(3, 2))
    assert_eq(op(x, y), op(a, b))
    assert_eq(op(x, b), op(a, b))
    assert_eq(op(a, y), op(a, b))  # NumPy defers to the lazy operand
    assert_eq(op(x, 2), op(a, 2))
    assert_eq(op(3, y), op(3, b))


def test_unary_operators_and_divmod():
    x = da.from_array(K - 25, chunks=2)
    assert_eq(-x, -(K - 25))
    assert_eq(+x, K - 25)
    assert_eq(abs(x), abs(K - 25))
    assert_eq(~x, ~(K - 25))
    q, r = divmod(x, 7)
    assert_eq(q, (K - 25) // 7)
    assert_eq(r, (K - 25) % 7)
    q, r = divmod(100, da.from_array(J, chunks=2))
    assert_eq(q, 100 // J)
    assert_eq(r, 100 % J)


def test_matmul_delegates_to_linalg():
    x = da.from_array(F, chunks=2)
    assert_eq(x @ F.T, F @ F.T)
    assert_eq(F.T @ x, F.T @ F)
    assert_eq(x.dot(F.T), F @ F.T)


def test_hash_and_identity():
    x = da.from_array(F, chunks=2)
    assert hash(x) == hash(x) and {x: 1}[x] == 1


@settings(max_examples=20, deadline=None)
@given(
    st.integers(1, 12),
    st.integers(1, 5),
    st.integers(1, 5),
    st.sampled_from(["sin", "sqrt", "log1p", "negative", "square", "floor"]),
)
def test_ufunc_property(n, c1, c2, name):
    a = np.linspace(0.1, 3, n * 3).reshape(n, 3)
    x = da.from_array(a, chunks=(c1, c2))
    uf = getattr(np, name)
    assert_eq(uf(uf(x) + x), uf(uf(a) + a))


# --------------------------------------------------------------------------------------
# routines
# --------------------------------------------------------------------------------------


def test_where_clip_round():
    x = da.from_array(F * 10 - 5, chunks=2)
    a = F * 10 - 5
    assert_eq(da.where(x > 0, x, 0), np.where(a > 0, a, 0))
    assert_eq(np.where(x > 0, 1, -1), np.where(a > 0, 1, -1))
    assert_eq(da.where(a > 0, x, da.from_array(G, chunks=3)), np.where(a > 0, a, G))
    assert_eq(da.clip(x, -1, 1), np.clip(a, -1, 1))
    assert_eq(np.clip(x, -1, 1), np.clip(a, -1, 1))
    assert_eq(x.clip(max=2), np.clip(a, None, 2))
    assert_eq(da.clip(x, a_min=0), np.clip(a, 0, None))
    assert_eq(da.round(x, 1), np.round(a, 1))
    assert_eq(np.round(x, 2), np.round(a, 2))
    assert_eq(x.round(), np.round(a))
    assert_eq(da.around(x), np.around(a))
    with pytest.raises(ValueError, match="either only condition"):
        da.where(x > 0, x)
    with pytest.raises(ValueError, match="lower bound, an upper bound"):
        da.clip(x)
    with pytest.raises(NotImplementedError, match="out="):
        da.clip(x, 0, 1, out=x)
    with pytest.raises(NotImplementedError, match="out="):
        da.round(x, out=x)


def test_where_one_argument_is_nonzero():
    x = da.from_array(np.array([0, 3, 0, 4]), chunks=2)
    (idx,) = da.where(x)
    assert idx.compute(scheduler="sync").tolist() == [1, 3]


def test_astype():
    x = da.from_array(F * 10, chunks=2)
    assert_eq(x.astype(int), (F * 10).astype(int))
    assert_eq(
        np.astype(x, "f4") if hasattr(np, "astype") else x.astype("f4"), (F * 10).astype("f4")
    )
    assert x.astype(x.dtype) is x
    assert_eq(da.from_array(K, chunks=2).astype("f8", casting="safe"), K.astype("f8"))
    with pytest.raises(TypeError, match="cannot cast float64 to int64 under casting='safe'"):
        x.astype(int, casting="safe")
    with pytest.raises(TypeError, match="is not a NumPy dtype"):
        x.astype("not-a-dtype")
    with pytest.raises(TypeError, match="unexpected keyword"):
        da.astype(x, int, bogus=1)


def test_nan_inf_routines():
    a = np.array([np.nan, np.inf, -np.inf, 1.0, -2.0])
    x = da.from_array(a, chunks=2)
    assert_eq(da.isnan(x), np.isnan(a))
    assert_eq(np.isfinite(x), np.isfinite(a))
    assert_eq(da.isneginf(x), np.isneginf(a))
    assert_eq(da.isposinf(x), np.isposinf(a))
    assert_eq(da.nan_to_num(x), np.nan_to_num(a))
    assert_eq(
        np.nan_to_num(x, nan=7, posinf=1, neginf=-1), np.nan_to_num(a, nan=7, posinf=1, neginf=-1)
    )
    assert_eq(da.isclose(x, 1.0), np.isclose(a, 1.0))
    assert_eq(np.isclose(x, x, equal_nan=True), np.isclose(a, a, equal_nan=True))
    assert bool(da.allclose(da.from_array(F, chunks=2), F + 1e-9))
    assert not bool(np.allclose(da.from_array(F, chunks=2), F + 1))
    assert_eq(da.fix(x * 1.5), np.fix(a * 1.5))


def test_complex_routines():
    c = F + 1j * G
    x = da.from_array(c, chunks=2)
    assert_eq(da.real(x), c.real)
    assert_eq(np.imag(x), c.imag)
    assert_eq(x.real, c.real)
    assert_eq(x.imag, c.imag)
    assert_eq(x.conj(), c.conj())
    assert_eq(np.angle(x, deg=True), np.angle(c, deg=True))
    assert_eq(da.iscomplex(x), np.iscomplex(c))
    assert_eq(np.isreal(x.real), np.isreal(c.real))


def test_other_routines():
    x = da.from_array(F, chunks=2)
    k = da.from_array(J % 3, chunks=3)
    assert_eq(np.sinc(x), np.sinc(F))
    assert_eq(np.i0(x), np.i0(F))
    assert_eq(da.choose(k, [F, G, 0.5]), np.choose(J % 3, [F, G, 0.5]))
    assert_eq(np.choose(k, [F, G, 0.5]), np.choose(J % 3, [F, G, 0.5]))
    assert_eq(
        da.select([x < 0.3, x > 0.6], [x, -x], 9.0), np.select([F < 0.3, F > 0.6], [F, -F], 9.0)
    )
    with pytest.raises(ValueError, match="same length"):
        da.select([x < 0.3], [x, x])
    bins = np.array([0.25, 0.5, 0.75])
    assert_eq(np.digitize(x, bins), np.digitize(F, bins))
    assert_eq(da.digitize(x, bins, right=True), np.digitize(F, bins, right=True))
    with pytest.raises(ValueError, match="1-d NumPy array"):
        da.digitize(x, np.ones((2, 2)))
    assert np.result_type(x, np.int8) == np.float64
    assert da.result_type(da.from_array(K.astype("i2"), chunks=2), "i4") == np.int32
    assert np.shape(x) == (5, 4) and np.ndim(x) == 2
    assert da.shape([[1, 2]]) == (1, 2) and da.ndim(3) == 0


def test_view_and_copy():
    x = da.from_array(F, chunks=2)
    assert x.copy() is x
    assert x.view() is x
    assert_eq(x.view("i8"), F.view("i8"))
    with pytest.raises(NotImplementedError, match="changes the item size"):
        x.view("i4")


# --------------------------------------------------------------------------------------
# __array_function__
# --------------------------------------------------------------------------------------


def test_array_function_dispatch():
    x = da.from_array(F, chunks=2)
    assert isinstance(np.where(x > 0.5, x, 0), da.Array)
    assert_eq(np.sum(x), np.sum(F))
    assert_eq(np.linalg.norm(x), np.linalg.norm(F))
    with pytest.raises(NotImplementedError, match=r"numpy\.fft\.fft is not implemented"):
        np.fft.fft(x)
    with pytest.raises(NotImplementedError, match=r"numpy\.polyfit is not implemented"):
        np.polyfit(x[:, 0], x[:, 1], 1)


def test_array_function_defers_to_unknown_types():
    class Other(np.ndarray):
        pass

    class Foreign:
        def __array_function__(self, func, types, args, kwargs):
            return "foreign"

    x = da.from_array(F, chunks=2)
    assert np.concatenate([x, Foreign()]) == "foreign"


def test_isin_piecewise_broadcast_arrays():
    x = da.from_array(K, chunks=2)
    assert_eq(da.isin(x, [1, 5, 9]), np.isin(K, [1, 5, 9]))
    assert_eq(np.isin(x, [1, 5, 9], invert=True), np.isin(K, [1, 5, 9], invert=True))
    test = da.from_array(J, chunks=3)
    assert_eq(da.isin(x, test), np.isin(K, J))
    f = da.from_array(F - 0.5, chunks=2)
    a = F - 0.5
    funcs = [np.negative, lambda v: v * 10]
    assert_eq(da.piecewise(f, [f < 0, f >= 0], funcs), np.piecewise(a, [a < 0, a >= 0], funcs))
    v = da.from_array(V6 - 2, chunks=4)
    assert_eq(np.piecewise(v, v < 0, [0.0, 1.0]), np.piecewise(V6 - 2, V6 - 2 < 0, [0.0, 1.0]))
    p, q = da.broadcast_arrays(da.from_array(V6, chunks=4), np.ones((3, 1)))
    assert p.chunks == q.chunks
    pp, qq = np.broadcast_arrays(V6, np.ones((3, 1)))
    assert_eq(p, pp)
    assert_eq(q, qq)
    r, s = np.broadcast_arrays(da.from_array(V6, chunks=4), da.from_array(V6[:, None], chunks=2))
    assert_eq(r, np.broadcast_arrays(V6, V6[:, None])[0])
    assert_eq(s, np.broadcast_arrays(V6, V6[:, None])[1])
    with pytest.raises(ValueError, match="could not be broadcast"):
        da.broadcast_arrays(x, np.ones(3))


V6 = np.arange(6.0)
