"""Block contractions: the engine behind ``einsum``, ``tensordot``, ``dot`` and ``matmul``.

Every contraction is described the way ``numpy.einsum`` describes it: one
index letter per axis of each operand and the letters of the output. A letter
missing from the output is summed over. The engine

1. checks that every letter has one size (size-1 axes broadcast where the
   caller allows it) and aligns the chunks of every letter across operands,
   rechunking to the common refinement of their chunk boundaries when they
   differ (the refinement only splits chunks, it never merges them);
2. for each output block, lists the *terms*: one tuple of input blocks per
   combination of the blocks of the summed letters;
3. computes groups of terms in one task each (a running sum, so one product is
   alive at a time), sized so that a task reads a bounded number of bytes and
   the graph keeps enough tasks to use every core, and adds the group partial
   sums in a tree of ``split_every`` inputs per task.

Examples
--------
>>> import numpy as np
>>> import mpiflow.array as da
>>> x = da.from_array(np.arange(6.0).reshape(2, 3), chunks=(1, 2))
>>> einsum('ij->j', x).compute(scheduler='sync')
array([3., 5., 7.])
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Collection, Sequence
from functools import partial
from typing import Any

import numpy as np

from mpiflow.core.tokenize import tokenize

__all__ = ["einsum", "tensordot"]

#: Bytes of input blocks one task may read when it sums a group of products.
GROUP_BYTES = 128 * 2**20
#: A contraction keeps at least this many product tasks when it can.
MIN_TASKS = 8
#: Partial sums added per task in the tree that combines group results.
SPLIT_EVERY = 4

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


# --------------------------------------------------------------------------------------
# Per-block functions (module level: they must pickle for the process scheduler)
# --------------------------------------------------------------------------------------


def _sum_terms(func: Callable, terms: list) -> Any:
    """``sum(func(*t) for t in terms)`` with one running accumulator.

    The first product may be a view of an input block (``einsum('ij->ij')``),
    so it is never modified: the first addition makes a new array and later
    ones add into it in place.

    Examples
    --------
    >>> import numpy as np
    >>> _sum_terms(np.multiply, [[np.ones(2), 2.0], [np.ones(2), 3.0]])
    array([5., 5.])
    """
    acc = func(*terms[0])
    owned = False
    for term in terms[1:]:
        value = func(*term)
        if owned:
            acc += value
        else:
            acc = acc + value
            owned = isinstance(acc, np.ndarray)
    return acc


def _sum_blocks(blocks: list) -> Any:
    """Sum a list of partial results without modifying any of them.

    Examples
    --------
    >>> import numpy as np
    >>> _sum_blocks([np.ones(2), np.ones(2), np.ones(2)])
    array([3., 3.])
    """
    acc = blocks[0] + blocks[1]
    for block in blocks[2:]:
        acc += block
    return acc


def _einsum_block(subscripts: str, kwargs: dict, *blocks: Any) -> np.ndarray:
    """``numpy.einsum`` on blocks; a 0-d result comes back as a 0-d array."""
    out = np.einsum(subscripts, *blocks, **kwargs)
    return out if isinstance(out, np.ndarray) else np.asarray(out)


# --------------------------------------------------------------------------------------
# The engine
# --------------------------------------------------------------------------------------


def _refine(chunkings: Collection[tuple]) -> tuple:
    """Common refinement of several chunkings of one axis: the union of boundaries.

    Examples
    --------
    >>> _refine([(2, 2, 2), (3, 3)])
    (2, 1, 1, 2)
    """
    cuts: set = set()
    for chunks in chunkings:
        cuts.update(itertools.accumulate(chunks))
    edges = [0, *sorted(cuts)]
    return tuple(b - a for a, b in zip(edges[:-1], edges[1:], strict=True)) or (0,)


def _shapes(operands: Sequence) -> str:
    return ", ".join(str(op.shape) for op in operands)


def _letter_sizes(
    operands: Sequence, inds: Sequence[str], broadcast: Collection[str], what: str
) -> tuple[dict, dict]:
    """Size of every letter and where it occurs; raise on a mismatch or unknown size."""
    places: dict = {}
    for i, (op, ind) in enumerate(zip(operands, inds, strict=True)):
        if len(ind) != op.ndim:
            raise ValueError(
                f"{what}: operand {i} has {op.ndim} dimension(s) (shape {op.shape}) "
                f"but its subscripts {ind!r} name {len(ind)}"
            )
        for axis, letter in enumerate(ind):
            places.setdefault(letter, []).append((i, axis))
    sizes: dict = {}
    for letter, where in places.items():
        dims = [operands[i].shape[axis] for i, axis in where]
        if len(where) > 1 and any(isinstance(d, float) and math.isnan(d) for d in dims):
            raise ValueError(
                f"{what}: the chunk sizes of an axis that must be aligned are unknown "
                f"(shapes {_shapes(operands)}); call x.compute_chunk_sizes() first"
            )
        distinct = set(dims)
        if letter in broadcast:
            distinct.discard(1)
        if len(distinct) > 1:
            raise ValueError(
                f"{what}: shape mismatch for index {letter!r}: sizes "
                f"{sorted(set(dims))} in operands of shapes {_shapes(operands)}"
            )
        sizes[letter] = distinct.pop() if distinct else 1
    return sizes, places


def _align(operands: list, inds: Sequence[str], sizes: dict, places: dict) -> tuple:
    """Rechunk operands so every letter has one chunking; return (operands, chunks)."""
    target: dict = {}
    for letter, where in places.items():
        full = [(i, ax) for i, ax in where if not _broadcasts(operands[i], ax, sizes[letter])]
        chunkings = {operands[i].chunks[ax] for i, ax in full}
        target[letter] = chunkings.pop() if len(chunkings) == 1 else _refine(chunkings)
    out = []
    for op, ind in zip(operands, inds, strict=True):
        new = tuple(
            op.chunks[ax] if _broadcasts(op, ax, sizes[c]) else target[c]
            for ax, c in enumerate(ind)
        )
        out.append(op.rechunk(new) if new != op.chunks else op)
    return out, target


def _broadcasts(op: Any, axis: int, size: Any) -> bool:
    """True if ``op``'s axis has length 1 and stretches to the letter's ``size``."""
    return op.shape[axis] == 1 and size != 1


def _group_size(operands: list, nterms: int, nout: int) -> int:
    """How many products one task sums: bounded input bytes, enough tasks for the cores."""
    term_bytes = sum(op.nbytes / max(1, math.prod(op.numblocks)) for op in operands)
    if not math.isfinite(term_bytes):
        term_bytes = GROUP_BYTES
    size = max(1, int(GROUP_BYTES // max(term_bytes, 1)))
    if nout < MIN_TASKS:
        size = min(size, max(1, math.ceil(nterms / math.ceil(MIN_TASKS / nout))))
    return min(size, max(nterms, 1))


def contract(
    func: Callable,
    operands: Sequence,
    inds: Sequence[str],
    out_ind: str,
    *,
    dtype: Any,
    prefix: str,
    token: Any,
    broadcast: Collection[str] = (),
    what: str | None = None,
    split_every: int | None = None,
) -> Any:
    """Contract chunked arrays block by block; the engine of every product here.

    Parameters
    ----------
    func : callable
        ``func(*blocks)`` computes the output block of one combination of
        input blocks, with the letters absent from ``out_ind`` summed out, in
        the order of ``out_ind`` (``numpy.einsum`` with the same subscripts).
    operands : sequence of Array
    inds : sequence of str
        One letter per axis of each operand; a letter repeated in one operand
        takes the diagonal.
    out_ind : str
        Letters of the output, each once.
    dtype : dtype
        Of the output.
    prefix, token
        The output is named ``f"{prefix}-{tokenize(token, ...)}"``.
    broadcast : collection of str
        Letters whose size-1 axes broadcast against longer ones.
    what : str, optional
        Name used in error messages (default ``prefix``).
    split_every : int, optional
        Partial sums added per task (default 4).

    Returns
    -------
    Array

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> x = da.from_array(np.arange(4.0), chunks=2)
    >>> y = contract(np.multiply.outer, [x, x], ['i', 'j'], 'ij', dtype=float,
    ...              prefix='outer', token='doc')
    >>> y.chunks, float(y.compute(scheduler='sync')[3, 2])
    (((2, 2), (2, 2)), 6.0)
    """
    from mpiflow.array.core import new_array

    what = what or prefix
    operands = list(operands)
    sizes, places = _letter_sizes(operands, inds, broadcast, what)
    operands, target = _align(operands, inds, sizes, places)
    split_every = max(2, split_every or SPLIT_EVERY)
    summed = [c for c in dict.fromkeys("".join(inds)) if c not in out_ind]
    ranges = {c: range(len(target[c])) for c in target}
    # an axis broadcast against a longer one always reads its block 0
    reads = [
        [not _broadcasts(op, ax, sizes[c]) for ax, c in enumerate(ind)]
        for op, ind in zip(operands, inds, strict=True)
    ]
    names = [op.name for op in operands]
    name = f"{prefix}-{tokenize(token, names, list(inds), out_ind, split_every)}"
    nterms = math.prod(len(ranges[c]) for c in summed)
    nout = math.prod(len(ranges[c]) for c in out_ind)
    group = _group_size(operands, nterms, nout)
    partial_name, sum_name = name + "-partial", name + "-sum"
    layer: dict = {}
    for out_idx in itertools.product(*(ranges[c] for c in out_ind)):
        at = dict(zip(out_ind, out_idx, strict=True))
        terms = []
        for sum_idx in itertools.product(*(ranges[c] for c in summed)):
            at.update(zip(summed, sum_idx, strict=True))
            terms.append(
                [
                    (nm, *[at[c] if r else 0 for c, r in zip(ind, rd, strict=True)])
                    for nm, ind, rd in zip(names, inds, reads, strict=True)
                ]
            )
        out_key = (name, *out_idx)
        if len(terms) == 1:
            layer[out_key] = (func, *terms[0])
            continue
        if len(terms) <= group:
            layer[out_key] = (_sum_terms, func, terms)
            continue
        level = []
        for g in range(0, len(terms), group):
            key = (partial_name, *out_idx, g // group)
            layer[key] = (_sum_terms, func, terms[g : g + group])
            level.append(key)
        depth = 0
        while len(level) > split_every:
            depth += 1
            nxt = []
            for j in range(0, len(level), split_every):
                part = level[j : j + split_every]
                if len(part) == 1:
                    nxt.append(part[0])
                    continue
                key = (sum_name, depth, *out_idx, j // split_every)
                layer[key] = (_sum_blocks, part)
                nxt.append(key)
            level = nxt
        layer[out_key] = (_sum_blocks, level) if len(level) > 1 else level[0]
    chunks = tuple(target[c] for c in out_ind)
    return new_array(name, layer, chunks, dtype, dependencies=operands)


# --------------------------------------------------------------------------------------
# Helpers and tensordot
# --------------------------------------------------------------------------------------


def as_array(x: Any) -> Any:
    """Return ``x`` as an mpiflow Array (NumPy inputs become one chunk).

    Examples
    --------
    >>> as_array([1, 2]).chunks
    ((2,),)
    """
    from mpiflow.array.core import Array

    if isinstance(x, Array):
        return x
    from mpiflow.array.core import from_array

    x = np.asarray(x)
    return from_array(x, chunks=tuple(max(1, s) for s in x.shape) or ())


def _check_known(what: str, *dims: Any) -> None:
    """Raise if one of the axis lengths to be matched is unknown (NaN)."""
    if any(isinstance(d, float) and math.isnan(d) for d in dims):
        raise ValueError(
            f"{what}: an axis to be matched has unknown chunk sizes (NaN, e.g. after "
            "boolean indexing); call x.compute_chunk_sizes() first"
        )


def _result_type(*arrays: Any) -> np.dtype:
    return np.result_type(*[np.zeros((), a.dtype) for a in arrays])


def _normalize_axes(axes: Any, a: Any, b: Any) -> tuple[list[int], list[int]]:
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        if n < 0 or n > a.ndim or n > b.ndim:
            raise ValueError(
                f"tensordot: axes={n} must be between 0 and the smaller number of "
                f"dimensions of the operands (shapes {a.shape} and {b.shape})"
            )
        return list(range(a.ndim - n, a.ndim)), list(range(n))
    try:
        left, right = axes
    except (TypeError, ValueError):
        raise ValueError(
            f"tensordot: axes must be an int or a pair of sequences of axes, got {axes!r}"
        ) from None
    left = [left] if isinstance(left, (int, np.integer)) else list(left)
    right = [right] if isinstance(right, (int, np.integer)) else list(right)
    if len(left) != len(right):
        raise ValueError(
            f"tensordot: axes {axes!r} name {len(left)} axes of the first operand and "
            f"{len(right)} of the second; they must pair up"
        )
    out = []
    for side, arr in ((left, a), (right, b)):
        norm = []
        for ax in side:
            if not -arr.ndim <= ax < arr.ndim:
                raise ValueError(
                    f"tensordot: axis {ax} is out of bounds for an operand of shape {arr.shape}"
                )
            norm.append(int(ax) % arr.ndim)
        if len(set(norm)) != len(norm):
            raise ValueError(f"tensordot: repeated axis in {axes!r}")
        out.append(norm)
    return out[0], out[1]


def tensordot(a: Any, b: Any, axes: Any = 2, split_every: int | None = None) -> Any:
    """Sum products over the given axes, like ``numpy.tensordot``.

    Chunks of paired axes are aligned first (rechunking where they differ);
    each output block is the sum over the contracted chunks of block products.

    Parameters
    ----------
    a, b : Array or array_like
    axes : int or (sequence of int, sequence of int), default 2
        An int ``n`` pairs the last ``n`` axes of ``a`` with the first ``n`` of
        ``b``; a pair lists the axes of ``a`` and ``b`` to contract, in pairs.
    split_every : int, optional
        Partial sums added per task when summing over chunks.

    Returns
    -------
    Array
        The free axes of ``a`` followed by the free axes of ``b``.

    Raises
    ------
    ValueError
        When paired axes have different lengths (the shapes are in the message).

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> a = da.from_array(np.arange(24.0).reshape(2, 3, 4), chunks=2)
    >>> b = da.from_array(np.ones((4, 3)), chunks=2)
    >>> tensordot(a, b, axes=([1, 2], [1, 0])).compute(scheduler='sync')
    array([ 66., 210.])
    """
    a, b = as_array(a), as_array(b)
    left, right = _normalize_axes(axes, a, b)
    for la, rb in zip(left, right, strict=True):
        _check_known("tensordot", a.shape[la], b.shape[rb])
        if a.shape[la] != b.shape[rb]:
            raise ValueError(
                f"tensordot: shape mismatch: axis {la} of the first operand (shape {a.shape}) "
                f"has length {a.shape[la]} but axis {rb} of the second (shape {b.shape}) "
                f"has length {b.shape[rb]}"
            )
    letters = iter(_LETTERS)
    a_ind = [next(letters) for _ in range(a.ndim)]
    b_ind = [next(letters) for _ in range(b.ndim)]
    for la, rb in zip(left, right, strict=True):
        b_ind[rb] = a_ind[la]
    out = [c for i, c in enumerate(a_ind) if i not in left]
    out += [c for i, c in enumerate(b_ind) if i not in right]
    func = partial(np.tensordot, axes=(left, right))
    return contract(
        func,
        [a, b],
        ["".join(a_ind), "".join(b_ind)],
        "".join(out),
        dtype=_result_type(a, b),
        prefix="tensordot",
        token=(left, right),
        what="tensordot",
        split_every=split_every,
    )


# --------------------------------------------------------------------------------------
# einsum
# --------------------------------------------------------------------------------------


def _expand_ellipsis(term: str, ndim: int, ell: str, i: int) -> str:
    """Replace ``...`` in one input's subscripts by the last letters of ``ell``."""
    if "..." not in term:
        return term
    named = len(term) - 3
    extra = ndim - named
    if extra < 0:
        raise ValueError(
            f"einsum: operand {i} has {ndim} dimension(s), fewer than its subscripts {term!r} name"
        )
    return term.replace("...", ell[len(ell) - extra :] if extra else "")


