"""Exact percentiles of a 1-d array in two tree passes, with bounded memory.

Dask's percentile is approximate (it merges per-chunk percentiles). This one
returns exactly :func:`numpy.percentile`'s answer:

1. Each block is summarized by a sorted sample of ``_SAMPLES`` of its order
   statistics (value and rank). From all samples, every order statistic the
   answer needs (rank ``t``) gets a guaranteed bracket ``[lo, hi]``: at most
   ``t`` elements are below ``lo`` and at least ``t + 1`` are at or below ``hi``.
2. Each block reports how many of its elements lie below each ``lo`` and
   returns only its elements inside the brackets; the merged, sorted bracket
   contents give the order statistics exactly, and NumPy's interpolation
   formulas finish the job.

A bracket holds about ``2 * size / _SAMPLES`` elements, so memory stays far
below the array's size. The blocks are read twice, so an input that is
expensive to compute is held in memory between the passes.

Examples
--------
>>> import numpy as np
>>> import mpiflow.array as da
>>> x = da.from_array(np.array([7.0, 1.0, 4.0, 9.0, 3.0]), chunks=2)
>>> percentile(x, [0, 50, 90]).compute()
array([1. , 4. , 8.2])
"""

from __future__ import annotations

import functools
import warnings
from typing import Any

import numpy as np

from mpiflow.array.layers import WholeInputLayer
from mpiflow.array.reductions_tree import build_tree, make_final, probe_dtype
from mpiflow.core.tokenize import tokenize

__all__ = ["percentile", "nanpercentile", "median", "nanmedian"]

_SAMPLES = 512
_METHODS = ("linear", "lower", "higher", "nearest", "midpoint")


def _summary_chunk(block: np.ndarray, axes: tuple) -> tuple:
    """``(n NaN, [(n, ranks, sorted sample)])`` of one block."""
    v = block
    nnan = 0
    if v.dtype.kind in "fc":
        mask = np.isnan(v)
        nnan = int(mask.sum())
        if nnan:
            v = v[~mask]
    n = v.size
    s = np.sort(v)
    ranks = np.unique(np.linspace(0, n - 1, min(n, _SAMPLES)).round().astype(np.intp))
    return nnan, [(n, ranks, s[ranks])]


def _summary_combine(parts: list, axes: tuple) -> tuple:
    return sum(p[0] for p in parts), [s for p in parts for s in p[1]]


def _needed_ranks(q: np.ndarray, n: int, method: str) -> tuple:
    """Virtual index, previous and next ranks of NumPy's percentile methods."""
    quant = np.true_divide(q, 100)
    vi = (n - 1) * quant
    if method == "lower":
        prev = np.floor(vi).astype(np.intp)
        return vi, prev, prev
    if method == "higher":
        prev = np.ceil(vi).astype(np.intp)
        return vi, prev, prev
    if method == "nearest":
        prev = np.around(vi).astype(np.intp)
        return vi, prev, prev
    prev = np.floor(vi)
    nxt = prev + 1
    above = vi >= n - 1
    prev[above] = n - 1
    nxt[above] = n - 1
    return vi, prev.astype(np.intp), nxt.astype(np.intp)


def _bracket(
    q: np.ndarray, method: str, skipnan: bool, part: tuple, axes: tuple, keepdims: bool
) -> dict:
    """Brackets ``[lo, hi]`` that surely hold each needed order statistic."""
    nnan, summaries = part
    n = sum(s[0] for s in summaries)
    info = {"n": n, "nan": nnan > 0 and not skipnan}
    if info["nan"] or n == 0:
        return info
    _, prev, nxt = _needed_ranks(q, n, method)
    targets = np.unique(np.concatenate([prev, nxt]))
    cand = np.sort(np.concatenate([s[2] for s in summaries if s[0]]))
    upper = np.zeros(cand.shape, dtype=np.int64)  # >= number of elements < cand
    lower = np.zeros(cand.shape, dtype=np.int64)  # <= number of elements <= cand
    for ni, ranks, samp in summaries:
        if not ni:
            continue
        upper += np.append(ranks, ni)[np.searchsorted(samp, cand, "left")]
        lower += np.insert(ranks + 1, 0, 0)[np.searchsorted(samp, cand, "right")]
    lo = cand[np.searchsorted(upper, targets, "right") - 1]
    hi = cand[np.searchsorted(lower, targets + 1, "left")]
    info.update(targets=targets, lo=lo, hi=hi)
    return info


