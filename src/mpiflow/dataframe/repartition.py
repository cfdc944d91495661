"""``repartition``: the same rows cut into different partitions, in ``O(n_in + n_out)`` tasks.

- ``divisions=``: every output partition gathers the slices of the input
  partitions whose index range overlaps its own (a slice is a
  ``searchsorted`` on the sorted index, a view); a whole input partition is
  passed as it is.
- ``npartitions=`` fewer: consecutive partitions are concatenated. More:
  with known numeric or datetime divisions each partition's range is cut
  into equal sub-ranges (divisions stay known); otherwise partitions are cut
  by row count (divisions become unknown).
- ``partition_size=``: computes every partition's memory use (one pass),
  cuts big partitions by rows and joins runs of small ones.
- ``freq=``: divisions at a pandas frequency over a DatetimeIndex.

Examples
--------
>>> import pandas as pd
>>> import mpiflow.dataframe as dd
>>> df = dd.from_pandas(pd.DataFrame({'x': range(10)}), npartitions=2)
>>> repartition_divisions(df, (0, 3, 6, 9)).divisions
(0, 3, 6, 9)
>>> repartition_npartitions(df, 1).divisions
(0, 9)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mpiflow.core.spec import quote_argument
from mpiflow.core.tokenize import tokenize
from mpiflow.dataframe.layers import new_graph
from mpiflow.dataframe.shuffle import ShuffleLayer, concat_pieces

__all__ = [
    "repartition",
    "repartition_divisions",
    "repartition_npartitions",
    "repartition_size",
    "repartition_freq",
    "loc_range",
]


# --------------------------------------------------------------------------------------
# kernels
# --------------------------------------------------------------------------------------


def loc_range(df: Any, lo: Any, hi: Any, hi_closed: bool) -> Any:
    """Rows of ``df`` with ``lo <= index < hi`` (``<= hi`` when ``hi_closed``); None: unbounded.

    A ``searchsorted`` slice (a view) when the index is sorted, a mask otherwise.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.Series(range(5), index=[0, 1, 2, 3, 4])
    >>> loc_range(s, 1, 3, False).tolist(), loc_range(s, 3, None, False).tolist()
    ([1, 2], [3, 4])
    """
    idx = df.index
    if idx.is_monotonic_increasing:
        start = 0 if lo is None else idx.searchsorted(lo, side="left")
        stop = (
            len(idx) if hi is None else idx.searchsorted(hi, side="right" if hi_closed else "left")
        )
        return df.iloc[start:stop]
    mask = np.ones(len(idx), dtype=bool)
    if lo is not None:
        mask &= np.asarray(idx >= lo)
    if hi is not None:
        mask &= np.asarray(idx <= hi) if hi_closed else np.asarray(idx < hi)
    return df[mask] if isinstance(df, (pd.DataFrame, pd.Series)) else df[mask]


def _row_piece(df: Any, k: int, n: int) -> Any:
    """Piece ``k`` of ``n`` near-equal pieces by row count."""
    b = np.linspace(0, len(df), n + 1).round().astype(np.int64)
    return df.iloc[b[k] : b[k + 1]]


def _nbytes_len(df: Any) -> tuple:
    mem = df.memory_usage(deep=True, index=True)
    return int(mem.sum() if hasattr(mem, "sum") else mem), len(df)


# --------------------------------------------------------------------------------------
# divisions
# --------------------------------------------------------------------------------------


def _check_divisions(divisions: Any) -> tuple:
    if not isinstance(divisions, (list, tuple, np.ndarray, pd.Index)):
        raise TypeError(
            f"repartition: divisions must be a list or tuple of index values, got "
            f"{type(divisions).__name__}"
        )
    divisions = tuple(divisions)
    if len(divisions) < 2:
        raise ValueError(
            f"repartition: divisions={divisions!r} needs at least 2 values (one partition is "
            "(start, end))"
        )
    try:
        ok = all(a <= b for a, b in zip(divisions[:-1], divisions[1:], strict=True))
    except TypeError as e:
        raise TypeError(f"repartition: divisions {divisions!r} cannot be compared: {e}") from e
    if not ok:
        raise ValueError(f"repartition: divisions {divisions!r} must be sorted (non-decreasing)")
    return divisions


def repartition_divisions(frame: Any, divisions: Any, force: bool = False) -> Any:
    """Cut ``frame`` (known divisions) at new index ``divisions``.

    Parameters
    ----------
    frame : DataFrame or Series
        Must have known divisions.
    divisions : list or tuple
        New boundaries (``npartitions + 1`` sorted index values).
    force : bool, default False
        Allow the new divisions to reach beyond the old first/last values;
        otherwise both ends must equal the old ones.

    Returns
    -------
    DataFrame or Series

    Raises
    ------
    ValueError
        Unknown divisions, unsorted divisions, or ends that differ (without ``force``).

    Examples
    --------
    >>> import pandas as pd
    >>> import mpiflow.dataframe as dd
    >>> df = dd.from_pandas(pd.Series(range(6)), npartitions=3)
    >>> out = repartition_divisions(df, (0, 4, 5))
    >>> [len(p.compute()) for p in out.to_delayed()]
    [4, 2]
    >>> repartition_divisions(df, (-1, 5), force=True).divisions
    (-1, 5)
    """
    from mpiflow.dataframe.core import new_collection

    divisions = _check_divisions(divisions)
    old = tuple(frame.divisions)
    if not frame.known_divisions:
        raise ValueError(
            "repartition(divisions=...) needs known divisions but this frame's are unknown; "
            "call set_index(...) first (or repartition(npartitions=...))"
        )
    if divisions == old:
        return frame
    if force:
        if divisions[0] > old[0]:
            raise ValueError(
                f"repartition: the new first division {divisions[0]!r} must be <= the old one "
                f"{old[0]!r}, so no row is lost"
            )
        if divisions[-1] < old[-1]:
            raise ValueError(
                f"repartition: the new last division {divisions[-1]!r} must be >= the old one "
                f"{old[-1]!r}, so no row is lost"
            )
    elif divisions[0] != old[0] or divisions[-1] != old[-1]:
        raise ValueError(
            f"repartition: the new divisions must start and end where the old ones do "
            f"({old[0]!r} .. {old[-1]!r}), got {divisions[0]!r} .. {divisions[-1]!r}; pass "
            "force=True to allow a wider range"
        )
    name = "repartition-divisions-" + tokenize(frame._name, divisions, force)
    layer = ShuffleLayer()
    n_in, n_out = len(old) - 1, len(divisions) - 1
    for j in range(n_out):
        lo = None if j == 0 else divisions[j]
        hi = None if j == n_out - 1 else divisions[j + 1]
        refs = []
        for i in range(n_in):
            a, b, last_in = old[i], old[i + 1], i == n_in - 1
            if lo is not None and not (b > lo or (last_in and b >= lo)):
                continue  # the input ends before this output starts
            if hi is not None and not a < hi:
                continue  # the input starts after this output ends
            whole_lo = lo is None or a >= lo
            whole_hi = hi is None or b < hi or (not last_in and b <= hi)
            if whole_lo and whole_hi:
                refs.append((frame._name, i))
            else:
                key = (name + "-slice", i, j)
                layer[key] = (
                    loc_range,
                    (frame._name, i),
                    quote_argument(lo),
                    quote_argument(hi),
                    False,
                )
                refs.append(key)
        if len(refs) == 1 and refs[0][0] == frame._name:
            layer[(name, j)] = refs[0]
        elif refs:
            layer[(name, j)] = (concat_pieces, refs)
        else:
            layer[(name, j)] = frame._meta
    graph = new_graph(name, layer, [frame])
    return new_collection(graph, name, frame._meta, divisions)


# --------------------------------------------------------------------------------------
# npartitions
# --------------------------------------------------------------------------------------


def _interpolated_divisions(old: tuple, n: int) -> tuple | None:
    """Divisions that cut each old range evenly into about n pieces in all (None if impossible)."""
    lo = old[0]
    if isinstance(lo, (pd.Timestamp, np.datetime64)):
        kind = "M"
    elif isinstance(lo, (int, float, np.integer, np.floating)) and not isinstance(lo, bool):
        kind = "f" if isinstance(lo, (float, np.floating)) else "i"
    else:
        return None
    n_in = len(old) - 1
    base, extra = divmod(n, n_in)
    out: list = [old[0]]
    for i in range(n_in):
        k = base + (1 if i < extra else 0)
        a, b = old[i], old[i + 1]
        if kind == "M":
            pts = pd.date_range(pd.Timestamp(a), pd.Timestamp(b), periods=k + 1)[1:]
            pts = [pd.Timestamp(p) for p in pts]
        elif kind == "i":
            pts = sorted(set(np.linspace(a, b, k + 1).round().astype(np.int64)[1:].tolist()))
        else:
            pts = np.linspace(a, b, k + 1)[1:].tolist()
        for p in pts[:-1]:
            if p > out[-1]:
                out.append(p)
        out.append(b)
    # drop duplicate boundaries from equal old divisions
    return tuple(out)


def repartition_npartitions(frame: Any, n: int) -> Any:
    """Cut ``frame`` into ``n`` partitions.

    Fewer partitions concatenate neighbours (known divisions stay known);
    more partitions split by index range (known numeric/datetime divisions)
    or by row count (divisions become unknown).

    Examples
    --------
    >>> import pandas as pd
    >>> import mpiflow.dataframe as dd
    >>> df = dd.from_pandas(pd.DataFrame({'x': range(12)}), npartitions=4)
    >>> repartition_npartitions(df, 2).divisions
    (0, 6, 11)
    >>> repartition_npartitions(df, 8).npartitions
    8
    """
    from mpiflow.dataframe.core import new_collection

    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"repartition: npartitions={n!r} must be a positive integer")
    n = int(n)
    n_in = frame.npartitions
    if n == n_in:
        return frame
    old = tuple(frame.divisions)
    if n > n_in and frame.known_divisions:
        new = _interpolated_divisions(old, n)
        if new is not None and len(new) - 1 == n:
            return repartition_divisions(frame, new)
    name = "repartition-npartitions-" + tokenize(frame._name, n)
    layer = ShuffleLayer()
    if n < n_in:
        b = np.linspace(0, n_in, n + 1).round().astype(np.int64)
        for j in range(n):
            refs = [(frame._name, i) for i in range(b[j], b[j + 1])]
            layer[(name, j)] = refs[0] if len(refs) == 1 else (concat_pieces, refs)
        divisions = tuple(old[i] for i in b) if frame.known_divisions else (None,) * (n + 1)
    else:
        per = np.linspace(0, n, n_in + 1).round().astype(np.int64)
        j = 0
        for i in range(n_in):
            k = int(per[i + 1] - per[i])
            for p in range(k):
                layer[(name, j)] = (_row_piece, (frame._name, i), p, k)
                j += 1
        divisions = (None,) * (n + 1)
    graph = new_graph(name, layer, [frame])
    return new_collection(graph, name, frame._meta, divisions)


def repartition_size(frame: Any, partition_size: Any) -> Any:
    """Cut ``frame`` into partitions of about ``partition_size`` bytes (computes sizes once).

    Examples
    --------
    >>> import pandas as pd
    >>> import mpiflow.dataframe as dd
    >>> df = dd.from_pandas(pd.DataFrame({'x': range(1000)}), npartitions=2)
    >>> repartition_size(df, '2kB').npartitions >= 4
    True
    """
    from mpiflow.base import compute
    from mpiflow.config import parse_bytes
    from mpiflow.dataframe.core import new_collection
    from mpiflow.delayed import delayed

    size = parse_bytes(partition_size) if isinstance(partition_size, str) else partition_size
    if not isinstance(size, (int, float)) or isinstance(size, bool) or size <= 0:
        raise ValueError(
            f"repartition: partition_size={partition_size!r} must be a positive byte count "
            "such as 100_000_000 or '100MB'"
        )
    stats = compute(*[delayed(_nbytes_len)(p) for p in frame.to_delayed()])
    name = "repartition-size-" + tokenize(frame._name, size)
    layer = ShuffleLayer()
    pieces: list = []  # (ref, nbytes)
    for i, (nb, _) in enumerate(stats):
        k = max(1, int(np.ceil(nb / size)))
        if k == 1:
            pieces.append(((frame._name, i), nb))
            continue
        for p in range(k):
            key = (name + "-split", i, p)
            layer[key] = (_row_piece, (frame._name, i), p, k)
            pieces.append((key, nb / k))
    groups: list = [[]]
    acc = 0.0
    for ref, nb in pieces:
        if groups[-1] and acc + nb > size:
            groups.append([])
            acc = 0.0
        groups[-1].append(ref)
        acc += nb
    for j, refs in enumerate(groups):
        layer[(name, j)] = refs[0] if len(refs) == 1 else (concat_pieces, refs)
    graph = new_graph(name, layer, [frame])
    return new_collection(graph, name, frame._meta, (None,) * (len(groups) + 1))


def repartition_freq(frame: Any, freq: Any) -> Any:
    """Divisions every ``freq`` (a pandas offset such as ``'1D'``) over a DatetimeIndex.

    Examples
    --------
    >>> import pandas as pd
    >>> import mpiflow.dataframe as dd
    >>> pdf = pd.DataFrame({'x': range(48)}, index=pd.date_range('2024', periods=48, freq='h'))
    >>> repartition_freq(dd.from_pandas(pdf, npartitions=1), '1D').npartitions
    2
    """
    if not frame.known_divisions or not isinstance(frame.divisions[0], pd.Timestamp):
        raise TypeError(
            "repartition(freq=...) needs a DatetimeIndex with known divisions; call "
            "set_index on a datetime column first"
        )
    start, end = frame.divisions[0], frame.divisions[-1]
    inner = pd.date_range(start.ceil(freq), end, freq=freq)
    divs = sorted({start, *[t for t in inner if start < t < end], end})
    if len(divs) == 1:
        divs = [start, end]
    return repartition_divisions(frame, tuple(divs))


def repartition(
    frame: Any,
    divisions: Any = None,
    npartitions: int | None = None,
    partition_size: Any = None,
    freq: Any = None,
    force: bool = False,
) -> Any:
    """Repartition ``frame`` by exactly one of ``divisions``, ``npartitions``,
    ``partition_size`` or ``freq``.

    Examples
    --------
    >>> import pandas as pd
    >>> import mpiflow.dataframe as dd
    >>> df = dd.from_pandas(pd.DataFrame({'x': range(10)}), npartitions=5)
    >>> repartition(df, npartitions=2).npartitions
    2
    >>> repartition(df)
    Traceback (most recent call last):
      ...
    ValueError: repartition: pass exactly one of divisions=, npartitions=, partition_size= or freq= (got none)
    """  # noqa: E501
    given = {
        k: v
        for k, v in {
            "divisions": divisions,
            "npartitions": npartitions,
            "partition_size": partition_size,
            "freq": freq,
        }.items()
        if v is not None
    }
    if len(given) != 1:
        raise ValueError(
            "repartition: pass exactly one of divisions=, npartitions=, partition_size= or freq= "
            f"(got {', '.join(given) or 'none'})"
        )
    if divisions is not None:
        return repartition_divisions(frame, divisions, force=force)
    if npartitions is not None:
        return repartition_npartitions(frame, npartitions)
    if partition_size is not None:
        return repartition_size(frame, partition_size)
    return repartition_freq(frame, freq)
