"""The cluster layer: run graphs, futures and collections on an MPI job.

``mpiexec -n N python script.py`` with ``client = initialize()`` near the top
of the script: rank 0 schedules, rank 1 runs the script, ranks 2.. are
workers. MPI carries every control message and every chunk of data.
Importing this package does not initialise MPI; ``initialize()`` does.

Examples
--------
>>> from mpiflow.distributed import Client, Future, wait, as_completed
>>> callable(Client.submit)
True
"""

from mpiflow.distributed.client import Client, default_client
from mpiflow.distributed.dashboard.progress import progress
from mpiflow.distributed.dashboard.report import performance_report
from mpiflow.distributed.futures import Future, as_completed, wait
from mpiflow.distributed.launch import initialize
from mpiflow.distributed.local_cluster import LocalCluster

__all__ = ["Client", "Future", "LocalCluster", "as_completed", "default_client", "initialize",
           "performance_report", "progress", "wait"]
