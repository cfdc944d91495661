"""Making arrays: constants, ranges, ``eye``/``diag``, ``from_delayed``, and I/O.

Every function here builds one task per block; no task holds more than its
own block. ``store``, ``to_npy_stack`` and ``from_npy_stack`` live in
:mod:`mpiflow.array._store` and are exported from here.

Examples
--------
>>> import mpiflow.array as da
>>> da.ones((4, 6), chunks=(2, 3)).sum().compute(scheduler='sync')
np.float64(24.0)
>>> da.arange(10, chunks=4).chunks
((4, 4, 2),)
"""

from __future__ import annotations

import math
from numbers import Number
from typing import Any

import numpy as np

from mpiflow.array._store import from_npy_stack, store, to_npy_stack
from mpiflow.array.chunks import cumdims, normalize_chunks, slices_from_chunks
from mpiflow.array.core import Array, new_array
from mpiflow.core.tokenize import tokenize

__all__ = [
    "arange",
    "diag",
    "empty",
    "empty_like",
    "eye",
    "from_delayed",
    "from_npy_stack",
    "full",
    "full_like",
    "linspace",
    "ones",
    "ones_like",
    "store",
    "to_npy_stack",
    "zeros",
    "zeros_like",
]


# --------------------------------------------------------------------------------------
# Validation helpers
# --------------------------------------------------------------------------------------


def _shape(shape: Any, func: str) -> tuple:
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        shape = tuple(shape)
    except TypeError:
        raise TypeError(f"{func}: shape={shape!r} must be an int or a tuple of ints") from None
    for s in shape:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
            raise TypeError(f"{func}: shape={shape!r} must hold ints, got {s!r}")
        if s < 0:
            raise ValueError(f"{func}: shape={shape!r} has a negative dimension")
    return tuple(int(s) for s in shape)


def _dtype(dtype: Any, func: str) -> np.dtype:
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(
            f"{func}: dtype={dtype!r} is not a NumPy data type (use e.g. 'float64', 'int32', bool)"
        ) from None


def _blocks(chunks: tuple) -> Any:
    """(block index, slices, block shape) for every block, in C order."""
    for idx, sl in zip(
        np.ndindex(*(len(c) for c in chunks)), slices_from_chunks(chunks), strict=True
    ):
        yield idx, sl, tuple(s.stop - s.start for s in sl)


# --------------------------------------------------------------------------------------
# Constant arrays
# --------------------------------------------------------------------------------------


def _constant_block(kind: str, shape: tuple, dtype: np.dtype, order: str, fill_value: Any) -> Any:
    if kind == "full":
        return np.full(shape, fill_value, dtype=dtype, order=order)
    return getattr(np, kind)(shape, dtype=dtype, order=order)


def _constant(
    kind: str, shape: Any, dtype: Any, chunks: Any, name: str | None, order: str, fill: Any = None
) -> Array:
    shape = _shape(shape, kind)
    dtype = _dtype(dtype, kind)
    if order in ("K", "A"):  # the *_like default in NumPy: blocks are new, so C order
        order = "C"
    if order not in ("C", "F"):
        raise ValueError(f"{kind}: order={order!r} must be 'C' or 'F'")
    chunks = normalize_chunks(chunks, shape, dtype=dtype)
    if name is None:
        name = f"{kind}-" + tokenize(shape, dtype, chunks, order, fill)
    layer = {
        (name, *idx): (_constant_block, kind, bshape, dtype, order, fill)
        for idx, _, bshape in _blocks(chunks)
    }
    return new_array(name, layer, chunks, dtype)


def empty(
    shape: Any,
    dtype: Any = float,
    order: str = "C",
    *,
    chunks: Any = "auto",
    name: str | None = None,
) -> Array:
    """An array whose blocks are allocated but not initialised (``numpy.empty`` per block).

    Examples
    --------
    >>> empty((3, 4), chunks=2).chunks
    ((2, 1), (2, 2))
    """
    return _constant("empty", shape, dtype, chunks, name, order)