def _merge_intervals(lo: np.ndarray, hi: np.ndarray) -> tuple:
    """Starts and ends of the union of closed intervals ``[lo, hi]``, sorted, disjoint."""
    order = np.argsort(lo, kind="stable")
    starts: list = []
    ends: list = []
    for a, b in zip(lo[order], hi[order], strict=True):
        if ends and a <= ends[-1]:
            ends[-1] = max(ends[-1], b)
        else:
            starts.append(a)
            ends.append(b)
    return np.array(starts, dtype=lo.dtype), np.array(ends, dtype=hi.dtype)


def _select_chunk(block: np.ndarray, axes: tuple, info: dict) -> tuple:
    """Count below each ``lo`` and the block's elements inside the brackets."""
    if "lo" not in info:
        return None, None
    lo = info["lo"]
    edges = np.unique(lo)
    pos = np.searchsorted(edges, block, "right")  # number of edges <= value
    below = np.cumsum(np.bincount(pos, minlength=len(edges) + 1))[:-1]
    below = below[np.searchsorted(edges, lo)]
    starts, ends = _merge_intervals(lo, info["hi"])
    k = np.searchsorted(starts, block, "right") - 1
    inside = (k >= 0) & (block <= ends[np.maximum(k, 0)])
    return below, block[inside]


def _select_combine(parts: list, axes: tuple) -> tuple:
    if parts[0][0] is None:
        return parts[0]
    below = parts[0][0].copy()
    for p in parts[1:]:
        below += p[0]
    return below, np.concatenate([p[1] for p in parts])


def _percentile_final(
    q: np.ndarray,
    method: str,
    dtype: np.dtype,
    skipnan: bool,
    part: tuple,
    axes: tuple,
    keepdims: bool,
    info: dict,
) -> np.ndarray:
    n = info["n"]
    if info["nan"]:
        return np.full(q.shape, np.nan, dtype=dtype)
    if n == 0 and skipnan:
        warnings.warn("All-NaN slice encountered", RuntimeWarning, stacklevel=2)
        return np.full(q.shape, np.nan, dtype=dtype)
    if n == 0:
        raise IndexError("percentile of an empty array: there is no element to return")
    below, inside = part
    inside = np.sort(inside)
    targets, lo = info["targets"], info["lo"]
    at = np.searchsorted(inside, lo, "left") + (targets - below)
    stats = inside[at]  # the order statistic of each target rank

    def value(rank: np.ndarray) -> np.ndarray:
        return stats[np.searchsorted(targets, rank)]

    vi, prev, nxt = _needed_ranks(q, n, method)
    a, b = value(prev), value(nxt)
    if method in ("lower", "higher", "nearest"):
        return np.asarray(a).astype(dtype, copy=False)
    gamma = vi - np.floor(vi)
    if method == "midpoint":
        gamma = np.where(vi % 1 == 0, 0.0, 0.5)
    gamma = np.where(vi >= n - 1, 0.0, gamma)
    diff = b - a
    out = np.add(a, diff * gamma)
    np.subtract(b, diff * (1 - gamma), out=out, where=gamma >= 0.5, casting="unsafe")
    return np.asarray(out).astype(dtype, copy=False)


def _final_with_info(combine: Any, final: Any, axes: tuple, parts: list, info: dict) -> Any:
    part = combine(parts, axes) if len(parts) > 1 else parts[0]
    return final(part, axes, False, info)


