"""Test helpers for mpiflow.array: :func:`assert_eq` and :data:`SCHEDULERS`.

Import from a test with ``from array_helpers import assert_eq, SCHEDULERS``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from mpiflow.array.core import Array

__all__ = ["assert_eq", "SCHEDULERS", "check_chunks"]

#: The three local schedulers every op family is checked with.
SCHEDULERS = ["sync", "threads", "processes"]


def _isnan(x: Any) -> bool:
    return isinstance(x, float) and math.isnan(x)


def check_chunks(x: Array, scheduler: str = "sync") -> np.ndarray:
    """Compute ``x`` block by block, check each block against the declared chunks.

    Returns the assembled NumPy result.
    """
    from mpiflow.base import compute

    blocks = x.to_delayed(optimize_graph=True).ravel().tolist()
    values = compute(*blocks, scheduler=scheduler)
    coords = list(np.ndindex(*x.numblocks)) if x.ndim else [()]
    for coord, b in zip(coords, values, strict=True):
        assert isinstance(b, np.ndarray) or np.isscalar(b), (
            f"block {coord} of {x.name} is a {type(b).__name__}, not a NumPy array"
        )
        b = np.asarray(b)
        want = tuple(x.chunks[d][c] for d, c in enumerate(coord))
        assert b.ndim == x.ndim, f"block {coord} has ndim {b.ndim}, declared {x.ndim}"
        for d, (got, exp) in enumerate(zip(b.shape, want, strict=True)):
            assert _isnan(exp) or got == exp, (
                f"block {coord} of {x.name} has shape {b.shape}, chunks declare {want} (axis {d})"
            )
        assert b.dtype == x.dtype, f"block {coord} has dtype {b.dtype}, declared {x.dtype}"
    from mpiflow.array.core import concatenate_blocks

    nested = np.empty(x.numblocks, dtype=object) if x.ndim else None
    if x.ndim == 0:
        return np.asarray(values[0])
    for coord, b in zip(coords, values, strict=True):
        nested[coord] = b
    return concatenate_blocks(nested.tolist(), x.ndim)


def assert_eq(
    a: Any,
    b: Any,
    scheduler: str = "sync",
    check_chunks: bool = True,
    check_dtype: bool = True,
    equal_nan: bool = True,
    **allclose_kw: Any,
) -> None:
    """Assert that ``a`` equals ``b`` (either may be an mpiflow Array or array-like).

    Arrays are computed (block by block when ``check_chunks``: each block
    must have the declared shape and dtype); shape and dtype must match; values
    are compared with ``np.allclose`` for inexact dtypes, exactly otherwise.
    """
    a_arr = _value(a, scheduler, check_chunks)
    b_arr = _value(b, scheduler, check_chunks)
    assert a_arr.shape == b_arr.shape, f"shapes differ: {a_arr.shape} != {b_arr.shape}"
    if check_dtype:
        assert a_arr.dtype == b_arr.dtype, f"dtypes differ: {a_arr.dtype} != {b_arr.dtype}"
    if a_arr.dtype.kind in "fc" or b_arr.dtype.kind in "fc":
        assert np.allclose(a_arr, b_arr, equal_nan=equal_nan, **allclose_kw), (
            f"values differ:\n{a_arr}\n!=\n{b_arr}"
        )
    else:
        assert np.array_equal(a_arr, b_arr), f"values differ:\n{a_arr}\n!=\n{b_arr}"


def _value(x: Any, scheduler: str, check: bool) -> np.ndarray:
    if isinstance(x, Array):
        if check:
            out = check_chunks(x, scheduler)
            shape = tuple(0 if _isnan(s) else s for s in x.shape)
            assert (
                all(_isnan(s) for s in x.shape) or out.shape == x.shape or any(map(_isnan, x.shape))
            ), f"computed shape {out.shape} != declared {x.shape} (declared {shape})"
        else:
            out = np.asarray(x.compute(scheduler=scheduler))
        assert out.dtype == x.dtype, f"computed dtype {out.dtype} != declared {x.dtype}"
        return out
    return np.asarray(x)
