"""Run work on an ``mpiexec -n 4`` cluster with a dashboard, then keep it up for a test.

Usage: mpiexec -n 4 python work_then_wait.py DIR

Writes DIR/ready.json ({"link": ..., "services": ..., "repr": ..., "workers": n})
once the work is done, then waits (at most 180 s) for DIR/done to appear.
"""

import json
import os
import sys
import time

import mpiflow
from mpiflow.distributed import initialize, progress, wait


def inc(x):
    time.sleep(0.002)
    return x + 1


def add(a, b):
    return a + b


def double(x):
    return 2 * x


def fail(x):
    raise ValueError(f"bad {x}")


client = initialize(dashboard_address="127.0.0.1:0", nthreads=2)
out = sys.argv[1]
futures = client.map(inc, range(200))
dsk = {("add-5d41402abc4b2a76b9719d911017c592", i): (add, i, i) for i in range(20)}
dsk["sum-aggregate-5d41402abc4b2a76b9719d911017c592"] = (
    sum, [("add-5d41402abc4b2a76b9719d911017c592", i) for i in range(20)])
total = client.get(dsk, "sum-aggregate-5d41402abc4b2a76b9719d911017c592")
assert total == 380, total
bad = client.submit(fail, 1)
wait(futures + [bad], timeout=60)
assert sum(client.gather(futures)) == sum(range(1, 201))
progress(futures + [bad], width=10, timeout=60)  # done already: one line
persisted = client.persist(mpiflow.delayed(double)(21))
progress(persisted, width=10, timeout=60)
assert persisted.compute(scheduler=client) == 42
info = client.scheduler_info()
time.sleep(1.2)  # two snapshots: the dashboard shows everything
tmp = os.path.join(out, "ready.json.tmp")
with open(tmp, "w") as f:
    json.dump({"link": client.dashboard_link, "services": info["services"],
               "repr": repr(client), "workers": len(info["workers"])}, f)
os.replace(tmp, os.path.join(out, "ready.json"))
deadline = time.monotonic() + 180
while not os.path.exists(os.path.join(out, "done")) and time.monotonic() < deadline:
    time.sleep(0.1)
print("OK")
