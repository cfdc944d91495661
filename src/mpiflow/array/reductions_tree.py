"""The one tree reducer every reduction of :mod:`mpiflow.array` is built on.

A reduction is three functions:

``chunk(block, axis)``
    Summarizes one block into a *partial* (any picklable value; arrays in it
    keep the reduced axes with length 1).
``combine(partials, axis)``
    Merges a list of partials (the blocks of one group, in C order) into one.
``aggregate(partial, axis, keepdims)``
    Turns the last partial into the output block.

:func:`tree_reduction` applies ``chunk`` to every block, then merges the partials in
a tree: each step merges up to ``split_every`` neighbours along each reduced
axis (about 16 blocks per step in total by default), so no task ever holds more
than a few partials and the depth is logarithmic in the number of blocks. The
last step merges what is left and aggregates in the same task.

Blocks that are empty along the reduced axes are dropped before ``combine`` for
reductions without an identity (``min``, ``argmax``...); when all are empty,
NumPy itself is called on an empty array so the error (or the empty result) is
exactly NumPy's.

The public :func:`mpiflow.array.reductions_custom.reduction` keeps Dask's signature (``chunk`` and
``aggregate`` called with ``axis=`` and ``keepdims=`` on concatenated parts)
and runs on the same tree.

Examples
--------
>>> import numpy as np
>>> import mpiflow.array as da
>>> x = da.from_array(np.arange(12).reshape(3, 4), chunks=2)
>>> def chunk(block, axis):
...     return block.sum(axis=axis, keepdims=True)
>>> tree_reduction(x, chunk, _sum_parts, _identity_aggregate, axis=0,
...           dtype=x.dtype).compute(scheduler='sync')
array([12, 15, 18, 21])
"""

from __future__ import annotations

import functools
import itertools
import numbers
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from mpiflow.array.layers import WholeInputLayer
from mpiflow.core.tokenize import tokenize

__all__: list = []  # internal: the public form is reductions_custom.reduction

DEFAULT_SPLIT_EVERY = 16


class _Empty:
    """Partial of a block that has no elements along the reduced axes."""

    __slots__ = ("shape",)

    def __init__(self, shape: tuple) -> None:
        self.shape = shape

    def __reduce__(self):
        return (_Empty, (self.shape,))


def normalize_axis(axis: Any, ndim: int, what: str = "reduction") -> tuple[int, ...]:
    """Return ``axis`` as a sorted tuple of non-negative ints.

    Examples
    --------
    >>> normalize_axis(None, 3), normalize_axis(-1, 3), normalize_axis((2, 0), 3)
    ((0, 1, 2), (2,), (0, 2))
    >>> normalize_axis(3, 2)
    Traceback (most recent call last):
      ...
    numpy.exceptions.AxisError: reduction: axis 3 is out of bounds for array of dimension 2
    """
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    out = []
    for a in axes:
        if not isinstance(a, numbers.Integral) or isinstance(a, bool):
            raise TypeError(f"{what}: axis must be None, an int or a tuple of ints, got {axis!r}")
        if not -ndim <= a < ndim:
            raise np.exceptions.AxisError(int(a), ndim, what)
        out.append(int(a) % ndim if ndim else int(a))
    if len(set(out)) != len(out):
        raise ValueError(f"{what}: duplicate value in axis={axis!r}")
    return tuple(sorted(out))


def normalize_split_every(
    split_every: Any, axes: Sequence[int], numblocks: Sequence[int], ndim: int
) -> dict[int, int]:
    """Blocks merged per tree step along each reduced axis.

    An int is the total number of blocks merged per step, shared out over the
    reduced axes that have more than one block; a dict gives it per axis
    (an axis left out is merged only at the last step).

    Examples
    --------
    >>> normalize_split_every(None, (0, 1), (10, 10), 2)
    {0: 4, 1: 4}
    >>> normalize_split_every(8, (0, 1), (10, 1), 2)
    {0: 8, 1: 2}
    >>> normalize_split_every({-1: 3}, (0, 1), (10, 10), 2)
    {1: 3}
    """
    if split_every is None:
        split_every = DEFAULT_SPLIT_EVERY
    if isinstance(split_every, dict):
        out = {}
        for k, v in split_every.items():
            (a,) = normalize_axis(k, ndim, "split_every")
            if a in axes:
                out[a] = _check_split(v)
        return out
    total = _check_split(split_every)
    active = [a for a in axes if numblocks[a] > 1] or list(axes)
    per = max(2, int(total ** (1 / max(len(active), 1)) + 1e-9))
    return {a: per if a in active else 2 for a in axes}


