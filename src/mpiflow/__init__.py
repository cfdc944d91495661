"""mpiflow: Dask-style parallel computing on threads, processes and MPI.

Examples
--------
>>> import mpiflow
>>> from operator import add
>>> mpiflow.get({'x': 1, 'y': (add, 'x', 1)}, 'y')
2
>>> @mpiflow.delayed
... def inc(x):
...     return x + 1
>>> mpiflow.compute(inc(1), inc(2))
(2, 3)
"""

from mpiflow import config
from mpiflow.base import compute, is_mpiflow_collection, persist, visualize
from mpiflow.core import tokenize
from mpiflow.delayed import Delayed, delayed
from mpiflow.local import get_sync as get

__version__ = "0.1.0"

__all__ = [
    "Delayed",
    "compute",
    "config",
    "delayed",
    "get",
    "is_mpiflow_collection",
    "persist",
    "tokenize",
    "visualize",
    "__version__",
]
