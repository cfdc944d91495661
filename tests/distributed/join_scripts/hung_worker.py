"""A worker that stops answering (SIGSTOP) is declared lost after the time-to-live."""

import os
import signal
import time

from mpiflow.distributed import Client, LocalCluster

with LocalCluster(n_workers=2, threads_per_worker=1) as cluster, Client(cluster) as client:
    w = min(client.scheduler_info()["workers"].values(), key=lambda w: w["rank"])
    os.kill(w["pid"], signal.SIGSTOP)
    try:
        start = time.monotonic()
        futures = client.map(lambda i: i + 1, range(100))
        assert client.gather(futures) == list(range(1, 101))
        while len(client.scheduler_info()["workers"]) == 2:
            time.sleep(0.05)
        print(f"lost after {time.monotonic() - start:.1f} s", flush=True)
    finally:
        os.kill(w["pid"], signal.SIGKILL)
print("OK", flush=True)
