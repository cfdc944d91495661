"""The issue's snippets, run with plain python (no mpiexec around it)."""

from mpiflow.distributed import Client, LocalCluster

cluster = LocalCluster(); client = Client(cluster); print(client.scheduler_info()['services'])  # noqa: E702 - as the issue writes it
print("default workers", len(client.scheduler_info()["workers"]), flush=True)
assert client.submit(sum, [1, 2]).result(timeout=60) == 3
client.close()
cluster.close()

client = Client(n_workers=2, threads_per_worker=2, memory_limit='2GB')
info = client.scheduler_info()["workers"]
print("sized", sorted(client.nthreads().values()), sorted(w["memory_limit"] for w in info.values()),
      flush=True)
import mpiflow.array as da  # noqa: E402

x = da.ones((1000, 1000), chunks=250)
assert float((x + 1).sum().compute(scheduler=client)) == 2_000_000
directory = client.cluster.directory
client.close()
import os  # noqa: E402

assert not os.path.exists(directory), "LocalCluster left its directory behind"
print("OK", flush=True)
