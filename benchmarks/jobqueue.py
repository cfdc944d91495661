"""Job-queue timings on the local SLURM: scale-up to joined workers, adapt decision to cancel.

Run as ``python benchmarks/jobqueue.py [--repeat N]`` with a Slurm running
(``.ci/slurm.sh up``). Prints one JSON line per measurement:

- ``scale_to_joined``: from ``cluster.scale(jobs=4)`` until all 4 workers
  (1 per job) have joined the scheduler; also the time the submissions
  themselves took.
- ``adapt_decision_to_cancelled``: from the adapt loop's decision to scale
  down (after the burst of work is done) until the jobs are cancelled
  (``scancel`` returned; data retired first), and until Slurm no longer
  lists them as pending/running.

There is no Dask peer: dask-jobqueue is not installed here (the JSON says so).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from _common import emit, machine, median  # noqa: E402

from mpiflow.jobqueue import SLURMCluster  # noqa: E402

PEER = ("dask-jobqueue installed" if importlib.util.find_spec("dask_jobqueue")
        else "dask-jobqueue not installed: no peer measurement")


def _in_queue(job_ids: list[str]) -> set[str]:
    out = subprocess.run(["squeue", "-h", "-o", "%i %T", "-j", ",".join(job_ids)],
                         capture_output=True, text=True, timeout=30).stdout
    return {line.split()[0] for line in out.splitlines()
            if line.split()[1] in ("PENDING", "RUNNING", "CONFIGURING")}


def scale_to_joined(cluster: SLURMCluster, jobs: int) -> dict:
    start = time.perf_counter()
    cluster.scale(jobs=jobs)
    submitted = time.perf_counter() - start
    cluster.wait_for_workers(jobs * cluster.options.processes, timeout=300)
    joined = time.perf_counter() - start
    cluster.scale(jobs=0)
    while _in_queue(list(cluster.jobs)):
        time.sleep(0.1)
    return {"submit_s": submitted, "joined_s": joined}


def _work(i: int) -> int:
    time.sleep(0.02)
    return i


def adapt_to_cancelled(cluster: SLURMCluster, client) -> dict:
    cluster.scale(jobs=1)
    cluster.wait_for_workers(1, timeout=300)
    adaptive = cluster.adapt(minimum_jobs=1, maximum_jobs=4, interval=0.5, wait_count=3,
                             target_duration=2.0)
    futures = client.map(_work, range(1000), pure=False)
    client.gather(futures)
    del futures
    deadline = time.time() + 120
    while not any(d["action"] == "down" for d in adaptive.log):
        if time.time() > deadline:
            raise TimeoutError(f"adapt did not scale down within 120 s: {adaptive.log}")
        time.sleep(0.05)
    down = next(d for d in adaptive.log if d["action"] == "down")
    closed = [cluster.jobs[j] for j in down["closed"]]
    while _in_queue([j.job_id for j in closed]):
        time.sleep(0.05)
    gone = time.time()
    adaptive.stop()
    cancelled = max(j.cancelled for j in closed)
    return {"jobs_closed": len(closed),
            "decision_to_cancelled_s": cancelled - down["time"],
            "decision_to_gone_from_queue_s": gone - down["time"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=4)
    args = parser.parse_args()
    from mpiflow.distributed import Client

    with SLURMCluster(cores=1, memory="1GB", processes=1, walltime="00:10:00",
                      job_name="mpiflow-bench", poll_interval=0.2,
                      dashboard_address=None) as cluster:
        runs = [scale_to_joined(cluster, args.jobs) for _ in range(args.repeat)]
        emit({"benchmark": "jobqueue", "measure": "scale_to_joined", "jobs": args.jobs,
              "processes_per_job": 1, "repeat": args.repeat,
              "submit_s_median": median([r["submit_s"] for r in runs]),
              "joined_s_median": median([r["joined_s"] for r in runs]),
              "joined_s": [round(r["joined_s"], 3) for r in runs],
              "launcher": cluster.options.launcher, "peer": PEER, **machine()})
        with Client(cluster) as client:
            runs = [adapt_to_cancelled(cluster, client) for _ in range(args.repeat)]
        emit({"benchmark": "jobqueue", "measure": "adapt_decision_to_cancelled",
              "repeat": args.repeat, "jobs_closed": [r["jobs_closed"] for r in runs],
              "decision_to_cancelled_s_median": median(
                  [r["decision_to_cancelled_s"] for r in runs]),
              "decision_to_gone_from_queue_s_median": median(
                  [r["decision_to_gone_from_queue_s"] for r in runs]),
              "peer": PEER, **machine()})


if __name__ == "__main__":
    main()
