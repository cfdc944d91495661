"""Tests of mpiflow.array.creation: constants, ranges, eye/diag, from_delayed, npy stacks, store."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from array_helpers import assert_eq
from hypothesis import given, settings
from hypothesis import strategies as st

import mpiflow.array as da
from mpiflow.delayed import Delayed, delayed

# --------------------------------------------------------------------------------------
# ones / zeros / full / empty and *_like
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("func", ["ones", "zeros", "empty"])
@pytest.mark.parametrize(
    ("shape", "chunks", "dtype"),
    [(5, 2, float), ((4, 6), (3, 4), "i4"), ((3, 0, 2), 2, bool), ((), "auto", "u1")],
)
def test_constants(func, shape, chunks, dtype):
    x = getattr(da, func)(shape, dtype=dtype, chunks=chunks)
    expected = getattr(np, func)(shape, dtype=dtype)
    if func == "empty":
        assert x.shape == expected.shape and x.dtype == expected.dtype
        assert x.compute(scheduler="sync").shape == expected.shape
    else:
        assert_eq(x, expected)


def test_full_and_names():
    assert_eq(da.full((3, 4), 2.5, chunks=2), np.full((3, 4), 2.5))
    assert_eq(da.full(4, 7, dtype="f4", chunks=3), np.full(4, 7, dtype="f4"))
    assert da.full(3, True).dtype == bool
    assert da.ones(4, chunks=2).name == da.ones(4, chunks=2).name
    assert da.ones(4, chunks=2).name != da.ones(4, chunks=1).name
    assert da.zeros(3, name="myzeros").name == "myzeros"
    assert_eq(da.ones((2, 3), order="F", chunks=2), np.ones((2, 3)))


def test_auto_chunks_are_used():
    x = da.zeros((4000, 4000), chunks="1MiB")
    assert x.chunksize[0] * x.chunksize[1] * 8 <= 2**20
    assert da.zeros(10).chunks == ((10,),)


@pytest.mark.parametrize("func", ["ones_like", "zeros_like", "empty_like"])
def test_like(func):
    x = da.from_array(np.arange(12).reshape(3, 4), chunks=(2, 3))
    y = getattr(da, func)(x)
    assert y.chunks == x.chunks and y.dtype == x.dtype
    y = getattr(da, func)(x, dtype="f4", shape=(5,), chunks=2)
    assert y.chunks == ((2, 2, 1),) and y.dtype == np.float32
    n = getattr(da, func)(np.zeros((2, 2), dtype=bool))
    assert n.shape == (2, 2) and n.dtype == bool
    if func != "empty_like":
        assert_eq(getattr(da, func)(x), getattr(np, func)(np.arange(12).reshape(3, 4)))


def test_full_like():
    x = da.from_array(np.arange(6), chunks=4)
    assert_eq(da.full_like(x, 3), np.full_like(np.arange(6), 3))
    assert_eq(da.full_like([1.0, 2.0], 0.5), np.array([0.5, 0.5]))


def test_constant_errors():
    with pytest.raises(ValueError, match="negative dimension"):
        da.ones((2, -3))
    with pytest.raises(TypeError, match="must hold ints, got 2.5"):
        da.zeros((2, 2.5))
    with pytest.raises(TypeError, match="must be an int or a tuple"):
        da.ones("abc" if False else object())
    with pytest.raises(TypeError, match="dtype='nonsense' is not a NumPy data type"):
        da.ones(3, dtype="nonsense")
    with pytest.raises(ValueError, match="fill_value must be a scalar"):
        da.full(3, [1, 2, 3])
    with pytest.raises(ValueError, match="order='X' must be 'C' or 'F'"):
        da.ones(3, order="X")
    with pytest.raises(ValueError, match="chunks"):
        da.ones((4, 4), chunks=(2, 2, 2))


# --------------------------------------------------------------------------------------
# arange and linspace
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [(10,), (2, 11, 3), (10, 0, -3), (5, 5), (5, 2), (0.0, 1.0, 0.1), (-3.5, 7), (1, 2.5, 0.5)],
)
def test_arange_matches_numpy(args):
    assert_eq(da.arange(*args, chunks=3), np.arange(*args))


def test_arange_dtype_and_keywords():
    assert_eq(da.arange(5, dtype="f4", chunks=2), np.arange(5, dtype="f4"))
    assert_eq(da.arange(start=2, stop=8, step=2, chunks=2), np.arange(2, 8, 2))
    assert da.arange(np.int32(5)).dtype == np.arange(np.int32(5)).dtype
    assert da.arange(3.0).dtype == np.float64


def test_arange_no_drift_across_blocks():
    x = da.arange(0.0, 100_000 * 0.1, 0.1, chunks=7_777).compute(scheduler="sync")
    np.testing.assert_array_equal(x, 0.0 + 0.1 * np.arange(len(x)))
    assert len(x) == len(np.arange(0.0, 100_000 * 0.1, 0.1))


def test_arange_errors():
    with pytest.raises(ValueError, match="step must not be zero"):
        da.arange(0, 5, 0)
    with pytest.raises(TypeError, match="at most 3 positional"):
        da.arange(1, 2, 3, 4)
    with pytest.raises(TypeError, match="real numbers"):
        da.arange(1j)
    with pytest.raises(TypeError, match="unexpected keyword"):
        da.arange(5, bogus=1)


@pytest.mark.parametrize("endpoint", [True, False])
@pytest.mark.parametrize(
    ("start", "stop", "num"), [(0, 1, 5), (2.0, -3.0, 11), (1, 1, 4), (0, 1, 1), (0, 5, 0)]
)
def test_linspace_matches_numpy(start, stop, num, endpoint):
    x = da.linspace(start, stop, num, endpoint=endpoint, chunks=3)
    assert_eq(x, np.linspace(start, stop, num, endpoint=endpoint))


def test_linspace_retstep_and_dtype():
    x, step = da.linspace(0, 10, 7, retstep=True, chunks=2)
    e, estep = np.linspace(0, 10, 7, retstep=True)
    assert step == estep
    assert_eq(x, e)
    assert_eq(da.linspace(0, 10, 7, dtype=int, chunks=2), np.linspace(0, 10, 7, dtype=int))
    assert_eq(da.linspace(-2, 5, 9, dtype="f4", chunks=4), np.linspace(-2, 5, 9, dtype="f4"))


@settings(max_examples=25, deadline=None)
@given(
    start=st.integers(-20, 20),
    n=st.integers(0, 30),
    step=st.sampled_from([1, 2, -3, 0.5, -0.25]),
    chunk=st.integers(1, 7),
    endpoint=st.booleans(),
)
def test_hypothesis_ranges(start, n, step, chunk, endpoint):
    stop = start + n * step
    assert_eq(da.arange(start, stop, step, chunks=chunk), np.arange(start, stop, step))
    assert_eq(
        da.linspace(start, stop, n, endpoint=endpoint, chunks=chunk),
        np.linspace(start, stop, n, endpoint=endpoint),
    )
    shape = (n % 5, chunk)
    assert_eq(da.full(shape, start, chunks=(2, 3)), np.full(shape, start))


def test_linspace_errors():
    with pytest.raises(ValueError, match="num=-1 must be non-negative"):
        da.linspace(0, 1, -1)
    with pytest.raises(TypeError, match="num=2.5 must be an int"):
        da.linspace(0, 1, 2.5)
    with pytest.raises(NotImplementedError, match="array-valued"):
        da.linspace(np.zeros(2), 1, 3)


# --------------------------------------------------------------------------------------
# eye and diag
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("N", "M", "k"), [(5, None, 0), (5, 3, 1), (4, 7, -2), (3, 3, 5), (0, 2, 0)]
)
def test_eye(N, M, k):
    assert_eq(da.eye(N, chunks=2, M=M, k=k), np.eye(N, M, k))
    assert_eq(da.eye(N, chunks=(3, 1), M=M, k=k, dtype=int), np.eye(N, M, k, dtype=int))


def test_eye_errors():
    with pytest.raises(TypeError, match="N=2.5 must be an int"):
        da.eye(2.5)
    with pytest.raises(ValueError, match="negative dimension"):
        da.eye(-1)


@pytest.mark.parametrize("k", [-3, -1, 0, 1, 2])
def test_diag_1d_to_2d(k):
    v = np.arange(1, 8)
    assert_eq(da.diag(da.from_array(v, chunks=3), k), np.diag(v, k))


@pytest.mark.parametrize("k", [-4, -1, 0, 1, 3, 9])
@pytest.mark.parametrize("chunks", [2, (3, 2), ((1, 4, 1), (5, 2))])
def test_diag_2d_to_1d(k, chunks):
    a = np.arange(42).reshape(6, 7)
    assert_eq(da.diag(da.from_array(a, chunks=chunks), k), np.diag(a, k))


def test_diag_numpy_input_and_errors():
    assert_eq(da.diag(np.arange(3)), np.diag(np.arange(3)))
    with pytest.raises(ValueError, match="1- or 2-d"):
        da.diag(da.ones((2, 2, 2)))
    with pytest.raises(TypeError, match="k=1.5 must be an int"):
        da.diag(da.ones(3), 1.5)


@settings(max_examples=20, deadline=None)
@given(
    rows=st.integers(0, 8),
    cols=st.integers(0, 8),
    rc=st.integers(1, 4),
    cc=st.integers(1, 4),
    k=st.integers(-9, 9),
)
def test_hypothesis_eye_and_diag(rows, cols, rc, cc, k):
    a = np.arange(rows * cols).reshape(rows, cols)
    assert_eq(da.diag(da.from_array(a, chunks=(rc, cc)), k), np.diag(a, k))
    assert_eq(da.eye(rows, chunks=(rc, cc), M=cols, k=k), np.eye(rows, cols, k))
    v = np.arange(rows)
    assert_eq(da.diag(da.from_array(v, chunks=rc), k), np.diag(v, k))


@pytest.mark.parametrize("scheduler", ["threads", "processes"])
def test_creation_schedulers(scheduler):
    x = da.ones((4, 5), chunks=2) + da.arange(5, chunks=2) + da.eye(4, M=5, chunks=3)
    x = x + da.diag(da.linspace(0, 1, 4, chunks=3), 1)[:4]
    e = np.ones((4, 5)) + np.arange(5) + np.eye(4, 5) + np.diag(np.linspace(0, 1, 4), 1)[:4]
    assert_eq(x, e, scheduler=scheduler, check_chunks=False)


# --------------------------------------------------------------------------------------
# from_delayed
# --------------------------------------------------------------------------------------


def test_from_delayed():
    d = delayed(np.arange)(6)
    x = da.from_delayed(d, shape=(6,), dtype=int)
    assert_eq(x * 2, np.arange(6) * 2)
    y = da.from_delayed(delayed(np.ones)((2, 3)), (2, 3), meta=np.empty(0, "f4"))
    assert y.dtype == np.float32 and y.chunks == ((2,), (3,))
    stacked = da.from_delayed(delayed(np.ones)(4), 4)
    assert_eq(stacked + x[:4], np.ones(4) + np.arange(4), scheduler="threads")


def test_from_delayed_unknown_shape():
    x = da.from_delayed(delayed(np.arange)(5), shape=(np.nan,), dtype=int)
    assert np.isnan(x.shape[0])
    np.testing.assert_array_equal(x.compute(scheduler="sync"), np.arange(5))


def test_from_delayed_errors():
    with pytest.raises(TypeError, match="expects a Delayed value"):
        da.from_delayed(np.ones(3), (3,))
    with pytest.raises(ValueError, match="negative dimension"):
        da.from_delayed(delayed(np.ones)(3), (-3,))
    x = da.from_delayed(delayed(np.ones)(3), shape=(4,))
    with pytest.raises(ValueError, match=r"has shape \(3,\) but shape=\(4,\) was declared"):
        x.compute(scheduler="sync")


# --------------------------------------------------------------------------------------
# npy stacks
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("axis", [0, 1])
def test_npy_stack_round_trip(tmp_path, axis):
    a = np.arange(60.0).reshape(6, 10)
    x = da.from_array(a, chunks=(4, 3))
    da.to_npy_stack(str(tmp_path), x, axis=axis, scheduler="sync")
    files = sorted(p.name for p in tmp_path.iterdir())
    assert len(files) == len(x.chunks[axis]) + 1 and "info" in files
    y = da.from_npy_stack(str(tmp_path))
    assert y.chunks[axis] == x.chunks[axis]
    assert_eq(y, a)
    blocks = y.compute(scheduler="sync")
    assert isinstance(np.load(tmp_path / "0.npy", mmap_mode="r"), np.memmap)
    z = da.from_npy_stack(str(tmp_path), mmap_mode=None)
    assert_eq(z, blocks)


def test_npy_stack_processes(tmp_path):
    x = da.arange(20, chunks=6)
    da.to_npy_stack(str(tmp_path), x, scheduler="processes")
    assert_eq(da.from_npy_stack(str(tmp_path)), np.arange(20), scheduler="processes")


def test_npy_stack_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="info not found"):
        da.from_npy_stack(str(tmp_path))
    with pytest.raises(ValueError, match="axis=2 out of range"):
        da.to_npy_stack(str(tmp_path), da.ones((2, 2)), axis=2)
    with pytest.raises(ValueError, match="mmap_mode='x'"):
        da.from_npy_stack(str(tmp_path), mmap_mode="x")


# --------------------------------------------------------------------------------------
# store
# --------------------------------------------------------------------------------------


class Recorder:
    """An h5py-like target: records every write (from any thread)."""

    def __init__(self, shape):
        self.shape = shape
        self.data = np.zeros(shape)
        self.writes = []
        self._guard = threading.Lock()

    def __setitem__(self, index, value):
        with self._guard:
            self.writes.append(index)
        self.data[index] = value


def test_store_into_numpy_and_recorder():
    a = np.arange(20.0).reshape(4, 5)
    x = da.from_array(a, chunks=(2, 3))
    out = np.zeros((4, 5))
    rec = Recorder((4, 5))
    assert da.store([x, x + 1], [out, rec], scheduler="threads") is None
    np.testing.assert_array_equal(out, a)
    np.testing.assert_array_equal(rec.data, a + 1)
    assert len(rec.writes) == 4  # one write per block


def test_store_regions_lock_and_method():
    x = da.arange(4, chunks=3)
    out = np.zeros(10, dtype=int)
    da.store(x, out, regions=(slice(6, 10),), lock=False, scheduler="sync")
    np.testing.assert_array_equal(out, [0, 0, 0, 0, 0, 0, 0, 1, 2, 3])
    lock = threading.RLock()
    out2 = np.zeros(8)
    da.store([x, x * 2], [out2, out2], regions=[(slice(0, 4),), (slice(4, 8),)], lock=lock)
    np.testing.assert_array_equal(out2, [0, 1, 2, 3, 0, 2, 4, 6])
    out3 = np.zeros(4, dtype=int)
    (x + 1).store(out3, scheduler="sync")
    np.testing.assert_array_equal(out3, np.arange(4) + 1)


def test_store_compute_false_and_return_stored():
    x = da.ones((3, 3), chunks=2)
    out = np.zeros((3, 3))
    d = da.store(x, out, compute=False)
    assert isinstance(d, Delayed) and out.sum() == 0
    d.compute(scheduler="sync")
    assert out.sum() == 9
    out2 = np.zeros((3, 3))
    (y,) = da.store(x * 2, out2, return_stored=True, scheduler="sync")
    assert out2.sum() == 18
    assert_eq(y, np.full((3, 3), 2.0))
    out3 = np.zeros((3, 3))
    (z,) = da.store(x * 3, out3, return_stored=True, compute=False)
    assert out3.sum() == 0
    assert_eq(z, np.full((3, 3), 3.0))
    assert out3.sum() == 27


def test_store_memmap_on_processes(tmp_path):
    mm = np.lib.format.open_memmap(tmp_path / "t.npy", mode="w+", dtype="f8", shape=(6, 4))
    x = da.from_array(np.arange(24.0).reshape(6, 4), chunks=(2, 3))
    da.store(x, mm, scheduler="processes")
    np.testing.assert_array_equal(np.load(tmp_path / "t.npy"), np.arange(24.0).reshape(6, 4))


def test_store_in_memory_target_on_processes_refuses():
    with pytest.raises(Exception, match="in-memory NumPy array"):
        da.store(da.ones(4, chunks=2), np.zeros(4), scheduler="processes")


def test_store_errors():
    x = da.ones((3, 4), chunks=2)
    with pytest.raises(ValueError, match=r"has shape \(3, 4\) but its target has shape \(4, 3\)"):
        da.store(x, np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"its region has shape \(2, 4\)"):
        da.store(x, np.zeros((4, 4)), regions=(slice(0, 2),))
    with pytest.raises(ValueError, match="2 sources but 1 targets"):
        da.store([x, x], [np.zeros((3, 4))])
    with pytest.raises(TypeError, match="does not support item assignment"):
        da.store(x, (1, 2, 3))
    with pytest.raises(TypeError, match="must be an mpiflow Array"):
        da.store([np.ones(3)], [np.zeros(3)])
    with pytest.raises(NotImplementedError, match="step other than 1"):
        da.store(x, np.zeros((6, 4)), regions=(slice(0, 6, 2),))
