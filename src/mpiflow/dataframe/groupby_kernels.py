"""Pandas-level kernels of groupby aggregations: parse ``agg`` specs, chunk, combine, finish.

An aggregation is a list of *outputs* ``(label, column, func, ddof)``. Each output
needs a few *primitives* per column (``mean`` needs ``sum`` and ``count``; ``var``
needs ``count``, ``sum`` and ``m2``, the sum of squared deviations from the group
mean). One partition becomes one *partial*: a DataFrame indexed by the group keys
with one column per primitive (made by one pandas ``groupby`` and one cython
aggregation per primitive kind, never a Python loop over rows or groups), plus, for
``nunique``, the distinct ``(keys, value)`` rows. Partials are merged by a second
groupby on the index levels; ``m2`` is merged with Chan's formula so large means do
not swallow the variance.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({'a': [1, 2, 1, 2], 'b': [1.0, 2.0, 3.0, 5.0]})
>>> outs = normalize_outputs('mean', ['b'], selected='b')
>>> plan = make_plan(outs.outputs)
>>> parts = [chunk(df[:2], by=[('col', 'a')], plan=plan),
...          chunk(df[2:], by=[('col', 'a')], plan=plan)]
>>> finish(parts, plan=plan, outputs=outs, sort=True, key_names=['a'])
a
1    2.0
2    3.5
Name: b, dtype: float64
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from mpiflow.dataframe.groupby_custom import (
    Aggregation,
    custom_chunk,
    custom_combine,
    custom_finish,
)

__all__ = ["SUPPORTED_AGGS"]

#: aggregations a tree reduction computes (``transform``/``apply`` take any function)
SUPPORTED_AGGS = (
    "sum",
    "mean",
    "count",
    "size",
    "min",
    "max",
    "std",
    "var",
    "first",
    "last",
    "nunique",
    "prod",
)

_PRIMS: dict[str, tuple[str, ...]] = {
    "sum": ("sum",),
    "mean": ("sum", "count"),
    "count": ("count",),
    "size": ("size",),
    "min": ("min",),
    "max": ("max",),
    "first": ("first",),
    "last": ("last",),
    "prod": ("prod",),
    "var": ("count", "sum", "m2"),
    "std": ("count", "sum", "m2"),
    "nunique": ("nunique",),
}
# how partials of each primitive merge
_MERGE = {"sum": "sum", "count": "sum", "size": "sum", "prod": "prod"}
_MERGE.update({k: k for k in ("min", "max", "first", "last")})

_CALLABLE_NAMES = {sum: "sum", min: "min", max: "max", len: "size"}
_CALLABLE_NAMES.update({np.sum: "sum", np.mean: "mean", np.min: "min", np.max: "max"})
_CALLABLE_NAMES.update({np.prod: "prod", np.nansum: "sum", np.nanmean: "mean"})


class Outputs(NamedTuple):
    """A parsed ``agg`` request: outputs and the shape of the result.

    Examples
    --------
    >>> normalize_outputs('sum', ['x'], selected='x')
    Outputs(outputs=[('x', 'x', 'sum', 1)], series=True, multi=False)
    """

    outputs: list  # [(label, column, func, ddof)]
    series: bool  # the result is a Series (one output, no list/dict/named)
    multi: bool  # the result's columns are a MultiIndex (column, func)


def func_name(func: Any) -> Any:
    """The aggregation name of ``func`` (a string or a known callable), checked.

    Examples
    --------
    >>> func_name('mean'), func_name(sum)
    ('mean', 'sum')
    >>> func_name('means')  # doctest: +ELLIPSIS
    Traceback (most recent call last):
      ...
    ValueError: unsupported aggregation 'means' (did you mean 'mean'?); supported: sum, mean, ...
    """
    if isinstance(func, Aggregation):
        return func
    name = func if isinstance(func, str) else _CALLABLE_NAMES.get(func)
    if name is None and callable(func):
        name = getattr(func, "__name__", repr(func))
        if name not in SUPPORTED_AGGS:
            raise ValueError(
                f"unsupported aggregation function {name!r}: groupby(...).agg takes the names "
                f"{', '.join(SUPPORTED_AGGS)} (or numpy/builtin sum, mean, min, max, prod); for "
                "other functions use groupby(...).apply(func) or .transform(func)."
            )
    if name not in SUPPORTED_AGGS:
        close = difflib.get_close_matches(str(name), SUPPORTED_AGGS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(
            f"unsupported aggregation {name!r}{hint}; supported: {', '.join(SUPPORTED_AGGS)}. "
            "For other functions use groupby(...).apply(func) or .transform(func)."
        )
    return name


def closest(name: Any, options: Any) -> Any:
    """The option most like ``name`` (difflib, then substring), or None.

    Examples
    --------
    >>> closest('fare', ['fare_amount', 'tip']), closest('x', ['a'])
    ('fare_amount', None)
    """
    options = list(options)
    strs = [str(o) for o in options]
    close = difflib.get_close_matches(str(name), strs, n=1, cutoff=0.6)
    if close:
        return options[strs.index(close[0])]
    low = str(name).lower()
    for o, s in zip(options, strs, strict=True):
        if low and (low in s.lower() or s.lower() in low):
            return o
    return None


def check_column(col: Any, columns: list, what: str = "groupby") -> None:
    """Raise a KeyError naming the closest column when ``col`` is not one of ``columns``.

    Examples
    --------
    >>> check_column('fare', ['fare_amount', 'tip'])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
      ...
    KeyError: "groupby: column 'fare' not found; did you mean 'fare_amount'? Columns: [...]"
    """
    if col in columns:
        return
    close = closest(col, columns)
    hint = f"; did you mean {close!r}?" if close is not None else "."
    raise KeyError(f"{what}: column {col!r} not found{hint} Columns: {list(columns)}")


def normalize_outputs(
    arg: Any, columns: list, selected: Any = None, named: dict | None = None, ddof: int = 1
) -> Outputs:
    """Parse what ``agg`` was given into :class:`Outputs`.

    ``columns`` are the aggregated (non-key) columns; ``selected`` is the column
    name of a SeriesGroupBy (None for a DataFrameGroupBy).

    Examples
    --------
    >>> normalize_outputs(['sum', 'mean'], ['b']).outputs
    [(('b', 'sum'), 'b', 'sum', 1), (('b', 'mean'), 'b', 'mean', 1)]
    >>> normalize_outputs(None, ['b', 'c'], named={'t': ('b', 'sum')}).outputs
    [('t', 'b', 'sum', 1)]
    """
    if named:
        if arg is not None:
            raise TypeError("agg: pass either a function/list/dict or named aggregations, not both")
        outs = []
        for label, spec in named.items():
            if hasattr(spec, "column") and hasattr(spec, "aggfunc"):  # pd.NamedAgg
                spec = (spec.column, spec.aggfunc)
            if selected is not None and not isinstance(spec, tuple):
                outs.append((label, selected, func_name(spec), ddof))
                continue
            if not (isinstance(spec, tuple) and len(spec) == 2):
                raise TypeError(
                    f"agg: named aggregation {label}={spec!r} must be a (column, func) tuple "
                    "or pd.NamedAgg(column=..., aggfunc=...)"
                )
            check_column(spec[0], columns, "agg")
            outs.append((label, spec[0], func_name(spec[1]), ddof))
        return Outputs(outs, False, False)
    if arg is None:
        raise TypeError("agg: give a function name, a list, a dict or named aggregations")
    if isinstance(arg, dict):
        if selected is not None:
            raise TypeError(
                "agg: a dict is not supported on a selected column (SeriesGroupBy); use named "
                "aggregations like agg(total='sum')"
            )
        multi = any(isinstance(v, (list, tuple)) for v in arg.values())
        outs = []
        for col, fs in arg.items():
            check_column(col, columns, "agg")
            for f in fs if isinstance(fs, (list, tuple)) else [fs]:
                name = func_name(f)
                outs.append(((col, _label(name)) if multi else col, col, name, ddof))
        return Outputs(outs, False, multi)
    if isinstance(arg, (list, tuple)):
        names = [func_name(f) for f in arg]
        if selected is not None:
            return Outputs([(_label(n), selected, n, ddof) for n in names], False, False)
        outs = [((c, _label(n)), c, n, ddof) for c in columns for n in names]
        return Outputs(outs, False, True)
    name = func_name(arg)
    if selected is not None:
        return Outputs([(selected, selected, name, ddof)], True, False)
    if name == "size":
        return Outputs([(None, None, "size", ddof)], True, False)
    return Outputs([(c, c, name, ddof) for c in columns], False, False)


def _label(func: Any) -> str:
    return func.name if isinstance(func, Aggregation) else func


class Plan(NamedTuple):
    """Primitives per column, their positions in a partial, and how they merge.

    Examples
    --------
    >>> plan = make_plan([('x', 'x', 'mean', 1), ('n', 'x', 'nunique', 1)])
    >>> plan.prims, plan.unique_cols
    ([('x', 'sum'), ('x', 'count')], ['x'])
    """

    prims: list  # [(column, prim)] in partial column order (no nunique)
    unique_cols: list  # columns needing distinct (keys, value) rows
    pos: dict  # (column, prim) -> position
    customs: list = []  # [(column, Aggregation)]


def make_plan(outputs: list) -> Plan:
    """The primitives ``outputs`` need, each once.

    Examples
    --------
    >>> make_plan([('b', 'b', 'var', 1)]).prims
    [('b', 'count'), ('b', 'sum'), ('b', 'm2')]
    """
    prims: list = []
    uniq: list = []
    customs: list = []
    for _, col, func, _ in outputs:
        if isinstance(func, Aggregation):
            if (col, func) not in customs:
                customs.append((col, func))
            continue
        for p in _PRIMS[func]:
            key = (None, "size") if p == "size" else (col, p)
            if p == "nunique":
                if col not in uniq:
                    uniq.append(col)
            elif key not in prims:
                prims.append(key)
    return Plan(prims, uniq, {k: i for i, k in enumerate(prims)}, customs)


def group_keys(part: pd.DataFrame, by: list, key_parts: tuple) -> list:
    """The keys for ``part.groupby``: column names, and partitions of Series keys.

    Examples
    --------
    >>> group_keys(pd.DataFrame({'a': [1]}), [('col', 'a'), ('series', 0)], (pd.Series([2]),))
    ['a', 0    2
    dtype: int64]
    """
    return [b[1] if b[0] == "col" else key_parts[b[1]] for b in by]


def _key_arrays(part: pd.DataFrame, keys: list) -> dict:
    return {
        f"_k{i}": (part[k] if isinstance(k, str) or not hasattr(k, "array") else k).array
        for i, k in enumerate(keys)
    }


def chunk(
    part: pd.DataFrame,
    *key_parts: Any,
    by: list,
    plan: Plan,
    dropna: bool = True,
    observed: bool = True,
) -> tuple:
    """One partition's partial: ``(frame of primitives, {column: distinct (keys, value)})``.

    Examples
    --------
    >>> df = pd.DataFrame({'a': [1, 1, 2], 'b': [1.0, 2.0, 3.0]})
    >>> part = chunk(df, by=[('col', 'a')], plan=make_plan([('b', 'b', 'mean', 1)]))[0]
    >>> part  # doctest: +NORMALIZE_WHITESPACE
         0  1
    a
    1  3.0  2
    2  3.0  1
    """
    keys = group_keys(part, by, key_parts)
    g = part.groupby(
        keys if len(keys) > 1 else keys[0], sort=False, dropna=dropna, observed=observed
    )
    out: dict = {}
    kinds: dict = defaultdict(list)
    for col, prim in plan.prims:
        kinds[prim].append(col)
    for prim, cols in kinds.items():
        if prim == "m2":
            continue
        if prim == "size":
            out[plan.pos[(None, "size")]] = g.size()
            continue
        if len(cols) == 1:  # a SeriesGroupBy is faster than a one-column frame
            out[plan.pos[(cols[0], prim)]] = getattr(g[cols[0]], prim)()
            continue
        res = getattr(g[cols], prim)()
        for col in cols:
            out[plan.pos[(col, prim)]] = res[col]
    if "m2" in kinds:
        cols = kinds["m2"]
        var = g[cols].var(ddof=0) if len(cols) > 1 else g[cols[0]].var(ddof=0).to_frame(cols[0])
        for col in cols:
            n = out[plan.pos[(col, "count")]]
            out[plan.pos[(col, "m2")]] = (var[col] * n).where(n > 0, 0.0)
    frame = _frame_of([out[i] for i in range(len(plan.prims))]) if out else None
    uniq = {}
    if plan.unique_cols:
        karr = _key_arrays(part, keys)
        for col in plan.unique_cols:
            d = pd.DataFrame({**karr, "_v": part[col].array})
            if dropna:
                d = d.dropna(subset=list(karr))
            uniq[col] = d.drop_duplicates()
    return frame, uniq, (custom_chunk(g, plan.customs) if plan.customs else {})


def _frame_of(series: list) -> pd.DataFrame:
    """Columns ``0..n-1`` from Series that share one index (no alignment needed)."""
    index = series[0].index
    if all(s.index is index or s.index.equals(index) for s in series[1:]):
        return pd.DataFrame({i: s.array for i, s in enumerate(series)}, index=index, copy=False)
    return pd.concat(series, axis=1, keys=range(len(series)))


def _levels(frame: pd.DataFrame) -> Any:
    n = frame.index.nlevels
    return list(range(n)) if n > 1 else 0


def combine(parts: list, plan: Plan) -> tuple:
    """Merge partials (in partition order, so ``first``/``last`` and group order hold).

    Examples
    --------
    >>> p = make_plan([('b', 'b', 'sum', 1)])
    >>> df = pd.DataFrame({'a': [1, 2, 1], 'b': [1, 2, 3]})
    >>> combine([chunk(df[:2], by=[('col', 'a')], plan=p),  # doctest: +NORMALIZE_WHITESPACE
    ...          chunk(df[2:], by=[('col', 'a')], plan=p)], p)[0]
       0
    a
    1  4
    2  2
    """
    frames = [p[0] for p in parts if p[0] is not None]
    frame = None
    if frames:
        cat = pd.concat(frames) if len(frames) > 1 else frames[0]
        cg = cat.groupby(level=_levels(cat), sort=False, dropna=False, observed=True)
        by_op: dict = defaultdict(list)
        m2 = []
        for i, (_, prim) in enumerate(plan.prims):
            (m2 if prim == "m2" else by_op[_MERGE[prim]]).append(i)
        res = [getattr(cg[cols], op)() for op, cols in by_op.items()]
        if m2:
            res.append(_merge_m2(cat, cg, plan, m2))
        frame = pd.concat(res, axis=1)[list(range(len(plan.prims)))] if len(res) > 1 else res[0]
    uniq = {}
    for col in plan.unique_cols:
        uniq[col] = pd.concat([p[1][col] for p in parts]).drop_duplicates()
    customs = custom_combine([p[2] for p in parts], plan.customs) if plan.customs else {}
    return frame, uniq, customs


def _merge_m2(cat: pd.DataFrame, cg: Any, plan: Plan, m2_pos: list) -> pd.DataFrame:
    """Chan's merge: ``M2 = sum(M2_i + (s_i - n_i * mean)^2 / n_i)`` per group."""
    out = {}
    for i in m2_pos:
        col = plan.prims[i][0]
        pn, ps = plan.pos[(col, "count")], plan.pos[(col, "sum")]
        n, s = cat[pn].astype("float64"), cat[ps].astype("float64")
        ntot = cg[pn].transform("sum").astype("float64")
        stot = cg[ps].transform("sum").astype("float64")
        with np.errstate(invalid="ignore", divide="ignore"):
            dev = ((s - n * (stot / ntot)) ** 2 / n).where(n > 0, 0.0)
        out[i] = cat[i] + dev
    terms = pd.DataFrame(out, index=cat.index)
    return terms.groupby(level=_levels(cat), sort=False, dropna=False, observed=True).sum()


