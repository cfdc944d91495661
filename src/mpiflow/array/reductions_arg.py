"""Index reductions: ``argmin``, ``argmax`` (+ ``nan`` forms), ``topk`` and ``argtopk``.

Along one axis, each partial carries the block's extent along that axis, so a
merge shifts the indices of its parts by the extents before them: global
indices come out right without knowing any chunk size in advance (arrays with
unknown chunks work). With ``axis=None`` on an array of two or more
dimensions the flat index needs the block offsets, so the chunk sizes must be
known. Ties resolve to the first index, NaN to the first NaN, as NumPy does;
the ``nan`` forms fill NaN exactly as NumPy does and raise
``ValueError('All-NaN slice encountered')`` for an all-NaN slice.

Examples
--------
>>> import numpy as np
>>> import mpiflow.array as da
>>> x = da.from_array(np.array([3, 9, 1, 9]), chunks=2)
>>> print(argmax(x).compute(), topk(x, 2).compute())
1 [9 9]
"""

from __future__ import annotations

import functools
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from mpiflow.array.reductions_tree import (
    check_out,
    known_offsets,
    normalize_axis,
    tree_reduction,
)

__all__ = ["argmin", "argmax", "nanargmin", "nanargmax", "topk", "argtopk"]


def _fill(block: np.ndarray, nan: bool, fill: float) -> tuple[np.ndarray, Any]:
    """NumPy's NaN handling of ``nanarg*``: NaN -> +-inf, and the NaN mask."""
    if not nan or block.dtype.kind not in "fc":
        return block, None
    mask = np.isnan(block)
    if mask.any():
        block = np.where(mask, fill, block)
    return block, mask


def _arg_chunk(argf: Callable, nan: bool, fill: float, block: np.ndarray, axes: tuple):
    (a,) = axes
    filled, mask = _fill(block, nan, fill)
    idx = argf(filled, axis=a, keepdims=True)
    vals = np.take_along_axis(filled, idx, axis=a)
    allnan = None if mask is None else np.all(mask, axis=a, keepdims=True)
    return vals, idx, block.shape[a], allnan


def _and_allnan(flags: list) -> Any:
    if any(f is None for f in flags):
        return None
    return functools.reduce(np.logical_and, flags)


def _arg_combine(argf: Callable, parts: list, axes: tuple) -> tuple:
    (a,) = axes
    vals = np.concatenate([p[0] for p in parts], axis=a)
    offset = 0
    shifted = []
    for p in parts:
        shifted.append(p[1] + offset)
        offset += p[2]
    choose = argf(vals, axis=a, keepdims=True)
    idx = np.take_along_axis(np.concatenate(shifted, axis=a), choose, axis=a)
    return np.take_along_axis(vals, choose, axis=a), idx, offset, _and_allnan([p[3] for p in parts])


def _arg_aggregate(part: tuple, axes: tuple, keepdims: bool) -> np.ndarray:
    allnan = part[3]
    if allnan is not None and np.any(allnan):
        raise ValueError("All-NaN slice encountered")
    idx = part[1].astype(np.intp, copy=False)
    return idx if keepdims else idx.squeeze(axis=axes)


def _flat_chunk(
    argf: Callable,
    nan: bool,
    fill: float,
    block: np.ndarray,
    axes: tuple,
    offsets: np.ndarray,
    shape: np.ndarray,
) -> tuple:
    """Partial of ``axis=None`` on n-d arrays: value and global flat index."""
    filled, mask = _fill(block, nan, fill)
    local = int(argf(filled))
    coords = np.unravel_index(local, block.shape) if block.ndim else ()
    flat = 0
    for c, o, s in zip(coords, offsets, shape, strict=True):
        flat = flat * int(s) + int(c) + int(o)
    allnan = None if mask is None else bool(mask.all())
    return filled.reshape(-1)[local], flat, allnan


def _flat_combine(argf: Callable, parts: list, axes: tuple) -> tuple:
    idx = np.array([p[1] for p in parts])
    order = np.argsort(idx, kind="stable")
    vals = np.array([p[0] for p in parts])[order]
    j = int(argf(vals))
    return vals[j], int(idx[order][j]), _and_allnan([p[2] for p in parts])


def _flat_aggregate(ndim: int, part: tuple, axes: tuple, keepdims: bool) -> np.ndarray:
    if part[2]:
        raise ValueError("All-NaN slice encountered")
    out = np.array(part[1], dtype=np.intp)
    return out.reshape((1,) * ndim) if keepdims else out


def _empty_arg(func: Callable, which: Any, arr: np.ndarray, **_: Any) -> np.ndarray:
    return func(arr, axis=which)


