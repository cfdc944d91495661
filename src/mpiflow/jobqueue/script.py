"""The worker job script: validated options, directives, prologue and launcher line.

A job script has three parts: the batch system's directives (``#SBATCH``,
``#PBS``), the user's prologue (``module load ...``, ``source venv/bin/activate``)
and one launcher line that starts ``processes`` workers as one MPI launch,
all joining the scheduler through its scheduler file::

    srun -n 2 /venv/bin/python -m mpiflow worker --scheduler-file F --nthreads 2 ...

Everything here is pure: :func:`make_options` checks the parameters and
:func:`render_script` writes the text; the batch-system classes supply the
directives.

Examples
--------
>>> opts = make_options(cores=4, memory='8GB', processes=2, walltime='00:30:00',
...                     scheduler_file='/shared/scheduler.json', log_directory='/shared/logs',
...                     python='/venv/bin/python', launcher='srun')
>>> opts.threads, opts.worker_memory
(2, 4000000000)
>>> for part in worker_command(opts).split(' --'):
...     print(part)
srun -n 2 /venv/bin/python -m mpiflow worker
scheduler-file /shared/scheduler.json
nthreads 2
memory-limit 4000000000
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

from mpiflow.jobqueue.options import parse_memory, parse_walltime, positive_int, string_list

__all__ = ["JobOptions", "make_options", "worker_command", "render_script", "launcher_prefix"]

#: Default walltime of a worker job (as dask-jobqueue's).
DEFAULT_WALLTIME = "00:30:00"
#: Default name of worker jobs in the queue.
DEFAULT_JOB_NAME = "mpiflow-worker"


@dataclass(frozen=True)
class JobOptions:
    """What one worker job asks the batch system for and runs (validated)."""

    cores: int
    memory: int
    processes: int
    walltime: int
    job_name: str
    scheduler_file: str
    log_directory: str
    python: str
    launcher: str
    queue: str | None = None
    account: str | None = None
    local_directory: str | None = None
    job_extra_directives: list[str] = field(default_factory=list)
    job_script_prologue: list[str] = field(default_factory=list)
    job_directives_skip: list[str] = field(default_factory=list)
    worker_extra_args: list[str] = field(default_factory=list)
    resource_spec: str | None = None

    @property
    def threads(self) -> int:
        """Threads per worker: the job's cores shared by its processes."""
        return self.cores // self.processes

    @property
    def worker_memory(self) -> int:
        """Memory limit per worker, in bytes."""
        return self.memory // self.processes


def make_options(*, cores: int | None, memory: str | int | None, scheduler_file: str,
                 log_directory: str, processes: int | None = None,
                 walltime: str | int | None = DEFAULT_WALLTIME,
                 job_name: str | None = DEFAULT_JOB_NAME, python: str | None = None,
                 launcher: str = "mpiexec", queue: str | None = None,
                 account: str | None = None, local_directory: str | None = None,
                 job_extra_directives: Sequence[str] | None = None,
                 job_script_prologue: Sequence[str] | None = None,
                 job_directives_skip: Sequence[str] | None = None,
                 worker_extra_args: Sequence[str] | None = None,
                 resource_spec: str | None = None, kind: str = "JobQueueCluster") -> JobOptions:
    """Check a job's parameters and return them as :class:`JobOptions`.

    ``kind`` names the class in error messages. ``processes`` defaults to
    one worker per job when ``cores`` is small and about ``sqrt(cores)``
    workers otherwise (as Dask sizes them).

    Examples
    --------
    >>> make_options(cores=None, memory='4GB', scheduler_file='f', log_directory='l',
    ...              kind='SLURMCluster')
    Traceback (most recent call last):
    ...
    ValueError: SLURMCluster needs cores= (cores per job, e.g. cores=32)
    >>> make_options(cores=2, memory='4GB', processes=4, scheduler_file='f',
    ...              log_directory='l')  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: JobQueueCluster(cores=2, processes=4): each worker ... cores >= processes
    """
    if cores is None:
        raise ValueError(f"{kind} needs cores= (cores per job, e.g. cores=32)")
    if memory is None:
        raise ValueError(f"{kind} needs memory= (memory per job, e.g. memory='64GB')")
    cores = positive_int(cores, "cores")
    if processes is None:
        from mpiflow.distributed.local_cluster import nprocesses_nthreads

        processes = nprocesses_nthreads(cores)[0]
    processes = positive_int(processes, "processes")
    if processes > cores:
        raise ValueError(
            f"{kind}(cores={cores}, processes={processes}): each worker process needs at least "
            "one core; ask for cores >= processes"
        )
    if not job_name or any(c.isspace() for c in job_name):
        raise ValueError(f"job_name={job_name!r}: expected a name without spaces")
    if not launcher or not launcher.strip():
        raise ValueError(f"launcher={launcher!r}: expected 'srun', 'mpiexec' or a command")
    return JobOptions(
        cores=cores, memory=parse_memory(memory), processes=processes,
        walltime=parse_walltime(walltime if walltime is not None else DEFAULT_WALLTIME),
        job_name=job_name, scheduler_file=os.path.abspath(scheduler_file),
        log_directory=os.path.abspath(log_directory), python=python or sys.executable,
        launcher=launcher, queue=queue, account=account, local_directory=local_directory,
        job_extra_directives=string_list(job_extra_directives, "job_extra_directives"),
        job_script_prologue=string_list(job_script_prologue, "job_script_prologue"),
        job_directives_skip=string_list(job_directives_skip, "job_directives_skip"),
        worker_extra_args=string_list(worker_extra_args, "worker_extra_args"),
        resource_spec=resource_spec,
    )


