"""Give a plain ``python`` process a process-manager identity before MPI starts.

A process not started by ``mpiexec`` initialises MPI as a *singleton*. With
MPICH every singleton looks the same to the processes it connects to, so a
cluster can talk to only one singleton in its whole life: the second
notebook that joins would hang. Before MPI is initialised, such a process
therefore starts a placeholder ``mpiexec -n 1 -pmi-port`` whose only job is
to hand out a PMI identity (``PMI_PORT``, ``PMI_ID``, ``PMI_HOSTNAME``); the
process copies it into its environment, so MPI_Init registers with the
placeholder's process manager and gets an identity of its own. Nothing is
forked after MPI_Init. At exit the placeholder is told to stop (its stdin
closes).

Examples
--------
>>> under_process_manager({'PMI_RANK': '0'})
True
>>> under_process_manager({})
False
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping

__all__ = ["under_process_manager", "borrow_identity", "find_mpiexec",
           "without_launch_identity"]

_LAUNCHER_VARS = ("PMI_RANK", "PMI_FD", "PMI_PORT", "PMIX_RANK", "OMPI_COMM_WORLD_SIZE",
                  "SLURM_PROCID", "HYDRA_CONTROL_FD")
_placeholder: subprocess.Popen | None = None


def under_process_manager(environ: Mapping[str, str] | None = None) -> bool:
    """Whether this process was started by ``mpiexec``/``srun`` (has a PMI identity)."""
    env = os.environ if environ is None else environ
    return any(name in env for name in _LAUNCHER_VARS)


#: What an MPI launcher gives each rank: its identity in that launch (MPICH's
#: hydra, PMIx, Open MPI). User settings (``MPIR_CVAR_*``, ``OMPI_MCA_*``) are kept.
_LAUNCH_PREFIXES = ("PMI_", "PMIX_", "HYDRA_", "OMPI_COMM_WORLD_")
_LAUNCH_NAMES = ("MPI_LOCALNRANKS", "MPI_LOCALRANKID", "OMPI_UNIVERSE_SIZE")


def without_launch_identity(environ: Mapping[str, str] | None = None, *,
                            allocation: bool = False) -> dict[str, str]:
    """A copy of ``environ`` (default ``os.environ``) for a process another launcher starts.

    A process started with the identity of the launch it came from (``PMI_RANK``,
    ``PMI_FD``...) would register with that launch's process manager instead of
    its own, and hang or crash in ``MPI_Init``. ``allocation=True`` also drops the
    Slurm allocation this process runs in (``SLURM_*`` except ``SLURM_CONF``), for
    jobs submitted from inside a job.

    Examples
    --------
    >>> env = {'PMI_RANK': '1', 'MPI_LOCALRANKID': '0', 'MPIR_CVAR_X': '1',
    ...        'SLURM_JOB_ID': '7', 'SLURM_CONF': '/etc/slurm.conf', 'PATH': '/bin'}
    >>> sorted(without_launch_identity(env))
    ['MPIR_CVAR_X', 'PATH', 'SLURM_CONF', 'SLURM_JOB_ID']
    >>> sorted(without_launch_identity(env, allocation=True))
    ['MPIR_CVAR_X', 'PATH', 'SLURM_CONF']
    """
    env = os.environ if environ is None else environ

    def inherited(name: str) -> bool:
        if name in _LAUNCH_NAMES or name.startswith(_LAUNCH_PREFIXES):
            return False
        return not (allocation and name.startswith("SLURM_") and name != "SLURM_CONF")

    return {k: v for k, v in env.items() if inherited(k)}


def find_mpiexec() -> str | None:
    """The ``mpiexec`` next to this Python (a venv with the MPICH wheel), else on PATH.

    Examples
    --------
    >>> path = find_mpiexec()
    >>> path is None or os.path.basename(path) == 'mpiexec'
    True
    """
    here = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    if os.access(here, os.X_OK):
        return here
    return shutil.which("mpiexec")


def borrow_identity(timeout: float = 30.0) -> bool:
    """Start the placeholder and copy its PMI identity into ``os.environ``.

    Does nothing (returns False) when MPI is already initialised, the process
    runs under a process manager, or no hydra ``mpiexec`` is found; the
    process then starts as a singleton.

    Examples
    --------
    >>> borrow_identity()  # in a plain python process, before MPI starts  # doctest: +SKIP
    True
    """
    global _placeholder
    if "mpi4py.MPI" in sys.modules or under_process_manager() or _placeholder is not None:
        return False
    mpiexec = find_mpiexec()
    if mpiexec is None:
        return False
    fd, path = tempfile.mkstemp(prefix="mpiflow-pmi-")
    os.close(fd)
    script = f"env | grep '^PMI_' > {path}.tmp; mv {path}.tmp {path}.ready; exec cat > /dev/null"
    try:
        proc = subprocess.Popen([mpiexec, "-n", "1", "-pmi-port", "sh", "-c", script],
                                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
    except OSError:
        os.unlink(path)
        return False
    ready = path + ".ready"
    deadline = time.monotonic() + timeout
    while not os.path.exists(ready):
        if proc.poll() is not None or time.monotonic() > deadline:
            with contextlib.suppress(OSError):
                proc.kill()
            os.unlink(path)
            return False
        time.sleep(0.01)
    with open(ready) as f:
        found = dict(line.rstrip("\n").split("=", 1) for line in f if "=" in line)
    for name in (path, ready):
        with contextlib.suppress(OSError):
            os.unlink(name)
    if "PMI_PORT" not in found:
        proc.kill()
        return False
    for name in ("PMI_PORT", "PMI_ID", "PMI_HOSTNAME"):
        if name in found:
            os.environ[name] = found[name]
    _placeholder = proc
    return True


def forget_borrowed_environment() -> None:
    """Remove the borrowed PMI variables once MPI has read them.

    Child processes (another client, a LocalCluster) must not inherit them:
    two processes with one PMI identity look like one process to MPI.

    Examples
    --------
    >>> forget_borrowed_environment()  # nothing was borrowed here: no effect
    """
    if _placeholder is not None:
        for name in ("PMI_PORT", "PMI_ID", "PMI_HOSTNAME"):
            os.environ.pop(name, None)


def release_identity() -> None:
    """Let the placeholder ``mpiexec`` end (after MPI is finalised or abandoned).

    Examples
    --------
    >>> release_identity()  # nothing was borrowed here: no effect
    """
    global _placeholder
    proc, _placeholder = _placeholder, None
    if proc is None:
        return
    with contextlib.suppress(OSError):
        proc.stdin.close()  # type: ignore[union-attr]
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
