"""JobQueueCluster: a scheduler here, workers in batch jobs that join it.

The cluster starts a scheduler on this machine (``mpiexec -n 1 python -m
mpiflow cluster --scheduler-file F``, with no workers of its own) or attaches
to a running one (``scheduler_file=``), then submits worker jobs whose
ranks run ``mpiflow worker --scheduler-file F`` and join it through its MPI
port. A background thread polls the queue (``squeue``/``qstat``) and the
scheduler, so the cluster knows which job is pending, which has workers,
and which died before any worker joined (reported with its log tail).

Subclasses (:class:`~mpiflow.jobqueue.SLURMCluster`,
:class:`~mpiflow.jobqueue.PBSCluster`) supply the directives and the
queue's commands; everything else is here.
"""

from __future__ import annotations

import atexit
import contextlib
import math
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import warnings
from collections.abc import Sequence
from typing import Any

from mpiflow import config
from mpiflow.jobqueue.control import ControlProcess
from mpiflow.jobqueue.job import (
    Job,
    JobQueueError,
    command_env,
    require_command,
    run_command,
)
from mpiflow.jobqueue.options import parse_walltime
from mpiflow.jobqueue.scheduler import node_local_reason, start_scheduler, tail
from mpiflow.jobqueue.script import JobOptions, make_options, render_script

__all__ = ["JobQueueCluster"]

#: Seconds to wait for the scheduler to publish its file.
START_TIMEOUT = 60.0


