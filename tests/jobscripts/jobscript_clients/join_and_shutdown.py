"""Join the cluster that jobscripts/{slurm,pbs}-cluster.sh started, compute, shut it down.

    python join_and_shutdown.py SCHEDULER_FILE N_WORKERS

Waits (up to 120 s) for the scheduler file and N workers; prints OK at the end.
"""

import os
import sys
import time

from mpiflow.distributed import Client


def main(path: str, n: int) -> None:
    deadline = time.monotonic() + 120
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise TimeoutError(f"the cluster job did not write its scheduler file {path} in 120 s")
        time.sleep(0.2)
    client = Client(scheduler_file=path, timeout=60)
    client.wait_for_workers(n, timeout=120)
    futures = client.map(lambda i: i + 1, range(1000))
    assert sum(client.gather(futures)) == sum(range(1, 1001))
    print("workers", sorted(client.nthreads()), flush=True)
    client.shutdown()
    print("OK", flush=True)


if __name__ == "__main__":  # pytest imports this file when it collects doctests
    main(sys.argv[1], int(sys.argv[2]))
