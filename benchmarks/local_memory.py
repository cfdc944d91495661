"""Peak memory of a large tree reduction on the threaded scheduler.

A pairwise tree sum over 4,000 lazily created 8 MB NumPy chunks (32 GB in
all) must finish with a peak resident set under 1 GB: this works only if the
engine runs tasks in :func:`mpiflow.core.order` priority and frees every
intermediate as soon as its last dependent has run. Prints one JSON line with
the result, the expected result, peak RSS and the peak number of chunks held.

    python benchmarks/local_memory.py                 # the full 4,000 chunks
    python benchmarks/local_memory.py --chunks 400    # quicker
    python benchmarks/local_memory.py --dask          # also run Dask (each in a fresh process)
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from operator import add

import numpy as np
import psutil
from _common import add_pairwise_tree, emit, machine

CHUNK = 1_000_000  # float64 values: 8 MB


def make_chunk(i: int) -> np.ndarray:
    return np.full(CHUNK, float(i))


def build(chunks: int) -> tuple[dict, object]:
    dsk: dict = {("chunk", i): (make_chunk, i) for i in range(chunks)}
    root = add_pairwise_tree(dsk, [("chunk", i) for i in range(chunks)], add)
    dsk["total"] = (np.sum, root)
    return dsk, "total"


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


def run(library: str, chunks: int) -> dict:
    dsk, key = build(chunks)
    baseline = psutil.Process().memory_info().rss
    start = time.perf_counter()
    if library == "mpiflow":
        import mpiflow.threaded

        result = mpiflow.threaded.get(dsk, key)
    else:
        import dask.threaded

        result = dask.threaded.get(dsk, key)
    seconds = time.perf_counter() - start
    expected = float(CHUNK) * chunks * (chunks - 1) / 2
    return {
        "bench": "local_memory", "library": library, "chunks": chunks,
        "total_gb": chunks * CHUNK * 8 / 1e9, "result": float(result), "expected": expected,
        "correct": float(result) == expected, "seconds": round(seconds, 2),
        "baseline_rss_mb": round(baseline / 2**20, 1),
        "peak_rss_mb": round(peak_rss_bytes() / 2**20, 1),
        "target_peak_rss_mb": 1024, "meets_target": peak_rss_bytes() < 2**30,
    }


def _in_fresh_process(library: str, chunks: int) -> dict:
    # Linux keeps a process's peak RSS across fork+exec, so each measured run
    # starts from this small parent rather than from a process that already
    # held chunks.
    out = subprocess.run([sys.executable, __file__, "--library", library, "--chunks",
                          str(chunks), "--inline"], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="peak memory of a large tree reduction")
    parser.add_argument("--chunks", type=int, default=4000)
    parser.add_argument("--library", default="mpiflow", choices=["mpiflow", "dask"])
    parser.add_argument("--dask", action="store_true", help="also run Dask, side by side")
    parser.add_argument("--inline", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.inline:
        record = run(args.library, args.chunks)
        record["machine"] = machine()
        emit(record)
        return 0
    record = _in_fresh_process(args.library, args.chunks)
    emit(record)
    if args.dask:
        theirs = _in_fresh_process("dask", args.chunks)
        emit(theirs)
        emit({"bench": "local_memory", "chunks": args.chunks,
              "peak_rss_ratio_dask_over_mpiflow": round(theirs["peak_rss_mb"] /
                                                        record["peak_rss_mb"], 2)})
    return 0 if record["correct"] and record["meets_target"] else 1


if __name__ == "__main__":
    sys.exit(main())
