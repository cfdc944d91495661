"""Tests of mpiflow.array.blockwise: blockwise, map_blocks, elemwise, broadcasting."""

from __future__ import annotations

import numpy as np
import pytest
from array_helpers import SCHEDULERS, assert_eq
from hypothesis import given, settings
from hypothesis import strategies as st

import mpiflow.array as da
from mpiflow.array.blockwise import blockwise, broadcast_to, elemwise, map_blocks, unify_chunks
from mpiflow.delayed import delayed

A = np.arange(24.0).reshape(4, 6)
V = np.arange(6.0)


@pytest.fixture
def x():
    return da.from_array(A, chunks=(2, 3))


@pytest.fixture
def v():
    return da.from_array(V, chunks=3)


def _matvec(a, b):
    return a @ b


def _matvec_lists(blocks_a, blocks_b):
    return sum(a @ b for a, b in zip(blocks_a, blocks_b, strict=True))


# --------------------------------------------------------------------------------------
# blockwise
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_contraction_concatenated(x, v, scheduler):
    r = blockwise(_matvec, "i", x, "ij", v, "j", concatenate=True, dtype=float)
    assert r.chunks == ((2, 2),)
    assert_eq(r, A @ V, scheduler=scheduler)


def test_contraction_as_lists(x, v):
    assert_eq(blockwise(_matvec_lists, "i", x, "ij", v, "j", dtype=float), A @ V)


def test_transpose_by_index(x):
    r = blockwise(np.transpose, "ji", x, "ij", dtype=x.dtype)
    assert r.chunks == ((3, 3), (2, 2))
    assert_eq(r, A.T)


def test_outer_product(x, v):
    r = blockwise(np.multiply.outer, "ijk", x, "ij", v, "k", dtype=float)
    assert r.chunks == ((2, 2), (3, 3), (3, 3))
    assert_eq(r, np.multiply.outer(A, V))


def test_new_axes_and_adjust_chunks(x):
    r = blockwise(
        lambda b: b[..., None] * np.ones(3), "ijk", x, "ij", new_axes={"k": 3}, dtype=float
    )
    assert r.chunks == ((2, 2), (3, 3), (3,))
    assert_eq(r, A[..., None] * np.ones(3))
    first = blockwise(lambda b: b[:1], "ij", x, "ij", adjust_chunks={"i": 1}, dtype=float)
    assert_eq(first, A[::2])
    halves = blockwise(
        lambda b: b[:, :1], "ij", x, "ij", adjust_chunks={"j": lambda n: n - 2}, dtype=float
    )
    assert_eq(halves, A[:, ::3])
    tup = blockwise(lambda b: b[:1], "ij", x, "ij", adjust_chunks={"i": (1, 1)}, dtype=float)
    assert tup.chunks[0] == (1, 1)
    with pytest.raises(ValueError, match="adjust_chunks\\['i'\\] has 3 lengths"):
        blockwise(lambda b: b, "ij", x, "ij", adjust_chunks={"i": (1, 1, 1)}, dtype=float)


def test_literals_kwargs_and_numpy_arguments(x):
    r = blockwise(np.add, "ij", x, "ij", V, "j", dtype=float)
    assert_eq(r, A + V)
    r = blockwise(np.clip, "ij", x, "ij", 3, None, 10, None)
    assert_eq(r, np.clip(A, 3, 10))
    r = blockwise(np.round, "ij", x / 7, "ij", decimals=2)
    assert_eq(r, np.round(A / 7, decimals=2))
    s = blockwise(lambda b, text: b + len(text), "ij", x, "ij", ("x", 0), None, dtype=float)
    assert_eq(s, A + 2)  # a literal tuple that looks like a key stays a literal


def test_delayed_argument(x):
    d = delayed(np.float64)(5.0)
    assert_eq(blockwise(np.add, "ij", x, "ij", d, None, dtype=float), A + 5)


def test_aligns_chunks(x):
    y = da.from_array(A, chunks=(1, 6))
    r = blockwise(np.add, "ij", x, "ij", y, "ij", dtype=float)
    assert r.chunks == ((1, 1, 1, 1), (3, 3))
    assert_eq(r, 2 * A)
    unaligned = blockwise(np.add, "ij", x, "ij", x, "ij", align_arrays=False, dtype=float)
    assert_eq(unaligned, 2 * A)


