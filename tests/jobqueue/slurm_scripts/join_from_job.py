"""A plain-python client of a cluster whose workers run in a Slurm job.

    python join_from_job.py SCHEDULER_FILE JOB_ID N_WORKERS

Waits for the job's N workers, checks they run inside job JOB_ID, runs work on
them, cancels the job with scancel, waits until the scheduler has seen every
worker leave, and shuts the cluster down. Prints OK at the end.
"""

import os
import subprocess
import sys
import time

import numpy as np

from mpiflow.distributed import Client

path, job_id, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
client = Client(scheduler_file=path, timeout=60)
client.wait_for_workers(n, timeout=120)
jobs = client.run(lambda: os.environ.get("SLURM_JOB_ID"))  # (os.environ.get would pickle ours)
assert set(jobs.values()) == {job_id}, f"workers are not all in job {job_id}: {jobs}"
print("workers", sorted(jobs), "in job", job_id, flush=True)

futures = client.map(lambda i: i * i, range(500))
assert sum(client.gather(futures)) == sum(i * i for i in range(500))
x = client.submit(np.arange, 1_000_000)  # a large result, fetched from a worker in the job
assert client.submit(lambda a: int(a.sum()), x).result(timeout=60) == 499999500000
assert x.result(timeout=60).shape == (1_000_000,)
print("computed on the job's workers", flush=True)

subprocess.run(["scancel", job_id], check=True, timeout=30)
deadline = time.monotonic() + 90
while client.scheduler_info()["workers"]:
    if time.monotonic() > deadline:
        raise TimeoutError(f"the scheduler still lists workers 90 s after `scancel {job_id}`: "
                           f"{sorted(client.scheduler_info()['workers'])}")
    time.sleep(0.2)
print("the scheduler saw every worker of the cancelled job leave", flush=True)
client.shutdown()
print("OK", flush=True)
