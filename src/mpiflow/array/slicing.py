"""Indexing of chunked arrays: ``x[...]``, unknown chunk sizes, ``compute_chunk_sizes``.

:func:`getitem` implements ``Array.__getitem__``. Basic indices (integers,
slices with any step, ``Ellipsis``, ``None``) build one task per *touched*
block, so ``x[0, :5]`` on an array of 10,000 blocks makes a single task.
Integer arrays select along one axis; several integer or boolean NumPy arrays
follow NumPy's broadcasting ("zipped") semantics. A boolean mpiflow
:class:`~mpiflow.array.core.Array` masks one axis (or the whole array) and the
result's chunk sizes along that axis are unknown (``nan``), as in Dask;
:func:`compute_chunk_sizes` computes them.

Examples
--------
>>> import numpy as np
>>> import mpiflow.array as da
>>> x = da.from_array(np.arange(10), chunks=4)
>>> getitem(x, slice(None, None, -3)).compute()
array([9, 6, 3, 0])
"""

from __future__ import annotations

import gc
import math
import numbers
import operator
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import product
from typing import Any

import numpy as np

from mpiflow.array.chunks import has_unknown_chunks, require_known_chunks
from mpiflow.core.tokenize import tokenize

__all__ = ["take"]


# --------------------------------------------------------------------------------------
# Unknown chunk sizes
# --------------------------------------------------------------------------------------


def _block_shape(block: Any, ndim: int) -> np.ndarray:
    return np.asarray(np.shape(block), dtype=np.int64).reshape((1,) * ndim + (ndim,))


def compute_chunk_sizes(x: Any) -> Any:
    """Compute the real chunk sizes of ``x`` and return it with known chunks.

    Like Dask, the array is updated in place (its graph and name are kept)
    and returned. Only the blocks' shapes travel back to the caller.

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> x = da.from_array(np.arange(10), chunks=5)
    >>> y = x[x % 3 == 0]
    >>> y.chunks
    ((nan, nan),)
    >>> compute_chunk_sizes(y).chunks
    ((2, 2),)
    """
    from mpiflow.array.core import new_array

    if not has_unknown_chunks(x.chunks):
        return x
    nd = x.ndim
    name = "chunk_shapes-" + tokenize(x.name)
    layer = {
        (name, *idx, 0): (_block_shape, (x.name, *idx), nd) for idx in np.ndindex(*x.numblocks)
    }
    chunks = tuple((1,) * n for n in x.numblocks) + ((nd,),)
    shapes = new_array(name, layer, chunks, np.int64, dependencies=(x,)).compute()
    new = []
    for a in range(nd):
        sel = (0,) * a + (slice(None),) + (0,) * (nd - a - 1) + (a,)
        new.append(tuple(int(s) for s in shapes[sel]))
    x._chunks = tuple(new)
    return x


# --------------------------------------------------------------------------------------
# Normalizing an index
# --------------------------------------------------------------------------------------


def _is_array(i: Any) -> bool:
    return hasattr(type(i), "__mpiflow_graph__") and hasattr(i, "chunks")


def _check_int(i: Any, dim: float, axis: int) -> int:
    i = operator.index(i)
    if math.isnan(dim):
        return i
    if not -dim <= i < dim:
        raise IndexError(f"index {i} is out of bounds for axis {axis} with size {int(dim)}")
    return i + int(dim) if i < 0 else i


def _check_int_array(i: np.ndarray, dim: float, axis: int) -> np.ndarray:
    if math.isnan(dim):
        return i.astype(np.intp)  # the caller reports the unknown chunks
    if i.size:
        lo, hi = int(i.min()), int(i.max())
        bad = lo if lo < -dim else hi if hi >= dim else None
        if bad is not None:
            raise IndexError(f"index {bad} is out of bounds for axis {axis} with size {int(dim)}")
    return np.where(i < 0, i + int(dim), i).astype(np.intp) if i.size else i.astype(np.intp)


