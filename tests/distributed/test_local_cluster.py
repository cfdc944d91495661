"""LocalCluster and ``Client()``: a background MPI cluster from a plain Python process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from mpi_helpers import MPIEXEC, SRC

from mpiflow.distributed.local_cluster import nprocesses_nthreads

SCRIPTS = Path(__file__).parent / "join_scripts"
pytestmark = pytest.mark.skipif(MPIEXEC is None, reason="mpiexec not found")


def _env(**extra: str) -> dict:
    env = dict(os.environ, UCX_LOG_LEVEL="error", **extra)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")])
    for var in ("PMI_PORT", "PMI_ID", "PMI_HOSTNAME", "PMI_RANK", "PMI_SIZE", "PMI_FD"):
        env.pop(var, None)
    return env


def test_issue_snippets_run_without_mpiexec_around_them():
    proc = subprocess.run([sys.executable, str(SCRIPTS / "local_cluster.py")],
                          capture_output=True, text=True, timeout=240, env=_env())
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}"
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("{'dashboard': ")  # services: 8787 or the next free port
    workers, threads = nprocesses_nthreads()
    assert lines[1] == f"default workers {workers}"
    assert lines[2] == "sized [2, 2] [2000000000, 2000000000]"
    assert lines[-1] == "OK"


def test_demo_runs_on_the_embedded_local_cluster():
    proc = subprocess.run([sys.executable, "-m", "mpiflow", "demo", "--size", "16"],
                          capture_output=True, text=True, timeout=240, env=_env())
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}"
    assert "LocalCluster" in proc.stdout
    assert "result: 256 (correct)" in proc.stdout


def test_missing_mpiexec_says_how_to_install_it(tmp_path):
    """A Python with no mpiexec beside it or on PATH: LocalCluster explains what to do."""
    python = tmp_path / "python"
    python.symlink_to(sys.executable)
    site = [p for p in sys.path if p.endswith("site-packages")]
    env = _env(PATH=str(tmp_path))
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), *site])
    proc = subprocess.run(
        [str(python), "-c", "from mpiflow.distributed import LocalCluster; LocalCluster()"],
        capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode != 0
    assert "none was found" in proc.stderr, proc.stderr
    assert "pip install mpich" in proc.stderr
    assert "module" in proc.stderr


def test_bad_sizes_are_clear_errors():
    from mpiflow.distributed import LocalCluster

    with pytest.raises(ValueError, match="threads_per_worker >= 1"):
        LocalCluster(n_workers=1, threads_per_worker=0)
    with pytest.raises(TypeError, match="unexpected arguments \\['processes'\\]"):
        LocalCluster(processes=True)


def test_retire_workers_keeps_data_and_restart_forgets_it():
    proc = subprocess.run([sys.executable, str(SCRIPTS / "retire_restart.py")],
                          capture_output=True, text=True, timeout=240, env=_env())
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}"
    out = proc.stdout
    assert "data kept" in out
    assert "bad retire: cannot retire ['mpi://999']: no such worker(s)" in out
    assert "restart cancelled futures" in out
    assert out.strip().endswith("OK")
