"""NumPy ufuncs on mpiflow arrays: ``da.sin(x)``, ``np.sin(x)``, ``np.add.outer(x, y)``.

Every NumPy ufunc has a lazy counterpart here under the same name
(``da.exp``, ``da.isnan``...). Called on mpiflow arrays it returns an
:class:`~mpiflow.array.core.Array`; called on NumPy data only it calls NumPy
directly. ``np.<ufunc>(x)`` on an mpiflow array is routed here through
``Array.__array_ufunc__``, and other NumPy functions (``np.sum(x)``,
``np.linalg.norm(x)``) through ``Array.__array_function__``
(:func:`array_function`).

Examples
--------
>>> import numpy as np
>>> import mpiflow.array as da
>>> x = da.from_array(np.array([0.0, 1.0]), chunks=1)
>>> da.exp(x).compute(scheduler='sync')
array([1.        , 2.71828183])
>>> np.sin(x)  # doctest: +NORMALIZE_WHITESPACE
mpiflow.array<sin, shape=(2,), dtype=float64, chunksize=(1,), npartitions=2,
    nbytes=16 B, chunktype=numpy.ndarray>
"""

from __future__ import annotations

import importlib
import operator
from functools import partial
from typing import Any

import numpy as np

# gufuncs with their own home (linalg) and names that are not plain element-wise
_SKIP = {"matmul", "vecdot", "matvec", "vecmat"}
_UFUNC_NAMES = sorted(n for n in dir(np) if isinstance(getattr(np, n), np.ufunc) and n not in _SKIP)

# only the ufuncs go to the mpiflow.array namespace; ufunc, array_ufunc and
# array_function are imported from this module
__all__ = list(_UFUNC_NAMES)

# ufunc.reduce / accumulate that have a tree-reduction or scan counterpart
_REDUCE = {
    "add": ("reductions", "sum"),
    "multiply": ("reductions", "prod"),
    "minimum": ("reductions", "min"),
    "maximum": ("reductions", "max"),
    "fmin": ("reductions", "nanmin"),
    "fmax": ("reductions", "nanmax"),
    "logical_and": ("reductions", "all"),
    "logical_or": ("reductions", "any"),
}
_ACCUMULATE = {"add": ("cumulative", "cumsum"), "multiply": ("cumulative", "cumprod")}
_PASS_KWARGS = {"dtype", "casting", "order", "subok", "signature"}


def _is_array(x: Any) -> bool:
    from mpiflow.array.core import Array

    return isinstance(x, Array)


def _accepted(x: Any) -> bool:
    return _is_array(x) or isinstance(
        x, (np.ndarray, np.generic, int, float, complex, bool, list, tuple, type(None))
    )


def _take(block: tuple, i: int) -> Any:
    return block[i]


def _multi_output(uf: np.ufunc, inputs: tuple, kwargs: dict) -> tuple:
    """Ufuncs with several outputs (modf, frexp, divmod): one pass, then one array per output."""
    from mpiflow.array.blockwise import elemwise

    samples = [
        np.ones((1,) * a.ndim, a.dtype) if hasattr(a, "ndim") and hasattr(a, "dtype") else a
        for a in inputs
    ]
    with np.errstate(all="ignore"):
        dtypes = [r.dtype for r in uf(*samples, **kwargs)]
    both = elemwise(partial(uf, **kwargs) if kwargs else uf, *inputs, dtype=np.dtype(object))
    return tuple(
        both.map_blocks(_take, i=i, dtype=dt, token=f"{uf.__name__}-{i}")
        for i, dt in enumerate(dtypes)
    )


def _assign_out(out: Any, result: Any) -> Any:
    """Make the mpiflow Array ``out`` hold ``result`` (Dask's ``out=`` semantics)."""
    if isinstance(out, tuple):
        if len(out) != 1:
            raise NotImplementedError("out= with several arrays is not supported")
        out = out[0]
    if out is None:
        return result
    if not _is_array(out):
        raise NotImplementedError(
            f"out= a {type(out).__name__} is not supported with mpiflow arrays: mpiflow "
            "arrays are lazy; write y = np.f(x) and compute y, or pass an mpiflow Array as out="
        )
    if out.shape != result.shape:
        raise ValueError(
            f"out= has shape {out.shape} but the result has shape {result.shape}; pass an "
            "output of the result's shape"
        )
    result = result.astype(out.dtype) if result.dtype != out.dtype else result
    out._graph, out._name, out._chunks, out._keys = (
        result._graph,
        result._name,
        result._chunks,
        None,
    )
    return out


