#!/bin/bash
# A long-lived mpiflow cluster on a PBS allocation, for notebooks and scripts to join.
#
#   qsub -v SCHEDULER_FILE=/shared/path/sched.json jobscripts/pbs-cluster.sh
#
# The scheduler runs as its own mpiexec launch and the workers as another, so a
# worker that dies does not take the cluster down. Join it from anywhere that
# sees the scheduler file: Client(scheduler_file="/shared/path/sched.json").
# `client.shutdown()` (or `qdel`) ends the cluster. Replace <...> placeholders.
#
#PBS -N mpiflow-cluster
#PBS -A <account>
#PBS -q <queue>
#PBS -l select=2:ncpus=16:mpiprocs=16:mem=64gb
#PBS -l walltime=04:00:00
#PBS -j oe

set -euo pipefail
# Software environment (the MPI that mpi4py uses), e.g.
#   module load python/3.11 mpich
#   source "$HOME/venvs/mpiflow/bin/activate"
cd "${PBS_O_WORKDIR:-.}"
SCHEDULER_FILE="${SCHEDULER_FILE:-$HOME/mpiflow-scheduler.json}"
NPROCS=$(wc -l < "$PBS_NODEFILE")
export OMP_NUM_THREADS=1

mpiexec -n 1 python -m mpiflow cluster --scheduler-file "$SCHEDULER_FILE" &
scheduler=$!
for _ in $(seq 600); do [ -f "$SCHEDULER_FILE" ] && break; sleep 0.1; done
mpiexec -n $((NPROCS - 1)) -f "$PBS_NODEFILE" python -m mpiflow worker \
    --scheduler-file "$SCHEDULER_FILE" --nthreads 1 &
wait "$scheduler"
wait
