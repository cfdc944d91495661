"""Where the non-zero elements are: ``nonzero``, ``flatnonzero``, ``argwhere``, and ``x.vindex``.

The positions of non-zero elements are found block by block, so the result's
chunk sizes are unknown (``nan``) until computed. :class:`VIndex` is
point-wise indexing (``x.vindex[rows, cols]``), NumPy's broadcast integer
indexing with the broadcast axes first.

Examples
--------
>>> import numpy as np
>>> import mpiflow.array as da
>>> x = da.from_array(np.array([0, 5, 0, 7]), chunks=2)
>>> flatnonzero(x).compute()
array([1, 3])
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from mpiflow.array.chunks import require_known_chunks
from mpiflow.array.slicing import _advanced, _is_array, _offsets, normalize_index
from mpiflow.core.tokenize import tokenize

__all__ = ["argwhere", "flatnonzero", "nonzero"]


class VIndex:
    """``x.vindex[...]``: point-wise indexing, the broadcast index axes first.

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> x = da.from_array(np.arange(12).reshape(3, 4), chunks=2)
    >>> x.vindex[[0, 2, 1], [3, 0, 0]].compute()
    array([3, 8, 4])
    >>> x.vindex[:, [1, 2]].shape
    (2, 3)
    """

    def __init__(self, x: Any) -> None:
        self._x = x

    def __getitem__(self, index: Any) -> Any:
        x = self._x
        idx = normalize_index(index, x.shape)
        if any(_is_array(i) for i in idx):
            raise NotImplementedError("vindex with a mpiflow Array index; use a NumPy array")
        arrays = [k for k, i in enumerate(idx) if isinstance(i, np.ndarray)]
        if not arrays:
            raise IndexError("vindex needs at least one integer or boolean array in the index")
        return _advanced(x, idx, arrays, front=True)


def _flat_nonzero_block(block: np.ndarray, offset: int) -> np.ndarray:
    return np.flatnonzero(block) + offset


def flatnonzero(a: Any) -> Any:
    """Indices of the non-zero elements of ``a`` flattened, as :func:`numpy.flatnonzero`.

    The result's chunk sizes are unknown (``nan``).

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> flatnonzero(da.from_array(np.array([[0, 3], [4, 0]]), chunks=1)).compute()
    array([1, 2])
    """
    from mpiflow.array.core import new_array
    from mpiflow.array.manipulation import ravel

    require_known_chunks(a, "flatnonzero")
    r = ravel(a)
    off = _offsets(r.chunks[0])
    name = "flatnonzero-" + tokenize(r.name)
    layer = {
        (name, i): (_flat_nonzero_block, (r.name, i), int(off[i])) for i in range(r.numblocks[0])
    }
    chunks = ((math.nan,) * r.numblocks[0],)
    return new_array(name, layer, chunks, np.intp, dependencies=(r,))


def _unravel(flat: np.ndarray, shape: tuple, axis: int) -> np.ndarray:
    return np.unravel_index(flat, shape)[axis].astype(np.intp)


def nonzero(a: Any) -> tuple:
    """Indices of the non-zero elements, one array per axis, as :func:`numpy.nonzero`.

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> rows, cols = nonzero(da.from_array(np.array([[0, 3], [4, 0]]), chunks=1))
    >>> rows.compute(), cols.compute()
    (array([0, 1]), array([1, 0]))
    """
    from mpiflow.array.core import new_array

    flat = flatnonzero(a)
    if a.ndim == 1:
        return (flat,)
    out = []
    for axis in range(a.ndim):
        name = f"nonzero-{axis}-" + tokenize(flat.name, a.shape)
        layer = {
            (name, i): (_unravel, (flat.name, i), a.shape, axis) for i in range(flat.numblocks[0])
        }
        out.append(new_array(name, layer, flat.chunks, np.intp, dependencies=(flat,)))
    return tuple(out)


def argwhere(a: Any) -> Any:
    """Indices of the non-zero elements as rows, as :func:`numpy.argwhere`.

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> argwhere(da.from_array(np.array([[0, 3], [4, 0]]), chunks=1)).compute()
    array([[0, 1],
           [1, 0]])
    """
    from mpiflow.array.manipulation import expand_dims, stack

    if a.ndim == 0:
        raise NotImplementedError("argwhere of a 0-d array")
    idx = nonzero(a)
    return stack(idx, axis=1) if a.ndim > 1 else expand_dims(idx[0], 1)
