"""Tests of mpiflow.array.einsum against numpy.einsum."""

from __future__ import annotations

import numpy as np
import pytest
from array_helpers import assert_eq
from hypothesis import given, settings
from hypothesis import strategies as st

import mpiflow.array as da
from mpiflow.array.einsum import parse_subscripts

RNG = np.random.default_rng(7)

SIZES = {"i": 5, "j": 4, "k": 3, "l": 2, "b": 2, "B": 3, "a": 4}


def operands(subscripts, chunks=2):
    lhs = subscripts.split("->")[0].replace("...", "")
    arrays = [RNG.standard_normal([SIZES[c] for c in term]) for term in lhs.split(",")]
    return arrays, [da.from_array(a, chunks=chunks) for a in arrays]


@pytest.mark.parametrize(
    "subscripts",
    [
        "ij,jk->ik",
        "ij,jk",
        "ij,kj",
        "ii",
        "ii->i",
        "ij->",
        "ij->ji",
        "ij->j",
        "i,i",
        "i,j->ij",
        "ijk,jl->ikl",
        "bij,bjk->bik",
        "ij,ij->ij",
        "ij,jk,kl->il",
        "Ba,aB",
        "ba,aB->B",
        "iij->j",
        "i j , j k -> i k",
    ],
)
def test_einsum(subscripts):
    arrays, xs = operands(subscripts.replace(" ", ""))
    assert_eq(da.einsum(subscripts, *xs), np.einsum(subscripts, *arrays))


def test_einsum_ellipsis_and_broadcasting():
    a = RNG.standard_normal((2, 1, 3, 4))
    b = RNG.standard_normal((5, 4, 2))
    x = da.from_array(a, chunks=(1, 1, 2, 3))
    y = da.from_array(b, chunks=2)
    assert_eq(da.einsum("...ij,...jk->...ik", x, y), np.einsum("...ij,...jk->...ik", a, b))
    assert_eq(da.einsum("...ij,...jk", x, y), np.einsum("...ij,...jk", a, b))
    c = RNG.standard_normal((3, 4))
    z = da.from_array(c, chunks=2)
    assert_eq(da.einsum("i...,i...", z, z), np.einsum("i...,i...", c, c))
    assert_eq(da.einsum("...j->...", z), np.einsum("...j->...", c))


def test_einsum_dtype_and_mixed_inputs():
    a = np.arange(12).reshape(3, 4)
    x = da.from_array(a, chunks=2)
    assert_eq(da.einsum("ij,j->i", x, np.ones(4)), np.einsum("ij,j->i", a, np.ones(4)))
    assert_eq(da.einsum("ij->i", x, dtype="f8"), np.einsum("ij->i", a, dtype="f8"))
    assert_eq(
        da.einsum("ij,kj->ik", x, x, optimize=True, split_every=2),
        np.einsum("ij,kj->ik", a, a),
    )
    b = a.astype(bool)
    assert_eq(da.einsum("ij,kj->ik", da.from_array(b, chunks=2), b), np.einsum("ij,kj->ik", b, b))


def test_einsum_mismatched_chunks_are_aligned():
    a = RNG.standard_normal((6, 7))
    b = RNG.standard_normal((7, 5))
    x = da.from_array(a, chunks=(3, (2, 5)))
    y = da.from_array(b, chunks=((4, 3), 2))
    z = da.einsum("ij,jk->ik", x, y)
    assert z.chunks == ((3, 3), (2, 2, 1))
    assert_eq(z, a @ b)


@settings(max_examples=20, deadline=None)
@given(st.data())
def test_einsum_random_chunks(data):
    i, j, k = (data.draw(st.integers(1, 6), label=c) for c in "ijk")
    a = RNG.standard_normal((i, j, k))
    b = RNG.standard_normal((k, j))

    def chunks(shape):
        return tuple(data.draw(st.integers(1, n)) for n in shape)

    x = da.from_array(a, chunks=chunks(a.shape))
    y = da.from_array(b, chunks=chunks(b.shape))
    subscripts = data.draw(st.sampled_from(["ijk,kj->i", "ijk,kj->ij", "ijk,kl->ijl", "ijk->kj"]))
    if subscripts == "ijk->kj":
        assert_eq(da.einsum(subscripts, x), np.einsum(subscripts, a))
    else:
        assert_eq(da.einsum(subscripts, x, y), np.einsum(subscripts, a, b))


@pytest.mark.parametrize("scheduler", ["threads", "processes"])
def test_einsum_schedulers(scheduler):
    arrays, xs = operands("ijk,jl->ikl")
    assert_eq(da.einsum("ijk,jl->ikl", *xs), np.einsum("ijk,jl->ikl", *arrays), scheduler=scheduler)


def test_einsum_errors():
    x = da.ones((3, 4), chunks=2)
    y = da.ones((5, 2), chunks=2)
    with pytest.raises(ValueError, match=r"index 'j'.*\(3, 4\), \(5, 2\)"):
        da.einsum("ij,jk->ik", x, y)
    with pytest.raises(ValueError, match="2 operand"):
        da.einsum("ij,jk->ik", x)
    with pytest.raises(ValueError, match="invalid subscripts"):
        da.einsum("i1,jk", x, y)
    with pytest.raises(ValueError, match="subscripts 'ijk' name 3"):
        da.einsum("ijk->i", x)
    with pytest.raises(ValueError, match="output subscripts"):
        da.einsum("ij->iz", x)
    with pytest.raises(ValueError, match="output subscripts"):
        da.einsum("ij->ii", x)
    with pytest.raises(ValueError, match="no '...'"):
        da.einsum("...j->j", da.ones((2, 3, 4), chunks=2))
    with pytest.raises(NotImplementedError, match="subscripts-string form"):
        da.einsum(x, [0, 1])
    with pytest.raises(NotImplementedError, match="out="):
        da.einsum("ij->i", x, out=np.empty(3))
    with pytest.raises(TypeError, match="unexpected keyword"):
        da.einsum("ij->i", x, bogus=1)


def test_parse_subscripts():
    assert parse_subscripts("ij,jk", [2, 2]) == (["ij", "jk"], "ik")
    assert parse_subscripts("...i,i", [1, 1]) == (["i", "i"], "")
    assert parse_subscripts("i...->...", [3]) == (["iYZ"], "YZ")