def _check_split(v: Any) -> int:
    if not isinstance(v, numbers.Integral) or isinstance(v, bool) or v < 2:
        raise ValueError(f"split_every must be an int >= 2 (or a dict of them), got {v!r}")
    return int(v)


# --------------------------------------------------------------------------------------
# Task functions (module level so they pickle by reference)
# --------------------------------------------------------------------------------------


def _chunk_step(chunk: Callable, axes: tuple, check_empty: bool, block: Any, *extra: Any):
    if check_empty and any(block.shape[a] == 0 for a in axes):
        return _Empty(block.shape)
    return chunk(block, axes, *extra)


def _combine_step(combine: Callable, axes: tuple, parts: list) -> Any:
    full = [p for p in parts if not isinstance(p, _Empty)]
    if not full:
        return parts[0]
    if len(full) == 1:
        return full[0]
    return combine(full, axes)


def _final_step(
    combine: Callable,
    aggregate: Callable,
    axes: tuple,
    keepdims: bool,
    empty: Callable | None,
    dtype: Any,
    parts: list,
) -> Any:
    part = _combine_step(combine, axes, parts)
    if isinstance(part, _Empty):
        out = empty(np.empty(part.shape, dtype=dtype), axis=axes, keepdims=keepdims)
    else:
        out = aggregate(part, axes, keepdims)
    if isinstance(out, np.ndarray) and out.ndim == 0:
        return out[()]  # a NumPy scalar, as NumPy's reductions return
    return out


def _identity_aggregate(part: Any, axes: tuple, keepdims: bool) -> Any:
    """Aggregate of reductions whose partial already is the keepdims result."""
    return part if keepdims else part.squeeze(axis=axes)


def _sum_parts(parts: list, axes: tuple) -> Any:
    return _fold(np.add, parts)


def _fold(op: Callable, parts: list) -> Any:
    """``op(op(p0, p1), p2)...`` without mutating the inputs."""
    out = op(parts[0], parts[1])
    for p in parts[2:]:
        if isinstance(out, np.ndarray) and out.shape == np.broadcast_shapes(out.shape, p.shape):
            op(out, p, out=out)
        else:
            out = op(out, p)
    return out


def sum_block(block: np.ndarray, axes: tuple, dtype: Any = None) -> np.ndarray:
    """``np.add.reduce`` with keepdims; a faster path for narrow leading-axis sums.

    NumPy sums over a leading axis one short row at a time; for C-contiguous
    float blocks whose kept part is small, ``einsum`` does the same additions
    (same order, same rounding) several times faster.

    Examples
    --------
    >>> sum_block(np.arange(6.0).reshape(3, 2), (0,))
    array([[6., 9.]])
    """
    k = len(axes)
    if (
        0 < k < block.ndim
        and axes == tuple(range(k))
        and block.dtype.kind in "fc"
        and (dtype is None or np.dtype(dtype) == block.dtype)
        and block.flags.c_contiguous
    ):
        rows = int(np.prod(block.shape[:k]))
        cols = block.size // rows if rows else 0
        if rows > 1 and 0 < cols <= 256:
            out = np.einsum("ij->j", block.reshape(rows, cols))
            return out.reshape((1,) * k + block.shape[k:])
    return np.add.reduce(block, axis=axes, dtype=dtype, keepdims=True)


# --------------------------------------------------------------------------------------
# Graph construction
# --------------------------------------------------------------------------------------


