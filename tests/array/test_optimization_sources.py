"""The optimizer fuses source blocks (random, ones, arange...) into their one reader.

A source layer reads no other layer. A block of it read by exactly one task
is made inside that task; a block read by several tasks (or twice by one)
stays a key, made once. Fusing never changes values.
"""

from __future__ import annotations

import numpy as np
import pytest
from array_helpers import assert_eq
from hypothesis import given, settings
from hypothesis import strategies as st

import mpiflow.array as da
from mpiflow import config
from mpiflow.array.core import new_array
from mpiflow.base import collections_to_graph


def graph(x):
    """The optimized graph ``compute`` would run."""
    return collections_to_graph([x])[0]


def unfused(x, scheduler="sync"):
    with config.set({"array.fuse": False}):
        return x.compute(scheduler=scheduler)


def keys_of(dsk, name):
    return {k for k in dsk if type(k) is tuple and k and k[0] == name}


# --------------------------------------------------------------------------------------
# Random sources
# --------------------------------------------------------------------------------------


def test_random_blocks_are_fused_into_a_sum():
    x = da.random.default_rng(0).random((60, 20), chunks=(10, 20))
    y = (x + 1).sum()
    dsk = graph(y)
    assert not keys_of(dsk, x.name)  # no random block is a key of its own
    assert len(dsk) == x.npartitions + 1  # one task per block (draw, add, sum) + the total
    with config.set({"array.fuse": False}):
        assert len(keys_of(graph(y), x.name)) == x.npartitions
    fused = y.compute(scheduler="sync")
    assert fused == unfused(y)  # bit for bit: the same draws, the same additions
    assert fused == pytest.approx((x.compute(scheduler="sync") + 1).sum())


def test_random_blocks_read_twice_stay_keys():
    x = da.random.default_rng(1).random((6, 6), chunks=3)
    y = x + x.T
    dsk = graph(y)
    # block (i, j) is read by out (i, j) and out (j, i); (i, i) twice by one task
    assert keys_of(dsk, x.name) == {(x.name, i, j) for i in range(2) for j in range(2)}
    a = x.compute(scheduler="sync")
    np.testing.assert_array_equal(y.compute(scheduler="sync"), a + a.T)
    np.testing.assert_array_equal(y.compute(scheduler="sync"), unfused(y))


def test_a_source_read_by_two_layers_stays_a_key():
    x = da.random.default_rng(2).random((8,), chunks=2)
    y = x - x.sum()
    assert keys_of(graph(y), x.name) == {(x.name, i) for i in range(4)}
    np.testing.assert_array_equal(y.compute(scheduler="sync"), unfused(y))


def test_a_source_asked_for_is_not_fused_away():
    x = da.random.default_rng(3).random((8,), chunks=2)
    assert keys_of(graph(x), x.name) == {(x.name, i) for i in range(4)}
    dsk = collections_to_graph([x, x + 1])[0]  # x is an output and read by x + 1
    assert len(keys_of(dsk, x.name)) == 4


def test_a_partly_needed_source_makes_only_the_needed_blocks():
    x = da.random.default_rng(4).random((100, 10), chunks=(10, 5))
    y = (x * 2)[15, 7]
    dsk = graph(y)
    assert not keys_of(dsk, x.name)
    assert len(dsk) == 1  # the one block, drawn, doubled and sliced in one task
    assert y.compute(scheduler="sync") == unfused(y)
    assert y.compute(scheduler="sync") == 2 * x.compute(scheduler="sync")[15, 7]


def test_rechunk_reading_parts_of_a_block_keeps_it():
    x = da.random.default_rng(5).random((12,), chunks=4)
    y = x.rechunk(6)  # block 1 of x feeds both output blocks
    dsk = graph(y)
    assert (x.name, 1) in dsk
    np.testing.assert_array_equal(y.compute(scheduler="sync"), unfused(y))


@pytest.mark.parametrize("scheduler", ["sync", "threads", "processes"])
def test_fused_random_values_are_the_same_on_every_scheduler(scheduler):
    def make():
        x = da.random.default_rng(6).normal(3.0, 2.0, size=(20, 6), chunks=(5, 4))
        return x, (x + 1).sum(axis=1)

    x, y = make()
    expected = unfused(make()[1])
    np.testing.assert_array_equal(y.compute(scheduler=scheduler), expected)
    np.testing.assert_allclose(expected, (x.compute(scheduler="sync") + 1).sum(axis=1))