def _call_module(module: str, func: str, *args: Any, **kwargs: Any) -> Any:
    return getattr(importlib.import_module(f"mpiflow.array.{module}"), func)(*args, **kwargs)


def array_ufunc(uf: np.ufunc, method: str, inputs: tuple, kwargs: dict) -> Any:
    """Apply NumPy ufunc ``uf`` (``method`` as in ``__array_ufunc__``) to mpiflow arrays.

    Parameters
    ----------
    uf : numpy.ufunc
        The ufunc.
    method : str
        ``'__call__'``, ``'outer'``, ``'reduce'`` or ``'accumulate'``
        (``'reduceat'`` and ``'at'`` raise ``NotImplementedError``).
    inputs : tuple
        The operands.
    kwargs : dict
        ``out=`` (an mpiflow Array or None), ``dtype=``, ``casting=``... and
        for reductions ``axis=``, ``keepdims=``.

    Examples
    --------
    >>> import numpy as np
    >>> from mpiflow.array.core import from_array
    >>> x = from_array(np.arange(3), chunks=2)
    >>> array_ufunc(np.add, 'outer', (x, x), {}).compute(scheduler='sync')[2]
    array([2, 3, 4])
    """
    if not all(_accepted(a) for a in inputs):
        return NotImplemented
    out = kwargs.pop("out", None)
    if out is not None and not (isinstance(out, tuple) and all(o is None for o in out)):
        return _assign_out(out, array_ufunc(uf, method, inputs, kwargs))
    name = uf.__name__
    if method == "__call__":
        where = kwargs.pop("where", True)
        if where is not True:
            raise NotImplementedError(
                f"numpy.{name}(..., where=...) on mpiflow arrays; use da.where(cond, "
                f"np.{name}(x), other) instead"
            )
        bad = set(kwargs) - _PASS_KWARGS
        if bad:
            raise TypeError(f"numpy.{name}: unexpected keyword(s) {sorted(bad)}")
        if uf.signature is not None:
            if name == "matmul":
                return _call_module("linalg", "matmul", *inputs, **kwargs)
            raise NotImplementedError(
                f"numpy.{name} (a generalized ufunc, signature {uf.signature}) on mpiflow "
                "arrays; use map_blocks or blockwise with matching chunks"
            )
        if uf.nout > 1:
            return _multi_output(uf, inputs, kwargs)
        from mpiflow.array.blockwise import elemwise

        # keywords (dtype=, casting=...) go to the ufunc itself, not to elemwise
        return elemwise(partial(uf, **kwargs) if kwargs else uf, *inputs)
    if method == "outer":
        return _outer(uf, inputs, kwargs)
    if method == "reduce" and name in _REDUCE:
        (x,) = inputs
        kwargs.setdefault("axis", 0)
        extra = set(kwargs) - {"axis", "dtype", "keepdims"}
        if extra:
            raise NotImplementedError(f"numpy.{name}.reduce with {sorted(extra)}")
        if kwargs.get("dtype") is None or _REDUCE[name][1] in (
            "min",
            "max",
            "all",
            "any",
            "nanmin",
            "nanmax",
        ):
            kwargs.pop("dtype", None)
        return _call_module(*_REDUCE[name], x, **kwargs)
    if method == "accumulate" and name in _ACCUMULATE:
        (x,) = inputs
        kwargs.setdefault("axis", 0)
        return _call_module(*_ACCUMULATE[name], x, **kwargs)
    raise NotImplementedError(
        f"numpy.{name}.{method} is not implemented for mpiflow arrays"
        + (
            f" (supported: .reduce for {', '.join(sorted(_REDUCE))}; .accumulate for "
            "add and multiply; .outer for every binary ufunc)"
            if method in ("reduce", "accumulate", "reduceat", "at")
            else ""
        )
    )