def _as_index_array(i: Any) -> Any:
    if isinstance(i, (list, np.ndarray)) or (
        hasattr(i, "__array__") and not _is_array(i) and not isinstance(i, numbers.Number)
    ):
        a = np.asarray(i)
        if a.size == 0 and a.dtype.kind not in "biu":
            a = a.astype(np.intp)
        if a.dtype.kind not in "biu":
            raise IndexError(
                f"arrays used as indices must be of integer or boolean type, not {a.dtype}"
            )
        if a.ndim == 0:
            return bool(a) if a.dtype.kind == "b" else int(a)
        return a
    return i


def normalize_index(index: Any, shape: tuple) -> tuple:
    """Expand ``index`` into one entry per axis (plus ``None`` entries).

    Integers become non-negative, slices are kept, lists become integer
    arrays, boolean NumPy arrays become the integer arrays of their
    ``nonzero()`` (one per axis they cover), ``Ellipsis`` is expanded.

    Examples
    --------
    >>> normalize_index((-1, None, Ellipsis), (4, 5))
    (3, None, slice(None, None, None))
    >>> normalize_index([True, False, True], (3,))
    (array([0, 2]),)
    """
    if not isinstance(index, tuple):
        index = (index,)
    index = tuple(_as_index_array(i) for i in index)
    if sum(i is Ellipsis for i in index) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")

    def width(i: Any) -> int:
        if i is None or i is Ellipsis:
            return 0
        if isinstance(i, np.ndarray) and i.dtype == bool:
            return i.ndim
        if _is_array(i) and i.dtype == bool:
            return i.ndim
        return 1

    used = sum(width(i) for i in index)
    if used > len(shape):
        raise IndexError(
            f"too many indices for array: array is {len(shape)}-dimensional, "
            f"but {used} were indexed"
        )
    if Ellipsis in [i for i in index if not isinstance(i, np.ndarray) and not _is_array(i)]:
        k = next(n for n, i in enumerate(index) if i is Ellipsis)
        fill = (slice(None),) * (len(shape) - used)
        index = index[:k] + fill + index[k + 1 :]
    else:
        index = index + (slice(None),) * (len(shape) - used)
    out: list = []
    axis = 0
    for i in index:
        if i is None:
            out.append(None)
            continue
        if isinstance(i, bool):
            raise NotImplementedError(
                "a scalar boolean index (x[True]) is not supported; use x[None] to add an axis"
            )
        if isinstance(i, slice):
            for part in (i.start, i.stop, i.step):
                if part is not None:
                    operator.index(part)
            if i.step is not None and operator.index(i.step) == 0:
                raise ValueError("slice step cannot be zero")
            out.append(i)
            axis += 1
        elif isinstance(i, numbers.Integral):
            out.append(_check_int(i, shape[axis], axis))
            axis += 1
        elif isinstance(i, np.ndarray) and i.dtype == bool:
            dims = shape[axis : axis + i.ndim]
            for k, (d, n) in enumerate(zip(dims, i.shape, strict=True)):
                if not math.isnan(d) and d != n:
                    raise IndexError(
                        f"boolean index did not match indexed array along axis {axis + k}; "
                        f"size of axis is {int(d)} but size of corresponding boolean "
                        f"axis is {n}"
                    )
            out.extend(np.nonzero(i))
            axis += i.ndim
        elif isinstance(i, np.ndarray):
            out.append(_check_int_array(i, shape[axis], axis))
            axis += 1
        elif _is_array(i):
            if i.dtype.kind not in "biu":
                raise IndexError(
                    f"arrays used as indices must be of integer or boolean type, not {i.dtype}"
                )
            out.append(i)
            axis += i.ndim if i.dtype == bool else 1
        else:
            raise IndexError(
                "only integers, slices (`:`), ellipsis (`...`), numpy.newaxis (`None`) "
                f"and integer or boolean arrays are valid indices, not {type(i).__name__}"
            )
    return tuple(out)


