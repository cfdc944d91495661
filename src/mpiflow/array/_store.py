"""Writing arrays out and reading NumPy stacks back: store, to_npy_stack, from_npy_stack.

Exported through :mod:`mpiflow.array.creation`.

``store`` writes every block with its own task, straight from the task that
made it, into any object with ``__setitem__`` (NumPy arrays, ``np.memmap``,
h5py or zarr datasets). On the processes scheduler a task runs in another
process: a full ``np.memmap`` is reopened there (mode ``'r+'``), so writes
reach the file; a plain in-memory NumPy array cannot be written from another
process, and trying raises an error instead of losing the writes.

Examples
--------
>>> import mpiflow.array as da
>>> out = np.zeros((4, 4))
>>> store(da.ones((4, 4), chunks=2), out, scheduler='sync')
>>> float(out.sum())
16.0
"""

from __future__ import annotations

import math
import mmap
import os
import pickle
import threading
import uuid
from typing import Any

import numpy as np

from mpiflow.array.chunks import cumdims
from mpiflow.array.core import Array, new_array
from mpiflow.core.tokenize import tokenize

__all__ = ["store", "to_npy_stack", "from_npy_stack"]


# --------------------------------------------------------------------------------------
# Picklable helpers: a lock that survives pickling, and targets that say how they travel
# --------------------------------------------------------------------------------------

_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


class _SerializableLock:
    """A ``threading.Lock`` that pickles to the same lock in every process (by token)."""

    def __init__(self, token: str | None = None) -> None:
        self.token = token or uuid.uuid4().hex
        with _LOCKS_GUARD:
            self.lock = _LOCKS.setdefault(self.token, threading.Lock())

    def __enter__(self) -> Any:
        return self.lock.__enter__()

    def __exit__(self, *exc: Any) -> Any:
        return self.lock.__exit__(*exc)

    def __reduce__(self) -> tuple:
        return (_SerializableLock, (self.token,))


def _reopen_memmap(filename: str, dtype: np.dtype, shape: tuple, offset: int, order: str) -> Any:
    return np.memmap(filename, dtype=dtype, mode="r+", shape=shape, offset=offset, order=order)


class _Target:
    """Wraps a NumPy target: reopens a full memmap after pickling, refuses in-memory arrays."""

    __slots__ = ("target",)

    def __init__(self, target: np.ndarray) -> None:
        self.target = target

    def __reduce__(self) -> tuple:
        t = self.target
        if isinstance(t, np.memmap) and isinstance(t.base, mmap.mmap) and t.mode != "r":
            order = "F" if t.flags.f_contiguous and not t.flags.c_contiguous else "C"
            args = (t.filename, t.dtype, t.shape, t.offset, order)
            return (_reopened, args)
        raise TypeError(
            "store: cannot write into an in-memory NumPy array (or a view of a memmap, or a "
            "memmap in mode 'r' or 'c') from another process; use scheduler='threads' or "
            "'sync', or store into a full np.memmap in mode 'r+' or 'w+' (or an h5py/zarr "
            "dataset)"
        )


def _reopened(*args: Any) -> _Target:
    return _Target(_reopen_memmap(*args))


def _store_block(block: Any, target: Any, index: tuple, lock: Any, keep: bool) -> Any:
    if isinstance(target, _Target):
        target = target.target
    if lock is not None:
        with lock:
            target[index] = block
    else:
        target[index] = block
    return block if keep else np.empty((0,) * np.ndim(block))


def _done(*_: Any) -> None:
    return None


# --------------------------------------------------------------------------------------
# store
# --------------------------------------------------------------------------------------


def _region(region: Any, tshape: tuple | None, what: str) -> tuple:
    """(offsets, shape) of ``region`` (slices with step 1) inside a target of ``tshape``."""
    if region is None:
        return (0,) * len(tshape), tuple(tshape)
    if not isinstance(region, tuple):
        region = (region,)
    if tshape is None:
        raise ValueError(f"store: regions= needs a target with a .shape ({what})")
    if len(region) > len(tshape) or not all(isinstance(s, slice) for s in region):
        raise NotImplementedError(
            f"store: region {region!r} for {what}: use a tuple of slices, one per axis at most"
        )
    region = region + (slice(None),) * (len(tshape) - len(region))
    offsets, shape = [], []
    for s, n in zip(region, tshape, strict=True):
        start, stop, step = s.indices(n)
        if step != 1:
            raise NotImplementedError(f"store: region {region!r} with a step other than 1")
        offsets.append(start)
        shape.append(max(stop - start, 0))
    return tuple(offsets), tuple(shape)


