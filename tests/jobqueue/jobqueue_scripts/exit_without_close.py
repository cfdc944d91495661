"""Make a SLURMCluster with one running job, then exit without close(): atexit cancels it.

argv: job name. Prints 'job <id>' once the job's worker joined.
"""

import sys

from mpiflow.jobqueue import SLURMCluster

cluster = SLURMCluster(cores=1, memory="1GB", processes=1, walltime="00:10:00",
                       job_name=sys.argv[1], poll_interval=0.5, dashboard_address=None)
cluster.scale(jobs=1)
cluster.wait_for_workers(1, timeout=120)
print("job", *cluster.workers, flush=True)
# no close(): the interpreter's exit must cancel the job
