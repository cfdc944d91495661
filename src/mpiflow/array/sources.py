"""Arrays from existing data: :func:`from_array`, :func:`asarray`, and how blocks are read.

NumPy arrays are cut into views at once; other array-likes (memmaps, HDF5
datasets, zarr arrays...) are read lazily, one slice per block, by
:func:`getter`. A memmap travels to other processes as its path and offset.

Examples
--------
>>> import numpy as np
>>> getter(np.arange(6).reshape(2, 3), (slice(0, 1), slice(1, 3)))
array([[1, 2]])
"""

from __future__ import annotations

import os
import threading
import uuid
from functools import partial
from itertools import product
from typing import TYPE_CHECKING, Any

import numpy as np

from mpiflow.array.chunks import normalize_chunks, slices_from_chunks
from mpiflow.core.layers import LayeredGraph
from mpiflow.core.tokenize import tokenize

if TYPE_CHECKING:
    from mpiflow.array.core import Array

__all__ = ["SerializableLock", "getter", "from_array", "asarray", "asanyarray"]


class SerializableLock:
    """A lock that can be pickled: copies made in one process share one lock per token.

    Examples
    --------
    >>> lock = SerializableLock()
    >>> with lock:
    ...     pass
    """

    _locks: dict = {}

    def __init__(self, token: str | None = None) -> None:
        self.token = token or uuid.uuid4().hex
        self.lock = SerializableLock._locks.setdefault(self.token, threading.Lock())

    def __enter__(self) -> Any:
        return self.lock.__enter__()

    def __exit__(self, *args: Any) -> Any:
        return self.lock.__exit__(*args)

    def __reduce__(self):
        return (SerializableLock, (self.token,))


class _MemmapSource:
    """A NumPy memmap that pickles as (path, offset, dtype, shape, order), not its data."""

    def __init__(self, filename: str, offset: int, dtype: Any, shape: tuple, order: str) -> None:
        self.args = (filename, offset, np.dtype(dtype), tuple(shape), order)
        self._map: Any = None

    def __getitem__(self, index: Any) -> np.ndarray:
        if self._map is None:
            filename, offset, dtype, shape, order = self.args
            self._map = np.memmap(
                filename, dtype=dtype, mode="r", offset=offset, shape=shape, order=order
            )
        return self._map[index]

    def __reduce__(self):
        return (_MemmapSource, self.args)


def _memmap_source(x: np.memmap) -> Any:
    root = x
    while isinstance(root.base, np.ndarray):
        root = root.base
    fname = getattr(x, "filename", None)
    if not fname or not isinstance(root, np.memmap) or x.mode == "c":
        return x
    if x.flags.c_contiguous:
        order = "C"
    elif x.flags.f_contiguous:
        order = "F"
    else:
        return x
    start = x.__array_interface__["data"][0] - root.__array_interface__["data"][0]
    return _MemmapSource(fname, root.offset + start, x.dtype, x.shape, order)


def getter(a: Any, index: tuple, asarray: bool = True, lock: Any = None) -> Any:
    """Read ``a[index]`` (under ``lock``), as a NumPy array if ``asarray``.

    Examples
    --------
    >>> import numpy as np
    >>> getter(np.arange(5), (slice(1, 3),))
    array([1, 2])
    """
    if lock is not None:
        with lock:
            c = a[index]
    else:
        c = a[index]
    if asarray:
        c = np.asarray(c)
    return c


def _source_token(x: Any) -> Any:
    """What identifies a source: an HDF5-like dataset by its file, path and mtime."""
    file = getattr(x, "file", None)
    filename = getattr(file, "filename", None)
    path = getattr(x, "name", None)
    if isinstance(filename, str) and isinstance(path, str) and not isinstance(x, np.ndarray):
        try:
            mtime = os.stat(filename).st_mtime_ns
        except OSError:
            mtime = None
        return ("dataset", os.path.abspath(filename), path, mtime, tuple(x.shape), str(x.dtype))
    return x


