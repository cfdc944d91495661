"""Cumulative sums and products along an axis: a blocked prefix scan.

Every block computes its own cumulative sum (or product) and, independently,
its total along the axis. The totals are chained into *carries* (the sum of
all totals before a block) by tiny tasks, and each block adds its carry to its
own scan in place. The heavy work (scans and totals) runs in parallel; only
scalars-per-slice travel along the chain, and no block is copied twice.

Examples
--------
>>> import numpy as np
>>> import mpiflow.array as da
>>> x = da.from_array(np.arange(1, 7), chunks=2)
>>> cumsum(x).compute(scheduler='sync')
array([ 1,  3,  6, 10, 15, 21])
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from mpiflow.array.layers import WholeInputLayer
from mpiflow.array.reductions_tree import check_out, normalize_axis, probe_dtype
from mpiflow.core.tokenize import tokenize

__all__ = ["cumsum", "cumprod", "nancumsum", "nancumprod"]


def _scan_block(scan: Callable, axis: int, dtype: np.dtype, block: np.ndarray) -> np.ndarray:
    return scan(block, axis=axis, dtype=dtype)


def _scan_carry(
    scan: Callable,
    binop: np.ufunc,
    axis: int,
    dtype: np.dtype,
    block: np.ndarray,
    carry: np.ndarray,
) -> np.ndarray:
    out = scan(block, axis=axis, dtype=dtype)
    binop(out, carry, out=out)
    return out


def _block_total(total: Callable, axis: int, dtype: np.dtype, block: np.ndarray) -> np.ndarray:
    return total(block, axis=axis, dtype=dtype, keepdims=True)


def _cumulative(
    x: Any,
    what: str,
    scan: Callable,
    total: Callable,
    binop: np.ufunc,
    axis: Any,
    dtype: Any,
    out: Any,
    method: str,
) -> Any:
    from mpiflow.array.core import asarray, new_array

    check_out(out, what)
    if method != "sequential":
        raise NotImplementedError(
            f"{what}(method={method!r}) is not supported; use method='sequential' "
            "(a blocked prefix scan whose per-block work runs in parallel)"
        )
    x = asarray(x)
    if axis is None:
        if x.ndim != 1:
            x = x.ravel()
        axis = 0
    elif isinstance(axis, (tuple, list)):
        raise TypeError(f"{what}: axis must be None or an int, got {axis!r}")
    (axis,) = normalize_axis(axis, x.ndim, what)
    dt = probe_dtype(scan, x.dtype, dtype=dtype)
    name = f"{what}-{tokenize(x.name, axis, str(dt))}"
    keys = x.__mpiflow_keys__()
    first = functools.partial(_scan_block, scan, axis, dt)
    rest = functools.partial(_scan_carry, scan, binop, axis, dt)
    tot = functools.partial(_block_total, total, axis, dt)
    layer = WholeInputLayer()  # every block of the inputs is read
    nb = x.numblocks
    for idx in np.ndindex(*nb):
        key = keys
        for i in idx:
            key = key[i]
        j = idx[axis]
        if j + 1 < nb[axis]:
            layer[(f"{name}-total", *idx)] = (tot, key)
        if j == 0:
            layer[(name, *idx)] = (first, key)
            continue
        prev = idx[:axis] + (j - 1,) + idx[axis + 1 :]
        carry = (f"{name}-carry", *idx)
        if j == 1:
            layer[carry] = (_identity, (f"{name}-total", *prev))
        else:
            layer[carry] = (binop, (f"{name}-carry", *prev), (f"{name}-total", *prev))
        layer[(name, *idx)] = (rest, key, carry)
    return new_array(name, layer, x.chunks, dt, dependencies=[x])


def _identity(v: Any) -> Any:
    return v


_DOC = """{title} along an axis (as :func:`numpy.{what}`).

    Parameters
    ----------
    x : Array or array-like
        Input.
    axis : int, optional
        The axis; None (the default) scans the flattened array.
    dtype : dtype, optional
        Accumulator and result dtype (NumPy's default: small ints become int64).
    out : None
        Only None is supported.
    method : {{'sequential'}}
        The blocked prefix scan (per-block scans in parallel, carries chained).

    Returns
    -------
    Array
        Same chunks as ``x`` (flattened when ``axis`` is None).

    Examples
    --------
    >>> import numpy as np
    >>> import mpiflow.array as da
    >>> x = da.from_array(np.array([[1.0, 2.0], [{nan}, 4.0]]), chunks=1)
    >>> {what}(x, axis=0).compute()
    {result}
"""


def cumsum(
    x: Any, axis: Any = None, dtype: Any = None, out: Any = None, method: str = "sequential"
) -> Any:
    return _cumulative(x, "cumsum", np.cumsum, np.sum, np.add, axis, dtype, out, method)


def cumprod(
    x: Any, axis: Any = None, dtype: Any = None, out: Any = None, method: str = "sequential"
) -> Any:
    return _cumulative(x, "cumprod", np.cumprod, np.prod, np.multiply, axis, dtype, out, method)


def nancumsum(
    x: Any, axis: Any = None, dtype: Any = None, out: Any = None, method: str = "sequential"
) -> Any:
    return _cumulative(x, "nancumsum", np.nancumsum, np.nansum, np.add, axis, dtype, out, method)


def nancumprod(
    x: Any, axis: Any = None, dtype: Any = None, out: Any = None, method: str = "sequential"
) -> Any:
    return _cumulative(
        x, "nancumprod", np.nancumprod, np.nanprod, np.multiply, axis, dtype, out, method
    )


cumsum.__doc__ = _DOC.format(
    title="Cumulative sum",
    what="cumsum",
    nan="3.0",
    result="array([[1., 2.],\n           [4., 6.]])",
)
cumprod.__doc__ = _DOC.format(
    title="Cumulative product",
    what="cumprod",
    nan="3.0",
    result="array([[1., 2.],\n           [3., 8.]])",
)
nancumsum.__doc__ = _DOC.format(
    title="Cumulative sum treating NaN as zero",
    what="nancumsum",
    nan="np.nan",
    result="array([[1., 2.],\n           [1., 6.]])",
)
nancumprod.__doc__ = _DOC.format(
    title="Cumulative product treating NaN as one",
    what="nancumprod",
    nan="np.nan",
    result="array([[1., 2.],\n           [1., 8.]])",
)
