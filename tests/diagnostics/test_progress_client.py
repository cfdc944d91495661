"""ProgressBar with a Client as the scheduler, and progress() drawing its notebook bar,
on a real LocalCluster (one worker, started by ``mpiexec`` in the background)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from mpi_helpers import MPIEXEC, SRC

SCRIPTS = Path(__file__).parent / "client_scripts"
pytestmark = pytest.mark.skipif(MPIEXEC is None, reason="mpiexec not found")


def _env() -> dict:
    env = dict(os.environ, UCX_LOG_LEVEL="error", MPIFLOW_DISTRIBUTED_DASHBOARD_ADDRESS="none")
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")])
    for var in ("PMI_PORT", "PMI_ID", "PMI_HOSTNAME", "PMI_RANK", "PMI_SIZE", "PMI_FD"):
        env.pop(var, None)
    return env


@pytest.fixture(scope="module")
def report() -> dict:
    proc = subprocess.run([sys.executable, str(SCRIPTS / "progressbar_client.py")],
                          capture_output=True, text=True, timeout=300, env=_env())
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("how", ["keyword", "config"])
def test_progress_bar_follows_a_client_computation(report, how):
    run = report[how]  # compute(scheduler=client) / config.set(scheduler=client)
    assert run["values_ok"]
    assert run["last"].startswith("[" + "#" * 40 + "] | 100% Completed |")
    assert run["partial"], "the bar was only drawn once the work was done"
    assert run["newline"]


def test_progress_bar_ends_its_line_when_a_task_fails_on_the_cluster(report):
    err = report["error"]
    assert "task failed on purpose (1)" in err["message"]
    assert "% Completed" in err["last"] and err["newline"]


def test_notebook_bar_is_updated_in_place_up_to_100_percent(report):
    nb = report["notebook"]
    assert nb["updates"] >= 2
    assert 'data-percent="0"' in nb["first"]
    assert 'data-percent="100"' in nb["last"] and 'data-done="20" data-total="20"' in nb["last"]
