"""SIGKILL a worker (its own MPI job, joined through the port) mid-map and mid-reduction."""

import os
import signal
import time

import numpy as np

import mpiflow.array as da
from mpiflow.distributed import Client, LocalCluster


def slow(i):
    time.sleep(0.005)
    return i * 2


def slow_block(block):
    time.sleep(0.05)
    return block


def victim(client):
    workers = client.scheduler_info()["workers"].values()
    return min(workers, key=lambda w: w["rank"])


with LocalCluster(n_workers=3, threads_per_worker=1) as cluster, Client(cluster) as client:
    futures = client.map(slow, range(1000))
    while sum(f.done() for f in futures) < 100:
        time.sleep(0.01)
    w = victim(client)
    os.kill(w["pid"], signal.SIGKILL)
    start = time.monotonic()
    while len(client.scheduler_info()["workers"]) == 3:
        time.sleep(0.05)
    print(f"detected in {time.monotonic() - start:.2f} s", flush=True)
    assert client.gather(futures) == [2 * i for i in range(1000)]
    print("map ok", flush=True)

    # 64 blocks of at least 50 ms each: the reduction is still running when the kill lands
    x = da.random.random((2000, 2000), chunks=250).map_blocks(slow_block, dtype=float)
    expected = x.sum().compute(scheduler="sync")
    fut = client.compute(x.sum())
    time.sleep(0.3)
    assert not fut.done(), "the reduction finished before the kill; make it slower"
    os.kill(victim(client)["pid"], signal.SIGKILL)
    assert np.isclose(fut.result(timeout=120), expected)
    deadline = time.monotonic() + 60
    while len(client.scheduler_info()["workers"]) == 2 and time.monotonic() < deadline:
        time.sleep(0.05)  # the result can come back before the loss is noticed
    print("reduction ok; workers left", len(client.scheduler_info()["workers"]), flush=True)
print("OK", flush=True)
