"""Reductions to a new axis: ``unique``, ``bincount`` and ``histogram``.

All three are tree reductions over every axis whose partials are small sorted
(or binned) summaries: unique values with their counts and first indices,
per-block bin counts. ``unique`` and ``bincount`` produce arrays whose length
is only known after computing, so their one chunk has size NaN (call
``compute_chunk_sizes()`` to learn it), as in Dask.

Examples
--------
>>> import numpy as np
>>> import mpiflow.array as da
>>> x = da.from_array(np.array([3, 1, 3, 2, 1]), chunks=2)
>>> unique(x).compute(), bincount(x).compute()
(array([1, 2, 3]), array([0, 2, 1, 2]))
"""

from __future__ import annotations

import builtins
import functools
import math
import numbers
import operator
from typing import Any

import numpy as np

from mpiflow.array.layers import WholeInputLayer
from mpiflow.array.reductions_tree import build_tree, known_offsets, make_final
from mpiflow.core.tokenize import tokenize

__all__ = ["unique", "bincount", "histogram"]

_NAN = math.nan


# --------------------------------------------------------------------------------------
# unique
# --------------------------------------------------------------------------------------


def _unique_chunk(
    want_index: bool, want_counts: bool, block: np.ndarray, axes: tuple, *where: Any
) -> tuple:
    flat = block.reshape(-1)
    res = np.unique(flat, return_index=want_index, return_counts=want_counts)
    if not isinstance(res, tuple):
        return res, None, None
    vals = res[0]
    idx = counts = None
    pos = 1
    if want_index:
        local = res[pos]
        pos += 1
        offsets, shape = where
        if block.ndim:
            coords = np.unravel_index(local, block.shape)
            idx = np.ravel_multi_index(
                tuple(c + o for c, o in zip(coords, offsets, strict=True)), tuple(shape)
            )
        else:
            idx = local
    if want_counts:
        counts = res[pos]
    return vals, idx, counts


def _unique_combine(parts: list, axes: tuple) -> tuple:
    vals = np.concatenate([p[0] for p in parts])
    out, inv = np.unique(vals, return_inverse=True)
    inv = inv.reshape(-1)
    idx = counts = None
    if parts[0][1] is not None:
        idx = np.full(out.shape, np.iinfo(np.intp).max, dtype=np.intp)
        np.minimum.at(idx, inv, np.concatenate([p[1] for p in parts]))
    if parts[0][2] is not None:
        counts = np.zeros(out.shape, dtype=np.intp)
        np.add.at(counts, inv, np.concatenate([p[2] for p in parts]))
    return out, idx, counts


def _unique_aggregate(part: tuple, axes: tuple, keepdims: bool) -> tuple:
    return part


def _inverse_block(root: tuple, block: np.ndarray) -> np.ndarray:
    return np.searchsorted(root[0], block).astype(np.intp, copy=False)


