"""Delayed: turn ordinary Python calls into a task graph (see :mod:`mpiflow.delayed.core`).

Examples
--------
>>> from mpiflow.delayed import delayed
>>> delayed(abs)(-3).compute(scheduler='sync')
3
"""

from mpiflow.delayed.core import Delayed, DelayedAttr, DelayedLeaf, delayed
from mpiflow.delayed.graph import apply, funcname, graph_of, optimize

__all__ = [
    "Delayed",
    "DelayedAttr",
    "DelayedLeaf",
    "apply",
    "delayed",
    "funcname",
    "graph_of",
    "optimize",
]
