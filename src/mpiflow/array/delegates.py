"""Array reductions and scans, handed over to the reductions and cumulative modules.

Each method imports its module when called and passes its arguments on by
keyword, with NumPy's/Dask's signature, so ``x.sum(axis=0)`` is
``mpiflow.array.reductions.sum(x, axis=0)``. A function that is missing
raises ``NotImplementedError`` naming it.

Examples
--------
>>> import numpy as np, mpiflow.array as da
>>> x = da.from_array(np.arange(6).reshape(2, 3), chunks=2)
>>> x.T.sum(axis=1).compute(scheduler='sync')
array([3, 5, 7])
"""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Callable
from typing import Any

__all__ = ["DelegatedMethods", "delegate"]


def _call(module: str, func: str, *args: Any, **kwargs: Any) -> Any:
    """Call ``mpiflow.array.<module>.<func>``; a clear error if it is not there."""
    mod = importlib.import_module(f"mpiflow.array.{module}")
    f = getattr(mod, func, None)
    if f is None:
        raise NotImplementedError(
            f"{func} is not available yet: mpiflow.array.{module} does not define {func}()"
        )
    return f(*args, **kwargs)


def delegate(module: str) -> Callable[[Callable], Callable]:
    """Make a method call ``mpiflow.array.<module>.<its name>`` with its arguments.

    The decorated function carries the signature and the docstring (what
    ``help(x.sum)`` shows); its body is never run. A call is bound to that
    signature (so a wrong call fails as NumPy's would), then passed on: the
    array and the parameters without a default by position, the others by
    keyword, defaults included.

    Examples
    --------
    >>> import numpy as np, mpiflow.array as da
    >>> class Negate:
    ...     @delegate("ufunc")
    ...     def negative(self) -> da.Array:
    ...         'Minus the array.'
    >>> Negate.negative.__doc__
    'Minus the array.'
    >>> Negate.negative(da.from_array(np.arange(3), chunks=2)).compute(scheduler='sync')
    array([ 0, -1, -2])
    """

    def make(stub: Callable) -> Callable:
        sig = inspect.signature(stub)
        params = list(sig.parameters.values())[1:]
        name = stub.__name__

        @functools.wraps(stub)
        def method(self: Any, *args: Any, **kwargs: Any) -> Any:
            bound = sig.bind(self, *args, **kwargs)
            bound.apply_defaults()
            given = bound.arguments
            pos = [given[p.name] for p in params if p.default is p.empty]
            kw = {p.name: given[p.name] for p in params if p.default is not p.empty}
            return _call(module, name, self, *pos, **kw)

        return method

    return make


