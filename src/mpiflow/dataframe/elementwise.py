"""Operators and elementwise methods of frames (mixin :class:`ElementwiseMethods`).

Every method here works partition by partition: one lazy layer, frames
aligned on their divisions first (see :func:`mpiflow.dataframe.core.partitionwise`),
and the result's meta worked out by running pandas on a small fake partition.

Examples
--------
>>> import pandas as pd, mpiflow.dataframe as dd
>>> df = dd.from_pandas(pd.DataFrame({'a': [1, 2, 3], 'b': [1., None, 3.]}), npartitions=2)
>>> (df.a * 10 + df.b).compute().tolist()
[11.0, nan, 33.0]
>>> df.b.fillna(0).where(df.a > 1, -1).compute().tolist()
[-1.0, 0.0, 3.0]
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from mpiflow.dataframe.meta import _index_meta, emulate, is_frame_like, make_meta, no_default

__all__ = ["ElementwiseMethods", "call_method"]


def call_method(obj: Any, method: str, *args: Any, **kwargs: Any) -> Any:
    """``getattr(obj, method)(*args, **kwargs)``: a picklable call of a pandas method.

    Examples
    --------
    >>> import pandas as pd
    >>> call_method(pd.Series([1, -2]), 'abs').tolist()
    [1, 2]
    """
    return getattr(obj, method)(*args, **kwargs)


def _take_mask(obj: Any, mask: pd.Index) -> Any:
    return obj[np.asarray(mask, dtype=bool)]


class _IndexResult:
    """``pd.Index(op(*args))``: keeps Index comparisons an Index (picklable)."""

    def __init__(self, op: Callable) -> None:
        self.op = op
        self.__name__ = getattr(op, "__name__", "op")

    def __call__(self, *args: Any) -> pd.Index:
        return pd.Index(self.op(*args))


def _is_lazy(x: Any) -> bool:
    return hasattr(type(x), "__mpiflow_graph__")


def _check_other(other: Any, op: str) -> None:
    if isinstance(other, (pd.DataFrame, pd.Series)) and len(other) > 1:
        raise TypeError(
            f"cannot apply {op} between a lazy frame and an in-memory pandas "
            f"{type(other).__name__}: convert it with dd.from_pandas(...) first so that "
            "partitions can be aligned"
        )


class ElementwiseMethods:
    """Operators and elementwise methods shared by DataFrame, Series and Index.

    Examples
    --------
    >>> import pandas as pd, mpiflow.dataframe as dd
    >>> s = dd.from_pandas(pd.Series([1, 2, 3]), npartitions=2)
    >>> ((s * 2 > 2) & s.isin([2, 3])).compute().tolist()
    [False, True, True]
    """

    __array_priority__ = 15
    __hash__ = object.__hash__

    # -- helpers -------------------------------------------------------------------------
    def _pw(self, func: Callable, *args: Any, meta: Any = no_default, **kwargs: Any) -> Any:
        from mpiflow.dataframe.core import partitionwise

        if meta is no_default:
            meta = emulate(func, self, *args, func_kwargs=kwargs)
        out = partitionwise(func, self, *args, meta=meta, func_kwargs=kwargs)
        if isinstance(self._meta, pd.Index) and isinstance(out._meta, pd.Index):
            out = out.clear_divisions()
        return out

    def _method(
        self,
        method: str,
        *args: Any,
        meta: Any = no_default,
        label: str | None = None,
        func_kwargs: dict | None = None,
        **kw: Any,
    ) -> Any:
        """Call pandas ``method`` on every partition (keywords in ``kw`` or ``func_kwargs``)."""
        from mpiflow.dataframe.core import partitionwise

        if func_kwargs:
            kw = {**func_kwargs, **kw}
        if meta is no_default:
            meta = emulate(call_method, self, method, *args, func_kwargs=kw)
        out = partitionwise(
            call_method, self, method, *args, meta=meta, label=label or method, func_kwargs=kw
        )
        if isinstance(self._meta, pd.Index) and isinstance(out._meta, pd.Index):
            out = out.clear_divisions()  # the values (= the divisions) may have changed
        return out

    def _binary(self, other: Any, op: Callable, reflected: bool = False) -> Any:
        _check_other(other, getattr(op, "__name__", "an operator"))
        if _is_lazy(other) and not hasattr(other, "_meta"):
            from mpiflow.delayed import Delayed

            if not isinstance(other, Delayed):
                return NotImplemented
        if isinstance(other, (list, tuple)) and not isinstance(self._meta, pd.DataFrame):
            other = np.asarray(other)
        args = (other, self) if reflected else (self, other)
        from mpiflow.dataframe.core import partitionwise

        meta = emulate(op, *args)
        if isinstance(self._meta, pd.Index) and not is_frame_like(meta):
            op = _IndexResult(op)  # pandas gives a NumPy array for Index comparisons
            meta = emulate(op, *args)
        out = partitionwise(op, *args, meta=meta)
        if isinstance(self._meta, pd.Index) and isinstance(meta, pd.Index):
            out = out.clear_divisions()  # the values (= the divisions) changed
        return out

    def _filter(self, mask: Any) -> Any:
        from mpiflow.dataframe.core import FrameBase, partitionwise

        if not isinstance(mask, FrameBase):
            raise TypeError("a boolean filter must be a lazy Series (df[df.x > 0])")
        if isinstance(mask._meta, pd.DataFrame) and isinstance(self._meta, pd.DataFrame):
            return self.where(mask)  # df[df > 0], as pandas
        mdtype = getattr(mask._meta, "dtype", None)
        if mdtype is None or not (
            (isinstance(mdtype, np.dtype) and mdtype.kind == "b") or str(mdtype) == "boolean"
        ):
            raise TypeError(
                f"cannot filter with a {type(mask._meta).__name__} of dtype {mdtype}: "
                "the mask must be a boolean Series (e.g. df[df.x > 0])"
            )
        if isinstance(mask._meta, pd.Index):  # positional: an Index has no labels to align
            return partitionwise(_take_mask, self, mask, meta=self._meta, label="filter")
        return partitionwise(operator.getitem, self, mask, meta=self._meta, label="filter")

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if method != "__call__" or kwargs.get("out") is not None:
            return NotImplemented
        for x in inputs:
            if _is_lazy(x) and not hasattr(x, "_meta"):
                return NotImplemented
        from mpiflow.dataframe.core import partitionwise

        meta = emulate(ufunc, *inputs, func_kwargs=kwargs)
        return partitionwise(ufunc, *inputs, meta=meta, func_kwargs=kwargs)

    # -- element selection -----------------------------------------------------------------
    def where(self, cond: Any, other: Any = np.nan) -> Any:
        """Keep values where ``cond`` is True, else take ``other`` (pandas ``where``).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> s = dd.from_pandas(pd.Series([1, 2, 3]), npartitions=2)
        >>> s.where(s > 1, 0).compute().tolist()
        [0, 2, 3]
        """
        return self._method("where", cond, other)

    def mask(self, cond: Any, other: Any = np.nan) -> Any:
        """Replace values where ``cond`` is True by ``other`` (pandas ``mask``).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> s = dd.from_pandas(pd.Series([1, 2, 3]), npartitions=2)
        >>> s.mask(s > 1, 0).compute().tolist()
        [1, 0, 0]
        """
        return self._method("mask", cond, other)

    def isna(self) -> Any:
        """Boolean frame: True where a value is missing.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> dd.from_pandas(pd.Series([1., None]), npartitions=1).isna().compute().tolist()
        [False, True]
        """
        return self._method("isna")

    def notna(self) -> Any:
        """Boolean frame: True where a value is present.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> dd.from_pandas(pd.Series([1., None]), npartitions=1).notna().compute().tolist()
        [True, False]
        """
        return self._method("notna")

    isnull = isna
    notnull = notna

    def fillna(self, value: Any = None, axis: Any = None, limit: Any = None) -> Any:
        """Fill missing values with ``value`` (a scalar, dict per column, or lazy Scalar).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> df = dd.from_pandas(pd.DataFrame({'a': [1., None], 'b': [None, 'x']}), npartitions=2)
        >>> df.fillna({'a': 0, 'b': '-'}).compute().values.tolist()
        [[1.0, '-'], [0.0, 'x']]
        """
        if value is None:
            raise ValueError(
                "fillna(value=None): pass the value to fill with; for forward/backward "
                "filling use ffill()/bfill()"
            )
        if limit is not None:
            raise NotImplementedError(
                "fillna(limit=...) would depend on neighbouring partitions: not supported"
            )
        kw = {} if axis is None else {"axis": axis}
        return self._method("fillna", value, **kw)

    def dropna(self, **kwargs: Any) -> Any:
        """Drop rows with missing values (keywords of pandas ``dropna``: how, subset, thresh).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> df = dd.from_pandas(pd.DataFrame({'a': [1., None, 3.]}), npartitions=2)
        >>> df.dropna().compute().a.tolist()
        [1.0, 3.0]
        """
        if kwargs.get("axis") in (1, "columns"):
            raise NotImplementedError(
                "dropna(axis=1) decides columns from all partitions: not supported; compute "
                "which columns to drop and use df.drop(columns=...)"
            )
        if "subset" in kwargs and kwargs["subset"] is not None and hasattr(self, "columns"):
            sub = kwargs["subset"]
            self._check_columns([sub] if isinstance(sub, str) else list(sub))
        return self._method("dropna", **kwargs)

    def astype(self, dtype: Any) -> Any:
        """Cast to ``dtype`` (one dtype, or a dict ``{column: dtype}``).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> s = dd.from_pandas(pd.Series([1, 2]), npartitions=2).astype('f4')
        >>> s.dtype, s.compute().tolist()
        (dtype('float32'), [1.0, 2.0])
        """
        if isinstance(dtype, dict) and hasattr(self, "columns"):
            self._check_columns(list(dtype))
        meta = self._meta.astype(dtype)
        return self._method("astype", dtype, meta=meta)

    def isin(self, values: Any) -> Any:
        """Boolean frame: True where the value is in ``values``.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> dd.from_pandas(pd.Series([1, 2, 3]), npartitions=2).isin([1, 3]).compute().tolist()
        [True, False, True]
        """
        if _is_lazy(values):
            raise NotImplementedError(
                "isin() with a lazy collection: compute the values first (values.compute())"
            )
        if isinstance(values, (set, frozenset, range)):
            values = list(values)
        elif not isinstance(values, dict) and np.ndim(values) == 0:
            raise TypeError(
                f"isin() needs a list-like of values, got a {type(values).__name__}: "
                "pass [value] for a single value"
            )
        return self._method("isin", values)

    def between(self, left: Any, right: Any, inclusive: str = "both") -> Any:
        """Boolean Series: True where ``left <= value <= right`` (``inclusive`` as pandas).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> s = dd.from_pandas(pd.Series([1, 2, 3]), npartitions=2)
        >>> s.between(2, 3).compute().tolist()
        [False, True, True]
        """
        return self._method("between", left, right, inclusive=inclusive)

    def clip(self, lower: Any = None, upper: Any = None, **kwargs: Any) -> Any:
        """Limit values to ``[lower, upper]``.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> dd.from_pandas(pd.Series([1, 5, 9]), npartitions=2).clip(2, 6).compute().tolist()
        [2, 5, 6]
        """
        return self._method("clip", lower, upper, **kwargs)

    def abs(self) -> Any:
        """Absolute values.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> dd.from_pandas(pd.Series([-1, 2]), npartitions=2).abs().compute().tolist()
        [1, 2]
        """
        return self._method("abs")

    def round(self, decimals: Any = 0) -> Any:
        """Round to ``decimals`` places.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> dd.from_pandas(pd.Series([1.26, 2.5]), npartitions=2).round(1).compute().tolist()
        [1.3, 2.5]
        """
        return self._method("round", decimals)

    def map(self, arg: Any, na_action: Any = None, meta: Any = no_default) -> Any:
        """Map values through a function, dict or pandas Series (elementwise).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> s = dd.from_pandas(pd.Series([1, 2, 3]), npartitions=2)
        >>> s.map({1: 'a', 2: 'b'}).compute().tolist()
        ['a', 'b', nan]
        >>> s.map(lambda x: x * 2, meta=('x', 'i8')).compute().tolist()
        [2, 4, 6]
        """
        if _is_lazy(arg):
            raise NotImplementedError(
                "map() with a lazy Series as the mapping: compute it first (arg.compute())"
            )
        if meta is no_default:
            meta = emulate(call_method, self, "map", arg, na_action=na_action, udf=True)
        else:
            meta = make_meta(meta, index=_index_meta(self._meta))
        return self._method("map", arg, na_action=na_action, meta=meta)

    def copy(self, deep: bool = False) -> Any:
        """A new collection object for the same graph (nothing is copied).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> s = dd.from_pandas(pd.Series([1]), npartitions=1)
        >>> s.copy() is not s, s.copy()._name == s._name
        (True, True)
        """
        from mpiflow.dataframe.core import new_collection

        return new_collection(self._graph, self._name_, self._meta, self._divisions)

    def __invert__(self) -> Any:
        return self._pw(operator.invert)

    def __neg__(self) -> Any:
        return self._pw(operator.neg)

    def __pos__(self) -> Any:
        return self._pw(operator.pos)

    def __abs__(self) -> Any:
        return self._pw(operator.abs)


def _binary_dunders(name: str, op: Callable) -> None:
    def method(self: Any, other: Any) -> Any:
        return self._binary(other, op)

    def rmethod(self: Any, other: Any) -> Any:
        return self._binary(other, op, reflected=True)

    method.__name__, rmethod.__name__ = f"__{name}__", f"__r{name}__"
    setattr(ElementwiseMethods, f"__{name}__", method)
    setattr(ElementwiseMethods, f"__r{name}__", rmethod)


for _n in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "divmod"):
    _binary_dunders(_n, getattr(operator, _n, divmod))
for _n, _f in (("and", operator.and_), ("or", operator.or_), ("xor", operator.xor)):
    _binary_dunders(_n, _f)
for _n in ("lt", "le", "gt", "ge", "eq", "ne"):
    _binary_dunders(_n, getattr(operator, _n))
del ElementwiseMethods.__rdivmod__, ElementwiseMethods.__divmod__


_DOC = """Elementwise ``{name}`` (pandas ``Series.{name}``/``DataFrame.{name}``), aligned.

Parameters
----------
other : scalar, Scalar, Series or DataFrame
    The other operand.
**kwargs
    ``axis``, ``level``, ``fill_value`` as pandas.

Examples
--------
>>> import pandas as pd, mpiflow.dataframe as dd
>>> s = dd.from_pandas(pd.Series([1, 2, 3]), npartitions=2)
>>> s.{name}(2).compute().tolist()
{expected}
"""


def _named_method(name: str) -> None:
    def method(self: Any, other: Any, *args: Any, **kwargs: Any) -> Any:
        _check_other(other, name)
        return self._method(name, other, *args, **kwargs)

    method.__name__ = name
    method.__doc__ = _DOC.format(
        name=name, expected=getattr(pd.Series([1, 2, 3]), name)(2).tolist()
    )
    setattr(ElementwiseMethods, name, method)


for _n in (
    "add",
    "sub",
    "mul",
    "div",
    "truediv",
    "floordiv",
    "mod",
    "pow",
    "radd",
    "rsub",
    "rmul",
    "rdiv",
    "rtruediv",
    "rfloordiv",
    "rmod",
    "rpow",
    "lt",
    "gt",
    "le",
    "ge",
    "ne",
    "eq",
):
    _named_method(_n)
