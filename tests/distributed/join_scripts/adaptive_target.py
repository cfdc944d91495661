"""Client.adaptive_target and Client.workers_to_close on a real LocalCluster (2 workers)."""

import gc
import time

from mpiflow.distributed import Client, LocalCluster


def nap(i):
    time.sleep(0.2)
    return i


with LocalCluster(n_workers=2, threads_per_worker=1, memory_limit="1GB") as cluster, \
        Client(cluster) as client:
    client.wait_for_workers(2)
    workers = sorted(client.nthreads())
    assert client.adaptive_target() == 0, "an empty cluster wants no workers"
    futures = [client.submit(nap, i) for i in range(60)]
    busy = client.adaptive_target(target_duration=1.0)
    print("target while busy", busy, flush=True)
    assert busy > len(workers), busy
    assert client.workers_to_close(busy) == []
    start = time.perf_counter()
    for _ in range(20):
        client.adaptive_target()
    print(f"query ms {(time.perf_counter() - start) / 20 * 1e3:.2f}", flush=True)

    assert client.gather(futures) == list(range(60))
    held = client.adaptive_target()
    print("target when done", held, flush=True)
    assert held == 1, held  # the results are still wanted; one worker can hold them
    closing = client.workers_to_close(held)
    print("close", len(closing), flush=True)
    assert len(closing) == 1 and closing[0] in workers, closing
    assert client.retire_workers(closing) == closing
    assert client.gather(futures) == list(range(60)), "data lost by retiring"
    staying = [w for w in workers if w not in closing]
    assert sorted(client.nthreads()) == staying

    del futures
    gc.collect()
    assert client.adaptive_target() == 0  # nothing to run, nothing held
    assert client.workers_to_close(0) == staying
    try:
        client.workers_to_close(-1)
    except ValueError as err:
        print("bad n:", err, flush=True)
    try:  # the scheduler checks too, for callers that skip the client's check
        client._ask({"op": "adaptive-target", "target_duration": "5s"})
    except TypeError as err:
        print("bad duration:", err, flush=True)
print("OK", flush=True)
