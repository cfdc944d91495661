"""A small mpiflow cluster job: the ``initialize()`` pattern, end to end.

Run it interactively (at least 3 ranks: scheduler, client, one worker)::

    mpiexec -n 4 python jobscripts/example_initialize.py

or in a batch job with ``jobscripts/slurm-initialize.sh`` or
``jobscripts/pbs-initialize.sh``. Rank 0 becomes the scheduler, ranks 2.. the
workers; rank 1 returns from ``initialize()`` with a ``Client`` and runs the
rest of ``main``. It prints one line of results and, when ``main`` returns,
every rank exits 0. Any wrong answer raises, and the job ends non-zero.
"""

from __future__ import annotations

import numpy as np

from mpiflow.distributed import initialize


def square(x: int) -> int:
    return x * x


def main() -> None:
    client = initialize()  # ranks other than 1 serve the cluster and never return
    workers = sorted(client.scheduler_info()["workers"])

    # Many small tasks: map, then gather the results to the client.
    squares = client.gather(client.map(square, range(1000)))
    if sum(squares) != sum(i * i for i in range(1000)):
        raise RuntimeError(f"wrong sum of squares: {sum(squares)}")

    # An array made on one worker and reduced on another: the data moves
    # worker to worker; only the small result comes back to the client.
    x = client.submit(np.arange, 1_000_000, workers=[workers[0]])
    total = client.submit(np.sum, x, workers=[workers[-1]]).result()
    if total != 499_999_500_000:
        raise RuntimeError(f"wrong array sum: {total}")

    print(f"{len(workers)} workers {workers}: sum of squares {sum(squares)}, "
          f"array sum {total}", flush=True)


if __name__ == "__main__":
    main()
