"""PBSCluster: mpiflow workers in PBS Pro / Torque / OpenPBS jobs (``qsub``, ``qstat``, ``qdel``).

Examples
--------
>>> from mpiflow.jobqueue.script import make_options
>>> opts = make_options(cores=8, memory='16GiB', processes=2, queue='workq',
...                     account='proj42', walltime='02:00:00', scheduler_file='/s/f.json',
...                     log_directory='/s/logs', python='python3', launcher='mpiexec')
>>> for line in PBSCluster.header(opts):
...     print(line)
#PBS -N mpiflow-worker
#PBS -q workq
#PBS -A proj42
#PBS -l select=1:ncpus=8:mem=16gb
#PBS -l walltime=02:00:00
#PBS -j oe
#PBS -o /s/logs/
>>> PBSCluster.parse_states('''Job id  Name  User  Time Use S Queue
... ------- ----- ----- -------- - -----
... 41.srv  w     me    00:00:01 R workq
... 42.srv  w     me    0        Q workq''')
{'41.srv': 'R', '42.srv': 'Q'}
"""

from __future__ import annotations

import re
import subprocess

from mpiflow.jobqueue.cluster import JobQueueCluster
from mpiflow.jobqueue.options import format_walltime, pbs_memory
from mpiflow.jobqueue.script import JobOptions

__all__ = ["PBSCluster"]


class PBSCluster(JobQueueCluster):
    """An mpiflow cluster whose workers run in PBS jobs.

    Takes every parameter of :class:`~mpiflow.jobqueue.SLURMCluster` (with
    ``qsub``/``qdel``/``qstat`` as the commands and ``mpiexec`` as the
    default launcher), plus:

    Parameters
    ----------
    resource_spec : str, optional
        The ``-l`` resource request; default ``'select=1:ncpus={cores}:mem={memory}'``
        (PBS Pro). Torque sites write e.g. ``'nodes=1:ppn=32,mem=64gb'``.
    directives_on_command_line : bool
        Also pass the job's name, queue, account, resources and walltime as
        ``qsub`` options. Needed where ``qsub`` ignores ``#PBS`` lines, as
        Slurm's Torque-style ``qsub`` wrapper does (it keeps only one ``-l``,
        so resources and walltime go in one).

    Examples
    --------
    >>> from mpiflow.jobqueue import PBSCluster                     # doctest: +SKIP
    >>> cluster = PBSCluster(cores=24, memory='100GB', processes=4,
    ...                      queue='workq', walltime='02:00:00')     # doctest: +SKIP
    >>> cluster.scale(jobs=4)                                       # doctest: +SKIP
    """

    submit_command = "qsub"
    cancel_command = "qdel"
    status_command = "qstat"
    directive_prefix = "#PBS"
    default_launcher = "mpiexec"
    # Slurm's Torque-style qsub runs the job without PBS_* variables: fall back to Slurm's id
    job_id_expression = "${PBS_JOBID:-${SLURM_JOB_ID:-}}"
    job_id_regexp = r"(?P<job_id>\d+(?:\.[\w.-]+)?)"
    pending_states = frozenset({"Q", "H", "W", "T", "S", "U", "M", "SUBMITTED"})
    running_states = frozenset({"R", "E", "B", "X"})

    def _subclass_options(self, kwargs: dict) -> dict:
        self.directives_on_command_line = bool(kwargs.pop("directives_on_command_line", False))
        return {"resource_spec": kwargs.pop("resource_spec", None)}

    @staticmethod
    def resources(options: JobOptions) -> str:
        """The ``-l`` resource request (``resource_spec`` or the PBS Pro default)."""
        return options.resource_spec or (
            f"select=1:ncpus={options.cores}:mem={pbs_memory(options.memory)}")

    @classmethod
    def header(cls, options: JobOptions) -> list[str]:
        """The ``#PBS`` lines of a worker job."""
        p = cls.directive_prefix
        lines = [f"{p} -N {options.job_name}"]
        if options.queue:
            lines.append(f"{p} -q {options.queue}")
        if options.account:
            lines.append(f"{p} -A {options.account}")
        lines += [f"{p} -l {cls.resources(options)}",
                  f"{p} -l walltime={format_walltime(options.walltime)}",
                  f"{p} -j oe",
                  f"{p} -o {options.log_directory}/"]
        return lines

    def submit_arguments(self) -> list[str]:
        """``qsub`` options: ``submit_command_extra``, and the directives when asked."""
        args = list(self.submit_command_extra)
        if self.directives_on_command_line:
            o = self.options
            skip = o.job_directives_skip
            wanted = [("-N", o.job_name), ("-q", o.queue), ("-A", o.account),
                      ("-l", f"{self.resources(o)},walltime={format_walltime(o.walltime)}"),
                      ("-j", "oe")]
            for flag, value in wanted:
                if value and not any(s in f"{flag} {value}" for s in skip):
                    args += [flag, value]
        return args

    def status_arguments(self, job_ids: list[str]) -> list[str]:
        """``qstat ID ...``."""
        return list(job_ids)

    @staticmethod
    def parse_states(text: str) -> dict[str, str]:
        """``{job id: state letter}`` from ``qstat``'s table (the column before the queue)."""
        states = {}
        for line in text.splitlines():
            parts = line.split()
            if len(parts) >= 3 and re.match(r"\d", parts[0]) and len(parts[-2]) == 1:
                states[parts[0]] = parts[-2].upper()
        return states

    @staticmethod
    def only_unknown_jobs(proc: subprocess.CompletedProcess) -> bool:
        """``qstat`` exits 153 ("Unknown Job Id") for jobs the server has forgotten."""
        return proc.returncode == 153 or "Unknown Job" in (proc.stderr or "")