def _arg_reduction(
    a: Any,
    what: str,
    argf: Callable,
    npfunc: Callable,
    nan: bool,
    fill: float,
    axis: Any,
    keepdims: bool,
    split_every: Any,
) -> Any:
    from mpiflow.array.core import asarray

    a = asarray(a)
    if axis is not None and (not isinstance(axis, numbers.Integral) or isinstance(axis, bool)):
        raise TypeError(f"{what}: axis must be None or an int, got {axis!r}")
    empty = functools.partial(_empty_arg, npfunc, axis)
    if axis is not None or a.ndim == 1:
        return tree_reduction(
            a,
            functools.partial(_arg_chunk, argf, nan, fill),
            functools.partial(_arg_combine, argf),
            _arg_aggregate,
            axis=0 if axis is None else axis,
            keepdims=keepdims,
            dtype=np.intp,
            split_every=split_every,
            name=what,
            empty=empty,
            token=axis,
        )
    offsets = known_offsets(a, f"{what}(axis=None) on a {a.ndim}-d array")
    shape = np.array(a.shape, dtype=np.int64)

    def extra(idx: tuple) -> tuple:
        return np.array([offsets[d][i] for d, i in enumerate(idx)], dtype=np.int64), shape

    return tree_reduction(
        a,
        functools.partial(_flat_chunk, argf, nan, fill),
        functools.partial(_flat_combine, argf),
        functools.partial(_flat_aggregate, a.ndim),
        axis=None,
        keepdims=keepdims,
        dtype=np.intp,
        split_every=split_every,
        name=what,
        empty=empty,
        chunk_extra=extra,
    )


_ARG_DOC = """Indices of the {kind} values along an axis (as :func:`numpy.{what}`).

    Parameters
    ----------
    a : Array or array-like
        Input.
    axis : int or None
        The axis; None indexes the flattened array (then n-d arrays need known
        chunk sizes).
    keepdims : bool
        Keep the reduced axis with length 1.
    split_every : int or dict, optional
        Blocks merged per step of the tree.
    out : None
        Only None is supported.

    Returns
    -------
    Array of intp
        {extra}

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> x = da.from_array(np.array([[4.0, 1.0, 7.0], [2.0, 8.0, 0.0]]), chunks=1)
    >>> print({what}(x).compute(), {what}(x, axis=1).compute())
    {result}
"""


def argmin(
    a: Any, axis: Any = None, keepdims: bool = False, split_every: Any = None, out: Any = None
) -> Any:
    check_out(out, "argmin")
    return _arg_reduction(
        a, "argmin", np.argmin, np.argmin, False, np.inf, axis, keepdims, split_every
    )


def argmax(
    a: Any, axis: Any = None, keepdims: bool = False, split_every: Any = None, out: Any = None
) -> Any:
    check_out(out, "argmax")
    return _arg_reduction(
        a, "argmax", np.argmax, np.argmax, False, -np.inf, axis, keepdims, split_every
    )


def nanargmin(
    a: Any, axis: Any = None, keepdims: bool = False, split_every: Any = None, out: Any = None
) -> Any:
    check_out(out, "nanargmin")
    return _arg_reduction(
        a, "nanargmin", np.argmin, np.nanargmin, True, np.inf, axis, keepdims, split_every
    )


def nanargmax(
    a: Any, axis: Any = None, keepdims: bool = False, split_every: Any = None, out: Any = None
) -> Any:
    check_out(out, "nanargmax")
    return _arg_reduction(
        a, "nanargmax", np.argmax, np.nanargmax, True, -np.inf, axis, keepdims, split_every
    )


_EMPTY = "An empty axis raises NumPy's ``ValueError`` when computed."
_NAN = "An all-NaN slice raises ``ValueError('All-NaN slice encountered')`` when computed."
argmin.__doc__ = _ARG_DOC.format(kind="smallest", what="argmin", extra=_EMPTY, result="5 [1 2]")
argmax.__doc__ = _ARG_DOC.format(kind="largest", what="argmax", extra=_EMPTY, result="4 [2 1]")
nanargmin.__doc__ = _ARG_DOC.format(
    kind="smallest non-NaN", what="nanargmin", extra=_NAN, result="5 [1 2]"
)
nanargmax.__doc__ = _ARG_DOC.format(
    kind="largest non-NaN", what="nanargmax", extra=_NAN, result="4 [2 1]"
)


# --------------------------------------------------------------------------------------
# topk / argtopk
# --------------------------------------------------------------------------------------


def _select(k: int, vals: np.ndarray, a: int) -> np.ndarray:
    """Positions (along ``a``) of the ``|k|`` largest (k > 0) or smallest values."""
    n = vals.shape[a]
    kth = n - k if k > 0 else -k - 1
    part = np.argpartition(vals, kth, axis=a)
    sl = [slice(None)] * vals.ndim
    sl[a] = slice(n - k, None) if k > 0 else slice(None, -k)
    return part[tuple(sl)]


def _topk_chunk(k: int, block: np.ndarray, axes: tuple) -> np.ndarray:
    (a,) = axes
    n = block.shape[a]
    if n <= abs(k):
        return block
    kth = n - k if k > 0 else -k - 1
    sl = [slice(None)] * block.ndim
    sl[a] = slice(n - k, None) if k > 0 else slice(None, -k)
    return np.partition(block, kth, axis=a)[tuple(sl)]