def _groups(numblocks: tuple, split: dict[int, int], final: bool) -> list:
    """(new index, [old indices in C order]) for one tree step."""
    per_axis = []
    for a, n in enumerate(numblocks):
        if a not in split:
            per_axis.append([(j, [j]) for j in range(n)])
            continue
        s = n if final else split[a]
        per_axis.append(
            [(j, list(range(j * s, min((j + 1) * s, n)))) for j in range(max(-(-n // s), 1))]
        )
    out = []
    for combo in itertools.product(*per_axis):
        new = tuple(c[0] for c in combo)
        olds = list(itertools.product(*(c[1] for c in combo)))
        out.append((new, olds))
    return out


def build_tree(
    layer: dict,
    name: str,
    arrays: Sequence[Any],
    axes: tuple[int, ...],
    chunk: Callable,
    combine: Callable,
    final: Callable,
    split_every: Any = None,
    check_empty: bool = False,
    chunk_extra: Callable[[tuple], tuple] | None = None,
    out_key: Callable[[tuple], Any] | None = None,
) -> dict:
    """Add the tasks of a tree reduction to ``layer``; return ``{out index: key}``.

    ``arrays`` share one chunking; the chunk task gets one block of each (and
    ``chunk_extra(block index)`` appended). ``final(parts)`` is the last task of
    each output block. ``out_key(index)`` names it (default ``(name, *index)``
    with the reduced axes dropped).

    Examples
    --------
    >>> import mpiflow.array as da
    >>> x = da.from_array(np.ones(4), chunks=1)
    >>> layer = {}
    >>> keys = build_tree(layer, 'r', [x], (0,), np.sum, _sum_parts, sum, split_every=2)
    >>> keys, len(layer)  # 4 chunk tasks, 2 merges, 1 final
    ({(): ('r',)}, 7)
    """
    x = arrays[0]
    numblocks = tuple(x.numblocks)
    split = normalize_split_every(split_every, axes, numblocks, x.ndim)
    for a in axes:
        split.setdefault(a, max(numblocks[a], 2))
    chunk_fn = functools.partial(_chunk_step, chunk, axes, check_empty)
    keys_of = [a.__mpiflow_keys__() for a in arrays]
    level_name = f"{name}-partial"
    for idx in itertools.product(*(range(n) for n in numblocks)):
        args = [_at(k, idx) for k in keys_of]
        if chunk_extra is not None:
            args.extend(chunk_extra(idx))
        layer[(level_name, *idx)] = (chunk_fn, *args)
    combine_fn = functools.partial(_combine_step, combine, axes)
    level = 0
    while any(numblocks[a] > split[a] for a in axes):
        level += 1
        new_name = f"{name}-partial{level}"
        groups = _groups(numblocks, split, final=False)
        for new, olds in groups:
            layer[(new_name, *new)] = (combine_fn, [(level_name, *o) for o in olds])
        numblocks = tuple(
            max(-(-n // split[a]), 1) if a in axes else n for a, n in enumerate(numblocks)
        )
        level_name = new_name
    out = {}
    for new, olds in _groups(numblocks, split, final=True):
        kept = tuple(j for a, j in enumerate(new) if a not in axes)
        key = out_key(new) if out_key is not None else (name, *kept)
        layer[key] = (final, [(level_name, *o) for o in olds])
        out[kept] = key
    return out


def _at(keys: Any, idx: tuple) -> Any:
    for i in idx:
        keys = keys[i]
    return keys


def reduced_chunks(chunks: Sequence, axes: Sequence[int], keepdims: bool, size: Any = 1) -> tuple:
    """Chunks of the result: reduced axes become ``(size,)`` or disappear.

    Examples
    --------
    >>> reduced_chunks(((2, 2), (3,)), (0,), False), reduced_chunks(((2, 2), (3,)), (0,), True)
    (((3,),), ((1,), (3,)))
    """
    out = []
    for a, c in enumerate(chunks):
        if a not in axes:
            out.append(tuple(c))
        elif keepdims:
            out.append((size,))
    return tuple(out)


def tree_reduction(
    x: Any,
    chunk: Callable,
    combine: Callable,
    aggregate: Callable,
    axis: Any = None,
    keepdims: bool = False,
    dtype: Any = None,
    split_every: Any = None,
    name: str = "reduction",
    empty: Callable | None = None,
    token: Any = None,
    reduced_size: Any = 1,
    chunk_extra: Callable[[tuple], tuple] | None = None,
) -> Any:
    """Build a tree reduction of ``x`` over ``axis`` from three functions.

    Parameters
    ----------
    x : Array
        The input.
    chunk : callable
        ``chunk(block, axis) -> partial``; ``axis`` is a tuple of ints.
    combine : callable
        ``combine(list_of_partials, axis) -> partial``.
    aggregate : callable
        ``aggregate(partial, axis, keepdims) -> ndarray``.
    axis : int, tuple of ints or None
        Axes to reduce (negative counts from the end; None: all).
    keepdims : bool
        Keep the reduced axes with length ``reduced_size``.
    dtype : dtype
        Dtype of the result.
    split_every : int or dict, optional
        Blocks merged per tree step (see :func:`normalize_split_every`).
    name : str
        Prefix of the task names.
    empty : callable, optional
        For reductions without an identity: called as
        ``empty(np.empty(shape), axis=, keepdims=)`` when every block is empty
        along ``axis`` (pass the NumPy function so its error is raised).
    token : object, optional
        Extra values that make the name unique (the reduction's parameters).
    reduced_size : int
        Length of the reduced axes in the output when ``keepdims`` is True.
    chunk_extra : callable, optional
        ``chunk_extra(block_index) -> tuple`` of extra arguments to ``chunk``.

    Returns
    -------
    Array

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> x = da.from_array(np.arange(10), chunks=3)
    >>> def chunk(block, axis):
    ...     return block.max(axis=axis, keepdims=True)
    >>> def combine(parts, axis):
    ...     return np.maximum.reduce(parts)
    >>> r = tree_reduction(x, chunk, combine, _identity_aggregate, axis=0, dtype=x.dtype,
    ...               keepdims=True)
    >>> r.compute(scheduler='sync'), r.chunks
    (array([9]), ((1,),))
    """
    from mpiflow.array.core import new_array

    axes = normalize_axis(axis, x.ndim, name)
    dtype = np.dtype(dtype if dtype is not None else x.dtype)
    out_name = f"{name}-{tokenize(x.name, axes, keepdims, str(dtype), split_every, token)}"
    final = functools.partial(_final_step, combine, aggregate, axes, keepdims, empty, x.dtype)
    layer = WholeInputLayer()  # every block of the inputs is read
    if keepdims:

        def out_key(new: tuple) -> tuple:
            return (out_name, *new)
    else:
        out_key = None
    build_tree(
        layer,
        out_name,
        [x],
        axes,
        chunk,
        combine,
        final,
        split_every,
        check_empty=empty is not None,
        chunk_extra=chunk_extra,
        out_key=out_key,
    )
    chunks = reduced_chunks(x.chunks, axes, keepdims, reduced_size)
    return new_array(out_name, layer, chunks, dtype, dependencies=[x])


def probe_dtype(func: Callable, in_dtype: Any, /, *args: Any, **kwargs: Any) -> np.dtype:
    """The result dtype of NumPy's ``func`` on input of ``in_dtype`` (two ones; warnings off).

    Examples
    --------
    >>> probe_dtype(np.mean, np.int32), probe_dtype(np.sum, np.int8, dtype=np.int16)
    (dtype('float64'), dtype('int16'))
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(func(np.ones(2, dtype=in_dtype), *args, **kwargs)).dtype


def check_out(out: Any, what: str) -> None:
    """Raise if ``out=`` is given: results are new lazy arrays.

    Examples
    --------
    >>> check_out(None, "sum")  # nothing happens
    >>> check_out(np.empty(1), "sum")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    NotImplementedError: sum(..., out=...) is not supported: ...
    """
    if out is not None:
        raise NotImplementedError(
            f"{what}(..., out=...) is not supported: mpiflow arrays are immutable; "
            "use the returned array"
        )


def known_offsets(x: Any, what: str) -> list:
    """Cumulative block offsets per axis; raises if a chunk size is unknown.

    Examples
    --------
    >>> import mpiflow.array as da
    >>> known_offsets(da.from_array(np.arange(5), chunks=2), "trace")
    [[0, 2, 4, 5]]
    """
    from mpiflow.array.chunks import cumdims, require_known_chunks

    require_known_chunks(x, what)
    return cumdims(x.chunks)


def make_final(
    combine: Callable,
    aggregate: Callable,
    axes: tuple,
    keepdims: bool = False,
    empty: Callable | None = None,
    dtype: Any = None,
) -> Callable:
    """The last task function of a tree: merge the parts, then aggregate.

    Examples
    --------
    >>> make_final(_sum_parts, _identity_aggregate, (0,), True)([np.ones(1), np.ones(1)])
    array([2.])
    """
    return functools.partial(_final_step, combine, aggregate, axes, keepdims, empty, dtype)
