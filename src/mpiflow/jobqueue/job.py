"""One worker job in the batch queue, and running the queue's commands.

:func:`run_command` runs ``sbatch``/``squeue``/``scancel`` (or ``qsub``,
``qstat``, ``qdel``) with a timeout and turns every way it can fail into
an error that says what happened and what to change: a command that is not
on ``PATH`` names the option that overrides it, a job the queue rejects
shows the queue's own words. :class:`Job` is the cluster's record of one
submitted job.

Examples
--------
>>> job = Job('123', '/tmp/job.sh', log_directory='/nonexistent')
>>> job.state, job.matches('123'), job.matches('123.pbs-server'), job.matches('1234')
('pending', True, True, False)
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field

from mpiflow.distributed.comm.pmi import without_launch_identity

__all__ = ["JobQueueError", "Job", "run_command", "require_command", "command_env", "same_job_id"]

#: Seconds a queue command may take before it is reported as hung.
COMMAND_TIMEOUT = 60.0

class JobQueueError(RuntimeError):
    """A batch-queue command failed, or a job ended before its workers joined."""


def same_job_id(a: str, b: str) -> bool:
    """Whether two job ids name the same job (PBS ids may carry a ``.server`` suffix).

    Examples
    --------
    >>> same_job_id('42', '42.pbs01'), same_job_id('42', '421')
    (True, False)
    """
    a, b = str(a).strip(), str(b).strip()
    return a == b or a.split(".", 1)[0] == b.split(".", 1)[0]


def command_env() -> dict[str, str]:
    """This process's environment without its MPI and Slurm-allocation identity.

    A job submitted from inside an ``mpiexec`` launch or a Slurm job would
    otherwise hand that identity to its own ranks (and ``sbatch`` refuses
    conflicting inherited memory settings).

    Examples
    --------
    >>> import os
    >>> os.environ['PMI_RANK'] = '0'
    >>> 'PMI_RANK' in command_env(), 'PATH' in command_env()
    (False, True)
    >>> del os.environ['PMI_RANK']
    """
    return without_launch_identity(allocation=True)


def require_command(program: str, *, what: str, option: str, kind: str) -> None:
    """Raise :class:`JobQueueError` naming ``program`` and ``option`` when it is not on PATH.

    Examples
    --------
    >>> require_command('sh', what='run', option='submit_command', kind='SLURMCluster')
    """
    if shutil.which(program) is None:
        raise JobQueueError(
            f"{kind} cannot {what}: the command {program!r} is not on PATH. Run this where the "
            f"batch system's commands work (a login node), load its module, or pass "
            f"{option}='/full/path/to/{os.path.basename(program)}' to {kind}"
        )


def run_command(command: list[str], *, what: str, option: str, kind: str,
                cwd: str | None = None, timeout: float = COMMAND_TIMEOUT,
                check: bool = True) -> subprocess.CompletedProcess:
    """Run a queue command; raise :class:`JobQueueError` saying what went wrong.

    ``what`` says what the command was for ("submit the job"), ``option``
    names the parameter that chooses the command (``'submit_command'``),
    ``kind`` the cluster class.

    Examples
    --------
    >>> run_command(['no-such-sbatch'], what='submit a job', option='submit_command',
    ...             kind='SLURMCluster')  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mpiflow.jobqueue.job.JobQueueError: SLURMCluster cannot submit a job: the command ...
    """
    require_command(command[0], what=what, option=option, kind=kind)
    try:
        proc = subprocess.run(command, capture_output=True, text=True, cwd=cwd,
                              timeout=timeout, env=command_env(), stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise JobQueueError(
            f"{kind} could not {what}: `{' '.join(command)}` did not answer within "
            f"{timeout:g} s (is the batch system's controller up?)"
        ) from None
    if check and proc.returncode != 0:
        raise JobQueueError(
            f"{kind} could not {what}: `{' '.join(command)}` exited with code "
            f"{proc.returncode}. Its output:\n{(proc.stderr + proc.stdout).strip()}"
        )
    return proc


@dataclass
class Job:
    """A worker job this cluster submitted, as far as the cluster knows it.

    ``state`` is one of ``'pending'`` (queued, or running but no worker has
    joined yet), ``'running'`` (its workers joined), ``'closing'`` (being
    retired), ``'finished'`` (ended after its workers had joined: walltime,
    retired, or cancelled by us), ``'failed'`` (ended before any worker
    joined). ``queue_state`` is the batch system's own word for it.
    """

    job_id: str
    script: str
    log_directory: str
    submitted: float = field(default_factory=time.time)
    state: str = "pending"
    queue_state: str = "SUBMITTED"
    started: float | None = None
    joined: float | None = None
    ended: float | None = None
    cancelled: float | None = None
    workers: set[str] = field(default_factory=set)
    #: ``(time, state, why)`` for every change of :attr:`state`, oldest first.
    history: list[tuple[float, str, str]] = field(default_factory=list)

    def move(self, state: str, why: str) -> None:
        """Change :attr:`state` to ``state`` and note ``why`` in :attr:`history`.

        Examples
        --------
        >>> job = Job('42', 'job.sh', '/tmp')
        >>> job.move('running', 'its workers joined')
        >>> job.state, job.history[-1][1:]
        ('running', ('running', 'its workers joined'))
        """
        if state != self.state:
            self.state = state
            self.history.append((time.time(), state, why))

    def matches(self, job_id: str | None) -> bool:
        """Whether ``job_id`` (as a worker reports it) is this job."""
        return job_id is not None and same_job_id(self.job_id, job_id)

    @property
    def active(self) -> bool:
        """Counted towards the cluster's size: queued, starting or serving."""
        return self.state in ("pending", "running")

    @property
    def done(self) -> bool:
        """Ended for good."""
        return self.state in ("finished", "failed")

    def log_files(self) -> list[str]:
        """The job's output files in the log directory (named after its id)."""
        short = re.escape(self.job_id.split(".", 1)[0])
        found = []
        for path in sorted(glob.glob(os.path.join(self.log_directory, "*"))):
            if re.search(rf"(?<!\d){short}(?!\d)", os.path.basename(path)):
                found.append(path)
        return found

    def log_tail(self, lines: int = 20) -> str:
        """The last ``lines`` lines of each of the job's output files."""
        parts = []
        for path in self.log_files():
            try:
                with open(path, errors="replace") as f:
                    text = "".join(f.readlines()[-lines:])
            except OSError:
                continue
            parts.append(f"--- {path} ---\n{text.rstrip()}" if text.strip()
                         else f"--- {path} (empty) ---")
        return "\n".join(parts) if parts else (
            f"(no output file for job {self.job_id} in {self.log_directory})")
