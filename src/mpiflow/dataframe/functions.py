"""Top-level elementwise functions: ``to_datetime``, ``to_numeric``, ``to_timedelta``, ``isna``.

Each applies the pandas function of the same name to every partition.

Examples
--------
>>> import pandas as pd, mpiflow.dataframe as dd
>>> s = dd.from_pandas(pd.Series(['1', '2.5', 'x']), npartitions=2)
>>> dd.to_numeric(s, errors='coerce').compute().tolist()
[1.0, 2.5, nan]
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from mpiflow.dataframe.meta import emulate, make_meta

__all__ = ["to_datetime", "to_numeric", "to_timedelta", "isna"]


def _frame_or_raise(arg: Any, fname: str) -> None:
    from mpiflow.dataframe.core import FrameBase

    if not isinstance(arg, FrameBase):
        raise TypeError(
            f"dd.{fname} expects a mpiflow Series, DataFrame or Index, got "
            f"{type(arg).__name__}; use pandas.{fname} for in-memory data"
        )


def _apply(func: Any, arg: Any, meta: Any, kwargs: dict) -> Any:
    from mpiflow.dataframe.core import partitionwise

    if meta is None:
        meta = emulate(func, arg, func_kwargs=kwargs)
    else:
        meta = make_meta(meta, index=getattr(arg._meta, "index", None))
    out = partitionwise(func, arg, meta=meta, func_kwargs=kwargs)
    if isinstance(arg._meta, pd.Index):
        out = out.clear_divisions()
    return out


def to_datetime(arg: Any, meta: Any = None, **kwargs: Any) -> Any:
    """Convert to datetimes partition by partition (keywords of ``pandas.to_datetime``).

    Examples
    --------
    >>> import pandas as pd, mpiflow.dataframe as dd
    >>> s = dd.from_pandas(pd.Series(['2024-01-02', '2024-03-04']), npartitions=2)
    >>> dd.to_datetime(s).dt.month.compute().tolist()
    [1, 3]
    """
    _frame_or_raise(arg, "to_datetime")
    m = arg._meta
    if meta is None and not isinstance(m, pd.DataFrame) and pd.api.types.is_string_dtype(m.dtype):
        # fake strings do not parse: the result is datetimes (pandas' default resolution)
        dtype = "datetime64[us, UTC]" if kwargs.get("utc") else "datetime64[us]"
        if isinstance(m, pd.Index):
            meta = pd.DatetimeIndex([], dtype=dtype, name=m.name)
        else:
            meta = pd.Series([], dtype=dtype, name=m.name, index=m.index)
    return _apply(pd.to_datetime, arg, meta, kwargs)


def to_numeric(arg: Any, errors: str = "raise", meta: Any = None, **kwargs: Any) -> Any:
    """Convert to numbers partition by partition (as ``pandas.to_numeric``).

    Examples
    --------
    >>> import pandas as pd, mpiflow.dataframe as dd
    >>> s = dd.from_pandas(pd.Series(['1', '2']), npartitions=1)
    >>> dd.to_numeric(s).compute().tolist()
    [1, 2]
    """
    _frame_or_raise(arg, "to_numeric")
    kwargs["errors"] = errors
    if meta is None and arg._meta.dtype.kind not in "iufb":
        meta = pd.Series([], dtype="f8", name=arg._meta.name, index=arg._meta.index)
    return _apply(pd.to_numeric, arg, meta, kwargs)


def to_timedelta(arg: Any, unit: Any = None, errors: str = "raise", meta: Any = None) -> Any:
    """Convert to timedeltas partition by partition (as ``pandas.to_timedelta``).

    Examples
    --------
    >>> import pandas as pd, mpiflow.dataframe as dd
    >>> s = dd.from_pandas(pd.Series([1, 2]), npartitions=2)
    >>> dd.to_timedelta(s, unit='s').dt.total_seconds().compute().tolist()
    [1.0, 2.0]
    """
    _frame_or_raise(arg, "to_timedelta")
    kwargs: dict = {"errors": errors}
    if unit is not None:
        kwargs["unit"] = unit
    return _apply(pd.to_timedelta, arg, meta, kwargs)


def isna(arg: Any) -> Any:
    """Boolean frame: True where missing (``pandas.isna``).

    Examples
    --------
    >>> import pandas as pd, mpiflow.dataframe as dd
    >>> dd.isna(dd.from_pandas(pd.Series([1.0, None]), npartitions=1)).compute().tolist()
    [False, True]
    """
    _frame_or_raise(arg, "isna")
    return arg.isna()
