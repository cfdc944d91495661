"""jobscripts/slurm-elastic.sh submitted to the local Slurm: the driver adapts and exits 0."""

from __future__ import annotations

import sys
import time

from slurm_helpers import REPO, job_env, job_exit_code, job_state, queued_jobs


def test_elastic_jobscript_runs_and_exits_0(slurm_jobs, tmp_path):
    script = (REPO / "jobscripts" / "slurm-elastic.sh").read_text()
    assert "SLURMCluster" in (REPO / "jobscripts" / "slurm-elastic.py").read_text()
    # the site placeholders go; the output lands in tmp_path
    lines = [line for line in script.splitlines()
             if "<account>" not in line and "<partition>" not in line]
    text = "\n".join(lines).replace("--output=mpiflow-elastic-%j.out",
                                    f"--output={tmp_path}/elastic-%j.out")
    (tmp_path / "elastic.sh").write_text(text + "\n")
    job_id = slurm_jobs.sbatch(str(tmp_path / "elastic.sh"), "--tasks", "500",
                               "--maximum-jobs", "2", cwd=REPO,
                               env=job_env(PYTHON=sys.executable))
    deadline = time.monotonic() + 240
    while job_state(job_id) not in ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", None):
        assert time.monotonic() < deadline, f"job {job_id} still {job_state(job_id)}"
        time.sleep(0.5)
    out = (tmp_path / f"elastic-{job_id}.out").read_text()
    assert job_exit_code(job_id) == (0, 0), out
    assert "500 tasks in" in out and out.strip().endswith("OK")
    # the driver cancelled its worker jobs (they may take a moment to finish completing)
    deadline = time.monotonic() + 60
    while queued_jobs("mpiflow-elastic-worker"):
        assert time.monotonic() < deadline, queued_jobs("mpiflow-elastic-worker")
        time.sleep(0.5)
