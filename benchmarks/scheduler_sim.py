"""Scheduler state machine cost per task, with thousands of fake workers.

Drives :class:`mpiflow.distributed.scheduler.SchedulerState` with
:class:`~mpiflow.distributed.scheduler.simulate.FakeCluster` (no MPI, a
virtual clock): a workload of independent load/map tasks, a fan-in-8 tree
reduction and an all-to-all shuffle, at several worker counts and graph
sizes so the output shows how cost grows. Only time spent inside
``SchedulerState.handle`` is counted (graph submission included); building
events and playing the workers is not. One JSON line per measurement::

    python benchmarks/scheduler_sim.py            # 200..20,000 workers, 20k and 200k tasks
    python benchmarks/scheduler_sim.py --quick    # 200 workers, 20k tasks

Target (issue "cluster scheduler"): under 50 us per task at 2,000 workers and
200,000 tasks on a 2-core machine. Dask's scheduler has no event-driven entry
point to drive without a server, so there is no side-by-side run here.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time

from _common import emit, machine

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

from mpiflow.distributed.scheduler import SchedulerState  # noqa: E402
from mpiflow.distributed.scheduler.simulate import FakeCluster, make_workload  # noqa: E402

SCALES = [
    (200, 20_000),
    (2_000, 20_000),
    (200, 200_000),
    (2_000, 200_000),
    (20_000, 200_000),
]


def run(workers: int, ntasks: int, nthreads: int, seed: int) -> dict:
    tasks, wanted = make_workload(ntasks, seed=seed)
    gc.collect()
    start = time.perf_counter()
    state = SchedulerState()
    sim = FakeCluster(state, nworkers=workers, nthreads=nthreads, seed=seed)
    sim.submit(tasks, wanted)
    sim.run()
    wall = time.perf_counter() - start
    assert set(sim.results) == set(wanted), "not every wanted key was computed"
    return {
        "benchmark": "scheduler_sim",
        "workers": workers,
        "nthreads": nthreads,
        "tasks": len(tasks),
        "seconds": round(sim.seconds, 4),
        "us_per_task": round(sim.seconds / len(tasks) * 1e6, 2),
        "handle_calls": sim.handle_calls,
        "simulation_seconds": round(wall, 3),
        **machine(),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one small scale only")
    parser.add_argument("--nthreads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    scales = SCALES[:1] if args.quick else SCALES
    for workers, ntasks in scales:
        emit(run(workers, ntasks, args.nthreads, args.seed))


if __name__ == "__main__":
    main()