def parse_subscripts(subscripts: str, ndims: Sequence[int]) -> tuple[list[str], str]:
    """Parse einsum subscripts into per-operand letters and output letters.

    ``...`` becomes explicit letters (right-aligned, as NumPy broadcasts
    them); without ``->`` the output is the ellipsis letters followed by the
    letters used exactly once, in sorted order, as in NumPy.

    Examples
    --------
    >>> parse_subscripts('ij,jk', [2, 2])
    (['ij', 'jk'], 'ik')
    >>> parse_subscripts('...ij,jk->...ik', [3, 2])
    (['Zij', 'jk'], 'Zik')
    >>> parse_subscripts('ii', [2])
    (['ii'], '')
    """
    if not isinstance(subscripts, str):
        raise NotImplementedError(
            "einsum: only the subscripts-string form is supported, e.g. einsum('ij,jk->ik', a, b)"
        )
    text = subscripts.replace(" ", "")
    explicit = "->" in text
    lhs, out = text.split("->", 1) if explicit else (text, None)
    terms = lhs.split(",")
    if len(terms) != len(ndims):
        raise ValueError(
            f"einsum: subscripts {subscripts!r} name {len(terms)} operand(s) "
            f"but {len(ndims)} were given"
        )
    used = set(lhs.replace(".", "").replace(",", "")) | set((out or "").replace(".", ""))
    bad = sorted(c for c in used if c not in _LETTERS)
    if bad or any(t.count(".") not in (0, 3) for t in terms + [out or ""]):
        raise ValueError(
            f"einsum: invalid subscripts {subscripts!r}: use letters a-z, A-Z and at most "
            "one '...' per operand"
        )
    n_ell = max(
        (nd - (len(t) - 3) for t, nd in zip(terms, ndims, strict=True) if "..." in t), default=0
    )
    ell = "".join(c for c in reversed(_LETTERS) if c not in used)[:n_ell][::-1]
    inds = [
        _expand_ellipsis(t, nd, ell, i) for i, (t, nd) in enumerate(zip(terms, ndims, strict=True))
    ]
    for i, (ind, nd) in enumerate(zip(inds, ndims, strict=True)):
        if len(ind) != nd:
            raise ValueError(
                f"einsum: operand {i} has {nd} dimension(s) but its subscripts "
                f"{terms[i]!r} name {len(ind)}"
            )
    if out is None:
        counts: dict = {}
        for c in "".join(t.replace("...", "") for t in terms):
            counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1))
    else:
        if "..." in out:
            out = out.replace("...", ell)
        elif ell:
            raise ValueError(
                f"einsum: subscripts {subscripts!r} broadcast '...' dimensions but the "
                "output has no '...' to put them in"
            )
        missing = [c for c in out if c not in "".join(inds)]
        if missing or len(set(out)) != len(out):
            raise ValueError(
                f"einsum: output subscripts {out!r} must name each input letter at most once "
                f"and only letters of the inputs ({subscripts!r})"
            )
    return inds, out


