"""Summaries of arrays (text and notebook HTML) and the block view ``x.blocks``.

Nothing here computes: summaries use the shape, chunks and dtype only.

Examples
--------
>>> import numpy as np
>>> from mpiflow.array.core import from_array
>>> x = from_array(np.zeros((4, 6)), chunks=(2, 3), name='x')
>>> print(array_repr(x))  # doctest: +NORMALIZE_WHITESPACE
mpiflow.array<x, shape=(4, 6), dtype=float64, chunksize=(2, 3),
    npartitions=4, nbytes=192 B, chunktype=numpy.ndarray>
>>> x.blocks[1, 0].chunks
((2,), (3,))
"""

from __future__ import annotations

import html
import math
import re
from typing import Any

import numpy as np

from mpiflow.core.tokenize import tokenize

__all__: list = []  # helpers for Array.__repr__ and _repr_html_, imported from here

_TOKEN = re.compile(r"-[0-9a-f]{32}$")


def format_bytes(n: Any) -> str:
    """Human-readable byte count with binary units.

    Examples
    --------
    >>> format_bytes(1536), format_bytes(10), format_bytes(float('nan'))
    ('1.50 kiB', '10 B', 'unknown')
    """
    if isinstance(n, float) and math.isnan(n):
        return "unknown"
    n = int(n)
    for unit, size in (
        ("PiB", 2**50),
        ("TiB", 2**40),
        ("GiB", 2**30),
        ("MiB", 2**20),
        ("kiB", 2**10),
    ):
        if n >= size * 0.9:
            return f"{n / size:.2f} {unit}"
    return f"{n} B"


def _prefix(name: str) -> str:
    """The operation part of an array name: ``'add-<token>'`` -> ``'add'``."""
    return _TOKEN.sub("", name) or name


def array_repr(x: Any) -> str:
    """One-line summary: operation, shape, dtype, largest block, blocks, bytes, block type.

    Examples
    --------
    >>> import numpy as np
    >>> from mpiflow.array.core import from_array
    >>> print(array_repr(from_array(np.arange(3), chunks=2) + 1))  # doctest: +NORMALIZE_WHITESPACE
    mpiflow.array<add, shape=(3,), dtype=int64, chunksize=(2,), npartitions=2,
        nbytes=24 B, chunktype=numpy.ndarray>
    """
    return (
        f"mpiflow.array<{_prefix(x.name)}, shape={x.shape}, dtype={x.dtype}, "
        f"chunksize={x.chunksize}, npartitions={x.npartitions}, "
        f"nbytes={format_bytes(x.nbytes)}, chunktype=numpy.ndarray>"
    )


def _cell(v: Any) -> str:
    return f"<td>{html.escape(str(v))}</td>"


