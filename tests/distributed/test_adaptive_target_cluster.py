"""adaptive_target and workers_to_close answered by a real cluster's scheduler (LocalCluster)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from mpi_helpers import MPIEXEC, SRC

SCRIPTS = Path(__file__).parent / "join_scripts"
pytestmark = pytest.mark.skipif(MPIEXEC is None, reason="mpiexec not found")


def _env() -> dict:
    env = dict(os.environ, UCX_LOG_LEVEL="error")
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")])
    for var in ("PMI_PORT", "PMI_ID", "PMI_HOSTNAME", "PMI_RANK", "PMI_SIZE", "PMI_FD"):
        env.pop(var, None)
    return env


def test_target_grows_with_queued_work_and_idle_workers_are_named():
    proc = subprocess.run([sys.executable, str(SCRIPTS / "adaptive_target.py")],
                          capture_output=True, text=True, timeout=240, env=_env())
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}"
    out = proc.stdout
    assert "target when done 1" in out
    assert "close 1" in out
    assert "bad n: n is the number of workers to keep and must be >= 0, got -1" in out
    assert "bad duration: target_duration must be a number of seconds (like 5.0), got '5s'" in out
    assert out.strip().endswith("OK")