def test_name_and_token(x):
    assert blockwise(np.negative, "ij", x, "ij", name="neg").name == "neg"
    r = blockwise(np.negative, "ij", x, "ij", token="flip")
    assert r.name.startswith("flip-")
    assert r.name == blockwise(np.negative, "ij", x, "ij", token="flip").name


def test_meta_gives_dtype(x):
    r = blockwise(lambda b: b.astype("f4"), "ij", x, "ij", meta=np.empty(0, "f4"))
    assert r.dtype == np.float32


def test_blockwise_errors(x):
    with pytest.raises(ValueError, match="odd number of arguments"):
        blockwise(np.add, "ij", x, "ij", x)
    with pytest.raises(ValueError, match="has 1 labels but its array has 2 dimensions"):
        blockwise(np.add, "ij", x, "i")
    with pytest.raises(ValueError, match="only arrays can be indexed"):
        blockwise(np.add, "ij", x, "ij", 3, "i")
    with pytest.raises(NotImplementedError, match="Array with index None"):
        blockwise(np.add, "ij", x, "ij", x, None)
    with pytest.raises(ValueError, match="appears in no input index.*new_axes"):
        blockwise(np.add, "ijk", x, "ij")
    with pytest.raises(ValueError, match="lengths \\[4, 6\\] differ"):
        blockwise(np.add, "ij", x, "ij", x.T if hasattr(x, "T") else x, "ij")
    with pytest.raises(ValueError, match="pass dtype= explicitly"):
        blockwise(lambda b: b.nope, "ij", x, "ij")


# --------------------------------------------------------------------------------------
# map_blocks
# --------------------------------------------------------------------------------------


def test_map_blocks_basic(x):
    assert_eq(map_blocks(lambda b: b * 2, x), A * 2)
    assert_eq(x.map_blocks(np.multiply, 3), A * 3)
    assert x.map_blocks(lambda b: b.astype(int)).dtype == int
    assert x.map_blocks(lambda b: b, dtype="f4").dtype == np.float32


def test_map_blocks_several_arrays_broadcast(x, v):
    assert_eq(map_blocks(np.add, x, v), A + V)
    assert_eq(map_blocks(np.add, x, V), A + V)


def test_map_blocks_chunks_and_axes(x):
    sums = map_blocks(np.sum, x, chunks=((1, 1), (1, 1)), dtype=float, keepdims=True, axis=None)
    assert_eq(
        sums, np.array([[A[:2, :3].sum(), A[:2, 3:].sum()], [A[2:, :3].sum(), A[2:, 3:].sum()]])
    )
    shape_chunks = map_blocks(lambda b: b[:1, :1], x, chunks=(1, 1), dtype=float)
    assert shape_chunks.chunks == ((1, 1), (1, 1))
    col = map_blocks(lambda b: b.sum(axis=0), x, drop_axis=0, dtype=float)
    assert col.chunks == ((3, 3),)
    assert_eq(col, A.sum(axis=0))
    new = map_blocks(lambda b: b[None], x, new_axis=0, dtype=float)
    assert new.chunks == ((1,), (2, 2), (3, 3))
    assert_eq(new, A[None])
    wide = map_blocks(
        lambda b: np.repeat(b[..., None], 2, -1), x, new_axis=2, chunks=(2, 3, 2), dtype=float
    )
    assert_eq(wide, np.repeat(A[..., None], 2, -1))
    with pytest.raises(ValueError, match="has 1 entries but the output has 2 dimensions"):
        map_blocks(lambda b: b, x, chunks=(1,))


def _where_am_i(b, block_id=None):
    return np.full(b.shape, 10 * block_id[0] + block_id[1])


def _info(b, block_info=None):
    loc = block_info[0]["array-location"]
    assert block_info[None]["chunk-shape"] == b.shape
    assert block_info[0]["shape"] == (4, 6) and block_info[0]["num-chunks"] == (2, 2)
    return np.full(b.shape, loc[0][0] * 100 + loc[1][0])


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_map_blocks_block_id_and_info(x, scheduler):
    expected = np.repeat(np.repeat(np.array([[0, 1], [10, 11]]), 2, 0), 3, 1)
    assert_eq(map_blocks(_where_am_i, x, dtype=int), expected, scheduler=scheduler)
    expected = np.repeat(np.repeat(np.array([[0, 3], [200, 203]]), 2, 0), 3, 1)
    assert_eq(map_blocks(_info, x, dtype=int), expected, scheduler=scheduler)


def test_map_blocks_errors(x):
    with pytest.raises(TypeError, match="first argument must be a function"):
        map_blocks(x, np.negative)
    with pytest.raises(ValueError, match="at least one mpiflow Array"):
        map_blocks(np.negative, A)


