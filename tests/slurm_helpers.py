"""The local SLURM under the job-queue tests: start it, submit to it, watch jobs, clean up.

``.ci/slurm.sh up`` starts a single-node Slurm on localhost (``.ci/run`` calls it,
and so does :func:`ensure_local_slurm` when nothing runs yet). Every wait here
has a timeout whose error names the job, the states it waited for, the state it
was in, and the tail of its output.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"
SLURM_SH = REPO / ".ci" / "slurm.sh"
#: Set by ``.ci/run`` when ``.ci/slurm.sh up`` failed there: the SLURM tests skip with it.
UNAVAILABLE_VAR = "MPIFLOW_TEST_SLURM_UNAVAILABLE"

# What a job must not inherit from the process that submits it: an MPI launcher's
# identity (a job's MPI would dial the submitter's process manager) and the
# variables of an enclosing Slurm job.
_LEAKY_PREFIXES = ("PMI_", "PMIX_", "HYDRA_", "MPIR_", "MPI_LOCAL", "OMPI_", "SLURM_", "SBATCH_",
                   "SRUN_", "PBS_")


@dataclass(frozen=True)
class LocalSlurm:
    """What the tests need to know about the running local Slurm."""

    partition: str
    cpus: int
    memory_mb: int
    max_jobs: int  #: one-CPU jobs of 1 GB that run at the same time
    started_here: bool = False


def slurm_running() -> bool:
    """Whether ``sinfo`` answers with a usable (idle/mixed/allocated) node."""
    if shutil.which("sinfo") is None:
        return False
    try:
        out = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True,
                             timeout=15).stdout
    except subprocess.TimeoutExpired:
        return False
    return any(s.startswith(("idle", "mixed", "allocated")) for s in out.split())


def unavailable_reason() -> str | None:
    """Why the local Slurm cannot be had here, or None when it runs or can be started."""
    reason = os.environ.get(UNAVAILABLE_VAR)
    if reason:
        return f"local Slurm unavailable: {reason}"
    if slurm_running():
        return None
    if shutil.which("slurmctld") is None:
        if os.geteuid() != 0:
            return "local Slurm is not installed and installing it needs root"
        if shutil.which("apt-get") is None:
            return "local Slurm is not installed and apt-get is not available to install it"
    elif os.geteuid() != 0:
        return "local Slurm is installed but not running, and starting it needs root"
    return None


def ensure_local_slurm(timeout: float = 300) -> LocalSlurm:
    """Start the local Slurm if it is not up (``.ci/slurm.sh up``) and describe it.

    Raises RuntimeError with the script's output when it cannot be started.
    """
    started = False
    if not slurm_running():
        try:
            proc = subprocess.run(["bash", str(SLURM_SH), "up"], capture_output=True, text=True,
                                  timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise RuntimeError(f"`{SLURM_SH} up` did not finish within {timeout} s") from exc
        if proc.returncode != 0:
            raise RuntimeError(f"`{SLURM_SH} up` failed with exit {proc.returncode}:\n"
                               f"{proc.stdout}{proc.stderr}")
        started = True
    out = _run(["sinfo", "-h", "-N", "-o", "%P %c %m"]).split()
    partition, cpus, memory = out[0].rstrip("*"), int(out[1]), int(out[2])
    return LocalSlurm(partition, cpus, memory, max_jobs=min(cpus, memory // 1024),
                      started_here=started)


def stop_local_slurm() -> None:
    """``.ci/slurm.sh down``: cancel every job and stop the daemons."""
    _run(["bash", str(SLURM_SH), "down"], timeout=120)


def job_env(base: dict[str, str] | None = None, **extra: str) -> dict[str, str]:
    """The environment to submit jobs with: no launcher identity, this venv first on PATH.

    Jobs inherit the submitter's environment (``--export=ALL``), so this is also
    the environment the job's processes start with. ``base`` defaults to ``os.environ``.
    """
    base = os.environ if base is None else base
    env = {k: v for k, v in base.items() if not k.startswith(_LEAKY_PREFIXES)}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PYTHONPATH"] = os.pathsep.join(p for p in [str(SRC), env.get("PYTHONPATH", "")] if p)
    env.setdefault("UCX_LOG_LEVEL", "error")
    env.update(extra)
    return env


def sbatch(*args: str, cwd: str | Path | None = None, env: dict | None = None) -> str:
    """Run ``sbatch --parsable ARGS`` and return the job id; a rejected job raises with stderr."""
    proc = subprocess.run(["sbatch", "--parsable", *args], capture_output=True, text=True,
                          timeout=60, cwd=cwd, env=job_env() if env is None else env)
    if proc.returncode != 0:
        raise RuntimeError(f"sbatch {' '.join(args)} failed (exit {proc.returncode}):\n"
                           f"{proc.stderr}{proc.stdout}")
    return proc.stdout.strip().split(";")[0]


def job_info(job_id: str) -> dict[str, str]:
    """``scontrol show job`` as a dict (JobState, ExitCode, StdOut, ...); {} once forgotten."""
    proc = subprocess.run(["scontrol", "show", "job", "-o", str(job_id)], capture_output=True,
                          text=True, timeout=30)
    if proc.returncode != 0:
        return {}
    return dict(re.findall(r"(\w[\w/:]*)=(\S*)", proc.stdout))


def job_state(job_id: str) -> str | None:
    """PENDING, RUNNING, COMPLETED, CANCELLED, FAILED, ... or None when Slurm no longer knows it."""
    return job_info(job_id).get("JobState")


def job_exit_code(job_id: str) -> tuple[int, int]:
    """``(exit code, signal)`` of a finished job, from ``scontrol show job``'s ExitCode."""
    code = job_info(job_id).get("ExitCode", "")
    if ":" not in code:
        raise RuntimeError(f"Slurm no longer knows job {job_id}: no exit code to read")
    status, signal = code.split(":")
    return int(status), int(signal)


