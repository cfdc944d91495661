"""SLURMCluster against the real local Slurm: scale, close, atexit, failures, bad input."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from slurm_helpers import job_env, job_state, queued_jobs

from mpiflow.jobqueue import JobQueueError, SLURMCluster

SCRIPTS = Path(__file__).parent / "jobqueue_scripts"
GONE = (None, "CANCELLED", "COMPLETED", "COMPLETING")


def _run_script(name: str, *args: str, timeout: float = 280) -> str:
    proc = subprocess.run([sys.executable, str(SCRIPTS / name), *args], capture_output=True,
                          text=True, timeout=timeout, env=job_env())
    assert proc.returncode == 0, f"{name} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def _wait_gone(job_ids, timeout=60):
    deadline = time.monotonic() + timeout
    while any(job_state(j) not in GONE for j in job_ids):
        if time.monotonic() > deadline:
            states = {j: job_state(j) for j in job_ids}
            raise TimeoutError(f"jobs not cancelled within {timeout} s: {states}")
        time.sleep(0.2)


@pytest.fixture
def cluster_of(slurm_jobs):
    """``cluster_of(**params)`` makes a small SLURMCluster named after the test; closed after."""
    made = []

    def make(**params):
        base = dict(cores=1, memory="1GB", processes=1, walltime="00:10:00",
                    job_name=slurm_jobs.name, poll_interval=0.5, dashboard_address=None)
        base.update(params)
        cluster = SLURMCluster(**base)
        made.append(cluster)
        return cluster

    yield make
    for cluster in made:
        cluster.close()


def test_scale_up_and_down_keeps_data_and_the_closed_jobs_leave(slurm_jobs):
    out = _run_script("scale_keeps_data.py", slurm_jobs.name)
    assert "held 3" in out
    assert "scaled down SLURMCluster(jobs: 0 pending, 1 running; workers: 1 joined" in out
    assert "active 1 closed 2" in out
    closed = out.split("closed ids ")[1].split("\n")[0].split()
    _wait_gone(closed)
    assert out.strip().endswith("OK")


def test_workers_report_their_job_and_repr_and_logs(cluster_of):
    cluster = cluster_of(processes=2, cores=2, memory="2GB")
    assert "#SBATCH -n 2" in cluster.job_script()
    cluster.scale(n=3)  # 3 workers of 2 per job: 2 jobs
    assert len(cluster.jobs) == 2
    cluster.wait_for_workers(4, timeout=120)
    workers = cluster._ask("scheduler_info")["workers"]
    by_job = {}
    for address, info in workers.items():
        by_job.setdefault(info["job_id"], []).append(address)
    assert sorted(by_job) == sorted(cluster.jobs) and all(len(w) == 2 for w in by_job.values())
    assert repr(cluster).startswith("SLURMCluster(jobs: 0 pending, 2 running; workers: 4 joined")
    logs = cluster.logs()
    assert "scheduler" in logs and all(f"job {j}" in logs for j in cluster.jobs)


def test_close_cancels_its_own_jobs_and_never_others(cluster_of, slurm_jobs):
    foreign = slurm_jobs.sbatch("--wrap", "sleep 300", "-t", "5", "--mem=100M",
                                "-o", "/dev/null")
    cluster = cluster_of()
    cluster.scale(jobs=2)
    own = list(cluster.jobs)
    cluster.wait_for_workers(2, timeout=120)
    cluster.close()
    _wait_gone(own)
    assert job_state(foreign) == "RUNNING"
    assert foreign in queued_jobs(slurm_jobs.name)


def test_exit_without_close_cancels_the_jobs(slurm_jobs):
    out = _run_script("exit_without_close.py", slurm_jobs.name)
    job_id = out.split("job ")[1].split()[0]
    deadline = time.monotonic() + 60
    while job_state(job_id) not in ("CANCELLED", "COMPLETED", None):
        assert time.monotonic() < deadline, job_state(job_id)
        time.sleep(0.2)
    assert job_state(job_id) == "CANCELLED"  # cancelled by the exiting process, not ended


def test_job_that_dies_before_joining_is_reported_with_its_log(cluster_of):
    cluster = cluster_of(job_script_prologue=[
        "echo 'module openmpi/9.9 not found' >&2", "exit 3"])
    cluster.scale(jobs=1)
    with pytest.raises(JobQueueError) as info, pytest.warns(RuntimeWarning):
        cluster.wait_for_workers(1, timeout=120)
    message = str(info.value)
    job_id = next(iter(cluster.jobs))
    assert f"job {job_id} ended" in message and "before its workers joined" in message
    assert "module openmpi/9.9 not found" in message
    assert cluster.jobs[job_id].state == "failed"
    assert "1 failed" in repr(cluster)
    (_, state, why), = cluster.jobs[job_id].history  # the one change, and its reason
    assert state == "failed" and "before its workers joined" in why


def test_rejected_job_shows_what_the_queue_said(cluster_of):
    cluster = cluster_of(memory="1000GB")
    with pytest.raises(JobQueueError) as info:
        cluster.scale(jobs=1)
    message = str(info.value)
    assert "rejected the worker job" in message
    assert "sbatch: error:" in message  # sbatch's own words, verbatim
    assert cluster.script_path in message
    assert not cluster.jobs


def test_missing_submit_command_names_it_and_the_option(tmp_path, monkeypatch):
    with pytest.raises(JobQueueError) as info:
        SLURMCluster(cores=1, memory="1GB", submit_command="/opt/nowhere/sbatch")
    assert "'/opt/nowhere/sbatch' is not on PATH" in str(info.value)
    assert "submit_command=" in str(info.value)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(JobQueueError, match="the command 'sbatch' is not on PATH.*"
                                            "submit_command='/full/path/to/sbatch'"):
        SLURMCluster(cores=1, memory="1GB")


def test_bad_parameters_fail_before_anything_starts():
    with pytest.raises(ValueError, match="walltime='1 hour' is not a walltime"):
        SLURMCluster(cores=1, memory="1GB", walltime="1 hour")
    with pytest.raises(ValueError, match="memory='1 gig' is not a size"):
        SLURMCluster(cores=1, memory="1 gig")
    with pytest.raises(TypeError, match=r"unexpected arguments \['nodes'\]"):
        SLURMCluster(cores=1, memory="1GB", nodes=2)


def test_scheduler_file_on_a_node_local_path_warns(cluster_of, tmp_path):
    assert str(tmp_path).startswith("/tmp")
    with pytest.warns(UserWarning, match="compute nodes") as record:
        cluster_of(shared_directory=str(tmp_path))
    assert "under /tmp" in str(record[0].message)
    assert "shared_directory=" in str(record[0].message)


def test_attached_cluster_leaves_the_scheduler_running(cluster_of):
    first = cluster_of()
    second = cluster_of(scheduler_file=first.scheduler_file)
    second.scale(jobs=1)
    second.wait_for_workers(1, timeout=120)
    assert len(first._ask("scheduler_info")["workers"]) == 1
    second.close()
    assert os.path.exists(first.scheduler_file)
    assert first._scheduler.poll() is None


def test_lifetime_submits_a_replacement_and_moves_the_data_before_cancelling(slurm_jobs):
    out = _run_script("lifetime_keeps_data.py", slurm_jobs.name)
    assert "replaced" in out and out.rstrip().endswith("OK"), out
    _wait_gone([out.split("first ")[1].split()[1]])
