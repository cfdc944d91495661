"""Adaptive: grow and shrink a job-queue cluster with the scheduler's queued work.

Every ``interval`` seconds the thread asks the scheduler how many workers
its work wants (``client.adaptive_target(target_duration)``: queued and
running tasks times their observed durations, spread so they finish within
``target_duration``; more if the stored data needs more memory), turns that
into jobs, and clamps it to the bounds. More jobs wanted: submitted at
once. Fewer: only after ``wait_count`` such answers in a row, so a short
lull does not cancel jobs that the next burst needs; then the workers of
the jobs to close are retired (their data moves to the workers that stay)
and their jobs cancelled. Jobs that die before their workers join make the
cluster wait longer before each new submission and, after a few in a row,
stop submitting with a warning saying why.

Examples
--------
>>> bounds(minimum=0, maximum=float('inf'), minimum_jobs=1, maximum_jobs=4, processes=2)
(1, 4)
>>> bounds(minimum=3, maximum=10, minimum_jobs=None, maximum_jobs=None, processes=2)
(2, 5)
>>> wanted_jobs(target_workers=7, processes=2, low=1, high=4)
4
"""

from __future__ import annotations

import math
import threading
import time
import warnings
from typing import Any

__all__ = ["Adaptive", "bounds", "wanted_jobs"]


def bounds(minimum: int, maximum: float, minimum_jobs: int | None, maximum_jobs: int | None,
           processes: int) -> tuple[int, int]:
    """``(fewest, most)`` jobs from bounds given in workers and/or jobs (the tighter wins).

    Examples
    --------
    >>> bounds(0, 3, None, 10, processes=1)
    (0, 3)
    >>> bounds(5, 2, None, None, processes=1)
    Traceback (most recent call last):
    ...
    ValueError: adapt(): the minimum (5 workers = 5 jobs) is above the maximum (2 workers = 2 jobs)
    """
    for name, value in (("minimum", minimum), ("minimum_jobs", minimum_jobs),
                        ("maximum_jobs", maximum_jobs)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or value < 0):
            raise ValueError(f"adapt({name}={value!r}): expected a whole number >= 0")
    if not (isinstance(maximum, (int, float)) and maximum >= 0):
        raise ValueError(f"adapt(maximum={maximum!r}): expected a number >= 0 (or math.inf)")
    low = max(minimum_jobs or 0, math.ceil(minimum / processes))
    high_workers = math.inf if maximum == math.inf else int(maximum) // processes
    high = min(math.inf if maximum_jobs is None else maximum_jobs, high_workers)
    if low > high:
        raise ValueError(f"adapt(): the minimum ({minimum} workers = {low} jobs) is above the "
                         f"maximum ({maximum} workers = {high} jobs)")
    return low, (high if high == math.inf else int(high))


def wanted_jobs(target_workers: int, processes: int, low: int, high: float) -> int:
    """Jobs for ``target_workers`` workers of ``processes`` each, within ``[low, high]``.

    Examples
    --------
    >>> wanted_jobs(0, 4, 1, 10), wanted_jobs(9, 4, 1, 10)
    (1, 3)
    """
    jobs = math.ceil(target_workers / processes)
    return int(min(max(jobs, low), high))


class Adaptive:
    """The adapt loop of a job-queue cluster (made by ``cluster.adapt(...)``).

    Parameters
    ----------
    cluster : JobQueueCluster
        The cluster to resize.
    minimum, maximum : int
        Bounds in workers.
    minimum_jobs, maximum_jobs : int, optional
        Bounds in jobs (the tighter of both bounds wins).
    interval : float
        Seconds between two decisions.
    wait_count : int
        Consecutive "fewer" decisions before jobs are closed.
    target_duration : float
        Seconds within which the queued work should finish.

    Attributes
    ----------
    log : list of dict
        Every decision that changed something: time, target workers, jobs
        wanted, jobs before, and which jobs were submitted or closed.

    Examples
    --------
    >>> adaptive = cluster.adapt(minimum_jobs=1, maximum_jobs=4)  # doctest: +SKIP
    >>> adaptive.log[-1]['action']                                # doctest: +SKIP
    'up'
    >>> adaptive.stop()                                           # doctest: +SKIP
    """

    def __init__(self, cluster: Any, minimum: int = 0, maximum: float = math.inf,
                 minimum_jobs: int | None = None, maximum_jobs: int | None = None,
                 interval: float = 1.0, wait_count: int = 3,
                 target_duration: float = 5.0) -> None:
        self.cluster = cluster
        self.processes = cluster.options.processes
        self.low, self.high = bounds(minimum, maximum, minimum_jobs, maximum_jobs,
                                     self.processes)
        if not interval > 0:
            raise ValueError(f"adapt(interval={interval!r}): expected seconds > 0, e.g. 1.0")
        if isinstance(wait_count, bool) or not isinstance(wait_count, int) or wait_count < 1:
            raise ValueError(f"adapt(wait_count={wait_count!r}): expected a whole number >= 1")
        if not (isinstance(target_duration, (int, float)) and 0 < target_duration < math.inf):
            raise ValueError(f"adapt(target_duration={target_duration!r}): expected seconds "
                             "> 0, e.g. 5.0")
        self.interval = float(interval)
        self.wait_count = wait_count
        self.target_duration = float(target_duration)
        self.log: list[dict] = []
        self._fewer = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mpiflow-jobqueue-adapt",
                                        daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.step()
            except Exception as exc:  # noqa: BLE001 - keep adapting; say why this step failed
                if self._stop.is_set():
                    return
                warnings.warn(f"adapt could not decide this round: {exc}", RuntimeWarning,
                              stacklevel=1)
            self._stop.wait(self.interval)

    def step(self) -> dict:
        """Ask the scheduler once and act on its answer; returns the decision."""
        cluster = self.cluster
        target = int(cluster._ask("adaptive_target", target_duration=self.target_duration,
                                  nthreads=cluster.options.threads))
        wanted = wanted_jobs(target, self.processes, self.low, self.high)
        with cluster._lock:
            if self._stop.is_set():
                return {}
            before = {j.job_id for j in cluster.jobs.values() if j.active}
            decision = {"time": time.time(), "target": target, "wanted": wanted,
                        "jobs": len(before), "action": "none"}
            if wanted > len(before):
                self._fewer = 0
                decision["action"] = "up"
            elif wanted < len(before):
                self._fewer += 1
                if self._fewer >= self.wait_count:
                    self._fewer = 0
                    decision["action"] = "down"
            else:
                self._fewer = 0
            if decision["action"] != "none":
                cluster._scale_jobs(wanted)
                after = {j.job_id for j in cluster.jobs.values() if j.active}
                decision["submitted"] = sorted(after - before)
                decision["closed"] = sorted(before - after)
                self.log.append(decision)
        return decision

    def stop(self) -> None:
        """Stop adapting (the cluster keeps its current jobs)."""
        self._stop.set()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=60)

    def __repr__(self) -> str:
        return (f"<Adaptive minimum_jobs={self.low} maximum_jobs={self.high} "
                f"interval={self.interval:g}s wait_count={self.wait_count} "
                f"target_duration={self.target_duration:g}s>")
