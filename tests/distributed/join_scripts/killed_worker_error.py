"""A task that kills every worker it runs on is erred with KilledWorker after 3 deaths."""

import os
import signal

from mpiflow.distributed import Client, LocalCluster


def suicide():
    os.kill(os.getpid(), signal.SIGKILL)


with LocalCluster(n_workers=4, threads_per_worker=1) as cluster, Client(cluster) as client:
    fut = client.submit(suicide, pure=False)
    try:
        fut.result(timeout=120)
    except Exception as err:  # noqa: BLE001 - the type and message are the point
        print(type(err).__name__, err, flush=True)
    assert client.submit(sum, [1, 2]).result(timeout=60) == 3
print("OK", flush=True)
