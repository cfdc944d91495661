"""Making frames from memory and converting them back.

:func:`from_pandas`, :func:`from_dict`, :func:`from_array`, :func:`from_delayed`,
and the reverse: :func:`to_delayed`, :func:`to_array`.

Examples
--------
>>> import pandas as pd
>>> df = from_pandas(pd.DataFrame({'a': range(5)}), npartitions=2)
>>> df.divisions, [len(p.compute()) for p in to_delayed(df)]
((0, 3, 4), [3, 2])
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from mpiflow.core.layers import LayeredGraph
from mpiflow.core.tokenize import tokenize
from mpiflow.dataframe.layers import new_graph
from mpiflow.dataframe.meta import check_meta, make_meta

__all__ = [
    "from_pandas",
    "from_dict",
    "from_array",
    "from_delayed",
    "to_delayed",
    "to_array",
    "sorted_division_locations",
]


def sorted_division_locations(
    index: pd.Index, chunksize: int, npartitions: int | None = None
) -> tuple[list, list]:
    """Cut a sorted index every ``chunksize`` rows without splitting equal labels.

    With ``npartitions`` the cuts are the fixed positions ``i * chunksize``
    (each moved to the start of its run of equal labels), so there are at most
    ``npartitions`` partitions; otherwise a cut moved back starts the next
    chunk, keeping partitions near ``chunksize`` rows.

    Returns
    -------
    (divisions, locations)
        Labels at the cuts (plus the last label) and row positions of the cuts
        (plus the length).

    Examples
    --------
    >>> import pandas as pd
    >>> sorted_division_locations(pd.Index([0, 1, 1, 1, 2, 3]), 2)
    ([0, 1, 2, 3], [0, 1, 4, 6])
    >>> sorted_division_locations(pd.Index([0, 1, 1, 1, 2, 3]), 2, npartitions=3)
    ([0, 1, 2, 3], [0, 1, 4, 6])
    >>> sorted_division_locations(pd.Index([-1, 0, 0, 1]), 2, npartitions=2)
    ([-1, 0, 1], [0, 1, 4])
    """
    n = len(index)
    locs = [0]
    values = index.to_numpy() if not isinstance(index, pd.RangeIndex) else None

    def cut(pos: int) -> int:
        if values is None:
            return pos
        p = int(index.searchsorted(values[pos], side="left"))
        if p <= locs[-1]:  # a run of one label longer than a chunk: cut after it
            p = int(index.searchsorted(values[pos], side="right"))
        return p

    if npartitions is not None:
        for i in range(1, npartitions):
            pos = i * chunksize
            if pos >= n:
                break
            p = cut(pos)
            if locs[-1] < p < n:
                locs.append(p)
    else:
        pos = chunksize
        while pos < n:
            p = cut(pos)
            if p >= n:
                break
            if p > locs[-1]:
                locs.append(p)
            pos = max(p + 1, locs[-1] + chunksize)
    divisions = index[locs].tolist() + [index[n - 1 : n].tolist()[0]]
    locs.append(n)
    return divisions, locs


def from_pandas(
    data: Any,
    npartitions: int | None = None,
    chunksize: int | None = None,
    sort: bool = True,
    name: str | None = None,
) -> Any:
    """Cut a pandas DataFrame or Series into partitions.

    Parameters
    ----------
    data : pandas.DataFrame, pandas.Series or pandas.Index
        The data.
    npartitions : int, optional
        Number of partitions (default 1). Give this or ``chunksize``.
    chunksize : int, optional
        Rows per partition.
    sort : bool
        Sort by the index and record the divisions (known divisions). With
        ``False`` the rows keep their order and divisions are unknown.
    name : str, optional
        Layer name (default: ``from_pandas-<token>``).

    Examples
    --------
    >>> import pandas as pd
    >>> df = from_pandas(pd.DataFrame({'a': [3, 1, 2]}, index=[30, 10, 20]), npartitions=2)
    >>> df.divisions, df.a.compute().tolist()
    ((10, 30, 30), [1, 2, 3])
    >>> from_pandas(pd.Series(range(5)), chunksize=2).npartitions
    3
    """
    from mpiflow.dataframe.core import new_collection

    if not isinstance(data, (pd.DataFrame, pd.Series, pd.Index)):
        raise TypeError(
            f"from_pandas expects a pandas DataFrame or Series, got {type(data).__name__}; "
            "use from_array for NumPy arrays or from_dict for dicts"
        )
    if npartitions is not None and chunksize is not None:
        raise ValueError("from_pandas: pass npartitions or chunksize, not both")
    if npartitions is None and chunksize is None:
        npartitions = 1
    if npartitions is not None and (
        not isinstance(npartitions, (int, np.integer)) or npartitions < 1
    ):
        raise ValueError(
            f"from_pandas: npartitions must be a positive integer, got {npartitions!r}"
        )
    if chunksize is not None and (not isinstance(chunksize, (int, np.integer)) or chunksize < 1):
        raise ValueError(f"from_pandas: chunksize must be a positive integer, got {chunksize!r}")
    n = len(data)
    if chunksize is None:
        chunksize = max(1, math.ceil(n / npartitions))
    index = data if isinstance(data, pd.Index) else data.index
    if name is None:
        name = f"from_pandas-{tokenize(data, npartitions, chunksize, sort)}"
    if sort and n and not index.is_monotonic_increasing:
        if isinstance(data, pd.Index):
            data = data.sort_values()
        else:
            data = data.sort_index()
        index = data if isinstance(data, pd.Index) else data.index
    if n == 0:
        divisions: list = [None, None]
        locs = [0, 0]
    elif sort and not index.hasnans:
        divisions, locs = sorted_division_locations(index, chunksize, npartitions)
    else:
        locs = list(range(0, n, chunksize)) + [n]
        divisions = [None] * len(locs)
    layer = {(name, i): data[locs[i] : locs[i + 1]] for i in range(len(locs) - 1)}
    if not isinstance(data, pd.Index):
        layer = {k: data.iloc[locs[i] : locs[i + 1]] for i, k in enumerate(layer)}
    return new_collection(
        LayeredGraph.from_layer(name, layer), name, make_meta(data), tuple(divisions)
    )


def from_dict(
    data: dict,
    npartitions: int = 1,
    orient: str = "columns",
    dtype: Any = None,
    columns: Any = None,
    sort: bool = True,
) -> Any:
    """A partitioned DataFrame from a dict (as ``pandas.DataFrame.from_dict``).

    Examples
    --------
    >>> df = from_dict({'a': [1, 2, 3], 'b': list('xyz')}, npartitions=2)
    >>> df.npartitions, df.b.compute().tolist()
    (2, ['x', 'y', 'z'])
    """
    pdf = pd.DataFrame.from_dict(data, orient=orient, dtype=dtype, columns=columns)
    return from_pandas(pdf, npartitions=npartitions, sort=sort)


def _array_block_to_frame(block: Any, columns: Any, start: int, kind: str) -> Any:
    index = pd.RangeIndex(start, start + len(block))
    if kind == "series":
        return pd.Series(block, index=index, name=columns)
    if block.dtype.names:
        return pd.DataFrame.from_records(block, index=index, columns=columns)
    return pd.DataFrame(block, index=index, columns=columns)


def from_array(x: Any, chunksize: int = 50000, columns: Any = None, meta: Any = None) -> Any:
    """A frame from a 1-D (Series) or 2-D / structured (DataFrame) NumPy or mpiflow array.

    Parameters
    ----------
    x : numpy.ndarray or mpiflow.array.Array
        The values; an mpiflow array keeps its row chunks as partitions.
    chunksize : int
        Rows per partition for a NumPy array.
    columns : list or str, optional
        Column names (the Series name for 1-D input).
    meta : pandas object, optional
        Ignored unless given: the expected schema.

    Examples
    --------
    >>> import numpy as np
    >>> df = from_array(np.arange(6).reshape(3, 2), chunksize=2, columns=['a', 'b'])
    >>> df.divisions, df.b.compute().tolist()
    ((0, 2, 2), [1, 3, 5])
    >>> import mpiflow.array as da
    >>> from_array(da.arange(5, chunks=2)).divisions
    (0, 2, 4, 4)
    """
    from mpiflow.array.core import Array
    from mpiflow.dataframe.core import new_collection

    if not isinstance(x, Array):
        x = np.asarray(x)
        if x.ndim not in (1, 2):
            raise ValueError(f"from_array takes a 1-D or 2-D array, got {x.ndim} dimensions")
        if x.ndim == 1 and not x.dtype.names:
            pdf: Any = pd.Series(x, name=columns)
        elif x.dtype.names:
            pdf = pd.DataFrame.from_records(x, columns=columns)
        else:
            pdf = pd.DataFrame(x, columns=columns)
        return from_pandas(pdf, chunksize=chunksize)
    if x.ndim not in (1, 2):
        raise ValueError(f"from_array takes a 1-D or 2-D array, got {x.ndim} dimensions")
    if x.ndim == 2 and len(x.chunks[1]) > 1:
        x = x.rechunk({1: x.shape[1]})
    if any(isinstance(c, float) and math.isnan(c) for c in x.chunks[0]):
        raise ValueError(
            "from_array: the array has unknown chunk lengths; call x.compute_chunk_sizes() first"
        )
    kind = "series" if x.ndim == 1 and not x.dtype.names else "frame"
    empty = np.empty((0, *x.shape[1:]), dtype=x.dtype)
    if kind == "frame" and x.ndim == 2 and columns is None:
        columns = list(range(x.shape[1]))
    meta_ = _array_block_to_frame(empty, columns, 0, kind)
    if meta is not None:
        meta_ = make_meta(meta)
    name = f"from_array-{tokenize(x.name, columns)}"
    starts = np.concatenate([[0], np.cumsum(x.chunks[0])]).astype(int).tolist()
    layer = {}
    for i in range(len(x.chunks[0])):
        key = (x.name, i) if x.ndim == 1 else (x.name, i, 0)
        layer[(name, i)] = (_array_block_to_frame, key, columns, starts[i], kind)
    n = starts[-1]
    divisions = tuple(starts[:-1]) + (max(n - 1, 0),) if n else (None, None)
    if not n:
        layer = {(name, 0): (_array_block_to_frame, (x.name,) + (0,) * x.ndim, columns, 0, kind)}
    graph = new_graph(name, layer, [x])
    return new_collection(graph, name, meta_, divisions)


def _check_partition(part: Any, meta: Any) -> Any:
    return check_meta(part, meta, "from_delayed")


def _index_bounds(part: Any) -> tuple:
    idx = part.index
    if not len(idx):
        return (None, None, True, 0)
    lo, hi = pd.Index([idx.min(), idx.max()], dtype=idx.dtype).tolist()  # Python scalars
    return (lo, hi, bool(idx.is_monotonic_increasing), len(idx))


def _sorted_divisions(dfs: list) -> tuple:
    """Compute the divisions of partitions sorted by index (``divisions='sorted'``)."""
    from mpiflow.base import compute
    from mpiflow.delayed import delayed

    bounds = compute(*[delayed(_index_bounds)(d) for d in dfs])
    for i, (lo, _hi, mono, n) in enumerate(bounds):
        if not n or not mono:
            raise ValueError(
                f"from_delayed(divisions='sorted'): partition {i} is "
                f"{'empty' if not n else 'not sorted by its index'}; sort each partition "
                "(or pass divisions=None)"
            )
        if i and not bounds[i - 1][1] < lo:
            raise ValueError(
                f"from_delayed(divisions='sorted'): partition {i} starts at {lo!r}, not after "
                f"the end of partition {i - 1} ({bounds[i - 1][1]!r}); the partitions must "
                "be sorted and must not overlap"
            )
    return tuple(b[0] for b in bounds) + (bounds[-1][1],)


def from_delayed(
    dfs: Any,
    meta: Any = None,
    divisions: Any = None,
    prefix: str = "from-delayed",
    verify_meta: bool = True,
) -> Any:
    """A frame whose partitions are the values of Delayed objects.

    Parameters
    ----------
    dfs : Delayed or list of Delayed
        One per partition, each computing a pandas DataFrame or Series.
    meta : pandas object, dict or tuple, optional
        Schema of the partitions; when not given the first one is computed to find it.
    divisions : tuple or 'sorted', optional
        Known divisions (``npartitions + 1`` values), ``'sorted'`` to compute them
        (each partition sorted, partitions in order), default unknown.
    prefix : str
        Layer name prefix.
    verify_meta : bool
        Check every partition against ``meta`` when computing.

    Examples
    --------
    >>> import pandas as pd
    >>> from mpiflow.delayed import delayed
    >>> parts = [delayed(pd.DataFrame)({'a': [i, i + 1]}) for i in (0, 10)]
    >>> df = from_delayed(parts, meta={'a': 'i8'})
    >>> df.npartitions, df.a.compute().tolist()
    (2, [0, 1, 10, 11])
    """
    from mpiflow.dataframe.core import new_collection
    from mpiflow.delayed import Delayed

    if isinstance(dfs, Delayed):
        dfs = [dfs]
    dfs = list(dfs)
    if not dfs:
        raise ValueError("from_delayed needs at least one Delayed object")
    for d in dfs:
        if not isinstance(d, Delayed):
            raise TypeError(
                f"from_delayed expects Delayed objects, got a {type(d).__name__}; wrap the "
                "function producing each partition with mpiflow.delayed"
            )
    if meta is None:
        meta = make_meta(dfs[0].compute())
    else:
        meta = make_meta(meta)
    if divisions is None:
        divisions = (None,) * (len(dfs) + 1)
    elif isinstance(divisions, str):
        if divisions != "sorted":
            raise ValueError(f"from_delayed: divisions={divisions!r}; pass a tuple or 'sorted'")
        divisions = _sorted_divisions(dfs)
    divisions = tuple(divisions)
    if len(divisions) != len(dfs) + 1:
        raise ValueError(
            f"from_delayed: divisions must have len(dfs) + 1 = {len(dfs) + 1} entries, "
            f"got {len(divisions)}"
        )
    name = f"{prefix}-{tokenize(*[d.key for d in dfs], meta, divisions)}"
    if verify_meta:
        layer = {(name, i): (_check_partition, d.key, meta) for i, d in enumerate(dfs)}
    else:
        layer = {(name, i): d.key for i, d in enumerate(dfs)}
    graph = new_graph(name, layer, dfs)
    return new_collection(graph, name, meta, divisions)


def to_delayed(frame: Any, optimize_graph: bool = True) -> list:
    """The partitions of ``frame`` as a list of Delayed values.

    Examples
    --------
    >>> import pandas as pd
    >>> parts = to_delayed(from_pandas(pd.Series(range(4)), npartitions=2) * 2)
    >>> parts[1].compute().tolist()
    [4, 6]
    """
    from mpiflow.delayed import Delayed

    keys = frame.__mpiflow_keys__()
    if optimize_graph:
        dsk = frame.__mpiflow_optimize__(frame.graph, keys)
    else:
        dsk = frame.graph.to_dict()
    return [Delayed(k, dsk) for k in keys]


def _values(part: Any) -> np.ndarray:
    return part.to_numpy() if not isinstance(part, pd.Index) else part.to_numpy()


def to_array(frame: Any, lengths: Any = None, meta: Any = None) -> Any:
    """An mpiflow Array of the values of ``frame`` (one block per partition).

    Parameters
    ----------
    frame : DataFrame, Series or Index
        The collection.
    lengths : bool or sequence of int, optional
        ``True`` computes the partition lengths so the chunks are known; a
        sequence gives them; default unknown (NaN) lengths.
    meta : numpy.ndarray, optional
        Ignored (Dask compatibility).

    Examples
    --------
    >>> import pandas as pd
    >>> s = from_pandas(pd.Series([1., 2., 3.]), npartitions=2)
    >>> to_array(s).chunks
    ((nan, nan),)
    >>> x = to_array(s, lengths=True)
    >>> x.chunks, x.sum().compute()
    (((2, 1),), np.float64(6.0))
    """
    from mpiflow.array.core import Array
    from mpiflow.array.layers import BlockwiseLayer

    n = frame.npartitions
    if lengths is True:
        lengths = tuple(int(v) for v in frame.map_partitions(len).compute())
    if lengths is None:
        rows: tuple = (math.nan,) * n
    else:
        rows = tuple(int(v) for v in lengths)
        if len(rows) != n:
            raise ValueError(
                f"to_array: lengths has {len(rows)} entries but the frame has {n} partitions"
            )
    meta_ = frame._meta
    dtype = meta_.to_numpy().dtype if not isinstance(meta_, pd.Index) else meta_.dtype
    if not isinstance(dtype, np.dtype):
        dtype = np.dtype(object)
    name = f"to_array-{tokenize(frame._name_, rows)}"
    if isinstance(meta_, pd.DataFrame):
        layer = BlockwiseLayer(
            name,
            (".p", ".c"),
            _values,
            [("arr", frame._name_, (".p",), (n,))],
            {".p": n, ".c": 1},
        )
        chunks: Sequence = (rows, (len(meta_.columns),))
    else:
        layer = BlockwiseLayer(
            name, (".p",), _values, [("arr", frame._name_, (".p",), (n,))], {".p": n}
        )
        chunks = (rows,)
    graph = new_graph(name, layer, [frame])
    return Array(graph, name, chunks, dtype)
