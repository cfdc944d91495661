"""Running real ``mpiexec`` jobs from tests."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def find_mpiexec() -> str | None:
    """The ``mpiexec`` next to this Python (the MPICH wheel), else the one on PATH."""
    sibling = Path(sys.executable).parent / "mpiexec"
    return str(sibling) if sibling.exists() else shutil.which("mpiexec")


MPIEXEC = find_mpiexec()


def run_mpiexec(script: Path | str, n: int, *args: str, timeout: float = 120,
                env: dict | None = None) -> subprocess.CompletedProcess:
    """Run ``mpiexec -n N python script args`` and return the finished process.

    ``timeout`` only turns a hang into a failure; it is far above normal run time.
    """
    assert MPIEXEC is not None, "mpiexec not found: pip install mpich"
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = os.pathsep.join([str(SRC), full_env.get("PYTHONPATH", "")])
    full_env.update(env or {})
    return subprocess.run([MPIEXEC, "-n", str(n), sys.executable, str(script), *args],
                          capture_output=True, text=True, timeout=timeout, env=full_env)


def cluster_env() -> dict:
    """This environment for a cluster subprocess: mpiflow importable, no inherited PMI identity."""
    from mpiflow.distributed.comm.pmi import without_launch_identity

    env = dict(without_launch_identity(), UCX_LOG_LEVEL="error")
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")])
    env.pop("MPIFLOW_DISTRIBUTED_DASHBOARD_ADDRESS", None)
    return env


def wait_for_file(path: Path, proc: subprocess.Popen, timeout: float = 120.0) -> None:
    """Wait until ``proc`` (a cluster) writes ``path``; fail with its output if it exits first."""
    import pytest

    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            out, err = proc.communicate(timeout=10)
            pytest.fail(f"the cluster exited with {proc.returncode} before {path.name}:\n"
                        f"{out}\n{err}")
        if time.monotonic() > deadline:
            pytest.fail(f"{path.name} did not appear within {timeout:g} s")
        time.sleep(0.1)


def finish_process(proc: subprocess.Popen, timeout: float = 60.0) -> tuple[str, str]:
    """Its output once it ends; SIGKILL its process group after ``timeout`` seconds."""
    try:
        return proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGKILL)
        return proc.communicate(timeout=10)
