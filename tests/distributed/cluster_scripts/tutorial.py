"""The issue's tutorial, unchanged but for the imports."""
import numpy as np

from mpiflow.distributed import initialize

client = initialize()


def func(x):
    return x + 1


print("func:", client.submit(func, 9).result())
x = client.submit(np.random.random, (10000, 10000))
print("shape:", client.submit(lambda a: a.shape, x).result())
info = client.scheduler_info()
print("workers:", sorted(info["workers"]))
print("services:", info["services"])
client.shutdown()
