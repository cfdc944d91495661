"""Peak memory of a larger-than-memory array sum on the threaded scheduler.

``x = random((200_000, 20_000), chunks=(1_000, 20_000)); (x + 1).sum().compute()``
makes 32 GB of random numbers in 200 chunks of 160 MB; with chunks created,
used and freed in order the peak resident set must stay under 2 GB. Each
library runs in a fresh Python process (Linux keeps a process's peak RSS
across fork+exec, so the parent stays small and never touches the data).
Prints one JSON line per library and, with Dask, a line comparing them.

    python benchmarks/array_memory.py                # mpiflow and Dask (if installed)
    python benchmarks/array_memory.py --rows 20000   # quicker: 3.2 GB
    python benchmarks/array_memory.py --no-dask
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

from _common import emit, have_dask, machine

# benchmarks/array.py shadows the standard library's ``array`` module, which
# Dask imports: keep this folder off the import path once ``_common`` is loaded.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

COLS = 20_000
ROW_CHUNK = 1_000
TARGET_BYTES = 2 * 2**30


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


def run(library: str, rows: int) -> dict:
    import psutil

    if library == "mpiflow":
        import mpiflow.array as lib
    else:
        import dask.array as lib
    baseline = psutil.Process().memory_info().rss
    start = time.perf_counter()
    x = lib.random.random((rows, COLS), chunks=(ROW_CHUNK, COLS))
    total = float((x + 1).sum().compute(scheduler="threads"))
    seconds = time.perf_counter() - start
    n = rows * COLS
    peak = peak_rss_bytes()
    return {
        "bench": "array_memory",
        "library": library,
        "shape": [rows, COLS],
        "chunks": [ROW_CHUNK, COLS],
        "total_gb": round(n * 8 / 1e9, 2),
        "result": total,
        "expected_about": 1.5 * n,
        "plausible": abs(total / (1.5 * n) - 1) < 1e-3,
        "seconds": round(seconds, 2),
        "baseline_rss_mb": round(baseline / 2**20, 1),
        "peak_rss_mb": round(peak / 2**20, 1),
        "target_peak_rss_mb": TARGET_BYTES // 2**20,
        "meets_target": peak < TARGET_BYTES,
    }


def in_fresh_process(library: str, rows: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--library", library, "--rows", str(rows), "--inline"],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        return {
            "bench": "array_memory",
            "library": library,
            "error": out.stderr[-2000:],
            "meets_target": False,
        }
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--library", default="mpiflow", choices=["mpiflow", "dask"])
    parser.add_argument("--no-dask", action="store_true", help="run mpiflow only")
    parser.add_argument("--inline", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.inline:
        record = run(args.library, args.rows)
        record["machine"] = machine()
        emit(record)
        return 0
    ours = in_fresh_process("mpiflow", args.rows)
    emit(ours)
    if have_dask() and not args.no_dask:
        theirs = in_fresh_process("dask", args.rows)
        emit(theirs)
        if "peak_rss_mb" in ours and "peak_rss_mb" in theirs:
            emit(
                {
                    "bench": "array_memory",
                    "rows": args.rows,
                    "seconds_ratio_mpiflow_over_dask": round(
                        ours["seconds"] / theirs["seconds"], 3
                    ),
                    "peak_rss_ratio_mpiflow_over_dask": round(
                        ours["peak_rss_mb"] / theirs["peak_rss_mb"], 3
                    ),
                }
            )
    return 0 if ours.get("meets_target") and ours.get("plausible") else 1


if __name__ == "__main__":
    sys.exit(main())
