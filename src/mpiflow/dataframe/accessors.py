"""The ``.str``, ``.dt`` and ``.cat`` accessors of Series and Index.

Each accessor forwards attribute access and method calls to the pandas
accessor of every partition. The result's meta comes from running the same
call on a small fake partition, so ``s.str.len()`` is known to be integer
without computing.

Examples
--------
>>> import pandas as pd, mpiflow.dataframe as dd
>>> s = dd.from_pandas(pd.Series(['ab', 'Cd', None]), npartitions=2)
>>> s.str.upper().compute().tolist()
['AB', 'CD', nan]
>>> t = dd.from_pandas(pd.Series(pd.date_range('2024-01-30', periods=3)), npartitions=2)
>>> t.dt.day.compute().tolist()
[30, 31, 1]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mpiflow.dataframe.meta import emulate

__all__ = ["AccessorMethods", "Accessor", "accessor_call", "accessor_attr"]


def _is_obj(dtype: object) -> bool:
    return isinstance(dtype, np.dtype) and dtype.kind == "O"


def accessor_call(obj: Any, accessor: str, attr: str, *args: Any, **kwargs: Any) -> Any:
    """``getattr(getattr(obj, accessor), attr)(*args, **kwargs)`` (picklable task function).

    Examples
    --------
    >>> import pandas as pd
    >>> accessor_call(pd.Series(['a']), 'str', 'upper').tolist()
    ['A']
    """
    return getattr(getattr(obj, accessor), attr)(*args, **kwargs)


def accessor_attr(obj: Any, accessor: str, attr: str) -> Any:
    """``getattr(getattr(obj, accessor), attr)`` (picklable task function).

    Examples
    --------
    >>> import pandas as pd
    >>> accessor_attr(pd.Series(pd.to_datetime(['2020-05-01'])), 'dt', 'month').tolist()
    [5]
    """
    return getattr(getattr(obj, accessor), attr)


_CHECK = {
    "str": (pd.api.types.is_string_dtype, "strings"),
    "dt": (
        lambda d: (
            pd.api.types.is_datetime64_any_dtype(d)
            or pd.api.types.is_timedelta64_dtype(d)
            or isinstance(d, pd.PeriodDtype)
        ),
        "datetimes, timedeltas or periods",
    ),
    "cat": (lambda d: isinstance(d, pd.CategoricalDtype), "categoricals"),
}


class Accessor:
    """Lazy view of a pandas accessor (``str``, ``dt`` or ``cat``) of a Series or Index.

    Parameters
    ----------
    obj : Series or Index
        The lazy collection.
    name : str
        ``'str'``, ``'dt'`` or ``'cat'``.

    Examples
    --------
    >>> import pandas as pd, mpiflow.dataframe as dd
    >>> s = dd.from_pandas(pd.Series(['a,b', 'c']), npartitions=1)
    >>> s.str.split(',').compute().tolist()
    [['a', 'b'], ['c']]
    """

    def __init__(self, obj: Any, name: str) -> None:
        check, what = _CHECK[name]
        dtype = obj._meta.dtype
        if not check(dtype) and not (name == "str" and _is_obj(dtype)):
            raise AttributeError(
                f"Can only use .{name} accessor with {what} values, but this "
                f"{type(obj).__name__} has dtype {dtype}"
            )
        self._obj = obj
        self._accessor = name
        self._pandas = getattr(obj._meta_nonempty, name)

    def __dir__(self) -> list:
        return sorted(set(dir(self._pandas)) | set(super().__dir__()))

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("_"):
            raise AttributeError(attr)
        if self._accessor == "cat" and attr in ("categories", "ordered", "known"):
            return self._known(attr)
        if self._accessor == "cat" and attr in ("as_known", "as_unknown"):
            return getattr(self, f"_{attr}")
        if not hasattr(type(self._pandas), attr) and not hasattr(self._pandas, attr):
            raise AttributeError(f"the .{self._accessor} accessor has no attribute {attr!r}")
        kind = getattr(type(self._pandas), attr, None)
        if callable(kind) and not isinstance(kind, property):
            return _Method(self, attr)
        return self._property(attr)

    def _known(self, attr: str) -> Any:
        dtype = self._obj._meta.dtype
        known = len(dtype.categories) > 0
        if attr == "known":
            return known
        if attr == "categories" and not known:
            raise AttributeError(
                "the categories of this column are not known without computing (it was "
                "cast with astype('category') partition by partition); call "
                "s.cat.as_known() first, or astype(pd.CategoricalDtype([...]))"
            )
        return getattr(dtype, attr)

    def _as_known(self) -> Any:
        """Compute the categories of every partition and record their union in the meta."""
        obj = self._obj
        parts = obj.map_partitions(_categories_of, meta=("c", object), enforce_metadata=False)
        cats: list = []
        seen: set = set()
        for part_cats in parts.compute():
            for c in part_cats:
                if c not in seen:
                    seen.add(c)
                    cats.append(c)
        dtype = pd.CategoricalDtype(cats, ordered=obj._meta.dtype.ordered)
        return obj.astype(dtype)

    def _as_unknown(self) -> Any:
        """The same column with unknown (empty) categories in the meta."""
        from mpiflow.dataframe.core import new_collection

        obj = self._obj
        meta = obj._meta.cat.remove_categories(obj._meta.cat.categories)
        return new_collection(obj._graph, obj._name_, meta, obj._divisions)

    def _property(self, attr: str) -> Any:
        from mpiflow.dataframe.core import partitionwise

        obj, acc = self._obj, self._accessor
        meta = emulate(accessor_attr, obj, acc, attr)
        out = partitionwise(accessor_attr, obj, acc, attr, meta=meta, label=f"{acc}-{attr}")
        return _fix_index_divisions(obj, out)

    def _call(self, attr: str, *args: Any, **kwargs: Any) -> Any:
        from mpiflow.dataframe.core import partitionwise

        obj, acc = self._obj, self._accessor
        if acc == "str" and attr in ("split", "rsplit") and kwargs.get("expand"):
            return self._split(attr, *args, **kwargs)
        if acc == "str" and (
            (attr == "cat" and not args and kwargs.get("others") is None) or attr == "get_dummies"
        ):
            raise NotImplementedError(
                f".str.{attr}() would need every partition at once (its result depends on all "
                "the data); compute the Series first, or use map_partitions with an explicit meta"
            )
        meta = emulate(accessor_call, obj, acc, attr, *args, func_kwargs=kwargs)
        out = partitionwise(
            accessor_call,
            obj,
            acc,
            attr,
            *args,
            meta=meta,
            label=f"{acc}-{attr}",
            func_kwargs=kwargs,
        )
        return _fix_index_divisions(obj, out)

    def _split(self, attr: str, pat: Any = None, *, n: int = -1, **kwargs: Any) -> Any:
        from mpiflow.dataframe.core import partitionwise

        if n is None or n < 1:
            raise NotImplementedError(
                f".str.{attr}(expand=True) needs the number of splits n= (e.g. n=2): the "
                "number of columns must be known without computing"
            )
        meta = _split_expand(self._obj._meta_nonempty, attr, pat, n, kwargs).iloc[:0]
        return partitionwise(
            _split_expand, self._obj, attr, pat, n, kwargs, meta=meta, label=f"str-{attr}"
        )


def _split_expand(s: Any, attr: str, pat: Any, n: int, kwargs: dict) -> Any:
    """``s.str.split(pat, n=n, expand=True)`` with exactly ``n + 1`` columns."""
    out = getattr(s.str, attr)(pat, n=n, **kwargs)
    if isinstance(out, pd.DataFrame):
        out = out.reindex(columns=range(n + 1))
        out = out.astype(s.dtype if not isinstance(s.dtype, pd.CategoricalDtype) else object)
    return out


def _fix_index_divisions(obj: Any, out: Any) -> Any:
    """An Index whose values changed no longer matches its divisions."""
    if isinstance(obj._meta, pd.Index) and isinstance(out._meta, pd.Index):
        return out.clear_divisions()
    return out


def _categories_of(s: Any) -> list:
    return list(s.cat.categories)


class _Method:
    """A bound accessor method, e.g. ``s.str.upper``."""

    def __init__(self, acc: Accessor, attr: str) -> None:
        self._acc, self._attr = acc, attr
        self.__name__ = attr
        self.__doc__ = getattr(getattr(type(acc._pandas), attr, None), "__doc__", None)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._acc._call(self._attr, *args, **kwargs)


class AccessorMethods:
    """``.str``, ``.dt`` and ``.cat`` for Series (and ``.str``/``.dt`` for Index).

    Examples
    --------
    >>> import pandas as pd, mpiflow.dataframe as dd
    >>> s = dd.from_pandas(pd.Series(['a b', 'c']), npartitions=2)
    >>> s.str.split(' ', n=1, expand=True).columns.tolist()
    [0, 1]
    """

    @property
    def str(self) -> Accessor:
        """String methods of every partition (pandas ``Series.str``).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> s = dd.from_pandas(pd.Series(['a', 'bb']), npartitions=2)
        >>> s.str.len().compute().tolist()
        [1, 2]
        """
        return Accessor(self, "str")

    @property
    def dt(self) -> Accessor:
        """Datetime properties and methods of every partition (pandas ``Series.dt``).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> s = dd.from_pandas(pd.Series(pd.to_datetime(['2021-03-04'])), npartitions=1)
        >>> s.dt.year.compute().tolist()
        [2021]
        """
        return Accessor(self, "dt")

    @property
    def cat(self) -> Accessor:
        """Categorical properties and methods of every partition (pandas ``Series.cat``).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> s = dd.from_pandas(pd.Series(['a', 'b', 'a'], dtype='category'), npartitions=2)
        >>> s.cat.codes.compute().tolist(), list(s.cat.categories)
        ([0, 1, 0], ['a', 'b'])
        """
        return Accessor(self, "cat")
