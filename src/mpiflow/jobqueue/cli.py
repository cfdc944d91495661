"""``mpiflow jobqueue slurm|pbs``: worker jobs from the shell.

``--print-script`` prints the job script and submits nothing; otherwise the
command starts a scheduler here, submits ``--jobs`` worker jobs (or adapts
between ``--minimum-jobs`` and ``--maximum-jobs``), prints how to connect,
and serves until Ctrl-C or SIGTERM, then cancels its jobs.

Examples
--------
>>> main(['slurm', '--cores', '32', '--memory', '64GB', '--walltime', '01:00:00',
...       '--processes', '4', '--python', 'python3', '--scheduler-file', '/shared/s.json',
...       '--print-script'])  # doctest: +ELLIPSIS
#!/usr/bin/env bash
<BLANKLINE>
#SBATCH -J mpiflow-worker
#SBATCH -n 4
#SBATCH --cpus-per-task=8
#SBATCH --mem=61036M
#SBATCH -t 01:00:00
...
0
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import sys
import threading
from typing import Any

__all__ = ["add_parser", "run", "main"]


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Add ``jobqueue slurm|pbs`` to the ``mpiflow`` command's subparsers."""
    parser = sub.add_parser("jobqueue", help="start a scheduler here and workers in SLURM or "
                                             "PBS jobs (or print their job script)")
    kinds = parser.add_subparsers(dest="queue_system", required=True)
    for name in ("slurm", "pbs"):
        cmd = kinds.add_parser(name, help=f"worker jobs through {name.upper()}")
        _add_job_options(cmd, name)
    return parser


def _add_job_options(cmd: argparse.ArgumentParser, name: str) -> None:
    add = cmd.add_argument
    add("--cores", type=int, required=True, help="cores per job")
    add("--memory", required=True, help="memory per job, e.g. 64GB")
    add("--processes", type=int, default=None,
        help="worker processes (MPI ranks) per job (default about sqrt(cores))")
    add("--walltime", default="00:30:00", help="HH:MM:SS, D-HH:MM:SS or minutes")
    add("--queue", default=None, help="partition (SLURM) or queue (PBS)")
    add("--account", default=None, help="account/project to charge")
    add("--job-name", default="mpiflow-worker", help="name of the jobs in the queue")
    add("--job-extra-directive", action="append", default=None, dest="job_extra_directives",
        help="another directive line (repeatable), e.g. --job-extra-directive=--exclusive")
    add("--prologue", action="append", default=None, dest="job_script_prologue",
        help="a shell line before the workers start (repeatable), e.g. 'module load mpich'")
    add("--skip-directive", action="append", default=None, dest="job_directives_skip",
        help="drop generated directives containing this text (repeatable)")
    add("--local-directory", default=None, help="workers' scratch directory")
    add("--log-directory", default=None, help="where job output goes")
    add("--python", default=None, help="the Python the workers run (default: this one)")
    add("--worker-extra-args", default=None,
        help="more arguments of `mpiflow worker`, as one quoted string")
    add("--launcher", default=None, help="srun (SLURM default), mpiexec (PBS default), or a "
                                         "command; '-n processes' is appended")
    add("--scheduler-file", default=None,
        help="join workers to the running cluster of this file instead of starting one")
    add("--shared-directory", default=None,
        help="where the cluster's files go (a file system the compute nodes see)")
    add("--lifetime", default=None, help="retire each job's workers after this long")
    if name == "pbs":
        add("--resource-spec", default=None, help="the -l resource request")
        add("--directives-on-command-line", action="store_true",
            help="also pass the directives as qsub options (qsub wrappers that ignore #PBS)")
    add("--jobs", type=int, default=1, help="worker jobs to submit (default 1)")
    add("--minimum-jobs", type=int, default=None, help="adapt: at least this many jobs")
    add("--maximum-jobs", type=int, default=None,
        help="adapt between --minimum-jobs and this many jobs instead of a fixed --jobs")
    add("--timeout", type=float, default=600.0,
        help="seconds to wait for the first workers to join (default 600)")
    add("--print-script", action="store_true", help="print the job script and exit")


def _params(args: argparse.Namespace) -> dict:
    names = ["cores", "memory", "processes", "walltime", "queue", "account", "job_name",
             "job_extra_directives", "job_script_prologue", "job_directives_skip",
             "local_directory", "log_directory", "python", "launcher"]
    params = {n: getattr(args, n) for n in names}
    if args.worker_extra_args:
        params["worker_extra_args"] = shlex.split(args.worker_extra_args)
    if args.queue_system == "pbs":
        params["resource_spec"] = args.resource_spec
    return params


def run(args: argparse.Namespace) -> int:
    """Carry out a parsed ``mpiflow jobqueue`` command; returns the exit code.

    Bad parameters and queue errors print one line saying what was wrong
    (exit code 2), not a traceback.
    """
    from mpiflow.jobqueue import JobQueueError

    try:
        return _run(args)
    except (ValueError, TypeError, JobQueueError) as exc:
        print(f"mpiflow jobqueue {args.queue_system}: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    from mpiflow.jobqueue import PBSCluster, SLURMCluster
    from mpiflow.jobqueue.script import make_options

    cls = SLURMCluster if args.queue_system == "slurm" else PBSCluster
    params = _params(args)
    if args.print_script:
        shared = os.path.expanduser(args.shared_directory or "~/.mpiflow/jobqueue")
        where = os.path.join(shared, f"{args.job_name}-XXXXXXXX")
        params["launcher"] = params["launcher"] or cls.default_launcher
        options = make_options(
            scheduler_file=args.scheduler_file or os.path.join(where, "scheduler.json"),
            log_directory=args.log_directory or os.path.join(where, "logs"),
            kind=cls.__name__, **{k: v for k, v in params.items() if k != "log_directory"})
        sys.stdout.write(cls.render(options))
        return 0
    extra = {"directives_on_command_line": True} if getattr(
        args, "directives_on_command_line", False) else {}
    cluster = cls(scheduler_file=args.scheduler_file, shared_directory=args.shared_directory,
                  lifetime=args.lifetime, **params, **extra)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        if args.maximum_jobs is not None:
            cluster.adapt(minimum_jobs=args.minimum_jobs or 0, maximum_jobs=args.maximum_jobs)
        else:
            cluster.scale(jobs=args.jobs)
        print(f"scheduler file: {cluster.scheduler_file}\nconnect with: from "
              "mpiflow.distributed import Client; client = "
              f"Client(scheduler_file={cluster.scheduler_file!r})", flush=True)
        if args.maximum_jobs is None and args.jobs:
            cluster.wait_for_workers(args.jobs * cluster.options.processes,
                                     timeout=args.timeout)
        shown = ""
        while not stop.wait(5.0):
            now = repr(cluster)
            if now != shown:
                print(now, flush=True)
                shown = now
    finally:
        cluster.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    """``mpiflow jobqueue`` on its own (``argv`` starts with ``slurm`` or ``pbs``)."""
    parser = argparse.ArgumentParser(prog="mpiflow")
    add_parser(parser.add_subparsers(dest="command", required=True))
    return run(parser.parse_args(["jobqueue", *(sys.argv[1:] if argv is None else argv)]))