def _outer(uf: np.ufunc, inputs: tuple, kwargs: dict) -> Any:
    from mpiflow.array.blockwise import blockwise
    from mpiflow.array.core import asarray

    if uf.nin != 2 or uf.nout != 1:
        raise NotImplementedError(f"numpy.{uf.__name__}.outer (needs a binary ufunc)")
    a, b = (asarray(i) for i in inputs)
    ia = tuple(range(a.ndim))
    ib = tuple(range(a.ndim, a.ndim + b.ndim))
    return blockwise(
        partial(_outer_block, uf, **kwargs), ia + ib, a, ia, b, ib, token=f"{uf.__name__}-outer"
    )


def _outer_block(uf: np.ufunc, a: np.ndarray, b: np.ndarray, **kwargs: Any) -> np.ndarray:
    return uf.outer(a, b, **kwargs)


class ufunc:
    """A NumPy ufunc that works lazily on mpiflow arrays (``da.sin``, ``da.add``...).

    Calls on NumPy data only go straight to NumPy. Attributes (``nin``,
    ``nout``, ``identity``...) are those of the NumPy ufunc.

    Parameters
    ----------
    uf : numpy.ufunc
        The wrapped ufunc.

    Examples
    --------
    >>> import numpy as np
    >>> from mpiflow.array.core import from_array
    >>> sqrt = ufunc(np.sqrt)
    >>> sqrt(from_array(np.array([4.0, 9.0]), chunks=1)).compute(scheduler='sync')
    array([2., 3.])
    >>> sqrt(np.array([16.0]))
    array([4.])
    >>> ufunc(np.add).outer(from_array(np.arange(2), chunks=1), np.arange(3)).shape
    (2, 3)
    """

    def __init__(self, uf: np.ufunc) -> None:
        if not isinstance(uf, np.ufunc):
            raise TypeError(f"ufunc() wraps a numpy.ufunc, got {type(uf).__name__}")
        self._ufunc = uf
        self.__name__ = uf.__name__
        self.__doc__ = (
            f"Lazy ``numpy.{uf.__name__}`` for mpiflow arrays (NumPy data goes to NumPy).\n\n"
            + (uf.__doc__ or "").split("\n\n")[0]
            + _example(uf)
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if any(_is_array(a) for a in args) or _is_array(kwargs.get("out")):
            return array_ufunc(self._ufunc, "__call__", args, kwargs)
        return self._ufunc(*args, **kwargs)

    def outer(self, a: Any, b: Any, **kwargs: Any) -> Any:
        """Apply to every pair of elements of ``a`` and ``b`` (shape ``a.shape + b.shape``).

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> da.multiply.outer(da.from_array(np.arange(3), chunks=2), np.arange(2)).shape
        (3, 2)
        """
        if _is_array(a) or _is_array(b):
            return array_ufunc(self._ufunc, "outer", (a, b), kwargs)
        return self._ufunc.outer(a, b, **kwargs)

    def reduce(self, a: Any, axis: Any = 0, **kwargs: Any) -> Any:
        """Reduce along ``axis`` (add, multiply, minimum, maximum, logical_and/or...).

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> int(da.add.reduce(da.from_array(np.arange(4), chunks=2)))
        6
        """
        if _is_array(a):
            return array_ufunc(self._ufunc, "reduce", (a,), dict(kwargs, axis=axis))
        return self._ufunc.reduce(a, axis=axis, **kwargs)

    def accumulate(self, a: Any, axis: int = 0, **kwargs: Any) -> Any:
        """Running reduction along ``axis`` (add and multiply).

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> da.add.accumulate(da.from_array(np.arange(4), chunks=2)).compute(scheduler='sync')
        array([0, 1, 3, 6])
        """
        if _is_array(a):
            return array_ufunc(self._ufunc, "accumulate", (a,), dict(kwargs, axis=axis))
        return self._ufunc.accumulate(a, axis=axis, **kwargs)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._ufunc, name)

    def __repr__(self) -> str:
        return f"<mpiflow.array ufunc {self.__name__!r}>"

    def __reduce__(self):
        return (_named_ufunc, (self.__name__,))


