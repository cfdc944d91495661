"""Arrays run unchanged on the cluster: the same graphs, compared with NumPy."""

import numpy as np

import mpiflow
import mpiflow.array as da
from mpiflow.distributed import initialize

client = initialize()
data = np.random.default_rng(0).random((600, 400))
x = da.from_array(data, chunks=(150, 100))

# element-wise + transpose + reduction, through compute(scheduler=client)
y = (x[:400, :400] + x[:400, :400].T).mean(axis=0)
np.testing.assert_allclose(y.compute(scheduler=client),
                           (data[:400, :400] + data[:400, :400].T).mean(axis=0))

# persist keeps blocks on the workers; later work reads them there
p = client.persist(x * 2)
assert set(client.has_what()) == {"mpi://2", "mpi://3"}
np.testing.assert_allclose(p.sum(axis=1).compute(scheduler=client), (data * 2).sum(axis=1))

# random numbers are the same on the cluster as on threads for one seed
r = da.random.default_rng(7).random((1000, 30), chunks=(250, 30))
np.testing.assert_array_equal(r.compute(scheduler=client), r.compute(scheduler="threads"))

# config.set(scheduler=client) runs every collection there: TSQR, boolean indexing
with mpiflow.config.set(scheduler=client):
    q, rr = da.linalg.qr(r)
    np.testing.assert_allclose((q @ rr).compute(), r.compute(), atol=1e-12)
    big = x[x > 0.5]
    assert np.isnan(big.chunks[0][0])
    np.testing.assert_allclose(np.sort(big.compute()), np.sort(data[data > 0.5]))
print("OK")
