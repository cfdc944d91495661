"""SLURMCluster: mpiflow workers in SLURM jobs (``sbatch``, ``squeue``, ``scancel``).

Examples
--------
>>> from mpiflow.jobqueue.script import make_options
>>> opts = make_options(cores=8, memory='16GiB', processes=2, queue='compute',
...                     account='proj42', walltime='02:00:00', scheduler_file='/s/f.json',
...                     log_directory='/s/logs', python='python3', launcher='srun')
>>> for line in SLURMCluster.header(opts):
...     print(line)
#SBATCH -J mpiflow-worker
#SBATCH -p compute
#SBATCH -A proj42
#SBATCH -n 2
#SBATCH --cpus-per-task=4
#SBATCH --mem=16G
#SBATCH -t 02:00:00
#SBATCH -o /s/logs/mpiflow-worker-%j.out
#SBATCH -e /s/logs/mpiflow-worker-%j.err
>>> SLURMCluster.parse_states('41 RUNNING\\n42 PENDING\\n')
{'41': 'RUNNING', '42': 'PENDING'}
"""

from __future__ import annotations

import subprocess

from mpiflow.jobqueue.cluster import JobQueueCluster
from mpiflow.jobqueue.options import format_walltime, slurm_memory
from mpiflow.jobqueue.script import JobOptions

__all__ = ["SLURMCluster"]


class SLURMCluster(JobQueueCluster):
    """An mpiflow cluster whose workers run in SLURM jobs.

    The scheduler runs here (or is attached to with ``scheduler_file=``);
    each job runs ``processes`` workers as one MPI launch (``srun -n
    processes``) that join it through the scheduler file, which therefore
    must be on a file system the compute nodes see.

    Parameters
    ----------
    cores : int
        Cores per job (shared by its worker processes as threads).
    memory : str or int
        Memory per job, e.g. ``'64GB'`` (``--mem``; split between its workers).
    processes : int, optional
        Worker processes (MPI ranks, ``--ntasks``) per job; default about
        ``sqrt(cores)``.
    queue, account : str, optional
        Partition (``-p``) and account (``-A``).
    walltime : str or int
        ``'HH:MM:SS'``, ``'D-HH:MM:SS'`` or minutes (default ``'00:30:00'``).
    job_name : str
        ``-J`` (default ``'mpiflow-worker'``).
    job_extra_directives : list of str
        More ``#SBATCH`` lines, e.g. ``['--exclusive', '--gres=gpu:1']``.
    job_script_prologue : list of str
        Shell lines before the workers start, e.g. ``['module load openmpi',
        'source ~/venv/bin/activate']``.
    job_directives_skip : list of str
        Drop generated directives containing any of these, e.g. ``['--mem']``.
    local_directory : str, optional
        Workers' scratch directory (``$TMPDIR`` etc. are left to the job's shell).
    log_directory : str, optional
        Where job output goes (default: the cluster's directory, removed at close).
    python : str
        The Python the workers run (default: this one, ``sys.executable``).
    worker_extra_args : list of str
        More arguments of ``mpiflow worker``.
    launcher : str
        ``'srun'`` (default), ``'mpiexec'`` (the one next to ``python``), or a
        command such as ``'srun --mpi=pmi2'``; ``-n processes`` is appended.
    submit_command, cancel_command, status_command : str
        Replace ``sbatch``, ``scancel``, ``squeue`` (a path or a wrapper).
    submit_command_extra : list of str
        Arguments added to every ``sbatch`` call.
    scheduler_file : str, optional
        Attach to the running scheduler of this file instead of starting one.
    shared_directory : str, optional
        Where the cluster's directory (scheduler file, job script, logs) is
        made: a file system the compute nodes see. Default
        ``~/.mpiflow/jobqueue`` (config ``jobqueue.shared-directory``,
        environment ``MPIFLOW_JOBQUEUE_SHARED_DIRECTORY``).
    lifetime : str or int, optional
        Retire each job's workers (moving their data) and cancel it after it
        has run this long, e.g. a bit less than ``walltime``. A replacement
        job is submitted first; the old one retires once another job's
        workers have joined to take its data.
    poll_interval : float
        Seconds between two looks at the queue and the scheduler.
    dashboard_address : str or None
        Where the scheduler serves its dashboard (``':8787'``; None: off).

    Examples
    --------
    >>> from mpiflow.jobqueue import SLURMCluster               # doctest: +SKIP
    >>> from mpiflow.distributed import Client                  # doctest: +SKIP
    >>> cluster = SLURMCluster(cores=32, memory='64GB', processes=4,
    ...                        walltime='01:00:00', queue='compute')  # doctest: +SKIP
    >>> print(cluster.job_script())                             # doctest: +SKIP
    >>> cluster.scale(jobs=2)                                   # doctest: +SKIP
    >>> client = Client(cluster)                                # doctest: +SKIP
    >>> cluster.adapt(minimum_jobs=1, maximum_jobs=10)          # doctest: +SKIP
    """

    submit_command = "sbatch"
    cancel_command = "scancel"
    status_command = "squeue"
    directive_prefix = "#SBATCH"
    default_launcher = "srun"
    job_id_expression = "$SLURM_JOB_ID"
    job_id_regexp = r"(?:Submitted batch job\s+)?(?P<job_id>\d+)"
    pending_states = frozenset({"PENDING", "CONFIGURING", "REQUEUED", "REQUEUE_HOLD",
                                "REQUEUE_FED", "RESV_DEL_HOLD", "SUSPENDED", "STOPPED",
                                "RESIZING", "SUBMITTED"})
    running_states = frozenset({"RUNNING", "COMPLETING", "SIGNALING", "STAGE_OUT"})

    @classmethod
    def header(cls, options: JobOptions) -> list[str]:
        """The ``#SBATCH`` lines of a worker job."""
        p = cls.directive_prefix
        lines = [f"{p} -J {options.job_name}"]
        if options.queue:
            lines.append(f"{p} -p {options.queue}")
        if options.account:
            lines.append(f"{p} -A {options.account}")
        lines += [f"{p} -n {options.processes}",
                  f"{p} --cpus-per-task={options.threads}",
                  f"{p} --mem={slurm_memory(options.memory)}",
                  f"{p} -t {format_walltime(options.walltime)}",
                  f"{p} -o {options.log_directory}/{options.job_name}-%j.out",
                  f"{p} -e {options.log_directory}/{options.job_name}-%j.err"]
        return lines

    def status_arguments(self, job_ids: list[str]) -> list[str]:
        """``squeue -h -t all -o '%i %T' -j ID,ID``: every state, ids and state names only."""
        return ["-h", "-t", "all", "-o", "%i %T", "-j", ",".join(job_ids)]

    @staticmethod
    def parse_states(text: str) -> dict[str, str]:
        """``{job id: state}`` from ``squeue -o '%i %T'``."""
        states = {}
        for line in text.splitlines():
            parts = line.split()
            if len(parts) >= 2:
                states[parts[0]] = parts[1].upper()
        return states

    @staticmethod
    def only_unknown_jobs(proc: subprocess.CompletedProcess) -> bool:
        """``squeue -j ID`` exits 1 when Slurm has forgotten the one job asked about."""
        return "Invalid job id" in (proc.stderr or "")
