"""A worker SIGKILLed inside an ``srun`` launch: the others finish the work and exit.

Under hydra (``mpiexec``) the whole launch goes down with the worker (see
tests/distributed/test_failures.py). Under Slurm, ``srun --kill-on-bad-exit=0
--no-kill`` keeps the other ranks running; they must then notice the loss,
recompute, and end without waiting in ``MPI_Finalize`` for the dead rank.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from slurm_helpers import job_env

SCRIPT = Path(__file__).parents[1] / "distributed" / "cluster_scripts" / "kill_in_launch.py"


def test_sigkilled_worker_in_an_srun_launch_loses_no_result_and_the_rest_exit_0(slurm_jobs):
    env = job_env(MPIFLOW_DISTRIBUTED_WORKER_TTL="3", UCX_LOG_LEVEL="error")
    proc = subprocess.run(
        ["srun", "-n", "5", "--mpi=pmi2", "--kill-on-bad-exit=0", "--no-kill", "-t", "5",
         "-J", slurm_jobs.name, "-v", sys.executable, str(SCRIPT)],
        capture_output=True, text=True, timeout=240, env=env)
    out = proc.stdout + proc.stderr
    assert "survived; results correct" in out, out
    # the killed rank is task 2 (the first worker); every other task completes with 0
    assert "task 2: Killed" in out, out
    completed = set()  # srun groups the tasks that end together: "tasks 0-1,3-4: Completed"
    for line in out.splitlines():
        if line.endswith(": Completed") and "task" in line:
            completed |= _task_ids(line.rsplit(":", 2)[-2].split()[-1])
    assert completed == {0, 1, 3, 4}, out
    finished = [line for line in out.splitlines() if "_task_finish: Received" in line]
    assert all("status=0x0000" in line for line in finished if "status=0x0009" not in line), out
    assert "Timed out waiting for job step" not in out, out


def _task_ids(ranges: str) -> set[int]:
    """``'0-1,3-4'`` -> {0, 1, 3, 4}."""
    ids: set[int] = set()
    for part in ranges.split(","):
        first, _, last = part.partition("-")
        ids.update(range(int(first), int(last or first) + 1))
    return ids