# --------------------------------------------------------------------------------------
# Basic indexing: integers, slices, None
# --------------------------------------------------------------------------------------


def _slice_pieces(chunks: tuple, s: slice) -> list[tuple[int, slice, int]]:
    """Split slice ``s`` over blocks: ``[(block, local slice, size), ...]`` in output order."""
    dim = sum(chunks)
    r = range(*s.indices(dim))
    n, step = len(r), r.step
    pieces = []
    lo = 0
    for b, c in enumerate(chunks):
        hi = lo + c
        if step > 0:
            i0, i1 = -((r.start - lo) // step), -((r.start - hi) // step)
        else:
            i0, i1 = (r.start - hi) // -step + 1, (r.start - lo) // -step + 1
        i0, i1 = min(max(i0, 0), n), min(max(i1, 0), n)
        if i0 < i1:
            sub = r[i0:i1]
            stop = sub.stop - lo
            local = slice(sub.start - lo, stop if stop >= 0 else None, step)
            pieces.append((b, local, len(sub)))
        lo = hi
    if step < 0:
        pieces.reverse()
    if not pieces:
        pieces = [(0, slice(0, 0, 1), 0)]
    return pieces


def _is_full(s: Any, dim: float) -> bool:
    if not isinstance(s, slice):
        return False
    if s == slice(None):
        return True
    return not math.isnan(dim) and s.indices(int(dim)) == (0, int(dim), 1)


def _basic(x: Any, idx: tuple) -> Any:
    """``x[idx]`` for an expanded index of integers, slices and ``None``."""
    from mpiflow.array.core import new_array

    if len(idx) == x.ndim and all(_is_full(i, d) for i, d in zip(idx, x.shape, strict=True)):
        return x  # no None, no int, every slice whole
    per_axis: list = []  # one list of (in block or None, local index, out size or None)
    axis = 0
    for i in idx:
        if i is None:
            per_axis.append([(None, None, 1)])
            continue
        chunks = x.chunks[axis]
        if _is_full(i, x.shape[axis]):
            per_axis.append([(b, slice(None), c) for b, c in enumerate(chunks)])
        else:
            require_known_chunks(x, f"indexing axis {axis} with {i!r}", axis)
            if isinstance(i, slice):
                per_axis.append(_slice_pieces(chunks, i))
            else:
                off = _offsets(chunks)
                b = int(np.searchsorted(off, i, side="right")) - 1
                per_axis.append([(b, i - int(off[b]), None)])
        axis += 1
    out_chunks = tuple(
        tuple(p[2] for p in pieces) for pieces in per_axis if pieces[0][2] is not None
    )
    name = "getitem-" + tokenize(x.name, idx)
    layer = {}
    for combo in product(*(list(enumerate(p)) for p in per_axis)):
        out_key = (name,) + tuple(j for j, p in combo if p[2] is not None)
        in_key = (x.name,) + tuple(p[0] for _, p in combo if p[0] is not None)
        layer[out_key] = (operator.getitem, in_key, tuple(p[1] for _, p in combo))
    return new_array(name, layer, out_chunks, x.dtype, dependencies=(x,))


def _offsets(chunks: tuple) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(chunks, dtype=np.int64)])


# --------------------------------------------------------------------------------------
# Integer arrays along one axis
# --------------------------------------------------------------------------------------


def _take_block(block: np.ndarray, local: np.ndarray, axis: int) -> np.ndarray:
    return np.take(block, local, axis=axis)


def _gather(axis: int, shape: tuple, order: Any, *parts: np.ndarray) -> np.ndarray:
    """Join the pieces taken from several blocks, restore the index order, reshape."""
    r = np.concatenate(parts, axis=axis) if len(parts) > 1 else parts[0]
    if order is not None:
        r = np.take(r, order, axis=axis)
    if len(shape) != 1:
        r = r.reshape(r.shape[:axis] + tuple(shape) + r.shape[axis + 1 :])
    return r


