"""Real ``mpiexec`` jobs: the initialize() launch, Client and futures."""

from __future__ import annotations

from pathlib import Path

import pytest
from mpi_helpers import MPIEXEC, run_mpiexec

SCRIPTS = Path(__file__).parent / "cluster_scripts"
pytestmark = pytest.mark.skipif(MPIEXEC is None, reason="mpiexec not found")


def check(proc):
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def test_tutorial_runs():
    out = check(run_mpiexec(SCRIPTS / "tutorial.py", 4))
    assert "func: 10" in out
    assert "shape: (10000, 10000)" in out
    assert "workers: ['mpi://2', 'mpi://3']" in out
    assert "services: {'dashboard': " in out  # the port: 8787 or the next free one


def test_client_and_future_api():
    out = check(run_mpiexec(SCRIPTS / "api.py", 4, timeout=240))
    assert out.strip().endswith("OK")
    assert "processes=2 threads=2" in out


def test_bad_input_gets_clear_errors():
    assert check(run_mpiexec(SCRIPTS / "errors.py", 4)).strip().endswith("OK")


def test_script_end_stops_every_rank():
    assert "value 6" in check(run_mpiexec(SCRIPTS / "no_shutdown.py", 4))


def test_failing_script_ends_the_job_with_its_error_once():
    proc = run_mpiexec(SCRIPTS / "raises.py", 4)
    assert proc.returncode != 0
    assert proc.stderr.count("RuntimeError: the user's script failed here") == 1, proc.stderr


def test_two_ranks_is_a_clear_error():
    proc = run_mpiexec(SCRIPTS / "no_shutdown.py", 2)
    assert proc.returncode != 0
    assert proc.stderr.count("needs at least 3 MPI processes") == 1, proc.stderr
    assert "mpiexec -n 4" in proc.stderr


def test_arrays_run_unchanged_on_the_cluster():
    assert check(run_mpiexec(SCRIPTS / "arrays.py", 4)).strip().endswith("OK")
