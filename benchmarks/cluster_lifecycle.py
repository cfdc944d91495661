"""Cluster start-up and worker-loss recovery: mpiflow's LocalCluster next to Dask's.

Usage::

    python benchmarks/cluster_lifecycle.py             # 3 rounds, interleaved
    python benchmarks/cluster_lifecycle.py --rounds 5

``benchmarks/cluster.py`` runs this too (``--lifecycle``, on by default).
Each round, in a fresh subprocess per side (so nothing is warm):

- ``startup``: seconds from ``LocalCluster(n_workers=2, threads_per_worker=1)``
  to the first ``client.submit(inc, 1).result()`` (imports excluded);
- ``recovery``: a ``client.map`` of 400 tasks of 5 ms runs; after 100 are
  done one worker process is SIGKILLed. ``detect_s`` is the time until the
  scheduler no longer lists it (Dask: its nanny may replace it: the time until
  the worker's address changes), ``recover_s`` the time until every result
  is gathered (all checked).

Prints one JSON line per side and measurement, then ratio lines
(mpiflow / Dask medians; below 1 means mpiflow is faster).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

from _common import emit, machine  # noqa: E402

SIDES = ["mpiflow", "dask"]


def _inc(x: int) -> int:
    return x + 1


def _slow(i: int) -> int:
    time.sleep(0.005)
    return 2 * i


def side(name: str) -> None:
    """Run one side in this (fresh) process and print its JSON lines."""
    import signal

    if name == "mpiflow":
        from mpiflow.distributed import Client, LocalCluster
    else:
        from distributed import Client, LocalCluster
    kwargs = {"n_workers": 2, "threads_per_worker": 1}
    if name == "dask":
        kwargs.update(processes=True, dashboard_address=None)
    t0 = time.perf_counter()
    cluster = LocalCluster(**kwargs)
    client = Client(cluster)
    assert client.submit(_inc, 1).result() == 2
    emit({"bench": "lifecycle", "side": name, "measure": "startup",
          "seconds": time.perf_counter() - t0})

    workers = client.scheduler_info()["workers"]
    pids = client.run(os.getpid)
    victim = sorted(pids)[0]
    futures = client.map(_slow, range(400))
    while sum(f.done() for f in futures) < 100:
        time.sleep(0.005)
    t_kill = time.perf_counter()
    os.kill(pids[victim], signal.SIGKILL)
    while victim in client.scheduler_info()["workers"]:
        time.sleep(0.01)
    t_detect = time.perf_counter()
    assert client.gather(futures) == [2 * i for i in range(400)]
    t_done = time.perf_counter()
    emit({"bench": "lifecycle", "side": name, "measure": "recovery", "workers": len(workers),
          "detect_s": t_detect - t_kill, "recover_s": t_done - t_kill})
    client.close()
    cluster.close()


def run(rounds: int = 3, sides: list[str] | None = None, timeout: float = 300.0) -> list[dict]:
    """Run every side ``rounds`` times in rotation; print and return all records."""
    sides = sides or SIDES
    records: list[dict] = []
    env = dict(os.environ, UCX_LOG_LEVEL="error")
    for _ in range(rounds):
        for name in sides:
            try:
                proc = subprocess.run([sys.executable, __file__, "--side", name],
                                      capture_output=True, text=True, timeout=timeout, env=env)
            except subprocess.TimeoutExpired:
                emit({"bench": "lifecycle", "side": name, "error": f"timeout {timeout:g} s"})
                continue
            got = [json.loads(line) for line in proc.stdout.splitlines()
                   if line.startswith("{")]
            if proc.returncode != 0 or len(got) < 2:
                emit({"bench": "lifecycle", "side": name, "error": proc.stderr[-2000:]})
            for rec in got:
                print(json.dumps(rec, sort_keys=True), flush=True)
            records += got
    _ratios(records)
    return records


def _median(records: list[dict], name: str, measure: str, field: str) -> float | None:
    xs = [r[field] for r in records if r.get("side") == name and r.get("measure") == measure]
    return statistics.median(xs) if xs else None


def _ratios(records: list[dict]) -> None:
    for measure, field in (("startup", "seconds"), ("recovery", "detect_s"),
                           ("recovery", "recover_s")):
        ours = _median(records, "mpiflow", measure, field)
        theirs = _median(records, "dask", measure, field)
        emit({"bench": "lifecycle", "ratio": f"{measure}.{field}", "mpiflow": ours,
              "dask": theirs,
              "mpiflow_over_dask": ours / theirs if ours and theirs else None})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sides", default=",".join(SIDES))
    parser.add_argument("--side", choices=SIDES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.side:
        side(args.side)
        return 0
    emit({"bench": "lifecycle", "machine": machine(), "rounds": args.rounds})
    run(args.rounds, [s for s in args.sides.split(",") if s])
    return 0


if __name__ == "__main__":
    sys.exit(main())
