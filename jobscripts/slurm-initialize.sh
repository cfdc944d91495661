#!/bin/bash
# Run an mpiflow script on a SLURM allocation with the initialize() pattern.
#
#   sbatch jobscripts/slurm-initialize.sh                       # runs example_initialize.py
#   sbatch jobscripts/slurm-initialize.sh path/to/script.py     # your own script
#
# Every task runs the same script; mpiflow.distributed.initialize() gives each
# rank its role: rank 0 the scheduler, rank 1 the client (your script runs on
# there), ranks 2.. the workers. So the job needs at least 3 tasks; with
# --ntasks=N you get N-2 workers. When the script returns, every rank exits 0;
# when it raises, the job ends with a non-zero exit code and the error printed
# once. Replace every <...> placeholder before submitting.
#
#SBATCH --job-name=mpiflow
#SBATCH --account=<account>
#SBATCH --partition=<partition>
#SBATCH --nodes=2
#SBATCH --ntasks-per-node=16
#SBATCH --cpus-per-task=1
#SBATCH --mem-per-cpu=4G
#SBATCH --time=01:00:00
#SBATCH --output=mpiflow-%j.out

set -euo pipefail

# Software environment: load the site's MPI (the one mpi4py was built against)
# and activate the Python environment that has mpiflow installed, e.g.
#   module load python/3.11 openmpi/4.1
#   source "$HOME/venvs/mpiflow/bin/activate"
# With the `mpich` wheel from PyPI instead of a site MPI, use `mpiexec` as in
# pbs-initialize.sh, or `srun --mpi=pmi2` if the site's srun supports PMI-2.

# sbatch runs a copy of this file from its spool directory, so paths are
# taken relative to where the job was submitted from.
cd "${SLURM_SUBMIT_DIR:-.}"
SCRIPT="${1:-jobscripts/example_initialize.py}"

# Workers run one thread each (one task per core): keep BLAS from
# oversubscribing the cores it shares with other ranks.
export OMP_NUM_THREADS="${SLURM_CPUS_PER_TASK:-1}"

srun python "$SCRIPT"
