#!/bin/bash
# A long-lived mpiflow cluster on a SLURM allocation, for notebooks and scripts to join.
#
#   sbatch jobscripts/slurm-cluster.sh                     # scheduler file: $HOME/mpiflow-scheduler.json
#   sbatch jobscripts/slurm-cluster.sh /shared/path/sched.json
#
# The scheduler runs alone in one job step and the workers in another, so a
# worker that dies (OOM, node failure) does not take the cluster down: its work
# is recomputed elsewhere. From a login-node notebook or any script:
#   from mpiflow.distributed import Client
#   client = Client(scheduler_file="/shared/path/sched.json")
# `client.shutdown()` (or `scancel`) ends the cluster. The scheduler file must be
# on a file system that the login node and the compute nodes both see.
# Replace every <...> placeholder before submitting.
#
#SBATCH --job-name=mpiflow-cluster
#SBATCH --account=<account>
#SBATCH --partition=<partition>
#SBATCH --nodes=2
#SBATCH --ntasks-per-node=16
#SBATCH --cpus-per-task=1
#SBATCH --mem-per-cpu=4G
#SBATCH --time=04:00:00
#SBATCH --output=mpiflow-cluster-%j.out

set -euo pipefail

# Software environment (the MPI that mpi4py uses), e.g.
#   module load python/3.11 openmpi/4.1
#   source "$HOME/venvs/mpiflow/bin/activate"
cd "${SLURM_SUBMIT_DIR:-.}"
SCHEDULER_FILE="${1:-$HOME/mpiflow-scheduler.json}"
export OMP_NUM_THREADS="${SLURM_CPUS_PER_TASK:-1}"

rm -f "$SCHEDULER_FILE"   # a file left by an earlier cluster would send the workers there
# One step for the scheduler (1 task), one for the workers (the rest).
srun --ntasks=1 --nodes=1 --exclusive python -m mpiflow cluster \
    --scheduler-file "$SCHEDULER_FILE" &
scheduler=$!
for _ in $(seq 600); do [ -f "$SCHEDULER_FILE" ] && break; sleep 0.1; done
srun --ntasks=$((SLURM_NTASKS - 1)) --exclusive python -m mpiflow worker \
    --scheduler-file "$SCHEDULER_FILE" --nthreads "${SLURM_CPUS_PER_TASK:-1}" &
wait "$scheduler"      # ends when a client calls shutdown() (workers are closed by then)
wait
