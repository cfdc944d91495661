"""The command line: ``python -m mpiflow demo`` and ``worker``."""

from __future__ import annotations

import os
import subprocess
import sys
import time

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


def test_worker_waits_for_a_scheduler_file_that_appears(tmp_path):
    # LocalCluster starts its workers together with the scheduler: a worker given
    # --wait-for-scheduler-file reads the file once it appears (here a bad one,
    # so the worker stops with the error about its content, not "no file").
    path = tmp_path / "scheduler.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "mpiflow", "worker", "--scheduler-file", str(path),
         "--wait-for-scheduler-file", "60"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    assert proc.poll() is None, proc.communicate()
    tmp = tmp_path / ".scheduler.json"
    tmp.write_text("not json")
    os.replace(tmp, path)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert "is not an mpiflow scheduler file" in err, err


def test_worker_without_waiting_reports_a_missing_file_at_once(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "mpiflow", "worker", "--scheduler-file",
         str(tmp_path / "none.json")], capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and "no scheduler file at" in out.stderr, out.stderr
