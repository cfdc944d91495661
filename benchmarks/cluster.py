"""The MPI cluster next to Dask, dask-mpi, mpi4py.futures and raw MPI, in one run.

Usage::

    python benchmarks/cluster.py            # full sizes, ~10 minutes on 2 cores (Dask's share)
    python benchmarks/cluster.py --quick    # 2,000 tasks, 200 round trips, 100 MB only, ~2 min
    python benchmarks/cluster.py --quick --rounds 3           # rotate 3 times, median round
    python benchmarks/cluster.py --sides dask-local,mpiflow   # a subset

The command is a driver: every side runs in its own fresh job, started with
``subprocess`` under a timeout (``--timeout``), and prints JSON lines that the
driver passes on and then turns into ratio lines. A side that fails or times
out is reported as one JSON line with ``"error"`` and the others still run.

Sides (4 processes each where a cluster is involved, on the same machine):

- ``mpiflow``: ``mpiexec -n 4 python cluster.py --side mpiflow``; the script
  calls ``mpiflow.distributed.initialize()``: rank 0 scheduler, rank 1 client,
  ranks 2-3 workers; the dashboard is on and a poller process makes the
  requests of an open ``/status`` page every 0.5 s, as a browser would;
- ``mpiflow-nodash``: the same with ``dashboard_address=None`` (map, round
  trip and tree only), for the "dashboard on / off" ratio lines (target: on
  within 5% of off);
- ``dask-local``: ``distributed.LocalCluster(n_workers=2, threads_per_worker=1,
  processes=True)`` and a ``Client``, in a plain subprocess;
- ``dask-mpi``: ``mpiexec -n 4`` with ``dask_mpi.initialize()`` (same layout as
  mpiflow: scheduler, client, 2 workers; TCP on the loopback interface);
- ``mpi4py-futures``: ``mpiexec -n 4 python -m mpi4py.futures cluster.py``
  (``MPIPoolExecutor``: rank 0 submits, 3 workers), default settings;
- ``raw-mpi``: ``mpiexec -n 2``, ``Send``/``Recv`` of the transfer sizes from
  rank 0 into a fresh buffer on rank 1 (timed until a tiny ack is back), and a
  small-message ping-pong.

Measurements on each cluster side (mpiflow, Dask LocalCluster, dask-mpi):

- ``map``: ``client.map`` of N no-op tasks + ``client.gather`` (tasks/s);
- ``roundtrip``: serial ``client.submit(noop, i).result()`` (median, p90 µs;
  ``median_until_done_us`` is the part until ``wait`` sees the task finished);
- ``tree``: a 1,024-leaf pairwise tree reduction through ``client.get``;
- ``transfer``: a random float64 array made on worker A
  (``submit(..., workers=[A])``), then ``submit(consume, x, workers=[B])``
  which returns only ``x.nbytes`` (GB/s of the second step, 100 MB and 1 GB).

Then (unless ``--no-lifecycle``) ``cluster_lifecycle.py``: time from
``LocalCluster()`` to the first result, and from SIGKILLing a worker to its
detection and to every result gathered, next to Dask's ``LocalCluster``.

mpi4py.futures runs ``map`` and ``roundtrip``. Every line gives the median of
its repeats (distinct task arguments each repeat, so nothing is reused from
cache). Sides cannot share one process or one MPI job, so they run one after
another; ``--rounds K`` rotates through all of them K times (the house style's
interleaving, at the level of jobs) and the ratio lines then use the median
round of each measurement (those lines carry ``"combined": true``). Ratio lines
always compare figures from this one run.

Targets (issue "MPI cluster"): mpiflow at least 5x Dask's tasks/s (map and
tree) and ahead of mpi4py.futures; round trip median under 1 ms; worker to
worker transfers at least 70% of raw MPI bandwidth.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

from _common import add_pairwise_tree, emit, machine  # noqa: E402

SIDES = ["raw-mpi", "mpiflow", "mpiflow-nodash", "dask-local", "dask-mpi", "mpi4py-futures"]
MB = 2**20
TARGET_VS_DASK = 5.0
TARGET_VS_MPI4PY = 1.0
TARGET_ROUNDTRIP_US = 1000.0
TARGET_TRANSFER_FRACTION = 0.7
TARGET_DASHBOARD_ON_OFF = 0.95


def sizes(quick: bool) -> dict[str, Any]:
    """Workload sizes for a full or a ``--quick`` run."""
    return {
        "tasks": 2_000 if quick else 10_000,
        "roundtrips": 200 if quick else 1_000,
        "leaves": 1_024,
        "bytes": [100 * MB] if quick else [100 * MB, 1024 * MB],
        "repeat": 3 if quick else 5,
    }


# --------------------------------------------------------------------------
# Task functions (module level: every rank of an MPI side defines them)


def noop(*args: Any) -> None:
    return None


def make_array(nbytes: int, seed: int):
    """Incompressible data, so no transport can win by compressing it."""
    import numpy as np

    return np.random.default_rng(seed).random(nbytes // 8)


def consume(x) -> tuple[int, int]:
    """The len-like consumer: touches no data, says where it ran."""
    return x.nbytes, os.getpid()


def tree_graph(leaves: int, tag: str) -> tuple[dict, Any]:
    """Pairwise tree reduction over ``leaves`` no-op leaves; returns (dsk, root key)."""
    dsk: dict = {(f"leaf-{tag}", i): (noop, i) for i in range(leaves)}
    root = add_pairwise_tree(dsk, [(f"leaf-{tag}", i) for i in range(leaves)], noop,
                             name=f"sum-{tag}")
    return dsk, root


# --------------------------------------------------------------------------
# The sides: each runs inside its own job and prints JSON lines


def out(side: str, measure: str, **fields: Any) -> None:
    emit({"bench": "cluster", "side": side, "measure": measure, **fields})


def p90(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=10)[-1] if len(xs) >= 2 else xs[0]


def measure_client(side: str, client: Any, wait: Any, quick: bool,
                   transfers: bool = True) -> None:
    """The same workloads through any Dask-compatible ``Client``."""
    cfg = sizes(quick)
    n, repeat = cfg["tasks"], cfg["repeat"]
    workers = sorted(client.scheduler_info()["workers"])
    out(side, "setup", workers=workers)
    if len(workers) < 2:
        raise RuntimeError(f"{side}: need 2 workers, scheduler reports {workers}")

    # Warm up: connections, worker pools, function caches.
    client.gather(client.map(noop, range(-200, 0)))
    for i in range(20):
        client.submit(noop, -1000 - i).result()

    times = []
    for r in range(repeat):
        start = time.perf_counter()
        futures = client.map(noop, range((r + 1) * 10**7, (r + 1) * 10**7 + n))
        client.gather(futures)
        times.append(time.perf_counter() - start)
        del futures
    med = statistics.median(times)
    out(side, "map", tasks=n, repeat=repeat, seconds_median=med, tasks_per_s=n / med)

    rts, done = [], []
    for i in range(cfg["roundtrips"]):
        start = time.perf_counter()
        f = client.submit(noop, 10**9 + i)
        wait([f])  # split: time to "finished" vs. fetching the result
        mid = time.perf_counter()
        f.result()
        rts.append(time.perf_counter() - start)
        done.append(mid - start)
    out(side, "roundtrip", calls=len(rts), median_us=statistics.median(rts) * 1e6,
        p90_us=p90(rts) * 1e6, median_until_done_us=statistics.median(done) * 1e6)

    times = []
    ntasks = 0
    for r in range(repeat):
        dsk, root = tree_graph(cfg["leaves"], f"{side}-{r}")
        ntasks = len(dsk)
        start = time.perf_counter()
        client.get(dsk, root)
        times.append(time.perf_counter() - start)
    med = statistics.median(times)
    out(side, "tree", leaves=cfg["leaves"], tasks=ntasks, repeat=repeat, seconds_median=med,
        tasks_per_s=ntasks / med)

    if not transfers:
        return
    a, b = workers[0], workers[1]
    pids = client.run(os.getpid)
    # Warm up the worker-to-worker path (connections, buffers) with a small array.
    x = client.submit(make_array, MB, 10**6, workers=[a])
    client.submit(consume, x, workers=[b]).result()
    del x
    seed = 0
    for nbytes in cfg["bytes"]:
        times = []
        # The first transfers of a new size into fresh memory run several times
        # slower on every side (page faults, MPI/TCP buffer set-up): one
        # untimed transfer of this size first, then the median of five.
        for attempt in range(6):
            seed += 1
            x = client.submit(make_array, nbytes, seed, workers=[a])
            wait([x])
            start = time.perf_counter()
            y = client.submit(consume, x, workers=[b])
            got, pid = y.result()
            if attempt:
                times.append(time.perf_counter() - start)
            if got != nbytes or pid != pids[b]:
                raise RuntimeError(f"{side}: consumer returned {(got, pid)}, expected "
                                   f"{(nbytes, pids[b])} (worker {b})")
            del x, y
            time.sleep(0.2)  # let the scheduler release both copies
        med = statistics.median(times)
        out(side, "transfer", bytes=nbytes, source=a, target=b, seconds_median=med,
            GBps=nbytes / med / 1e9, seconds=times)


def side_mpiflow(quick: bool) -> None:
    """The dashboard on, with its status page open (a poller makes the page's requests)."""
    import tempfile

    from mpiflow.distributed import initialize, wait

    client = initialize(dashboard_address=":0")  # ranks 0, 2, 3 serve here and never return
    link = client.dashboard_link
    if not link:
        raise RuntimeError("mpiflow: the dashboard did not start (no dashboard_link)")
    count_file = tempfile.NamedTemporaryFile(prefix="mpiflow-bench-polls-", delete=False).name
    poller = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--poll",
                               link.rsplit("/", 1)[0], "--poll-count", count_file])
    try:
        measure_client("mpiflow", client, wait, quick)
    finally:
        alive = poller.poll() is None
        poller.terminate()
        poller.wait(10)
    polls = int(Path(count_file).read_text() or 0)
    os.unlink(count_file)
    if not alive or polls == 0:
        raise RuntimeError(f"mpiflow: the dashboard poller failed ({polls} polls)")
    out("mpiflow", "dashboard", link=link, status_page_polls=polls)
    # Returning from the script ends the whole job with exit code 0.


