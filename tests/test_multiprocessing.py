"""What only the process scheduler has to get right."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading

import pytest

import mpiflow.multiprocessing as mp
from mpiflow.local.procpool import WorkerProcessDied


def touch(path, value):
    with open(path, "a") as f:
        f.write("ran\n")
    return value


def die(x):
    os.kill(os.getpid(), signal.SIGKILL)


class Unpicklable:
    def __reduce__(self):
        raise TypeError("this object refuses to be pickled")


def test_unpicklable_task_fails_before_anything_runs(tmp_path):
    log = tmp_path / "log"
    lock = threading.Lock()
    dsk = {"first": (touch, str(log), 1), "bad": (lambda x, lk: x, "first", lock)}
    with pytest.raises(TypeError, match="task 'bad' cannot be sent to a worker process.*Nothing "
                                        "was run"):
        mp.get(dsk, "bad", num_workers=1)
    assert not log.exists()


def test_unpicklable_argument_is_named():
    with pytest.raises(TypeError, match="refuses to be pickled"):
        mp.get({"x": (id, Unpicklable())}, "x", num_workers=1)


def test_dead_worker_is_a_clear_error_not_a_hang():
    with pytest.raises(WorkerProcessDied, match=r"killed by SIGKILL") as info:
        mp.get({"a": 1, "b": (die, "a")}, "b", num_workers=1)
    assert "'b'" in "\n".join(info.value.__notes__)
    # the pool is replaced: the next computation works
    assert mp.get({"a": (abs, -1)}, "a", num_workers=1) == 1


def test_unpicklable_result_is_a_clear_error():
    with pytest.raises(TypeError, match="result of task 'g'.*cannot be pickled"):
        mp.get({"g": (threading.Lock,)}, "g", num_workers=1)


def test_remote_traceback_is_attached():
    def fails(x):
        raise KeyError(f"no such thing {x}")

    with pytest.raises(KeyError, match="no such thing 3") as info:
        mp.get({"k": (fails, 3)}, "k", num_workers=1)
    notes = "\n".join(info.value.__notes__)
    assert "Traceback in worker process" in notes and "fails" in notes
    assert "'k'" in notes


def test_script_without_main_guard(tmp_path):
    # spawn-based pools re-import the main script in each worker; ours do not
    script = tmp_path / "noguard.py"
    script.write_text(textwrap.dedent(
        """
        import mpiflow.multiprocessing
        def double(x):
            return 2 * x
        dsk = {("d", i): (double, i) for i in range(10)}
        print(sum(mpiflow.multiprocessing.get(dsk, list(dsk), num_workers=2)))
        """
    ))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "90"