def test_map_blocks_dtype_falls_back_to_input(x):
    # a function that cannot run on samples keeps the input dtype (declare dtype= otherwise)
    assert map_blocks(lambda b: b.reshape(b.shape), x).dtype == x.dtype


# --------------------------------------------------------------------------------------
# elemwise and broadcasting
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "shape_a, shape_b",
    [((4, 6), (6,)), ((4, 1), (1, 6)), ((4, 6), (4, 1)), ((1,), (4, 6)), ((), (4, 6))],
)
def test_elemwise_broadcasting(shape_a, shape_b):
    a = np.arange(np.prod(shape_a, dtype=int), dtype=float).reshape(shape_a)
    b = np.arange(np.prod(shape_b, dtype=int), dtype=float).reshape(shape_b) + 1
    xa = da.from_array(a, chunks=2)
    xb = da.from_array(b, chunks=3)
    assert_eq(elemwise(np.add, xa, xb), a + b)
    assert_eq(elemwise(np.add, xa, b), a + b)
    assert_eq(elemwise(np.add, a, xb), a + b)


def test_elemwise_scalars_and_dtypes(x):
    assert elemwise(np.add, x, 1).dtype == np.float64
    i = da.from_array(np.arange(4, dtype="i2"), chunks=2)
    assert (i + 1).dtype == np.int16  # Python scalars do not widen (NEP 50)
    assert (i + np.int64(1)).dtype == np.int64
    assert (i / 2).dtype == np.float64
    assert_eq(elemwise(np.add, x, np.array(2.0)), A + 2)
    assert_eq(elemwise(np.add, x, np.array([2.0])), A + 2)
    assert_eq(elemwise(np.add, x, [1.0] * 6), A + 1)
    assert elemwise(np.add, x, 1, dtype="f4").dtype == np.float32
    assert_eq(
        elemwise(np.add, x[0] if hasattr(x, "__getitem__") else x, np.ones((1, 1))),
        A[0] + np.ones((1, 1)),
    )
    assert_eq(elemwise(np.add, x, np.ones((1, 1, 1))), A + np.ones((1, 1, 1)))
    out = da.from_array(np.zeros_like(A), chunks=3)
    assert elemwise(np.add, x, 1, out=out) is out
    assert_eq(out, A + 1)
    with pytest.raises(NotImplementedError, match="where="):
        elemwise(np.add, x, 1, where=False)


def test_elemwise_errors(x):
    with pytest.raises(
        ValueError,
        match=r"could not be broadcast together with shapes "
        r"\(4, 6\) \(5,\).*reshape",
    ):
        x + np.ones(5)
    with pytest.raises(ValueError, match="could not be broadcast"):
        elemwise(np.add, x, da.from_array(np.ones((3, 6)), chunks=2))
    with pytest.raises(TypeError, match="does not accept operands.*astype"):
        x + "text"


def test_elemwise_rechunks_to_common_chunks(x):
    y = da.from_array(A, chunks=(3, 4))
    z = x + y
    assert z.chunks == ((2, 1, 1), (3, 1, 2))
    assert_eq(z, 2 * A)


def test_elemwise_unknown_chunks():
    import math

    u = da.Array(
        {("u", 0): np.arange(3.0), ("u", 1): np.arange(2.0)}, "u", ((math.nan, math.nan),), float
    )
    w = u + u * 2
    assert np.isnan(w.shape[0])
    assert w.compute(scheduler="sync").tolist() == [0, 3, 6, 0, 3]
    k = da.from_array(np.arange(5.0), chunks=3)
    with pytest.raises(ValueError, match="compute_chunk_sizes"):
        u + k
    with pytest.raises(ValueError, match="NumPy array of shape \\(5,\\).*compute_chunk_sizes"):
        u + np.arange(5.0)
    assert (u + 1.0).compute(scheduler="sync").tolist() == [1, 2, 3, 1, 2]


