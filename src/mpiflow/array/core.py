"""The chunked array: :class:`Array`, :func:`new_array`, :func:`from_array`, :func:`asarray`.

An :class:`Array` is a name, a chunk layout, a dtype and a
:class:`~mpiflow.core.layers.LayeredGraph` whose keys ``(name, i, j, ...)``
compute its blocks. Operations return new arrays whose graph has one more
layer; nothing runs until :meth:`Array.compute`.

Examples
--------
>>> import numpy as np
>>> x = from_array(np.arange(12).reshape(3, 4), chunks=2)
>>> x  # doctest: +NORMALIZE_WHITESPACE
mpiflow.array<array, shape=(3, 4), dtype=int64, chunksize=(2, 2), npartitions=4,
    nbytes=96 B, chunktype=numpy.ndarray>
>>> (x + 1).compute(scheduler='sync')
array([[ 1,  2,  3,  4],
       [ 5,  6,  7,  8],
       [ 9, 10, 11, 12]])
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from itertools import product
from typing import Any

import numpy as np

from mpiflow import threaded
from mpiflow.array.chunks import normalize_chunks
from mpiflow.array.methods import ArrayMethods
from mpiflow.array.sources import (  # noqa: F401 - re-exported: callers import them from here
    SerializableLock,
    asanyarray,
    asarray,
    from_array,
    getter,
)
from mpiflow.core.layers import LayeredGraph

__all__ = ["Array", "new_array", "from_array", "asarray", "asanyarray"]


def _isnan(x: Any) -> bool:
    return isinstance(x, float) and math.isnan(x)


def _fast_chunks(chunks: Any) -> tuple | None:
    """``chunks`` if already a tuple of tuples of ints/NaN, else None."""
    if type(chunks) is not tuple:
        return None
    for c in chunks:
        if type(c) is not tuple:
            return None
        for n in c:
            if type(n) is not int and not _isnan(n):
                return None
    return chunks


class Array(ArrayMethods):
    """A NumPy-like array cut into blocks, each computed by one task.

    Parameters
    ----------
    dask : Mapping
        The graph (a :class:`~mpiflow.core.layers.LayeredGraph` or a dict)
        holding a key ``(name, *block_index)`` for every block.
    name : str
        The name, first element of every block key.
    chunks : tuple of tuples
        Block lengths per axis (any form :func:`normalize_chunks` accepts).
    dtype : dtype
        Element type.

    Examples
    --------
    >>> import numpy as np
    >>> x = Array({('x', 0): np.arange(2), ('x', 1): np.arange(2, 5)}, 'x', ((2, 3),), int)
    >>> x.shape, x.numblocks, x.compute(scheduler='sync')
    ((5,), (2,), array([0, 1, 2, 3, 4]))
    """

    __slots__ = ("_graph", "_name", "_chunks", "_dtype", "_keys", "__weakref__")

    # NumPy defers binary operators to us (also for np.ndarray op Array)
    __array_priority__ = 11

    def __init__(
        self,
        dask: Mapping,
        name: str,
        chunks: Any,
        dtype: Any = None,
        meta: Any = None,
        shape: Any = None,
    ) -> None:
        if dtype is None:
            dtype = getattr(meta, "dtype", None)
        if dtype is None:
            raise ValueError("Array(dask, name, chunks, dtype): dtype is required")
        if not isinstance(dask, LayeredGraph):
            dask = LayeredGraph.from_layer(name, dask)
        self._graph = dask
        self._name = name
        fast = _fast_chunks(chunks)
        self._chunks = fast if fast is not None else normalize_chunks(chunks, shape, dtype=dtype)
        self._dtype = np.dtype(dtype)
        self._keys = None

    # -- basic properties --------------------------------------------------------------
    @property
    def name(self) -> str:
        """The array's name: the first element of its block keys.

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> da.from_array(np.arange(4), chunks=2, name='x').name
        'x'
        """
        return self._name

    @property
    def graph(self) -> LayeredGraph:
        """The :class:`~mpiflow.core.layers.LayeredGraph` computing this array.

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> y = da.from_array(np.arange(4), chunks=2) + 1
        >>> [len(layer) for layer in y.graph.layers.values()]
        [2, 2]
        """
        return self._graph

    @property
    def dask(self) -> LayeredGraph:
        """Same as :attr:`graph` (the Dask name).

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> x = da.from_array(np.arange(4), chunks=2); x.dask is x.graph
        True
        """
        return self._graph

    @property
    def chunks(self) -> tuple:
        """Block lengths per axis, e.g. ``((2, 2, 1), (3,))``.

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> da.from_array(np.ones((5, 3)), chunks=2).chunks
        ((2, 2, 1), (2, 1))
        """
        return self._chunks

    @property
    def dtype(self) -> np.dtype:
        """Element type.

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> da.from_array(np.ones(3, 'f4'), chunks=2).dtype
        dtype('float32')
        """
        return self._dtype

    @property
    def shape(self) -> tuple:
        """Length of each axis (NaN where unknown).

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> da.from_array(np.ones((5, 3)), chunks=2).shape
        (5, 3)
        """
        return tuple(sum(c) if c else 0 for c in self._chunks)

    @property
    def ndim(self) -> int:
        """Number of axes.

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> da.from_array(np.ones((5, 3)), chunks=2).ndim
        2
        """
        return len(self._chunks)

    @property
    def size(self) -> Any:
        """Number of elements (NaN if some length is unknown).

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> da.from_array(np.ones((5, 3)), chunks=2).size
        15
        """
        return math.prod(self.shape)

    @property
    def nbytes(self) -> Any:
        """Bytes the computed array takes.

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> da.from_array(np.ones((5, 3)), chunks=2).nbytes
        120
        """
        return self.size * self._dtype.itemsize

    @property
    def itemsize(self) -> int:
        """Bytes per element.

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> da.from_array(np.ones(3, 'i2'), chunks=2).itemsize
        2
        """
        return self._dtype.itemsize

    @property
    def numblocks(self) -> tuple:
        """Number of blocks per axis.

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> da.from_array(np.ones((5, 3)), chunks=2).numblocks
        (3, 2)
        """
        return tuple(len(c) for c in self._chunks)

    @property
    def npartitions(self) -> int:
        """Total number of blocks.

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> da.from_array(np.ones((5, 3)), chunks=2).npartitions
        6
        """
        return math.prod(self.numblocks)

    @property
    def chunksize(self) -> tuple:
        """The largest block length per axis.

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> da.from_array(np.ones((5, 3)), chunks=(3, 2)).chunksize
        (3, 2)
        """
        return tuple(max(c) if c else 0 for c in self._chunks)

    @property
    def _meta(self) -> np.ndarray:
        return np.empty((0,) * self.ndim, dtype=self._dtype)

    def __len__(self) -> int:
        if not self._chunks:
            raise TypeError("len() of unsized object: this is a 0-d array")
        n = self.shape[0]
        if _isnan(n):
            raise TypeError(
                "len() of an array whose length is unknown (NaN chunks); call "
                "x.compute_chunk_sizes() first"
            )
        return n

    # -- collection protocol -----------------------------------------------------------
    def __mpiflow_graph__(self) -> LayeredGraph:
        return self._graph

    def __mpiflow_keys__(self) -> list:
        keys = self._keys
        if keys is None:
            name = self._name
            if not self._chunks:
                keys = [(name,)]
            else:
                keys = _nested_keys(name, self.numblocks)
            self._keys = keys
        return keys

    def __mpiflow_postcompute__(self) -> tuple:
        return concatenate_blocks, (self.ndim,)

    def __mpiflow_postpersist__(self) -> tuple:
        return _rebuild, (self._name, self._chunks, self._dtype)

    def __mpiflow_tokenize__(self) -> str:
        return self._name

    def __reduce__(self):
        return (Array, (self._graph, self._name, self._chunks, self._dtype))

    def __dask_tokenize__(self) -> str:  # lets tokenizers that know Dask's protocol work
        return self._name

    @staticmethod
    def __mpiflow_optimize__(dsk: Mapping, keys: Any, **kwargs: Any) -> dict:
        from mpiflow.array.optimization import optimize

        return optimize(dsk, keys, **kwargs)

    __mpiflow_scheduler__ = staticmethod(threaded.get)

    @staticmethod
    def __mpiflow_merge_graphs__(collections: list) -> LayeredGraph:
        if len(collections) == 1:
            return collections[0].__mpiflow_graph__()
        return LayeredGraph.merge(*[c.__mpiflow_graph__() for c in collections])

    # -- computing ---------------------------------------------------------------------
    def compute(self, **kwargs: Any) -> np.ndarray:
        """Compute the array and return it as a NumPy array.

        Keywords are those of :func:`mpiflow.compute` (``scheduler=``...).

        Examples
        --------
        >>> import numpy as np
        >>> from_array(np.arange(3), chunks=2).compute(scheduler='sync')
        array([0, 1, 2])
        """
        from mpiflow import base

        (result,) = base.compute(self, traverse=False, **kwargs)
        return result

    def persist(self, **kwargs: Any) -> Array:
        """Compute the blocks and return an array whose graph holds them.

        Examples
        --------
        >>> import numpy as np
        >>> y = (from_array(np.arange(3), chunks=2) + 1).persist(scheduler='sync')
        >>> len(y.graph.layers), y.compute(scheduler='sync')
        (1, array([1, 2, 3]))
        """
        from mpiflow import base

        (result,) = base.persist(self, traverse=False, **kwargs)
        return result

    def visualize(self, filename: str = "mpiflow", **kwargs: Any) -> Any:
        """Draw the task graph; see :func:`mpiflow.visualize`.

        Examples
        --------
        >>> import os, tempfile, numpy as np
        >>> x = from_array(np.arange(3), chunks=2)
        >>> x.visualize(os.path.join(tempfile.mkdtemp(), 'g.dot')).endswith('.dot')
        True
        """
        from mpiflow import base

        return base.visualize(self, filename=filename, **kwargs)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if copy is False:
            raise ValueError(
                "an mpiflow array has no memory to share: converting it computes a new "
                "NumPy array, so copy=False is impossible; use np.asarray(x) instead"
            )
        x = self.compute()
        if dtype is not None and x.dtype != dtype:
            x = x.astype(dtype)
        return x

    def to_delayed(self, optimize_graph: bool = True) -> np.ndarray:
        """The blocks as a NumPy object array of :class:`~mpiflow.delayed.Delayed` values.

        Examples
        --------
        >>> import numpy as np
        >>> parts = from_array(np.arange(4), chunks=2).to_delayed()
        >>> parts.shape, parts[1].compute(scheduler='sync')
        ((2,), array([2, 3]))
        """
        from mpiflow.core.traverse import flatten_keys
        from mpiflow.delayed import Delayed

        keys = self.__mpiflow_keys__()
        dsk: Mapping = self._graph
        if optimize_graph:
            dsk = self.__mpiflow_optimize__(dsk, flatten_keys(keys))
        else:
            dsk = dict(dsk)
        out = np.empty(self.numblocks, dtype=object)
        for coord in product(*[range(n) for n in self.numblocks]):
            out[coord] = Delayed((self._name, *coord), dsk)
        return out


def _nested_keys(name: str, numblocks: tuple) -> list:
    if len(numblocks) == 1:
        return [(name, i) for i in range(numblocks[0])]

    def build(prefix: tuple, d: int) -> list:
        if d == len(numblocks) - 1:
            return [(name, *prefix, i) for i in range(numblocks[d])]
        return [build((*prefix, i), d + 1) for i in range(numblocks[d])]

    return build((), 0)


def concatenate_blocks(blocks: Any, ndim: int) -> np.ndarray:
    """Assemble a nested list of blocks (as ``__mpiflow_keys__`` nests them) into one array.

    Examples
    --------
    >>> import numpy as np
    >>> concatenate_blocks([[np.zeros((1, 1)), np.ones((1, 2))]], 2)
    array([[0., 1., 1.]])
    """
    if ndim == 0:  # a NumPy scalar, as NumPy's own reductions return
        b = blocks[0]
        return b[()] if isinstance(b, np.ndarray) else b
    if ndim == 1:
        if len(blocks) == 1:
            b = blocks[0]
            return b if isinstance(b, np.ndarray) else np.asarray(b)
        return np.concatenate([np.asarray(b) for b in blocks])
    flat: list = []
    grid = []

    def walk(node: Any, d: int, coord: tuple) -> None:
        if d == ndim:
            flat.append((coord, np.asarray(node)))
            return
        if d >= len(grid):
            grid.append(len(node))
        for i, n in enumerate(node):
            walk(n, d + 1, (*coord, i))

    walk(blocks, 0, ())
    if len(flat) == 1:
        return flat[0][1]
    lengths = [[0] * g for g in grid]
    for coord, b in flat:
        for d, c in enumerate(coord):
            lengths[d][c] = b.shape[d]
    starts = [np.concatenate([[0], np.cumsum(lens)]).tolist() for lens in lengths]
    dtype = np.result_type(*[b.dtype for _, b in flat])
    out = np.empty(tuple(s[-1] for s in starts), dtype=dtype)
    for coord, b in flat:
        out[tuple(slice(starts[d][c], starts[d][c + 1]) for d, c in enumerate(coord))] = b
    return out


def _rebuild(dsk: Mapping, name: str, chunks: tuple, dtype: Any) -> Array:
    return Array(LayeredGraph.from_layer(name, dict(dsk)), name, chunks, dtype)


def new_array(
    name: str, layer: Mapping, chunks: Any, dtype: Any, dependencies: Sequence = ()
) -> Array:
    """Make an Array from one new layer of tasks on top of its inputs' graphs.

    Parameters
    ----------
    name : str
        The array's name; ``layer`` must hold ``(name, *index)`` for every block.
    layer : Mapping
        The new tasks (and any intermediate keys they need).
    chunks : chunk spec
        Block lengths (normalized with :func:`normalize_chunks`).
    dtype : dtype
        Element type.
    dependencies : sequence
        The Arrays (or objects with a ``.graph``) the layer reads.

    Examples
    --------
    >>> import numpy as np
    >>> x = from_array(np.arange(4), chunks=2)
    >>> layer = {('neg', i): (np.negative, (x.name, i)) for i in range(2)}
    >>> new_array('neg', layer, x.chunks, x.dtype, [x]).compute(scheduler='sync')
    array([ 0, -1, -2, -3])
    """
    graph = LayeredGraph.from_layer(name, layer, dependencies)
    return Array(graph, name, chunks, dtype)