def launcher_prefix(launcher: str, processes: int, python: str) -> list[str]:
    """The command that starts ``processes`` MPI ranks: ``srun -n P`` or ``mpiexec -n P``.

    ``'mpiexec'`` means the ``mpiexec`` next to ``python`` when there is one
    (a venv with the MPICH wheel), else the one on the job's ``PATH``. Any
    other launcher is used as written, followed by ``-n P``.

    Examples
    --------
    >>> launcher_prefix('srun --mpi=pmi2', 4, '/usr/bin/python3')
    ['srun', '--mpi=pmi2', '-n', '4']
    >>> launcher_prefix('mpiexec', 1, '/nonexistent/bin/python')
    ['mpiexec', '-n', '1']
    """
    words = shlex.split(launcher)
    if words == ["mpiexec"]:
        beside = os.path.join(os.path.dirname(python), "mpiexec")
        if os.access(beside, os.X_OK):
            words = [beside]
    return [*words, "-n", str(processes)]


def worker_command(options: JobOptions) -> str:
    """The launcher line that starts the job's workers (shell-quoted).

    Examples
    --------
    >>> opts = make_options(cores=1, memory='1GB', scheduler_file='/s/f.json',
    ...                     log_directory='/s', python='python3', launcher='srun',
    ...                     local_directory='$TMPDIR', worker_extra_args=['--timeout', '30'])
    >>> print(worker_command(opts).replace(' --', '\\n--'))
    srun -n 1 python3 -m mpiflow worker
    --scheduler-file /s/f.json
    --nthreads 1
    --memory-limit 1000000000
    --local-directory "$TMPDIR"
    --timeout 30
    """
    words = [*launcher_prefix(options.launcher, options.processes, options.python),
             options.python, "-m", "mpiflow", "worker",
             "--scheduler-file", options.scheduler_file,
             "--nthreads", str(options.threads),
             "--memory-limit", str(options.worker_memory)]
    line = " ".join(shlex.quote(w) for w in words)
    if options.local_directory:
        directory = options.local_directory
        # leave $VAR and ${VAR} to the job's shell (node-local scratch such as $TMPDIR)
        quoted = f'"{directory}"' if directory.startswith("$") else shlex.quote(directory)
        line += f" --local-directory {quoted}"
    if options.worker_extra_args:
        line += " " + " ".join(shlex.quote(a) for a in options.worker_extra_args)
    return line


def render_script(header: list[str], options: JobOptions, prefix: str,
                  job_id_expression: str, body_before: Sequence[str] = ()) -> str:
    """The whole job script: directives, prologue, the job id for the workers, launcher.

    ``header`` are the batch system's directive lines (with ``prefix``);
    lines containing any of ``options.job_directives_skip`` are dropped, and
    ``options.job_extra_directives`` are added (``prefix`` is prepended when
    a directive lacks it). ``job_id_expression`` is the shell expression of
    the job's id, exported as ``MPIFLOW_JOB_ID`` so each worker reports
    which job it belongs to.

    Examples
    --------
    >>> opts = make_options(cores=1, memory='1GB', scheduler_file='/s/f.json',
    ...                     log_directory='/s', python='python3', launcher='srun',
    ...                     job_extra_directives=['--exclusive'],
    ...                     job_script_prologue=['module load mpi'])
    >>> text = render_script(['#SBATCH -J w', '#SBATCH -t 00:30:00'], opts, '#SBATCH',
    ...                      '$SLURM_JOB_ID')
    >>> print(text.split(' --scheduler-file')[0])
    #!/usr/bin/env bash
    <BLANKLINE>
    #SBATCH -J w
    #SBATCH -t 00:30:00
    #SBATCH --exclusive
    <BLANKLINE>
    module load mpi
    export MPIFLOW_JOB_ID="$SLURM_JOB_ID"
    srun -n 1 python3 -m mpiflow worker
    """
    lines = [h for h in header if not any(skip in h for skip in options.job_directives_skip)]
    for extra in options.job_extra_directives:
        lines.append(extra if extra.startswith(prefix) else f"{prefix} {extra}")
    body = [*body_before, *options.job_script_prologue,
            f'export MPIFLOW_JOB_ID="{job_id_expression}"', worker_command(options)]
    return "\n".join(["#!/usr/bin/env bash", "", *lines, "", *body]) + "\n"
