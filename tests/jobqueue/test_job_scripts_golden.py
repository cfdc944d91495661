"""The job scripts SLURMCluster and PBSCluster submit, compared line by line with golden text."""

from __future__ import annotations

from mpiflow.jobqueue import PBSCluster, SLURMCluster
from mpiflow.jobqueue.script import make_options

EVERYTHING = dict(
    cores=8, memory="32GiB", processes=2, queue="compute", account="proj42",
    walltime="1-12:00:00", job_name="elastic", job_extra_directives=["--exclusive"],
    job_script_prologue=["module load openmpi/4.1", "source /home/me/venv/bin/activate"],
    job_directives_skip=["-A proj42"], local_directory="$TMPDIR",
    log_directory="/shared/me/logs", python="/home/me/venv/bin/python",
    worker_extra_args=["--timeout", "120"], scheduler_file="/shared/me/scheduler.json",
)

SLURM_GOLDEN = """\
#!/usr/bin/env bash

#SBATCH -J elastic
#SBATCH -p compute
#SBATCH -n 2
#SBATCH --cpus-per-task=4
#SBATCH --mem=32G
#SBATCH -t 36:00:00
#SBATCH -o /shared/me/logs/elastic-%j.out
#SBATCH -e /shared/me/logs/elastic-%j.err
#SBATCH --exclusive

module load openmpi/4.1
source /home/me/venv/bin/activate
export MPIFLOW_JOB_ID="$SLURM_JOB_ID"
srun --mpi=pmi2 -n 2 /home/me/venv/bin/python -m mpiflow worker \
--scheduler-file /shared/me/scheduler.json --nthreads 4 --memory-limit 17179869184 \
--local-directory "$TMPDIR" --timeout 120
"""

PBS_GOLDEN = """\
#!/usr/bin/env bash

#PBS -N elastic
#PBS -q compute
#PBS -l nodes=1:ppn=8,mem=32gb
#PBS -l walltime=36:00:00
#PBS -j oe
#PBS -o /shared/me/logs/
#PBS -l place=excl

module load openmpi/4.1
source /home/me/venv/bin/activate
export MPIFLOW_JOB_ID="${PBS_JOBID:-${SLURM_JOB_ID:-}}"
mpiexec -n 2 /home/me/venv/bin/python -m mpiflow worker \
--scheduler-file /shared/me/scheduler.json --nthreads 4 --memory-limit 17179869184 \
--local-directory "$TMPDIR" --timeout 120
"""


def _unwrap(text: str) -> str:
    return text.replace(" \\\n", " ")


def test_slurm_script_with_every_parameter():
    opts = make_options(**EVERYTHING, launcher="srun --mpi=pmi2")
    assert SLURMCluster.render(opts) == _unwrap(SLURM_GOLDEN)


def test_pbs_script_with_every_parameter():
    params = dict(EVERYTHING, job_extra_directives=["-l place=excl"])
    opts = make_options(**params, launcher="mpiexec", resource_spec="nodes=1:ppn=8,mem=32gb")
    assert PBSCluster.render(opts) == _unwrap(PBS_GOLDEN)


def test_minimal_scripts_and_defaults():
    opts = make_options(cores=1, memory="1GB", scheduler_file="/s/f.json",
                        log_directory="/s/logs", python="/usr/bin/python3", launcher="srun")
    assert SLURMCluster.render(opts).splitlines()[2:9] == [
        "#SBATCH -J mpiflow-worker", "#SBATCH -n 1", "#SBATCH --cpus-per-task=1",
        "#SBATCH --mem=954M", "#SBATCH -t 00:30:00",
        "#SBATCH -o /s/logs/mpiflow-worker-%j.out", "#SBATCH -e /s/logs/mpiflow-worker-%j.err"]
    opts = make_options(cores=24, memory="100GB", processes=4, scheduler_file="/s/f.json",
                        log_directory="/s/logs", python="/usr/bin/python3", launcher="mpiexec")
    header = PBSCluster.header(opts)
    assert header[1] == "#PBS -l select=1:ncpus=24:mem=95368mb"
    assert header[2] == "#PBS -l walltime=00:30:00"
    script = PBSCluster.render(opts)
    assert "mpiexec -n 4 /usr/bin/python3 -m mpiflow worker" in script
    assert "--nthreads 6 --memory-limit 25000000000" in script


def test_skipped_directives_and_extra_directives_with_their_prefix():
    opts = make_options(cores=2, memory="2GB", scheduler_file="/s/f.json", log_directory="/s",
                        python="python3", launcher="srun",
                        job_directives_skip=["--mem", "-t "],
                        job_extra_directives=["#SBATCH --qos=debug", "--gres=gpu:1"])
    lines = SLURMCluster.render(opts).splitlines()
    directives = [line for line in lines if line.startswith("#SBATCH")]
    assert not any("--mem" in line or line.startswith("#SBATCH -t ") for line in directives)
    assert "#SBATCH --qos=debug" in lines and "#SBATCH --gres=gpu:1" in lines


def test_mpiexec_launcher_uses_the_one_beside_the_python(tmp_path):
    (tmp_path / "mpiexec").write_text("#!/bin/sh\n")
    (tmp_path / "mpiexec").chmod(0o755)
    opts = make_options(cores=2, memory="2GB", processes=2, scheduler_file="/s/f.json",
                        log_directory="/s", python=str(tmp_path / "python"), launcher="mpiexec")
    assert f"\n{tmp_path}/mpiexec -n 2 {tmp_path}/python -m mpiflow worker" in \
        PBSCluster.render(opts)
