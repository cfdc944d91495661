"""The jobscripts/ files, submitted for real to the local Slurm, must finish with exit 0.

SLURM scripts go through ``sbatch`` with the site placeholders (``<account>``,
``<partition>``, 2 nodes x 16 tasks) overridden on the command line, as a user
on a small allocation would. PBS scripts go through the Torque-style ``qsub``
of slurm-wlm-torque, which ignores ``#PBS`` lines: the resources are passed
on its command line, and the ``#PBS`` lines themselves are checked here
against the documented ones. The elastic driver's jobscript (SLURMCluster.adapt)
is tested in tests/jobqueue/test_elastic_jobscript.py.

The fixtures are imported from tests/slurm_helpers.py rather than given by a
conftest: with ``--doctest-modules``, two ``conftest.py`` files outside packages
clash when both directories are named on one pytest command line. The client
script in ``jobscript_clients/`` keeps its work under ``__main__`` for the same
reason (pytest imports it to look for doctests).
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import slurm_helpers
from slurm_helpers import (
    REPO,
    job_env,
    job_exit_code,
    job_output,
    job_state,
    wait_for_job_state,
)

# The fixtures (no conftest here: see the module docstring).
local_slurm = slurm_helpers.local_slurm
slurm_jobs = slurm_helpers.slurm_jobs

JOBSCRIPTS = REPO / "jobscripts"
CLIENTS = Path(__file__).parent / "jobscript_clients"
ENDED = ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY")
# What a small test allocation replaces of the scripts' site placeholders.
SMALL = ["--partition=debug", "--account=test", "--nodes=1", "--mem-per-cpu=1G",
         "--time=00:10:00"]


def assert_exit_0(job_id: str, timeout: float = 180) -> str:
    """Wait until the job ends; it must be COMPLETED with ExitCode 0:0. Returns its output."""
    state = wait_for_job_state(job_id, ENDED, timeout=timeout)
    output = job_output(job_id, lines=200)
    assert (state, job_exit_code(job_id)) == ("COMPLETED", (0, 0)), \
        f"job {job_id} ended {state} with ExitCode {job_exit_code(job_id)}:\n{output}"
    return output


def directives(path: Path, prefix: str) -> list[str]:
    return [line for line in path.read_text().splitlines() if line.startswith(prefix)]


def join_and_shutdown(scheduler_file: Path, n_workers: int, job_id: str) -> str:
    """Wait for the job's scheduler file, then join, compute and shut the cluster down."""
    deadline = time.monotonic() + 120
    while not scheduler_file.exists():
        state = job_state(job_id)
        if state in ENDED or time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} ({state}) wrote no scheduler file "
                                 f"{scheduler_file} within 120 s; its output:\n"
                                 f"{job_output(job_id)}")
        time.sleep(0.2)
    proc = subprocess.run([sys.executable, str(CLIENTS / "join_and_shutdown.py"),
                           str(scheduler_file), str(n_workers)], capture_output=True, text=True,
                          timeout=300, env=job_env())
    assert proc.returncode == 0 and proc.stdout.strip().endswith("OK"), \
        f"client exit {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


# -- SLURM -------------------------------------------------------------------------
def test_slurm_initialize_runs_the_example_to_exit_0(slurm_jobs, tmp_path):
    job_id = slurm_jobs.sbatch(*SMALL, "--ntasks-per-node=4", f"--output={tmp_path}/%j.out",
                               str(JOBSCRIPTS / "slurm-initialize.sh"), cwd=REPO)
    output = assert_exit_0(job_id)
    assert "2 workers ['mpi://2', 'mpi://3']: sum of squares 332833500" in output, output


def test_slurm_initialize_runs_a_script_given_as_argument(slurm_jobs, tmp_path):
    script = tmp_path / "mine.py"
    script.write_text("from mpiflow.distributed import initialize\n"
                      "client = initialize()\n"
                      "print('answer', client.submit(sum, [40, 2]).result(), flush=True)\n")
    job_id = slurm_jobs.sbatch(*SMALL, "--ntasks-per-node=3", f"--output={tmp_path}/%j.out",
                               str(JOBSCRIPTS / "slurm-initialize.sh"), str(script), cwd=REPO)
    assert "answer 42" in assert_exit_0(job_id)


def test_a_failing_script_fails_the_slurm_job(slurm_jobs, tmp_path):
    script = tmp_path / "fails.py"
    script.write_text("from mpiflow.distributed import initialize\n"
                      "client = initialize()\n"
                      "raise SystemExit('the script gave up')\n")
    job_id = slurm_jobs.sbatch(*SMALL, "--ntasks-per-node=3", f"--output={tmp_path}/%j.out",
                               str(JOBSCRIPTS / "slurm-initialize.sh"), str(script), cwd=REPO)
    assert wait_for_job_state(job_id, ENDED, timeout=180) == "FAILED", job_output(job_id)
    assert job_exit_code(job_id)[0] != 0


