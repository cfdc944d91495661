"""Dataframes and bags run unchanged on the MPI cluster (mpiexec -n 4)."""

import numpy as np
import pandas as pd

import mpiflow.bag as db
import mpiflow.dataframe as dd
from mpiflow.distributed import initialize

client = initialize()
rng = np.random.default_rng(0)
pdf = pd.DataFrame({"k": rng.integers(0, 10, 5000), "v": rng.random(5000),
                    "s": rng.choice(["a", "b", "c"], 5000)})
ddf = dd.from_pandas(pdf, npartitions=8)
got = ddf.groupby("k").v.mean().compute(scheduler=client)
pd.testing.assert_series_equal(got.sort_index(), pdf.groupby("k").v.mean().sort_index())
other = pd.DataFrame({"k": range(10), "w": range(10, 20)})
merged = ddf.merge(dd.from_pandas(other, npartitions=2), on="k").compute(scheduler=client)
assert len(merged) == len(pdf) and merged.w.sum() == (pdf.k + 10).sum()
by_index = ddf.set_index("k").compute(scheduler=client)
assert by_index.index.is_monotonic_increasing and len(by_index) == len(pdf)
b = db.from_sequence(["a b", "b c", "c c"] * 100, npartitions=6)
counts = dict(b.str.split().flatten().frequencies().compute(scheduler=client))
assert counts == {"a": 100, "b": 200, "c": 300}, counts
persisted = client.persist(ddf[ddf.v > 0.5])
assert len(persisted.compute(scheduler=client)) == (pdf.v > 0.5).sum()
print("OK", flush=True)
