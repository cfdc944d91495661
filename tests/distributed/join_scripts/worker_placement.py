"""Tasks pinned to each worker (launch and joined) run there, and data moves between them."""

import sys

import numpy as np

from mpiflow.distributed import Client

client = Client(scheduler_file=sys.argv[1], timeout=60)
client.wait_for_workers(int(sys.argv[2]), timeout=60)
workers = sorted(client.nthreads())
arrays = [client.submit(np.full, 100_000, i, workers=[w], pure=False)
          for i, w in enumerate(workers)]
# each sum runs on the next worker, so every input crosses between two workers
sums = [client.submit(lambda a: int(a.sum()), a, workers=[workers[(i + 1) % len(workers)]])
        for i, a in enumerate(arrays)]
assert client.gather(sums) == [100_000 * i for i in range(len(workers))]
print("workers", workers, flush=True)
client.close()
print("OK", flush=True)
