"""Write a performance report of work that moves data between workers, then wait.

Usage: mpiexec -n 4 python report_run.py DIR DASHBOARD_ADDRESS

DASHBOARD_ADDRESS is 'host:port' or 'none'. Inside ``performance_report``:
``x`` on one worker, ``y`` on the other, ``add(x, y)`` on the first (so ``y``
travels worker to worker), the client fetches the 8 MB sum; a pairwise sum of
8 chunks made on alternate workers (each ``add`` fetches one input from the
other worker); 120 small tasks. Writes DIR/report.html, then DIR/ready.json
({"link": ...}), then waits (at most 180 s) for DIR/done.
"""

import json
import os
import sys
import time

import numpy as np

from mpiflow.distributed import initialize, performance_report


def make(n, seed):
    return np.random.default_rng(seed).random(n)


def add(a, b):
    return a + b


def total(x):
    return float(x.sum())


def inc(x):
    time.sleep(0.02)
    return x + 1


out, address = sys.argv[1], sys.argv[2]
client = initialize(dashboard_address=None if address == "none" else address, nthreads=2)
a, b = sorted(client.scheduler_info()["workers"])
with performance_report(filename=os.path.join(out, "report.html"), title="test run"):
    x = client.submit(make, 1_000_000, 1, workers=[a])
    y = client.submit(make, 1_000_000, 2, workers=[b])
    z = client.submit(add, x, y, workers=[a])  # y travels from b to a
    s = client.submit(total, z, workers=[b])  # z travels from a to b
    got = z.result()  # 8 MB to the client
    assert abs(float(got.sum()) - s.result()) < 1e-6
    chunks = [client.submit(make, 250_000, 10 + i, workers=[(a, b)[i % 2]]) for i in range(8)]
    while len(chunks) > 1:  # the pair's sum lands on alternate workers: one input travels
        chunks = [client.submit(add, chunks[i], chunks[i + 1], workers=[(a, b)[i // 2 % 2]])
                  for i in range(0, len(chunks), 2)]
    assert client.submit(total, chunks[0]).result() > 0
    assert sum(client.gather(client.map(inc, range(120)))) == sum(range(1, 121))
    time.sleep(0.6)  # heartbeats (every 0.5 s) sample the workers' memory meanwhile
tmp = os.path.join(out, "ready.json.tmp")
with open(tmp, "w") as f:
    json.dump({"link": client.dashboard_link, "client": client.transport.rank,
               "workers": [a, b]}, f)
os.replace(tmp, os.path.join(out, "ready.json"))
deadline = time.monotonic() + 180
while not os.path.exists(os.path.join(out, "done")) and time.monotonic() < deadline:
    time.sleep(0.1)
print("OK")