def zeros(
    shape: Any,
    dtype: Any = float,
    order: str = "C",
    *,
    chunks: Any = "auto",
    name: str | None = None,
) -> Array:
    """An array of zeros.

    Parameters
    ----------
    shape : int or tuple of ints
    dtype : dtype, default float64
    order : {'C', 'F'}
        Memory layout of each block.
    chunks : chunk spec, default 'auto'
        See :func:`mpiflow.array.normalize_chunks`.
    name : str, optional
        The key name (default: derived from the arguments).

    Examples
    --------
    >>> zeros(5, dtype=int, chunks=2).compute(scheduler='sync')
    array([0, 0, 0, 0, 0])
    """
    return _constant("zeros", shape, dtype, chunks, name, order)


def ones(
    shape: Any,
    dtype: Any = float,
    order: str = "C",
    *,
    chunks: Any = "auto",
    name: str | None = None,
) -> Array:
    """An array of ones (parameters as for :func:`zeros`).

    Examples
    --------
    >>> ones((2, 2), chunks=1, dtype='i4').compute(scheduler='sync')
    array([[1, 1],
           [1, 1]], dtype=int32)
    """
    return _constant("ones", shape, dtype, chunks, name, order)


def full(
    shape: Any,
    fill_value: Any,
    dtype: Any = None,
    order: str = "C",
    *,
    chunks: Any = "auto",
    name: str | None = None,
) -> Array:
    """An array filled with the scalar ``fill_value`` (its dtype by default).

    Examples
    --------
    >>> full(3, 7, chunks=2).compute(scheduler='sync')
    array([7, 7, 7])
    """
    if np.ndim(fill_value) != 0:
        raise ValueError(
            f"full: fill_value must be a scalar, got an array of shape {np.shape(fill_value)}; "
            "use broadcast_to for an array value"
        )
    if dtype is None:
        dtype = np.array(fill_value).dtype
    return _constant("full", shape, dtype, chunks, name, order, fill_value)


def _like(a: Any, func: str, dtype: Any, chunks: Any, shape: Any) -> tuple:
    if not isinstance(a, Array) and not (hasattr(a, "shape") and hasattr(a, "dtype")):
        a = np.asarray(a)
    if shape is None:
        shape = a.shape
        if any(isinstance(s, float) and math.isnan(s) for s in shape):
            raise ValueError(
                f"{func}: the array has unknown (NaN) chunk sizes; call "
                "x.compute_chunk_sizes() first or pass shape="
            )
        if chunks is None:
            chunks = a.chunks if isinstance(a, Array) else "auto"
    elif chunks is None:
        chunks = "auto"
    return (a.dtype if dtype is None else dtype), chunks, shape


def empty_like(
    a: Any,
    dtype: Any = None,
    order: str = "C",
    chunks: Any = None,
    name: str | None = None,
    shape: Any = None,
) -> Array:
    """An uninitialised array with the shape, dtype and chunks of ``a`` (each may be overridden).

    Examples
    --------
    >>> x = ones((4, 4), chunks=2)
    >>> empty_like(x).chunks
    ((2, 2), (2, 2))
    """
    dtype, chunks, shape = _like(a, "empty_like", dtype, chunks, shape)
    return empty(shape, dtype, order, chunks=chunks, name=name)


def zeros_like(
    a: Any,
    dtype: Any = None,
    order: str = "C",
    chunks: Any = None,
    name: str | None = None,
    shape: Any = None,
) -> Array:
    """Zeros with the shape, dtype and chunks of ``a`` (NumPy arrays get ``'auto'`` chunks).

    Examples
    --------
    >>> zeros_like(np.arange(3)).compute(scheduler='sync')
    array([0, 0, 0])
    """
    dtype, chunks, shape = _like(a, "zeros_like", dtype, chunks, shape)
    return zeros(shape, dtype, order, chunks=chunks, name=name)


def ones_like(
    a: Any,
    dtype: Any = None,
    order: str = "C",
    chunks: Any = None,
    name: str | None = None,
    shape: Any = None,
) -> Array:
    """Ones with the shape, dtype and chunks of ``a``.

    Examples
    --------
    >>> ones_like(zeros((2, 3), chunks=2), dtype=bool).compute(scheduler='sync')
    array([[ True,  True,  True],
           [ True,  True,  True]])
    """
    dtype, chunks, shape = _like(a, "ones_like", dtype, chunks, shape)
    return ones(shape, dtype, order, chunks=chunks, name=name)


