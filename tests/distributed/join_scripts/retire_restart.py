"""retire_workers keeps every key in memory; restart forgets everything."""

from concurrent.futures import CancelledError

import numpy as np

from mpiflow.distributed import Client, LocalCluster

with LocalCluster(n_workers=3, threads_per_worker=1) as cluster, Client(cluster) as client:
    workers = sorted(client.nthreads())
    leaving = workers[0]
    held = [client.submit(np.full, 50_000, i, workers=[leaving], pure=False) for i in range(20)]
    client.gather(held)
    assert all(set(v) == {leaving} for v in client.who_has(held).values())
    print("retired", client.retire_workers([leaving]), flush=True)
    assert sorted(client.nthreads()) == workers[1:]
    where = client.who_has(held)
    assert all(v and leaving not in v for v in where.values()), where
    sums = client.gather([client.submit(lambda a: int(a.sum()), h) for h in held])
    assert sums == [50_000 * i for i in range(20)], sums
    print("data kept", flush=True)
    try:
        client.retire_workers(["mpi://999"])
    except ValueError as err:
        print("bad retire:", err, flush=True)
    client.restart()
    try:
        held[0].result(timeout=10)
    except CancelledError:
        print("restart cancelled futures", flush=True)
    info = client.scheduler_info()
    assert sum(w["stored_keys"] for w in info["workers"].values()) == 0
    assert client.submit(sum, [1, 2]).result(timeout=60) == 3
print("OK", flush=True)