# example inputs by NumPy type character; floats out of some functions' domain get a second try
_INPUTS = {
    "l": [[1, 2, 3]],
    "d": [[0.25, 0.5, 0.75], [1.25, 1.5, 1.75]],
    "M": [["2020-01-01", "2024-02-29"]],
}
_DTYPES = {"l": None, "d": None, "M": "datetime64[D]"}


def _source(values: list, dtype: str | None) -> str:
    return f"np.array({values!r}{f', dtype={dtype!r}' if dtype else ''})"


def _example_inputs(uf: np.ufunc) -> list | None:
    """Source of NumPy inputs on which ``uf`` runs without a warning (None if none found)."""
    sigs = [t.split("->")[0] for t in uf.types]
    sigs = [t for t in sigs if all(c in _INPUTS for c in t)]
    sigs.sort(key=lambda t: (t != "l" * uf.nin, t != "d" * uf.nin))
    for sig in sigs[:1]:
        for k in range(2):
            values = [(_INPUTS[c][min(k, len(_INPUTS[c]) - 1)], _DTYPES[c]) for c in sig]
            try:
                with np.errstate(all="raise"):
                    uf(*[np.array(v, dtype=dt) for v, dt in values])
            except (FloatingPointError, TypeError, ValueError):
                continue
            return [_source(v, dt) for v, dt in values]
    return None


def _example(uf: np.ufunc) -> str:
    """An Examples section checking ``da.<name>`` against NumPy on small inputs."""
    srcs = _example_inputs(uf)
    if srcs is None:
        return ""
    name = uf.__name__
    check = "np.array_equal(r.compute(scheduler='sync'), e, equal_nan=True)"
    if uf.nout == 1:
        test = f">>> bool({check.replace('r.', 'lazy.').replace(', e,', f', np.{name}(*args),')})"
    else:
        test = f">>> all({check} for r, e in zip(lazy, np.{name}(*args)))"
    return (
        "\n\nExamples\n--------\n>>> import numpy as np\n>>> import mpiflow.array as da\n"
        f">>> args = [{', '.join(srcs)}]\n"
        f">>> lazy = da.{name}(*[da.from_array(a, chunks=1) for a in args])\n"
        f"{test}\nTrue\n"
    )


def _named_ufunc(name: str) -> ufunc:
    return ufunc(getattr(np, name))


__test__ = {}  # doctest runs the generated examples of the ufuncs
for _n in _UFUNC_NAMES:
    globals()[_n] = ufunc(getattr(np, _n))
    __test__[_n] = globals()[_n].__doc__
del _n


def array_function(func: Any, types: tuple, args: tuple, kwargs: dict) -> Any:
    """Run NumPy function ``func`` through the mpiflow.array function of the same name.

    ``numpy.linalg.f`` maps to ``mpiflow.array.linalg.f``; everything else to
    ``mpiflow.array.f``. A function mpiflow does not have raises
    ``NotImplementedError`` naming it (mpiflow never computes silently).

    Examples
    --------
    >>> import numpy as np
    >>> from mpiflow.array.core import from_array
    >>> np.where(from_array(np.arange(3), chunks=2) > 0, 1, -1).compute(scheduler='sync')
    array([-1,  1,  1])
    """
    from mpiflow.array.core import Array

    for t in types:
        if not (issubclass(t, Array) or issubclass(t, np.ndarray)):
            return NotImplemented
    module = getattr(func, "__module__", "numpy") or "numpy"
    name = func.__name__
    import mpiflow.array as da

    if module.startswith("numpy.linalg"):
        target = getattr(getattr(da, "linalg", None), name, None)
        shown = f"numpy.linalg.{name}"
    elif module in ("numpy", "numpy._core.multiarray", "numpy._core.numeric") or module.startswith(
        ("numpy._core", "numpy.lib", "numpy.core")
    ):
        target = getattr(da, name, None)
        shown = f"numpy.{name}"
    else:
        target = None
        shown = f"{module}.{name}"
    if (
        target is None
        or not callable(target)
        or target is func
        or isinstance(target, type(operator))
    ):
        raise NotImplementedError(
            f"{shown} is not implemented for mpiflow arrays; compute first "
            f"({shown}(x.compute())) or use map_blocks"
        )
    return target(*args, **kwargs)