def test_elemwise_with_zero_d_arrays(x):
    assert_eq(x - x.mean(), A - A.mean())
    assert_eq(x.sum() * x, A.sum() * A)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.integers(1, 5), min_size=0, max_size=3).flatmap(
        lambda shape: st.tuples(
            st.just(tuple(shape)),
            st.lists(st.booleans(), min_size=len(shape), max_size=len(shape)),
            st.integers(0, len(shape)),
            st.tuples(*[st.integers(1, 4) for _ in shape]),
            st.tuples(*[st.integers(1, 4) for _ in shape]),
        )
    )
)
def test_elemwise_property(case):
    shape, ones, drop, chunks_a, chunks_b = case
    shape_b = tuple(1 if o else n for o, n in zip(ones, shape, strict=True))[drop:]
    a = np.arange(np.prod(shape, dtype=int), dtype=float).reshape(shape)
    b = np.arange(np.prod(shape_b, dtype=int), dtype=float).reshape(shape_b) - 3
    xa = da.from_array(a, chunks=chunks_a)
    xb = da.from_array(b, chunks=chunks_b[drop:])
    assert_eq(xa * xb - xa, a * b - a)
    assert_eq(np.maximum(xb, xa), np.maximum(b, a))


# --------------------------------------------------------------------------------------
# broadcast_to and unify_chunks
# --------------------------------------------------------------------------------------


def test_broadcast_to(v):
    assert_eq(broadcast_to(v, (3, 6)), np.broadcast_to(V, (3, 6)))
    col = da.from_array(np.arange(4.0)[:, None], chunks=2)
    assert_eq(broadcast_to(col, (4, 5)), np.broadcast_to(np.arange(4.0)[:, None], (4, 5)))
    r = broadcast_to(col, (2, 4, 5), chunks=(1, 2, 3))
    assert r.chunks == ((1, 1), (2, 2), (3, 2))
    assert_eq(r, np.broadcast_to(np.arange(4.0)[:, None], (2, 4, 5)))
    assert broadcast_to(v, (6,)) is v
    assert_eq(broadcast_to(np.arange(3), (2, 3)), np.broadcast_to(np.arange(3), (2, 3)))
    with pytest.raises(ValueError, match="cannot broadcast an array of shape \\(6,\\)"):
        broadcast_to(v, (3, 5))
    with pytest.raises(ValueError, match="cannot broadcast"):
        broadcast_to(col, (5,))
    with pytest.raises(ValueError, match="rechunk the input first"):
        broadcast_to(v, (2, 6), chunks=(1, 2))


def test_unify_chunks(x):
    y = da.from_array(A, chunks=(4, 2))
    chunkss, (x2, y2) = unify_chunks(x, "ij", y, "ij")
    assert chunkss == {"i": (2, 2), "j": (2, 1, 1, 2)}
    assert x2.chunks == y2.chunks == ((2, 2), (2, 1, 1, 2))
    chunkss, (same, lit) = unify_chunks(x, "ij", 5, None)
    assert same is x and lit == 5
    with pytest.raises(ValueError, match="odd number"):
        unify_chunks(x, "ij", y)
    with pytest.raises(ValueError, match="one label per axis"):
        unify_chunks(x, "i")


def _info_np(b, other, block_info=None):
    assert block_info[1]["num-chunks"] == (2,) and block_info[1]["shape"] == (6,)
    return b + other + block_info[0]["chunk-location"][1]


def test_map_blocks_block_info_after_rechunk_and_with_numpy(x):
    import pickle

    y = map_blocks(_info_np, x, V, dtype=float)  # V is split to match x's blocks
    expected = A + V + np.repeat([0, 1], 3)[None, :]
    assert_eq(y, expected)
    z = map_blocks(_where_am_i, da.from_array(A, chunks=(4, 6)) + x, dtype=int)
    assert_eq(z, np.repeat(np.repeat(np.array([[0, 1], [10, 11]]), 2, 0), 3, 1))
    assert_eq(pickle.loads(pickle.dumps(y)), expected)


@settings(max_examples=20, deadline=None)
@given(
    st.integers(1, 8),
    st.integers(1, 8),
    st.tuples(st.integers(1, 5), st.integers(1, 5)),
    st.integers(1, 5),
    st.booleans(),
)
def test_contraction_property(n, m, chunks_a, chunk_v, concatenate):
    a = np.arange(n * m, dtype=float).reshape(n, m)
    v = np.arange(m, dtype=float) - 2
    x = da.from_array(a, chunks=chunks_a)
    y = da.from_array(v, chunks=chunk_v)  # different chunks along j: aligned first
    func = _matvec if concatenate else _matvec_lists
    r = blockwise(func, "i", x, "ij", y, "j", concatenate=concatenate, dtype=float)
    assert r.chunks[0] == x.chunks[0]
    assert_eq(r, a @ v)
    s = map_blocks(np.sum, x, drop_axis=1, dtype=float, axis=1)
    assert_eq(s, a.sum(axis=1))
