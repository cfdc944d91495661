"""Mean, variance and standard deviation (and their ``nan`` forms) as tree reductions.

Each block is summarized as ``(count, mean, M2)`` (``M2``: sum of squared
deviations from the block's own mean), computed with two passes over cache-sized
pieces of the block, and partials are merged with the parallel formula
``M2 = sum(M2_i) + sum(n_i * (mean_i - mean)**2)``. This never forms a sum of
squares, so it stays accurate for data with a large mean, and it reads each
block from memory once.

Examples
--------
>>> import numpy as np
>>> import mpiflow.array as da
>>> x = da.from_array(np.array([1e9 + 1, 1e9 + 2, 1e9 + 3]), chunks=1)
>>> print(var(x).compute())
0.6666666666666666
"""

from __future__ import annotations

import functools
import math
import warnings
from typing import Any

import numpy as np

from mpiflow.array.reductions_tree import check_out, probe_dtype, sum_block, tree_reduction

__all__ = ["mean", "var", "std", "nanmean", "nanvar", "nanstd", "moment"]

_PIECE_BYTES = 1 << 18  # 256 KiB: pieces of a block stay in cache between two passes


def _acc_dtype(in_dtype: np.dtype, dtype: Any) -> np.dtype:
    """Dtype the sums are accumulated in (as NumPy's mean and var do)."""
    if dtype is not None:
        return np.dtype(dtype)
    if in_dtype.kind in "biu":
        return np.dtype(np.float64)
    if in_dtype == np.float16:
        return np.dtype(np.float32)
    return in_dtype


def _abs2(d: np.ndarray) -> np.ndarray:
    if d.dtype.kind == "c":
        return d.real * d.real + d.imag * d.imag
    return d * d


def _sqdev(d: np.ndarray, axis: int) -> np.ndarray:
    """Sum of ``|d|**2`` over one axis of a 2-d array, without a squared temporary."""
    if d.dtype.kind == "f":
        spec = "ij,ij->j" if axis == 0 else "ij,ij->i"
        return np.einsum(spec, d, d)
    return np.add.reduce(_abs2(d), axis=axis)