def percentile(
    a: Any, q: Any, method: str = "linear", internal_method: str = "exact", **kwargs: Any
) -> Any:
    """Exact percentiles of a 1-d array (as :func:`numpy.percentile`).

    Parameters
    ----------
    a : Array or array-like
        1-d input. Any NaN makes every result NaN, as in NumPy.
    q : float or sequence of floats
        Percentiles in ``[0, 100]``.
    method : {'linear', 'lower', 'higher', 'nearest', 'midpoint'}
        NumPy's interpolation method.
    internal_method : {'exact'}
        Always exact (two passes over the data); Dask's approximate
        algorithms are not offered.

    Returns
    -------
    Array
        Shape of ``q``, one chunk.

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> x = da.from_array(np.arange(10), chunks=3)
    >>> print(percentile(x, [25, 50]).compute(), percentile(x, 50, method='lower').compute())
    [2.25 4.5 ] 4
    """
    a, qa = _validate(a, q, method, internal_method, kwargs, "percentile")
    return _exact_percentile(a, qa, method, skipnan=False)


def nanpercentile(
    a: Any, q: Any, method: str = "linear", internal_method: str = "exact", **kwargs: Any
) -> Any:
    """Exact percentiles of a 1-d array ignoring NaN (as :func:`numpy.nanpercentile`).

    Parameters are those of :func:`percentile`; an all-NaN input gives NaN
    and a ``RuntimeWarning``.

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> x = da.from_array(np.array([4.0, np.nan, 1.0, 2.0]), chunks=2)
    >>> print(nanpercentile(x, 50).compute())
    2.0
    """
    a, qa = _validate(a, q, method, internal_method, kwargs, "nanpercentile")
    return _exact_percentile(a, qa, method, skipnan=True)


def _validate(a: Any, q: Any, method: str, internal_method: str, kwargs: dict, what: str) -> tuple:
    from mpiflow.array.core import asarray

    if kwargs:
        raise TypeError(f"{what} got unexpected keyword arguments {sorted(kwargs)}")
    if internal_method not in ("exact", "default"):
        raise NotImplementedError(
            f"{what}(internal_method={internal_method!r}): only the exact method exists"
        )
    if method not in _METHODS:
        raise NotImplementedError(
            f"{what}(method={method!r}) is not supported; use one of {_METHODS}"
        )
    a = asarray(a)
    if a.ndim != 1:
        raise NotImplementedError(
            f"{what} of a {a.ndim}-d array is not supported: only 1-d arrays "
            "(use x.ravel() for the whole array)"
        )
    qa = np.asarray(q, dtype=float)
    if qa.ndim > 1:
        raise NotImplementedError(f"{what}: q must be a scalar or a 1-d sequence")
    if np.any(np.isnan(qa)) or np.any((qa < 0) | (qa > 100)):
        raise ValueError(f"Percentiles must be in the range [0, 100], got q={q!r}")
    return a, qa


def _exact_percentile(a: Any, qa: np.ndarray, method: str, skipnan: bool) -> Any:
    """The two-pass graph; ``skipnan`` ignores NaN (an all-NaN input gives NaN)."""
    from mpiflow.array.core import new_array

    func = np.nanpercentile if skipnan else np.percentile
    dtype = probe_dtype(func, a.dtype, qa, method=method)
    name = f"percentile-{tokenize(a.name, qa, method, skipnan)}"
    qflat = qa.reshape(-1)
    layer = WholeInputLayer()  # every block of the inputs is read
    info = f"{name}-bracket"
    bracket = make_final(
        _summary_combine, functools.partial(_bracket, qflat, method, skipnan), (0,)
    )
    build_tree(
        layer,
        f"{name}-summary",
        [a],
        (0,),
        _summary_chunk,
        _summary_combine,
        bracket,
        out_key=lambda new: info,
    )
    final = functools.partial(
        _final_with_info,
        _select_combine,
        functools.partial(_percentile_final, qflat, method, dtype, skipnan),
        (0,),
    )
    out_key = (name,) if qa.ndim == 0 else (name, 0)
    build_tree(
        layer,
        f"{name}-select",
        [a],
        (0,),
        _select_chunk,
        _select_combine,
        _identity_list,
        chunk_extra=lambda idx: (info,),
        out_key=lambda new: f"{name}-selected",
    )
    layer[out_key] = (functools.partial(_reshape_task, qa.shape), (final, f"{name}-selected", info))
    chunks = () if qa.ndim == 0 else ((qa.size,),)
    return new_array(name, layer, chunks, dtype, dependencies=[a])