def full_like(
    a: Any,
    fill_value: Any,
    dtype: Any = None,
    order: str = "C",
    chunks: Any = None,
    name: str | None = None,
    shape: Any = None,
) -> Array:
    """``fill_value`` everywhere, with the shape, dtype and chunks of ``a``.

    Examples
    --------
    >>> full_like(np.zeros(3), 2.5, chunks=2).compute(scheduler='sync')
    array([2.5, 2.5, 2.5])
    """
    dtype, chunks, shape = _like(a, "full_like", dtype, chunks, shape)
    return full(shape, fill_value, dtype, order, chunks=chunks, name=name)


# --------------------------------------------------------------------------------------
# Ranges
# --------------------------------------------------------------------------------------


def _arange_block(start: Any, step: Any, offset: int, n: int, dtype: np.dtype) -> np.ndarray:
    return (start + step * np.arange(offset, offset + n)).astype(dtype, copy=False)


def arange(
    *args: Any, chunks: Any = "auto", like: Any = None, dtype: Any = None, **kwargs: Any
) -> Array:
    """Evenly spaced values in ``[start, stop)``: ``arange([start,] stop[, step])``.

    Block ``i`` computes ``start + step * numpy.arange(offset, offset + n)``
    from its own offset, so floating-point error does not build up across
    blocks. The dtype follows ``numpy.arange``.

    Examples
    --------
    >>> arange(2, 11, 3, chunks=2).compute(scheduler='sync')
    array([2, 5, 8])
    >>> arange(0.0, 1.0, 0.25, chunks=3).compute(scheduler='sync')
    array([0.  , 0.25, 0.5 , 0.75])
    """
    start, stop, step = 0, None, 1
    if len(args) == 1:
        (stop,) = args
    elif len(args) == 2:
        start, stop = args
    elif len(args) == 3:
        start, stop, step = args
    elif len(args) > 3:
        raise TypeError(f"arange takes at most 3 positional arguments, got {len(args)}")
    start = kwargs.pop("start", start)
    stop = kwargs.pop("stop", stop)
    step = kwargs.pop("step", step)
    if kwargs:
        raise TypeError(f"arange got unexpected keyword arguments {sorted(kwargs)}")
    if stop is None:
        start, stop = 0, start
    for v in (start, stop, step):
        if not isinstance(v, (Number, np.number)) or isinstance(v, (complex, np.complexfloating)):
            raise TypeError(f"arange: start, stop and step must be real numbers, got {v!r}")
    if step == 0:
        raise ValueError("arange: step must not be zero")
    if dtype is None:  # NumPy's rule depends on the argument types only
        dtype = np.arange(start * 0, stop * 0, step * 0 + 1).dtype
    dtype = _dtype(dtype, "arange")
    if all(isinstance(v, (int, np.integer)) for v in (start, stop, step)):
        n = max(0, -((int(start) - int(stop)) // int(step)))
    else:
        n = max(0, math.ceil((stop - start) / step))
    chunks = normalize_chunks(chunks, (n,), dtype=dtype)
    name = "arange-" + tokenize(start, stop, step, n, chunks, dtype)
    offsets = cumdims(chunks)[0]
    layer = {
        (name, i): (_arange_block, start, step, offsets[i], c, dtype)
        for i, c in enumerate(chunks[0])
    }
    return new_array(name, layer, chunks, dtype)


def _linspace_block(
    start: Any, step: Any, stop: Any, offset: int, n: int, last: bool, dtype: np.dtype
) -> np.ndarray:
    y = np.arange(offset, offset + n) * step + start
    if last and n:
        y[-1] = stop
    if np.issubdtype(dtype, np.integer):
        np.floor(y, out=y)
    return y.astype(dtype, copy=False)


def linspace(
    start: Any,
    stop: Any,
    num: int = 50,
    endpoint: bool = True,
    retstep: bool = False,
    chunks: Any = "auto",
    dtype: Any = None,
) -> Array | tuple:
    """``num`` evenly spaced values from ``start`` to ``stop`` (as ``numpy.linspace``).

    Returns
    -------
    Array, or (Array, step) with ``retstep=True``

    Examples
    --------
    >>> linspace(0, 1, 5, chunks=2).compute(scheduler='sync')
    array([0.  , 0.25, 0.5 , 0.75, 1.  ])
    >>> x, step = linspace(0, 1, 4, endpoint=False, retstep=True, chunks=3)
    >>> float(step)
    0.25
    """
    if isinstance(num, bool) or not isinstance(num, (int, np.integer)):
        raise TypeError(f"linspace: num={num!r} must be an int")
    if num < 0:
        raise ValueError(f"linspace: num={num} must be non-negative")
    if np.ndim(start) or np.ndim(stop):
        raise NotImplementedError("linspace with array-valued start or stop")
    num = int(num)
    div = num - 1 if endpoint else num
    calc = np.result_type(start, stop, float(num))
    delta = np.asarray(stop, dtype=calc) - np.asarray(start, dtype=calc)
    step = delta / div if div > 0 else np.nan * delta
    dtype = calc if dtype is None else _dtype(dtype, "linspace")
    chunks = normalize_chunks(chunks, (num,), dtype=dtype)
    name = "linspace-" + tokenize(start, stop, num, endpoint, chunks, dtype)
    offsets = cumdims(chunks)[0]
    start_c = np.asarray(start, dtype=calc)[()]
    step_c = step[()] if div > 0 else delta[()] * 0
    layer = {}
    for i, c in enumerate(chunks[0]):
        last = endpoint and num > 1 and offsets[i + 1] == num
        layer[(name, i)] = (_linspace_block, start_c, step_c, stop, offsets[i], c, last, dtype)
    out = new_array(name, layer, chunks, dtype)
    return (out, step[()]) if retstep else out


# --------------------------------------------------------------------------------------
# eye and diag
# --------------------------------------------------------------------------------------


def eye(
    N: int, chunks: Any = "auto", M: int | None = None, k: int = 0, dtype: Any = float
) -> Array:
    """A 2-d array with ones on diagonal ``k`` and zeros elsewhere (any chunks).

    Examples
    --------
    >>> eye(3, chunks=2, k=1, dtype=int).compute(scheduler='sync')
    array([[0, 1, 0],
           [0, 0, 1],
           [0, 0, 0]])
    """
    M = N if M is None else M
    for label, v in (("N", N), ("M", M), ("k", k)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"eye: {label}={v!r} must be an int")
    shape = _shape((N, M), "eye")
    dtype = _dtype(dtype, "eye")
    chunks = normalize_chunks(chunks, shape, dtype=dtype)
    name = "eye-" + tokenize(shape, k, chunks, dtype)
    rows, cols = cumdims(chunks)
    layer = {
        (name, i, j): (np.eye, bshape[0], bshape[1], int(k) + rows[i] - cols[j], dtype)
        for (i, j), _, bshape in _blocks(chunks)
    }
    return new_array(name, layer, chunks, dtype)


def _diag_segment(block: np.ndarray, offset: int, start: int, stop: int) -> np.ndarray:
    return np.diagonal(block, offset)[start:stop].copy()


def _diag_block(v: np.ndarray, shape: tuple) -> np.ndarray:
    out = np.zeros(shape, dtype=v.dtype)
    np.fill_diagonal(out, v)
    return out


def diag(v: Any, k: int = 0) -> Array:
    """Extract diagonal ``k`` of a 2-d array, or build a 2-d array from a 1-d diagonal.

    A 2-d input may have any chunks: each block crossed by the diagonal gives
    one output block. A 1-d input gives a 2-d array whose blocks on the
    (shifted) diagonal hold it.

    Examples
    --------
    >>> from mpiflow.array import from_array
    >>> x = from_array(np.arange(9).reshape(3, 3), chunks=2)
    >>> diag(x).compute(scheduler='sync')
    array([0, 4, 8])
    >>> diag(from_array(np.array([1, 2]), chunks=1), k=1).compute(scheduler='sync')
    array([[0, 1, 0],
           [0, 0, 2],
           [0, 0, 0]])
    """
    if not isinstance(v, Array):
        from mpiflow.array.core import asarray

        v = asarray(v)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"diag: k={k!r} must be an int")
    k = int(k)
    if any(isinstance(c, float) and math.isnan(c) for cs in v.chunks for c in cs):
        raise ValueError(
            "diag: the array has unknown (NaN) chunk sizes; call x.compute_chunk_sizes() first"
        )
    if v.ndim == 1:
        return _diag_from_1d(v, k)
    if v.ndim == 2:
        return _diag_from_2d(v, k)
    raise ValueError(f"diag: input must be 1- or 2-d, got {v.ndim} dimensions")


def _diag_from_1d(v: Array, k: int) -> Array:
    c = v.chunks[0]
    pad = (abs(k),) if k else ()
    rows, cols = (c + pad, pad + c) if k >= 0 else (pad + c, c + pad)
    chunks = (rows, cols)
    name = "diag-" + tokenize(v.name, k)
    shift = (0, 1) if k > 0 else (1, 0) if k < 0 else (0, 0)
    layer = {}
    for (i, j), _, bshape in _blocks(chunks):
        n = i - shift[0]
        if n == j - shift[1] and 0 <= n < len(c):
            layer[(name, i, j)] = (_diag_block, (v.name, n), bshape)
        else:
            layer[(name, i, j)] = (_constant_block, "zeros", bshape, v.dtype, "C", None)
    return new_array(name, layer, chunks, v.dtype, dependencies=[v])


def _diag_from_2d(v: Array, k: int) -> Array:
    rows, cols = cumdims(v.chunks)
    name = "diag-" + tokenize(v.name, k)
    segments = []  # (first row t on the diagonal, length, block, offset, start in block)
    for (i, j), _, _ in _blocks(v.chunks):
        # diagonal element t is v[t, t + k]; this block holds rows [lo, hi) of them
        lo, hi = max(rows[i], cols[j] - k), min(rows[i + 1], cols[j + 1] - k)
        if hi > lo:
            off = k + rows[i] - cols[j]
            first = lo - rows[i] if off >= 0 else lo + k - cols[j]
            segments.append((lo, hi - lo, (i, j), off, first))
    segments.sort()
    layer = {
        (name, n): (_diag_segment, (v.name, *ij), off, first, first + length)
        for n, (_, length, ij, off, first) in enumerate(segments)
    }
    if not segments:
        layer = {(name, 0): (_constant_block, "empty", (0,), v.dtype, "C", None)}
    chunks = (tuple(s[1] for s in segments) or (0,),)
    return new_array(name, layer, chunks, v.dtype, dependencies=[v])


# --------------------------------------------------------------------------------------
# from_delayed
# --------------------------------------------------------------------------------------


def _check_delayed_block(value: Any, shape: tuple, dtype: np.dtype) -> np.ndarray:
    out = np.asarray(value)
    known = all(not (isinstance(s, float) and math.isnan(s)) for s in shape)
    if known and out.shape != shape:
        raise ValueError(
            f"from_delayed: the delayed value has shape {out.shape} but shape={shape} was "
            "declared; pass the shape the value really has"
        )
    return out.astype(dtype, copy=False)


def from_delayed(
    value: Any, shape: Any, dtype: Any = None, meta: Any = None, name: str | None = None
) -> Array:
    """A one-block array whose block is the result of a ``Delayed`` value.

    Parameters
    ----------
    value : Delayed
        Computes a NumPy array (or anything ``numpy.asarray`` accepts).
    shape : tuple of ints
        Its shape (NaN for unknown lengths). A different actual shape raises
        ``ValueError`` when computed.
    dtype : dtype, optional
        Its dtype (default: ``meta``'s, else float64).
    meta : array, optional
        An empty array of the right dtype (Dask's spelling).
    name : str, optional
        The key name.

    Examples
    --------
    >>> from mpiflow.delayed import delayed
    >>> d = delayed(np.arange)(4)
    >>> x = from_delayed(d, shape=(4,), dtype=int)
    >>> (x + 1).compute(scheduler='sync')
    array([1, 2, 3, 4])
    """
    from mpiflow.delayed import Delayed

    if not isinstance(value, Delayed):
        raise TypeError(
            f"from_delayed expects a Delayed value, got {type(value).__name__}; wrap it with "
            "mpiflow.delayed.delayed(...) or use from_array for concrete data"
        )
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    unknown = [isinstance(s, float) and math.isnan(s) for s in shape]
    known = iter(_shape([s for s, u in zip(shape, unknown, strict=True) if not u], "from_delayed"))
    shape = tuple(math.nan if u else next(known) for u in unknown)
    if dtype is None:
        dtype = meta.dtype if meta is not None else np.float64
    dtype = _dtype(dtype, "from_delayed")
    name = name or "from-value-" + tokenize(value.key, shape, dtype)
    key = (name,) + (0,) * len(shape)
    layer = {key: (_check_delayed_block, value.key, shape, dtype)}
    chunks = tuple((s,) for s in shape)
    return new_array(name, layer, chunks, dtype, dependencies=[value])
