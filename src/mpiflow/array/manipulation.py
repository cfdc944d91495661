"""Shape manipulation: transpose, moveaxis, reshape, ravel, squeeze, concatenate, stack, block.

Every function builds one task per output block. :func:`reshape` works block
by block: where the input blocks cannot be reshaped on their own it first
rechunks so that they can, keeping roughly the input's block size, so the
whole array is never gathered into one task (unless it is one block already).

Examples
--------
>>> import numpy as np
>>> import mpiflow.array as da
>>> x = da.from_array(np.arange(6).reshape(2, 3), chunks=1)
>>> concatenate([x, x.T.T], axis=0).shape
(4, 3)
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Sequence
from functools import partial
from typing import Any

import numpy as np

from mpiflow.array.chunks import require_known_chunks
from mpiflow.array.layers import WholeInputLayer
from mpiflow.core.tokenize import tokenize

__all__ = [
    "block",
    "concatenate",
    "expand_dims",
    "moveaxis",
    "ravel",
    "repeat",
    "reshape",
    "squeeze",
    "stack",
    "swapaxes",
    "transpose",
]


def _axis(axis: Any, ndim: int) -> int:
    axis = operator.index(axis)
    if not -ndim <= axis < ndim:
        raise np.exceptions.AxisError(f"axis {axis} is out of bounds for array of dimension {ndim}")
    return axis % ndim


def _axes(axes: Any, ndim: int) -> tuple[int, ...]:
    if isinstance(axes, numbers.Integral):
        axes = (axes,)
    out = tuple(_axis(a, ndim) for a in axes)
    if len(set(out)) != len(out):
        raise ValueError(f"repeated axis in {tuple(axes)}")
    return out


def _asarray(a: Any) -> Any:
    from mpiflow.array.core import asarray

    return asarray(a)


def transpose(a: Any, axes: Sequence[int] | None = None) -> Any:
    """Permute the axes of ``a``, as :func:`numpy.transpose` (reversed by default).

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> x = da.ones((2, 3, 4), chunks=2)
    >>> transpose(x).shape, transpose(x, (1, 0, 2)).chunks
    ((4, 3, 2), ((2, 1), (2,), (2, 2)))
    """
    a = _asarray(a)
    if axes is None:
        axes = tuple(range(a.ndim))[::-1]
    else:
        axes = _axes(axes, a.ndim)
        if len(axes) != a.ndim:
            raise ValueError(f"axes {tuple(axes)} don't match array of dimension {a.ndim}")
    if axes == tuple(range(a.ndim)):
        return a
    from mpiflow.array.blockwise import blockwise

    name = "transpose-" + tokenize(a.name, axes)
    ind = tuple(range(a.ndim))
    return blockwise(np.transpose, axes, a, ind, name=name, dtype=a.dtype, axes=axes)


def moveaxis(a: Any, source: int | Sequence[int], destination: int | Sequence[int]) -> Any:
    """Move axes of ``a`` to new positions, as :func:`numpy.moveaxis`.

    Examples
    --------
    >>> import mpiflow.array as da
    >>> moveaxis(da.ones((2, 3, 4), chunks=2), 0, -1).shape
    (3, 4, 2)
    """
    a = _asarray(a)
    source, destination = _axes(source, a.ndim), _axes(destination, a.ndim)
    if len(source) != len(destination):
        raise ValueError(
            "`source` and `destination` arguments must have the same number of elements"
        )
    order = [n for n in range(a.ndim) if n not in source]
    for dest, src in sorted(zip(destination, source, strict=True)):
        order.insert(dest, src)
    return transpose(a, order)


def swapaxes(a: Any, axis1: int, axis2: int) -> Any:
    """Interchange two axes of ``a``, as :func:`numpy.swapaxes`.

    Examples
    --------
    >>> import mpiflow.array as da
    >>> swapaxes(da.ones((2, 3, 4), chunks=2), 0, 2).shape
    (4, 3, 2)
    """
    a = _asarray(a)
    axes = list(range(a.ndim))
    i, j = _axis(axis1, a.ndim), _axis(axis2, a.ndim)
    axes[i], axes[j] = axes[j], axes[i]
    return transpose(a, axes)


def squeeze(a: Any, axis: int | Sequence[int] | None = None) -> Any:
    """Remove axes of length one, as :func:`numpy.squeeze`.

    Examples
    --------
    >>> import mpiflow.array as da
    >>> x = da.ones((1, 3, 1), chunks=2)
    >>> squeeze(x).shape, squeeze(x, axis=2).shape
    ((3,), (1, 3))
    """
    from mpiflow.array.slicing import getitem

    a = _asarray(a)
    if axis is None:
        axes = tuple(k for k, n in enumerate(a.shape) if n == 1)
    else:
        axes = _axes(axis, a.ndim)
        for k in axes:
            if a.shape[k] != 1:
                raise ValueError(
                    f"cannot select an axis to squeeze out which has size not equal to one "
                    f"(axis {k} has size {a.shape[k]})"
                )
    if not axes:
        return a
    return getitem(a, tuple(0 if k in axes else slice(None) for k in range(a.ndim)))


def expand_dims(a: Any, axis: int | Sequence[int]) -> Any:
    """Insert axes of length one at positions ``axis``, as :func:`numpy.expand_dims`.

    Examples
    --------
    >>> import mpiflow.array as da
    >>> expand_dims(da.ones((3, 4), chunks=2), (0, -1)).shape
    (1, 3, 4, 1)
    """
    from mpiflow.array.slicing import getitem

    a = _asarray(a)
    nd = a.ndim + (1 if isinstance(axis, numbers.Integral) else len(axis))
    axes = _axes(axis, nd)
    return getitem(a, tuple(None if k in axes else slice(None) for k in range(nd)))


# --------------------------------------------------------------------------------------
# reshape
# --------------------------------------------------------------------------------------


def _normalize_shape(shape: Any, size: int) -> tuple[int, ...]:
    orig = shape
    if isinstance(shape, numbers.Integral):
        shape = (shape,)
    shape = [operator.index(s) for s in shape]
    unknown = [k for k, s in enumerate(shape) if s == -1]
    if len(unknown) > 1:
        raise ValueError("can only specify one unknown dimension (-1) in a new shape")
    if any(s < -1 for s in shape):
        raise ValueError(f"negative dimensions not allowed in new shape {orig}")
    if unknown:
        known = math.prod(s for s in shape if s != -1)
        if known == 0 or size % known:
            raise ValueError(f"cannot reshape array of size {size} into shape {tuple(orig)}")
        shape[unknown[0]] = size // known
    if math.prod(shape) != size:
        raise ValueError(
            f"cannot reshape array of size {size} into shape {tuple(orig)}: sizes differ"
        )
    return tuple(shape)


def _groups(old: tuple, new: tuple) -> list[tuple[list[int], list[int]]]:
    """Pair minimal runs of axes (ignoring length-1 axes) whose sizes multiply equally."""
    ie = [k for k, n in enumerate(old) if n != 1]
    oe = [k for k, n in enumerate(new) if n != 1]
    groups, i, j = [], 0, 0
    while i < len(ie):
        ins, outs = [ie[i]], [oe[j]]
        pi, po = old[ie[i]], new[oe[j]]
        while pi != po:
            if pi < po:
                i += 1
                ins.append(ie[i])
                pi *= old[ie[i]]
            else:
                j += 1
                outs.append(oe[j])
                po *= new[oe[j]]
        groups.append((ins, outs))
        i, j = i + 1, j + 1
    return groups


def _group_chunks(x: Any, ins: list[int], in_rest: int, out_rest: int, limit: Any) -> tuple:
    """Chunks along the group's first input axis such that blocks reshape alone.

    The other axes of the group become whole. Like Dask, the first axis keeps
    its chunks when they line up, unless the merged blocks would exceed the
    block-size limit; else blocks of about the original length along the
    first axis times the merged axes (capped by the limit, at least one
    aligned unit) are used.
    """
    from mpiflow import config
    from mpiflow.array.chunks import parse_bytes

    first = x.chunks[ins[0]]
    itemsize = max(x.dtype.itemsize, 1)
    outside = math.prod(max(c, default=1) for k, c in enumerate(x.chunks) if k not in ins)
    if limit is None:
        default = parse_bytes(config.get("array.chunk-size", None) or "128MiB") // itemsize
        cap = max(default, math.prod(x.chunksize))
    else:
        cap = parse_bytes(limit) // itemsize
    cap = cap // max(outside, 1)
    target = max(first) * in_rest
    if target <= cap and all(c * in_rest % out_rest == 0 for c in first):
        return first
    lcm = math.lcm(in_rest, out_rest)
    slab = max(lcm, min(target, cap) // lcm * lcm)
    total = math.prod(x.shape[k] for k in ins)
    sizes = [slab] * (total // slab) + ([total % slab] if total % slab else [])
    return tuple(s // in_rest for s in sizes)


def reshape(
    x: Any, shape: int | Sequence[int], merge_chunks: bool = True, limit: Any = None
) -> Any:
    """Give ``x`` a new shape (C order), as :func:`numpy.reshape`; one entry may be -1.

    Blocks are reshaped independently; where the chunks do not allow that,
    ``x`` is first rechunked (axes merged into one become single-chunked,
    the leading one keeps about the original block size).

    Parameters
    ----------
    x : Array
    shape : int or tuple of ints
    merge_chunks : bool
        Accepted for Dask compatibility; chunks are always merged as needed.
    limit : int or str, optional
        Upper bound on the bytes of a rechunked block (``'64MiB'``).

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> x = da.from_array(np.arange(12).reshape(4, 3), chunks=(2, 3))
    >>> y = reshape(x, (2, -1))
    >>> y.chunks
    ((1, 1), (6,))
    >>> y.compute()
    array([[ 0,  1,  2,  3,  4,  5],
           [ 6,  7,  8,  9, 10, 11]])
    """
    from mpiflow.array.core import new_array

    x = _asarray(x)
    require_known_chunks(x, "reshape")
    shape = _normalize_shape(shape, x.size)
    if shape == x.shape:
        return x
    name = "reshape-" + tokenize(x.name, shape)
    if x.npartitions == 1 or x.size == 0:
        layer = {(name,) + (0,) * len(shape): (np.reshape, (x.name,) + (0,) * x.ndim, shape)}
        return new_array(name, layer, tuple((n,) for n in shape), x.dtype, dependencies=(x,))
    in_chunks = list(x.chunks)
    out_chunks: list = [(n,) for n in shape]
    groups = _groups(x.shape, shape)
    for ins, outs in groups:
        if len(ins) == 1 and len(outs) == 1:
            out_chunks[outs[0]] = x.chunks[ins[0]]
            continue
        in_rest = math.prod(x.shape[k] for k in ins[1:])
        out_rest = math.prod(shape[k] for k in outs[1:])
        first = _group_chunks(x, ins, in_rest, out_rest, limit)
        in_chunks[ins[0]] = first
        for k in ins[1:]:
            in_chunks[k] = (x.shape[k],)
        out_chunks[outs[0]] = tuple(c * in_rest // out_rest for c in first)
    in_chunks_t = tuple(in_chunks)
    if in_chunks_t != x.chunks:
        x = x.rechunk(in_chunks_t)
    layer = WholeInputLayer()  # every block of the inputs is read
    for idx in np.ndindex(*x.numblocks):
        out = [0] * len(shape)
        for ins, outs in groups:
            out[outs[0]] = idx[ins[0]]
        bshape = tuple(out_chunks[k][b] for k, b in enumerate(out))
        layer[(name, *out)] = (np.reshape, (x.name, *idx), bshape)
    return new_array(name, layer, tuple(out_chunks), x.dtype, dependencies=(x,))


def ravel(x: Any) -> Any:
    """Flatten ``x`` into one dimension (C order), as :func:`numpy.ravel`.

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> ravel(da.from_array(np.arange(6).reshape(2, 3), chunks=1)).compute()
    array([0, 1, 2, 3, 4, 5])
    """
    return reshape(x, (-1,))


def repeat(a: Any, repeats: int, axis: int | None = None) -> Any:
    """Repeat each element ``repeats`` times along ``axis``, as :func:`numpy.repeat`.

    Only an integer ``repeats`` is supported; ``axis=None`` repeats the
    flattened array.

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> repeat(da.from_array(np.array([[1, 2], [3, 4]]), chunks=1), 2, axis=1).compute()
    array([[1, 1, 2, 2],
           [3, 3, 4, 4]])
    """
    from mpiflow.array.blockwise import blockwise

    a = _asarray(a)
    if not isinstance(repeats, numbers.Integral):
        raise NotImplementedError("repeat with an array of repeats; give one integer")
    if repeats < 0:
        raise ValueError(f"repeats may not be negative, got {repeats}")
    if axis is None:
        a, axis = ravel(a), 0
    axis = _axis(axis, a.ndim)
    if repeats == 1:
        return a
    name = "repeat-" + tokenize(a.name, repeats, axis)
    ind = tuple(range(a.ndim))
    return blockwise(
        np.repeat,
        ind,
        a,
        ind,
        name=name,
        dtype=a.dtype,
        adjust_chunks={axis: partial(operator.mul, repeats)},
        repeats=repeats,
        axis=axis,
    )


# --------------------------------------------------------------------------------------
# Joining arrays
# --------------------------------------------------------------------------------------


def _astype(block: np.ndarray, dtype: np.dtype) -> np.ndarray:
    return block.astype(dtype, copy=False)


def _same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def concatenate(seq: Sequence[Any], axis: int = 0) -> Any:
    """Join arrays along an existing axis, as :func:`numpy.concatenate`.

    The result's dtype is the promotion of the inputs'; the inputs' chunks
    along ``axis`` may differ (they are kept one after the other); along the
    other axes inputs are rechunked to the first one's chunks if needed.

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> x = da.from_array(np.arange(4), chunks=3)
    >>> y = concatenate([x, np.array([9.5])])
    >>> y.chunks, y.dtype
    (((3, 1, 1),), dtype('float64'))
    >>> y.compute()
    array([0. , 1. , 2. , 3. , 9.5])
    """
    from mpiflow.array.core import new_array

    seq = [_asarray(a) for a in seq]
    if not seq:
        raise ValueError("need at least one array to concatenate")
    nd = seq[0].ndim
    if nd == 0:
        raise ValueError("zero-dimensional arrays cannot be concatenated")
    for i, a in enumerate(seq):
        if a.ndim != nd:
            raise ValueError(
                "all the input arrays must have the same number of dimensions, but the "
                f"array at index 0 has {nd} dimension(s) and the array at index {i} has "
                f"{a.ndim} dimension(s)"
            )
    axis = _axis(axis, nd)
    first = seq[0]
    for i, a in enumerate(seq):
        for d in range(nd):
            if d != axis and not _same(a.shape[d], first.shape[d]):
                raise ValueError(
                    "all the input array dimensions except for the concatenation axis "
                    f"must match exactly, but along dimension {d}, the array at index 0 "
                    f"has size {first.shape[d]} and the array at index {i} has size "
                    f"{a.shape[d]}"
                )
    if len(seq) == 1:
        return first
    dtype = np.result_type(*[a.dtype for a in seq])
    target = list(first.chunks)
    aligned = []
    for a in seq:
        want = tuple(a.chunks[axis] if d == axis else target[d] for d in range(nd))
        if want != a.chunks:
            require_known_chunks(a, "concatenate with differently chunked arrays")
            require_known_chunks(first, "concatenate with differently chunked arrays")
            a = a.rechunk(want)
        aligned.append(a)
    name = "concatenate-" + tokenize([a.name for a in aligned], axis, str(dtype))
    layer = WholeInputLayer()  # every block of the inputs is read
    start = 0
    for a in aligned:
        for idx in np.ndindex(*a.numblocks):
            out = list(idx)
            out[axis] += start
            key = (a.name, *idx)
            layer[(name, *out)] = key if a.dtype == dtype else (_astype, key, dtype)
        start += a.numblocks[axis]
    chunks = list(target)
    chunks[axis] = sum((a.chunks[axis] for a in aligned), ())
    return new_array(name, layer, tuple(chunks), dtype, dependencies=tuple(aligned))


def stack(seq: Sequence[Any], axis: int = 0) -> Any:
    """Join arrays of equal shape along a new axis, as :func:`numpy.stack`.

    Examples
    --------
    >>> import mpiflow.array as da
    >>> x = da.ones((3, 4), chunks=2)
    >>> s = stack([x, x, x], axis=1)
    >>> s.shape, s.chunks
    ((3, 3, 4), ((2, 1), (1, 1, 1), (2, 2)))
    """
    seq = [_asarray(a) for a in seq]
    if not seq:
        raise ValueError("need at least one array to stack")
    for i, a in enumerate(seq):
        if len(a.shape) != len(seq[0].shape) or not all(
            _same(p, q) for p, q in zip(a.shape, seq[0].shape, strict=True)
        ):
            raise ValueError(
                "all input arrays must have the same shape, but the array at index 0 has "
                f"shape {seq[0].shape} and the array at index {i} has shape {a.shape}"
            )
    axis = _axis(axis, seq[0].ndim + 1)
    return concatenate([expand_dims(a, axis) for a in seq], axis=axis)


def _depth(obj: Any, path: str) -> int:
    if isinstance(obj, tuple):
        raise TypeError(
            f"arrays{path} is a tuple; only lists can be used to arrange blocks in block()"
        )
    if not isinstance(obj, list):
        return 0
    if not obj:
        raise ValueError(f"list at arrays{path} cannot be empty")
    depths = [_depth(o, f"{path}[{i}]") for i, o in enumerate(obj)]
    if len(set(depths)) != 1:
        raise ValueError(
            f"list depths are mismatched inside arrays{path}: every block at the same "
            "level must be nested equally deep"
        )
    return depths[0] + 1


def block(arrays: Any) -> Any:
    """Assemble an array from nested lists of blocks, as :func:`numpy.block`.

    The innermost lists are joined along the last axis, the next ones along
    the second to last, and so on.

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> a = da.from_array(np.eye(2, dtype=int), chunks=1)
    >>> block([[a, np.zeros((2, 1), dtype=int)], [np.ones((1, 3), dtype=int)]]).compute()
    array([[1, 0, 0],
           [0, 1, 0],
           [1, 1, 1]])
    """
    depth = _depth(arrays, "")
    if depth == 0:
        return _asarray(arrays)

    def leaves(obj: Any, level: int) -> list:
        return [obj] if level == depth else [y for o in obj for y in leaves(o, level + 1)]

    nd = max(
        [depth] + [np.ndim(a) if not hasattr(a, "ndim") else a.ndim for a in leaves(arrays, 0)]
    )

    def build(obj: Any, level: int) -> Any:
        if level == depth:
            a = _asarray(obj)
            return a if a.ndim == nd else expand_dims(a, tuple(range(nd - a.ndim)))
        return concatenate([build(o, level + 1) for o in obj], axis=level - depth)

    return build(arrays, 0)
