"""Run under mpiexec by test_comm_mpi.py; prints one JSON line per rank.

Modes: ``control`` (messages, order, close), ``bulk`` (100 MB arrays both ways,
contents checked), ``streams`` (several concurrent streams of one pair, from
several threads), ``pingpong`` (round trips while other ranks idle).
"""

from __future__ import annotations

import json
import sys
import threading
import time


def control(ep, connect, listen):
    if ep.rank == 0:
        comms = [listen("mpi://").accept(timeout=20) for _ in range(ep.size - 1)]
        seen = {}
        for c in comms:
            msgs = [c.recv_msg(timeout=20) for _ in range(50)]
            assert [m["i"] for m in msgs] == list(range(50)), msgs
            seen[c.peer] = msgs[0]["op"]
            c.send_msg({"op": "done", "to": c.peer})
        return {"peers": sorted(seen)}
    c = connect("mpi://0")
    for i in range(50):
        c.send_msg({"op": "task-finished", "i": i, "key": ("x", ep.rank, i)})
    reply = c.recv_msg(timeout=20)
    assert reply == {"op": "done", "to": ep.rank}, reply
    return {"ok": True}


def bulk(ep, connect, listen):
    import numpy as np

    n = 100 * 2**20 // 8
    if ep.rank == 0:
        c = connect("mpi://1")
        arr = np.arange(n, dtype="f8")
        start = time.perf_counter()
        fortran = np.asfortranarray(arr[:4096].reshape(64, 64))
        c.send_msg({"op": "data", "x": arr, "fortran": fortran})
        back = c.recv_msg(timeout=60)
        elapsed = time.perf_counter() - start
        assert back["x"].shape == (n,) and back["x"][-1] == 2.0 * (n - 1)
        assert back["x"][12345] == 2 * 12345.0
        return {"seconds": elapsed, "verified": True}
    if ep.rank == 1:
        c = listen("mpi://").accept(timeout=30)
        msg = c.recv_msg(timeout=60)
        x = msg["x"]
        assert x.flags.writeable and x[-1] == n - 1 and (x[::99991] == np.arange(n)[::99991]).all()
        assert msg["fortran"].flags.f_contiguous
        x *= 2  # in place: the array lives in the buffer MPI received into
        c.send_msg({"op": "data", "x": x})
    return {"ok": True}


def reuse(ep, connect, listen):
    """Large receive buffers come back for reuse only once their data is dropped."""
    import gc

    import numpy as np

    n = 16 * 2**20 // 8  # above the pool's minimum
    rounds = 6
    if ep.rank == 0:
        c = connect("mpi://1")
        for i in range(rounds):
            c.send_msg({"x": np.full(n, float(i))})
        assert c.recv_msg(timeout=60) == "done"
        return {"sent": rounds}
    c = listen("mpi://").accept(timeout=30)
    kept = c.recv_msg(timeout=60)["x"]  # held to the end: its buffer must never be reused
    for i in range(1, rounds):
        x = c.recv_msg(timeout=60)["x"]
        assert not np.shares_memory(x, kept)
        assert (x == float(i)).all(), (i, np.unique(x)[:5])
        del x
        gc.collect()
    assert (kept == 0.0).all()  # untouched by the receives that reused other buffers
    c.send_msg("done")
    return {"reused": ep._buffers.reused}


def streams(ep, connect, listen):
    import numpy as np

    nstreams, nmsg = 4, 20
    if ep.rank == 0:
        errors = []

        def run(s):
            try:
                c = connect("mpi://1")
                for i in range(nmsg):
                    size = 300_000 if i % 3 == 0 else 10  # large and small interleaved
                    c.send_msg({"op": "chunk", "s": s, "i": i, "x": np.full(size, s * 1000 + i)})
                assert c.recv_msg(timeout=30) == {"op": "ok", "s": s}
            except BaseException as e:  # noqa: BLE001
                errors.append(repr(e))

        threads = [threading.Thread(target=run, args=(s,)) for s in range(nstreams)]
        [t.start() for t in threads]
        [t.join(60) for t in threads]
        assert not errors, errors
        return {"streams": nstreams}
    if ep.rank == 1:
        listener = listen("mpi://")
        comms = [listener.accept(timeout=30) for _ in range(nstreams)]
        for c in comms:
            s = None
            for i in range(nmsg):
                m = c.recv_msg(timeout=30)
                s = m["s"] if s is None else s
                assert m["s"] == s and m["i"] == i, (s, i, m["s"], m["i"])
                assert (m["x"] == s * 1000 + i).all()
            c.send_msg({"op": "ok", "s": s})
    return {"ok": True}