def side_mpiflow_nodash(quick: bool) -> None:
    """The same as ``mpiflow`` with the dashboard off (no transfers: they do not touch it)."""
    from mpiflow.distributed import initialize, wait

    client = initialize(dashboard_address=None)
    measure_client("mpiflow-nodash", client, wait, quick, transfers=False)


def poll_dashboard(base: str, count_file: str) -> None:
    """Make the requests of an open ``/status`` page every 0.5 s until terminated."""
    import urllib.request

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    after, polls = 0, 0
    while True:
        for path in ("/api/v1/progress", "/api/v1/workers", "/api/v1/info",
                     f"/api/v1/task-stream?after={after}&limit=1000"):
            with urllib.request.urlopen(base + path, timeout=30) as response:
                data = json.load(response)
        after = data["next"]
        polls += 1
        Path(count_file).write_text(str(polls))
        time.sleep(0.5)


def side_dask_local(quick: bool) -> None:
    import dask
    import distributed
    from distributed import Client, LocalCluster, wait

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=":0") as cluster, Client(cluster) as client:
        out("dask-local", "versions", dask=dask.__version__,
            distributed=distributed.__version__)
        measure_client("dask-local", client, wait, quick)


def side_dask_mpi(quick: bool) -> None:
    import dask_mpi
    from distributed import Client, wait

    # Scheduler on rank 0, workers on 2.., rank 1 returns; TCP over loopback.
    dask_mpi.initialize(nthreads=1, dashboard=False, interface="lo")
    with Client() as client:
        out("dask-mpi", "versions", dask_mpi=getattr(dask_mpi, "__version__", "?"))
        measure_client("dask-mpi", client, wait, quick)