def _topk_combine(k: int, parts: list, axes: tuple) -> np.ndarray:
    return _topk_chunk(k, np.concatenate(parts, axis=axes[0]), axes)


def _check_k(k: int, n: int, what: str) -> None:
    if n < abs(k):
        raise ValueError(f"{what}: |k|={abs(k)} is larger than the axis length {n}")


def _topk_aggregate(k: int, part: np.ndarray, axes: tuple, keepdims: bool) -> np.ndarray:
    (a,) = axes
    _check_k(k, part.shape[a], "topk")
    out = np.sort(part, axis=a)
    return np.flip(out, axis=a) if k > 0 else out


def _argtopk_chunk(k: int, block: np.ndarray, axes: tuple) -> tuple:
    (a,) = axes
    n = block.shape[a]
    if n <= abs(k):
        shape = [1] * block.ndim
        shape[a] = n
        idx = np.broadcast_to(np.arange(n).reshape(shape), block.shape)
        return block, idx, n
    idx = _select(k, block, a)
    return np.take_along_axis(block, idx, axis=a), idx, n


def _argtopk_combine(k: int, parts: list, axes: tuple) -> tuple:
    (a,) = axes
    vals = np.concatenate([p[0] for p in parts], axis=a)
    offset = 0
    shifted = []
    for p in parts:
        shifted.append(p[1] + offset)
        offset += p[2]
    idx = np.concatenate(shifted, axis=a)
    if vals.shape[a] > abs(k):
        pick = _select(k, vals, a)
        vals = np.take_along_axis(vals, pick, axis=a)
        idx = np.take_along_axis(idx, pick, axis=a)
    return vals, idx, offset


def _argtopk_aggregate(k: int, part: tuple, axes: tuple, keepdims: bool) -> np.ndarray:
    (a,) = axes
    vals, idx, _ = part
    _check_k(k, vals.shape[a], "argtopk")
    order = np.argsort(vals, axis=a, kind="stable")
    if k > 0:
        order = np.flip(order, axis=a)
    return np.take_along_axis(idx, order, axis=a).astype(np.intp, copy=False)


def _topk(a: Any, k: Any, axis: Any, split_every: Any, what: str, arg: bool) -> Any:
    from mpiflow.array.core import asarray

    a = asarray(a)
    if not isinstance(k, numbers.Integral) or isinstance(k, bool) or k == 0:
        raise ValueError(
            f"{what}: k must be a non-zero int (k > 0: largest, k < 0: smallest), got {k!r}"
        )
    if not isinstance(axis, numbers.Integral) or isinstance(axis, bool):
        raise TypeError(f"{what}: axis must be an int, got {axis!r}")
    k = int(k)
    if a.ndim == 0:
        raise ValueError(f"{what} needs an array with at least one dimension")
    (axis,) = normalize_axis(axis, a.ndim, what)
    n = a.shape[axis]
    if n == n and n < abs(k):  # a NaN length is checked when computed
        _check_k(k, n, what)
    if arg:
        funcs = (_argtopk_chunk, _argtopk_combine, _argtopk_aggregate)
        dtype = np.dtype(np.intp)
    else:
        funcs = (_topk_chunk, _topk_combine, _topk_aggregate)
        dtype = a.dtype
    chunk, combine, aggregate = (functools.partial(f, k) for f in funcs)
    return tree_reduction(
        a,
        chunk,
        combine,
        aggregate,
        axis=axis,
        keepdims=True,
        dtype=dtype,
        split_every=split_every,
        name=what,
        token=k,
        reduced_size=abs(k),
    )


def topk(a: Any, k: int, axis: int = -1, split_every: Any = None) -> Any:
    """The ``k`` largest values along an axis, sorted (``k < 0``: smallest).

    Parameters
    ----------
    a : Array or array-like
        Input.
    k : int
        ``k > 0``: the ``k`` largest values in decreasing order; ``k < 0``: the
        ``-k`` smallest in increasing order.
    axis : int
        The axis to select along (default last).
    split_every : int or dict, optional
        Blocks merged per step of the tree.

    Returns
    -------
    Array
        The axis has length ``|k|`` (one chunk).

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> x = da.from_array(np.array([5, 1, 3, 8, 2, 7]), chunks=2)
    >>> topk(x, 2).compute(), topk(x, -2).compute()
    (array([8, 7]), array([1, 2]))
    """
    return _topk(a, k, axis, split_every, "topk", False)


def argtopk(a: Any, k: int, axis: int = -1, split_every: Any = None) -> Any:
    """Indices of the ``k`` largest values along an axis (``k < 0``: smallest).

    Parameters are those of :func:`topk`; the indices are in the order of
    :func:`topk`'s values.

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> x = da.from_array(np.array([5, 1, 3, 8, 2, 7]), chunks=2)
    >>> argtopk(x, 2).compute(), argtopk(x, -2).compute()
    (array([3, 5]), array([1, 4]))
    """
    return _topk(a, k, axis, split_every, "argtopk", True)
