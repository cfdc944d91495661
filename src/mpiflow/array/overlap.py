"""Blocks that see their neighbours: :func:`overlap`, :func:`trim_internal`, :func:`map_overlap`.

:func:`overlap` extends every block by ``depth`` elements taken from the
neighbouring blocks, one axis after the other (so corners come along), and at
the array's outer edges by ``depth`` elements made by the ``boundary`` rule:

``'none'``
    nothing is added at the outer edges (the edge blocks grow on one side only);
``'reflect'``
    the edge mirrored, edge element included (``np.pad`` mode ``'symmetric'``);
``'periodic'``
    the elements from the opposite end of the array;
``'nearest'``
    the edge element repeated;
a number
    that constant.

Each output block is one task, reading only its own block and the edges of
its two neighbours along the axis. Chunks smaller than ``depth`` are merged
with their neighbours first (a rechunk).

Examples
--------
>>> import numpy as np
>>> import mpiflow.array as da
>>> x = da.from_array(np.arange(6), chunks=3)
>>> overlap(x, depth=1, boundary=0).compute()
array([0, 0, 1, 2, 3, 2, 3, 4, 5, 0])
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from mpiflow.array.chunks import require_known_chunks
from mpiflow.array.layers import WholeInputLayer
from mpiflow.core.tokenize import tokenize

__all__ = ["map_overlap"]

_BOUNDARIES = ("none", "reflect", "periodic", "nearest")


def _normalize_depth(depth: Any, ndim: int) -> dict[int, int]:
    if depth is None:
        depth = 0
    if isinstance(depth, numbers.Integral):
        depth = dict.fromkeys(range(ndim), depth)
    elif isinstance(depth, (tuple, list)):
        if len(depth) != ndim:
            raise ValueError(
                f"depth {depth!r} has {len(depth)} entries but the array has {ndim} "
                "dimensions; give one depth per axis, an int or a dict {axis: depth}"
            )
        depth = dict(enumerate(depth))
    elif not isinstance(depth, dict):
        raise TypeError(f"depth must be an int, a tuple or a dict, not {type(depth).__name__}")
    out = dict.fromkeys(range(ndim), 0)
    for axis, d in depth.items():
        if not -ndim <= axis < ndim:
            raise ValueError(f"depth given for axis {axis} of a {ndim}-d array")
        if isinstance(d, (tuple, list)):
            raise NotImplementedError(
                f"asymmetric depth {d!r} (different depths on the two sides) is not "
                "supported; give one int per axis"
            )
        if not isinstance(d, numbers.Integral) or d < 0:
            raise ValueError(f"depth must be a non-negative integer, got {d!r} for axis {axis}")
        out[axis % ndim] = int(d)
    return out


def _check_boundary(b: Any) -> Any:
    if b is None:
        return "none"
    if isinstance(b, str):
        if b not in _BOUNDARIES:
            raise ValueError(
                f"unknown boundary {b!r}: use 'none', 'reflect', 'periodic', 'nearest' "
                "or a constant number"
            )
        return b
    if isinstance(b, (numbers.Number, np.generic)):
        return b
    raise TypeError(f"boundary must be a string or a number, not {type(b).__name__}")


def _normalize_boundary(boundary: Any, ndim: int) -> dict[int, Any]:
    if isinstance(boundary, dict):
        out = dict.fromkeys(range(ndim), "none")
        for axis, b in boundary.items():
            out[axis % ndim] = _check_boundary(b)
        return out
    if isinstance(boundary, (tuple, list)):
        if len(boundary) != ndim:
            raise ValueError(f"boundary {boundary!r} needs one entry per axis ({ndim})")
        return {a: _check_boundary(b) for a, b in enumerate(boundary)}
    b = _check_boundary(boundary)
    return dict.fromkeys(range(ndim), b)


def _is_none(b: Any) -> bool:
    return isinstance(b, str) and b == "none"


# --------------------------------------------------------------------------------------
# Per-block functions
# --------------------------------------------------------------------------------------


def _side(block: np.ndarray, axis: int, n: int) -> np.ndarray:
    """The first ``n`` (``n > 0``) or last ``-n`` elements of ``block`` along ``axis``."""
    s = slice(None, n) if n > 0 else slice(n, None)
    return block[(slice(None),) * axis + (s,)]


def _pad(block: np.ndarray, axis: int, n: int, kind: Any) -> np.ndarray:
    """Boundary values for an outer edge: ``n > 0`` before the block, ``n < 0`` after it."""
    if kind == "reflect":
        return np.flip(_side(block, axis, n), axis=axis)
    if kind == "nearest":
        edge = _side(block, axis, 1 if n > 0 else -1)
        return np.repeat(edge, abs(n), axis=axis)
    shape = list(block.shape)
    shape[axis] = abs(n)
    return np.full(shape, kind, dtype=block.dtype)


def _join(axis: int, left: Any, mid: np.ndarray, right: Any) -> np.ndarray:
    parts = [p for p in (left, mid, right) if p is not None]
    return np.concatenate(parts, axis=axis) if len(parts) > 1 else mid


def _trim(block: np.ndarray, index: tuple) -> np.ndarray:
    return block[index]


# --------------------------------------------------------------------------------------
# overlap and trim
# --------------------------------------------------------------------------------------


def _min_chunks(chunks: tuple, d: int) -> tuple:
    """Merge neighbouring chunks until each is at least ``d`` long."""
    out: list = []
    acc = 0
    for c in chunks:
        acc += c
        if acc >= d:
            out.append(acc)
            acc = 0
    if acc:
        if out:
            out[-1] += acc
        else:
            out.append(acc)
    return tuple(out)


def _ensure_depth_fits(x: Any, depth: dict, boundary: dict, allow_rechunk: bool = True) -> Any:
    new = list(x.chunks)
    for a, d in depth.items():
        if not d:
            continue
        require_known_chunks(x, "overlap", a)
        if x.shape[a] < d and not (_is_none(boundary[a]) and len(x.chunks[a]) == 1):
            raise ValueError(
                f"depth {d} along axis {a} is larger than the array's length {x.shape[a]}; "
                "use a smaller depth"
            )
        if min(x.chunks[a]) < d:
            if not allow_rechunk:
                raise ValueError(
                    f"depth {d} along axis {a} is larger than the smallest chunk "
                    f"({min(x.chunks[a])}); pass allow_rechunk=True or rechunk first"
                )
            new[a] = _min_chunks(x.chunks[a], d)
    new_t = tuple(new)
    return x if new_t == x.chunks else x.rechunk(new_t)


def _overlap_axis(x: Any, axis: int, d: int, kind: Any) -> Any:
    from mpiflow.array.core import new_array

    name = "overlap-" + tokenize(x.name, axis, d, kind)
    nb = x.numblocks[axis]
    none = _is_none(kind)
    layer = WholeInputLayer()  # every block of the inputs is read
    for idx in np.ndindex(*x.numblocks):
        i = idx[axis]
        key = (x.name, *idx)

        def neighbour(j: int, idx: tuple = idx) -> tuple:
            return (x.name, *idx[:axis], j, *idx[axis + 1 :])

        if i > 0:
            left = (_side, neighbour(i - 1), axis, -d)
        elif none:
            left = None
        elif kind == "periodic":
            left = (_side, neighbour(nb - 1), axis, -d)
        else:
            left = (_pad, key, axis, d, kind)
        if i < nb - 1:
            right = (_side, neighbour(i + 1), axis, d)
        elif none:
            right = None
        elif kind == "periodic":
            right = (_side, neighbour(0), axis, d)
        else:
            right = (_pad, key, axis, -d, kind)
        layer[(name, *idx)] = (_join, axis, left, key, right)
    chunks = list(x.chunks)
    grown = [c + 2 * d for c in chunks[axis]]
    if none:
        grown[0] -= d
        grown[-1] -= d
    chunks[axis] = tuple(grown)
    return new_array(name, layer, tuple(chunks), x.dtype, dependencies=(x,))


def overlap(x: Any, depth: Any, boundary: Any = None, *, allow_rechunk: bool = True) -> Any:
    """Extend every block of ``x`` by ``depth`` elements of its neighbours.

    Parameters
    ----------
    x : Array
    depth : int, tuple or dict
        Elements to add on each side: for every axis, per axis, or
        ``{axis: depth}`` (missing axes get 0).
    boundary : str, number, tuple or dict, optional
        What to add at the array's outer edges (see the module docstring);
        ``'none'`` by default.
    allow_rechunk : bool
        Merge chunks smaller than ``depth`` with their neighbours (else raise).

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> x = da.from_array(np.arange(6), chunks=3)
    >>> y = overlap(x, depth=1, boundary="periodic")
    >>> y.chunks
    ((5, 5),)
    >>> y.compute()
    array([5, 0, 1, 2, 3, 2, 3, 4, 5, 0])
    """
    from mpiflow.array.core import asarray

    x = asarray(x)
    depth = _normalize_depth(depth, x.ndim)
    boundary = _normalize_boundary(boundary, x.ndim)
    x = _ensure_depth_fits(x, depth, boundary, allow_rechunk)
    for a in range(x.ndim):
        if depth[a]:
            x = _overlap_axis(x, a, depth[a], boundary[a])
    return x


def trim_internal(x: Any, axes: Any, boundary: Any = None) -> Any:
    """Remove ``depth`` elements from both sides of every block: undo :func:`overlap`.

    With boundary ``'none'`` the outer sides of the edge blocks are left
    alone (:func:`overlap` added nothing there).

    Parameters
    ----------
    x : Array
    axes : int, tuple or dict
        The depth per axis, as for :func:`overlap`.
    boundary : str, number, tuple or dict, optional
        The boundary that :func:`overlap` used.

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> x = da.from_array(np.arange(6), chunks=3)
    >>> trim_internal(overlap(x, 1, boundary="nearest"), 1, "nearest").compute()
    array([0, 1, 2, 3, 4, 5])
    """
    from mpiflow.array.core import new_array

    depth = _normalize_depth(axes, x.ndim)
    boundary = _normalize_boundary(boundary, x.ndim)
    if not any(depth.values()):
        return x
    cuts = []  # per axis, per block: (left cut, right cut)
    for a in range(x.ndim):
        nb, d = x.numblocks[a], depth[a]
        c = [[d, d] for _ in range(nb)]
        if d and _is_none(boundary[a]):
            c[0][0] = 0
            c[-1][1] = 0
        for (lo, hi), size in zip(c, x.chunks[a], strict=True):
            if lo + hi > size:
                raise ValueError(
                    f"cannot trim {lo + hi} elements from a block of length {size} along "
                    f"axis {a}: the blocks are smaller than twice the depth"
                )
        cuts.append(c)
    name = "trim-" + tokenize(x.name, depth, boundary)
    layer = WholeInputLayer()  # every block of the inputs is read
    for idx in np.ndindex(*x.numblocks):
        index = tuple(
            slice(cuts[a][i][0], x.chunks[a][i] - cuts[a][i][1]) for a, i in enumerate(idx)
        )
        layer[(name, *idx)] = (_trim, (x.name, *idx), index)
    chunks = tuple(
        tuple(s - lo - hi for s, (lo, hi) in zip(x.chunks[a], cuts[a], strict=True))
        for a in range(x.ndim)
    )
    return new_array(name, layer, chunks, x.dtype, dependencies=(x,))


def map_overlap(
    func: Callable,
    *args: Any,
    depth: Any = None,
    boundary: Any = None,
    trim: bool = True,
    align_arrays: bool = True,
    allow_rechunk: bool = True,
    **kwargs: Any,
) -> Any:
    """Apply ``func`` to every block extended by ``depth`` neighbouring elements.

    Parameters
    ----------
    func : callable
        Called on the overlapped blocks (one per array in ``args``), with
        ``kwargs``.
    *args : Array or array-like
        Arrays of the same shape; they are rechunked like the first.
    depth : int, tuple or dict
        Overlap per axis (see :func:`overlap`); the same for every array.
    boundary : str, number, tuple or dict, optional
        Values beyond the array's edges: ``'none'`` (default), ``'reflect'``,
        ``'periodic'``, ``'nearest'`` or a constant; a list gives one per array.
    trim : bool
        Cut the overlap off ``func``'s results again (``func`` must keep the
        block shape then).
    align_arrays : bool
        Rechunk the other arrays like the first (else their chunks must match).
    allow_rechunk : bool
        Merge chunks smaller than ``depth`` with their neighbours (else raise).
    **kwargs
        ``dtype``, ``chunks``, ``drop_axis``, ``new_axis``, ``name``, ``token``
        go to :func:`~mpiflow.array.blockwise.map_blocks`; the rest to ``func``.

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> x = da.from_array(np.array([1, 2, 4, 7, 11, 16]), chunks=2)
    >>> def moving_sum(b):
    ...     return b + np.roll(b, 1) + np.roll(b, -1)
    >>> map_overlap(moving_sum, x, depth=1, boundary=0, dtype=x.dtype).compute()
    array([ 3,  7, 13, 22, 34, 27])
    """
    from mpiflow.array.blockwise import map_blocks
    from mpiflow.array.core import asarray

    if not callable(func) and args and callable(args[0]):  # map_overlap(x, func, ...)
        func, args = args[0], (func, *args[1:])
    if not args:
        raise ValueError("map_overlap needs at least one array after the function")
    arrays = [asarray(a) for a in args]
    first = arrays[0]
    bounds = boundary if isinstance(boundary, list) else [boundary] * len(arrays)
    if len(bounds) != len(arrays):
        raise ValueError(f"got {len(bounds)} boundaries for {len(arrays)} arrays")
    depths = _normalize_depth(depth, first.ndim)
    bounds = [_normalize_boundary(b, first.ndim) for b in bounds]
    for i, a in enumerate(arrays[1:], 1):
        if a.shape != first.shape:
            raise NotImplementedError(
                "map_overlap with arrays of different shapes is not supported "
                f"(array 0 has shape {first.shape}, array {i} has {a.shape})"
            )
        if any(_is_none(bounds[i][k]) != _is_none(bounds[0][k]) for k in range(a.ndim)):
            raise ValueError("boundary 'none' must be used for all arrays or none of them")
        if a.chunks != first.chunks:
            if not align_arrays:
                raise ValueError(
                    f"array {i} has chunks {a.chunks} but array 0 has {first.chunks}; "
                    "pass align_arrays=True or rechunk them alike"
                )
            arrays[i] = a.rechunk(first.chunks)
    fitted = _ensure_depth_fits(first, depths, bounds[0], allow_rechunk)
    if fitted is not first:
        arrays = [a.rechunk(fitted.chunks) for a in arrays]
    extended = [overlap(a, depths, b) for a, b in zip(arrays, bounds, strict=True)]
    out = map_blocks(func, *extended, **kwargs)
    if not trim:
        return out
    if out.ndim != first.ndim:
        raise NotImplementedError(
            "trim=True needs func to keep the number of dimensions; pass trim=False "
            "and trim the result yourself"
        )
    return trim_internal(out, depths, bounds[0])
