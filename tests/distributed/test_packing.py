"""Client-side packing: the function cache never sends a stale function."""

from __future__ import annotations

import gc
import pickle
import threading

from mpiflow.distributed.packing import FunctionCache


def script_function():
    """A function as a script or notebook defines it: pickled by value, with its globals."""
    namespace = {"__name__": "__main__"}
    exec("SCALE = 2\ndef scaled(x):\n    return SCALE * x\n", namespace)
    return namespace["scaled"], namespace


def test_unchanged_function_reuses_its_pickle():
    cache = FunctionCache()
    scaled, _ = script_function()
    first = cache.blob(scaled, cache.token(scaled))
    assert cache.blob(scaled, cache.token(scaled)) is first
    assert pickle.loads(first)(3) == 6


def test_changed_global_is_pickled_again():
    cache = FunctionCache()
    scaled, namespace = script_function()
    before = cache.blob(scaled, cache.token(scaled))
    namespace["SCALE"] = 10
    after = cache.blob(scaled, cache.token(scaled))
    assert after is not before
    assert pickle.loads(before)(3) == 6 and pickle.loads(after)(3) == 30


def test_changed_closure_is_pickled_again():
    cache = FunctionCache()
    box = [1]

    def read():
        return box[0]

    a = cache.blob(read, cache.token(read))
    box[0] = 5
    b = cache.blob(read, cache.token(read))
    assert pickle.loads(a)() == 1 and pickle.loads(b)() == 5


def _fill(cache: FunctionCache, n: int) -> None:
    for i in range(n):
        f = eval(f"lambda x: x + {i}")  # a new function each time, as in a loop of submits
        cache.blob(f, cache.token(f))


def test_entries_go_with_their_function():
    cache = FunctionCache()
    _fill(cache, 50)
    gc.collect()
    assert len(cache._blobs) <= 1  # the last one may outlive the loop briefly


def test_unpicklable_function_gives_none():
    cache = FunctionCache()
    lock = threading.Lock()

    def uses_lock():
        return lock.locked()

    assert cache.blob(uses_lock, cache.token(uses_lock)) is None
