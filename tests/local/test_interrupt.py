"""Ctrl-C stops a local computation promptly and runs nothing more."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time

import pytest

SCRIPT = textwrap.dedent(
    """
    import sys, time
    from mpiflow.base import compute
    import mpiflow.local, mpiflow.threaded, mpiflow.multiprocessing

    LOG = sys.argv[2]

    def slow(i):
        with open(LOG, "a") as f:
            f.write(f"{i}\\n")
        time.sleep(1.0)
        return i

    get = {"sync": mpiflow.local.get_sync, "threads": mpiflow.threaded.get,
           "processes": mpiflow.multiprocessing.get}[sys.argv[1]]
    dsk = {("slow", i): (slow, i) for i in range(200)}
    get(dsk, list(dsk), num_workers=2, chunksize=1)
    print("finished all 200 tasks")
    """
)


def _lines(path) -> int:
    try:
        return len(path.read_text().splitlines())
    except FileNotFoundError:
        return 0


@pytest.mark.parametrize("scheduler", ["sync", "threads", "processes"])
def test_ctrl_c_stops_the_run(tmp_path, scheduler):
    script = tmp_path / "run.py"
    script.write_text(SCRIPT)
    log = tmp_path / "log.txt"
    proc = subprocess.Popen(
        [sys.executable, str(script), scheduler, str(log)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while _lines(log) < 2:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the tasks never started"
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        # The full run takes 100 s or more; a hang fails here, not a slow machine.
        out, err = proc.communicate(timeout=40)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode != 0
    assert "KeyboardInterrupt" in err
    assert "finished all 200 tasks" not in out
    started = _lines(log)
    time.sleep(1.5)  # any orphaned worker would keep logging
    assert _lines(log) == started < 200
