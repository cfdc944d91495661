"""Shared helpers for the benchmark scripts: timing and JSON output."""

from __future__ import annotations

import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any


def emit(record: dict[str, Any]) -> None:
    """Print one measurement as a JSON line."""
    print(json.dumps(record, sort_keys=True), flush=True)


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    import os

    return {
        "python": platform.python_version(),
        "cpus": (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                 else os.cpu_count()),
        "platform": sys.platform,
    }


def interleaved(runners: dict[str, Callable[[], Any]], repeat: int) -> dict[str, list[float]]:
    """Time each runner ``repeat`` times, alternating between them.

    Alternating keeps slow phases of a shared, noisy machine from favouring
    one side: the ratio of medians is what the benchmarks report.
    """
    times: dict[str, list[float]] = {name: [] for name in runners}
    for _ in range(repeat):
        for name, run in runners.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return times


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def add_pairwise_tree(dsk: dict, leaves: list, combine: Any, name: str = "sum") -> Any:
    """Add a pairwise tree reduction of ``leaves`` (keys of ``dsk``) with ``combine``.

    Returns the key of the root. Odd leftovers move up a level unchanged.
    """
    layer = list(leaves)
    depth = 0
    while len(layer) > 1:
        depth += 1
        nxt = []
        for j in range(0, len(layer) - 1, 2):
            key = (name, depth, j // 2)
            dsk[key] = (combine, layer[j], layer[j + 1])
            nxt.append(key)
        if len(layer) % 2:
            nxt.append(layer[-1])
        layer = nxt
    return layer[0]


def have_dask() -> bool:
    try:
        import dask  # noqa: F401
    except ImportError:
        return False
    return True