def _finish_one(frame: Any, plan: Plan, col: Any, func: str, ddof: int) -> pd.Series:
    def get(prim: str) -> pd.Series:
        return frame[plan.pos[(None, "size") if prim == "size" else (col, prim)]]

    if func in ("sum", "count", "size", "min", "max", "first", "last", "prod"):
        return get(func)
    if func == "mean":
        with np.errstate(invalid="ignore", divide="ignore"):
            return get("sum") / get("count")
    n = get("count").astype("float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        var = (get("m2") / (n - ddof)).where(n - ddof > 0, np.nan)
    return np.sqrt(var) if func == "std" else var


def finish(
    parts: list,
    plan: Plan,
    outputs: Outputs,
    sort: bool = True,
    key_names: list | None = None,
    meta: Any = None,
) -> Any:
    """Merge the last partials and build the pandas result of the aggregation.

    Examples
    --------
    >>> df = pd.DataFrame({'a': [2, 1, 2], 'b': [1, 2, 3]})
    >>> outs = normalize_outputs(None, ['b'], named={'n': ('b', 'nunique')})
    >>> plan = make_plan(outs.outputs)
    >>> out = finish([chunk(df, by=[('col', 'a')], plan=plan)], plan, outs, key_names=['a'])
    >>> out  # doctest: +NORMALIZE_WHITESPACE
       n
    a
    1  1
    2  2
    """
    frame, uniq, customs = combine(parts, plan) if len(parts) > 1 else parts[0]
    index = frame.index if frame is not None else None
    done = custom_finish([customs], plan.customs) if plan.customs else {}
    for i, res in done.items():
        if index is None:
            index = res.index
            if key_names:
                index.names = key_names
        done[i] = res.reindex(index) if not res.index.equals(index) else res
    nuniq = {}
    for col, d in uniq.items():
        kc = [c for c in d.columns if c != "_v"]
        nu = d.groupby(kc if len(kc) > 1 else kc[0], sort=False, dropna=False, observed=True)[
            "_v"
        ].nunique()
        nu.index.names = key_names if key_names else nu.index.names
        if index is None:
            index = nu.index
        else:
            nu = nu.reindex(index, fill_value=0)
        nuniq[col] = nu
    cols = []
    for label, col, func, ddof in outputs.outputs:
        if isinstance(func, Aggregation):
            s = done[plan.customs.index((col, func))]
        elif func == "nunique":
            s = nuniq[col]
        else:
            s = _finish_one(frame, plan, col, func, ddof)
        cols.append(s.rename(label))
    if outputs.series:
        out = cols[0]
    else:
        out = pd.concat(cols, axis=1) if cols else pd.DataFrame(index=index)
        labels = [o[0] for o in outputs.outputs]
        out.columns = pd.MultiIndex.from_tuples(labels) if outputs.multi else pd.Index(labels)
    if sort:
        out = out.sort_index()
    return conform(out, meta)


def conform(out: Any, meta: Any) -> Any:
    """Give ``out`` the names and (where lossless) the dtypes of ``meta``.

    Examples
    --------
    >>> conform(pd.Series([1.0], name='x'), pd.Series([], dtype='int64', name='y'))
    0    1
    Name: y, dtype: int64
    """
    if meta is None:
        return out
    if isinstance(out, pd.Series) and isinstance(meta, pd.Series):
        out.name = meta.name
        out = _cast(out, meta.dtype)
    elif isinstance(out, pd.DataFrame) and isinstance(meta, pd.DataFrame):
        if len(out.columns) == len(meta.columns):
            out.columns = meta.columns
            for c, dt in enumerate(meta.dtypes):
                if out.dtypes.iloc[c] != dt:
                    out.isetitem(c, _cast(out.iloc[:, c], dt))
    if out.index.nlevels == meta.index.nlevels:
        out.index.names = meta.index.names
    return out


def _cast(s: pd.Series, dtype: Any) -> pd.Series:
    """``s.astype(dtype)`` unless that would lose values (floats with NaN to ints)."""
    if s.dtype == dtype:
        return s
    if s.dtype.kind == "f" and getattr(dtype, "kind", "O") in "iub" and s.isna().any():
        return s
    try:
        return s.astype(dtype)
    except (TypeError, ValueError):
        return s
