"""Scale a SLURMCluster 3 -> 1 job while results live on the workers: nothing is lost.

argv: job name. Prints 'joined', 'held', 'scaled down', the repr, then 'OK'.
"""

import sys

import numpy as np

from mpiflow.distributed import Client
from mpiflow.jobqueue import SLURMCluster

with SLURMCluster(cores=1, memory="1GB", processes=1, walltime="00:10:00",
                  job_name=sys.argv[1], poll_interval=0.5, dashboard_address=None) as cluster:
    cluster.scale(jobs=3)
    cluster.wait_for_workers(3, timeout=120)
    print("joined", sorted(cluster.workers), flush=True)
    with Client(cluster) as client:
        workers = list(client.scheduler_info()["workers"])
        # one array per worker, pinned there, so scaling down must move data
        futures = [client.submit(np.full, 1000, i, workers=[w], pure=False)
                   for i, w in enumerate(workers)]
        assert [f.result().sum() for f in futures] == [1000 * i for i in range(3)]
        print("held", len(futures), flush=True)
        cluster.scale(jobs=1)
        left = client.scheduler_info()["workers"]
        assert len(left) == 1, left
        assert [f.result().sum() for f in futures] == [1000 * i for i in range(3)]
        assert sum(client.gather(client.map(lambda x: x + 1, range(100)))) == 5050
        print("scaled down", repr(cluster), flush=True)
        active = [j for j in cluster.jobs.values() if j.active]
        closed = [j for j in cluster.jobs.values() if j.state == "finished"]
        print("active", len(active), "closed", len(closed), flush=True)
        print("closed ids", " ".join(j.job_id for j in closed), flush=True)
print("OK", flush=True)
