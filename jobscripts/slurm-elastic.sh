#!/bin/bash
# An elastic mpiflow run on SLURM: this small job runs the scheduler and your driver
# script; the driver's SLURMCluster.adapt() submits worker jobs while work is queued
# and cancels them (after moving their data) when it is not.
#
#   sbatch jobscripts/slurm-elastic.sh                          # jobscripts/slurm-elastic.py
#   sbatch jobscripts/slurm-elastic.sh --tasks 5000 --maximum-jobs 10 --queue compute
#   DRIVER=/path/to/my_driver.py sbatch jobscripts/slurm-elastic.sh
#
# Submit from the repository (or set DRIVER): Slurm runs a copy of this script, so
# the driver is found from the submit directory. The cluster's files (scheduler file,
# worker job script, logs) go to ~/.mpiflow/jobqueue, which the compute nodes must see
# (set MPIFLOW_JOBQUEUE_SHARED_DIRECTORY to another shared path otherwise). The driver
# job must be allowed to submit jobs (sbatch works on compute nodes at most sites).
# Replace every <...> placeholder (or delete the line) before submitting.
#
#SBATCH --job-name=mpiflow-elastic
#SBATCH --account=<account>
#SBATCH --partition=<partition>
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=1
#SBATCH --mem=2G
#SBATCH --time=01:00:00
#SBATCH --output=mpiflow-elastic-%j.out

set -euo pipefail

# Software environment (the MPI that mpi4py uses), e.g.
#   module load python/3.11 openmpi/4.1
#   source "$HOME/venvs/mpiflow/bin/activate"
cd "${SLURM_SUBMIT_DIR:-.}"
DRIVER="${DRIVER:-${SLURM_SUBMIT_DIR:-.}/jobscripts/slurm-elastic.py}"
PYTHON="${PYTHON:-python}"

# The driver is a plain process of this job, not an MPI rank: it starts its own
# scheduler with mpiexec and joins it like a notebook would.
exec "$PYTHON" "$DRIVER" "$@"
