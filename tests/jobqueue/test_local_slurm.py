"""The local Slurm itself, and MPI inside its jobs: the ground the job-queue adapters stand on.

Every test submits real jobs to the single-node Slurm that ``.ci/slurm.sh``
starts. The key one starts a scheduler outside Slurm, submits a job whose MPI
launch (the venv's MPICH ``mpiexec``, or ``srun`` over PMI-2) starts workers
that join it through the scheduler file, computes on them, cancels the job,
and checks that the scheduler saw the workers go. Timeouts only turn hangs into
failures.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mpi_helpers import MPIEXEC
from slurm_helpers import (
    job_env,
    job_exit_code,
    job_output,
    job_state,
    wait_for_job_state,
)

SCRIPTS = Path(__file__).parent / "slurm_scripts"
PYTHON = sys.executable
# One line per MPI world, printed by its rank 0 (lines of several ranks can interleave).
MPI_HELLO = ("from mpi4py import MPI; c = MPI.COMM_WORLD; r = c.gather(c.Get_rank()); "
             "c.Get_rank() or print('ranks', sorted(r), 'of', c.Get_size(), flush=True)")


def write_job(path: Path, *lines: str) -> Path:
    """A batch script: ``#!/bin/bash``, ``set -e``, then ``lines``."""
    path.write_text("\n".join(["#!/bin/bash", "set -euo pipefail", *lines]) + "\n")
    return path


def finished_output(job_id: str, timeout: float = 90) -> str:
    """Wait for the job to complete with exit 0 and return its whole output."""
    state = wait_for_job_state(job_id, ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT",
                                        "OUT_OF_MEMORY"), timeout=timeout)
    output = job_output(job_id, lines=1000)
    assert state == "COMPLETED" and job_exit_code(job_id) == (0, 0), \
        f"job {job_id} ended {state} {job_exit_code(job_id)}:\n{output}"
    return output


def test_local_slurm_runs_enough_small_jobs_for_the_tests(local_slurm):
    assert local_slurm.partition == "debug"
    assert local_slurm.max_jobs >= 5, local_slurm


def test_exit_codes_and_output_of_jobs_are_read_back(slurm_jobs, tmp_path):
    ok = slurm_jobs.sbatch(f"--output={tmp_path}/%j.out", "--wrap", "echo hello from $SLURM_JOB_ID")
    bad = slurm_jobs.sbatch(f"--output={tmp_path}/%j.out", "--wrap", "echo failing; exit 3")
    assert f"hello from {ok}" in finished_output(ok)
    assert wait_for_job_state(bad, ("COMPLETED", "FAILED"), timeout=90) == "FAILED"
    assert job_exit_code(bad) == (3, 0)
    assert "failing" in job_output(bad)


def test_five_one_core_jobs_of_1gb_run_at_once(slurm_jobs, tmp_path):
    ids = [slurm_jobs.sbatch("--ntasks=1", "--mem=1G", f"--output={tmp_path}/%j.out",
                             "--wrap", "sleep 300") for _ in range(5)]
    for job_id in ids:
        wait_for_job_state(job_id, "RUNNING", timeout=60)
    assert [job_state(j) for j in ids] == ["RUNNING"] * 5  # none has ended: all run together


def test_an_impossible_request_is_rejected_at_submit_not_left_pending(slurm_jobs):
    with pytest.raises(RuntimeError, match="Memory specification can not be satisfied"):
        slurm_jobs.sbatch("--mem=100000G", "--wrap", "true")
    with pytest.raises(RuntimeError, match="More processors requested than permitted"):
        slurm_jobs.sbatch("--ntasks=1000", "--wrap", "true")


def test_the_launcher_identity_of_the_submitter_does_not_reach_the_job(slurm_jobs, tmp_path):
    # sbatch exports the whole environment: a PMI_* identity of a process that runs under
    # mpiexec would make the job's MPI dial that mpiexec. job_env() strips it.
    leaky = dict(os.environ, PMI_RANK="5", PMI_PORT="localhost:1")
    script = write_job(tmp_path / "env.sh", "env | grep '^PMI_' || echo 'no PMI vars'")
    raw = slurm_jobs.sbatch(f"--output={tmp_path}/raw.out", str(script), env=leaky)
    clean = slurm_jobs.sbatch(f"--output={tmp_path}/clean.out", str(script),
                              env=job_env(leaky))
    assert "PMI_RANK=5" in finished_output(raw)  # what happens without the cleaning
    assert finished_output(clean).strip() == "no PMI vars"