class DelegatedMethods:
    """Reduction and scan methods of ``Array`` (a mixin).

    Examples
    --------
    >>> import numpy as np, mpiflow.array as da
    >>> float(da.from_array(np.arange(4.0), chunks=2).mean())
    1.5
    """

    __slots__ = ()

    # -- delegated to the other modules --------------------------------------------------
    @delegate("reductions")
    def sum(
        self,
        axis: Any = None,
        dtype: Any = None,
        keepdims: bool = False,
        split_every: Any = None,
        out: Any = None,
    ) -> Any:
        """Sum (see :func:`mpiflow.array.reductions.sum`).

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> x = da.from_array(np.arange(6).reshape(2, 3), chunks=2)
        >>> x.sum(axis=0).compute(scheduler='sync')
        array([3, 5, 7])
        """

    @delegate("reductions")
    def prod(
        self,
        axis: Any = None,
        dtype: Any = None,
        keepdims: bool = False,
        split_every: Any = None,
        out: Any = None,
    ) -> Any:
        """Product (see :func:`mpiflow.array.reductions.prod`).

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> int(da.from_array(np.arange(1, 5), chunks=2).prod())
        24
        """

    @delegate("reductions")
    def mean(
        self,
        axis: Any = None,
        dtype: Any = None,
        keepdims: bool = False,
        split_every: Any = None,
        out: Any = None,
    ) -> Any:
        """Mean (see :func:`mpiflow.array.reductions.mean`).

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> float(da.from_array(np.arange(4), chunks=2).mean())
        1.5
        """

    @delegate("reductions")
    def std(
        self,
        axis: Any = None,
        dtype: Any = None,
        keepdims: bool = False,
        ddof: int = 0,
        split_every: Any = None,
        out: Any = None,
    ) -> Any:
        """Standard deviation (see :func:`mpiflow.array.reductions.std`).

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> float(da.from_array(np.array([1.0, 3.0]), chunks=1).std())
        1.0
        """

    @delegate("reductions")
    def var(
        self,
        axis: Any = None,
        dtype: Any = None,
        keepdims: bool = False,
        ddof: int = 0,
        split_every: Any = None,
        out: Any = None,
    ) -> Any:
        """Variance (see :func:`mpiflow.array.reductions.var`).

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> float(da.from_array(np.array([1.0, 3.0]), chunks=1).var(ddof=1))
        2.0
        """

    @delegate("reductions")
    def moment(
        self,
        order: Any,
        axis: Any = None,
        dtype: Any = None,
        keepdims: bool = False,
        ddof: int = 0,
        split_every: Any = None,
        out: Any = None,
    ) -> Any:
        """Central moment of order ``order`` (see :func:`mpiflow.array.reductions.moment`).

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> float(da.from_array(np.array([1.0, 3.0]), chunks=1).moment(2))
        1.0
        """

    @delegate("reductions")
    def min(
        self, axis: Any = None, keepdims: bool = False, split_every: Any = None, out: Any = None
    ) -> Any:
        """Minimum (see :func:`mpiflow.array.reductions.min`).

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> int(da.from_array(np.array([3, 1, 2]), chunks=2).min())
        1
        """

    @delegate("reductions")
    def max(
        self, axis: Any = None, keepdims: bool = False, split_every: Any = None, out: Any = None
    ) -> Any:
        """Maximum (see :func:`mpiflow.array.reductions.max`).

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> int(da.from_array(np.array([3, 1, 2]), chunks=2).max())
        3
        """

    @delegate("reductions")
    def any(
        self, axis: Any = None, keepdims: bool = False, split_every: Any = None, out: Any = None
    ) -> Any:
        """Whether any element is true (see :func:`mpiflow.array.reductions.any`).

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> bool(da.from_array(np.array([0, 0, 1]), chunks=2).any())
        True
        """

    @delegate("reductions")
    def all(
        self, axis: Any = None, keepdims: bool = False, split_every: Any = None, out: Any = None
    ) -> Any:
        """Whether all elements are true (see :func:`mpiflow.array.reductions.all`).

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> bool(da.from_array(np.array([0, 0, 1]), chunks=2).all())
        False
        """

    @delegate("reductions")
    def argmin(
        self, axis: Any = None, *, keepdims: bool = False, split_every: Any = None, out: Any = None
    ) -> Any:
        """Index of the minimum (see :func:`mpiflow.array.reductions.argmin`).

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> int(da.from_array(np.array([3, 1, 2]), chunks=2).argmin())
        1
        """

    @delegate("reductions")
    def argmax(
        self, axis: Any = None, *, keepdims: bool = False, split_every: Any = None, out: Any = None
    ) -> Any:
        """Index of the maximum (see :func:`mpiflow.array.reductions.argmax`).

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> int(da.from_array(np.array([3, 1, 2]), chunks=2).argmax())
        0
        """

    @delegate("reductions")
    def topk(self, k: Any, axis: Any = -1, split_every: Any = None) -> Any:
        """The ``k`` largest values, largest first (see :func:`mpiflow.array.reductions.topk`).

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> da.from_array(np.array([5, 1, 4, 2]), chunks=2).topk(2).compute(scheduler='sync')
        array([5, 4])
        """

    @delegate("reductions")
    def argtopk(self, k: Any, axis: Any = -1, split_every: Any = None) -> Any:
        """Indices of the ``k`` largest values (see :func:`mpiflow.array.reductions.argtopk`).

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> da.from_array(np.array([5, 1, 4, 2]), chunks=2).argtopk(2).compute(scheduler='sync')
        array([0, 2])
        """

    @delegate("reductions")
    def trace(self, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype: Any = None) -> Any:
        """Sum along a diagonal (see :func:`mpiflow.array.reductions.trace`).

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> int(da.from_array(np.eye(3), chunks=2).trace())
        3
        """

    @delegate("cumulative")
    def cumsum(
        self, axis: Any = None, dtype: Any = None, out: Any = None, *, method: str = "sequential"
    ) -> Any:
        """Cumulative sum (see :func:`mpiflow.array.cumulative.cumsum`).

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> da.from_array(np.arange(4), chunks=2).cumsum().compute(scheduler='sync')
        array([0, 1, 3, 6])
        """

    @delegate("cumulative")
    def cumprod(
        self, axis: Any = None, dtype: Any = None, out: Any = None, *, method: str = "sequential"
    ) -> Any:
        """Cumulative product (see :func:`mpiflow.array.cumulative.cumprod`).

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> da.from_array(np.arange(1, 5), chunks=2).cumprod().compute(scheduler='sync')
        array([ 1,  2,  6, 24])
        """