def unique(
    ar: Any,
    return_index: bool = False,
    return_inverse: bool = False,
    return_counts: bool = False,
) -> Any:
    """Sorted unique values of an array (as :func:`numpy.unique` with ``axis=None``).

    Parameters
    ----------
    ar : Array or array-like
        Input; flattened.
    return_index : bool
        Also return the flat index of each value's first occurrence (needs
        known chunk sizes).
    return_inverse : bool
        Also return, for each element, the index of its value in the result
        (shaped like NumPy's: like the input in NumPy >= 2.1).
    return_counts : bool
        Also return how often each value occurs.

    Returns
    -------
    Array or tuple of Array
        One-chunk arrays of unknown (NaN) length, except the inverse.

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> x = da.from_array(np.array([[3, 1], [3, 2]]), chunks=1)
    >>> u, i, c = unique(x, return_index=True, return_counts=True)
    >>> u.compute(), i.compute(), c.compute()
    (array([1, 2, 3]), array([1, 3, 0]), array([1, 1, 2]))
    """
    from mpiflow.array.core import asarray, new_array

    a = asarray(ar)
    axes = tuple(builtins.range(a.ndim))
    token = tokenize(a.name, return_index, return_inverse, return_counts)
    root = f"unique-root-{token}"
    extra = None
    if return_index:
        offsets = known_offsets(a, "unique(return_index=True)")
        shape = np.array(a.shape, dtype=np.intp)

        def extra(idx: tuple) -> tuple:
            return np.array([offsets[d][i] for d, i in enumerate(idx)], np.intp), shape

    layer = WholeInputLayer()  # every block of the inputs is read
    chunk = functools.partial(_unique_chunk, return_index, return_counts)
    final = make_final(_unique_combine, _unique_aggregate, axes)
    build_tree(
        layer,
        root,
        [a],
        axes,
        chunk,
        _unique_combine,
        final,
        chunk_extra=extra,
        out_key=lambda new: (root, 0),
    )
    tree = new_array(root, layer, ((1,),), object, dependencies=[a])
    outs = []
    for i, (want, what, dt) in enumerate(
        [
            (True, "unique", a.dtype),
            (return_index, "unique-index", np.intp),
            (return_counts, "unique-counts", np.intp),
        ]
    ):
        if want:
            name = f"{what}-{token}"
            outs.append(
                (
                    what,
                    new_array(
                        name,
                        {(name, 0): (operator.getitem, (root, 0), i)},
                        ((_NAN,),),
                        dt,
                        dependencies=[tree],
                    ),
                )
            )
    if return_inverse:
        src = a
        if np.unique(np.zeros((1, 1)), return_inverse=True)[1].ndim != 2 and a.ndim != 1:
            src = a.ravel()
        name = f"unique-inverse-{token}"
        inv_layer = {
            (name, *idx): (_inverse_block, (root, 0), (src.name, *idx))
            for idx in np.ndindex(*src.numblocks)
        }
        inv = new_array(name, inv_layer, src.chunks, np.intp, dependencies=[tree, src])
        outs.insert(2 if return_index else 1, ("inverse", inv))
    if len(outs) == 1:
        return outs[0][1]
    return tuple(o for _, o in outs)


# --------------------------------------------------------------------------------------
# bincount
# --------------------------------------------------------------------------------------


def _bincount_chunk(minlength: int, block: np.ndarray, axes: tuple, *w: Any) -> np.ndarray:
    return np.bincount(block, weights=w[0] if w else None, minlength=minlength)


def _padded_sum(parts: list, axes: tuple) -> np.ndarray:
    n = builtins.max(len(p) for p in parts)
    out = np.zeros(n, dtype=np.result_type(*parts))
    for p in parts:
        out[: len(p)] += p
    return out


def _same_chunks(w: Any, a: Any, what: str) -> Any:
    from mpiflow.array.core import asarray

    w = asarray(w)
    if w.shape != a.shape and not (any(map(math.isnan, a.shape)) and w.ndim == a.ndim):
        raise ValueError(
            f"{what}: weights must have the shape of the data, {a.shape}; got {w.shape}"
        )
    if w.chunks != a.chunks:
        w = w.rechunk(a.chunks)
    return w


def bincount(x: Any, weights: Any = None, minlength: int = 0, split_every: Any = None) -> Any:
    """Count occurrences of each non-negative int (as :func:`numpy.bincount`).

    Parameters
    ----------
    x : Array or array-like
        1-d array of non-negative ints.
    weights : Array or array-like, optional
        Same shape as ``x``; sums weights instead of counting.
    minlength : int
        Minimum length of the result.
    split_every : int, optional
        Blocks merged per step of the tree.

    Returns
    -------
    Array
        One chunk of unknown (NaN) length: ``max(x) + 1`` or ``minlength``.

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> x = da.from_array(np.array([0, 1, 1, 3]), chunks=2)
    >>> bincount(x, minlength=6).compute()
    array([1, 2, 0, 1, 0, 0])
    >>> w = da.from_array(np.array([0.5, 1.0, 1.0, 2.0]), chunks=2)
    >>> bincount(x, weights=w).compute()
    array([0.5, 2. , 0. , 2. ])
    """
    from mpiflow.array.core import asarray, new_array

    x = asarray(x)
    if x.ndim != 1:
        raise ValueError(f"bincount: x must be 1-dimensional, got shape {x.shape}")
    if x.dtype.kind not in "iub":
        raise TypeError(f"bincount: x must hold non-negative integers, got dtype {x.dtype}")
    if not isinstance(minlength, numbers.Integral) or minlength < 0:
        raise ValueError(f"bincount: minlength must be a non-negative int, got {minlength!r}")
    arrays = [x]
    dtype = np.dtype(np.intp)
    if weights is not None:
        w = _same_chunks(weights, x, "bincount")
        arrays.append(w)
        dtype = np.bincount(np.zeros(1, np.intp), weights=np.ones(1, w.dtype)).dtype
    name = f"bincount-{tokenize(*(a.name for a in arrays), int(minlength), split_every)}"
    layer = WholeInputLayer()  # every block of the inputs is read
    chunk = functools.partial(_bincount_chunk, int(minlength))
    final = make_final(_padded_sum, _identity1, (0,))
    build_tree(
        layer,
        name,
        arrays,
        (0,),
        chunk,
        _padded_sum,
        final,
        split_every,
        out_key=lambda new: (name, 0),
    )
    return new_array(name, layer, ((_NAN,),), dtype, dependencies=arrays)