def _reshape_task(shape: tuple, value: np.ndarray) -> np.ndarray:
    return np.asarray(value).reshape(shape)


def _identity_list(parts: list) -> list:
    return parts


# --------------------------------------------------------------------------------------
# median / nanmedian
# --------------------------------------------------------------------------------------


def _median_block(func: Any, axes: tuple, keepdims: bool, block: np.ndarray) -> Any:
    with warnings.catch_warnings():
        if func is np.nanmedian:
            warnings.filterwarnings("always", "All-NaN slice")
        return np.asarray(func(block, axis=axes, keepdims=keepdims))


def _median(a: Any, axis: Any, keepdims: bool, out: Any, what: str, skipnan: bool) -> Any:
    from mpiflow.array.core import asarray, new_array
    from mpiflow.array.reductions_tree import check_out, normalize_axis

    check_out(out, what)
    a = asarray(a)
    func = np.nanmedian if skipnan else np.median
    axes = normalize_axis(axis, a.ndim, what)
    dtype = probe_dtype(func, a.dtype)
    if len(axes) == a.ndim and a.ndim:
        flat = a if a.ndim == 1 else a.ravel()
        r = _exact_percentile(flat, np.asarray(50.0), "linear", skipnan)
        if not keepdims:
            return r
        name = f"{what}-{tokenize(r.name)}"
        shape = (1,) * a.ndim
        layer = {(name, *([0] * a.ndim)): (functools.partial(_reshape_task, shape), (r.name,))}
        return new_array(name, layer, ((1,),) * a.ndim, dtype, dependencies=[r])
    # along some axes: make each reduced axis one chunk, then NumPy per block
    b = a.rechunk({ax: -1 for ax in axes}) if any(a.numblocks[ax] > 1 for ax in axes) else a
    name = f"{what}-{tokenize(b.name, axes, keepdims)}"
    task = functools.partial(_median_block, func, axes, keepdims)
    layer = {}
    for idx in np.ndindex(*b.numblocks):
        out_idx = tuple(i for d, i in enumerate(idx) if keepdims or d not in axes)
        layer[(name, *out_idx)] = (task, (b.name, *idx))
    chunks = tuple(
        (1,) if d in axes else c for d, c in enumerate(b.chunks) if keepdims or d not in axes
    )
    return new_array(name, layer, chunks, dtype, dependencies=[b])


def median(a: Any, axis: Any = None, keepdims: bool = False, out: Any = None) -> Any:
    """Median over the given axes (as :func:`numpy.median`).

    Over all axes it is the exact two-pass percentile (Dask refuses
    ``axis=None``); along some axes, those axes are rechunked to one chunk and
    NumPy computes each block's median.

    Parameters
    ----------
    a : Array or array-like
        Input.
    axis : int, tuple of ints or None
        Axes to reduce; None reduces everything.
    keepdims : bool
        Keep the reduced axes with length 1.
    out : None
        Only None is supported.

    Returns
    -------
    Array

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> x = da.from_array(np.array([[1.0, 8.0, 3.0], [4.0, 5.0, 9.0]]), chunks=1)
    >>> print(median(x).compute(), median(x, axis=1).compute())
    4.5 [3. 5.]
    """
    return _median(a, axis, keepdims, out, "median", False)


def nanmedian(a: Any, axis: Any = None, keepdims: bool = False, out: Any = None) -> Any:
    """Median ignoring NaN (as :func:`numpy.nanmedian`).

    Parameters are those of :func:`median`.

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> x = da.from_array(np.array([[1.0, np.nan, 3.0], [4.0, 5.0, np.nan]]), chunks=1)
    >>> print(nanmedian(x).compute(), nanmedian(x, axis=0).compute())
    3.5 [2.5 5.  3. ]
    """
    return _median(a, axis, keepdims, out, "nanmedian", True)