def pingpong(ep, connect, listen):
    n = 300
    if ep.rank == 1:
        c = connect("mpi://2")
        times = []
        for i in range(n):
            t = time.perf_counter()
            c.send_msg({"op": "ping", "i": i})
            c.recv_msg(timeout=10)
            times.append(time.perf_counter() - t)
        times.sort()
        for r in range(ep.size):
            if r not in (1, 2):
                connect(f"mpi://{r}").send_msg({"op": "stop"})
        return {"median_us": times[n // 2] * 1e6, "p90_us": times[n * 9 // 10] * 1e6,
                "round_trips": len(times)}
    c = listen("mpi://").accept(timeout=30)
    if ep.rank == 2:
        for _ in range(n):
            c.send_msg(c.recv_msg(timeout=10))
    else:
        c.recv_msg(timeout=60)  # idle in the progress loop until told to stop
    return {"ok": True}


def doorbell(ep, connect, listen):
    """Every rank of one node can ring every other; the FIFOs are gone already."""
    import glob
    import tempfile

    peers = ep._bell.peers
    assert peers == [r for r in range(ep.size) if r != ep.rank], peers
    assert ep._bell.can_wait
    # only this job's FIFOs: other mpiflow jobs may be starting on the machine right now
    leftovers = glob.glob(f"{tempfile.gettempdir()}/mpiflow-bell-{ep._bell.token}-*")
    return {"peers": peers, "leftovers": leftovers}


def handler(ep, connect, listen):
    """Messages of a stream with a handler go to it, in order, on the progress thread."""
    key = (-7, 0)
    if ep.rank == 0:
        got, done = [], threading.Event()

        def on_frames(frames):
            if frames is None:
                return
            got.append((bytes(frames[0]).decode(), threading.current_thread().name))
            if len(got) == 20 * (ep.size - 1):
                done.set()

        ep.open_inbox(key)
        ep.set_handler(key, on_frames)
        assert done.wait(30), got
        threads = {t for _, t in got}
        per_rank = {}
        for text, _ in got:
            r, i = map(int, text.split(":"))
            per_rank.setdefault(r, []).append(i)
        assert all(v == list(range(20)) for v in per_rank.values()), per_rank
        for r in range(1, ep.size):
            ep.send(r, key, [b"stop"])
        return {"threads": sorted(threads), "ranks": sorted(per_rank)}
    ep.open_inbox(key)
    for i in range(20):
        ep.send(0, key, [f"{ep.rank}:{i}".encode()])
    assert ep.recv(0, key, timeout=30) == [b"stop"]
    return {"ok": True}


def round_hook(ep, connect, listen):
    """A round hook sees each turn's messages at once, answers them, and turns while idle."""
    key = (-8, 0)
    ep.open_inbox(key)
    if ep.rank == 0:
        arrived, seen = [], {"turns": 0, "threads": set(), "acked": 0}
        want = 20 * (ep.size - 1)
        done = threading.Event()

        def hook():
            seen["turns"] += 1
            seen["threads"].add(threading.current_thread().name)
            if not arrived:
                return False
            while arrived:  # answered from the progress thread itself
                rank, i = arrived.pop(0)
                ep.send_async(rank, key, [f"ack:{i}".encode()])
                seen["acked"] += 1
            if seen["acked"] == want:
                done.set()
            return True

        ep.set_handler(key, lambda frames: frames and arrived.append(
            tuple(map(int, bytes(frames[0]).decode().split(":")))))
        ep.set_round_hook(hook)
        assert done.wait(30), seen
        turns = seen["turns"]
        time.sleep(0.3)  # idle: the loop still turns (its longest sleep is 1 ms)
        idle_turns = seen["turns"] - turns

        def fail():
            raise RuntimeError("the hook failed on purpose")

        ep.set_round_hook(fail)
        deadline = time.monotonic() + 10
        while not ep.closed and time.monotonic() < deadline:
            time.sleep(0.01)
        try:
            ep.send(1, key, [b"late"], timeout=5)
            error = None
        except Exception as exc:  # noqa: BLE001 - the message is what the test checks
            error = f"{type(exc).__name__}: {exc}"
        return {"threads": sorted(seen["threads"]), "idle_turns": idle_turns,
                "acked": seen["acked"], "error": error}
    for i in range(20):
        ep.send(0, key, [f"{ep.rank}:{i}".encode()])
    acks = [bytes(ep.recv(0, key, timeout=30)[0]).decode() for _ in range(20)]
    assert acks == [f"ack:{i}" for i in range(20)], acks
    return {"ok": True}


def main() -> None:
    from mpiflow.distributed.comm import connect, listen
    from mpiflow.distributed.comm.endpoint import get_endpoint

    ep = get_endpoint()
    result = globals()[sys.argv[1]](ep, connect, listen)
    result["rank"] = ep.rank
    ep.close()
    # one write per line: mpiexec merges the ranks' output
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
