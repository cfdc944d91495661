"""A client that dies without closing: its keys are released, the cluster serves others."""

import subprocess
import sys
import time

from mpiflow.distributed import Client, LocalCluster

holder = """
import sys, time
import numpy as np
from mpiflow.distributed import Client
c = Client(scheduler_file=sys.argv[1])
fs = c.map(np.ones, [100_000] * 10)
c.gather(fs)
print("holding", flush=True)
time.sleep(600)
"""
with LocalCluster(n_workers=1, threads_per_worker=1) as cluster, Client(cluster) as client:
    proc = subprocess.Popen([sys.executable, "-c", holder, cluster.scheduler_file],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "holding"
    stored = lambda: sum(w["stored_keys"] for w in client.scheduler_info()["workers"].values())
    print("stored while held", stored(), flush=True)
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 60
    while stored() and time.monotonic() < deadline:
        time.sleep(0.1)
    print("stored after its death", stored(), flush=True)
    assert client.submit(sum, [1, 2]).result(timeout=60) == 3
    # and the next client still joins (the dead one takes no part in accepts)
    other = subprocess.run([sys.executable, "-c", "import sys; from mpiflow.distributed import "
                            "Client; c = Client(scheduler_file=sys.argv[1]); "
                            "print(c.submit(sum, [2, 3]).result(timeout=60)); c.close()",
                            cluster.scheduler_file], capture_output=True, text=True, timeout=120)
    print("next client", other.stdout.strip(), other.returncode, flush=True)
print("OK", flush=True)
