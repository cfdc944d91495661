"""Metadata of partitioned frames: empty pandas objects that stand for the real ones.

Every collection carries a ``_meta``: an empty pandas object with the columns,
dtypes, index dtype and name its partitions will have. Operations work out the
new meta without computing anything, usually by running the operation on a
small *non-empty* fake of the meta (:func:`meta_nonempty`) and keeping the
empty slice of the result (:func:`emulate`).

Examples
--------
>>> import pandas as pd
>>> meta = make_meta({'a': 'i8', 'b': 'f8'})
>>> meta.dtypes.to_dict()
{'a': dtype('int64'), 'b': dtype('float64')}
>>> emulate(lambda df: df.a + df.b, meta).dtype
dtype('float64')
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from mpiflow.core.spec import funcname

__all__ = [
    "no_default",
    "make_meta",
    "meta_nonempty",
    "emulate",
    "is_frame_like",
    "check_meta",
    "closest_name",
]


def _is_obj(dtype: object) -> bool:
    return isinstance(dtype, np.dtype) and dtype.kind == "O"


class _NoDefault:
    """The type of :data:`no_default`."""

    _instance = None

    def __new__(cls) -> _NoDefault:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<no_default>"

    def __reduce__(self):
        return (_NoDefault, ())


#: Sentinel for "argument not given" (``meta=no_default`` means: infer it).
no_default = _NoDefault()


def _index_meta(meta: Any) -> Any:
    """The index of a DataFrame/Series meta; an Index meta is its own index."""
    return meta if isinstance(meta, pd.Index) else getattr(meta, "index", None)


def is_frame_like(x: Any) -> bool:
    """True for a pandas DataFrame, Series or Index.

    Examples
    --------
    >>> import pandas as pd
    >>> is_frame_like(pd.Series([1])), is_frame_like(1)
    (True, False)
    """
    return isinstance(x, (pd.DataFrame, pd.Series, pd.Index))


def make_meta(x: Any, index: Any = None) -> Any:
    """Return the meta of ``x``: an empty pandas object, or a representative scalar.

    Parameters
    ----------
    x : object
        A pandas object (sliced to length 0); an mpiflow collection (its
        ``_meta``); a dict or list of ``(column, dtype)`` pairs (an empty
        DataFrame); a ``(name, dtype)`` tuple (an empty Series); a dtype or
        scalar (a scalar of that dtype).
    index : pandas.Index, optional
        Index to give a DataFrame/Series made from a dict or tuple.

    Examples
    --------
    >>> import pandas as pd
    >>> make_meta(pd.DataFrame({'a': [1, 2]}))
    Empty DataFrame
    Columns: [a]
    Index: []
    >>> make_meta(('x', 'f8'))
    Series([], Name: x, dtype: float64)
    >>> make_meta('i4')
    np.int32(1)
    """
    if hasattr(x, "_meta") and hasattr(type(x), "__mpiflow_graph__"):
        return x._meta
    if isinstance(x, (pd.DataFrame, pd.Series)):
        return x.iloc[:0]
    if isinstance(x, pd.Index):
        return x[:0]
    idx = index[:0] if index is not None else pd.RangeIndex(0)
    if isinstance(x, Mapping) or (
        isinstance(x, list) and x and all(isinstance(p, tuple) and len(p) == 2 for p in x)
    ):
        pairs = list(x.items()) if isinstance(x, Mapping) else x
        return pd.DataFrame(
            {c: pd.Series([], dtype=d, index=idx) for c, d in pairs}, columns=[c for c, _ in pairs]
        )
    if isinstance(x, tuple) and len(x) == 2:
        return pd.Series([], dtype=x[1], name=x[0], index=idx)
    if isinstance(x, (np.generic, int, float, bool, complex, bytes)) or x is None:
        return x
    if isinstance(x, str):
        try:
            return _scalar_of(pd.api.types.pandas_dtype(x))
        except TypeError:
            return x
    if hasattr(x, "dtype") and not is_frame_like(x):  # a numpy array: its scalar
        return _scalar_of(x.dtype)
    try:
        return _scalar_of(np.dtype(x))
    except TypeError:
        pass
    try:
        return _scalar_of(pd.api.types.pandas_dtype(x))
    except TypeError:
        return x


def _scalar_of(dtype: Any) -> Any:
    """A representative scalar of ``dtype``."""
    if isinstance(dtype, np.dtype):
        if dtype.kind == "M":
            return np.datetime64("2000-01-01", "ns").astype(dtype)
        if dtype.kind == "m":
            return np.timedelta64(1, "ns").astype(dtype)
        if dtype.kind == "O":
            return "foo"
        return dtype.type(1)
    return _fake_values(dtype, 1)[0]


def _fake_values(dtype: Any, n: int) -> Any:
    """``n`` non-missing values of ``dtype`` (an array or ExtensionArray)."""
    if isinstance(dtype, pd.CategoricalDtype):
        cats = dtype.categories
        if len(cats):
            return pd.Categorical([cats[i % len(cats)] for i in range(n)], dtype=dtype)
        return pd.Categorical([None] * n, dtype=dtype)
    if isinstance(dtype, pd.DatetimeTZDtype):
        return pd.array(pd.date_range("2000-01-01", periods=n, tz=dtype.tz, unit=dtype.unit))
    if isinstance(dtype, pd.PeriodDtype):
        return pd.array(pd.period_range("2000-01-01", periods=n, freq=dtype.freq))
    if isinstance(dtype, pd.IntervalDtype):
        sub = dtype.subtype if dtype.subtype is not None else np.dtype("i8")
        left = np.arange(n).astype(sub)
        return pd.arrays.IntervalArray.from_arrays(left, left + 1, closed=dtype.closed)
    if isinstance(dtype, pd.StringDtype) or _is_obj(dtype):
        vals = [f"foo{i}" if i else "foo" for i in range(n)]
        return np.array(vals, dtype=object) if _is_obj(dtype) else pd.array(vals, dtype=dtype)
    if isinstance(dtype, pd.api.extensions.ExtensionDtype):
        if dtype.kind == "b":
            return pd.array([True, False] * n, dtype=dtype)[:n]
        if dtype.kind in "iuf":
            return pd.array(np.arange(1, n + 1), dtype=dtype)
        try:
            return pd.array([dtype.type()] * n, dtype=dtype)
        except Exception:
            return pd.array([None] * n, dtype=dtype)
    dtype = np.dtype(dtype)
    if dtype.kind == "M":
        unit = np.datetime_data(dtype)[0]
        return pd.date_range(
            "2000-01-01", periods=n, unit=unit if unit != "generic" else "ns"
        ).values
    if dtype.kind == "m":
        return np.arange(1, n + 1).astype(dtype)
    if dtype.kind == "b":
        return np.array([True, False] * n, dtype=bool)[:n]
    if dtype.kind in "SU":
        return np.array(["foo"] * n, dtype=dtype)
    if dtype.kind == "V":
        return np.zeros(n, dtype=dtype)
    return np.arange(1, n + 1).astype(dtype)


def _nonempty_index(idx: pd.Index, n: int = 2) -> pd.Index:
    if isinstance(idx, pd.RangeIndex):
        return pd.RangeIndex(n, name=idx.name)
    if isinstance(idx, pd.MultiIndex):
        levels = [_nonempty_index(lev, n) for lev in idx.levels]
        return pd.MultiIndex.from_arrays(levels, names=idx.names)
    if isinstance(idx, pd.DatetimeIndex):
        return pd.date_range("2000-01-01", periods=n, tz=idx.tz, name=idx.name, unit=idx.unit)
    return pd.Index(_fake_values(idx.dtype, n), name=idx.name, dtype=idx.dtype)


def meta_nonempty(x: Any) -> Any:
    """A small non-empty pandas object with the schema of the meta ``x`` (for emulation).

    Examples
    --------
    >>> import pandas as pd
    >>> meta = pd.DataFrame({'a': pd.Series([], dtype='i8'), 'b': pd.Series([], dtype=object)})
    >>> meta_nonempty(meta)
       a     b
    0  1   foo
    1  2  foo1
    """
    if isinstance(x, pd.DataFrame):
        idx = _nonempty_index(x.index)
        data = {
            i: pd.Series(_fake_values(d, len(idx)), index=idx, dtype=d)
            for i, d in enumerate(x.dtypes)
        }
        out = pd.DataFrame(data, index=idx)
        out.columns = x.columns
        return out
    if isinstance(x, pd.Series):
        idx = _nonempty_index(x.index)
        return pd.Series(_fake_values(x.dtype, len(idx)), index=idx, name=x.name, dtype=x.dtype)
    if isinstance(x, pd.Index):
        return _nonempty_index(x)
    return x


def _nonempty_arg(a: Any) -> Any:
    if hasattr(type(a), "__mpiflow_graph__") and hasattr(a, "_meta"):
        fake = getattr(a, "_meta_nonempty", None)  # frames cache theirs
        return fake if fake is not None else meta_nonempty(a._meta)
    if is_frame_like(a):
        return meta_nonempty(a) if len(a) == 0 else a
    if type(a) in (list, tuple):
        return type(a)(_nonempty_arg(v) for v in a)
    return a


def emulate(
    func: Callable, *args: Any, udf: bool = False, func_kwargs: dict | None = None, **kwargs: Any
) -> Any:
    """Run ``func`` on non-empty fakes of the collection arguments and return the result's meta.

    Parameters
    ----------
    func : callable
        The function to emulate.
    *args, **kwargs
        Its arguments; mpiflow collections and empty pandas objects are
        replaced by :func:`meta_nonempty` fakes.
    udf : bool
        The function is the user's: the error then says how to pass ``meta=``.
    func_kwargs : dict, optional
        Keywords for ``func`` (for names that collide with ``udf``/``func_kwargs``).

    Raises
    ------
    ValueError
        When ``func`` fails on the fake data, naming ``func`` and the error.

    Examples
    --------
    >>> import pandas as pd
    >>> emulate(pd.Series.abs, pd.Series([], dtype='i4'))
    Series([], dtype: int32)
    >>> emulate(lambda s: s.nope(), pd.Series([], dtype='i4'), udf=True)
    Traceback (most recent call last):
    ...
    ValueError: Metadata inference failed in `lambda`: ...
    """
    if func_kwargs:
        kwargs = {**func_kwargs, **kwargs}
    args2 = [_nonempty_arg(a) for a in args]
    kwargs2 = {k: _nonempty_arg(v) for k, v in kwargs.items()}
    try:
        out = func(*args2, **kwargs2)
    except Exception as e:
        name = funcname(func)
        hint = (
            "You passed a function whose output type mpiflow could not work out by running it "
            "on a small fake partition. Pass meta= with an empty pandas object (or a dict of "
            "{column: dtype}, or a (name, dtype) tuple) describing what it returns, e.g. "
            "meta={'x': 'f8'} or meta=('x', 'f8')."
            if udf
            else "This operation is not supported for these dtypes."
        )
        raise ValueError(
            f"Metadata inference failed in `{name}`: {type(e).__name__}: {e}\n{hint}"
        ) from e
    return make_meta(out)


def closest_name(name: Any, choices: Any) -> str:
    """A hint naming the closest match of ``name`` among ``choices`` (``''`` if none is close).

    Examples
    --------
    >>> closest_name('amout', ['amount', 'name'])
    " Did you mean 'amount'?"
    """
    strs = {str(c): c for c in choices}
    match = difflib.get_close_matches(str(name), list(strs), n=1, cutoff=0.6)
    return f" Did you mean {strs[match[0]]!r}?" if match else ""


def _schema(x: Any) -> str:
    if isinstance(x, pd.DataFrame):
        return ", ".join(f"{c}: {d}" for c, d in x.dtypes.items())
    if isinstance(x, (pd.Series, pd.Index)):
        return f"{type(x).__name__} name={x.name!r} dtype={x.dtype}"
    return f"{type(x).__name__}"


def check_meta(x: Any, meta: Any, funcname: str = "") -> Any:
    """Return ``x`` if it matches ``meta`` (type, columns, dtypes), else raise ValueError.

    Used at compute time by ``map_partitions(..., enforce_metadata=True)``.

    Examples
    --------
    >>> import pandas as pd
    >>> check_meta(pd.Series([1.5]), pd.Series([], dtype='f8')).tolist()
    [1.5]
    >>> check_meta(pd.DataFrame({'a': [1]}), pd.DataFrame({'b': pd.Series([], dtype='i8')}), 'f')
    Traceback (most recent call last):
    ...
    ValueError: The columns or dtypes of the result of `f` do not match the given meta. ...
    """
    if not is_frame_like(meta):
        return x
    where = f" of `{funcname}`" if funcname else ""
    if type(x) is not type(meta) and not (isinstance(x, pd.Index) and isinstance(meta, pd.Index)):
        raise ValueError(
            f"The result{where} is a {type(x).__name__}, but meta says {type(meta).__name__}. "
            "Fix the meta= argument (or the function) so that they agree."
        )
    if isinstance(meta, pd.DataFrame):
        same = list(x.columns) == list(meta.columns) and all(
            _dtype_ok(a, b) for a, b in zip(x.dtypes, meta.dtypes, strict=True)
        )
        if not same:
            rows = _mismatch_table(x, meta)
            raise ValueError(
                f"The columns or dtypes of the result{where} do not match the given meta. "
                f"Fix the meta= argument (or the function) so that they agree.\n"
                f"Expected: {_schema(meta)}\nFound:    {_schema(x)}\n{rows}"
            )
    elif not _dtype_ok(x.dtype, meta.dtype):
        raise ValueError(
            f"The dtype of the result{where} does not match the given meta: expected "
            f"{meta.dtype}, found {x.dtype}. Fix the meta= argument (or the function) so "
            "that they agree."
        )
    return x


def _dtype_ok(found: Any, expected: Any) -> bool:
    if found == expected:
        return True
    # all-missing object/str columns and empty categories are not worth an error
    if isinstance(expected, pd.CategoricalDtype) and isinstance(found, pd.CategoricalDtype):
        return True
    strs = (object,)
    return (_is_obj(found) or isinstance(found, pd.StringDtype)) and (
        expected in strs or isinstance(expected, pd.StringDtype)
    )


def _mismatch_table(x: pd.DataFrame, meta: pd.DataFrame) -> str:
    lines = ["+--------------------+------------+------------+"]
    lines.append(f"| {'Column':<18} | {'Found':<10} | {'Expected':<10} |")
    lines.append(lines[0])
    cols = list(dict.fromkeys([*meta.columns, *x.columns]))
    for c in cols:
        f = str(x.dtypes[c]) if c in x.columns else "-"
        e = str(meta.dtypes[c]) if c in meta.columns else "-"
        if c in x.columns and c in meta.columns and _dtype_ok(x.dtypes[c], meta.dtypes[c]):
            continue
        lines.append(f"| {str(c):<18} | {f:<10} | {e:<10} |")
    lines.append(lines[0])
    return "\n".join(lines)
