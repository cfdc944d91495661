"""A job past its ``lifetime`` hands its data to a replacement job before it is cancelled.

argv: job name. Prints 'first', 'replaced', then 'OK'.
"""

import sys
import time

import numpy as np

from mpiflow.distributed import Client
from mpiflow.jobqueue import SLURMCluster

with SLURMCluster(cores=1, memory="1GB", processes=1, walltime="00:10:00",
                  lifetime="00:00:08", job_name=sys.argv[1], poll_interval=0.5,
                  dashboard_address=None) as cluster:
    cluster.scale(jobs=1)
    cluster.wait_for_workers(1, timeout=120)
    with Client(cluster) as client:
        first = next(iter(client.scheduler_info()["workers"]))
        # only the first job's worker holds this: the hand-over must move it
        held = client.submit(np.full, 1000, 7, workers=[first], pure=False)
        assert held.result().sum() == 7000
        first_job = next(iter(cluster.jobs))
        print("first", first, first_job, flush=True)
        deadline = time.monotonic() + 120
        while cluster.jobs[first_job].state != "finished":
            if time.monotonic() > deadline:
                raise TimeoutError(f"the first job did not retire after its lifetime: {cluster!r}")
            time.sleep(0.2)
        workers = list(client.scheduler_info()["workers"])
        assert workers and first not in workers, workers
        assert held.result().sum() == 7000
        assert client.who_has([held])[held.key] == workers, client.who_has([held])
        print("replaced", first_job, "->", [j for j in cluster.jobs if j != first_job],
              flush=True)
print("OK", flush=True)
