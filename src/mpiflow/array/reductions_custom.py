"""Dask's public ``reduction``: user functions of ``(array, axis=, keepdims=)``.

``chunk`` runs on every block; the partial results of each group of blocks are
concatenated along the reduced axes (or passed as nested lists) and handed to
``combine``, and the last group to ``aggregate``, on the same tree as every
other reduction (:func:`mpiflow.array.reductions_tree.tree_reduction`). Each
partial carries its block's position so groups are reassembled in order.

Examples
--------
>>> import numpy as np
>>> import mpiflow.array as da
>>> x = da.from_array(np.arange(6.0), chunks=4)
>>> reduction(x, np.max, np.max, axis=0).compute(scheduler='sync')
np.float64(5.0)
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from mpiflow.array.layers import WholeInputLayer
from mpiflow.array.reductions_tree import (
    build_tree,
    check_out,
    normalize_axis,
    reduced_chunks,
)
from mpiflow.core.tokenize import tokenize

__all__ = ["reduction"]


def _dk_chunk(chunk: Callable, block: np.ndarray, axes: tuple, label: list) -> tuple:
    return tuple(label), chunk(block, axis=axes, keepdims=True)


def _dk_data(parts: list, axes: tuple, concatenate: bool) -> Any:
    """Nest the parts by their block labels (one level per reduced axis), then concatenate."""
    labels = [p[0] for p in parts]
    coords = [sorted({lab[d] for lab in labels}) for d in range(len(axes))]
    grid = np.empty([len(c) for c in coords], dtype=object)
    for lab, (_, value) in zip(labels, parts, strict=True):
        grid[tuple(c.index(v) for c, v in zip(coords, lab, strict=True))] = value
    nested = grid.tolist() if axes else grid[()]
    return _dk_concat(nested, axes, 0) if concatenate else nested


def _dk_concat(nested: Any, axes: tuple, depth: int) -> Any:
    if depth == len(axes):
        return nested
    return np.concatenate([_dk_concat(n, axes, depth + 1) for n in nested], axis=axes[depth])


def _dk_combine(func: Callable, concatenate: bool, parts: list, axes: tuple) -> tuple:
    label = min(p[0] for p in parts)
    return label, func(_dk_data(parts, axes, concatenate), axis=axes, keepdims=True)


def _dk_final(func: Callable, concatenate: bool, axes: tuple, keepdims: bool, parts: list) -> Any:
    out = func(_dk_data(parts, axes, concatenate), axis=axes, keepdims=keepdims)
    if isinstance(out, np.ndarray) and out.ndim == 0:
        return out[()]
    return out


def reduction(
    x: Any,
    chunk: Callable,
    aggregate: Callable,
    axis: Any = None,
    keepdims: bool = False,
    dtype: Any = None,
    split_every: Any = None,
    combine: Callable | None = None,
    name: str | None = None,
    out: Any = None,
    concatenate: bool = True,
    output_size: int = 1,
    meta: Any = None,
    weights: Any = None,
) -> Any:
    """A user-defined tree reduction, with Dask's ``reduction`` signature.

    Parameters
    ----------
    x : Array
        The input.
    chunk : callable
        ``chunk(block, axis=, keepdims=True)``: the per-block reduction, keeping
        the reduced axes.
    aggregate : callable
        ``aggregate(parts, axis=, keepdims=)``: the last step, on the
        concatenated results of the previous step.
    axis : int, tuple of ints or None
        Axes to reduce.
    keepdims : bool
        Keep the reduced axes (with length ``output_size``).
    dtype : dtype, optional
        Result dtype; inferred from a one-element trial when not given.
    split_every : int or dict, optional
        Blocks merged per tree step.
    combine : callable, optional
        ``combine(parts, axis=, keepdims=True)`` for the intermediate steps
        (default ``aggregate``).
    name : str, optional
        Prefix of the task names.
    out : None
        Only None is supported.
    concatenate : bool
        Concatenate the parts along the reduced axes before calling ``combine``
        and ``aggregate``; otherwise pass them as nested lists.
    output_size : int
        Length of the reduced axes in the result when ``keepdims``.
    meta : array-like, optional
        Only its dtype is used.
    weights : None
        Not supported.

    Returns
    -------
    Array

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> x = da.from_array(np.arange(12).reshape(3, 4), chunks=2)
    >>> r = reduction(x, np.sum, np.sum, axis=0, dtype=x.dtype)
    >>> r.compute(scheduler='sync')
    array([12, 15, 18, 21])
    """
    from mpiflow.array.core import asarray, new_array

    check_out(out, "reduction")
    if weights is not None:
        raise NotImplementedError("reduction(..., weights=...) is not supported")
    x = asarray(x)
    axes = normalize_axis(axis, x.ndim, "reduction")
    combine = aggregate if combine is None else combine
    if dtype is None and meta is not None:
        dtype = np.asarray(meta).dtype
    if dtype is None:
        trial = chunk(np.ones((1,) * x.ndim, dtype=x.dtype), axis=axes, keepdims=True)
        dtype = np.asarray(aggregate(trial, axis=axes, keepdims=keepdims)).dtype
    dtype = np.dtype(dtype)
    prefix = name or getattr(chunk, "__name__", "reduction")
    token = tokenize(
        x.name,
        chunk,
        combine,
        aggregate,
        axes,
        keepdims,
        str(dtype),
        split_every,
        concatenate,
        output_size,
    )
    out_name = f"{prefix}-{token}"
    final = functools.partial(_dk_final, aggregate, concatenate, axes, keepdims)

    def label(idx: tuple) -> tuple:
        return ([idx[a] for a in axes],)

    def key(new: tuple) -> tuple:
        return (out_name, *(j for a, j in enumerate(new) if keepdims or a not in axes))

    layer = WholeInputLayer()  # every block of the inputs is read
    build_tree(
        layer,
        out_name,
        [x],
        axes,
        functools.partial(_dk_chunk, chunk),
        functools.partial(_dk_combine, combine, concatenate),
        final,
        split_every,
        chunk_extra=label,
        out_key=key,
    )
    chunks = reduced_chunks(x.chunks, axes, keepdims, output_size)
    return new_array(out_name, layer, chunks, dtype, dependencies=[x])