def _pieces(block: np.ndarray) -> list:
    """Slices of ``block`` along axis 0 of about ``_PIECE_BYTES`` each."""
    row = block.itemsize * (block.size // block.shape[0])
    step = max(1, _PIECE_BYTES // max(row, 1))
    return [block[s : s + step] for s in range(0, block.shape[0], step)]


def _merge(acc: tuple | None, k: int, mu: Any, q: Any) -> tuple:
    """Chan's update of running ``(n, mean, M2)`` with one more piece."""
    if acc is None:
        return k, mu, q
    n, mean, m2 = acc
    total = n + k
    delta = mu - mean
    return total, mean + delta * (k / total), m2 + q + _abs2(delta) * (n * k / total)


def _leading_moments(block: np.ndarray, k: int, acc: np.dtype) -> tuple:
    """``(mean, M2)`` over the first ``k`` axes, two passes per cache-sized piece."""
    cols = math.prod(block.shape[k:])
    run = None
    for p in _pieces(block):
        if k == block.ndim:
            size = p.size
            mu = np.add.reduce(p, axis=None, dtype=acc) / size
            d = np.subtract(p, mu, dtype=acc).reshape(-1)
            q = np.vdot(d, d).real if d.dtype.kind == "c" else np.dot(d, d)
        else:
            p2 = p.reshape(-1, cols)  # a small copy when the block is a strided view
            size = p2.shape[0]
            if cols <= 256 and p2.dtype == acc and p2.flags.c_contiguous:
                mu = np.einsum("ij->j", p2) / size
            else:
                mu = np.add.reduce(p2, axis=0, dtype=acc) / size
            q = _sqdev(np.subtract(p2, mu, dtype=acc), 0)
        run = _merge(run, size, mu, q)
    return run[1], run[2]


def _general_moments(block: np.ndarray, axes: tuple, n: int, acc: np.dtype) -> tuple:
    total = np.add.reduce(block, axis=axes, dtype=acc, keepdims=True)
    mean = total / n
    d = np.subtract(block, mean, dtype=acc)
    return mean, np.add.reduce(_abs2(d), axis=axes, keepdims=True)


def _moments_chunk(acc: np.dtype, block: np.ndarray, axes: tuple) -> tuple:
    """Partial ``(n, mean, M2)`` of one block; ``n`` is an int (no NaN skipping)."""
    shape = block.shape
    n = math.prod(shape[a] for a in axes)
    kept = tuple(1 if a in axes else s for a, s in enumerate(shape))
    if n == 0 or block.size == 0:
        zeros = np.zeros(kept, dtype=acc)
        return n, zeros, zeros.real.copy()
    k = len(axes)
    if block.dtype.kind in "fciub" and acc.kind in "fc" and axes == tuple(range(k)):
        mean, m2 = _leading_moments(block, k, acc)
        return n, np.reshape(mean, kept).astype(acc, copy=False), np.reshape(m2, kept)
    if 0 not in axes and block.nbytes > 2 * _PIECE_BYTES:
        # rows are independent: reduce cache-sized slabs one after the other
        parts = [_general_moments(p, axes, n, acc) for p in _pieces(block)]
        mean = np.concatenate([m for m, _ in parts], axis=0)
        return n, mean, np.concatenate([q for _, q in parts], axis=0)
    mean, m2 = _general_moments(block, axes, n, acc)
    return n, mean, m2


def _nanmoments_chunk(acc: np.dtype, block: np.ndarray, axes: tuple) -> tuple:
    """Partial ``(n, mean, M2)`` skipping NaN; ``n`` is an array of counts."""
    if block.dtype.kind not in "fc":
        n, mean, m2 = _moments_chunk(acc, block, axes)
        return np.full(mean.shape, n, dtype=np.intp), mean, m2
    mask = np.isnan(block)
    n = np.add.reduce(~mask, axis=axes, keepdims=True, dtype=np.intp)
    filled = np.where(mask, 0, block)
    total = np.add.reduce(filled, axis=axes, dtype=acc, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, total / np.maximum(n, 1), 0).astype(acc, copy=False)
    d = np.subtract(filled, mean, dtype=acc)
    d[np.broadcast_to(mask, d.shape)] = 0
    m2 = np.add.reduce(_abs2(d), axis=axes, keepdims=True)
    return n, mean, m2


def _sum_count_chunk(acc: np.dtype, block: np.ndarray, axes: tuple) -> tuple:
    """Partial ``(n, total)`` of a mean: the block's sum and size, no squares."""
    n = math.prod(block.shape[a] for a in axes)
    return n, sum_block(block, axes, acc)


def _nansum_count_chunk(acc: np.dtype, block: np.ndarray, axes: tuple) -> tuple:
    if block.dtype.kind not in "fc":
        n, total = _sum_count_chunk(acc, block, axes)
        return np.full(total.shape, n, dtype=np.intp), total
    mask = np.isnan(block)
    n = np.add.reduce(~mask, axis=axes, keepdims=True, dtype=np.intp)
    return n, sum_block(np.where(mask, 0, block), axes, acc)


def _sum_count_combine(parts: list, axes: tuple) -> tuple:
    n, total = parts[0]
    for c, t in parts[1:]:
        n = n + c
        total = total + t
    return n, total


def _mean_aggregate(dtype: np.dtype, part: tuple, axes: tuple, keepdims: bool) -> Any:
    n, total = part
    if np.any(np.asarray(n) == 0):
        warnings.warn("Mean of empty slice.", RuntimeWarning, stacklevel=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.true_divide(total, n)
    return _squeeze(out, axes, keepdims).astype(dtype, copy=False)


def _combine_list(parts: list, axes: tuple = ()) -> tuple:
    """Merge ``(n, mean, M2)`` partials with the parallel (Chan et al.) formula."""
    ns = [p[0] for p in parts]
    n = ns[0]
    for c in ns[1:]:
        n = n + c
    safe = np.maximum(n, 1)
    weighted = parts[0][1] * ns[0]
    for c, p in zip(ns[1:], parts[1:], strict=True):
        weighted = weighted + p[1] * c
    mean = weighted / safe
    m2 = parts[0][2] + _abs2(parts[0][1] - mean) * ns[0]
    for c, p in zip(ns[1:], parts[1:], strict=True):
        m2 = m2 + p[2] + _abs2(p[1] - mean) * c
    return n, mean, m2


def _squeeze(v: Any, axes: tuple, keepdims: bool) -> Any:
    v = np.asarray(v)
    return v if keepdims else v.squeeze(axis=axes)


def _var_aggregate(
    dtype: np.dtype, ddof: Any, sqrt: bool, part: tuple, axes: tuple, keepdims: bool
) -> Any:
    n, _, m2 = part
    dof = np.maximum(np.asarray(n) - ddof, 0)
    if np.any(dof <= 0):
        warnings.warn("Degrees of freedom <= 0 for slice.", RuntimeWarning, stacklevel=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = m2 / dof
        if sqrt:
            out = np.sqrt(out)
    return _squeeze(out, axes, keepdims).astype(dtype, copy=False)


def _moments(
    a: Any,
    what: str,
    func: Any,
    axis: Any,
    dtype: Any,
    keepdims: bool,
    split_every: Any,
    out: Any,
    ddof: Any = None,
) -> Any:
    """``what`` (mean, var or std, ``nan`` forms too) as a tree reduction; ``func`` is NumPy's."""
    from mpiflow.array.core import asarray

    check_out(out, what)
    a = asarray(a)
    nan = what.startswith("nan")
    dt = probe_dtype(func, a.dtype, dtype=dtype)
    acc = _acc_dtype(a.dtype, dtype)
    if what in ("mean", "nanmean"):
        chunk = functools.partial(_nansum_count_chunk if nan else _sum_count_chunk, acc)
        combine = _sum_count_combine
        aggregate = functools.partial(_mean_aggregate, dt)
    else:
        chunk = functools.partial(_nanmoments_chunk if nan else _moments_chunk, acc)
        combine = _combine_list
        aggregate = functools.partial(_var_aggregate, dt, ddof, what.endswith("std"))
    return tree_reduction(
        a,
        chunk,
        combine,
        aggregate,
        axis=axis,
        keepdims=keepdims,
        dtype=dt,
        split_every=split_every,
        name=what,
        token=(str(acc), ddof),
    )


def mean(
    a: Any,
    axis: Any = None,
    dtype: Any = None,
    keepdims: bool = False,
    split_every: Any = None,
    out: Any = None,
) -> Any:
    """Arithmetic mean over the given axes (as :func:`numpy.mean`).

    Parameters
    ----------
    a : Array or array-like
        Input.
    axis : int, tuple of ints or None
        Axes to average over; None averages everything.
    dtype : dtype, optional
        Accumulator and result dtype (default float64 for integers).
    keepdims : bool
        Keep the reduced axes with length 1.
    split_every : int or dict, optional
        Blocks merged per step of the tree.
    out : None
        Only None is supported.

    Returns
    -------
    Array
        An empty slice gives NaN and ``RuntimeWarning('Mean of empty slice.')``.

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> x = da.from_array(np.arange(6).reshape(2, 3), chunks=1)
    >>> print(mean(x).compute(), mean(x, axis=0).compute())
    2.5 [1.5 2.5 3.5]
    """
    return _moments(a, "mean", np.mean, axis, dtype, keepdims, split_every, out)


def nanmean(
    a: Any,
    axis: Any = None,
    dtype: Any = None,
    keepdims: bool = False,
    split_every: Any = None,
    out: Any = None,
) -> Any:
    """Mean ignoring NaN (as :func:`numpy.nanmean`).

    Parameters are those of :func:`mean`.

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> x = da.from_array(np.array([1.0, np.nan, 3.0]), chunks=2)
    >>> print(nanmean(x).compute())
    2.0
    """
    return _moments(a, "nanmean", np.nanmean, axis, dtype, keepdims, split_every, out)


def var(
    a: Any,
    axis: Any = None,
    dtype: Any = None,
    keepdims: bool = False,
    ddof: int = 0,
    split_every: Any = None,
    out: Any = None,
) -> Any:
    """Variance over the given axes (as :func:`numpy.var`).

    Parameters
    ----------
    a : Array or array-like
        Input.
    axis : int, tuple of ints or None
        Axes to reduce; None reduces everything.
    dtype : dtype, optional
        Accumulator and result dtype.
    keepdims : bool
        Keep the reduced axes with length 1.
    ddof : int
        Delta degrees of freedom: the divisor is ``N - ddof``.
    split_every : int or dict, optional
        Blocks merged per step of the tree.
    out : None
        Only None is supported.

    Returns
    -------
    Array
        ``N - ddof <= 0`` gives inf or NaN and a ``RuntimeWarning``, as NumPy.

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> x = da.from_array(np.array([[1.0, 2.0], [3.0, 6.0]]), chunks=1)
    >>> print(var(x, axis=0).compute(), var(x, ddof=1).compute())
    [1. 4.] 4.666666666666667
    """
    return _moments(a, "var", np.var, axis, dtype, keepdims, split_every, out, ddof)


def std(
    a: Any,
    axis: Any = None,
    dtype: Any = None,
    keepdims: bool = False,
    ddof: int = 0,
    split_every: Any = None,
    out: Any = None,
) -> Any:
    """Standard deviation over the given axes (as :func:`numpy.std`).

    Parameters are those of :func:`var`.

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> x = da.from_array(np.array([[1.0, 2.0], [3.0, 6.0]]), chunks=1)
    >>> std(x, axis=0).compute()
    array([1., 2.])
    """
    return _moments(a, "std", np.std, axis, dtype, keepdims, split_every, out, ddof)


def nanvar(
    a: Any,
    axis: Any = None,
    dtype: Any = None,
    keepdims: bool = False,
    ddof: int = 0,
    split_every: Any = None,
    out: Any = None,
) -> Any:
    """Variance ignoring NaN (as :func:`numpy.nanvar`).

    Parameters are those of :func:`var`.

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> x = da.from_array(np.array([1.0, np.nan, 3.0]), chunks=2)
    >>> print(nanvar(x).compute())
    1.0
    """
    return _moments(a, "nanvar", np.nanvar, axis, dtype, keepdims, split_every, out, ddof)


def nanstd(
    a: Any,
    axis: Any = None,
    dtype: Any = None,
    keepdims: bool = False,
    ddof: int = 0,
    split_every: Any = None,
    out: Any = None,
) -> Any:
    """Standard deviation ignoring NaN (as :func:`numpy.nanstd`).

    Parameters are those of :func:`var`.

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> x = da.from_array(np.array([1.0, np.nan, 3.0]), chunks=2)
    >>> print(nanstd(x).compute())
    1.0
    """
    return _moments(a, "nanstd", np.nanstd, axis, dtype, keepdims, split_every, out, ddof)


# --------------------------------------------------------------------------------------
# moment: central moments of any order, merged by binomial expansion
# --------------------------------------------------------------------------------------


def _power_sums_chunk(order: int, acc: np.dtype, block: np.ndarray, axes: tuple) -> tuple:
    """``(n, mean, [M_2, ..., M_order])`` with ``M_p = sum((x - mean)**p)``."""
    n = math.prod(block.shape[a] for a in axes)
    total = np.add.reduce(block, axis=axes, dtype=acc, keepdims=True)
    mean = total / max(n, 1)
    d = np.subtract(block, mean, dtype=acc)
    sums = []
    power = d * d
    for p in range(2, order + 1):
        if p > 2:
            power *= d
        sums.append(np.add.reduce(power, axis=axes, keepdims=True))
    return n, mean, sums


def _power_sums_combine(parts: list, axes: tuple) -> tuple:
    """``sum((x - m)**p) = sum_i sum_k C(p, k) M_{p-k,i} (mean_i - m)**k``."""
    n = sum(p[0] for p in parts)
    mean = sum(p[1] * p[0] for p in parts) / max(n, 1)
    order = len(parts[0][2]) + 1
    out = []
    for p in range(2, order + 1):
        acc = 0
        for ni, mi, si in parts:
            delta = mi - mean
            lower = [ni, 0, *si]  # M_0 = n, M_1 = 0
            for k in range(p + 1):
                if p - k != 1:
                    acc = acc + math.comb(p, k) * lower[p - k] * delta**k
        out.append(acc)
    return n, mean, out


def _moment_aggregate(
    dtype: np.dtype, order: int, ddof: Any, part: tuple, axes: tuple, keepdims: bool
) -> Any:
    n, mean, sums = part
    if order == 0:
        out = np.ones_like(mean)
    elif order == 1:
        out = np.zeros_like(mean)
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            out = sums[-1] / (n - ddof)
    return _squeeze(out, axes, keepdims).astype(dtype, copy=False)


def moment(
    a: Any,
    order: int,
    axis: Any = None,
    dtype: Any = None,
    keepdims: bool = False,
    ddof: int = 0,
    split_every: Any = None,
    out: Any = None,
) -> Any:
    """Central moment ``sum((x - mean)**order) / (N - ddof)`` over the given axes.

    Parameters
    ----------
    a : Array or array-like
        Input.
    order : int
        Non-negative order (2 is the variance).
    axis, dtype, keepdims, ddof, split_every, out
        As for :func:`var`.

    Returns
    -------
    Array

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> x = da.from_array(np.array([1.0, 2.0, 4.0, 9.0]), chunks=2)
    >>> print(moment(x, 3).compute())
    22.5
    """
    from mpiflow.array.core import asarray

    check_out(out, "moment")
    if not isinstance(order, (int, np.integer)) or isinstance(order, bool) or order < 0:
        raise ValueError(f"moment: order must be a non-negative int, got {order!r}")
    a = asarray(a)
    acc = _acc_dtype(a.dtype, dtype)
    dt = probe_dtype(np.var, a.dtype, dtype=dtype)
    chunk = functools.partial(_power_sums_chunk, max(int(order), 2), acc)
    agg = functools.partial(_moment_aggregate, dt, int(order), ddof)
    return tree_reduction(
        a,
        chunk,
        _power_sums_combine,
        agg,
        axis=axis,
        keepdims=keepdims,
        dtype=dt,
        split_every=split_every,
        name="moment",
        token=(str(acc), int(order), ddof),
    )
