"""Scheduler overhead of the local engine, mpiflow and Dask side by side.

Workloads (no-op tasks, so only scheduling costs are measured):

- ``independent``: N independent tasks through the raw ``get`` (sync, threads);
- ``tree``: a pairwise tree reduction over L leaves through the raw ``get``;
- ``delayed``: N ``delayed`` calls built and computed end to end (threads).

Each workload runs at several sizes (and the threaded one at several thread
counts) so the output shows how cost grows, not one point. mpiflow and Dask
runs alternate; each line reports the median of the repeats and every ratio
line compares medians from this one run. Usage::

    python benchmarks/local_overhead.py            # full run
    python benchmarks/local_overhead.py --quick    # one size each, fewer repeats

Targets (issue "Foundation"): raw ``get`` at least 2x Dask's tasks/s on sync
and threads; ``delayed`` end to end at least 5x Dask.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from _common import add_pairwise_tree, emit, have_dask, interleaved, machine, median


def noop(*args: Any) -> None:
    return None


def independent_graph(n: int) -> tuple[dict, list]:
    dsk = {("x", i): (noop, i) for i in range(n)}
    return dsk, list(dsk)


def tree_graph(leaves: int) -> tuple[dict, list]:
    dsk: dict = {("leaf", i): (noop, i) for i in range(leaves)}
    root = add_pairwise_tree(dsk, [("leaf", i) for i in range(leaves)], noop)
    return dsk, [root]


def getters(scheduler: str, num_workers: int | None) -> dict[str, Callable]:
    import mpiflow.local
    import mpiflow.threaded

    out: dict[str, Callable] = {}
    if scheduler == "sync":
        out["mpiflow"] = mpiflow.local.get_sync
    else:
        out["mpiflow"] = lambda d, k: mpiflow.threaded.get(d, k, num_workers=num_workers)
    if have_dask():
        import dask.local
        import dask.threaded

        if scheduler == "sync":
            out["dask"] = dask.local.get_sync
        else:
            out["dask"] = lambda d, k: dask.threaded.get(d, k, num_workers=num_workers)
    return out


def report(workload: str, params: dict, ntasks: int, times: dict, target: float) -> None:
    for lib, ts in times.items():
        emit({"bench": "local_overhead", "workload": workload, "library": lib, "tasks": ntasks,
              "seconds_median": median(ts), "tasks_per_s": ntasks / median(ts), **params})
    if "dask" in times:
        ratio = median(times["dask"]) / median(times["mpiflow"])
        emit({"bench": "local_overhead", "workload": workload, "tasks": ntasks,
              "ratio_mpiflow_over_dask": round(ratio, 2), "target": target,
              "meets_target": ratio >= target, **params})


def raw_get(workload: str, sizes: list[int], schedulers: list[tuple], repeat: int) -> None:
    build = independent_graph if workload == "independent" else tree_graph
    for size in sizes:
        dsk, keys = build(size)
        for scheduler, nw in schedulers:
            runners = {lib: (lambda g=g, d=dsk, k=keys: g(d, k))
                       for lib, g in getters(scheduler, nw).items()}
            for run in runners.values():  # warm up pools and caches
                run()
            params = {"scheduler": scheduler, "num_workers": nw, "size": size}
            report(workload, params, len(dsk), interleaved(runners, repeat), 2.0)


def delayed_end_to_end(sizes: list[int], repeat: int) -> None:
    import mpiflow

    def run_mpiflow(n: int) -> None:
        f = mpiflow.delayed(noop)
        mpiflow.compute(*[f(i) for i in range(n)], scheduler="threads")

    runners_for: dict[str, Callable[[int], None]] = {"mpiflow": run_mpiflow}
    if have_dask():
        import dask

        def run_dask(n: int) -> None:
            f = dask.delayed(noop)
            dask.compute(*[f(i) for i in range(n)], scheduler="threads")

        runners_for["dask"] = run_dask
    for n in sizes:
        runners = {lib: (lambda r=r, n=n: r(n)) for lib, r in runners_for.items()}
        for run in runners.values():
            run()
        report("delayed", {"scheduler": "threads", "size": n}, n, interleaved(runners, repeat), 5.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one size per workload, 3 repeats")
    parser.add_argument("--repeat", type=int, default=None, help="repeats per measurement")
    args = parser.parse_args(argv)
    repeat = args.repeat or (3 if args.quick else 7)
    emit({"bench": "local_overhead", "machine": machine(), "dask": have_dask()})
    if not have_dask():
        print("note: Dask is not installed (pip install -e '.[bench]'); mpiflow only",
              file=sys.stderr)
    if args.quick:
        schedulers = [("sync", None), ("threads", None)]
        raw_get("independent", [10_000], schedulers, repeat)
        raw_get("tree", [1024], schedulers, repeat)
        delayed_end_to_end([10_000], repeat)
        return 0
    schedulers = [("sync", None), ("threads", 1), ("threads", 2), ("threads", 4)]
    raw_get("independent", [1_000, 10_000, 100_000], schedulers, repeat)
    raw_get("tree", [256, 1024, 8192], schedulers, repeat)
    delayed_end_to_end([1_000, 10_000], repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