def test_slurm_cluster_serves_a_client_and_ends_0_on_shutdown(slurm_jobs, tmp_path):
    scheduler_file = tmp_path / "scheduler.json"
    job_id = slurm_jobs.sbatch(*SMALL, "--ntasks-per-node=3", f"--output={tmp_path}/%j.out",
                               str(JOBSCRIPTS / "slurm-cluster.sh"), str(scheduler_file),
                               cwd=REPO)
    try:
        join_and_shutdown(scheduler_file, 2, job_id)
    except AssertionError as err:
        raise AssertionError(f"{err}\njob {job_id} ({job_state(job_id)}):\n"
                             f"{job_output(job_id)}") from None
    assert_exit_0(job_id, timeout=120)


def test_slurm_directives_are_the_documented_ones():
    assert directives(JOBSCRIPTS / "slurm-initialize.sh", "#SBATCH") == [
        "#SBATCH --job-name=mpiflow",
        "#SBATCH --account=<account>",
        "#SBATCH --partition=<partition>",
        "#SBATCH --nodes=2",
        "#SBATCH --ntasks-per-node=16",
        "#SBATCH --cpus-per-task=1",
        "#SBATCH --mem-per-cpu=4G",
        "#SBATCH --time=01:00:00",
        "#SBATCH --output=mpiflow-%j.out",
    ]
    cluster = directives(JOBSCRIPTS / "slurm-cluster.sh", "#SBATCH")
    assert cluster[0] == "#SBATCH --job-name=mpiflow-cluster"
    assert cluster[-2:] == ["#SBATCH --time=04:00:00", "#SBATCH --output=mpiflow-cluster-%j.out"]


# -- PBS (Torque-style qsub driving the local Slurm) --------------------------------
def qsub(tracker, *args: str) -> str:
    """``qsub ARGS`` from the repository root; returns the job id (qsub prints errors on stdout).

    sbatch reads the scripts' ``#PBS -q``/``-l`` lines itself (``<queue>``, 64 GB), so
    the queue and resources go on the command line. MPICH's mpiexec would start its
    ranks as Slurm job steps, and the first step takes the job's whole ``--mem``, so
    a second mpiexec (pbs-cluster.sh's workers) would wait for memory forever:
    ``HYDRA_LAUNCHER=fork`` starts them as plain processes, as on a one-node PBS job.
    """
    proc = subprocess.run(["qsub", "-N", tracker.name, "-q", "debug", *args],
                          capture_output=True, text=True, timeout=60, cwd=REPO,
                          env=job_env(HYDRA_LAUNCHER="fork"))
    assert proc.returncode == 0 and re.fullmatch(r"\d+", proc.stdout.strip()), \
        f"qsub {' '.join(args)} failed (exit {proc.returncode}):\n{proc.stdout}{proc.stderr}"
    return tracker.track(proc.stdout.strip())


def test_pbs_directives_are_the_documented_ones():
    assert directives(JOBSCRIPTS / "pbs-initialize.sh", "#PBS") == [
        "#PBS -N mpiflow",
        "#PBS -A <account>",
        "#PBS -q <queue>",
        "#PBS -l select=2:ncpus=16:mpiprocs=16:mem=64gb",
        "#PBS -l walltime=01:00:00",
        "#PBS -j oe",
    ]
    assert directives(JOBSCRIPTS / "pbs-cluster.sh", "#PBS") == [
        "#PBS -N mpiflow-cluster",
        "#PBS -A <account>",
        "#PBS -q <queue>",
        "#PBS -l select=2:ncpus=16:mpiprocs=16:mem=64gb",
        "#PBS -l walltime=04:00:00",
        "#PBS -j oe",
    ]


def test_pbs_initialize_runs_the_example_to_exit_0_under_qsub(slurm_jobs, tmp_path):
    # -V: the job gets this environment (the venv on PATH); on a real PBS site the
    # script's `module load` / `source venv/bin/activate` lines do that instead.
    job_id = qsub(slurm_jobs, "-V", "-v", "SCRIPT=jobscripts/example_initialize.py",
                  "-l", "nodes=1:ppn=4,mem=4gb,walltime=00:10:00", "-j", "oe",
                  "-o", str(tmp_path / "init.out"), str(JOBSCRIPTS / "pbs-initialize.sh"))
    output = assert_exit_0(job_id)
    assert "2 workers ['mpi://2', 'mpi://3']: sum of squares 332833500" in output, output


def test_pbs_cluster_serves_a_client_and_ends_0_on_shutdown_under_qsub(slurm_jobs, tmp_path):
    scheduler_file = tmp_path / "scheduler.json"
    job_id = qsub(slurm_jobs, "-V", "-v", f"SCHEDULER_FILE={scheduler_file}",
                  "-l", "nodes=1:ppn=3,mem=3gb,walltime=00:10:00", "-j", "oe",
                  "-o", str(tmp_path / "cluster.out"), str(JOBSCRIPTS / "pbs-cluster.sh"))
    try:
        join_and_shutdown(scheduler_file, 2, job_id)
    except AssertionError as err:
        raise AssertionError(f"{err}\njob {job_id} ({job_state(job_id)}):\n"
                             f"{job_output(job_id)}") from None
    assert_exit_0(job_id, timeout=120)


@pytest.mark.parametrize("name", ["slurm-initialize.sh", "slurm-cluster.sh",
                                  "pbs-initialize.sh", "pbs-cluster.sh"])
def test_jobscripts_are_valid_bash(name):
    proc = subprocess.run(["bash", "-n", str(JOBSCRIPTS / name)], capture_output=True,
                          text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