@pytest.mark.skipif(MPIEXEC is None, reason="mpiexec not found")
def test_the_venv_mpiexec_starts_an_mpi_world_inside_a_job(slurm_jobs, tmp_path):
    script = write_job(tmp_path / "hello.sh", f'"{MPIEXEC}" -n 2 "{PYTHON}" -c "{MPI_HELLO}"')
    out = finished_output(slurm_jobs.sbatch("--ntasks=2", f"--output={tmp_path}/%j.out",
                                            str(script)))
    assert out.strip() == "ranks [0, 1] of 2", out


def test_srun_starts_an_mpi_world_over_pmi2_and_singletons_without_it(slurm_jobs, tmp_path):
    script = write_job(tmp_path / "srun.sh",
                       "echo pmi2; srun --mpi=pmi2 " + f'"{PYTHON}" -c "{MPI_HELLO}"',
                       "echo default; srun " + f'"{PYTHON}" -c "{MPI_HELLO}"',
                       "echo none; srun --mpi=none " + f'"{PYTHON}" -c "{MPI_HELLO}"')
    out = finished_output(slurm_jobs.sbatch("--ntasks=2", f"--output={tmp_path}/%j.out",
                                            str(script)))
    world, alone = "ranks [0, 1] of 2\n", "ranks [0] of 1\n"
    assert out == f"pmi2\n{world}default\n{world}none\n{alone}{alone}", out


def start_scheduler(path: Path) -> subprocess.Popen:
    """``mpiexec -n 1 mpiflow cluster``: a scheduler without workers, outside Slurm."""
    proc = subprocess.Popen([MPIEXEC, "-n", "1", PYTHON, "-m", "mpiflow", "cluster",
                             "--scheduler-file", str(path), "--dashboard-address", "none"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=job_env(), start_new_session=True)
    deadline = time.monotonic() + 60
    while not path.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            stop(proc)
            pytest.fail(f"the scheduler did not write {path} within 60 s:\n{proc.stdout.read()}")
        time.sleep(0.05)
    return proc


def stop(proc: subprocess.Popen, timeout: float = 30) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.mark.skipif(MPIEXEC is None, reason="mpiexec not found")
@pytest.mark.parametrize("launcher", ["mpiexec", "srun"])
def test_workers_of_a_job_join_a_scheduler_outside_slurm_and_leave_on_scancel(
        slurm_jobs, tmp_path, launcher):
    path = tmp_path / "scheduler.json"
    scheduler = start_scheduler(path)
    try:
        start = f'"{MPIEXEC}" -n 2' if launcher == "mpiexec" else "srun"
        script = write_job(tmp_path / "workers.sh",
                           f'{start} "{PYTHON}" -m mpiflow worker --scheduler-file "{path}" '
                           '--nthreads 1')
        job_id = slurm_jobs.sbatch("--ntasks=2", "--mem=2G", f"--output={tmp_path}/%j.out",
                                   str(script))
        client = subprocess.run([PYTHON, str(SCRIPTS / "join_from_job.py"), str(path), job_id,
                                 "2"], capture_output=True, text=True, timeout=300,
                                env=job_env())
        assert client.returncode == 0 and client.stdout.strip().endswith("OK"), \
            (f"client exit {client.returncode}\n{client.stdout}\n{client.stderr}\n"
             f"job {job_id} ({job_state(job_id)}):\n{job_output(job_id)}")
        assert wait_for_job_state(job_id, "CANCELLED", timeout=60) == "CANCELLED"
        out, _ = scheduler.communicate(timeout=60)  # client.shutdown() ends the scheduler
        assert scheduler.returncode == 0, out
    finally:
        stop(scheduler)
