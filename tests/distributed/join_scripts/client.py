"""A plain-python client: join through the scheduler file, compute, leave (or stop the cluster)."""

import sys

import numpy as np

from mpiflow.distributed import Client

path, action = sys.argv[1], sys.argv[2]
client = Client(scheduler_file=path, timeout=60)
n_workers = int(sys.argv[3]) if len(sys.argv) > 3 else 1
client.wait_for_workers(n_workers, timeout=60)
assert client.submit(sum, [1, 2]).result(timeout=60) == 3
futures = client.map(lambda i: i * i, range(200))
assert sum(client.gather(futures)) == sum(i * i for i in range(200))
x = client.submit(np.arange, 1_000_000)  # a large result: fetched from the worker over MPI
assert client.submit(lambda a: int(a.sum()), x).result(timeout=60) == 499999500000
assert x.result(timeout=60).shape == (1_000_000,)
print("workers", sorted(client.nthreads()), flush=True)
if action == "shutdown":
    client.shutdown()
elif action == "close":
    client.close()
# "exit": leave by ending the script; the client closes itself at exit
print("OK", flush=True)
