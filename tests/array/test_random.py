"""Tests of mpiflow.array.random: reproducible per-block streams, both APIs, errors."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from array_helpers import assert_eq
from hypothesis import given, settings
from hypothesis import strategies as st

import mpiflow.array as da
from mpiflow.array.random import Generator, RandomState, default_rng


def values(x, scheduler="sync"):
    return x.compute(scheduler=scheduler)


# --------------------------------------------------------------------------------------
# Streams: reproducible, independent, documented
# --------------------------------------------------------------------------------------


def test_same_seed_same_values_and_chunks():
    a = default_rng(42).random((10, 7), chunks=(4, 3))
    b = default_rng(42).random((10, 7), chunks=(4, 3))
    assert a.name == b.name
    assert a.chunks == ((4, 4, 2), (3, 3, 1))
    np.testing.assert_array_equal(values(a), values(b))


def test_different_seeds_and_no_seed_differ():
    a = values(default_rng(1).random(50, chunks=10))
    b = values(default_rng(2).random(50, chunks=10))
    c = default_rng().random(50, chunks=10)
    d = default_rng().random(50, chunks=10)
    assert not np.array_equal(a, b)
    assert c.name != d.name
    assert not np.array_equal(values(c), values(d))


def test_successive_calls_draw_new_values():
    rng = default_rng(0)
    a, b = rng.random(20, chunks=5), rng.random(20, chunks=5)
    assert a.name != b.name
    assert not np.array_equal(values(a), values(b))


def test_blocks_are_independent_streams():
    x = values(default_rng(3).random((8, 8), chunks=4))
    blocks = [x[i : i + 4, j : j + 4] for i in (0, 4) for j in (0, 4)]
    for i in range(4):
        for j in range(i + 1, 4):
            assert not np.array_equal(blocks[i], blocks[j])


def test_documented_stream_scheme():
    # block i of a call uses child i of the call's SeedSequence child, with SFC64
    x = default_rng(5).random((6,), chunks=((4, 2),))
    call = np.random.SeedSequence(5).spawn(1)[0]
    expected = np.concatenate(
        [
            np.random.Generator(np.random.SFC64(s)).random(n)
            for s, n in zip(call.spawn(2), (4, 2), strict=True)
        ]
    )
    np.testing.assert_array_equal(values(x), expected)


def test_bit_generator_choice_is_kept():
    x = default_rng(np.random.PCG64(5)).random(4, chunks=-1)
    call = np.random.SeedSequence(5).spawn(1)[0]
    expected = np.random.Generator(np.random.PCG64(call.spawn(1)[0])).random(4)
    np.testing.assert_array_equal(values(x), expected)
    assert repr(default_rng(np.random.default_rng(1))) == "Generator(PCG64)"
    rng = default_rng(1)
    assert default_rng(rng) is rng


@pytest.mark.parametrize("scheduler", ["threads", "processes"])
def test_schedulers_agree(scheduler):
    x = default_rng(11).normal(2.0, 3.0, size=(30, 20), chunks=(10, 7))
    np.testing.assert_array_equal(values(x, scheduler), values(x))


def test_graph_holds_seeds_not_data():
    x = default_rng(0).random((4000, 4000), chunks=(1000, 1000))
    size = len(pickle.dumps(dict(x.graph)))
    assert size < 16 * 2000  # a few hundred bytes per block, never 8 MB blocks


@settings(max_examples=15, deadline=None)
@given(
    shape=st.lists(st.integers(0, 9), min_size=0, max_size=3),
    chunk=st.integers(1, 4),
    seed=st.integers(0, 2**32),
)
def test_hypothesis_shapes_and_chunks(shape, chunk, seed):
    shape = tuple(shape)
    x = default_rng(seed).random(shape, chunks=chunk)
    v = values(x)
    assert v.shape == shape and v.dtype == np.float64
    assert ((0 <= v) & (v < 1)).all()
    assert x.chunks == da.normalize_chunks(chunk, shape)
    np.testing.assert_array_equal(v, values(default_rng(seed).random(shape, chunks=chunk)))


# --------------------------------------------------------------------------------------
# Generator methods
# --------------------------------------------------------------------------------------

METHODS = [
    ("random", (), np.float64),
    ("standard_normal", (), np.float64),
    ("standard_exponential", (), np.float64),
    ("normal", (1.0, 2.0), np.float64),
    ("uniform", (-2.0, 5.0), np.float64),
    ("exponential", (2.0,), np.float64),
    ("poisson", (4.0,), np.int64),
    ("binomial", (10, 0.3), np.int64),
    ("gamma", (2.0, 1.5), np.float64),
    ("beta", (2.0, 3.0), np.float64),
    ("geometric", (0.5,), np.int64),
    ("lognormal", (0.0, 0.5), np.float64),
    ("triangular", (0.0, 0.2, 1.0), np.float64),
]


@pytest.mark.parametrize(("method", "args", "dtype"), METHODS)
def test_generator_methods_match_numpy_dtype_and_shape(method, args, dtype):
    x = getattr(default_rng(1), method)(*args, size=(9, 4), chunks=(4, 3))
    expected = getattr(np.random.default_rng(1), method)(*args, size=(9, 4))
    assert x.dtype == expected.dtype == dtype
    v = values(x)
    assert v.shape == (9, 4)
    assert_eq(x, v)


def test_size_positional_and_keywords():
    rng = default_rng(2)
    assert rng.normal(0, 1, (4, 4), 2).chunks == ((2, 2), (2, 2))  # Dask: chunks after size
    assert rng.random((4,), np.float32, 3).chunks == ((3, 1),)  # NumPy's dtype first
    assert rng.random((4,), np.float32, 3).dtype == np.float32
    assert da.random.random_sample((4, 4), (1, 4)).chunks == ((1,) * 4, (4,))
    assert da.random.randint(0, 5, (6,), 4).chunks == ((4, 2),)
    assert rng.normal(0, 1, (3, 2), chunks=2).shape == (3, 2)
    assert rng.normal(loc=5, size=4).shape == (4,)
    assert rng.random(dtype=np.float32, size=3).dtype == np.float32
    assert rng.random().shape == ()
    assert 0 <= float(values(rng.random())) < 1


def test_moments():
    rng = default_rng(0)
    v = values(rng.normal(10.0, 2.0, size=40_000, chunks=10_000))
    assert abs(v.mean() - 10) < 0.05 and abs(v.std() - 2) < 0.05
    u = values(rng.uniform(-1, 3, size=40_000, chunks=7_000))
    assert u.min() >= -1 and u.max() < 3 and abs(u.mean() - 1) < 0.05


def test_integers():
    rng = default_rng(4)
    v = values(rng.integers(5, 8, size=1000, chunks=300))
    assert v.dtype == np.int64 and set(v.tolist()) == {5, 6, 7}
    v = values(rng.integers(3, size=200, chunks=50, endpoint=True))
    assert set(v.tolist()) == {0, 1, 2, 3}
    assert rng.integers(0, 10, size=4, dtype=np.uint8).dtype == np.uint8


def test_numpy_array_parameters_broadcast():
    loc = np.array([0.0, 100.0, 200.0])[:, None]
    x = default_rng(0).normal(loc, 0.001, size=(3, 8), chunks=(2, 3))
    v = values(x)
    np.testing.assert_allclose(v, np.broadcast_to(loc, (3, 8)), atol=0.1)
    y = default_rng(0).uniform(np.arange(4.0), np.arange(4.0) + 1e-9, chunks=3)
    assert y.shape == (4,)
    np.testing.assert_allclose(values(y), np.arange(4.0), atol=1e-6)


def test_mpiflow_array_parameters():
    scale = da.from_array(np.array([1e-9, 1.0, 1e9]), chunks=2)
    x = default_rng(0).normal(0.0, scale, size=(5, 3), chunks=(2, 2))
    v = values(x)
    assert v.shape == (5, 3)
    assert (abs(v[:, 0]) < 1e-6).all() and (abs(v[:, 2]) > 1).any()


def test_choice():
    rng = default_rng(3)
    v = values(rng.choice(5, size=100, chunks=30))
    assert v.dtype == np.int64 and set(v.tolist()) <= set(range(5))
    v = values(rng.choice(np.array([1.5, 2.5]), size=(4, 5), chunks=2, p=[0.0, 1.0]))
    assert (v == 2.5).all()
    pop = da.from_array(np.array([7, 8, 9]), chunks=1)
    v = values(rng.choice(pop, size=20, chunks=6))
    assert set(v.tolist()) <= {7, 8, 9}
    p = da.from_array(np.array([0.0, 0.0, 1.0]), chunks=2)
    assert set(values(rng.choice(pop, size=5, p=p, chunks=2)).tolist()) == {9}
    v = values(rng.choice(10, size=10, replace=False, chunks=-1))
    assert sorted(v.tolist()) == list(range(10))


def test_choice_errors():
    rng = default_rng(3)
    with pytest.raises(NotImplementedError, match="replace=False"):
        rng.choice(10, size=6, replace=False, chunks=3)
    with pytest.raises(ValueError, match="larger sample"):
        rng.choice(3, size=6, replace=False, chunks=-1)
    with pytest.raises(ValueError, match="1-dimensional"):
        rng.choice(np.ones((2, 2)), size=3)
    with pytest.raises(ValueError, match="(?i)probabilities"):
        rng.choice(3, size=3, p=[0.5, 0.6, 0.1])
    with pytest.raises(NotImplementedError, match="axis"):
        rng.choice(3, size=3, axis=1)


# --------------------------------------------------------------------------------------
# Legacy API
# --------------------------------------------------------------------------------------


def test_random_state_reproducible_and_seed():
    a = values(RandomState(7).random_sample((5, 5), chunks=2))
    b = values(RandomState(7).random_sample((5, 5), chunks=2))
    np.testing.assert_array_equal(a, b)
    state = RandomState(7)
    state.random_sample(3)
    state.seed(7)
    np.testing.assert_array_equal(values(state.random_sample((5, 5), chunks=2)), a)


def test_module_functions():
    da.random.seed(10)
    a = da.random.random((6, 4), chunks=3)
    n = da.random.normal(5.0, 1.0, size=(6,), chunks=2)
    r = da.random.randint(0, 4, size=(50,), chunks=20)
    u = da.random.uniform(2.0, 3.0, size=10, chunks=4)
    s = da.random.standard_normal((3, 3), chunks=2)
    rs = da.random.random_sample(4, chunks=2)
    da.random.seed(10)
    np.testing.assert_array_equal(values(da.random.random((6, 4), chunks=3)), values(a))
    assert n.shape == (6,) and s.shape == (3, 3) and rs.shape == (4,)
    assert set(values(r).tolist()) <= {0, 1, 2, 3}
    assert ((2 <= values(u)) & (values(u) < 3)).all()
    assert set(values(da.random.randint(3, size=30, chunks=7)).tolist()) <= {0, 1, 2}
    assert values(da.random.choice(3, size=4, chunks=2)).shape == (4,)
    assert da.random.poisson(3.0, size=4).dtype == np.int64


def test_legacy_processes():
    x = RandomState(1).standard_normal((20, 20), chunks=10)
    assert_eq(x, values(x), scheduler="processes")


# --------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------


def test_bad_input():
    rng = default_rng(0)
    with pytest.raises(ValueError, match="negative dimensions"):
        rng.random((3, -1))
    with pytest.raises(TypeError, match="size=2.5 must be an int"):
        rng.random(2.5)
    with pytest.raises(TypeError, match="seed=1.5"):
        default_rng(1.5)
    with pytest.raises(ValueError, match="not a valid seed"):
        default_rng(-3)
    with pytest.raises(ValueError, match="scale < 0"):
        rng.normal(0, -1.0, size=3)
    with pytest.raises(ValueError, match="high <= 0|low >= high"):
        rng.integers(5, 2, size=3)
    with pytest.raises(TypeError, match="unexpected keyword argument 'bogus'"):
        rng.normal(0, 1, size=2, bogus=1)
    with pytest.raises(TypeError, match="missing required argument.*n, p"):
        rng.binomial(size=3)
    with pytest.raises(TypeError, match="at most 4 positional"):
        rng.normal(0, 1, 3, 2, 1)
    with pytest.raises(ValueError, match="does not broadcast to size"):
        rng.normal(np.zeros(3), 1.0, size=(2, 4))
    with pytest.raises(ValueError, match="do not broadcast together"):
        rng.normal(np.zeros(3), np.ones(2))
    with pytest.raises(ValueError, match="chunks"):
        rng.random((4, 4), chunks=(2, 2, 2))
    with pytest.raises(TypeError, match="Unsupported dtype|dtype"):
        rng.random(3, dtype=np.int32)
    assert isinstance(default_rng(0), Generator)