def test_legacy_random_functions_are_fused_and_reproducible():
    da.random.seed(11)
    y = (da.random.random_sample((30, 4), chunks=(10, 4)) + 1).sum()
    da.random.seed(11)
    z = (da.random.random_sample((30, 4), chunks=(10, 4)) + 1).sum()
    assert y.name == z.name
    assert not any(str(k[0]).startswith("random_sample") for k in graph(y))
    assert y.compute(scheduler="threads") == unfused(z)


@settings(max_examples=15, deadline=None)
@given(
    shape=st.lists(st.integers(1, 9), min_size=1, max_size=3),
    chunk=st.integers(1, 4),
    axis=st.sampled_from([None, 0, -1]),
    seed=st.integers(0, 2**32 - 1),
)
def test_fused_random_reductions_match_unfused(shape, chunk, axis, seed):
    x = da.random.default_rng(seed).random(tuple(shape), chunks=chunk)
    y = (x * 3 - 1).sum(axis=axis)
    np.testing.assert_array_equal(y.compute(scheduler="sync"), unfused(y))
    np.testing.assert_allclose(
        y.compute(scheduler="sync"), (x.compute(scheduler="sync") * 3 - 1).sum(axis=axis)
    )


# --------------------------------------------------------------------------------------
# Other sources
# --------------------------------------------------------------------------------------

SOURCES = {
    "ones": (lambda: da.ones((6, 4), chunks=2), np.ones((6, 4))),
    "zeros": (lambda: da.zeros((6, 4), chunks=(4, 3)), np.zeros((6, 4))),
    "full": (lambda: da.full((5, 3), 2.5, chunks=2), np.full((5, 3), 2.5)),
    "arange": (lambda: da.arange(11, chunks=3), np.arange(11)),
    "linspace": (lambda: da.linspace(0, 1, 9, chunks=4), np.linspace(0, 1, 9)),
    "eye": (lambda: da.eye(5, chunks=2), np.eye(5)),
}


@pytest.mark.parametrize("kind", list(SOURCES))
def test_constant_and_range_sources_are_fused(kind):
    make, expected = SOURCES[kind]
    x = make()
    y = (x + 1).sum()
    assert not keys_of(graph(y), x.name)
    assert_eq(y, (expected + 1).sum())
    assert y.compute(scheduler="sync") == unfused(y)
    z = x * 2  # elementwise output: each source block made inside its output task
    assert not keys_of(graph(z), x.name)
    assert_eq(z, expected * 2)


def test_a_source_block_read_by_its_own_layer_stays_a_key():
    # block 1 is made from block 0: block 0 must stay a key for it
    name = "chain-source"
    layer = {(name, 0): (np.ones, 2), (name, 1): (np.add, (name, 0), 1)}
    x = new_array(name, layer, ((2, 2),), float)
    y = (x * 2).sum()
    dsk = graph(y)
    assert keys_of(dsk, name) == {(name, 0)}  # block 1 is fused: it only reads
    assert y.compute(scheduler="sync") == 12.0 == unfused(y)


def test_a_source_task_reading_a_shared_key_is_fused_and_the_key_stays():
    # a non-NumPy array-like: every block's task reads one shared key of the source
    class Source:
        def __init__(self, a):
            self.a, self.shape, self.dtype = a, a.shape, a.dtype

        def __getitem__(self, index):
            return self.a[index]

    a = np.arange(12.0)
    x = da.from_array(Source(a), chunks=4)
    y = (x + 1).sum()
    dsk = graph(y)
    assert not keys_of(dsk, x.name)
    assert [k for k in dsk if type(k) is str] == [x.name.replace("array-", "array-original-")]
    assert_eq(y, (a + 1).sum())
    assert y.compute(scheduler="sync") == unfused(y)


def test_data_blocks_are_left_as_keys():
    a = np.arange(12.0)
    x = da.from_array(a, chunks=4)  # blocks are NumPy views: data, not tasks
    y = (x + 1).sum()
    assert len(keys_of(graph(y), x.name)) == 3
    assert_eq(y, (a + 1).sum())