def from_array(
    x: Any,
    chunks: Any = "auto",
    name: Any = None,
    lock: Any = False,
    asarray: bool | None = None,
    fancy: bool = True,
    getitem: Any = None,
    meta: Any = None,
    inline_array: bool = False,
) -> Array:
    """Cut an array-like (NumPy array, memmap, HDF5 dataset...) into an Array.

    NumPy arrays are split into views at once. Anything else with ``shape``,
    ``dtype`` and slicing (``np.memmap``, ``h5py.Dataset``, zarr...) is read
    lazily: each block's task slices the source, so nothing is loaded until
    blocks are computed, and only the blocks needed. A memmap is reopened by
    path in other processes instead of being pickled with its data.

    Parameters
    ----------
    x : array-like
        The data.
    chunks : chunk spec, default 'auto'
        See :func:`normalize_chunks`; ``'auto'`` respects ``x.chunks`` if the
        source has a chunk layout (HDF5, zarr).
    name : str or False, optional
        The array's name. Default: a token of ``x`` (same data, same name);
        ``False``: a random name.
    lock : bool or lock, optional
        Serialize reads with this lock (``True``: a new lock), for sources
        that are not thread-safe.
    asarray : bool, optional
        Convert each read block with ``np.asarray`` (default True unless ``x``
        is a NumPy array).
    fancy : bool
        Unused; for Dask compatibility.
    getitem : callable, optional
        Reads a block as ``getitem(x, slices)``; default :func:`getter`.
    meta : object, optional
        Unused apart from its dtype when ``x`` has none.
    inline_array : bool
        Put the source into every task instead of one shared key.

    Examples
    --------
    >>> import numpy as np, os, tempfile
    >>> from_array(np.arange(10), chunks=4).chunks
    ((4, 4, 2),)
    >>> path = os.path.join(tempfile.mkdtemp(), 'data.bin')
    >>> m = np.memmap(path, dtype='f4', mode='w+', shape=(6,)); m[:] = 1; m.flush()
    >>> y = from_array(np.memmap(path, dtype='f4', mode='r', shape=(6,)), chunks=3)
    >>> y.blocks[1].compute(scheduler='sync')
    array([1., 1., 1.], dtype=float32)
    """
    from mpiflow.array.core import Array

    if isinstance(x, Array):
        return x if chunks == "auto" or chunks == x.chunks else x.rechunk(chunks)
    if not (hasattr(x, "shape") and hasattr(x, "dtype") and hasattr(x, "__getitem__")):
        x = np.asarray(x)
    if isinstance(x, (list, tuple)):
        x = np.asarray(x)
    shape = tuple(x.shape)
    dtype = np.dtype(x.dtype) if x.dtype is not None else np.dtype(getattr(meta, "dtype", "f8"))
    previous = getattr(x, "chunks", None)
    if not (isinstance(previous, tuple) and len(previous) == len(shape)):
        previous = None
    if isinstance(chunks, (list,)):
        chunks = tuple(chunks)
    chunks = normalize_chunks(chunks, shape, dtype=dtype, previous_chunks=previous)
    if name is None:
        name = "array-" + tokenize(_source_token(x), chunks, lock, asarray, getitem)
    elif name is False:
        name = "array-" + uuid.uuid4().hex
    if lock is True:
        lock = SerializableLock()
    lock = lock or None
    slices = slices_from_chunks(chunks)
    coords = product(*[range(len(c)) for c in chunks])
    if type(x) is np.ndarray and getitem is None and lock is None and not inline_array:
        if not chunks:
            return Array({(name,): x}, name, chunks, dtype)
        layer = {(name, *c): x[s] for c, s in zip(coords, slices, strict=True)}
        return Array(LayeredGraph.from_layer(name, layer), name, chunks, dtype)
    source = _memmap_source(x) if isinstance(x, np.memmap) else x
    if asarray is None:
        asarray = not isinstance(x, np.ndarray) or isinstance(source, _MemmapSource)
    get = getitem or getter
    kw = {}
    if asarray is not True:
        kw["asarray"] = bool(asarray)
    if lock is not None:
        kw["lock"] = lock
    fn = partial(get, **kw) if kw and get is getter else get
    if inline_array:
        ref = source if not isinstance(source, (tuple, list, dict, str)) else (source,)
        layer = {(name, *c): (fn, ref, s) for c, s in zip(coords, slices, strict=True)}
    else:
        orig = "array-original-" + name.split("-", 1)[-1]
        layer = {orig: source}
        layer.update({(name, *c): (fn, orig, s) for c, s in zip(coords, slices, strict=True)})
    return Array(LayeredGraph.from_layer(name, layer), name, chunks, dtype)


def asarray(
    a: Any,
    dtype: Any = None,
    order: Any = None,
    *,
    like: Any = None,
    chunks: Any = "auto",
    **kwargs: Any,
) -> Array:
    """Turn ``a`` into an Array (Arrays come back unchanged, or cast to ``dtype``).

    Examples
    --------
    >>> asarray([1, 2, 3]).compute(scheduler='sync')
    array([1, 2, 3])
    >>> x = asarray([1, 2]); asarray(x) is x
    True
    """
    from mpiflow.array.core import Array

    if isinstance(a, Array):
        return a if dtype is None or np.dtype(dtype) == a.dtype else a.astype(dtype)
    if isinstance(a, (list, tuple)) and any(isinstance(i, Array) for i in a):
        from mpiflow.array import manipulation

        out = manipulation.stack([asarray(i) for i in a])
        return out if dtype is None else out.astype(dtype)
    if not (hasattr(a, "shape") and hasattr(a, "dtype")) or dtype is not None or order:
        a = np.asarray(a, dtype=dtype, order=order)
    return from_array(a, chunks=chunks, **kwargs)


def asanyarray(
    a: Any,
    dtype: Any = None,
    order: Any = None,
    *,
    like: Any = None,
    chunks: Any = "auto",
    **kwargs: Any,
) -> Array:
    """Same as :func:`asarray` (masked and other subclasses pass through as arrays).

    Examples
    --------
    >>> asanyarray([1.5]).dtype
    dtype('float64')
    """
    return asarray(a, dtype=dtype, order=order, chunks=chunks, **kwargs)