def array_html(x: Any) -> str:
    """An HTML table for notebooks: array vs one block, bytes, shape, count, dtype.

    Examples
    --------
    >>> import numpy as np
    >>> from mpiflow.array.core import from_array
    >>> page = array_html(from_array(np.zeros((4, 4)), chunks=2))
    >>> '<table' in page and '4 chunks' in page and '128 B' in page
    True
    """
    chunk_bytes = math.prod(x.chunksize) * x.dtype.itemsize
    layers = len(x.graph.layers)
    rows = [
        ("Bytes", format_bytes(x.nbytes), format_bytes(chunk_bytes)),
        ("Shape", x.shape, x.chunksize),
        (
            "Count",
            f"{layers} graph layer{'s' * (layers != 1)}",
            f"{x.npartitions} chunk{'s' * (x.npartitions != 1)} in {x.numblocks} grid",
        ),
        ("Type", f"{x.dtype} numpy.ndarray", ""),
    ]
    body = "".join(f"<tr><th>{html.escape(r[0])}</th>{_cell(r[1])}{_cell(r[2])}</tr>" for r in rows)
    return (
        f'<table class="mpiflow-array"><caption>mpiflow.array '
        f"&lt;{html.escape(_prefix(x.name))}&gt;</caption>"
        "<thead><tr><td></td><th>Array</th><th>Chunk</th></tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )


def _axis_blocks(index: Any, n: int, axis: int) -> list:
    if isinstance(index, (int, np.integer)) and not isinstance(index, bool):
        i = int(index)
        if not -n <= i < n:
            raise IndexError(f"block index {i} is out of bounds for axis {axis} with {n} blocks")
        return [i % n]
    if isinstance(index, slice):
        return list(range(n))[index]
    if isinstance(index, (list, np.ndarray)):
        arr = np.asarray(index)
        if arr.dtype == bool:
            if arr.shape != (n,):
                raise IndexError(f"boolean block index on axis {axis} must have length {n}")
            return np.flatnonzero(arr).tolist()
        out = []
        for i in arr.ravel().tolist():
            if not -n <= i < n:
                raise IndexError(
                    f"block index {i} is out of bounds for axis {axis} with {n} blocks"
                )
            out.append(i % n)
        return out
    raise IndexError(
        f"blocks[...] takes ints, slices and lists of ints, got {type(index).__name__}"
    )


class BlockView:
    """Index an array by blocks: ``x.blocks[i, j]`` is an Array of those blocks.

    Integers keep their axis (one block long); slices and lists select
    several blocks. ``len(x.blocks)``, ``.shape``, ``.size`` and ``ravel()``
    describe the grid of blocks.

    Parameters
    ----------
    array : Array

    Examples
    --------
    >>> import numpy as np
    >>> from mpiflow.array.core import from_array
    >>> x = from_array(np.arange(10), chunks=3)
    >>> x.blocks.shape, x.blocks[-1].compute(scheduler='sync')
    ((4,), array([9]))
    >>> x.blocks[::2].chunks
    ((3, 3),)
    """

    __slots__ = ("array",)

    def __init__(self, array: Any) -> None:
        self.array = array

    @property
    def shape(self) -> tuple:
        """Number of blocks per axis.

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> da.from_array(np.ones((4, 4)), chunks=(2, 4)).blocks.shape
        (2, 1)
        """
        return self.array.numblocks

    @property
    def size(self) -> int:
        """Total number of blocks.

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> da.from_array(np.ones((4, 4)), chunks=2).blocks.size
        4
        """
        return self.array.npartitions

    def __len__(self) -> int:
        return self.array.numblocks[0] if self.array.ndim else 1

    def ravel(self) -> list:
        """Every block as a one-block Array, in C order.

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> [b.shape for b in da.from_array(np.ones(5), chunks=3).blocks.ravel()]
        [(3,), (2,)]
        """
        return [self[idx] for idx in np.ndindex(*self.shape)]

    def __getitem__(self, index: Any) -> Any:
        from mpiflow.array.core import new_array

        x = self.array
        if not isinstance(index, tuple):
            index = (index,)
        if any(i is Ellipsis for i in index):
            k = index.index(Ellipsis)
            fill = (slice(None),) * (x.ndim - len(index) + 1)
            index = index[:k] + fill + index[k + 1 :]
        if len(index) > x.ndim:
            raise IndexError(
                f"too many block indices: the array has {x.ndim} axes, got {len(index)}"
            )
        index = index + (slice(None),) * (x.ndim - len(index))
        picks = [
            _axis_blocks(i, n, a) for a, (i, n) in enumerate(zip(index, x.numblocks, strict=True))
        ]
        chunks = tuple(tuple(x.chunks[a][i] for i in p) for a, p in enumerate(picks))
        name = "blocks-" + tokenize(x, [tuple(p) for p in picks])
        layer = {
            (name, *new): (x.name, *old)
            for new, old in zip(np.ndindex(*[len(p) for p in picks]), _product(picks), strict=True)
        }
        return new_array(name, layer, chunks, x.dtype, dependencies=[x])


def _product(picks: list) -> Any:
    from itertools import product

    return product(*picks)
