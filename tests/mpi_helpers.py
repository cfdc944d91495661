"""Running real ``mpiexec`` jobs from tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
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
