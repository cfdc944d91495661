"""Chunked NumPy arrays with a Dask-array compatible API.

``import mpiflow.array as da`` and use it as ``dask.array``: an
:class:`Array` is a grid of NumPy blocks, each computed by one task, and
operations build a task graph that runs on any mpiflow scheduler.

Examples
--------
>>> import numpy as np
>>> import mpiflow.array as da
>>> x = da.from_array(np.arange(6), chunks=4)
>>> (x + 1).compute(scheduler='sync')
array([1, 2, 3, 4, 5, 6])
"""

from mpiflow.array import linalg, random  # noqa: F401
from mpiflow.array.blockwise import *  # noqa: F401,F403
from mpiflow.array.chunks import *  # noqa: F401,F403
from mpiflow.array.core import *  # noqa: F401,F403
from mpiflow.array.creation import *  # noqa: F401,F403
from mpiflow.array.cumulative import *  # noqa: F401,F403

# linalg's __all__ holds the products NumPy also has at top level (dot, matmul,
# einsum...); the rest (norm, qr, svd) stays under da.linalg
from mpiflow.array.linalg import *  # noqa: F401,F403
from mpiflow.array.manipulation import *  # noqa: F401,F403
from mpiflow.array.overlap import *  # noqa: F401,F403
from mpiflow.array.rechunk import *  # noqa: F401,F403
from mpiflow.array.reductions import *  # noqa: F401,F403
from mpiflow.array.repr import *  # noqa: F401,F403
from mpiflow.array.routines import *  # noqa: F401,F403
from mpiflow.array.searching import *  # noqa: F401,F403
from mpiflow.array.slicing import *  # noqa: F401,F403
from mpiflow.array.ufunc import *  # noqa: F401,F403