def side_mpi4py_futures(quick: bool) -> None:
    import mpi4py
    from mpi4py.futures import MPIPoolExecutor

    cfg = sizes(quick)
    n, repeat = cfg["tasks"], cfg["repeat"]
    with MPIPoolExecutor() as ex:
        list(ex.map(noop, range(200)))  # warm up: wait for the pool
        out("mpi4py-futures", "setup", workers=ex.num_workers, mpi4py=mpi4py.__version__,
            backoff=os.environ.get("MPI4PY_FUTURES_BACKOFF", "default"))
        times = []
        for r in range(repeat):
            start = time.perf_counter()
            list(ex.map(noop, range(r * n, (r + 1) * n)))
            times.append(time.perf_counter() - start)
        med = statistics.median(times)
        out("mpi4py-futures", "map", tasks=n, repeat=repeat, seconds_median=med,
            tasks_per_s=n / med)
        rts = []
        for i in range(cfg["roundtrips"]):
            start = time.perf_counter()
            ex.submit(noop, i).result()
            rts.append(time.perf_counter() - start)
        out("mpi4py-futures", "roundtrip", calls=len(rts),
            median_us=statistics.median(rts) * 1e6, p90_us=p90(rts) * 1e6)


def side_raw_mpi(quick: bool) -> None:
    import numpy as np
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    rank = comm.Get_rank()
    if comm.Get_size() != 2:
        raise RuntimeError("raw-mpi runs on exactly 2 ranks")
    for nbytes in sizes(quick)["bytes"]:
        n = nbytes // 8
        src = np.random.default_rng(1).random(n) if rank == 0 else None
        times = []
        for _ in range(5 if nbytes <= 100 * MB else 3):
            comm.Barrier()
            if rank == 0:
                start = time.perf_counter()
                comm.Send([src, MPI.DOUBLE], dest=1, tag=7)
                comm.recv(source=1, tag=8)
                times.append(time.perf_counter() - start)
            else:
                dst = np.empty(n, dtype="f8")  # fresh buffer, as a real receive has
                comm.Recv([dst, MPI.DOUBLE], source=0, tag=7)
                comm.send(b"ack", dest=0, tag=8)
                del dst
        if rank == 0:
            med = statistics.median(times)
            out("raw-mpi", "transfer", bytes=nbytes, seconds_median=med,
                GBps=nbytes / med / 1e9, best_GBps=nbytes / min(times) / 1e9)
        del src
    comm.Barrier()
    rts = []
    for i in range(sizes(quick)["roundtrips"]):
        if rank == 0:
            start = time.perf_counter()
            comm.send(("ping", i), dest=1, tag=9)
            comm.recv(source=1, tag=9)
            rts.append(time.perf_counter() - start)
        else:
            comm.send(comm.recv(source=0, tag=9), dest=0, tag=9)
    if rank == 0:
        out("raw-mpi", "roundtrip", calls=len(rts), median_us=statistics.median(rts) * 1e6,
            p90_us=p90(rts) * 1e6, note="blocking send/recv, 2 busy-polling ranks")


