"""Linear algebra on chunked arrays: products, TSQR factorizations and norms.

``dot``, ``matmul`` (the ``@`` operator), ``tensordot``, ``vdot`` and
``outer`` are contractions run by :func:`mpiflow.array.einsum.contract`:
one task per group of block products with a running sum, then a tree of
additions over the contracted chunks. ``qr`` and ``svd`` use TSQR and need
the whole of axis 1 in one chunk (tall-and-skinny arrays); ``norm`` follows
``numpy.linalg.norm``.

Examples
--------
>>> import numpy as np
>>> import mpiflow.array as da
>>> x = da.from_array(np.arange(6.0).reshape(3, 2), chunks=(2, 2))
>>> (x.T @ x).compute(scheduler='sync')
array([[20., 26.],
       [26., 35.]])
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

from mpiflow.array.einsum import (
    _LETTERS,
    _check_known,
    _result_type,
    as_array,
    contract,
    einsum,
    tensordot,
)
from mpiflow.core.tokenize import tokenize

__all__ = ["dot", "einsum", "matmul", "outer", "tensordot", "vdot"]


# --------------------------------------------------------------------------------------
# Products
# --------------------------------------------------------------------------------------


def matmul(a: Any, b: Any, split_every: int | None = None) -> Any:
    """Matrix product with NumPy's broadcasting rules, like ``numpy.matmul`` and ``@``.

    Parameters
    ----------
    a, b : Array or array_like
        At least 1-d. 1-d operands are vectors (the NumPy rules); axes before
        the last two are batch axes and broadcast against each other.
    split_every : int, optional
        Partial sums added per task when summing over chunks.

    Returns
    -------
    Array

    Raises
    ------
    ValueError
        For 0-d operands or mismatched core dimensions (shapes in the message).

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> a = da.from_array(np.arange(6.0).reshape(2, 3), chunks=2)
    >>> matmul(a, np.ones(3)).compute(scheduler='sync')
    array([ 3., 12.])
    >>> (a @ a.T).compute(scheduler='sync')
    array([[ 5., 14.],
           [14., 50.]])
    """
    a, b = as_array(a), as_array(b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(
            f"matmul: operands must be at least 1-d, got shapes {a.shape} and {b.shape} "
            "(use * to multiply by a scalar)"
        )
    k_a = a.shape[-1]
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    _check_known("matmul", k_a, k_b)
    if k_a != k_b:
        raise ValueError(
            f"matmul: shapes {a.shape} and {b.shape} do not match: the last axis of the first "
            f"operand has length {k_a} but the second operand's contracted axis has {k_b}"
        )
    nbatch = max(a.ndim, b.ndim) - 2
    batch = _LETTERS[3 : 3 + max(nbatch, 0)]
    a_ind = batch[len(batch) - (a.ndim - 2) :] + "ik" if a.ndim >= 2 else "k"
    b_ind = batch[len(batch) - (b.ndim - 2) :] + "kj" if b.ndim >= 2 else "k"
    out = batch + ("i" if a.ndim >= 2 else "") + ("j" if b.ndim >= 2 else "")
    return contract(
        np.matmul,
        [a, b],
        [a_ind, b_ind],
        out,
        dtype=_result_type(a, b),
        prefix="matmul",
        token="matmul",
        broadcast=set(batch),
        what="matmul",
        split_every=split_every,
    )


def dot(a: Any, b: Any, split_every: int | None = None) -> Any:
    """Dot product with the rules of ``numpy.dot``.

    1-d and 2-d operands give the inner product or the matrix product; with
    more dimensions the last axis of ``a`` is paired with the second-to-last
    axis of ``b``; a 0-d operand multiplies.

    Parameters
    ----------
    a, b : Array or array_like
    split_every : int, optional
        Partial sums added per task when summing over chunks.

    Returns
    -------
    Array

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> v = da.from_array(np.arange(4.0), chunks=2)
    >>> float(dot(v, v).compute(scheduler='sync'))
    14.0
    """
    a, b = as_array(a), as_array(b)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    rb = 0 if b.ndim == 1 else b.ndim - 2
    _check_known("dot", a.shape[-1], b.shape[rb])
    if a.shape[-1] != b.shape[rb]:
        raise ValueError(
            f"dot: shapes {a.shape} and {b.shape} not aligned: {a.shape[-1]} (dim "
            f"{a.ndim - 1}) != {b.shape[rb]} (dim {rb})"
        )
    return tensordot(a, b, axes=([a.ndim - 1], [rb]), split_every=split_every)


def vdot(a: Any, b: Any, split_every: int | None = None) -> Any:
    """Dot product of the flattened arrays, conjugating the first, like ``numpy.vdot``.

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> a = da.from_array(np.array([1 + 2j, 3 - 1j]), chunks=1)
    >>> complex(vdot(a, a).compute(scheduler='sync'))
    (15+0j)
    """
    a, b = as_array(a), as_array(b)
    if a.size != b.size:
        raise ValueError(
            f"vdot: operands must have the same number of elements, got shapes "
            f"{a.shape} and {b.shape}"
        )
    if np.iscomplexobj(np.zeros((), a.dtype)):
        a = np.conj(a)
    if a.shape != b.shape:
        a, b = a.ravel(), b.ravel()
    return tensordot(a, b, axes=a.ndim, split_every=split_every)


def outer(a: Any, b: Any) -> Any:
    """Outer product of two vectors (flattened first), like ``numpy.outer``.

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> a = da.from_array(np.arange(3), chunks=2)
    >>> outer(a, np.array([1, 10])).compute(scheduler='sync')
    array([[ 0,  0],
           [ 1, 10],
           [ 2, 20]])
    """
    a, b = as_array(a), as_array(b)
    a = a if a.ndim == 1 else a.ravel()
    b = b if b.ndim == 1 else b.ravel()
    return contract(
        np.multiply.outer,
        [a, b],
        ["i", "j"],
        "ij",
        dtype=_result_type(a, b),
        prefix="outer",
        token="outer",
    )


# --------------------------------------------------------------------------------------
# TSQR: qr and svd of tall-and-skinny arrays
# --------------------------------------------------------------------------------------


def _block_qr(block: np.ndarray) -> tuple:
    q, r = np.linalg.qr(block)
    return q, r


def _stack_qr(blocks: list) -> tuple:
    """QR of the stacked R factors: returns the pieces of its Q (one per block) and R."""
    rs = [r for _, r in blocks]
    q, r = np.linalg.qr(np.concatenate(rs, axis=0))
    edges = np.cumsum([0] + [x.shape[0] for x in rs])
    return [q[lo:hi] for lo, hi in zip(edges[:-1], edges[1:], strict=True)], r


def _stack_svd(coerce_signs: bool, blocks: list) -> tuple:
    """SVD of R from the stacked QR: pieces of ``Q_small @ U_r``, singular values, V^H."""
    pieces, r = _stack_qr(blocks)
    u, s, vh = np.linalg.svd(r, full_matrices=False)
    if coerce_signs and vh.size:
        # make the largest entry (in absolute value) of each right singular vector positive
        pick = vh[np.arange(vh.shape[0]), np.abs(vh).argmax(axis=1)]
        signs = np.where(pick == 0, 1, pick / np.abs(np.where(pick == 0, 1, pick)))
        vh = vh / signs[:, None]
        u = u * signs[None, :]
    return [p @ u for p in pieces], s, vh


def _tsqr_block(block_qr: tuple, stacked: tuple, i: int) -> np.ndarray:
    return block_qr[0] @ stacked[0][i]


def _check_tall_skinny(a: Any, what: str) -> None:
    if a.ndim != 2:
        raise ValueError(f"{what}: expected a 2-d array, got shape {a.shape}")
    if any(math.isnan(c) for c in a.chunks[0]):
        raise ValueError(
            f"{what}: the row chunk sizes are unknown; call x.compute_chunk_sizes() first"
        )
    if len(a.chunks[1]) != 1:
        raise ValueError(
            f"{what} supports tall-and-skinny arrays only (TSQR): all {a.shape[1]} columns must "
            f"be in one chunk, but the chunks are {a.chunks}. Rechunk first, e.g. "
            f"x.rechunk({{1: -1}}), with row chunks at least {a.shape[1]} tall"
        )


def _tsqr(a: Any, what: str, stack: Any) -> tuple:
    """The shared part of qr and svd: block QRs, the stacked step and its name."""
    m, n = a.shape
    token = tokenize(a.name, what, stack)
    name_b, name_s = f"{what}-block-{token}", f"{what}-stack-{token}"
    rows = len(a.chunks[0])
    layer: dict = {(name_b, i): (_block_qr, (a.name, i, 0)) for i in range(rows)}
    layer[(name_s, 0)] = (*stack, [(name_b, i) for i in range(rows)])
    k = min(m, n)
    return token, name_b, name_s, layer, k


def qr(a: Any, mode: str = "reduced") -> tuple:
    """QR decomposition of a tall-and-skinny array by TSQR.

    Every row block is factored on its own, the stacked R factors are factored
    once more, and each block of Q is the block's Q times its piece of the
    small Q. The array must hold all its columns in one chunk; row chunks may
    have any height.

    Parameters
    ----------
    a : Array, shape (m, n)
    mode : {'reduced'}
        Only the reduced factorization: Q is (m, k) and R is (k, n) with
        ``k = min(m, n)``.

    Returns
    -------
    q, r : Array
        ``q`` has the row chunks of ``a``; ``r`` is one chunk.

    Raises
    ------
    ValueError
        If ``a`` is not 2-d or has several column chunks (rechunk with
        ``x.rechunk({1: -1})``).

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> x = da.from_array(np.arange(12.0).reshape(6, 2) ** 2, chunks=(3, 2))
    >>> q, r = qr(x)
    >>> q.chunks, r.chunks
    (((3, 3), (2,)), ((2,), (2,)))
    >>> bool(np.allclose((q @ r).compute(scheduler='sync'), x.compute(scheduler='sync')))
    True
    """
    from mpiflow.array.core import new_array

    a = as_array(a)
    if mode != "reduced":
        raise NotImplementedError(f"qr: mode={mode!r} is not supported; only mode='reduced'")
    _check_tall_skinny(a, "qr")
    token, name_b, name_s, layer, k = _tsqr(a, "qr", (_stack_qr,))
    q_dtype = np.linalg.qr(np.zeros((1, 1), a.dtype))[0].dtype
    name_q, name_r = f"qr-q-{token}", f"qr-r-{token}"
    for i in range(len(a.chunks[0])):
        layer[(name_q, i, 0)] = (_tsqr_block, (name_b, i), (name_s, 0), i)
    q = new_array(name_q, layer, (a.chunks[0], (k,)), q_dtype, dependencies=[a])
    r_layer = {(name_r, 0, 0): (operator.getitem, (name_s, 0), 1)}
    r = new_array(name_r, r_layer, ((k,), (a.shape[1],)), q_dtype, dependencies=[q])
    return q, r


def svd(
    a: Any, full_matrices: bool = False, compute_uv: bool = True, coerce_signs: bool = True
) -> Any:
    """Singular value decomposition of a tall-and-skinny array by TSQR.

    The SVD of the small R factor gives the singular values and V^H; U is Q
    times R's left singular vectors, block by block. A short-and-fat array
    (one row chunk) is decomposed through its transpose.

    Parameters
    ----------
    a : Array, shape (m, n)
    full_matrices : bool, default False
        Only the reduced decomposition is available (``True`` raises).
    compute_uv : bool, default True
        If False, return only the singular values.
    coerce_signs : bool, default True
        Make the largest-magnitude entry of each right singular vector
        positive, so results do not depend on the chunking.

    Returns
    -------
    u : Array, shape (m, k)
    s : Array, shape (k,)
    vh : Array, shape (k, n)

    Raises
    ------
    ValueError
        If ``a`` is not 2-d or is chunked along both axes.

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> x = da.from_array(np.diag([3.0, 4.0, 0.0])[:, :2], chunks=(2, 2))
    >>> s = svd(x, compute_uv=False)
    >>> s.compute(scheduler='sync')
    array([4., 3.])
    """
    from mpiflow.array.core import new_array

    a = as_array(a)
    if full_matrices:
        raise NotImplementedError(
            "svd: full_matrices=True is not supported on chunked arrays; use the reduced form"
        )
    if a.ndim == 2 and len(a.chunks[1]) > 1 and len(a.chunks[0]) == 1:
        t = svd(a.T, compute_uv=compute_uv, coerce_signs=coerce_signs)
        if not compute_uv:
            return t
        u, s, vh = t
        if np.iscomplexobj(np.zeros((), a.dtype)):
            return np.conj(vh.T), s, np.conj(u.T)
        return vh.T, s, u.T
    _check_tall_skinny(a, "svd")
    token, name_b, name_s, layer, k = _tsqr(a, "svd", (_stack_svd, coerce_signs))
    sample = np.linalg.svd(np.zeros((1, 1), a.dtype))
    name_u, name_v, name_sv = f"svd-u-{token}", f"svd-vh-{token}", f"svd-s-{token}"
    for i in range(len(a.chunks[0])):
        layer[(name_u, i, 0)] = (_tsqr_block, (name_b, i), (name_s, 0), i)
    u = new_array(name_u, layer, (a.chunks[0], (k,)), sample[0].dtype, dependencies=[a])
    s_layer = {(name_sv, 0): (operator.getitem, (name_s, 0), 1)}
    s = new_array(name_sv, s_layer, ((k,),), sample[1].dtype, dependencies=[u])
    if not compute_uv:
        return s
    v_layer = {(name_v, 0, 0): (operator.getitem, (name_s, 0), 2)}
    vh = new_array(name_v, v_layer, ((k,), (a.shape[1],)), sample[2].dtype, dependencies=[u])
    return u, s, vh


# --------------------------------------------------------------------------------------
# norm
# --------------------------------------------------------------------------------------


def _vector_norm(x: Any, ord: Any, axis: int, keepdims: bool) -> Any:
    ax = abs(x)
    if ord is None or ord == 2:
        return np.sqrt((ax * ax).sum(axis=axis, keepdims=keepdims))
    if ord == np.inf:
        return ax.max(axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return ax.min(axis=axis, keepdims=keepdims)
    if ord == 0:
        return (x != 0).astype(ax.dtype).sum(axis=axis, keepdims=keepdims)
    if ord == 1:
        return ax.sum(axis=axis, keepdims=keepdims)
    if isinstance(ord, str):
        raise ValueError(f"norm: invalid norm order {ord!r} for vectors")
    return ((ax**ord).sum(axis=axis, keepdims=keepdims)) ** (1.0 / ord)


def _singular_norm(x: Any, ord: Any, axes: tuple, keepdims: bool) -> Any:
    """ord 2, -2 or 'nuc' of a matrix: needs singular values."""
    if x.ndim == 2:
        s = svd(x, compute_uv=False)
        out = s.max() if ord == 2 else s.min() if ord == -2 else s.sum()
        if keepdims:
            out = out.reshape((1, 1))
        return out
    raise NotImplementedError(
        f"norm: ord={ord!r} over axes {axes} of a {x.ndim}-d array is not supported; "
        "it is supported for 2-d arrays with one chunk along one axis"
    )


def _matrix_norm(x: Any, ord: Any, axes: tuple, keepdims: bool) -> Any:
    r, c = axes
    if ord in (2, -2, "nuc"):
        return _singular_norm(x, ord, axes, keepdims)
    ax = abs(x)
    if ord is None or ord == "fro":
        return np.sqrt((ax * ax).sum(axis=axes, keepdims=keepdims))
    if ord in (1, -1):  # max/min column sum: sum over rows first
        sums = ax.sum(axis=r, keepdims=True)
        pick = sums.max if ord == 1 else sums.min
        out = pick(axis=c, keepdims=True)
    elif ord in (np.inf, -np.inf):
        sums = ax.sum(axis=c, keepdims=True)
        pick = sums.max if ord == np.inf else sums.min
        out = pick(axis=r, keepdims=True)
    else:
        raise ValueError(f"norm: invalid norm order {ord!r} for matrices")
    return out if keepdims else out.squeeze(axis=(r, c))


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:
    """Vector or matrix norm, like ``numpy.linalg.norm``.

    Parameters
    ----------
    x : Array or array_like
    ord : {None, 'fro', 'nuc', inf, -inf, 0, 1, -1, 2, -2, other numbers}
        As in NumPy. The matrix norms ``2``, ``-2`` and ``'nuc'`` need
        singular values and work on 2-d arrays held in one chunk along one
        axis (see :func:`svd`).
    axis : None, int or 2-tuple of ints
        Vector norm over an int, matrix norm over a pair; None takes the
        vector norm of a 1-d array, the matrix norm of a 2-d one, and (with
        ``ord=None``) the 2-norm of all elements otherwise.
    keepdims : bool
        Keep the reduced axes with length one.

    Returns
    -------
    Array

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> x = da.from_array(np.array([[3.0, -4.0], [0.0, 12.0]]), chunks=1)
    >>> float(norm(x).compute(scheduler='sync'))
    13.0
    >>> norm(x, ord=1, axis=1).compute(scheduler='sync')
    array([ 7., 12.])
    >>> float(norm(x, ord=np.inf).compute(scheduler='sync'))
    12.0
    """
    x = as_array(x)
    if not np.issubdtype(x.dtype, np.inexact) and x.dtype != object:
        x = x.astype(float)
    if axis is None:
        if ord is None:
            axes = tuple(range(x.ndim))
            out = np.sqrt((abs(x) ** 2).sum(axis=axes, keepdims=keepdims))
            return out
        if x.ndim == 1:
            return _vector_norm(x, ord, 0, keepdims)
        if x.ndim == 2:
            return _matrix_norm(x, ord, (0, 1), keepdims)
        raise ValueError(
            f"norm: ord={ord!r} with axis=None needs a 1-d or 2-d array, got shape {x.shape}; "
            "pass axis="
        )
    if isinstance(axis, Sequence) and not isinstance(axis, str):
        if len(axis) == 1:
            axis = axis[0]
        elif len(axis) == 2:
            axes = tuple(int(a) % x.ndim for a in axis)
            if axes[0] == axes[1]:
                raise ValueError(f"norm: duplicate axes given: {axis}")
            return _matrix_norm(x, ord, axes, keepdims)
        else:
            raise ValueError(f"norm: axis must be an int or a pair of ints, got {axis!r}")
    if not -x.ndim <= int(axis) < x.ndim:
        raise ValueError(f"norm: axis {axis} is out of bounds for shape {x.shape}")
    return _vector_norm(x, ord, int(axis) % x.ndim, keepdims)
