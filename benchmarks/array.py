"""Chunked-array workloads of issue 5, mpiflow and Dask (threads) side by side.

Workloads (random inputs made by ``random.random`` inside the timed region,
the same way on both sides):

- ``transpose_add_mean``: ``(x + x.T).mean()``, 20,000 x 20,000 float64 in
  2,000 x 2,000 chunks (target ratio <= 0.8);
- ``matmul``: ``(x @ y).compute()``, 8,000 x 8,000 in 1,000 x 1,000 chunks;
- ``std_axis0``: ``x.std(axis=0)``, 100,000,000 x 10 in 1,000,000-row chunks;
- ``rechunk``: ``x.rechunk(column chunks).sum()`` for 10,000 x 10,000 made
  in row chunks (1,000 x 10,000 to 10,000 x 1,000).

mpiflow and Dask runs alternate round by round; each workload prints one JSON
line with both medians and ``ratio_mpiflow_over_dask`` (lower is better,
target <= 1.0). On a shared or small machine the absolute times are noisy;
the ratio of medians from one interleaved run is the figure to quote. Usage::

    python benchmarks/array.py                 # full sizes, 3 rounds
    python benchmarks/array.py --quick         # small sizes (< 60 s in all)
    python benchmarks/array.py --rounds 5 --only matmul
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import Any

from _common import emit, have_dask, interleaved, machine, median

# This file is named like the standard library's ``array`` module, which Dask
# (dask/sizeof.py) imports. Run as a script, keep the benchmarks folder off the
# import path now that ``_common`` is loaded. Imported as ``array`` by mistake
# (any script in this folder that imports Dask), hand over to the real module.
_HERE = os.path.dirname(os.path.abspath(__file__))
_SAVED_PATH = list(sys.path)
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
if __name__ == "array":
    import importlib

    del sys.modules["array"]
    sys.modules["array"] = importlib.import_module("array")
    sys.path[:] = _SAVED_PATH

#: name -> (full size, quick size, target ratio); sizes are (shape, chunks, new_chunks)
WORKLOADS: dict[str, tuple[tuple, tuple, float]] = {
    "transpose_add_mean": (
        ((20_000, 20_000), (2_000, 2_000), None),
        ((4_000, 4_000), (500, 500), None),
        0.8,
    ),
    "matmul": (((8_000, 8_000), (1_000, 1_000), None), ((1_500, 1_500), (250, 250), None), 1.0),
    "std_axis0": (
        ((100_000_000, 10), (1_000_000, 10), None),
        ((4_000_000, 10), (200_000, 10), None),
        1.0,
    ),
    "rechunk": (
        ((10_000, 10_000), (1_000, 10_000), (10_000, 1_000)),
        ((3_000, 3_000), (300, 3_000), (3_000, 300)),
        1.0,
    ),
}


def make_runner(lib: Any, workload: str, shape: tuple, chunks: tuple, new: Any) -> Callable:
    """A function running ``workload`` once on the array module ``lib``."""

    def random(seed: int) -> Any:
        return lib.random.RandomState(seed).random_sample(shape, chunks=chunks)

    if workload == "transpose_add_mean":

        def run() -> Any:
            x = random(0)
            return (x + x.T).mean().compute(scheduler="threads")
    elif workload == "matmul":

        def run() -> Any:
            x, y = random(0), random(1)
            return (x @ y).compute(scheduler="threads")
    elif workload == "std_axis0":

        def run() -> Any:
            return random(0).std(axis=0).compute(scheduler="threads")
    elif workload == "rechunk":

        def run() -> Any:
            return random(0).rechunk(new).sum().compute(scheduler="threads")
    else:
        raise ValueError(f"unknown workload {workload!r}")
    return run


def summary(value: Any) -> Any:
    """A small, JSON-friendly view of a result (to eyeball that both sides agree)."""
    import numpy as np

    value = np.asarray(value)
    if value.size <= 10:
        return [round(float(v), 4) for v in value.ravel()]
    return {"shape": list(value.shape), "mean": round(float(value.mean()), 4)}


def bench(workload: str, quick: bool, rounds: int) -> dict:
    import mpiflow.array as mda

    full, small, target = WORKLOADS[workload]
    shape, chunks, new = small if quick else full
    libs: dict[str, Any] = {"mpiflow": mda}
    if have_dask():
        import dask.array

        libs["dask"] = dask.array
    runners = {name: make_runner(lib, workload, shape, chunks, new) for name, lib in libs.items()}
    results = {name: summary(run()) for name, run in runners.items()}  # warm-up, checks
    times = interleaved(runners, rounds)
    record: dict[str, Any] = {
        "bench": "array",
        "workload": workload,
        "shape": list(shape),
        "chunks": list(chunks),
        "rounds": rounds,
        "quick": quick,
        "target": target,
        "results": results,
    }
    for name, ts in times.items():
        record[f"{name}_s"] = round(median(ts), 3)
        record[f"{name}_times"] = [round(t, 3) for t in ts]
    if "dask" in times:
        ratio = median(times["mpiflow"]) / median(times["dask"])
        record["ratio_mpiflow_over_dask"] = round(ratio, 3)
        # the best round of each side: less sensitive to other load on a shared machine
        record["ratio_of_min"] = round(min(times["mpiflow"]) / min(times["dask"]), 3)
        record["meets_target"] = ratio <= target
    emit(record)
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    parser.add_argument(
        "--rounds",
        type=int,
        default=None,
        help="interleaved rounds per workload (default 3, quick 2)",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=sorted(WORKLOADS),
        help="run only this workload (repeatable)",
    )
    args = parser.parse_args(argv)
    rounds = args.rounds or (2 if args.quick else 3)
    emit({"bench": "array", "machine": machine(), "dask": have_dask()})
    if not have_dask():
        print(
            "note: Dask is not installed (pip install -e '.[bench]'); mpiflow only", file=sys.stderr
        )
    ok = True
    for workload in args.only or list(WORKLOADS):
        record = bench(workload, args.quick, rounds)
        ok = ok and record.get("meets_target", True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
