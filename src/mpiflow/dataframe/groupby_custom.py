"""User-defined groupby aggregations: :class:`Aggregation` (Dask's ``dd.Aggregation``).

An Aggregation is three functions on pandas groupby objects:

``chunk(grouped_column)``
    Runs on each partition's ``SeriesGroupBy``; returns a Series indexed by
    the groups, or a tuple of them.
``agg(*grouped_partials)``
    Runs on the concatenated partials, each grouped by its index (one
    ``SeriesGroupBy`` per element of ``chunk``'s tuple), in every merge step
    of the tree and once at the end; returns a Series or a tuple.
``finalize(*aggregated)`` (optional)
    Turns the last ``agg`` result into the output column.

Examples
--------
>>> import pandas as pd
>>> import mpiflow.dataframe as dd
>>> custom_mean = Aggregation(
...     'custom_mean',
...     chunk=lambda s: (s.count(), s.sum()),
...     agg=lambda count, total: (count.sum(), total.sum()),
...     finalize=lambda count, total: total / count,
... )
>>> df = dd.from_pandas(pd.DataFrame({'k': [1, 2, 1], 'v': [1.0, 2.0, 4.0]}), npartitions=2)
>>> df.groupby('k').v.agg(custom_mean).compute().to_dict()
{1: 2.5, 2: 2.0}
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

__all__ = ["Aggregation"]


class Aggregation:
    """A user-defined groupby aggregation made of ``chunk``, ``agg`` and ``finalize``.

    Parameters
    ----------
    name : str
        The aggregation's name (the column label in ``agg([...])`` results).
    chunk : callable
        ``chunk(SeriesGroupBy) -> Series or tuple of Series`` per partition.
    agg : callable
        ``agg(*SeriesGroupBy) -> Series or tuple`` on concatenated partials.
    finalize : callable, optional
        ``finalize(*Series) -> Series`` on the last ``agg`` result.

    Examples
    --------
    >>> import pandas as pd
    >>> import mpiflow.dataframe as dd
    >>> spread = Aggregation('spread', chunk=lambda s: (s.max(), s.min()),
    ...                      agg=lambda hi, lo: (hi.max(), lo.min()),
    ...                      finalize=lambda hi, lo: hi - lo)
    >>> df = dd.from_pandas(pd.DataFrame({'k': [1, 1, 2], 'v': [1, 5, 2]}), npartitions=2)
    >>> df.groupby('k').agg({'v': spread}).compute().v.to_dict()
    {1: 4, 2: 0}
    """

    def __init__(
        self, name: str, chunk: Callable, agg: Callable, finalize: Callable | None = None
    ) -> None:
        if not isinstance(name, str):
            raise TypeError(f"Aggregation: name must be a str, got {type(name).__name__}")
        for what, f in (("chunk", chunk), ("agg", agg)):
            if not callable(f):
                raise TypeError(f"Aggregation {name!r}: {what} must be callable, got {f!r}")
        if finalize is not None and not callable(finalize):
            raise TypeError(f"Aggregation {name!r}: finalize must be callable or None")
        self.name = name
        self.chunk = chunk
        self.agg = agg
        self.finalize = finalize

    def __repr__(self) -> str:
        return f"Aggregation({self.name!r})"

    def __reduce__(self):
        return (Aggregation, (self.name, self.chunk, self.agg, self.finalize))


def _tuple(x: Any) -> tuple:
    return x if isinstance(x, tuple) else (x,)


def custom_chunk(grouped: Any, customs: list) -> dict:
    """``{i: tuple of Series}``: each custom aggregation's chunk on its column.

    Examples
    --------
    >>> g = pd.DataFrame({'k': [1, 1], 'v': [2, 3]}).groupby('k')
    >>> custom_chunk(g, [('v', Aggregation('s', lambda s: s.sum(), lambda s: s.sum()))])[0][0]
    k
    1    5
    Name: v, dtype: int64
    """
    return {i: _tuple(a.chunk(grouped[col])) for i, (col, a) in enumerate(customs)}


def _grouped(s: pd.Series) -> Any:
    n = s.index.nlevels
    return s.groupby(level=list(range(n)) if n > 1 else 0, sort=False, dropna=False, observed=True)


def custom_combine(pieces: list, customs: list) -> dict:
    """Concatenate each partial element across ``pieces`` and run ``agg`` on them, grouped.

    Examples
    --------
    >>> a = Aggregation('s', lambda s: s.sum(), lambda s: s.sum())
    >>> p = [{0: (pd.Series([1], index=[7]),)}, {0: (pd.Series([2], index=[7]),)}]
    >>> custom_combine(p, [('v', a)])[0][0].to_dict()
    {7: 3}
    """
    out = {}
    for i, (_, a) in enumerate(customs):
        elems = [p[i] for p in pieces]
        cats = [pd.concat([e[j] for e in elems]) for j in range(len(elems[0]))]
        out[i] = _tuple(a.agg(*[_grouped(c) for c in cats]))
    return out


def custom_finish(pieces: list, customs: list) -> dict:
    """``{i: Series}``: the last ``agg`` (always run once) and ``finalize``.

    Examples
    --------
    >>> a = Aggregation('n', lambda s: s.count(), lambda s: s.sum(), lambda s: s * 10)
    >>> custom_finish([{0: (pd.Series([2], index=[1]),)}], [('v', a)])[0].to_dict()
    {1: 20}
    """
    merged = custom_combine(pieces, customs)
    out = {}
    for i, (_, a) in enumerate(customs):
        res = merged[i]
        out[i] = a.finalize(*res) if a.finalize is not None else res[0]
    return out
