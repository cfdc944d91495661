"""Client and Future API on a real 2-worker cluster; prints OK at the end."""
import gc
import time

import numpy as np

import mpiflow
from mpiflow.distributed import Client, as_completed, initialize, wait

client = initialize()
assert Client() is client


def inc(x):
    return x + 1


def slow(x, delay=0.3):
    time.sleep(delay)
    return x


# submit / result / futures as arguments / keywords / repr / status
a = client.submit(inc, 1)
b = client.submit(inc, a)
c = client.submit(slow, b, delay=0.01)
assert c.result(timeout=30) == 3
assert a.status == "finished" and a.done()
assert "finished" in repr(a) and "inc-" in repr(a)
assert client.submit(inc, 1).key == a.key  # pure: same call, same key
assert client.submit(inc, 1, pure=False).key != a.key
nested = client.submit(sum, [a, b, 10])
assert nested.result() == 15
assert client.submit(lambda d: d["x"] + d["y"], {"x": a, "y": 5}).result() == 7

# map / gather with nesting
futs = client.map(inc, range(50))
assert client.gather(futs) == list(range(1, 51))
assert client.gather({"first": futs[0], "pair": (futs[1], futs[2])}) == {
    "first": 1, "pair": (2, 3)}
assert client.map(lambda x, y: x * y, [1, 2], [3, 4], pure=False)[1].result() == 8

# scatter, broadcast, workers= restrictions, who_has, has_what, nthreads
workers = sorted(client.scheduler_info()["workers"])
assert len(workers) == 2, workers
arr = np.arange(1_000_000)
[fx] = client.scatter([arr])
assert client.submit(np.sum, fx).result() == arr.sum()
fb = client.scatter(np.ones(10), broadcast=True)
assert sorted(client.who_has([fb])[fb.key]) == workers
on_second = client.submit(inc, 100, workers=[workers[1]])
assert on_second.result() == 101
held = client.who_has([on_second])[on_second.key]
assert held == [workers[1]], (held, workers, client.scheduler_info()["workers"])
assert on_second.key in client.has_what()[workers[1]]
assert client.nthreads() == {w: 1 for w in workers}, client.nthreads()
d = client.scatter({"named": 42})
assert d["named"].key == "named" and d["named"].result() == 42

# worker-to-worker transfer of a large array
big = client.submit(np.ones, 20_000_000, workers=[workers[0]])  # 160 MB
total = client.submit(np.sum, big, workers=[workers[1]])
assert total.result(timeout=60) == 20_000_000

# wait, as_completed
fs = [client.submit(slow, i, delay=0.05 * i, pure=False) for i in range(4)]
done, not_done = wait(fs, timeout=30)
assert len(done) == 4 and not not_done
order = [f.result() for f in as_completed([client.submit(slow, 1, delay=0.5, pure=False),
                                           client.submit(slow, 2, delay=0.0, pure=False)])]
assert order == [2, 1], order
first, rest = wait([client.submit(slow, 3, delay=2, pure=False), client.submit(inc, 0)],
                   return_when="FIRST_COMPLETED")
assert [f.result() for f in first] == [1]
results = [r for _, r in as_completed(client.map(inc, [5, 6]), with_results=True)]
assert sorted(results) == [6, 7]

# callbacks, cancel
seen = []
f = client.submit(inc, 41)
f.add_done_callback(lambda fut: seen.append(fut.key))
f.result()
time.sleep(0.05)
assert seen == [f.key]
long = client.submit(slow, 1, delay=5, pure=False)
long.cancel()
assert long.status == "cancelled"

# run on every worker
ranks = client.run(lambda: __import__("mpi4py.MPI").MPI.COMM_WORLD.Get_rank())
assert sorted(ranks.values()) == [2, 3], ranks

# collections: compute(scheduler=client), config.set, Client.compute, persist
x = mpiflow.delayed(inc)(1)
y = mpiflow.delayed(sum)([x, x, 1])
assert mpiflow.compute(y, scheduler=client) == (5,)
with mpiflow.config.set(scheduler=client):
    assert y.compute() == 5
assert client.compute(y).result() == 5
(py,) = mpiflow.persist(y, scheduler=client)
assert py.compute(scheduler=client) == 5
assert (py + 1).compute(scheduler=client) == 6
assert client.get({"p": 1, "q": (inc, "p")}, ["q", ["p"]]) == [2, [1]]

# dropping the last future frees the data on the workers
tmp = client.submit(np.zeros, 1000, pure=False)
tmp.result()
key = tmp.key
del tmp
gc.collect()
deadline = time.time() + 10
while time.time() < deadline and any(key in ks for ks in client.has_what().values()):
    time.sleep(0.05)
assert not any(key in ks for ks in client.has_what().values()), "data was not released"

# a script's function is sent with the globals it reads: a changed global is never stale
FACTOR = 2


def times(x):
    return FACTOR * x


assert client.submit(times, 3).result() == 6
FACTOR = 5
assert client.submit(times, 3).result() == 15

# A result is not held back behind the next task queued on its worker (results of
# tiny tasks wait a moment to travel together; a 3 s task is not tiny).
worker = sorted(client.scheduler_info()["workers"])[0]
quick = client.submit(time.sleep, 0.05, key="quick-then-slow", workers=[worker])
slow = client.submit(time.sleep, 3, key="slow-after-quick", workers=[worker])
quick.result(timeout=30)
assert not slow.done(), "the quick result came only with the slow one"
slow.result(timeout=30)

print(repr(client))
print("OK")
client.shutdown()
