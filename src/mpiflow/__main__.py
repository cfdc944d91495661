"""Command line: ``python -m mpiflow demo|cluster|worker|jobqueue`` (and ``mpiflow ...``)."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the chosen command.

    Examples
    --------
    >>> main(['demo', '--size', '2', '--scheduler', 'sync'])  # doctest: +ELLIPSIS
    mpiflow demo: ...
    0
    """
    parser = argparse.ArgumentParser(prog="mpiflow", description="mpiflow command line")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the tutorial workload with a progress bar")
    demo.add_argument("--size", type=int, default=128, help="number of chains (default 128)")
    demo.add_argument(
        "--scheduler",
        default="cluster",
        choices=["cluster", "sync", "threads", "processes"],
        help="where to run: 'cluster' (default) starts an MPI LocalCluster on this machine; "
             "or a local scheduler",
    )
    for name, what in (("cluster", "serve a cluster from this mpiexec launch (rank 0 "
                                    "scheduler, other ranks workers)"),
                       ("worker", "join a running cluster with every rank of this launch "
                                  "as a worker")):
        cmd = sub.add_parser(name, help=what)
        cmd.add_argument("--scheduler-file", required=True,
                         help="the file the cluster's rank 0 writes (cluster) or wrote (worker)")
        cmd.add_argument("--nthreads", type=int, default=None,
                         help="threads per worker (default: cores / workers on the node)")
        cmd.add_argument("--memory-limit", default=None,
                         help="memory per worker, e.g. 4GB (default: node memory / workers)")
        cmd.add_argument("--local-directory", default=None, help="scratch directory")
        if name == "worker":
            cmd.add_argument("--wait-for-scheduler-file", type=float, default=0.0,
                             metavar="SECONDS",
                             help="wait up to this long for the scheduler file to appear, "
                                  "to start together with the scheduler (default 0: a "
                                  "missing file is an error at once)")
        if name == "cluster":
            cmd.add_argument("--dashboard-address", default=":8787",
                             help="where rank 0 serves the dashboard: host:port, :port "
                                  "(127.0.0.1), or none to turn it off (default :8787, or "
                                  "the next free port)")
    from mpiflow.jobqueue.cli import add_parser as add_jobqueue_parser

    add_jobqueue_parser(sub)
    args = parser.parse_args(argv)
    if args.command == "jobqueue":
        from mpiflow.jobqueue.cli import run as run_jobqueue

        return run_jobqueue(args)
    if args.command == "demo":
        from mpiflow.demo import run_demo

        run_demo(args.size, args.scheduler)
        return 0
    from mpiflow.distributed import cluster_main

    common = {"nthreads": args.nthreads, "memory_limit": args.memory_limit,
              "local_directory": args.local_directory}
    if args.command == "cluster":
        return cluster_main.run_cluster(args.scheduler_file,
                                        dashboard_address=args.dashboard_address, **common)
    return cluster_main.run_worker(args.scheduler_file,
                                   wait_for_file=args.wait_for_scheduler_file, **common)


if __name__ == "__main__":
    sys.exit(main())
