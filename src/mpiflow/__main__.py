"""Command line: ``python -m mpiflow demo`` (and ``mpiflow demo``)."""

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
        default="threads",
        choices=["sync", "threads", "processes"],
        help="local scheduler to run on (default threads)",
    )
    args = parser.parse_args(argv)
    if args.command == "demo":
        from mpiflow.demo import run_demo

        run_demo(args.size, args.scheduler)
    return 0


if __name__ == "__main__":
    sys.exit(main())
