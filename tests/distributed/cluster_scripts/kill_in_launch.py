"""SIGKILL a worker rank of this launch mid-map.

With MPICH's hydra the launch usually goes down with it (see docs/cluster.md);
when the survivors live on, every result must still be right. Never a hang.
"""

import os
import signal
import time

from mpiflow.distributed import initialize

client = initialize()


def slow(i):
    time.sleep(0.005)
    return i * 2


victim = min(client.scheduler_info()["workers"].values(), key=lambda w: w["rank"])
futures = client.map(slow, range(1000))
time.sleep(0.3)
os.kill(victim["pid"], signal.SIGKILL)
assert client.gather(futures) == [2 * i for i in range(1000)]
print("survived; results correct", flush=True)