def _take_pieces(ind: np.ndarray, chunks: tuple) -> tuple[list, tuple]:
    """Split the index into output pieces: ``([flat positions...], chunks of ind's axes)``."""
    flat = ind.ravel()
    cap = max(max(chunks, default=1), 1)
    if flat.size == 0:
        return [flat], tuple((n,) for n in ind.shape)
    if ind.ndim == 1 and (flat.size < 2 or bool(np.all(flat[1:] >= flat[:-1]))):
        # sorted: one piece per run in one block, at most `cap` long
        blk = np.searchsorted(_offsets(chunks), flat, side="right") - 1
        cuts = np.flatnonzero(blk[1:] != blk[:-1]) + 1
        bounds = [0]
        for end in [*cuts.tolist(), flat.size]:
            bounds.extend(range(bounds[-1] + cap, end, cap))
            bounds.append(end)
        pieces = [flat[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
        return pieces, (tuple(len(p) for p in pieces),)
    inner = math.prod(ind.shape[1:])
    rows = max(1, cap // max(inner, 1))
    sizes = [min(rows, ind.shape[0] - s) for s in range(0, ind.shape[0], rows)]
    pieces = [ind[s : s + n].ravel() for s, n in zip(np.cumsum([0, *sizes]), sizes, strict=False)]
    return pieces, (tuple(sizes),) + tuple((n,) for n in ind.shape[1:])


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small tuples (3x faster)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _take(x: Any, ind: np.ndarray, axis: int) -> Any:
    """``x`` indexed along ``axis`` by non-negative integer array ``ind`` (any ndim)."""
    from mpiflow.array.core import new_array

    require_known_chunks(x, "indexing with an integer array", axis)
    chunks = x.chunks[axis]
    off = _offsets(chunks)
    pieces, ind_chunks = _take_pieces(ind, chunks)
    name = "take-" + tokenize(x.name, ind, axis)
    piece_tasks = []
    for j, p in enumerate(pieces):
        shape = tuple(c[j] if k == 0 else c[0] for k, c in enumerate(ind_chunks))
        blk = np.searchsorted(off, p, side="right") - 1 if p.size else np.zeros(1, int)
        used = np.unique(blk)
        if len(used) == 1:
            order = None
            parts = [(int(used[0]), p - off[used[0]])]
        else:
            perm = np.argsort(blk, kind="stable")
            order = np.argsort(perm)
            parts = [(int(b), p[blk == b] - off[b]) for b in used]
        piece_tasks.append((shape, order, parts))
    before, after = x.numblocks[:axis], x.numblocks[axis + 1 :]
    zeros = (0,) * (len(ind_chunks) - 1)
    layer = {}
    for pre in np.ndindex(*before):
        for post in np.ndindex(*after):
            for j, (shape, order, parts) in enumerate(piece_tasks):
                subs = [(_take_block, (x.name, *pre, b, *post), loc, axis) for b, loc in parts]
                layer[(name, *pre, j, *zeros, *post)] = (_gather, axis, shape, order, *subs)
    out_chunks = x.chunks[:axis] + ind_chunks + x.chunks[axis + 1 :]
    return new_array(name, layer, out_chunks, x.dtype, dependencies=(x,))


def _take_by_array(axis: int, offsets: np.ndarray, ind: Any, blocks: list) -> np.ndarray:
    ind = np.asarray(ind)
    n = int(offsets[-1])
    if ind.size and (ind.min() < -n or ind.max() >= n):
        bad = int(ind.min()) if ind.min() < -n else int(ind.max())
        raise IndexError(f"index {bad} is out of bounds for axis {axis} with size {n}")
    ind = np.where(ind < 0, ind + n, ind)
    blk = np.searchsorted(offsets, ind, side="right") - 1
    shape = list(blocks[0].shape)
    shape[axis] = len(ind)
    out = np.empty(shape, dtype=blocks[0].dtype)
    head = (slice(None),) * axis
    for b in np.unique(blk):
        sel = blk == b
        out[head + (sel,)] = np.take(blocks[b], ind[sel] - offsets[b], axis=axis)
    return out


def _take_lazy(x: Any, ind: Any, axis: int) -> Any:
    """``x`` indexed along ``axis`` by a 1-d integer mpiflow Array."""
    from mpiflow.array.core import new_array

    if ind.ndim != 1:
        raise NotImplementedError(
            f"indexing with a {ind.ndim}-d integer mpiflow Array is not supported; "
            "use a 1-d one or a NumPy array"
        )
    require_known_chunks(x, "indexing with an integer array", axis)
    off = _offsets(x.chunks[axis])
    name = "take-" + tokenize(x.name, ind.name, axis)
    layer = {}
    nb = x.numblocks
    for pre in np.ndindex(*nb[:axis]):
        for post in np.ndindex(*nb[axis + 1 :]):
            keys = [(x.name, *pre, b, *post) for b in range(nb[axis])]
            for j in range(ind.numblocks[0]):
                layer[(name, *pre, j, *post)] = (_take_by_array, axis, off, (ind.name, j), keys)
    chunks = x.chunks[:axis] + ind.chunks + x.chunks[axis + 1 :]
    return new_array(name, layer, chunks, x.dtype, dependencies=(x, ind))


# --------------------------------------------------------------------------------------
# Boolean mpiflow Arrays
# --------------------------------------------------------------------------------------


def _mask_block(block: np.ndarray, mask: np.ndarray, axis: int) -> np.ndarray:
    return block[(slice(None),) * axis + (np.asarray(mask),)]


def _mask_lazy(x: Any, mask: Any, axis: int) -> Any:
    """``x`` masked along ``axis`` by a 1-d boolean mpiflow Array (unknown chunks)."""
    from mpiflow.array.core import new_array

    if mask.chunks[0] != x.chunks[axis]:
        require_known_chunks(x, "boolean indexing with differently chunked mask", axis)
        require_known_chunks(mask, "boolean indexing with differently chunked mask")
        if mask.shape[0] != x.shape[axis]:
            raise IndexError(
                f"boolean index did not match indexed array along axis {axis}; size of axis "
                f"is {x.shape[axis]} but size of corresponding boolean axis is {mask.shape[0]}"
            )
        mask = mask.rechunk((x.chunks[axis],))
    name = "getitem-" + tokenize(x.name, mask.name, axis)
    layer = {
        (name, *idx): (_mask_block, (x.name, *idx), (mask.name, idx[axis]), axis)
        for idx in np.ndindex(*x.numblocks)
    }
    chunks = list(x.chunks)
    chunks[axis] = (math.nan,) * len(chunks[axis])
    return new_array(name, layer, tuple(chunks), x.dtype, dependencies=(x, mask))


# --------------------------------------------------------------------------------------
# The entry point
# --------------------------------------------------------------------------------------


def _advanced(x: Any, idx: tuple, arrays: list[int], front: bool = False) -> Any:
    """Several NumPy integer arrays: NumPy's broadcast ("zipped") semantics.

    The broadcast axes replace the indexed ones where those are adjacent
    (else, or with ``front``, they come first), as in NumPy.
    """
    from mpiflow.array.manipulation import moveaxis, reshape

    adv = [k for k, i in enumerate(idx) if k in arrays or isinstance(i, numbers.Integral)]
    vals = np.broadcast_arrays(*[np.asarray(idx[k]) for k in adv])
    basic = tuple(slice(None) if k in adv else i for k, i in enumerate(idx))
    y = _basic(x, basic)
    if not front and adv == list(range(adv[0], adv[0] + len(adv))):
        start = adv[0]
    else:
        y, start = moveaxis(y, adv, list(range(len(adv)))), 0
    dims = y.shape[start : start + len(adv)]
    y = reshape(y, y.shape[:start] + (math.prod(dims),) + y.shape[start + len(adv) :])
    flat = np.ravel_multi_index(tuple(vals), dims) if vals[0].size else vals[0].astype(np.intp)
    return _take(y, np.asarray(flat, dtype=np.intp), start)


def getitem(x: Any, index: Any) -> Any:
    """Return ``x[index]`` lazily: the implementation of ``Array.__getitem__``.

    Parameters
    ----------
    x : Array
    index : int, slice, None, Ellipsis, list, ndarray, Array or a tuple of those

    Raises
    ------
    IndexError
        Out-of-bounds integers, too many indices, a boolean mask of the wrong
        shape or an index of an unsupported type.
    NotImplementedError
        Mixing a mpiflow Array index with other array indices, or n-d mpiflow
        Array indices other than a full-shape boolean mask.

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> a = np.arange(24).reshape(4, 6)
    >>> x = da.from_array(a, chunks=(2, 3))
    >>> getitem(x, (slice(1, None, 2), [5, 0])).compute()
    array([[11,  6],
           [23, 18]])
    >>> getitem(x, (None, -1, Ellipsis)).shape
    (1, 6)
    """
    idx = normalize_index(index, x.shape)
    arrays = [k for k, i in enumerate(idx) if isinstance(i, np.ndarray)]
    lazy = [k for k, i in enumerate(idx) if _is_array(i)]
    if not arrays and not lazy:
        return _basic(x, idx)
    if lazy and len(arrays) + len(lazy) > 1:
        raise NotImplementedError(
            "indexing with a mpiflow Array together with other array indices is not "
            "supported; index one axis at a time"
        )
    if len(arrays) > 1:
        return _advanced(x, idx, arrays)
    (k,) = arrays or lazy
    ind = idx[k]
    if _is_array(ind) and ind.dtype == bool and ind.ndim > 1:
        return _full_mask(x, idx, ind)
    y = _basic(x, tuple(slice(None) if j == k else i for j, i in enumerate(idx)))
    axis = sum(1 for i in idx[:k] if not isinstance(i, numbers.Integral))
    if isinstance(ind, np.ndarray):
        y = _take(y, ind, axis)
    elif ind.dtype == bool:
        y = _mask_lazy(y, ind, axis)
    else:
        y = _take_lazy(y, ind, axis)
    ints = [j for j, i in enumerate(idx) if isinstance(i, numbers.Integral)]
    adv = sorted([k, *ints])
    if axis and adv != list(range(adv[0], adv[0] + len(adv))):
        from mpiflow.array.manipulation import moveaxis

        nd = ind.ndim if isinstance(ind, np.ndarray) else 1
        y = moveaxis(y, list(range(axis, axis + nd)), list(range(nd)))
    return y


def _full_mask(x: Any, idx: tuple, mask: Any) -> Any:
    if mask.ndim != x.ndim or len(idx) != 1:
        raise NotImplementedError(
            "a multi-dimensional boolean mpiflow Array index must cover the whole array "
            "(x[mask] with mask.shape == x.shape)"
        )
    if mask.shape != x.shape:
        raise IndexError(
            f"boolean index of shape {mask.shape} did not match indexed array of shape {x.shape}"
        )
    from mpiflow.array.manipulation import ravel

    require_known_chunks(x, "indexing with a multi-dimensional boolean mask")
    require_known_chunks(mask, "indexing with a multi-dimensional boolean mask")
    return getitem(ravel(x), ravel(mask))


def take(a: Any, indices: Any, axis: int = 0) -> Any:
    """Take elements of ``a`` along ``axis``, as :func:`numpy.take`.

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> x = da.from_array(np.arange(12).reshape(3, 4), chunks=2)
    >>> take(x, [3, 0, 3], axis=1).compute()
    array([[ 3,  0,  3],
           [ 7,  4,  7],
           [11,  8, 11]])
    """
    if not -a.ndim <= axis < a.ndim:
        raise np.exceptions.AxisError(
            f"axis {axis} is out of bounds for array of dimension {a.ndim}"
        )
    axis %= a.ndim
    return getitem(a, (slice(None),) * axis + (indices,))
