"""PBSCluster against Slurm's Torque-style qsub/qstat/qdel (no PBS server installs here).

That qsub ignores ``#PBS`` lines, so these clusters pass their directives on the
command line (``directives_on_command_line=True``); the ``#PBS`` lines themselves
are checked by the golden scripts in test_job_scripts_golden.py.
"""

from __future__ import annotations

import shutil
import time

import pytest
from slurm_helpers import job_info, job_state

from mpiflow.jobqueue import JobQueueError, PBSCluster

pytestmark = pytest.mark.skipif(shutil.which("qsub") is None,
                                reason="no qsub here (Debian's slurm-wlm-torque provides it)")


@pytest.fixture
def pbs_cluster(local_slurm, slurm_jobs):
    made = []

    def make(**params):
        base = dict(cores=1, memory="1GiB", processes=1, walltime="00:10:00",
                    job_name=slurm_jobs.name, poll_interval=0.5, dashboard_address=None,
                    directives_on_command_line=True)
        base.update(params)
        cluster = PBSCluster(**base)
        made.append(cluster)
        return cluster

    yield make
    for cluster in made:
        cluster.close()


def test_pbs_submit_poll_scale_and_cancel(pbs_cluster):
    cluster = pbs_cluster()
    assert cluster.submit_arguments() == [
        "-N", cluster.options.job_name, "-l", "select=1:ncpus=1:mem=1gb,walltime=00:10:00",
        "-j", "oe"]
    cluster.scale(jobs=2)
    cluster.wait_for_workers(2, timeout=120)
    ids = list(cluster.jobs)
    assert {cluster.jobs[i].queue_state for i in ids} == {"R"}  # from qstat's table
    info = job_info(ids[0])
    assert info["JobName"] == cluster.options.job_name and info["TimeLimit"] == "00:10:00"
    cluster.scale(jobs=1)
    closed = [j for j in ids if cluster.jobs[j].state == "finished"]
    assert len(closed) == 1
    cluster.close()
    deadline = time.monotonic() + 60
    while any(job_state(j) not in (None, "CANCELLED", "COMPLETED") for j in ids):
        assert time.monotonic() < deadline, {j: job_state(j) for j in ids}
        time.sleep(0.2)


def test_pbs_job_that_dies_before_joining_is_reported(pbs_cluster):
    cluster = pbs_cluster(job_script_prologue=["echo 'cannot load module mpich' >&2", "exit 2"])
    cluster.scale(jobs=1)
    with pytest.raises(JobQueueError, match="(?s)before its workers joined.*cannot load module"), \
            pytest.warns(RuntimeWarning):
        cluster.wait_for_workers(1, timeout=120)


def test_missing_qsub_names_it_and_the_option(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(JobQueueError, match="the command 'qsub' is not on PATH.*submit_command="):
        PBSCluster(cores=1, memory="1GB")
