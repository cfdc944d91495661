"""Dataframes and bags on a real ``mpiexec -n 4`` cluster."""

from __future__ import annotations

from pathlib import Path

import pytest
from mpi_helpers import MPIEXEC, run_mpiexec

pytestmark = pytest.mark.skipif(MPIEXEC is None, reason="mpiexec not found")


def test_dataframes_and_bags_run_unchanged_on_the_cluster():
    proc = run_mpiexec(Path(__file__).parent / "cluster_scripts" / "frames_and_bags.py", 4,
                       timeout=240)
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}"
    assert proc.stdout.strip().endswith("OK")
