"""Broadcasting and alignment: NumPy's shape rules, :func:`broadcast_to`, :func:`unify_chunks`.

Examples
--------
>>> import numpy as np
>>> from mpiflow.array.core import from_array
>>> broadcast_to(from_array(np.arange(2), chunks=1), (3, 2)).chunks
((3,), (1, 1))
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import partial
from itertools import product
from typing import Any

import numpy as np

from mpiflow.array.chunks import normalize_chunks
from mpiflow.core.tokenize import tokenize

__all__ = ["broadcast_to", "unify_chunks"]


def _isnan(x: Any) -> bool:
    return isinstance(x, float) and math.isnan(x)


def _is_array(x: Any) -> bool:
    from mpiflow.array.core import Array

    return isinstance(x, Array)


def _common_chunks(all_chunks: list, label: Any) -> tuple:
    """Block lengths that refine every chunking in ``all_chunks`` (same total)."""
    first = all_chunks[0]
    if all(c == first for c in all_chunks):
        return first
    totals = {sum(c) for c in all_chunks}
    if any(any(map(_isnan, c)) for c in all_chunks):
        raise ValueError(
            f"cannot align arrays along index {label!r}: their chunks {all_chunks} differ and "
            "some lengths are unknown (NaN); call .compute_chunk_sizes() on them first"
        )
    if len(totals) != 1:
        raise ValueError(
            f"cannot align arrays along index {label!r}: lengths {sorted(totals)} differ; "
            "give arrays of matching shape (or length 1 to broadcast)"
        )
    bounds: set = set()
    for c in all_chunks:
        acc = 0
        for n in c:
            acc += n
            bounds.add(acc)
    edges = sorted(bounds)
    return tuple(b - a for a, b in zip([0] + edges[:-1], edges, strict=True) if b > a) or (0,)


def unify_chunks(*args: Any, warn: bool = True) -> tuple[dict, list]:
    """Rechunk arrays so that axes sharing an index label have the same chunks.

    Parameters
    ----------
    *args : pairs
        ``array, index`` pairs as for :func:`blockwise` (non-arrays have index None).
    warn : bool
        Unused; kept for Dask compatibility.

    Returns
    -------
    chunkss : dict
        ``{label: chunks}`` for every label.
    arrays : list
        The arguments, arrays rechunked where needed.

    Examples
    --------
    >>> import numpy as np
    >>> from mpiflow.array.core import from_array
    >>> a = from_array(np.ones(6), chunks=3)
    >>> b = from_array(np.ones(6), chunks=2)
    >>> chunkss, (a2, b2) = unify_chunks(a, 'i', b, 'i')
    >>> chunkss['i'], a2.chunks, b2.chunks
    ((2, 1, 1, 2), ((2, 1, 1, 2),), ((2, 1, 1, 2),))
    """
    if len(args) % 2:
        raise ValueError("unify_chunks takes array, index pairs; got an odd number of arguments")
    pairs = list(zip(args[::2], args[1::2], strict=True))
    seen: dict = {}
    for a, ind in pairs:
        if ind is None or not _is_array(a):
            continue
        if len(ind) != a.ndim:
            raise ValueError(
                f"index {ind!r} has {len(ind)} labels but the array has {a.ndim} dimensions; "
                "give one label per axis"
            )
        for lab, c in zip(ind, a.chunks, strict=True):
            seen.setdefault(lab, [])
            if c not in seen[lab]:
                seen[lab].append(c)
    chunkss: dict = {}
    for lab, cs in seen.items():
        big = [c for c in cs if not (len(c) == 1 and c[0] == 1)]  # length 1 broadcasts
        chunkss[lab] = _common_chunks(big, lab) if big else cs[0]
    out = []
    for a, ind in pairs:
        if ind is None or not _is_array(a):
            out.append(a)
            continue
        want = tuple(
            c if (len(c) == 1 and c[0] == 1) else chunkss[lab]
            for lab, c in zip(ind, a.chunks, strict=True)
        )
        out.append(a if want == a.chunks else a.rechunk(want))
    return chunkss, out


def _broadcast_shapes(shapes: list, what: str) -> tuple:
    ndim = max((len(s) for s in shapes), default=0)
    out = []
    for d in range(ndim):
        sizes = {s[len(s) - ndim + d] for s in shapes if len(s) - ndim + d >= 0}
        known = {n for n in sizes if not _isnan(n)}
        big = known - {1}
        if len(big) > 1:
            raise ValueError(
                f"{what}: operands could not be broadcast together with shapes "
                + " ".join(str(tuple(s)) for s in shapes)
                + f" (axis {d - ndim} has lengths {sorted(big)}); make the shapes equal or 1 "
                "on each axis, e.g. with reshape or x[:, None]"
            )
        if any(_isnan(n) for n in sizes):
            out.append(math.nan if not big else big.pop())
        else:
            out.append(big.pop() if big else (1 if known else 1))
    return tuple(out)


def _broadcast_block(block: np.ndarray, shape: tuple) -> np.ndarray:
    return np.broadcast_to(block, shape)


def broadcast_to(x: Any, shape: Sequence, chunks: Any = None) -> Any:
    """Broadcast ``x`` to ``shape`` without copying data (blocks are read-only views).

    Parameters
    ----------
    x : Array or array-like
        The input.
    shape : tuple of int
        The new shape; NumPy's broadcasting rules apply.
    chunks : tuple, optional
        Chunks of the output (must match ``x``'s chunks on axes that are not
        broadcast). By default new axes and broadcast axes are one block.

    Examples
    --------
    >>> import numpy as np
    >>> from mpiflow.array.core import from_array
    >>> x = from_array(np.arange(3), chunks=2)
    >>> y = broadcast_to(x, (2, 3))
    >>> y.chunks
    ((2,), (2, 1))
    >>> y.compute(scheduler='sync')
    array([[0, 1, 2],
           [0, 1, 2]])
    """
    from mpiflow.array.core import asarray, new_array

    x = asarray(x)
    shape = tuple(int(s) if not _isnan(s) else s for s in shape)
    nnew = len(shape) - x.ndim
    if nnew < 0 or any(
        not (s == d or d == 1 or _isnan(d)) for s, d in zip(shape[nnew:], x.shape, strict=True)
    ):
        raise ValueError(
            f"cannot broadcast an array of shape {x.shape} to shape {shape}: each axis of the "
            "array must equal the target length or be 1, and the target may only add "
            "leading axes"
        )
    if chunks is None:
        chunks = tuple((s,) for s in shape[:nnew]) + tuple(
            c if d == s else (s,) for c, d, s in zip(x.chunks, x.shape, shape[nnew:], strict=True)
        )
    else:
        chunks = normalize_chunks(chunks, shape, dtype=x.dtype)
        for i, (c, d, s) in enumerate(zip(x.chunks, x.shape, shape[nnew:], strict=True)):
            if d == s and c != chunks[nnew + i]:
                raise ValueError(
                    f"broadcast_to: chunks {chunks[nnew + i]} on axis {nnew + i} differ from "
                    f"the input's {c}; rechunk the input first"
                )
    if shape == x.shape and chunks == x.chunks:
        return x
    name = "broadcast-to-" + tokenize(x, shape, chunks)
    layer: dict = {}
    bcast = [d != s for d, s in zip(x.shape, shape[nnew:], strict=True)]
    for coord in product(*[range(len(c)) for c in chunks]):
        src = tuple(0 if b else c for b, c in zip(bcast, coord[nnew:], strict=True))
        bshape = tuple(chunks[d][c] for d, c in enumerate(coord))
        layer[(name, *coord)] = (partial(_broadcast_block, shape=bshape), (x.name, *src))
    return new_array(name, layer, chunks, x.dtype, dependencies=[x])
