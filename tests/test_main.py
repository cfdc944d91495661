"""The command line: ``python -m mpiflow demo``."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("scheduler", ["threads", "processes"])
def test_demo_runs_and_checks_its_answer(scheduler):
    out = subprocess.run(
        [sys.executable, "-m", "mpiflow", "demo", "--size", "32", "--scheduler", scheduler],
        capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "result: 1024 (correct)" in out.stdout
    assert "100% Completed" in out.stdout


def test_unknown_command_is_refused():
    out = subprocess.run([sys.executable, "-m", "mpiflow", "nope"], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 2
    assert "invalid choice: 'nope'" in out.stderr
