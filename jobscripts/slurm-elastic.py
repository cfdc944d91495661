"""Elastic driver: a scheduler in this job, workers in jobs that adapt to the queued work.

Run by jobscripts/slurm-elastic.sh (``sbatch jobscripts/slurm-elastic.sh``), or on a
login node: ``python jobscripts/slurm-elastic.py --tasks 2000 --maximum-jobs 4``.
It starts a SLURMCluster, lets ``adapt`` submit between ``--minimum-jobs`` and
``--maximum-jobs`` worker jobs while the tasks run, checks every result, and
exits 0 after the cluster cancelled its jobs. Replace the computation with yours.
"""

from __future__ import annotations

import argparse
import sys
import time

from mpiflow.distributed import Client
from mpiflow.jobqueue import SLURMCluster


def simulate(i: int) -> int:
    """Stand-in for real work: a few milliseconds, then a checkable answer."""
    time.sleep(0.02)
    return i * i


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--cores", type=int, default=1, help="cores per worker job")
    parser.add_argument("--memory", default="1GB", help="memory per worker job")
    parser.add_argument("--processes", type=int, default=1, help="workers per job")
    parser.add_argument("--walltime", default="00:20:00", help="walltime of each worker job")
    parser.add_argument("--queue", default=None, help="partition of the worker jobs")
    parser.add_argument("--account", default=None)
    parser.add_argument("--launcher", default="srun", help="srun, mpiexec, or a command")
    parser.add_argument("--minimum-jobs", type=int, default=1)
    parser.add_argument("--maximum-jobs", type=int, default=4)
    parser.add_argument("--prologue", action="append", default=None,
                        help="shell line run before the workers (repeatable)")
    args = parser.parse_args()
    with SLURMCluster(cores=args.cores, memory=args.memory, processes=args.processes,
                      walltime=args.walltime, queue=args.queue, account=args.account,
                      launcher=args.launcher, job_name="mpiflow-elastic-worker",
                      job_script_prologue=args.prologue, dashboard_address=None) as cluster:
        print(cluster.job_script(), flush=True)
        adaptive = cluster.adapt(minimum_jobs=args.minimum_jobs, maximum_jobs=args.maximum_jobs)
        with Client(cluster) as client:
            start = time.time()
            futures = client.map(simulate, range(args.tasks))
            results = client.gather(futures)
            print(f"{args.tasks} tasks in {time.time() - start:.1f} s; {cluster!r}", flush=True)
            if results != [i * i for i in range(args.tasks)]:
                print("wrong results", file=sys.stderr)
                return 1
            peak = max((d["jobs"] + len(d.get("submitted", [])) for d in adaptive.log),
                       default=0)
            print(f"adapt decisions: {[d['action'] for d in adaptive.log]}; peak {peak} jobs",
                  flush=True)
    print("OK", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
