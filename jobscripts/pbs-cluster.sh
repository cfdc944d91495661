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
cd "${PBS_O_WORKDIR:-$PWD}"
SCHEDULER_FILE="${SCHEDULER_FILE:-$HOME/mpiflow-scheduler.json}"
# One process per line of the node file: 1 scheduler, the rest workers. Without a node
# file (e.g. Slurm's Torque-style qsub), the job's task count, else NPROCS, else 4.
hosts=()
if [ -n "${PBS_NODEFILE:-}" ] && [ -r "$PBS_NODEFILE" ]; then
    NPROCS=$(wc -l < "$PBS_NODEFILE")
    hosts=(-hostfile "$PBS_NODEFILE")   # MPICH's and Open MPI's mpiexec both take -hostfile
else
    NPROCS="${SLURM_NTASKS:-${NPROCS:-4}}"
fi
export OMP_NUM_THREADS=1

rm -f "$SCHEDULER_FILE"   # a file left by an earlier cluster would send the workers there
mpiexec -n 1 python -m mpiflow cluster --scheduler-file "$SCHEDULER_FILE" &
scheduler=$!
for _ in $(seq 600); do [ -f "$SCHEDULER_FILE" ] && break; sleep 0.1; done
mpiexec -n $((NPROCS - 1)) "${hosts[@]}" python -m mpiflow worker \
    --scheduler-file "$SCHEDULER_FILE" --nthreads 1 &
wait "$scheduler"
wait
