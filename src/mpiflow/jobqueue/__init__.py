"""Job queues: mpiflow workers in SLURM and PBS jobs that join a running scheduler.

``SLURMCluster`` and ``PBSCluster`` render a worker job script from the
parameters HPC users know from dask-jobqueue (cores, memory, processes,
queue, account, walltime, extra directives, prologue), submit it, and each
job's workers join the cluster's scheduler through its MPI port and
scheduler file. ``scale(jobs=N)`` and ``adapt(minimum_jobs=, maximum_jobs=)``
grow and shrink the pool; ``close()`` (also at exit) cancels the jobs it
submitted and no others.

Examples
--------
>>> from mpiflow.jobqueue import SLURMCluster
>>> from mpiflow.distributed import Client
>>> cluster = SLURMCluster(cores=8, memory='16GB', processes=2,
...                        walltime='01:00:00')                  # doctest: +SKIP
>>> cluster.scale(jobs=2)                                        # doctest: +SKIP
>>> client = Client(cluster)                                     # doctest: +SKIP
"""

from mpiflow.jobqueue.adaptive import Adaptive
from mpiflow.jobqueue.cluster import JobQueueCluster
from mpiflow.jobqueue.job import Job, JobQueueError
from mpiflow.jobqueue.pbs import PBSCluster
from mpiflow.jobqueue.slurm import SLURMCluster

__all__ = ["Adaptive", "Job", "JobQueueCluster", "JobQueueError", "PBSCluster", "SLURMCluster"]
