"""The tutorial workload behind ``python -m mpiflow demo``."""

from __future__ import annotations

import random
import time
from typing import Any

from mpiflow.base import compute, persist
from mpiflow.delayed import delayed
from mpiflow.diagnostics import ProgressBar

__all__ = ["tutorial", "run_demo"]


@delayed
def inc(x: int) -> int:
    time.sleep(random.random() / 100)
    return x + 1


@delayed
def dec(x: int) -> int:
    time.sleep(random.random() / 100)
    return x - 1


@delayed
def add(x: int, y: int) -> int:
    time.sleep(random.random() / 100)
    return x + y


def tutorial(n: int = 128, scheduler: Any = "threads") -> int:
    """Run the getting-started workload: ``n`` small chains, persisted, then a tree sum.

    Examples
    --------
    >>> tutorial(8, scheduler='sync')
    64
    """
    zs = [add(inc(i), dec(inc(i))) for i in range(n)]
    zs = persist(*zs, scheduler=scheduler)
    layer = list(zs)
    while len(layer) > 1:
        pairs = [add(layer[i], layer[i + 1]) for i in range(0, len(layer) - 1, 2)]
        layer = pairs + layer[len(pairs) * 2 :]
    return compute(layer, scheduler=scheduler)[0][0]


def _run_on_local_cluster(n: int) -> int:
    from mpiflow.distributed import Client

    with Client() as client:
        cluster = client.cluster
        print(f"started {cluster!r}; scheduler file {cluster.scheduler_file}")
        return tutorial(n, client)


def run_demo(n: int = 128, scheduler: str = "cluster") -> int:
    """Print what the demo does, run it and check the answer.

    ``scheduler='cluster'`` (the default) starts the embedded MPI
    ``LocalCluster`` with ``Client()``; the local schedulers show a progress bar.

    Examples
    --------
    >>> run_demo(4, 'sync')  # doctest: +ELLIPSIS
    mpiflow demo: ...
    16
    """
    expected = n * n  # chain i gives (i + 1) + i
    print(f"mpiflow demo: {n} inc/dec/add chains, persisted, then a pairwise tree sum "
          f"on the {scheduler!r} scheduler")
    if scheduler == "cluster":
        result = _run_on_local_cluster(n)
    else:
        with ProgressBar(out=None):
            result = tutorial(n, scheduler)
    status = "correct" if result == expected else f"WRONG, expected {expected}"
    print(f"result: {result} ({status})")
    if result != expected:
        raise SystemExit(1)
    return result