def _identity1(part: Any, axes: tuple, keepdims: bool) -> Any:
    return part


# --------------------------------------------------------------------------------------
# histogram
# --------------------------------------------------------------------------------------


def _hist_chunk(bins: Any, range: Any, block: np.ndarray, axes: tuple, *w: Any):
    return np.histogram(block, bins=bins, range=range, weights=w[0] if w else None)[0]


def _sum_list(parts: list, axes: tuple) -> np.ndarray:
    out = parts[0] + parts[1]
    for p in parts[2:]:
        out += p
    return out


def _hist_aggregate(
    edges: np.ndarray | None, part: np.ndarray, axes: tuple, keepdims: bool
) -> np.ndarray:
    if edges is None:
        return part
    db = np.array(np.diff(edges), float)
    return part / db / part.sum()


def histogram(
    a: Any,
    bins: Any = 10,
    range: Any = None,
    weights: Any = None,
    density: bool | None = None,
) -> tuple[Any, np.ndarray]:
    """Histogram of the array's values (as :func:`numpy.histogram`).

    Parameters
    ----------
    a : Array or array-like
        Input; flattened.
    bins : int or sequence of scalars
        A number of equal-width bins (then ``range`` is required: finding the
        data's range would take another pass over the data), or the bin edges.
    range : (float, float), optional
        Lower and upper edge of the bins.
    weights : Array or array-like, optional
        Same shape as ``a``; sums weights instead of counting.
    density : bool, optional
        Normalize so the histogram integrates to one.

    Returns
    -------
    hist : Array
        One chunk, ``len(bin_edges) - 1`` long.
    bin_edges : numpy.ndarray

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> x = da.from_array(np.array([0.5, 1.5, 1.7, 3.9]), chunks=2)
    >>> h, edges = histogram(x, bins=4, range=(0, 4))
    >>> h.compute(), edges
    (array([1, 2, 0, 1]), array([0., 1., 2., 3., 4.]))
    """
    from mpiflow.array.core import Array, asarray, new_array

    a = asarray(a)
    if isinstance(bins, str):
        raise NotImplementedError(
            f"histogram(bins={bins!r}): estimating bins from the data is not supported; "
            "pass a number of bins with range=(low, high), or the bin edges"
        )
    if isinstance(bins, Array):
        raise NotImplementedError(
            "histogram: bins as a lazy array is not supported; compute it first"
        )
    if isinstance(bins, numbers.Integral):
        if range is None:
            raise ValueError(
                f"histogram: bins={bins} (a number of bins) needs range=(low, high), since "
                "finding the data's range would take another pass over the data; "
                "pass range= or the bin edges as bins"
            )
        bins = int(bins)
        edges = np.histogram_bin_edges(np.empty(0, dtype=float), bins, range)
    else:
        bins = np.asarray(bins)
        edges = np.histogram_bin_edges(np.empty(0, dtype=float), bins, range)
    arrays = [a]
    wdt = None
    if weights is not None:
        w = _same_chunks(weights, a, "histogram")
        arrays.append(w)
        wdt = np.ones(1, w.dtype)
    dtype = np.histogram(np.zeros(1, a.dtype), bins=edges, weights=wdt, density=density)[0].dtype
    name = f"histogram-{tokenize(*(x.name for x in arrays), bins, range, density)}"
    axes = tuple(builtins.range(a.ndim))
    layer = WholeInputLayer()  # every block of the inputs is read
    chunk = functools.partial(_hist_chunk, bins, range)
    aggregate = functools.partial(_hist_aggregate, edges if density else None)
    final = make_final(_sum_list, aggregate, axes)
    build_tree(layer, name, arrays, axes, chunk, _sum_list, final, out_key=lambda new: (name, 0))
    hist = new_array(name, layer, ((len(edges) - 1,),), dtype, dependencies=arrays)
    return hist, edges
