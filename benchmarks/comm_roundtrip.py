"""Round trip, idle CPU and bandwidth of the MPI comm layer, next to raw mpi4py.

Usage::

    mpiexec -n 4 python benchmarks/comm_roundtrip.py
    python benchmarks/comm_roundtrip.py          # relaunches itself under mpiexec -n 4
    python benchmarks/comm_roundtrip.py --quick  # 100 MB only, fewer round trips

Rank 1 and rank 2 do the work; ranks 0 and 3 sit idle in their progress loops,
as a scheduler or a worker between tasks would. Printed JSON lines:

- ``raw_bandwidth`` / ``comm_bandwidth`` / ``bandwidth_ratio``: a 100 MB and a
  1 GB float64 array from rank 1 to rank 2 (fresh receive buffer each time,
  timed until a tiny ack is back), raw ``Send``/``Recv`` on ``COMM_WORLD``
  first, then through ``mpi://`` comms with serialization;
- ``roundtrip``: median and p90 µs of a small control message rank 1 -> 2 -> 1,
  default back-off settings;
- ``idle_cpu``: ``psutil`` CPU percent of idle ranks 0 and 3 over one second.

Dask has no MPI transport to compare with, so ratios are against raw mpi4py.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import emit, machine  # noqa: E402

QUICK = "--quick" in sys.argv
SIZES = [100 * 2**20] if QUICK else [100 * 2**20, 2**30]
REPEAT = 3
ROUNDTRIPS = 300 if QUICK else 1000


def under_mpi() -> bool:
    return any(v in os.environ for v in ("PMI_RANK", "PMIX_RANK", "OMPI_COMM_WORLD_RANK"))


def relaunch() -> int:
    mpiexec = Path(sys.executable).parent / "mpiexec"
    exe = str(mpiexec) if mpiexec.exists() else shutil.which("mpiexec")
    if exe is None:
        sys.exit("mpiexec not found: install the 'mpich' package or an MPI library")
    cmd = [exe, "-n", "4", sys.executable, __file__, *sys.argv[1:]]
    return subprocess.run(cmd, timeout=900).returncode


def polite_barrier(comm) -> None:
    """A barrier that sleeps between polls: MPICH's blocking Barrier spins."""
    req = comm.Ibarrier()
    while not req.Test():
        time.sleep(1e-3)


def raw_bandwidth(MPI, rank: int) -> dict[int, float]:
    """Ranks 1 and 2 only, on their own communicator, so idle ranks can sleep."""
    import numpy as np

    pair = MPI.COMM_WORLD.Split(1 if rank in (1, 2) else 0, rank)
    out: dict[int, float] = {}
    if rank not in (1, 2):
        return out
    world, rank = pair, rank - 1  # pair ranks: 0 sends, 1 receives
    for size in SIZES:
        n = size // 8
        times = []
        src = np.arange(n, dtype="f8") if rank == 0 else None
        for _ in range(REPEAT):
            world.Barrier()
            if rank == 0:
                t = time.perf_counter()
                world.Send([src, MPI.DOUBLE], 1, 7)
                world.recv(source=1, tag=8)
                times.append(time.perf_counter() - t)
            else:
                dst = np.empty(n, dtype="f8")
                world.Recv([dst, MPI.DOUBLE], 0, 7)
                world.send(b"ack", 0, 8)
                assert dst[-1] == n - 1
        out[size] = size / min(times) / 1e9 if times else 0.0
    return out


def comm_bandwidth(ep, connect, listen) -> dict[int, float]:
    import numpy as np

    out = {}
    if ep.rank == 1:
        c = connect("mpi://2")
        for size in SIZES:
            src = np.arange(size // 8, dtype="f8")
            times = []
            for _ in range(REPEAT):
                t = time.perf_counter()
                c.send_msg(src)
                c.recv_msg(timeout=120)
                times.append(time.perf_counter() - t)
            out[size] = size / min(times) / 1e9
            del src
    elif ep.rank == 2:
        c = listen("mpi://").accept(timeout=120)
        for size in SIZES:
            for _ in range(REPEAT):
                x = c.recv_msg(timeout=120)
                assert x[-1] == size // 8 - 1
                del x
                c.send_msg({"op": "ack"})
    return out


def roundtrip_and_idle(ep, connect, listen) -> dict:
    import psutil

    if ep.rank == 1:
        c = connect("mpi://2")
        for _ in range(20):  # warm up
            c.send_msg({"op": "ping"})
            c.recv_msg(timeout=10)
        times = []
        for i in range(ROUNDTRIPS):
            t = time.perf_counter()
            c.send_msg({"op": "ping", "i": i})
            c.recv_msg(timeout=10)
            times.append(time.perf_counter() - t)
        time.sleep(1.2)  # let idle ranks finish measuring
        for r in (0, 3):
            connect(f"mpi://{r}").send_msg({"op": "stop"})
        q = statistics.quantiles(times, n=10)
        return {"median_us": statistics.median(times) * 1e6, "p90_us": q[-1] * 1e6}
    c = listen("mpi://").accept(timeout=120)
    if ep.rank == 2:
        for _ in range(ROUNDTRIPS + 20):
            c.send_msg(c.recv_msg(timeout=10))
        return {}
    cpu = psutil.Process().cpu_percent(interval=1.0)
    c.recv_msg(timeout=120)
    return {"idle_cpu_percent": cpu}


def main() -> None:
    from mpiflow.distributed.comm import connect, listen
    from mpiflow.distributed.comm.endpoint import get_endpoint
    from mpiflow.distributed.comm.mpi import import_mpi

    MPI = import_mpi()
    rank = MPI.COMM_WORLD.Get_rank()
    raw = raw_bandwidth(MPI, rank)  # before the progress thread owns MPI
    polite_barrier(MPI.COMM_WORLD)
    ep = get_endpoint()
    rt = roundtrip_and_idle(ep, connect, listen)
    layer = comm_bandwidth(ep, connect, listen)
    ep.close()
    polite_barrier(MPI.COMM_WORLD)
    results = MPI.COMM_WORLD.gather({"rank": rank, "raw": raw, "layer": layer, "rt": rt}, root=1)
    if rank != 1:
        return
    by_rank = {r["rank"]: r for r in results}
    base = {"benchmark": "comm_roundtrip", "ranks": MPI.COMM_WORLD.Get_size(), **machine()}
    emit({**base, "measure": "roundtrip", **by_rank[1]["rt"]})
    for r in (0, 3):
        if r in by_rank:
            emit({**base, "measure": "idle_cpu", "rank": r, **by_rank[r]["rt"]})
    for size in SIZES:
        raw_gbs, layer_gbs = by_rank[1]["raw"][size], by_rank[1]["layer"][size]
        emit({**base, "measure": "bandwidth", "bytes": size, "raw_GBps": round(raw_gbs, 3),
              "comm_GBps": round(layer_gbs, 3), "ratio": round(layer_gbs / raw_gbs, 3)})


if __name__ == "__main__":
    if under_mpi():
        main()
    else:
        sys.exit(relaunch())