def _store_arrays(sources: list, targets: list, regions: list, lock: Any, keep: bool) -> list:
    out = []
    for n, (src, tgt, reg) in enumerate(zip(sources, targets, regions, strict=True)):
        what = f"source {n}"
        if not isinstance(src, Array):
            raise TypeError(f"store: {what} must be an mpiflow Array, got {type(src).__name__}")
        if not hasattr(tgt, "__setitem__"):
            raise TypeError(
                f"store: target {n} ({type(tgt).__name__}) does not support item assignment"
            )
        if any(isinstance(c, float) and math.isnan(c) for cs in src.chunks for c in cs):
            raise ValueError(
                f"store: {what} has unknown (NaN) chunk sizes; call x.compute_chunk_sizes() first"
            )
        tshape = tuple(tgt.shape) if hasattr(tgt, "shape") else None
        if tshape is None and reg is None:
            offsets, shape = (0,) * src.ndim, src.shape
        else:
            offsets, shape = _region(reg, tshape, what)
        if tuple(shape) != tuple(src.shape):
            where = "region" if reg is not None else "target"
            raise ValueError(
                f"store: {what} has shape {src.shape} but its {where} has shape {tuple(shape)}; "
                "they must match"
            )
        if isinstance(tgt, np.ndarray):
            tgt = _Target(tgt)
        name = "store-map-" + tokenize(src.name, uuid.uuid4().hex)
        starts = cumdims(src.chunks)
        layer = {}
        for idx in np.ndindex(*src.numblocks):
            index = tuple(
                slice(o + s[i], o + s[i + 1]) for o, s, i in zip(offsets, starts, idx, strict=True)
            )
            layer[(name, *idx)] = (_store_block, (src.name, *idx), tgt, index, lock, keep)
        chunks = src.chunks if keep else tuple((0,) * len(c) for c in src.chunks)
        out.append(new_array(name, layer, chunks, src.dtype, dependencies=[src]))
    return out


def store(
    sources: Any,
    targets: Any,
    lock: Any = True,
    regions: Any = None,
    compute: bool = True,
    return_stored: bool = False,
    **kwargs: Any,
) -> Any:
    """Write arrays into objects that support ``target[index] = block``, one task per block.

    Parameters
    ----------
    sources : Array or list of Arrays
    targets : object or list of objects
        Each with ``__setitem__`` and (unless ``regions`` says where) a
        ``shape`` equal to its source's shape.
    lock : bool or lock, default True
        ``True``: one lock (that works on every scheduler) around the writes;
        ``False``/``None``: no lock; or any object usable in ``with``.
    regions : tuple of slices or list of them, optional
        Where in each target its source goes (step-1 slices).
    compute : bool, default True
        Write now; otherwise return a ``Delayed`` that writes when computed.
    return_stored : bool, default False
        Return arrays of the stored values (persisted when ``compute=True``).
    **kwargs
        Passed to :func:`mpiflow.compute` (``scheduler=``...).

    Returns
    -------
    None, Delayed, or a tuple of Arrays (with ``return_stored=True``)

    Examples
    --------
    >>> import mpiflow.array as da
    >>> out = np.zeros(6)
    >>> store(da.arange(3, chunks=2), out, regions=(slice(3, 6),), scheduler='sync')
    >>> out
    array([0., 0., 0., 0., 1., 2.])
    """
    single = isinstance(sources, Array)
    sources = [sources] if single else list(sources)
    targets = [targets] if single or not isinstance(targets, (list, tuple)) else list(targets)
    if len(sources) != len(targets):
        raise ValueError(
            f"store: {len(sources)} sources but {len(targets)} targets; give one target per source"
        )
    if regions is None or isinstance(regions, (tuple, slice)):
        regions = [regions] * len(sources)
    elif len(regions) != len(sources):
        raise ValueError(f"store: {len(regions)} regions for {len(sources)} sources")
    if lock is True:
        lock = _SerializableLock()
    elif lock is False:
        lock = None
    arrays = _store_arrays(sources, targets, list(regions), lock, return_stored)
    from mpiflow import base  # the entry-point layer: imported where it is used

    if return_stored:
        return base.persist(*arrays, **kwargs) if compute else tuple(arrays)
    if compute:
        base.compute(*arrays, **kwargs)
        return None
    from mpiflow.delayed import Delayed

    dsk, keys = base.collections_to_graph(arrays)
    dsk = dict(dsk)
    key = "store-" + uuid.uuid4().hex
    dsk[key] = (_done, keys)
    return Delayed(key, dsk)


# --------------------------------------------------------------------------------------
# NumPy stacks: a directory of <i>.npy files along one axis plus an 'info' file
# --------------------------------------------------------------------------------------


