"""Dataframe workloads of issue 6, mpiflow and Dask (threads) side by side.

Workloads (data made once into a temporary directory, outside the timed region):

- ``csv_groupby``: ``read_csv`` of 20 taxi-style CSV files (18 columns,
  10,000,000 rows in all) + ``groupby('passenger_count').fare_amount.mean()``;
- ``parquet_groupby``: the same rows as 20 Parquet files, the same query, which
  uses 2 of the 18 columns (neither side is told ``columns=``: projection);
- ``merge``: ``merge`` of 10,000,000 rows with 1,000,000 rows on an integer key;
- ``set_index``: ``set_index`` on 10,000,000 rows (a random integer column);
- ``bag_wordcount``: word count over 200 MB of text (``benchmarks/bag.py``,
  processes scheduler, as there).

mpiflow and Dask runs alternate round by round; each workload prints one JSON
line with both medians and ``ratio_mpiflow_over_dask`` (lower is better,
target <= 1.0). Usage::

    python benchmarks/dataframe.py                 # full sizes, 3 rounds
    python benchmarks/dataframe.py --quick         # 1/10 of the rows, 2 rounds
    python benchmarks/dataframe.py --only merge --rounds 5
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from typing import Any

from _common import emit, have_dask, interleaved, machine, median

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(_HERE, os.pardir, "tests"))  # the taxi generator

WORKLOADS = ["csv_groupby", "parquet_groupby", "merge", "set_index", "bag_wordcount"]
FULL_ROWS = 10_000_000
FILES = 20


def make_taxi(directory: str, rows: int) -> tuple[str, str]:
    """Write the taxi rows as 20 CSV files and 20 Parquet files; return both globs."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from dataframe_taxi import taxi_frame, write_taxi_csv

    per = rows // FILES
    csv_dir = os.path.join(directory, "csv")
    pq_dir = os.path.join(directory, "parquet")
    os.makedirs(csv_dir)
    os.makedirs(pq_dir)
    for i in range(FILES):
        write_taxi_csv(os.path.join(csv_dir, f"taxi-{i:02d}.csv"), per, seed=i)
        table = pa.Table.from_pandas(taxi_frame(per, seed=i), preserve_index=False)
        pq.write_table(table, os.path.join(pq_dir, f"taxi-{i:02d}.parquet"))
    return os.path.join(csv_dir, "*.csv"), os.path.join(pq_dir, "*.parquet")


def make_frames(rows: int) -> dict[str, Any]:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    small = rows // 10
    left = pd.DataFrame({"k": rng.integers(0, small, rows), "x": rng.random(rows)})
    right = pd.DataFrame({"k": rng.permutation(small), "y": rng.random(small)})
    return {"left": left, "right": right}


def make_runner(lib: Any, workload: str, data: dict) -> Callable[[], Any]:
    """A function running ``workload`` once with the dataframe module ``lib``."""
    if workload == "csv_groupby":

        def run() -> Any:
            ddf = lib.read_csv(data["csv"], assume_missing=True)
            q = ddf.groupby("passenger_count").fare_amount.mean()
            return q.compute(scheduler="threads")
    elif workload == "parquet_groupby":

        def run() -> Any:
            ddf = lib.read_parquet(data["parquet"])
            q = ddf.groupby("passenger_count").fare_amount.mean()
            return q.compute(scheduler="threads")
    elif workload == "merge":

        def run() -> Any:
            left = lib.from_pandas(data["left"], npartitions=20)
            right = lib.from_pandas(data["right"], npartitions=2)
            out = lib.merge(left, right, on="k")
            return int(out.map_partitions(len).compute(scheduler="threads").sum())
    elif workload == "set_index":

        def run() -> Any:
            df = lib.from_pandas(data["left"], npartitions=20)
            out = df.set_index("k")
            return int(out.map_partitions(len).compute(scheduler="threads").sum())
    else:
        raise ValueError(f"unknown workload {workload!r}")
    return run


def summary(value: Any) -> Any:
    """A small, JSON-friendly view of a result (to eyeball that both sides agree)."""
    if hasattr(value, "sort_index"):
        value = value.sort_index()
        return [round(float(v), 4) for v in value.to_numpy()[:8]]
    return value


def bench(workload: str, data: dict, rows: int, rounds: int, quick: bool) -> dict:
    import mpiflow.dataframe as mdd

    libs: dict[str, Any] = {"mpiflow": mdd}
    if have_dask():
        import dask.dataframe

        libs["dask"] = dask.dataframe
    runners = {name: make_runner(lib, workload, data) for name, lib in libs.items()}
    results = {name: summary(run()) for name, run in runners.items()}  # warm-up, checks
    times = interleaved(runners, rounds)
    record: dict[str, Any] = {
        "bench": "dataframe",
        "workload": workload,
        "rows": rows,
        "rounds": rounds,
        "quick": quick,
        "target": 1.0,
        "results": results,
    }
    for name, ts in times.items():
        record[f"{name}_s"] = round(median(ts), 3)
        record[f"{name}_times"] = [round(t, 3) for t in ts]
    if "dask" in times:
        ratio = median(times["mpiflow"]) / median(times["dask"])
        record["ratio_mpiflow_over_dask"] = round(ratio, 3)
        record["ratio_of_min"] = round(min(times["mpiflow"]) / min(times["dask"]), 3)
        record["meets_target"] = ratio <= 1.0
    emit(record)
    return record


def bench_bag(rounds: int, quick: bool) -> list[dict]:
    try:
        from bag import run_wordcount
    except ImportError as e:
        emit({"bench": "dataframe", "workload": "bag_wordcount", "skipped": str(e)})
        return []
    mb = 1.0 if quick else 10.0
    return run_wordcount(rounds=rounds, schedulers=("processes",), nfiles=20, mb_per_file=mb)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1/10 of the rows (and text)")
    parser.add_argument("--rounds", type=int, default=None, help="default 3, quick 2")
    parser.add_argument("--only", action="append", choices=WORKLOADS, help="repeatable")
    parser.add_argument("--rows", type=int, default=None, help="override the row count")
    args = parser.parse_args(argv)
    rounds = args.rounds or (2 if args.quick else 3)
    rows = args.rows or (FULL_ROWS // 10 if args.quick else FULL_ROWS)
    todo = args.only or WORKLOADS
    emit({"bench": "dataframe", "machine": machine(), "dask": have_dask()})
    if not have_dask():
        print("note: Dask is not installed (pip install -e '.[bench]')", file=sys.stderr)
    tmp = tempfile.mkdtemp(prefix="mpiflow-bench-df-")
    ok = True
    try:
        data: dict[str, Any] = {}
        if {"csv_groupby", "parquet_groupby"} & set(todo):
            data["csv"], data["parquet"] = make_taxi(tmp, rows)
        if {"merge", "set_index"} & set(todo):
            data.update(make_frames(rows))
        for workload in todo:
            if workload == "bag_wordcount":
                records = bench_bag(rounds, args.quick)
                ok = ok and all(r.get("meets_target", True) for r in records)
                continue
            record = bench(workload, data, rows, rounds, args.quick)
            ok = ok and record.get("meets_target", True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