SIDE_FUNCS = {
    "mpiflow": side_mpiflow,
    "mpiflow-nodash": side_mpiflow_nodash,
    "dask-local": side_dask_local,
    "dask-mpi": side_dask_mpi,
    "mpi4py-futures": side_mpi4py_futures,
    "raw-mpi": side_raw_mpi,
}


# --------------------------------------------------------------------------
# The driver


def mpiexec() -> str:
    exe = Path(sys.executable).parent / "mpiexec"
    found = str(exe) if exe.exists() else shutil.which("mpiexec")
    if found is None:
        raise FileNotFoundError("mpiexec not found: install the 'mpich' package or an MPI")
    return found


def command(side: str, quick: bool) -> list[str]:
    me = [str(Path(__file__).resolve()), "--side", side] + (["--quick"] if quick else [])
    py = sys.executable
    if side == "dask-local":
        return [py, *me]
    if side == "raw-mpi":
        return [mpiexec(), "-n", "2", py, *me]
    if side == "mpi4py-futures":
        return [mpiexec(), "-n", "4", py, "-m", "mpi4py.futures", *me]
    return [mpiexec(), "-n", "4", py, *me]


def error_summary(stderr: str) -> str:
    """The most telling line of a failed side's stderr: the last exception line."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    for ln in reversed(lines):
        head = ln.split(":", 1)[0]
        if head.endswith(("Error", "Exception", "Exit", "Interrupt")) and " " not in head:
            return ln
    return lines[-1] if lines else ""


def run_side(side: str, quick: bool, timeout: float) -> list[dict]:
    """Run one side in its own process group; return its records (or an error record)."""
    records: list[dict] = []
    try:
        cmd = command(side, quick)
    except FileNotFoundError as exc:
        emit({"bench": "cluster", "side": side, "error": str(exc)})
        return records
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, start_new_session=True)
    timed_out = False
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(proc.pid, sig)  # the job's own process group, started above
            except ProcessLookupError:
                break
            try:
                stdout, stderr = proc.communicate(timeout=10)
                break
            except subprocess.TimeoutExpired:
                continue
        else:
            stdout, stderr = proc.communicate()
    elapsed = time.perf_counter() - start
    for line in stdout.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(rec, dict) and rec.get("side") == side:
            records.append(rec)
            emit(rec)
    if timed_out or proc.returncode != 0:
        emit({"bench": "cluster", "side": side, "measure": "status",
              "error": (f"timed out after {timeout:.0f} s" if timed_out
                        else f"exit code {proc.returncode}"),
              "detail": error_summary(stderr), "stderr_tail": stderr[-1500:],
              "command": " ".join(cmd), "seconds": round(elapsed, 1)})
    else:
        emit({"bench": "cluster", "side": side, "measure": "status", "ok": True,
              "seconds": round(elapsed, 1)})
    return records


MAIN_METRIC = {"map": "tasks_per_s", "tree": "tasks_per_s", "roundtrip": "median_us",
               "transfer": "GBps"}


def combine(rounds: list[list[dict]]) -> list[dict]:
    """One record per measurement: the round whose main metric is the median one."""
    if len(rounds) == 1:
        return rounds[0]
    groups: dict[tuple, list[dict]] = {}
    for recs in rounds:
        for rec in recs:
            if rec.get("measure") in MAIN_METRIC:
                groups.setdefault((rec["measure"], rec.get("bytes")), []).append(rec)
    combined = []
    for (measure, _), recs in groups.items():
        metric = MAIN_METRIC[measure]
        recs = sorted(recs, key=lambda r: r[metric])
        pick = dict(recs[(len(recs) - 1) // 2])
        pick.update(rounds=len(recs), all_rounds=[round(r[metric], 3) for r in recs])
        combined.append(pick)
        emit({**pick, "combined": True})
    return combined


def find(records: dict[str, list[dict]], side: str, measure: str, **match: Any) -> dict | None:
    for rec in records.get(side, []):
        if rec.get("measure") == measure and all(rec.get(k) == v for k, v in match.items()):
            return rec
    return None


def ratio_line(kind: str, ratio: float | None, target: float | None, **fields: Any) -> None:
    rec: dict[str, Any] = {"bench": "cluster", "ratio": kind, **fields}
    if ratio is None:
        rec.update(value=None, note="a side is missing; see its error line")
    else:
        rec.update(value=round(ratio, 3))
        if target is not None:
            rec.update(target=target, meets_target=ratio >= target)
    emit(rec)


def ratios(records: dict[str, list[dict]], quick: bool) -> None:
    """Ratio lines for every pair of sides that was asked for (missing figures say so)."""
    if "mpiflow" not in records:
        return
    for workload in ("map", "tree"):
        mine = find(records, "mpiflow", workload)
        for other, target in (("dask-local", TARGET_VS_DASK), ("dask-mpi", TARGET_VS_DASK),
                              ("mpi4py-futures", TARGET_VS_MPI4PY)):
            if other not in records or (other == "mpi4py-futures" and workload == "tree"):
                continue
            theirs = find(records, other, workload)
            value = (mine["tasks_per_s"] / theirs["tasks_per_s"]
                     if mine and theirs else None)
            ratio_line(f"tasks_per_s mpiflow/{other}", value, target, workload=workload)
    if "mpiflow-nodash" in records:
        for workload in ("map", "tree"):
            on, off = find(records, "mpiflow", workload), find(records, "mpiflow-nodash", workload)
            ratio_line("tasks_per_s mpiflow dashboard on/off",
                       on["tasks_per_s"] / off["tasks_per_s"] if on and off else None,
                       TARGET_DASHBOARD_ON_OFF, workload=workload,
                       on_tasks_per_s=on and round(on["tasks_per_s"]),
                       off_tasks_per_s=off and round(off["tasks_per_s"]))
    rt = find(records, "mpiflow", "roundtrip")
    rec: dict[str, Any] = {"bench": "cluster", "ratio": "roundtrip mpiflow median_us",
                           "target_below_us": TARGET_ROUNDTRIP_US}
    if rt:
        rec.update(value=round(rt["median_us"], 1), p90_us=round(rt["p90_us"], 1),
                   meets_target=rt["median_us"] < TARGET_ROUNDTRIP_US)
        for other in ("dask-local", "dask-mpi", "mpi4py-futures"):
            theirs = find(records, other, "roundtrip")
            if theirs:
                rec[f"speedup_vs_{other}"] = round(theirs["median_us"] / rt["median_us"], 2)
    else:
        rec.update(value=None, note="mpiflow side is missing; see its error line")
    emit(rec)
    if "raw-mpi" not in records:
        return
    for nbytes in sizes(quick)["bytes"]:
        raw = find(records, "raw-mpi", "transfer", bytes=nbytes)
        for lib in ("mpiflow", "dask-local", "dask-mpi"):
            if lib not in records:
                continue
            got = find(records, lib, "transfer", bytes=nbytes)
            value = got["GBps"] / raw["GBps"] if got and raw else None
            target = TARGET_TRANSFER_FRACTION if lib == "mpiflow" else None
            ratio_line(f"transfer {lib}/raw-mpi", value, target, bytes=nbytes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="2,000 tasks, 200 round trips, 100 MB transfers only")
    parser.add_argument("--sides", default=",".join(SIDES),
                        help=f"comma-separated subset of {','.join(SIDES)}")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds per side (default 300 quick, 900 full)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="run all sides this many times in rotation; ratios use the "
                             "median round of each measurement")
    parser.add_argument("--no-lifecycle", dest="lifecycle", action="store_false",
                        help="skip LocalCluster start-up and worker-loss recovery "
                             "(benchmarks/cluster_lifecycle.py)")
    parser.add_argument("--side", choices=SIDES, help=argparse.SUPPRESS)  # inside a job
    parser.add_argument("--poll", help=argparse.SUPPRESS)  # the dashboard poller's base URL
    parser.add_argument("--poll-count", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.poll:
        poll_dashboard(args.poll, args.poll_count)
        return 0
    if args.side:
        SIDE_FUNCS[args.side](args.quick)
        return 0
    timeout = args.timeout or (300.0 if args.quick else 900.0)
    chosen = [s.strip() for s in args.sides.split(",") if s.strip()]
    unknown = sorted(set(chosen) - set(SIDES))
    if unknown:
        parser.error(f"unknown sides {unknown}; choose from {SIDES}")
    emit({"bench": "cluster", "machine": machine(), "quick": args.quick, "sides": chosen,
          "sizes": sizes(args.quick)})
    per_round: dict[str, list[list[dict]]] = {side: [] for side in chosen}
    for _ in range(args.rounds):  # rotate through the sides: noise hits them all alike
        for side in chosen:
            per_round[side].append(run_side(side, args.quick, timeout))
    records = {side: combine(rs) for side, rs in per_round.items()}
    ratios(records, args.quick)
    if args.lifecycle:
        import cluster_lifecycle

        cluster_lifecycle.run(max(args.rounds, 3 if not args.quick else 1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