class JobQueueCluster:
    """Base class of the batch-queue clusters; use a subclass such as ``SLURMCluster``.

    Subclasses set the class attributes (commands, directive prefix, default
    launcher, the shell expression of the job id) and implement
    :meth:`header` and :meth:`parse_states`.
    """

    submit_command = ""
    cancel_command = ""
    status_command = ""
    directive_prefix = ""
    default_launcher = "mpiexec"
    job_id_expression = ""
    job_id_regexp = r"(?P<job_id>\d+(?:\.\S+)?)"
    #: Queue states that mean "queued, not running yet" and "running".
    pending_states: frozenset = frozenset()
    running_states: frozenset = frozenset()
    #: First wait (seconds) before submitting again after a job died before joining;
    #: doubles with each such job in a row.
    failure_backoff = 5.0
    #: After this many jobs in a row die before joining, stop submitting (until scale/adapt).
    max_failures = 5

    def __init__(self, cores: int | None = None, memory: str | int | None = None,
                 processes: int | None = None, queue: str | None = None,
                 account: str | None = None, walltime: str | int | None = "00:30:00",
                 job_name: str | None = "mpiflow-worker",
                 job_extra_directives: Sequence[str] | None = None,
                 job_script_prologue: Sequence[str] | None = None,
                 job_directives_skip: Sequence[str] | None = None,
                 local_directory: str | None = None, log_directory: str | None = None,
                 python: str | None = None, worker_extra_args: Sequence[str] | None = None,
                 launcher: str | None = None, submit_command: str | None = None,
                 cancel_command: str | None = None, status_command: str | None = None,
                 submit_command_extra: Sequence[str] | None = None,
                 scheduler_file: str | None = None, shared_directory: str | None = None,
                 lifetime: str | int | None = None, poll_interval: float = 2.0,
                 dashboard_address: str | None = ":8787", timeout: float = START_TIMEOUT,
                 **kwargs: Any) -> None:
        kind = type(self).__name__
        extra = self._subclass_options(kwargs)
        if kwargs:
            raise TypeError(f"{kind} got unexpected arguments {sorted(kwargs)}; see "
                            f"help({kind}) for its parameters")
        self.submit_command = submit_command or self.submit_command
        self.cancel_command = cancel_command or self.cancel_command
        self.status_command = status_command or self.status_command
        self.submit_command_extra = list(submit_command_extra or [])
        self.poll_interval = float(poll_interval)
        self.lifetime = parse_walltime(lifetime, "lifetime") if lifetime is not None else None
        self._expiring: set[str] = set()  # past lifetime, waiting for a replacement to join
        job = dict(cores=cores, memory=memory, processes=processes, walltime=walltime,
                   job_name=job_name, python=python,
                   launcher=launcher or self.default_launcher, queue=queue, account=account,
                   local_directory=local_directory, job_extra_directives=job_extra_directives,
                   job_script_prologue=job_script_prologue,
                   job_directives_skip=job_directives_skip,
                   worker_extra_args=worker_extra_args, kind=kind, **extra)
        make_options(scheduler_file="scheduler.json", log_directory="logs", **job)  # bad input
        # fail before anything starts when the queue's commands are missing
        require_command(shlex.split(self.submit_command)[0], what="submit worker jobs",
                        option="submit_command", kind=kind)
        # -- where things go ------------------------------------------------------
        self._attached = scheduler_file is not None
        shared = os.path.expanduser(shared_directory or config.get(
            "jobqueue.shared-directory", os.path.join("~", ".mpiflow", "jobqueue")))
        os.makedirs(shared, exist_ok=True)
        self.directory = tempfile.mkdtemp(prefix=f"{job_name or 'cluster'}-", dir=shared)
        self._own_directory = log_directory is None
        self.scheduler_file = os.path.abspath(
            os.path.expanduser(scheduler_file) if scheduler_file
            else os.path.join(self.directory, "scheduler.json"))
        self.log_directory = os.path.abspath(os.path.expanduser(
            log_directory or os.path.join(self.directory, "logs")))
        os.makedirs(self.log_directory, exist_ok=True)
        self.options: JobOptions = make_options(
            scheduler_file=self.scheduler_file, log_directory=self.log_directory, **job)
        self.script_path = os.path.join(self.directory, "job.sh")
        with open(self.script_path, "w") as f:
            f.write(self.job_script())
        reason = node_local_reason(self.scheduler_file)
        if reason is not None:
            warnings.warn(
                f"{kind}: the scheduler file {self.scheduler_file} is {reason}; worker jobs "
                "that run on other nodes will not find it and never join. Pass "
                "shared_directory= (or scheduler_file=) a path on a file system the compute "
                "nodes share with this one (your home or project directory).",
                UserWarning, stacklevel=2)
        # -- state -----------------------------------------------------------------
        self.jobs: dict[str, Job] = {}
        self.failures: list[tuple[str, str]] = []  # (job id, why) of jobs that never joined
        self._target_jobs = 0
        self._failures_in_row = 0
        self._submit_after = 0.0
        self._stopped_submitting: str | None = None
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._adaptive: Any = None
        self._scheduler: subprocess.Popen | None = None
        self._control: ControlProcess | None = None
        self.status = "starting"
        atexit.register(self.close)
        try:
            if not self._attached:
                self._start_scheduler(dashboard_address, timeout)
            self._start_control()
        except BaseException:
            self.close()
            raise
        self._monitor = threading.Thread(target=self._watch, name="mpiflow-jobqueue-monitor",
                                         daemon=True)
        self._monitor.start()
        self.status = "running"

    # -- hooks for subclasses -----------------------------------------------------------
    def _subclass_options(self, kwargs: dict) -> dict:
        """Pop subclass-only parameters from ``kwargs``; return those make_options takes."""
        return {}

    @classmethod
    def header(cls, options: JobOptions) -> list[str]:
        """The directive lines of a worker job (subclasses implement)."""
        raise NotImplementedError

    @staticmethod
    def parse_states(text: str) -> dict[str, str]:
        """``{job id: queue state}`` from the status command's output (subclasses implement)."""
        raise NotImplementedError

    def status_arguments(self, job_ids: list[str]) -> list[str]:
        """Arguments of the status command that list ``job_ids`` (subclasses override)."""
        return job_ids

    def submit_arguments(self) -> list[str]:
        """Extra arguments of the submit command before the script (subclasses extend)."""
        return list(self.submit_command_extra)

    @classmethod
    def script_preamble(cls, options: JobOptions) -> list[str]:
        """Shell lines that run before the prologue (subclasses override)."""
        return []

    # -- the job script -----------------------------------------------------------------
    def job_script(self) -> str:
        """The exact script each worker job runs, as it will be submitted.

        Examples
        --------
        >>> print(SLURMCluster(cores=4, memory='8GB').job_script())  # doctest: +SKIP
        #!/usr/bin/env bash
        <BLANKLINE>
        #SBATCH -J mpiflow-worker
        ...
        """
        return self.render(self.options)

    @classmethod
    def render(cls, options: JobOptions) -> str:
        """The job script for ``options``, with no cluster (``mpiflow jobqueue --print-script``).

        Examples
        --------
        >>> from mpiflow.jobqueue import SLURMCluster
        >>> from mpiflow.jobqueue.script import make_options
        >>> opts = make_options(cores=2, memory='2GiB', scheduler_file='/s/f.json',
        ...                     log_directory='/s/logs', python='python3', launcher='srun')
        >>> print(SLURMCluster.render(opts))  # doctest: +ELLIPSIS
        #!/usr/bin/env bash
        <BLANKLINE>
        #SBATCH -J mpiflow-worker
        ...
        """
        return render_script(cls.header(options), options, cls.directive_prefix,
                             cls.job_id_expression, cls.script_preamble(options))

    # -- scheduler and helper --------------------------------------------------------
    def _start_scheduler(self, dashboard_address: str | None, timeout: float) -> None:
        self._scheduler = start_scheduler(self.scheduler_file, self.directory,
                                          dashboard_address, timeout, type(self).__name__)

    def _start_control(self) -> None:
        self._control = ControlProcess(self.scheduler_file,
                                       os.path.join(self.directory, "control.log"),
                                       env=command_env())

    def _ask(self, method: str, **kwargs: Any) -> Any:
        """Ask the scheduler through the helper process (restarted if it ended)."""
        if self._control is None or self.status == "closed":
            raise RuntimeError(f"the {type(self).__name__} is {self.status}")
        if self._control.proc.poll() is not None:
            self._control.close()
            self._start_control()
        return self._control.call(method, **kwargs)

    # -- the queue ------------------------------------------------------------------------
    def _submit_one(self) -> Job:
        kind = type(self).__name__
        command = [*shlex.split(self.submit_command), *self.submit_arguments(),
                   self.script_path]
        proc = run_command(command, what="submit a worker job", option="submit_command",
                           kind=kind, cwd=self.log_directory, check=False)
        text = (proc.stdout or "").strip()
        match = re.search(self.job_id_regexp, text)
        if proc.returncode != 0 or match is None:
            raise JobQueueError(
                f"the batch system rejected the worker job: `{' '.join(command)}` exited with "
                f"code {proc.returncode} and said:\n{(proc.stderr + proc.stdout).strip()}\n"
                f"The job script is {self.script_path} (print it with cluster.job_script()); "
                f"change the {kind} parameters it came from.")
        job = Job(match.group("job_id"), self.script_path, self.log_directory)
        self.jobs[job.job_id] = job
        return job

    def _cancel(self, jobs: list[Job]) -> None:
        if not jobs:
            return
        now = time.time()
        for job in jobs:
            job.cancelled = job.cancelled or now
        run_command([*shlex.split(self.cancel_command), *[j.job_id for j in jobs]],
                    what="cancel its jobs", option="cancel_command",
                    kind=type(self).__name__, check=False)

    def _queue_states(self, job_ids: list[str]) -> dict[str, str]:
        if not job_ids:
            return {}
        proc = run_command([*shlex.split(self.status_command),
                            *self.status_arguments(job_ids)],
                           what="ask the queue about its jobs", option="status_command",
                           kind=type(self).__name__, check=False)
        if proc.returncode != 0 and not self.only_unknown_jobs(proc):
            raise JobQueueError(f"`{self.status_command}` failed with exit code "
                                f"{proc.returncode}: {(proc.stderr + proc.stdout).strip()}")
        return self.parse_states(proc.stdout or "")

    @staticmethod
    def only_unknown_jobs(proc: subprocess.CompletedProcess) -> bool:
        """Whether a failed status command only failed because it no longer knows the jobs."""
        return False

    # -- keeping the cluster at its target ------------------------------------------------
    def _watch(self) -> None:
        while not self._stop.wait(self.poll_interval):
            try:
                self.update()
            except Exception as exc:  # noqa: BLE001 - keep watching; say what went wrong
                if self._stop.is_set():
                    return
                warnings.warn(f"{type(self).__name__} could not check its jobs: {exc}",
                              RuntimeWarning, stacklevel=1)

    def update(self) -> None:
        """Poll the queue and the scheduler once, then submit or retire jobs to meet the target.

        The background thread calls this every ``poll_interval`` seconds.
        """
        with self._lock:
            if self.status == "closed":
                return
            live = [j for j in self.jobs.values() if not j.done]
            states = self._queue_states([j.job_id for j in live])
            workers = self._ask("scheduler_info")["workers"]
            now = time.time()
            for job in live:
                seen = {w for w, info in workers.items() if job.matches(info.get("job_id"))}
                if job.workers and seen != job.workers:  # e.g. a worker was lost
                    job.history.append((now, job.state, f"workers {sorted(job.workers)} "
                                                        f"are now {sorted(seen)}"))
                job.workers = seen
                raw = next((s for i, s in states.items() if job.matches(i)), None)
                job.queue_state = raw or "GONE"
                if job.workers and job.joined is None:
                    job.joined = now
                    self._failures_in_row = 0
                if raw in self.running_states and job.started is None:
                    job.started = now
                if job.state == "pending" and job.workers:
                    job.move("running", f"workers joined: {sorted(job.workers)}")
                if raw not in self.pending_states and raw not in self.running_states \
                        and not job.workers:
                    self._job_ended(job, now)
            if self.lifetime is not None:
                self._replace_expired(now)
            self._reconcile()

    def _replace_expired(self, now: float) -> None:
        """Retire jobs past ``lifetime`` once other jobs' workers can take their data.

        While no other job has joined, the expired jobs stop counting towards the
        target, so replacements are submitted first; they retire on a later poll.
        """
        old = [j for j in self.jobs.values() if j.state == "running" and j.started
               and now - j.started >= self.lifetime]
        self._expiring = {j.job_id for j in old}
        fresh = [j for j in self.jobs.values()
                 if j.active and j.workers and j.job_id not in self._expiring]
        if old and (fresh or self._target_jobs == 0):
            self._close_jobs(old)
            self._expiring = set()

    def _job_ended(self, job: Job, now: float) -> None:
        job.ended = now
        if job.joined is not None or job.cancelled is not None:
            job.move("finished", f"left the queue ({job.queue_state}) after "
                     f"{'its workers joined' if job.joined is not None else 'we cancelled it'}")
            return
        job.move("failed", f"left the queue ({job.queue_state}) before its workers joined")
        why = (f"job {job.job_id} ended ({job.queue_state}) before its workers joined the "
               f"cluster. Its output:\n{job.log_tail()}")
        self.failures.append((job.job_id, why))
        self._failures_in_row += 1
        wait = self.failure_backoff * 2 ** (self._failures_in_row - 1)
        self._submit_after = now + wait
        if self._failures_in_row >= self.max_failures:
            self._stopped_submitting = (
                f"{self._failures_in_row} jobs in a row ended before their workers joined, so "
                f"{type(self).__name__} stopped submitting jobs. Fix the cause (see "
                "cluster.logs() and cluster.job_script()), then call cluster.scale() or "
                "cluster.adapt() again. The last one: " + why)
            warnings.warn(self._stopped_submitting, RuntimeWarning, stacklevel=3)
        else:
            warnings.warn(f"{why}\n{type(self).__name__} waits {wait:g} s before submitting "
                          "another job.", RuntimeWarning, stacklevel=3)

    def _reconcile(self) -> None:
        active = [j for j in self.jobs.values()
                  if j.active and j.job_id not in self._expiring]
        missing = self._target_jobs - len(active)
        if missing > 0:
            if self._stopped_submitting or time.time() < self._submit_after:
                return
            for _ in range(missing):
                self._submit_one()
        elif missing < 0:
            self._close_jobs(self._jobs_to_close(-missing, active))

    def _jobs_to_close(self, count: int, active: list[Job]) -> list[Job]:
        """Jobs without workers first (newest first), then those the scheduler would retire."""
        idle = sorted((j for j in active if not j.workers), key=lambda j: -j.submitted)
        chosen = idle[:count]
        if len(chosen) < count:
            serving = [j for j in active if j.workers]
            keep = sum(len(j.workers) for j in serving) - \
                self.options.processes * (count - len(chosen))
            try:
                order = self._ask("workers_to_close", n=max(0, keep))
            except RuntimeError:
                order = []
            rank = {w: i for i, w in enumerate(order)}
            serving.sort(key=lambda j: (not all(w in rank for w in j.workers),
                                        min(rank.get(w, len(rank)) for w in j.workers),
                                        -j.submitted))
            chosen += serving[:count - len(chosen)]
        return chosen

    def _close_jobs(self, jobs: list[Job]) -> None:
        """Retire the workers of ``jobs`` (their data moves to the others), then cancel them."""
        workers = sorted(w for j in jobs for w in j.workers)
        others = [j for j in self.jobs.values() if j.workers and j not in jobs]
        for job in jobs:
            job.move("closing" if job.workers else "finished", "closed by the cluster")
        if workers and others:
            try:
                self._ask("retire_workers", workers=workers)
            except (RuntimeError, TimeoutError) as exc:
                warnings.warn(f"{type(self).__name__} could not retire {workers} gracefully "
                              f"({exc}); cancelling their jobs anyway", RuntimeWarning,
                              stacklevel=3)
        self._cancel(jobs)
        for job in jobs:
            job.move("finished", "cancelled by the cluster")
            job.workers = set()
            job.ended = job.ended or time.time()

    # -- public API ---------------------------------------------------------------------
    def scale(self, n: int | None = None, jobs: int | None = None) -> None:
        """Ask for ``jobs`` worker jobs, or enough jobs for ``n`` workers.

        Growing submits jobs at once; shrinking cancels pending jobs first,
        then retires the workers of running jobs (their data moves to the
        workers that stay) and cancels those jobs. Stops :meth:`adapt`.

        Examples
        --------
        >>> cluster.scale(jobs=4)  # doctest: +SKIP
        >>> cluster.scale(8)       # 8 workers: 4 jobs of 2 processes  # doctest: +SKIP
        """
        self._stop_adaptive()
        self._scale_jobs(self._jobs_for(n, jobs), resume=True)

    def _jobs_for(self, n: int | None, jobs: int | None) -> int:
        if (n is None) == (jobs is None):
            raise TypeError("scale() takes either n= (workers) or jobs=, e.g. "
                            "cluster.scale(jobs=4)")
        value = jobs if jobs is not None else n
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"scale() needs a whole number >= 0, got {value!r}")
        return jobs if jobs is not None else math.ceil(n / self.options.processes)

    def _scale_jobs(self, count: int, resume: bool = False) -> None:
        """Set the target number of jobs and act on it; ``resume`` forgets past failures."""
        with self._lock:
            if self.status != "running":
                raise RuntimeError(f"the {type(self).__name__} is {self.status}")
            self._target_jobs = count
            if resume:
                self._stopped_submitting = None
                self._failures_in_row = 0
                self._submit_after = 0.0
            self._reconcile()

    def adapt(self, minimum: int = 0, maximum: float = math.inf,
              minimum_jobs: int | None = None, maximum_jobs: int | None = None,
              interval: float = 1.0, wait_count: int = 3,
              target_duration: float = 5.0) -> Any:
        """Grow and shrink with the queued work; see :class:`~mpiflow.jobqueue.Adaptive`.

        Examples
        --------
        >>> cluster.adapt(minimum_jobs=1, maximum_jobs=10)  # doctest: +SKIP
        <Adaptive minimum_jobs=1 maximum_jobs=10 ...>
        """
        from mpiflow.jobqueue.adaptive import Adaptive

        self._stop_adaptive()
        with self._lock:
            self._stopped_submitting = None
            self._failures_in_row = 0
            self._submit_after = 0.0
        self._adaptive = Adaptive(self, minimum=minimum, maximum=maximum,
                                  minimum_jobs=minimum_jobs, maximum_jobs=maximum_jobs,
                                  interval=interval, wait_count=wait_count,
                                  target_duration=target_duration)
        return self._adaptive

    def _stop_adaptive(self) -> None:
        if self._adaptive is not None:
            self._adaptive.stop()
            self._adaptive = None

    @property
    def workers(self) -> dict[str, list[str]]:
        """Worker addresses joined so far, by job id (as of the last poll)."""
        with self._lock:
            return {j.job_id: sorted(j.workers) for j in self.jobs.values() if j.workers}

    def wait_for_workers(self, n: int, timeout: float = 120.0) -> None:
        """Block until ``n`` workers of this cluster's jobs have joined.

        Raises :class:`~mpiflow.jobqueue.JobQueueError` with the job's log tail
        when a job ends before its workers join, and ``TimeoutError`` saying
        which jobs are still pending after ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        seen = len(self.failures)
        while True:
            self.update()
            have = sum(len(j.workers) for j in self.jobs.values())
            if have >= n:
                return
            if len(self.failures) > seen:
                raise JobQueueError(self.failures[-1][1])
            if time.monotonic() > deadline:
                states = ", ".join(f"{j.job_id}: {j.queue_state}" for j in self.jobs.values()
                                   if not j.done) or "none"
                raise TimeoutError(f"waited {timeout:g} s for {n} workers to join; {have} "
                                   f"did. Jobs in the queue: {states}. See cluster.logs().")
            time.sleep(min(0.5, self.poll_interval))

    def logs(self) -> dict[str, str]:
        """The scheduler's log and every job's output files, by name.

        Examples
        --------
        >>> sorted(cluster.logs())  # doctest: +SKIP
        ['job 41', 'job 42', 'scheduler']
        """
        out = {}
        for name in ("scheduler", "control"):
            path = os.path.join(self.directory, f"{name}.log")
            if os.path.exists(path):
                out[name] = tail(path, 10_000)
        for job in list(self.jobs.values()):
            out[f"job {job.job_id}"] = job.log_tail(10_000)
        return out

    def close(self, timeout: float = 30.0) -> None:
        """Cancel every job this cluster submitted (never others), stop its scheduler.

        Also runs at interpreter exit. A scheduler that was attached to with
        ``scheduler_file=`` keeps running.
        """
        if getattr(self, "status", "closed") == "closed":
            return
        self.status = "closed"
        atexit.unregister(self.close)
        self._stop.set()
        self._stop_adaptive()
        with self._lock:
            left = [j for j in self.jobs.values() if not j.done]
            try:
                self._cancel(left)
            except Exception as exc:  # noqa: BLE001 - closing anyway; say which jobs remain
                warnings.warn(f"{type(self).__name__}.close() could not cancel jobs "
                              f"{[j.job_id for j in left]}: {exc}. Cancel them by hand "
                              "(scancel/qdel).", RuntimeWarning, stacklevel=2)
            for job in self.jobs.values():
                if not job.done:
                    job.move("finished", "the cluster closed")
        if self._control is not None:
            self._control.close()
        if self._scheduler is not None and self._scheduler.poll() is None:
            with contextlib.suppress(OSError):
                self._scheduler.send_signal(signal.SIGTERM)
            try:
                self._scheduler.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(OSError):
                    os.killpg(self._scheduler.pid, signal.SIGKILL)
                self._scheduler.wait(5)
        if self._own_directory:
            shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> JobQueueCluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        jobs = list(getattr(self, "jobs", {}).values())
        pending = sum(j.state == "pending" for j in jobs)
        running = sum(j.state in ("running", "closing") for j in jobs)
        failed = sum(j.state == "failed" for j in jobs)
        workers = sum(len(j.workers) for j in jobs)
        return (f"{type(self).__name__}(jobs: {pending} pending, {running} running"
                + (f", {failed} failed" if failed else "") + f"; workers: {workers} joined; "
                f"cores={self.options.cores}, memory={self.options.memory}, "
                f"processes={self.options.processes}, status={self.status!r})")

