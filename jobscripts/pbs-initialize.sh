#!/bin/bash
# Run an mpiflow script on a PBS Pro / OpenPBS / Torque allocation with the
# initialize() pattern.
#
#   qsub jobscripts/pbs-initialize.sh                                   # example_initialize.py
#   qsub -v SCRIPT=path/to/script.py jobscripts/pbs-initialize.sh       # your own script
#
# Every rank runs the same script; mpiflow.distributed.initialize() gives each
# rank its role: rank 0 the scheduler, rank 1 the client (your script runs on
# there), ranks 2.. the workers. So the job needs at least 3 ranks; with N
# ranks you get N-2 workers. When the script returns, every rank exits 0; when
# it raises, the job ends with a non-zero exit code and the error printed once.
# Replace every <...> placeholder before submitting.
#
#PBS -N mpiflow
#PBS -A <account>
#PBS -q <queue>
#PBS -l select=2:ncpus=16:mpiprocs=16:mem=64gb
#PBS -l walltime=01:00:00
#PBS -j oe
# Torque spells the resource line differently:
#   #PBS -l nodes=2:ppn=16

set -euo pipefail

# Software environment: load the site's MPI (the one mpi4py was built against)
# and activate the Python environment that has mpiflow installed, e.g.
#   module load python/3.11 mpich/4.2
#   source "$HOME/venvs/mpiflow/bin/activate"

cd "${PBS_O_WORKDIR:-$PWD}"
SCRIPT="${SCRIPT:-jobscripts/example_initialize.py}"

# One rank per line of the node file (mpiprocs per node x nodes).
if [ -n "${PBS_NODEFILE:-}" ] && [ -r "$PBS_NODEFILE" ]; then
    N=$(wc -l < "$PBS_NODEFILE")
else
    N=4
fi

# Workers run one thread each: keep BLAS from oversubscribing the cores.
export OMP_NUM_THREADS=1

mpiexec -n "$N" python "$SCRIPT"
