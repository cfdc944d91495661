"""Reductions of :mod:`mpiflow.array`: ``sum``, ``prod``, ``min``, ``max``, ``any``, ``all``...

Every reduction is a tree reduction (:func:`mpiflow.array.reductions_tree.tree_reduction`)
with ``axis=`` (int, tuple, None, negative), ``keepdims=`` and ``split_every=``.
This module also re-exports the statistics (``mean``, ``var``, ``std`` and
their ``nan`` forms), the index reductions (``argmin``, ``argmax``,
``topk``...), and ``unique``, ``bincount``, ``histogram`` and ``percentile``,
so ``from mpiflow.array.reductions import *`` brings every reduction.

Examples
--------
>>> import numpy as np
>>> import mpiflow.array as da
>>> x = da.from_array(np.arange(12).reshape(3, 4), chunks=2)
>>> sum(x, axis=0).compute(scheduler='sync')
array([12, 15, 18, 21])
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from mpiflow.array.reductions_arg import (
    argmax,
    argmin,
    argtopk,
    nanargmax,
    nanargmin,
    topk,
)
from mpiflow.array.reductions_custom import reduction
from mpiflow.array.reductions_extra import bincount, histogram, unique
from mpiflow.array.reductions_percentile import median, nanmedian, nanpercentile, percentile
from mpiflow.array.reductions_stats import mean, moment, nanmean, nanstd, nanvar, std, var
from mpiflow.array.reductions_tree import (
    _fold,
    _identity_aggregate,
    check_out,
    probe_dtype,
    sum_block,
    tree_reduction,
)

__all__ = [
    "sum", "prod", "min", "max", "any", "all", "nansum", "nanprod", "nanmin", "nanmax",
    "mean", "var", "std", "nanmean", "nanvar", "nanstd", "moment", "trace",
    "argmin", "argmax", "nanargmin", "nanargmax", "topk", "argtopk",
    "unique", "bincount", "histogram", "percentile", "nanpercentile", "median",
    "nanmedian", "ptp", "count_nonzero", "reduction",
]  # fmt: skip


# --------------------------------------------------------------------------------------
# Per-block functions
# --------------------------------------------------------------------------------------


def _sum_chunk(block: np.ndarray, axes: tuple, dtype: Any) -> np.ndarray:
    return sum_block(block, axes, dtype)


def _prod_chunk(block: np.ndarray, axes: tuple, dtype: Any) -> np.ndarray:
    return np.multiply.reduce(block, axis=axes, dtype=dtype, keepdims=True)


def _nansum_chunk(block: np.ndarray, axes: tuple, dtype: Any) -> np.ndarray:
    if block.dtype.kind in "fc":
        block = np.where(np.isnan(block), 0, block)
    return sum_block(block, axes, dtype)


def _nanprod_chunk(block: np.ndarray, axes: tuple, dtype: Any) -> np.ndarray:
    return np.nanprod(block, axis=axes, dtype=dtype, keepdims=True)


def _ufunc_chunk(ufunc: np.ufunc, block: np.ndarray, axes: tuple) -> np.ndarray:
    return ufunc.reduce(block, axis=axes, keepdims=True)


def _any_chunk(block: np.ndarray, axes: tuple) -> np.ndarray:
    return np.any(block, axis=axes, keepdims=True)


def _all_chunk(block: np.ndarray, axes: tuple) -> np.ndarray:
    return np.all(block, axis=axes, keepdims=True)


def _fold_parts(op: np.ufunc, parts: list, axes: tuple) -> np.ndarray:
    return _fold(op, parts)


def _cast_aggregate(dtype: np.dtype, part: Any, axes: tuple, keepdims: bool) -> Any:
    out = _identity_aggregate(part, axes, keepdims)
    return out if out.dtype == dtype else out.astype(dtype)


def _nanminmax_aggregate(
    dtype: np.dtype, part: np.ndarray, axes: tuple, keepdims: bool
) -> np.ndarray:
    out = _cast_aggregate(dtype, part, axes, keepdims)
    if out.dtype.kind in "fc" and np.isnan(out).any():
        warnings.warn("All-NaN slice encountered", RuntimeWarning, stacklevel=2)
    return out


def _simple(
    x: Any,
    what: str,
    chunk: Callable,
    op: np.ufunc,
    axis: Any,
    keepdims: bool,
    split_every: Any,
    dtype: np.dtype,
    empty: Callable | None = None,
    aggregate: Callable = _cast_aggregate,
) -> Any:
    from mpiflow.array.core import asarray

    x = asarray(x)
    return tree_reduction(
        x,
        chunk,
        functools.partial(_fold_parts, op),
        functools.partial(aggregate, dtype),
        axis=axis,
        keepdims=keepdims,
        dtype=dtype,
        split_every=split_every,
        name=what,
        empty=empty,
    )


def _as_array(x: Any) -> Any:
    from mpiflow.array.core import asarray

    return asarray(x)


# --------------------------------------------------------------------------------------
# Public reductions
# --------------------------------------------------------------------------------------


def sum(
    a: Any,
    axis: Any = None,
    dtype: Any = None,
    keepdims: bool = False,
    split_every: Any = None,
    out: Any = None,
) -> Any:
    """Sum of array elements over the given axes (as :func:`numpy.sum`).

    Parameters
    ----------
    a : Array or array-like
        Input.
    axis : int, tuple of ints or None
        Axes to sum over; None sums everything.
    dtype : dtype, optional
        Accumulator and result dtype (NumPy's default: small ints become int64).
    keepdims : bool
        Keep the reduced axes with length 1.
    split_every : int or dict, optional
        Blocks merged per step of the tree (default about 16 in total).
    out : None
        Only None is supported.

    Returns
    -------
    Array

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> x = da.from_array(np.arange(6).reshape(2, 3), chunks=1)
    >>> print(sum(x).compute())
    15
    >>> sum(x, axis=-1, keepdims=True).compute()
    array([[ 3],
           [12]])
    """
    return _summing(a, "sum", np.sum, _sum_chunk, np.add, axis, dtype, keepdims, split_every, out)


def _chunk_with_dtype(func: Callable, dtype: np.dtype, block: np.ndarray, axes: tuple):
    return func(block, axes, dtype)


def _summing(
    a: Any,
    what: str,
    npfunc: Callable,
    block_func: Callable,
    op: np.ufunc,
    axis: Any,
    dtype: Any,
    keepdims: bool,
    split_every: Any,
    out: Any,
) -> Any:
    """sum, prod and their nan forms: ``block_func(block, axes, dtype)``, folded with ``op``."""
    check_out(out, what)
    a = _as_array(a)
    dt = probe_dtype(npfunc, a.dtype, dtype=dtype)
    chunk = functools.partial(_chunk_with_dtype, block_func, dt)
    return _simple(a, what, chunk, op, axis, keepdims, split_every, dt)


def prod(
    a: Any,
    axis: Any = None,
    dtype: Any = None,
    keepdims: bool = False,
    split_every: Any = None,
    out: Any = None,
) -> Any:
    """Product of array elements over the given axes (as :func:`numpy.prod`).

    Parameters are those of :func:`sum`.

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> x = da.from_array(np.arange(1, 7).reshape(2, 3), chunks=1)
    >>> prod(x, axis=0).compute()
    array([ 4, 10, 18])
    """
    return _summing(
        a, "prod", np.prod, _prod_chunk, np.multiply, axis, dtype, keepdims, split_every, out
    )


def nansum(
    a: Any,
    axis: Any = None,
    dtype: Any = None,
    keepdims: bool = False,
    split_every: Any = None,
    out: Any = None,
) -> Any:
    """Sum treating NaN as zero (as :func:`numpy.nansum`).

    Parameters are those of :func:`sum`.

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> x = da.from_array(np.array([1.0, np.nan, 2.0]), chunks=2)
    >>> print(nansum(x).compute())
    3.0
    """
    return _summing(
        a, "nansum", np.nansum, _nansum_chunk, np.add, axis, dtype, keepdims, split_every, out
    )


def nanprod(
    a: Any,
    axis: Any = None,
    dtype: Any = None,
    keepdims: bool = False,
    split_every: Any = None,
    out: Any = None,
) -> Any:
    """Product treating NaN as one (as :func:`numpy.nanprod`).

    Parameters are those of :func:`sum`.

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> x = da.from_array(np.array([2.0, np.nan, 3.0]), chunks=2)
    >>> print(nanprod(x).compute())
    6.0
    """
    return _summing(
        a,
        "nanprod",
        np.nanprod,
        _nanprod_chunk,
        np.multiply,
        axis,
        dtype,
        keepdims,
        split_every,
        out,
    )


def _minmax(
    a: Any,
    what: str,
    ufunc: np.ufunc,
    npfunc: Callable,
    axis: Any,
    keepdims: bool,
    split_every: Any,
    nan: bool = False,
) -> Any:
    a = _as_array(a)
    dt = probe_dtype(npfunc, a.dtype)
    chunk = functools.partial(_ufunc_chunk, ufunc)
    aggregate = _nanminmax_aggregate if nan else _cast_aggregate
    return _simple(
        a, what, chunk, ufunc, axis, keepdims, split_every, dt, empty=npfunc, aggregate=aggregate
    )


def min(
    a: Any, axis: Any = None, keepdims: bool = False, split_every: Any = None, out: Any = None
) -> Any:
    """Minimum over the given axes (as :func:`numpy.min`; NaN propagates).

    Parameters
    ----------
    a : Array or array-like
        Input.
    axis : int, tuple of ints or None
        Axes to reduce; None reduces everything.
    keepdims : bool
        Keep the reduced axes with length 1.
    split_every : int or dict, optional
        Blocks merged per step of the tree.
    out : None
        Only None is supported.

    Returns
    -------
    Array
        An empty reduction raises NumPy's ``ValueError`` when computed.

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> x = da.from_array(np.array([[3, 1], [0, 5]]), chunks=1)
    >>> print(min(x).compute(), min(x, axis=1).compute())
    0 [1 0]
    """
    check_out(out, "min")
    return _minmax(a, "min", np.minimum, np.min, axis, keepdims, split_every)


def max(
    a: Any, axis: Any = None, keepdims: bool = False, split_every: Any = None, out: Any = None
) -> Any:
    """Maximum over the given axes (as :func:`numpy.max`; NaN propagates).

    Parameters are those of :func:`min`.

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> x = da.from_array(np.array([[3, 1], [0, 5]]), chunks=1)
    >>> max(x, axis=0).compute()
    array([3, 5])
    """
    check_out(out, "max")
    return _minmax(a, "max", np.maximum, np.max, axis, keepdims, split_every)


def nanmin(
    a: Any, axis: Any = None, keepdims: bool = False, split_every: Any = None, out: Any = None
) -> Any:
    """Minimum ignoring NaN (as :func:`numpy.nanmin`).

    An all-NaN slice gives NaN and a ``RuntimeWarning`` when computed.
    Parameters are those of :func:`min`.

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> x = da.from_array(np.array([np.nan, 2.0, 1.0]), chunks=1)
    >>> print(nanmin(x).compute())
    1.0
    """
    check_out(out, "nanmin")
    return _minmax(a, "nanmin", np.fmin, np.nanmin, axis, keepdims, split_every, nan=True)


def nanmax(
    a: Any, axis: Any = None, keepdims: bool = False, split_every: Any = None, out: Any = None
) -> Any:
    """Maximum ignoring NaN (as :func:`numpy.nanmax`).

    Parameters are those of :func:`min`.

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> x = da.from_array(np.array([np.nan, 2.0, 1.0]), chunks=1)
    >>> print(nanmax(x).compute())
    2.0
    """
    check_out(out, "nanmax")
    return _minmax(a, "nanmax", np.fmax, np.nanmax, axis, keepdims, split_every, nan=True)


def any(
    a: Any, axis: Any = None, keepdims: bool = False, split_every: Any = None, out: Any = None
) -> Any:
    """Whether any element is true over the given axes (as :func:`numpy.any`).

    Parameters are those of :func:`min`.

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> x = da.from_array(np.array([[0, 0], [0, 2]]), chunks=1)
    >>> any(x, axis=0).compute()
    array([False,  True])
    """
    check_out(out, "any")
    a = _as_array(a)
    return _simple(a, "any", _any_chunk, np.logical_or, axis, keepdims, split_every, np.dtype(bool))


def all(
    a: Any, axis: Any = None, keepdims: bool = False, split_every: Any = None, out: Any = None
) -> Any:
    """Whether all elements are true over the given axes (as :func:`numpy.all`).

    Parameters are those of :func:`min`.

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> x = da.from_array(np.array([[1, 0], [1, 2]]), chunks=1)
    >>> all(x, axis=0).compute()
    array([ True, False])
    """
    check_out(out, "all")
    a = _as_array(a)
    return _simple(
        a, "all", _all_chunk, np.logical_and, axis, keepdims, split_every, np.dtype(bool)
    )


def _trace_chunk(
    axis1: int, axis2: int, dtype: np.dtype, block: np.ndarray, axes: tuple, offset: int
) -> np.ndarray:
    out = np.trace(block, offset=offset, axis1=axis1, axis2=axis2, dtype=dtype)
    return np.expand_dims(np.asarray(out), axes)


def trace(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype: Any = None) -> Any:
    """Sum along a diagonal (as :func:`numpy.trace`).

    Each block adds the part of the diagonal it holds (known chunk sizes are
    needed to place it), then the sums are merged by the tree reducer.

    Parameters
    ----------
    a : Array or array-like
        At least 2-d.
    offset : int
        Diagonal above (> 0) or below (< 0) the main one.
    axis1, axis2 : int
        The axes of the 2-d sub-arrays whose diagonals are summed.
    dtype : dtype, optional
        Accumulator and result dtype.

    Returns
    -------
    Array
        ``a``'s shape without ``axis1`` and ``axis2``.

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> x = da.from_array(np.arange(16).reshape(4, 4), chunks=3)
    >>> print(trace(x).compute(), trace(x, offset=1).compute())
    30 18
    """
    from mpiflow.array.reductions_tree import known_offsets, normalize_axis

    a = _as_array(a)
    if a.ndim < 2:
        raise ValueError(f"trace needs an array with at least 2 dimensions, got {a.ndim}")
    (ax1,) = normalize_axis(axis1, a.ndim, "trace")
    (ax2,) = normalize_axis(axis2, a.ndim, "trace")
    if ax1 == ax2:
        raise ValueError("trace: axis1 and axis2 cannot be the same")
    offsets = known_offsets(a, "trace")
    dt = probe_dtype(np.sum, a.dtype, dtype=dtype)  # a trace sums as np.sum does
    chunk = functools.partial(_trace_chunk, ax1, ax2, dt)

    def extra(idx: tuple) -> tuple:
        return (int(offset) + offsets[ax1][idx[ax1]] - offsets[ax2][idx[ax2]],)

    return tree_reduction(
        a,
        chunk,
        functools.partial(_fold_parts, np.add),
        functools.partial(_cast_aggregate, dt),
        axis=(ax1, ax2),
        dtype=dt,
        name="trace",
        token=(int(offset), ax1, ax2),
        chunk_extra=extra,
    )


def _ptp_chunk(block: np.ndarray, axes: tuple) -> tuple:
    return np.minimum.reduce(block, axis=axes, keepdims=True), np.maximum.reduce(
        block, axis=axes, keepdims=True
    )


def _ptp_combine(parts: list, axes: tuple) -> tuple:
    return _fold(np.minimum, [p[0] for p in parts]), _fold(np.maximum, [p[1] for p in parts])


def _ptp_aggregate(dtype: np.dtype, part: tuple, axes: tuple, keepdims: bool) -> np.ndarray:
    return _cast_aggregate(dtype, np.subtract(part[1], part[0]), axes, keepdims)


def ptp(a: Any, axis: Any = None, keepdims: bool = False, split_every: Any = None) -> Any:
    """Range ``max - min`` over the given axes (as :func:`numpy.ptp`), in one pass.

    Parameters are those of :func:`min`.

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> x = da.from_array(np.array([[3, 1], [0, 5]]), chunks=1)
    >>> ptp(x, axis=0).compute()
    array([3, 4])
    """
    a = _as_array(a)
    dt = probe_dtype(np.ptp, a.dtype)
    return tree_reduction(
        a,
        _ptp_chunk,
        _ptp_combine,
        functools.partial(_ptp_aggregate, dt),
        axis=axis,
        keepdims=keepdims,
        dtype=dt,
        split_every=split_every,
        name="ptp",
        empty=np.ptp,
    )


def _count_chunk(block: np.ndarray, axes: tuple) -> np.ndarray:
    return np.asarray(np.count_nonzero(block, axis=axes, keepdims=True), dtype=np.intp)


def count_nonzero(a: Any, axis: Any = None, keepdims: bool = False, split_every: Any = None) -> Any:
    """Number of non-zero elements over the given axes (as :func:`numpy.count_nonzero`).

    Parameters are those of :func:`min`.

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> x = da.from_array(np.array([[3, 0], [0, 5], [1, 1]]), chunks=1)
    >>> count_nonzero(x, axis=0).compute()
    array([2, 2])
    """
    a = _as_array(a)
    return _simple(
        a, "count_nonzero", _count_chunk, np.add, axis, keepdims, split_every, np.dtype(np.intp)
    )
