"""adapt() on the real local Slurm: the elastic computation, and backing off failing jobs."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from slurm_helpers import job_env, job_state

from mpiflow.jobqueue import SLURMCluster
from mpiflow.jobqueue.adaptive import bounds

SCRIPTS = Path(__file__).parent / "jobqueue_scripts"


def test_elastic_2000_tasks_grow_to_4_jobs_and_shrink_to_1(slurm_jobs):
    proc = subprocess.run([sys.executable, str(SCRIPTS / "elastic.py"), slurm_jobs.name],
                          capture_output=True, text=True, timeout=280, env=job_env())
    out = proc.stdout
    assert proc.returncode == 0, f"{out}\n{proc.stderr}"
    peak = int(out.split("peak jobs ")[1].split()[0])
    assert 2 <= peak <= 4, out  # grew while work was queued, never past maximum_jobs
    actions = out.split("actions ")[1].split("\n")[0]
    assert "'up'" in actions and "'down'" in actions, out  # out: decisions and job histories
    assert "final SLURMCluster(jobs: 0 pending, 1 running; workers: 1 joined" in out
    closed = out.split("closed ids ")[1].split("\n")[0].split()
    assert len(closed) == peak - 1
    deadline = time.monotonic() + 60
    while any(job_state(j) not in (None, "CANCELLED", "COMPLETED") for j in closed):
        assert time.monotonic() < deadline, {j: job_state(j) for j in closed}
        time.sleep(0.2)
    assert out.strip().endswith("OK")


def test_adapt_backs_off_and_stops_when_jobs_die_before_joining(slurm_jobs, recwarn):
    cluster = SLURMCluster(cores=1, memory="1GB", processes=1, walltime="00:05:00",
                           job_name=slurm_jobs.name, poll_interval=0.3, dashboard_address=None,
                           job_script_prologue=["echo 'python: not found' >&2", "exit 127"])
    cluster.failure_backoff = 0.5
    cluster.max_failures = 3
    try:
        cluster.adapt(minimum_jobs=1, maximum_jobs=2, interval=0.3)
        deadline = time.monotonic() + 120
        while cluster._stopped_submitting is None:
            assert time.monotonic() < deadline, f"adapt never gave up: {cluster!r}"
            time.sleep(0.2)
        time.sleep(3)  # adapt keeps running, but submits nothing more
        assert len(cluster.jobs) == 3
        assert all(j.state == "failed" for j in cluster.jobs.values())
        reason = cluster._stopped_submitting
        assert "3 jobs in a row ended before their workers joined" in reason
        assert "stopped submitting jobs" in reason and "python: not found" in reason
        assert any("stopped submitting" in str(w.message) for w in recwarn.list)
        # the waits between submissions grew: 0.5 s, then 1 s
        times = sorted(j.submitted for j in cluster.jobs.values())
        assert times[2] - times[1] >= 1.0 and times[1] - times[0] >= 0.5
    finally:
        cluster.close()


def test_adapt_bounds_are_checked():
    assert bounds(0, float("inf"), 1, 4, processes=2) == (1, 4)
    with pytest.raises(ValueError, match="minimum_jobs=-1"):
        bounds(0, 10, -1, None, processes=1)
    with pytest.raises(ValueError, match="is above the maximum"):
        bounds(0, 10, 5, 2, processes=1)
