"""ResourceProfiler samples this process and its children and leaves no thread behind."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

import mpiflow
import mpiflow.multiprocessing
from mpiflow.diagnostics import Profiler, ResourceData, ResourceProfiler
from mpiflow.diagnostics.resource import _Sampler

NAME = "mpiflow-resource-profiler"


def sampler_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == NAME]


def busy(seconds: float) -> int:
    end = time.perf_counter() + seconds
    n = 0
    while time.perf_counter() < end:
        n += 1
    return n


def test_samples_during_the_block_then_the_thread_is_gone():
    with ResourceProfiler(dt=0.01) as rprof:
        assert len(sampler_threads()) == 1
        mpiflow.get({"x": (busy, 0.2)}, "x")
    assert sampler_threads() == []
    results = rprof.results
    assert len(results) >= 3
    assert all(isinstance(r, ResourceData) for r in results)
    assert [r.time for r in results] == sorted(r.time for r in results)
    assert all(r.mem > 1 for r in results)  # MB: a Python process is far above 1 MB
    assert max(r.cpu for r in results) > 0
    n = len(results)
    time.sleep(0.05)
    assert len(rprof.results) == n  # nothing is sampled after the block


def test_registered_samples_only_while_computing():
    rprof = ResourceProfiler(dt=0.01)
    rprof.register()
    try:
        mpiflow.get({"x": (busy, 0.05)}, "x")
        assert sampler_threads() == []  # stopped at the end of the computation
        first = len(rprof.results)
        assert first >= 2
        time.sleep(0.05)
        mpiflow.get({"x": (busy, 0.05)}, "x")
    finally:
        rprof.unregister()
    assert sampler_threads() == []
    assert len(rprof.results) >= first + 2
    rprof.clear()
    assert rprof.results == []


def test_stops_cleanly_when_the_computation_raises():
    def fail():
        raise RuntimeError("no")

    with pytest.raises(RuntimeError), ResourceProfiler(dt=0.01):
        mpiflow.get({"x": (fail,)}, "x")
    assert sampler_threads() == []


def test_child_processes_are_counted():
    sampler = _Sampler()
    before = sampler.sample()
    code = "import sys, time; x = b'x' * 80_000_000; print('ready', flush=True); sys.stdin.read()"
    child = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        during = sampler.sample()
    finally:
        child.communicate("", timeout=30)
    assert during.mem - before.mem > 60  # MB of the child's 80 MB buffer
    assert sampler.sample().mem < during.mem - 60  # gone with the child


def test_process_pool_workers_are_children():
    with Profiler() as prof, ResourceProfiler(dt=0.01) as rprof:
        mpiflow.multiprocessing.get({"x": (busy, 0.1)}, "x", num_workers=1)
    (worker_pid,) = {r.worker_id for r in prof.results}
    sampler = _Sampler()
    sampler.sample()
    assert worker_pid in sampler.procs  # the pool's worker is alive and counted
    assert len(rprof.results) >= 2


@pytest.mark.parametrize("dt", [0, -1, float("nan")])
def test_bad_dt_says_what_to_pass(dt):
    with pytest.raises(ValueError, match="dt is the number of seconds between samples and "
                                         "must be at least 0.001"):
        ResourceProfiler(dt=dt)
