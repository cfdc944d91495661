"""Text and HTML summaries of frames, made from meta and divisions only (nothing computes).

Examples
--------
>>> import pandas as pd, mpiflow.dataframe as dd
>>> df = dd.from_pandas(pd.DataFrame({'a': [1, 2, 3], 'b': [.5, 1., 2.]}), npartitions=2)
>>> df  # doctest: +NORMALIZE_WHITESPACE
mpiflow DataFrame Structure:
                   a        b
npartitions=2
0              int64  float64
2                ...      ...
2                ...      ...
mpiflow Name: from_pandas, 1 graph layer
"""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

__all__ = ["frame_repr", "frame_repr_html", "structure"]


def _short(name: str) -> str:
    from mpiflow.array.repr import _prefix

    return _prefix(name)


def structure(frame: Any) -> pd.DataFrame:
    """The "structure" table: one row per division, dtypes in the first row, ``...`` below.

    Examples
    --------
    >>> import pandas as pd, mpiflow.dataframe as dd
    >>> s = dd.from_pandas(pd.Series([1, 2], name='x'), npartitions=1)
    >>> structure(s).values.tolist()
    [['int64'], ['...']]
    """
    meta = frame._meta
    n = frame.npartitions
    if frame.known_divisions:
        index = pd.Index([str(d) for d in frame._divisions], name=f"npartitions={n}")
    else:
        index = pd.Index([""] * (n + 1), name=f"npartitions={n}")
    if isinstance(meta, pd.DataFrame):
        cols = list(meta.columns)
        dtypes = [str(d) for d in meta.dtypes]
    else:
        cols = [meta.name if meta.name is not None else ""]
        dtypes = [str(meta.dtype)]
    rows = [dtypes] + [["..."] * len(cols) for _ in range(n)]
    out = pd.DataFrame(rows, index=index)
    out.columns = pd.Index([str(c) for c in cols]) if cols else pd.Index([])
    return out


def _layers(frame: Any) -> str:
    k = len(frame._graph.layers)
    return f"{k} graph layer" + ("" if k == 1 else "s")


def frame_repr(frame: Any) -> str:
    """The text summary: kind, structure table, name and graph size.

    Examples
    --------
    >>> import pandas as pd, mpiflow.dataframe as dd
    >>> s = dd.from_pandas(pd.Series([1, 2], name='x'), npartitions=1)
    >>> print(frame_repr(s))  # doctest: +NORMALIZE_WHITESPACE
    mpiflow Series Structure:
    npartitions=1
    0    int64
    1      ...
    Name: x, dtype: int64
    mpiflow Name: from_pandas, 1 graph layer
    """
    kind = type(frame).__name__
    meta = frame._meta
    tail = f"mpiflow Name: {_short(frame._name_)}, {_layers(frame)}"
    table = structure(frame)
    if isinstance(meta, pd.DataFrame):
        if len(meta.columns) == 0:
            body = f"Empty {kind}, npartitions={frame.npartitions}"
        else:
            body = table.to_string()
        return f"mpiflow {kind} Structure:\n{body}\n{tail}"
    col = table.iloc[:, 0]
    lines = col.to_string().splitlines()
    header = f"npartitions={frame.npartitions}"
    name = f"Name: {meta.name}, " if meta.name is not None else ""
    return (
        f"mpiflow {kind} Structure:\n{header}\n"
        + "\n".join(lines[1:] if lines and lines[0].startswith("npartitions") else lines)
        + f"\n{name}dtype: {meta.dtype}\n{tail}"
    )


def frame_repr_html(frame: Any) -> str:
    """The notebook summary: the structure table as HTML plus name and graph size.

    Examples
    --------
    >>> import pandas as pd, mpiflow.dataframe as dd
    >>> out = frame_repr_html(dd.from_pandas(pd.DataFrame({'a': [1]}), npartitions=1))
    >>> out.startswith('<div><strong>mpiflow DataFrame Structure:</strong></div>')
    True
    """
    kind = type(frame).__name__
    table = structure(frame).to_html()
    return (
        f"<div><strong>mpiflow {kind} Structure:</strong></div>\n{table}\n"
        f"<div>mpiflow Name: {html.escape(_short(frame._name_))}, "
        f"{_layers(frame)}</div>"
    )
