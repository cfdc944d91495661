"""Entry point of a ``'processes'`` scheduler worker: ``python -m mpiflow.local.procworker IN OUT``.

Reads length-prefixed pickled batches from file descriptor IN, runs them and
writes the replies to OUT, until IN reaches end of file (the parent closed it
or died).
"""

from __future__ import annotations

import signal
import sys


def main(argv: list[str]) -> int:
    """Serve batches until the parent goes away."""
    # Ctrl-C reaches the whole process group; only the parent acts on it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from mpiflow.local.procpool import read_frame, write_frame
    from mpiflow.multiprocessing import run_in_worker

    fd_in, fd_out = int(argv[0]), int(argv[1])
    while True:
        payload = read_frame(fd_in)
        if payload is None:
            return 0
        write_frame(fd_out, run_in_worker(payload))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