def _save_block(path: str, block: np.ndarray) -> np.ndarray:
    np.save(path, block)
    return np.empty((0,) * block.ndim)


def to_npy_stack(dirname: str, x: Array, axis: int = 0, **kwargs: Any) -> None:
    """Save ``x`` as one ``.npy`` file per block along ``axis`` (Dask's layout), writing now.

    ``x`` is first rechunked so that the other axes are whole. The directory
    gets ``0.npy``, ``1.npy``, ... and a file ``info`` (a pickled dict with
    ``chunks``, ``dtype`` and ``axis``, readable by Dask too).

    Parameters
    ----------
    dirname : str
        Directory (created if needed).
    x : Array
    axis : int, default 0
    **kwargs
        Passed to :func:`mpiflow.compute` (``scheduler=``...).

    Examples
    --------
    >>> import tempfile, mpiflow.array as da
    >>> d = tempfile.mkdtemp()
    >>> to_npy_stack(d, da.arange(10, chunks=4), scheduler='sync')
    >>> sorted(os.listdir(d))
    ['0.npy', '1.npy', '2.npy', 'info']
    """
    if not isinstance(x, Array):
        raise TypeError(f"to_npy_stack expects an mpiflow Array, got {type(x).__name__}")
    if not -x.ndim <= axis < max(x.ndim, 1):
        raise ValueError(f"to_npy_stack: axis={axis} out of range for {x.ndim} dimensions")
    axis %= max(x.ndim, 1)
    if any(isinstance(c, float) and math.isnan(c) for cs in x.chunks for c in cs):
        raise ValueError(
            "to_npy_stack: unknown (NaN) chunk sizes; call x.compute_chunk_sizes() first"
        )
    x = x.rechunk(tuple(c if i == axis else -1 for i, c in enumerate(x.chunks)))
    os.makedirs(dirname, exist_ok=True)
    with open(os.path.join(dirname, "info"), "wb") as f:
        pickle.dump({"chunks": x.chunks, "dtype": x.dtype, "axis": axis}, f)
    name = "to-npy-stack-" + tokenize(x.name, os.path.abspath(dirname))
    layer = {}
    for idx in np.ndindex(*x.numblocks):
        path = os.path.join(dirname, f"{idx[axis]}.npy")
        layer[(name, *idx)] = (_save_block, path, (x.name, *idx))
    chunks = tuple((0,) * len(c) for c in x.chunks)
    from mpiflow import base

    base.compute(new_array(name, layer, chunks, x.dtype, dependencies=[x]), **kwargs)


def from_npy_stack(dirname: str, mmap_mode: str | None = "r") -> Array:
    """Load a directory written by :func:`to_npy_stack` (or Dask's), one block per file.

    Parameters
    ----------
    dirname : str
    mmap_mode : {None, 'r', 'r+', 'c'}, default 'r'
        Passed to ``numpy.load``: blocks are memory-mapped unless ``None``.
        The ``info`` file is a pickle: open only directories you trust.

    Examples
    --------
    >>> import tempfile, mpiflow.array as da
    >>> d = tempfile.mkdtemp()
    >>> to_npy_stack(d, da.arange(5, chunks=2), scheduler='sync')
    >>> from_npy_stack(d).compute(scheduler='sync')
    array([0, 1, 2, 3, 4])
    """
    if mmap_mode not in (None, "r", "r+", "c", "w+"):
        raise ValueError(f"from_npy_stack: mmap_mode={mmap_mode!r}; use None, 'r', 'r+' or 'c'")
    info_path = os.path.join(dirname, "info")
    if not os.path.exists(info_path):
        raise FileNotFoundError(
            f"from_npy_stack: {info_path} not found; is {dirname!r} a directory written by "
            "to_npy_stack?"
        )
    with open(info_path, "rb") as f:
        info = pickle.load(f)
    chunks, dtype, axis = info["chunks"], np.dtype(info["dtype"]), info["axis"]
    paths = [os.path.join(dirname, f"{i}.npy") for i in range(len(chunks[axis]))]
    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        raise FileNotFoundError(f"from_npy_stack: missing block files {missing}")
    stamp = [os.stat(p).st_mtime_ns for p in paths]
    name = "from-npy-stack-" + tokenize(os.path.abspath(dirname), chunks, dtype, mmap_mode, stamp)
    layer = {}
    for i, path in enumerate(paths):
        key = (name,) + tuple(i if a == axis else 0 for a in range(len(chunks)))
        layer[key] = (np.load, path, mmap_mode)
    return new_array(name, layer, chunks, dtype)
