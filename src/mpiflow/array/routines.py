"""Element-wise routines beyond the ufuncs: where, clip, astype, round, isclose...

All are lazy and broadcast like NumPy; each output block is made from the
matching input blocks only.

Examples
--------
>>> import numpy as np
>>> import mpiflow.array as da
>>> x = da.from_array(np.array([-2.5, 0.5, 3.7]), chunks=2)
>>> da.where(x > 0, x, 0).compute(scheduler='sync')
array([0. , 0.5, 3.7])
>>> da.clip(x, -1, 1).compute(scheduler='sync')
array([-1. ,  0.5,  1. ])
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

__all__ = [
    "where",
    "clip",
    "astype",
    "round",
    "around",
    "real",
    "imag",
    "angle",
    "iscomplex",
    "isreal",
    "isneginf",
    "isposinf",
    "nan_to_num",
    "isclose",
    "allclose",
    "fix",
    "sinc",
    "i0",
    "choose",
    "select",
    "digitize",
    "result_type",
    "shape",
    "ndim",
    "isin",
    "piecewise",
    "broadcast_arrays",
]


def _elemwise(op: Any, *args: Any, **kwargs: Any) -> Any:
    from mpiflow.array.blockwise import elemwise

    return elemwise(op, *args, **kwargs)


def where(condition: Any, x: Any = None, y: Any = None) -> Any:
    """Elements of ``x`` where ``condition`` is true, else of ``y`` (broadcast together).

    With only ``condition``, the same as ``nonzero(condition)``.

    Parameters
    ----------
    condition : array-like of bool
    x, y : array-like or scalar

    Examples
    --------
    >>> import numpy as np
    >>> from mpiflow.array.core import from_array
    >>> c = from_array(np.array([True, False, True]), chunks=2)
    >>> where(c, 1, np.array([7, 8, 9])).compute(scheduler='sync')
    array([1, 8, 1])
    """
    if x is None and y is None:
        from mpiflow.array.core import asarray

        return asarray(condition).nonzero()
    if x is None or y is None:
        raise ValueError("where() takes either only condition, or condition, x and y")
    return _elemwise(np.where, condition, x, y)


def clip(
    a: Any,
    a_min: Any = None,
    a_max: Any = None,
    out: Any = None,
    *,
    min: Any = None,
    max: Any = None,
    **kwargs: Any,
) -> Any:
    """Limit the values of ``a`` to ``[a_min, a_max]`` (either may be None or an array).

    Examples
    --------
    >>> import numpy as np
    >>> from mpiflow.array.core import from_array
    >>> clip(from_array(np.arange(5), chunks=2), 1, 3).compute(scheduler='sync')
    array([1, 1, 2, 3, 3])
    """
    lo = a_min if a_min is not None else min
    hi = a_max if a_max is not None else max
    if out is not None:
        raise NotImplementedError("clip(..., out=) on mpiflow arrays; use y = clip(x, ...)")
    if lo is None and hi is None:
        raise ValueError("clip needs a lower bound, an upper bound or both (a_min=, a_max=)")
    return _elemwise(np.clip, a, lo, hi, **kwargs)


def _astype(block: np.ndarray, dtype: np.dtype, casting: str) -> np.ndarray:
    return block.astype(dtype, casting=casting, copy=False)


def astype(x: Any, dtype: Any, casting: str = "unsafe", copy: bool = True, **kwargs: Any) -> Any:
    """Cast ``x`` to ``dtype`` block by block.

    Parameters
    ----------
    x : Array
    dtype : dtype
    casting : {'no', 'equiv', 'safe', 'same_kind', 'unsafe'}
        As in NumPy; a cast the rule forbids raises ``TypeError`` at once.
    copy : bool
        Unused (blocks are never shared with the input).

    Examples
    --------
    >>> import numpy as np
    >>> from mpiflow.array.core import from_array
    >>> astype(from_array(np.array([1.7, 2.2]), chunks=1), int).compute(scheduler='sync')
    array([1, 2])
    >>> astype(from_array(np.array([1.5]), chunks=1), 'i4', casting='safe')
    Traceback (most recent call last):
      ...
    TypeError: cannot cast float64 to int32 under casting='safe'; use casting='unsafe' (the default) or round first
    """  # noqa: E501
    from mpiflow.array.blockwise import blockwise
    from mpiflow.array.core import asarray

    if kwargs:
        raise TypeError(f"astype() got unexpected keyword(s) {sorted(kwargs)}")
    x = asarray(x)
    try:
        dtype = np.dtype(dtype)
    except TypeError as e:
        raise TypeError(f"astype: {dtype!r} is not a NumPy dtype ({e})") from None
    if dtype == x.dtype:
        return x
    if not np.can_cast(x.dtype, dtype, casting=casting):
        raise TypeError(
            f"cannot cast {x.dtype} to {dtype} under casting={casting!r}; use "
            "casting='unsafe' (the default) or round first"
        )
    ind = tuple(range(x.ndim))
    return blockwise(
        partial(_astype, dtype=dtype, casting=casting), ind, x, ind, dtype=dtype, token="astype"
    )


def round(a: Any, decimals: int = 0, out: Any = None) -> Any:
    """Round to ``decimals`` decimal places (halves to even, as NumPy).

    Examples
    --------
    >>> import numpy as np
    >>> from mpiflow.array.core import from_array
    >>> round(from_array(np.array([1.25, 2.5]), chunks=1), 1).compute(scheduler='sync')
    array([1.2, 2.5])
    """
    if out is not None:
        raise NotImplementedError("round(..., out=) on mpiflow arrays; use y = round(x)")
    return _elemwise(np.round, a, decimals=decimals)


around = round


def real(x: Any) -> Any:
    """Real part.

    Examples
    --------
    >>> import numpy as np
    >>> from mpiflow.array.core import from_array
    >>> real(from_array(np.array([1 + 2j]), chunks=1)).compute(scheduler='sync')
    array([1.])
    """
    return _elemwise(np.real, x)


def imag(x: Any) -> Any:
    """Imaginary part.

    Examples
    --------
    >>> import numpy as np
    >>> from mpiflow.array.core import from_array
    >>> imag(from_array(np.array([1 + 2j]), chunks=1)).compute(scheduler='sync')
    array([2.])
    """
    return _elemwise(np.imag, x)


def angle(x: Any, deg: bool = False) -> Any:
    """Angle of complex values (radians, or degrees with ``deg=True``).

    Examples
    --------
    >>> import numpy as np
    >>> from mpiflow.array.core import from_array
    >>> angle(from_array(np.array([1j]), chunks=1), deg=True).compute(scheduler='sync')
    array([90.])
    """
    return _elemwise(np.angle, x, deg=deg)


def iscomplex(x: Any) -> Any:
    """True where the imaginary part is non-zero.

    Examples
    --------
    >>> import numpy as np
    >>> from mpiflow.array.core import from_array
    >>> iscomplex(from_array(np.array([1, 1j]), chunks=1)).compute(scheduler='sync')
    array([False,  True])
    """
    return _elemwise(np.iscomplex, x)


def isreal(x: Any) -> Any:
    """True where the imaginary part is zero.

    Examples
    --------
    >>> import numpy as np
    >>> from mpiflow.array.core import from_array
    >>> isreal(from_array(np.array([1, 1j]), chunks=1)).compute(scheduler='sync')
    array([ True, False])
    """
    return _elemwise(np.isreal, x)


def isneginf(x: Any) -> Any:
    """True at negative infinity.

    Examples
    --------
    >>> import numpy as np
    >>> from mpiflow.array.core import from_array
    >>> isneginf(from_array(np.array([-np.inf, 1.0]), chunks=1)).compute(scheduler='sync')
    array([ True, False])
    """
    return _elemwise(np.isneginf, x)


def isposinf(x: Any) -> Any:
    """True at positive infinity.

    Examples
    --------
    >>> import numpy as np
    >>> from mpiflow.array.core import from_array
    >>> isposinf(from_array(np.array([np.inf, 1.0]), chunks=1)).compute(scheduler='sync')
    array([ True, False])
    """
    return _elemwise(np.isposinf, x)


def nan_to_num(
    x: Any, copy: bool = True, nan: float = 0.0, posinf: Any = None, neginf: Any = None
) -> Any:
    """Replace NaN by ``nan`` and infinities by large finite numbers (or the values given).

    Examples
    --------
    >>> import numpy as np
    >>> from mpiflow.array.core import from_array
    >>> nan_to_num(from_array(np.array([np.nan, 1.0]), chunks=1)).compute(scheduler='sync')
    array([0., 1.])
    """
    return _elemwise(np.nan_to_num, x, nan=nan, posinf=posinf, neginf=neginf)


def isclose(a: Any, b: Any, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False) -> Any:
    """Element-wise ``|a - b| <= atol + rtol * |b|``.

    Examples
    --------
    >>> import numpy as np
    >>> from mpiflow.array.core import from_array
    >>> isclose(from_array(np.array([1.0, 2.0]), chunks=1), 1.0).compute(scheduler='sync')
    array([ True, False])
    """
    return _elemwise(np.isclose, a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)


def allclose(
    a: Any, b: Any, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False
) -> Any:
    """Whether all elements are close (a lazy 0-d boolean Array).

    Examples
    --------
    >>> import numpy as np
    >>> from mpiflow.array.core import from_array
    >>> bool(allclose(from_array(np.ones(3), chunks=2), 1.0))
    True
    """
    return isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan).all()


def fix(x: Any) -> Any:
    """Round towards zero.

    Examples
    --------
    >>> import numpy as np
    >>> from mpiflow.array.core import from_array
    >>> fix(from_array(np.array([-1.5, 1.5]), chunks=1)).compute(scheduler='sync')
    array([-1.,  1.])
    """
    return _elemwise(np.fix, x)


def sinc(x: Any) -> Any:
    """Normalized sinc, ``sin(pi x) / (pi x)``.

    Examples
    --------
    >>> import numpy as np
    >>> from mpiflow.array.core import from_array
    >>> sinc(from_array(np.array([0.0]), chunks=1)).compute(scheduler='sync')
    array([1.])
    """
    return _elemwise(np.sinc, x)


def i0(x: Any) -> Any:
    """Modified Bessel function of the first kind, order 0.

    Examples
    --------
    >>> import numpy as np
    >>> from mpiflow.array.core import from_array
    >>> i0(from_array(np.array([0.0]), chunks=1)).compute(scheduler='sync')
    array([1.])
    """
    return _elemwise(np.i0, x)


def _choose(a: np.ndarray, *choices: np.ndarray) -> np.ndarray:
    return np.choose(a, choices)


def choose(a: Any, choices: Any) -> Any:
    """Pick from ``choices[a[i]]`` element by element.

    Examples
    --------
    >>> import numpy as np
    >>> from mpiflow.array.core import from_array
    >>> choose(from_array(np.array([0, 1, 0]), chunks=2), [10, np.array([1, 2, 3])]).compute(
    ...     scheduler='sync')
    array([10,  2, 10])
    """
    return _elemwise(_choose, a, *choices)


def _select(n: int, default: Any, *arrays: np.ndarray) -> np.ndarray:
    return np.select(list(arrays[:n]), list(arrays[n:]), default)


def select(condlist: list, choicelist: list, default: Any = 0) -> Any:
    """Elements from the first choice whose condition holds, else ``default``.

    Examples
    --------
    >>> import numpy as np
    >>> from mpiflow.array.core import from_array
    >>> x = from_array(np.arange(4), chunks=2)
    >>> select([x < 1, x > 2], [x, x * 10], -1).compute(scheduler='sync')
    array([ 0, -1, -1, 30])
    """
    if len(condlist) != len(choicelist):
        raise ValueError("select: condlist and choicelist must have the same length")
    return _elemwise(partial(_select, len(condlist), default), *condlist, *choicelist)


def _digitize(block: np.ndarray, bins: np.ndarray, right: bool) -> np.ndarray:
    return np.digitize(block, bins, right=right)


def digitize(a: Any, bins: Any, right: bool = False) -> Any:
    """Index of the bin each value falls in (``bins`` is a NumPy array).

    Examples
    --------
    >>> import numpy as np
    >>> from mpiflow.array.core import from_array
    >>> digitize(from_array(np.array([0.5, 2.5]), chunks=1), np.array([1, 2])).compute(
    ...     scheduler='sync')
    array([0, 2])
    """
    bins = np.asarray(bins)
    if bins.ndim != 1:
        raise ValueError("digitize: bins must be a 1-d NumPy array")
    return _elemwise(partial(_digitize, bins=bins, right=right), a)


def result_type(*arrays_and_dtypes: Any) -> np.dtype:
    """The dtype NumPy's promotion rules give (arrays count by their dtype).

    Examples
    --------
    >>> import numpy as np
    >>> from mpiflow.array.core import from_array
    >>> result_type(from_array(np.ones(2, 'f4'), chunks=1), np.int64)
    dtype('float64')
    """
    return np.result_type(
        *[a.dtype if hasattr(a, "dtype") and hasattr(a, "chunks") else a for a in arrays_and_dtypes]
    )


def shape(a: Any) -> tuple:
    """The shape of ``a`` (no computing).

    Examples
    --------
    >>> import numpy as np
    >>> from mpiflow.array.core import from_array
    >>> shape(from_array(np.ones((2, 3)), chunks=1))
    (2, 3)
    """
    return tuple(a.shape) if hasattr(a, "shape") else np.shape(a)


def ndim(a: Any) -> int:
    """The number of axes of ``a`` (no computing).

    Examples
    --------
    >>> import numpy as np
    >>> from mpiflow.array.core import from_array
    >>> ndim(from_array(np.ones((2, 3)), chunks=1))
    2
    """
    return a.ndim if hasattr(a, "ndim") else np.ndim(a)


def _isin(block: np.ndarray, test: np.ndarray, assume_unique: bool, invert: bool) -> np.ndarray:
    return np.isin(block, test, assume_unique=assume_unique, invert=invert)


def isin(
    element: Any, test_elements: Any, assume_unique: bool = False, invert: bool = False
) -> Any:
    """Whether each element of ``element`` is in ``test_elements`` (an array or array-like).

    An mpiflow ``test_elements`` is gathered whole next to every block of ``element``.

    Examples
    --------
    >>> import numpy as np
    >>> from mpiflow.array.core import from_array
    >>> x = from_array(np.arange(5), chunks=2)
    >>> isin(x, [1, 3]).compute(scheduler='sync')
    array([False,  True, False,  True, False])
    >>> isin(x, from_array(np.array([4, 0]), chunks=1), invert=True).compute(scheduler='sync')
    array([False,  True,  True,  True, False])
    """
    from mpiflow.array.blockwise import blockwise
    from mpiflow.array.core import Array, asarray

    element = asarray(element)
    ind = tuple(range(element.ndim))
    if isinstance(test_elements, Array):
        flat = test_elements.ravel()
        return blockwise(
            partial(_isin, assume_unique=assume_unique, invert=invert),
            ind,
            element,
            ind,
            flat,
            ("test",),
            concatenate=True,
            dtype=bool,
            token="isin",
        )
    test = np.asarray(test_elements)
    return blockwise(
        partial(_isin, test=test, assume_unique=assume_unique, invert=invert),
        ind,
        element,
        ind,
        dtype=bool,
        token="isin",
    )


def _piecewise(
    x: np.ndarray, *conds: np.ndarray, funclist: list, args: tuple, kw: dict
) -> np.ndarray:
    return np.piecewise(x, list(conds), funclist, *args, **kw)


def piecewise(x: Any, condlist: list, funclist: list, *args: Any, **kw: Any) -> Any:
    """NumPy's ``piecewise`` block by block (conditions broadcast against ``x``).

    Examples
    --------
    >>> import numpy as np
    >>> from mpiflow.array.core import from_array
    >>> x = from_array(np.array([-2.0, -1.0, 1.0, 2.0]), chunks=2)
    >>> piecewise(x, [x < 0, x >= 0], [lambda v: -v, lambda v: v * 10]).compute(
    ...     scheduler='sync')
    array([ 2.,  1., 10., 20.])
    """
    from mpiflow.array.blockwise import elemwise
    from mpiflow.array.core import asarray

    x = asarray(x)
    if not isinstance(condlist, (list, tuple)):
        condlist = [condlist]
    f = partial(_piecewise, funclist=list(funclist), args=args, kw=kw)
    return elemwise(f, x, *condlist, dtype=x.dtype)


def broadcast_arrays(*args: Any, subok: bool = False) -> list:
    """Broadcast arrays against each other, with common chunks (no data copied).

    Examples
    --------
    >>> import numpy as np
    >>> from mpiflow.array.core import from_array
    >>> a, b = broadcast_arrays(from_array(np.arange(3), chunks=2), np.ones((2, 1)))
    >>> a.shape, b.shape, a.chunks == b.chunks
    ((2, 3), (2, 3), True)
    """
    from mpiflow.array.blockwise import _broadcast_shapes, broadcast_to, unify_chunks
    from mpiflow.array.core import asarray

    arrays = [asarray(a) for a in args]
    shape = _broadcast_shapes([a.shape for a in arrays], "broadcast_arrays")
    nd = len(shape)
    pairs = []
    for a in arrays:
        pairs += [a, tuple(range(nd - a.ndim, nd))]
    chunkss, arrays = unify_chunks(*pairs)
    out = []
    for a in arrays:
        chunks = tuple(
            chunkss[d] if d in chunkss and sum(chunkss[d]) == n else (n,)
            for d, n in enumerate(shape)
        )
        out.append(broadcast_to(a, shape, chunks=chunks))
    return out