def job_output(job_id: str, lines: int = 40) -> str:
    """The last ``lines`` lines of the job's stdout file (empty when it has none yet)."""
    path = job_info(job_id).get("StdOut")
    if not path or not os.path.exists(path):
        return ""
    with open(path, errors="replace") as f:
        return "".join(f.readlines()[-lines:])


FINISHED = ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL",
            "PREEMPTED", "BOOT_FAIL", "DEADLINE")


def wait_for_job_state(job_id: str, states: str | tuple[str, ...] | list[str],
                       timeout: float = 60) -> str:
    """Poll until job ``job_id`` is in one of ``states``; return that state.

    Raises TimeoutError naming the job, the wanted and the last seen state and
    the tail of its output; also when the job finished in another state.
    """
    wanted = (states,) if isinstance(states, str) else tuple(states)
    deadline = time.monotonic() + timeout
    state = None
    while True:
        state = job_state(job_id)
        if state in wanted:
            return state
        finished = state in FINISHED or state is None
        if finished or time.monotonic() > deadline:
            why = (f"it ended as {state}" if state else "Slurm no longer knows it") if finished \
                else f"it is still {state} after {timeout} s"
            raise TimeoutError(f"job {job_id} did not reach {'/'.join(wanted)}: {why}; "
                               f"its output:\n{job_output(job_id)}")
        time.sleep(0.2)


def scancel(*job_ids: str) -> None:
    """Cancel these jobs (no error for ones already gone)."""
    if job_ids:
        subprocess.run(["scancel", *job_ids], capture_output=True, timeout=30)


def queued_jobs(name_prefix: str = "") -> dict[str, str]:
    """``{job id: name}`` of the jobs in ``squeue`` whose name starts with ``name_prefix``."""
    out = _run(["squeue", "-h", "-o", "%i %j"])
    jobs = dict(line.split(" ", 1) for line in out.splitlines() if " " in line)
    return {i: n for i, n in jobs.items() if n.startswith(name_prefix)}


@dataclass
class JobTracker:
    """The jobs one test submitted; all cancelled at teardown.

    Submit with ``tracker.sbatch(...)`` (adds ``--job-name`` = ``tracker.name``), or
    give ``tracker.name`` as the job name to code that submits by itself (e.g.
    ``SLURMCluster(job_name=tracker.name)``): every queued job whose name starts
    with it is cancelled at the end, and no job of anyone else.
    """

    name: str = field(default_factory=lambda: f"mpiflow-test-{uuid.uuid4().hex[:8]}")
    job_ids: list[str] = field(default_factory=list)

    def sbatch(self, *args: str, cwd: str | Path | None = None,
               env: dict | None = None) -> str:
        job_id = sbatch(f"--job-name={self.name}", *args, cwd=cwd, env=env)
        self.job_ids.append(job_id)
        return job_id

    def track(self, job_id: str) -> str:
        self.job_ids.append(str(job_id))
        return str(job_id)

    def cancel_all(self, timeout: float = 60) -> list[str]:
        """Cancel this test's jobs that are still queued; return their ids."""
        left = sorted(set(queued_jobs(self.name)) | (set(self.job_ids) & set(queued_jobs())))
        scancel(*left)
        deadline = time.monotonic() + timeout
        while set(left) & set(queued_jobs()) and time.monotonic() < deadline:
            time.sleep(0.2)
        return left


@pytest.fixture(scope="session")
def local_slurm() -> LocalSlurm:
    """The running local Slurm: partition, CPUs, memory and how many 1-CPU jobs fit at once.

    Starts it (``.ci/slurm.sh up``) unless it runs, and stops it at the end only
    when it started it. Skips only when Slurm cannot be had here (see
    :func:`unavailable_reason`); as root with apt-get, a Slurm that does not
    start is an error. Conftests use it with ``from slurm_helpers import local_slurm``.
    """
    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    info = ensure_local_slurm()
    yield info
    if info.started_here:
        stop_local_slurm()


@pytest.fixture
def slurm_jobs(local_slurm: LocalSlurm) -> JobTracker:
    """A :class:`JobTracker` for one test: its jobs are cancelled after the test."""
    tracker = JobTracker()
    yield tracker
    tracker.cancel_all()


def _run(cmd: list[str], timeout: float = 30) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed (exit {proc.returncode}):\n"
                           f"{proc.stderr}{proc.stdout}")
    return proc.stdout
