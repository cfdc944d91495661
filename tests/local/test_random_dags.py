"""Random graphs give the same results on every local scheduler and after rewriting."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from strategies import dags_and_keys

import mpiflow.multiprocessing
import mpiflow.threaded
from mpiflow.core import cull, fuse, inline
from mpiflow.local import get_sync


def reference(dsk: dict, key):
    """Evaluate ``key`` by plain recursion: the oracle, independent of the engine."""
    memo: dict = {}

    def value(v):
        if type(v) is tuple and v and callable(v[0]):
            return v[0](*[value(a) for a in v[1:]])
        if type(v) is list:
            return [value(a) for a in v]
        try:
            if v in dsk:
                return ev(v)
        except TypeError:
            pass
        return v

    def ev(k):
        if k not in memo:
            memo[k] = value(dsk[k])
        return memo[k]

    return ev(key)


SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(dags_and_keys())
def test_sync_and_threads_match_reference(dsk_keys):
    dsk, keys = dsk_keys
    expected = [reference(dsk, k) for k in keys]
    assert get_sync(dsk, keys) == expected
    assert mpiflow.threaded.get(dsk, keys, num_workers=3) == expected
    assert mpiflow.threaded.get(dsk, keys, num_workers=2, chunksize=1) == expected


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dags_and_keys())
def test_processes_match_reference(dsk_keys):
    dsk, keys = dsk_keys
    expected = [reference(dsk, k) for k in keys]
    assert mpiflow.multiprocessing.get(dsk, keys, num_workers=2) == expected


@SETTINGS
@given(dags_and_keys())
def test_rewritten_graphs_give_the_same_results(dsk_keys):
    dsk, keys = dsk_keys
    expected = [reference(dsk, k) for k in keys]
    culled, _ = cull(dsk, keys)
    fused, _ = fuse(culled, keys=keys)
    inlined = inline(culled, protected=keys)
    for graph in (culled, fused, inlined):
        assert get_sync(graph, keys) == expected
        assert mpiflow.threaded.get(graph, keys) == expected
