"""Bag word count of issue 6, mpiflow and Dask bag side by side.

The workload: ``read_text(files).str.split().flatten().frequencies()``
followed by ``topk(10, key=1)``, over 20 text files of 10 MB each (200 MB) of
random words drawn from a 10,000-word vocabulary. The files are written once
into a folder under the system temp dir and reused by later runs.

Both libraries run with the process scheduler (Dask bag's default) and the
synchronous one (the cost of the work itself, without process hand-offs);
mpiflow and Dask alternate round by round. Each scheduler prints one JSON
line with both medians and ``ratio_mpiflow_over_dask`` (lower is better,
target <= 1.0). A warm-up run of each side comes first (it also checks that
both count the same words). Usage::

    python benchmarks/bag.py                   # 200 MB, 3 rounds
    python benchmarks/bag.py --quick           # 20 MB, 2 rounds
    python benchmarks/bag.py --rounds 5 --scheduler processes

Other scripts call :func:`run_wordcount`; Dask's process scheduler starts
fresh interpreters, so a calling script needs the ``if __name__ ==
"__main__":`` guard.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
from collections.abc import Callable
from typing import Any

from _common import emit, have_dask, interleaved, machine, median

VOCABULARY = 10_000
WORDS_PER_LINE = 12
TARGET = 1.0


def make_text_files(nfiles: int = 20, mb_per_file: float = 10.0, seed: int = 0) -> list[str]:
    """Write (once) ``nfiles`` files of about ``mb_per_file`` MB of random words; their paths."""
    folder = os.path.join(tempfile.gettempdir(), f"mpiflow-bench-bag-{nfiles}x{mb_per_file}mb")
    os.makedirs(folder, exist_ok=True)
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocab = ["".join(rng.choices(letters, k=rng.randint(2, 10))) for _ in range(VOCABULARY)]
    target = int(mb_per_file * 1e6)
    paths = []
    for i in range(nfiles):
        path = os.path.join(folder, f"words-{i:03d}.txt")
        paths.append(path)
        if os.path.exists(path) and os.path.getsize(path) >= target:
            continue
        lines = []
        size = 0
        while size < target:
            words = rng.choices(vocab, k=WORDS_PER_LINE * 1000)
            for j in range(0, len(words), WORDS_PER_LINE):
                line = " ".join(words[j : j + WORDS_PER_LINE]) + "\n"
                lines.append(line)
                size += len(line)
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.writelines(lines)
        os.replace(tmp, path)
    return paths


def make_runner(lib: Any, paths: list[str], scheduler: str) -> Callable[[], Any]:
    """A function running the word count once with the bag module ``lib``."""

    def run() -> Any:
        words = lib.read_text(paths).str.split().flatten()
        return words.frequencies().topk(10, key=1).compute(scheduler=scheduler)

    return run


def run_wordcount(
    rounds: int = 3,
    schedulers: tuple[str, ...] = ("processes", "sync"),
    nfiles: int = 20,
    mb_per_file: float = 10.0,
) -> list[dict]:
    """Run the word count on mpiflow and Dask for each scheduler; emit and return the records.

    Parameters
    ----------
    rounds : int
        Interleaved timed rounds per scheduler (after one warm-up run).
    schedulers : tuple of str
        Scheduler names to measure.
    nfiles, mb_per_file : int, float
        Size of the text (default 20 x 10 MB).
    """
    import mpiflow.bag as mdb

    paths = make_text_files(nfiles, mb_per_file)
    libs: dict[str, Any] = {"mpiflow": mdb}
    if have_dask():
        import dask.bag

        libs["dask"] = dask.bag
    records = []
    for scheduler in schedulers:
        runners = {name: make_runner(lib, paths, scheduler) for name, lib in libs.items()}
        results = {name: [list(p) for p in run()] for name, run in runners.items()}
        times = interleaved(runners, rounds)
        record: dict[str, Any] = {
            "bench": "bag",
            "workload": "wordcount",
            "scheduler": scheduler,
            "files": nfiles,
            "mb": round(sum(os.path.getsize(p) for p in paths) / 1e6, 1),
            "rounds": rounds,
            "target": TARGET,
            "top3": results["mpiflow"][:3],
        }
        if "dask" in results:
            record["same_result"] = results["mpiflow"] == results["dask"]
        for name, ts in times.items():
            record[f"{name}_s"] = round(median(ts), 3)
            record[f"{name}_times"] = [round(t, 3) for t in ts]
        if "dask" in times:
            ratio = median(times["mpiflow"]) / median(times["dask"])
            record["ratio_mpiflow_over_dask"] = round(ratio, 3)
            record["ratio_of_min"] = round(min(times["mpiflow"]) / min(times["dask"]), 3)
            record["meets_target"] = ratio <= TARGET
        emit(record)
        records.append(record)
    return records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 MB instead of 200 MB")
    parser.add_argument("--rounds", type=int, default=None, help="default 3, quick 2")
    parser.add_argument(
        "--scheduler",
        action="append",
        choices=["processes", "threads", "sync"],
        help="measure this scheduler (repeatable; default processes and sync)",
    )
    args = parser.parse_args(argv)
    rounds = args.rounds or (2 if args.quick else 3)
    emit({"bench": "bag", "machine": machine(), "dask": have_dask()})
    if not have_dask():
        print(
            "note: Dask is not installed (pip install -e '.[bench]'); mpiflow only", file=sys.stderr
        )
    schedulers = tuple(args.scheduler or ("processes", "sync"))
    mb = 1.0 if args.quick else 10.0
    records = run_wordcount(rounds, schedulers, nfiles=20, mb_per_file=mb)
    return 0 if all(r.get("meets_target", True) for r in records) else 1


if __name__ == "__main__":
    sys.exit(main())