def einsum(subscripts: str, *operands: Any, dtype: Any = None, **kwargs: Any) -> Any:
    """Evaluate an Einstein summation on chunked arrays, like ``numpy.einsum``.

    Parameters
    ----------
    subscripts : str
        Subscripts as in NumPy: explicit (``'ij,jk->ik'``) or implicit
        (``'ij,jk'``), with ``...`` for broadcast dimensions and repeated
        letters in one operand for diagonals and traces (``'ii->i'``, ``'ii'``).
    *operands : Array or array_like
    dtype : dtype, optional
        Type of the result (and of the accumulation, as in NumPy).
    casting, optimize, order : optional
        Passed to ``numpy.einsum`` for every block (``order`` has no effect on
        the chunked result).
    split_every : int, optional
        Partial sums added per task in the tree that sums over chunks.

    Returns
    -------
    Array

    Raises
    ------
    NotImplementedError
        For the operand-list form ``einsum(a, [0, 1], b, [1, 2])`` and ``out=``.
    ValueError
        For subscripts that do not match the operands or mismatched sizes.

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> a = da.from_array(np.arange(6.0).reshape(2, 3), chunks=(1, 2))
    >>> b = da.from_array(np.ones((3, 2)), chunks=2)
    >>> einsum('ij,jk->ik', a, b).compute(scheduler='sync')
    array([[ 3.,  3.],
           [12., 12.]])
    >>> float(einsum('ij,ij', a, a).compute(scheduler='sync'))
    55.0
    """
    if kwargs.get("out") is not None:
        raise NotImplementedError("einsum: out= is not supported for chunked arrays")
    split_every = kwargs.pop("split_every", None)
    kwargs.pop("order", None)
    kwargs.pop("out", None)
    unknown = set(kwargs) - {"casting", "optimize"}
    if unknown:
        raise TypeError(f"einsum() got unexpected keyword argument(s) {sorted(unknown)}")
    arrays = [as_array(op) for op in operands]
    inds, out = parse_subscripts(subscripts, [a.ndim for a in arrays])
    block_kw = dict(kwargs)
    if dtype is not None:
        block_kw["dtype"] = dtype
    subs = ",".join(inds) + "->" + out
    dummies = [np.zeros((1,) * a.ndim, dtype=a.dtype) for a in arrays]
    out_dtype = np.einsum(subs, *dummies, **block_kw).dtype
    func = partial(_einsum_block, subs, block_kw)
    broadcast = set("".join(inds))
    return contract(
        func,
        arrays,
        inds,
        out,
        dtype=out_dtype,
        prefix="einsum",
        token=(subs, sorted(block_kw.items(), key=str)),
        broadcast=broadcast,
        what="einsum",
        split_every=split_every,
    )
