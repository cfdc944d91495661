"""Chunk specifications: normalize them, and turn them into slices and offsets.

A normalized chunk specification is a tuple with one tuple of block lengths
per axis, e.g. ``((2, 2, 1), (3,))`` for a 5 x 3 array cut into three row
blocks. Unknown lengths are ``math.nan``.

Examples
--------
>>> normalize_chunks(2, shape=(5, 3))
((2, 2, 1), (2, 1))
>>> normalize_chunks('16B', shape=(10,), dtype='int64')
((2, 2, 2, 2, 2),)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import product
from typing import Any

import numpy as np

from mpiflow import config
from mpiflow.config import parse_bytes

__all__ = [
    "normalize_chunks",
    "slices_from_chunks",
    "cumdims",
    "has_unknown_chunks",
    "auto_chunks",
    "parse_bytes",
    "blockdims_from_blockshape",
]

_DEFAULT_CHUNK_BYTES = "128MiB"

def _is_bytes_spec(c: Any) -> bool:
    return isinstance(c, str) and c != "auto"


def blockdims_from_blockshape(shape: Sequence, blockshape: Sequence) -> tuple:
    """Chunks for ``shape`` cut into blocks of ``blockshape`` (the last block smaller).

    Examples
    --------
    >>> blockdims_from_blockshape((5, 4), (2, 4))
    ((2, 2, 1), (4,))
    """
    out = []
    for d, b in zip(shape, blockshape, strict=True):
        if isinstance(d, float) and math.isnan(d):
            out.append((math.nan,))
        elif d == 0:
            out.append((0,))
        else:
            d, b = int(d), int(b)
            out.append((b,) * (d // b) + ((d % b,) if d % b else ()))
    return tuple(out)


def _chunk_limit(limit: Any) -> int:
    if limit is None:
        limit = config.get("array.chunk-size", _DEFAULT_CHUNK_BYTES) or _DEFAULT_CHUNK_BYTES
    return parse_bytes(limit)


def auto_chunks(
    chunks: Sequence,
    shape: Sequence,
    limit: Any = None,
    dtype: Any = None,
    previous_chunks: Sequence | None = None,
) -> tuple:
    """Replace the ``'auto'`` entries of ``chunks`` by block lengths near ``limit`` bytes.

    Auto axes get about the same block length (blocks come out roughly
    cubic); with ``previous_chunks`` they get multiples of the old lengths.

    Parameters
    ----------
    chunks : sequence
        One entry per axis: an int, a tuple of ints, or ``'auto'``.
    shape : sequence of int
        The array's shape.
    limit : int or str, optional
        Bytes per block; default the configuration value ``array.chunk-size``
        (128 MiB).
    dtype : dtype
        Element type (needed to count bytes).
    previous_chunks : sequence, optional
        The chunks the data has now (e.g. on disk).

    Examples
    --------
    >>> auto_chunks(('auto', 'auto'), (100, 100), limit=800, dtype='f8')
    (10, 10)
    """
    if dtype is None:
        raise ValueError(
            "'auto' chunks need the dtype to count bytes: pass dtype=, e.g. "
            "normalize_chunks('auto', shape, dtype='float64')"
        )
    dtype = np.dtype(dtype)
    if dtype.hasobject or dtype.itemsize == 0:
        raise NotImplementedError(
            f"'auto' chunks for dtype {dtype} (size per element unknown): give explicit "
            "chunk lengths, e.g. chunks=1000"
        )
    nbytes = _chunk_limit(limit)
    chunks = list(chunks)
    auto = [i for i, c in enumerate(chunks) if c == "auto"]
    if not auto:
        return tuple(chunks)
    fixed = 1
    for i, c in enumerate(chunks):
        if i in auto:
            continue
        fixed *= max(c) if isinstance(c, tuple) and c else max(int(c), 1)
    budget = max(nbytes / (dtype.itemsize * fixed), 1.0)
    # axes whose whole length fits are taken whole, then the rest share what is left
    todo = sorted(auto, key=lambda i: shape[i])
    while todo:
        side = budget ** (1.0 / len(todo))
        i = todo[0]
        if shape[i] <= side:
            chunks[i] = max(int(shape[i]), 1)
            budget /= max(shape[i], 1)
            todo.pop(0)
            continue
        for i in todo:
            size = max(int(side), 1)
            if previous_chunks is not None:
                prev = previous_chunks[i]
                prev = max(prev) if isinstance(prev, tuple) else int(prev)
                if prev > 0 and size >= prev:
                    size = (size // prev) * prev
                elif prev > 0:
                    size = max(size, 1)
            size = min(size, max(int(shape[i]), 1))
            if previous_chunks is None and shape[i] > 0:  # balance: equal blocks
                nblocks = -(-int(shape[i]) // size)
                size = -(-int(shape[i]) // nblocks)
            chunks[i] = size
        break
    return tuple(chunks)


def _axis_chunks(c: Any, dim: Any, axis: int, spec: Any) -> tuple:
    """Normalize the chunk entry ``c`` of one axis of length ``dim``."""
    if isinstance(c, (tuple, list)):
        out = tuple(x if isinstance(x, float) and math.isnan(x) else _as_int(x, spec) for x in c)
        if any(not (isinstance(x, float) and math.isnan(x)) and x < 0 for x in out):
            raise ValueError(
                f"chunks={spec!r}: block lengths must be >= 0, got {out} on axis {axis}"
            )
        if dim is not None and not _isnan(dim) and not any(map(_isnan, out)):
            if sum(out) != dim:
                raise ValueError(
                    f"chunks={spec!r}: the block lengths of axis {axis} add up to {sum(out)} "
                    f"but the axis has length {dim}; give lengths that add up to {dim}"
                )
        return out
    if isinstance(c, float) and math.isnan(c):
        return (math.nan,)
    if dim is None:
        raise ValueError(
            f"chunks={spec!r}: a block size needs the array shape; pass shape= or give the "
            "block lengths of every axis as tuples"
        )
    if _isnan(dim):
        return (math.nan,)
    size = _as_int(c, spec)
    if size == -1:
        size = dim
    if size < 0:
        raise ValueError(
            f"chunks={spec!r}: block size {size} on axis {axis} is negative; use a positive "
            "int, -1 (whole axis) or 'auto'"
        )
    if size == 0:
        if dim == 0:
            return (0,)
        raise ValueError(
            f"chunks={spec!r}: block size 0 on axis {axis} of length {dim}; use a positive "
            "int, -1 (whole axis) or 'auto'"
        )
    if dim == 0:
        return (0,)
    return blockdims_from_blockshape((dim,), (size,))[0]


def _isnan(x: Any) -> bool:
    return isinstance(x, float) and math.isnan(x)


def _as_int(x: Any, spec: Any) -> int:
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, np.integer, float, np.floating)):
        raise ValueError(
            f"chunks={spec!r}: {x!r} is not a valid block size; use ints, tuples of ints, "
            "-1 or None (whole axis), 'auto' or a byte size such as '64MiB'"
        )
    if isinstance(x, (float, np.floating)) and not float(x).is_integer():
        raise ValueError(f"chunks={spec!r}: block size {x!r} is not a whole number")
    return int(x)


def normalize_chunks(
    chunks: Any,
    shape: Sequence | None = None,
    limit: Any = None,
    dtype: Any = None,
    previous_chunks: Sequence | None = None,
) -> tuple:
    """Turn any chunk specification into a tuple of block lengths per axis.

    Parameters
    ----------
    chunks : int, tuple, dict, str or None
        - an int: that block length on every axis (the last block is smaller);
        - a tuple with one entry per axis: an int, a tuple of block lengths,
          ``-1`` or ``None`` (the whole axis) or ``'auto'``;
        - a dict ``{axis: entry}``: missing axes are taken whole;
        - ``'auto'`` or a byte size such as ``'64MiB'``: blocks of about that
          many bytes (``'auto'`` uses the configuration value
          ``array.chunk-size``, default 128 MiB);
        - ``-1`` or ``None``: one block.
    shape : sequence of int, optional
        The array's shape (needed unless every axis gives explicit lengths).
    limit : int or str, optional
        Bytes per block for ``'auto'``.
    dtype : dtype, optional
        Element type, needed for ``'auto'`` and byte sizes.
    previous_chunks : tuple, optional
        The chunks the data has now; ``'auto'`` picks multiples of them.

    Returns
    -------
    tuple of tuples of int

    Raises
    ------
    ValueError
        For a spec that does not fit the shape, with what to change.

    Examples
    --------
    >>> normalize_chunks((2, -1), shape=(5, 3))
    ((2, 2, 1), (3,))
    >>> normalize_chunks(((2, 3), (3,)))
    ((2, 3), (3,))
    >>> normalize_chunks({0: 4}, shape=(6, 2))
    ((4, 2), (2,))
    >>> normalize_chunks('auto', shape=(10, 10), limit='200B', dtype='f8')
    ((5, 5), (5, 5))
    """
    spec = chunks
    if shape is not None:
        shape = tuple(float(s) if _isnan(s) else _as_shape(s) for s in shape)
    if isinstance(chunks, list):
        chunks = tuple(chunks)
    if isinstance(chunks, np.ndarray):
        chunks = tuple(chunks.tolist())
    if chunks is None or (
        isinstance(chunks, (int, np.integer)) and not isinstance(chunks, bool) and chunks == -1
    ):
        if shape is None:
            raise ValueError("chunks=-1/None needs the array shape: pass shape=")
        chunks = (-1,) * len(shape)
    if isinstance(chunks, str):
        if shape is None:
            raise ValueError(f"chunks={spec!r} needs the array shape: pass shape=")
        if chunks != "auto":
            limit = parse_bytes(chunks)
        chunks = ("auto",) * len(shape)
    if isinstance(chunks, dict):
        if shape is None:
            raise ValueError(f"chunks={spec!r}: a dict of chunks needs the array shape")
        bad = [a for a in chunks if not -len(shape) <= a < len(shape)]
        if bad:
            raise ValueError(
                f"chunks={spec!r}: axes {bad} out of range for an array of {len(shape)} dimensions"
            )
        d = {a % len(shape): v for a, v in chunks.items()}
        chunks = tuple(d.get(i, -1) for i in range(len(shape)))
    if isinstance(chunks, (int, np.integer, float)) and not isinstance(chunks, bool):
        if shape is None:
            raise ValueError(f"chunks={spec!r}: a block size needs the array shape; pass shape=")
        chunks = (chunks,) * len(shape)
    if not isinstance(chunks, tuple):
        raise ValueError(
            f"chunks={spec!r} is not a valid chunk specification; use an int, a tuple with one "
            "entry per axis, a dict {axis: size}, 'auto' or a byte size such as '64MiB'"
        )
    if shape is not None and len(chunks) != len(shape):
        if not chunks and shape:
            raise ValueError(f"chunks={spec!r}: empty chunks for an array of shape {shape}")
        raise ValueError(
            f"chunks={spec!r} has {len(chunks)} entries but the array has {len(shape)} "
            f"dimensions (shape {shape}); give one entry per axis"
        )
    # per-axis: None -> whole axis (or previous chunks), byte strings -> auto
    entries = list(chunks)
    for i, c in enumerate(entries):
        if c is None:
            entries[i] = previous_chunks[i] if previous_chunks is not None else -1
        elif _is_bytes_spec(c):
            limit = parse_bytes(c)
            entries[i] = "auto"
    if any(isinstance(c, str) for c in entries):
        if shape is None:
            raise ValueError(f"chunks={spec!r}: 'auto' needs the array shape: pass shape=")
        if any(_isnan(s) for i, s in enumerate(shape) if entries[i] == "auto"):
            raise ValueError(
                f"chunks={spec!r}: 'auto' on an axis of unknown length; give explicit lengths"
            )
        entries = list(auto_chunks(entries, shape, limit, dtype, previous_chunks))
    dims = shape if shape is not None else (None,) * len(entries)
    return tuple(
        _axis_chunks(c, d, i, spec) for i, (c, d) in enumerate(zip(entries, dims, strict=True))
    )


def _as_shape(s: Any) -> int:
    if isinstance(s, (bool, np.bool_)) or not isinstance(s, (int, np.integer)):
        if isinstance(s, (float, np.floating)) and float(s).is_integer():
            return int(s)
        raise ValueError(f"shape entries must be ints (or NaN when unknown), got {s!r}")
    if s < 0:
        raise ValueError(f"shape entries must be >= 0, got {s}")
    return int(s)


def cumdims(chunks: Sequence) -> list:
    """Cumulative offsets of the blocks of each axis, starting at 0.

    Examples
    --------
    >>> cumdims(((2, 2, 1), (3,)))
    [[0, 2, 4, 5], [0, 3]]
    """
    out = []
    for c in chunks:
        acc = [0]
        total = 0
        for n in c:
            total += n
            acc.append(total)
        out.append(acc)
    return out


def slices_from_chunks(chunks: Sequence) -> list:
    """The slices selecting every block, in C order of the blocks.

    Examples
    --------
    >>> slices_from_chunks(((2, 1), (3,)))
    [(slice(0, 2, None), slice(0, 3, None)), (slice(2, 3, None), slice(0, 3, None))]
    """
    per_axis = [
        [slice(s, s + n) for s, n in zip(starts[:-1], c, strict=True)]
        for starts, c in zip(cumdims(chunks), chunks, strict=True)
    ]
    return list(product(*per_axis))


def has_unknown_chunks(chunks: Sequence) -> bool:
    """True if some block length is unknown (NaN).

    Examples
    --------
    >>> has_unknown_chunks(((2, 2), (3,))), has_unknown_chunks(((float('nan'),), (3,)))
    (False, True)
    """
    return any(_isnan(n) for c in chunks for n in c)


def _unknown_axes(x: Any) -> list[int]:
    return [a for a, c in enumerate(x.chunks) if any(math.isnan(s) for s in c)]


def require_known_chunks(x: Any, what: str, axis: int | None = None) -> None:
    """Raise ``ValueError`` if ``x`` has unknown (NaN) chunk sizes.

    Operations that need to know where blocks start (slicing, reshape,
    rechunk, ...) call this first, so a user sees what to do instead of a
    wrong result.

    Parameters
    ----------
    x : Array
        The array to check.
    what : str
        The operation, for the message (``"reshape"``).
    axis : int, optional
        Only check this axis.

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> x = da.from_array(np.arange(6), chunks=3)
    >>> require_known_chunks(x, "reshape")  # nothing happens
    >>> y = x[x > 2]
    >>> try:
    ...     require_known_chunks(y, "reshape")
    ... except ValueError as e:
    ...     print(str(e)[:60])
    reshape needs known chunk sizes, but axis 0 of the array has
    """
    bad = _unknown_axes(x)
    if axis is not None:
        bad = [a for a in bad if a == axis % max(x.ndim, 1)]
    if bad:
        axes = ", ".join(map(str, bad))
        s = "es" if len(bad) > 1 else ""
        raise ValueError(
            f"{what} needs known chunk sizes, but axis{s} {axes} of the array has unknown "
            "(NaN) chunk sizes (as after boolean indexing). "
            "Call `x = x.compute_chunk_sizes()` first."
        )
