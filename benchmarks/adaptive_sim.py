"""Cost of the adapt decision (``adaptive_target``, ``workers_to_close``) as a cluster grows.

Drives :class:`mpiflow.distributed.scheduler.SchedulerState` with
:class:`~mpiflow.distributed.scheduler.simulate.FakeCluster` (no MPI, a
virtual clock) until a quarter of a workload has run, so tasks are queued,
processing and in memory at once, then times the two decisions an adapt loop
asks for about once a second. ``recount_ms`` is what one ``O(tasks)`` pass
over the task table costs at the same point (building the per-group counts
from scratch), the price the running :class:`WorkLedger` avoids (its upkeep
inside ``handle`` is about 0.8 us per task, part of what
``benchmarks/scheduler_sim.py`` reports). ``to_close_10_us`` names 10 workers
to retire, ``to_close_half_us`` half of them. One JSON line per measurement::

    python benchmarks/adaptive_sim.py            # 200..20,000 workers, 20k and 200k tasks
    python benchmarks/adaptive_sim.py --quick    # 200 workers, 20k tasks

Target: well under 1 ms per decision at 2,000 workers (it runs on the scheduler
rank between messages), growing with workers, not with tasks. Dask's
scheduler has no event-driven entry point to drive without a server, so there
is no side-by-side run here.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time

from _common import emit, machine, median

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

from mpiflow.distributed.scheduler import SchedulerState  # noqa: E402
from mpiflow.distributed.scheduler.adaptive import (  # noqa: E402
    WorkLedger,
    adaptive_target,
    workers_to_close,
)
from mpiflow.distributed.scheduler.simulate import FakeCluster, make_workload  # noqa: E402

SCALES = [
    (200, 20_000),
    (2_000, 20_000),
    (200, 200_000),
    (2_000, 200_000),
    (20_000, 200_000),
]


def _timed(func, repeat: int) -> float:
    """Median seconds of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return median(times)


def run(workers: int, ntasks: int, nthreads: int, seed: int, repeat: int) -> dict:
    tasks, wanted = make_workload(ntasks, seed=seed)
    gc.collect()
    state = SchedulerState()
    sim = FakeCluster(state, nworkers=workers, nthreads=nthreads, seed=seed)
    sim.submit(tasks, wanted)
    while sim.executed < len(tasks) // 4 and sim.step():
        pass
    counts = state.counts()
    target = adaptive_target(state, target_duration=5.0)
    keep = max(1, workers // 2)
    names = workers_to_close(state, keep)
    assert len(names) == workers - keep
    assert state.work == WorkLedger.recount(state.tasks.values()), "ledger drifted"
    return {
        "benchmark": "adaptive_sim",
        "workers": workers,
        "nthreads": nthreads,
        "tasks": len(tasks),
        "queued": counts.get("queued", 0),
        "processing": counts.get("processing", 0),
        "memory": counts.get("memory", 0),
        "groups": len(state.work.groups),
        "target": target,
        "target_us": round(_timed(lambda: adaptive_target(state), repeat) * 1e6, 1),
        "to_close_10_us": round(
            _timed(lambda: workers_to_close(state, workers - 10), repeat) * 1e6, 1),
        "to_close_half_us": round(_timed(lambda: workers_to_close(state, keep), repeat) * 1e6, 1),
        "recount_ms": round(_timed(lambda: WorkLedger.recount(state.tasks.values()), 3) * 1e3, 2),
        **machine(),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one small scale only")
    parser.add_argument("--nthreads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=21, help="calls timed per decision")
    args = parser.parse_args(argv)
    scales = SCALES[:1] if args.quick else SCALES
    for workers, ntasks in scales:
        emit(run(workers, ntasks, args.nthreads, args.seed, args.repeat))


if __name__ == "__main__":
    main()
