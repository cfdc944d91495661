"""The receive-buffer pool: reuse after the data is dropped, never while it is held."""

from __future__ import annotations

import gc

import numpy as np

from mpiflow.distributed.comm.buffers import MIN_POOLED_BYTES, BufferPool

SIZE = MIN_POOLED_BYTES


def test_a_held_buffer_is_never_handed_out_again():
    pool = BufferPool(limit=4 * SIZE)
    first = np.frombuffer(pool.take(SIZE), dtype=np.uint8)
    first[:] = 7
    second = np.frombuffer(pool.take(SIZE), dtype=np.uint8)
    assert not np.shares_memory(first, second) and pool.reused == 0
    second[:] = 9
    assert (first == 7).all()


def test_dropped_data_returns_its_buffer_for_the_same_size():
    pool = BufferPool(limit=4 * SIZE)
    data = np.frombuffer(pool.take(SIZE), dtype=np.uint8)
    address = data.__array_interface__["data"][0]
    del data
    gc.collect()
    assert pool.pooled_bytes == SIZE
    again = np.frombuffer(pool.take(SIZE), dtype=np.uint8)
    assert again.__array_interface__["data"][0] == address and pool.reused == 1
    other = pool.take(SIZE + 1)  # another size: fresh memory
    assert other.nbytes == SIZE + 1 and pool.reused == 1


def test_the_pool_keeps_at_most_its_limit_dropping_the_oldest_first():
    pool = BufferPool(limit=2 * SIZE)
    views = [pool.take(SIZE + i) for i in range(3)]
    for i in range(3):  # dropped oldest size first
        views[i] = None
    gc.collect()
    assert pool.pooled_bytes <= 2 * SIZE
    pool.take(SIZE + 2)  # the newest size is still there
    assert pool.reused == 1
    pool.take(SIZE)  # the oldest was dropped
    assert pool.reused == 1


def test_small_buffers_and_a_zero_limit_are_never_pooled():
    pool = BufferPool(limit=0)
    view = pool.take(SIZE)
    del view
    gc.collect()
    assert pool.pooled_bytes == 0
    small = BufferPool(limit=4 * SIZE)
    v = small.take(1024)
    del v
    gc.collect()
    assert small.pooled_bytes == 0
