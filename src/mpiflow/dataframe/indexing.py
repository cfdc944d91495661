"""Row selection: ``df.partitions[...]`` and ``df.loc[...]``.

With known divisions a label or a slice of labels only touches the
partitions that can hold it; otherwise every partition is filtered.

Examples
--------
>>> import pandas as pd, mpiflow.dataframe as dd
>>> df = dd.from_pandas(pd.DataFrame({'a': range(8)}), npartitions=4)
>>> df.loc[2:5].npartitions, df.loc[2:5].a.compute().tolist()
(2, [2, 3, 4, 5])
>>> df.partitions[[0, 3]].a.compute().tolist()
[0, 1, 6, 7]
"""

from __future__ import annotations

import bisect
from typing import Any

import numpy as np
import pandas as pd

from mpiflow.core.tokenize import tokenize
from mpiflow.dataframe.layers import new_graph

__all__ = ["PartitionSelector", "LocIndexer"]


def select_partitions(frame: Any, idx: list, divisions: tuple | None = None) -> Any:
    """A collection made of partitions ``idx`` of ``frame`` (in that order).

    Examples
    --------
    >>> import pandas as pd, mpiflow.dataframe as dd
    >>> s = dd.from_pandas(pd.Series(range(6)), npartitions=3)
    >>> select_partitions(s, [2]).compute().tolist()
    [4, 5]
    """
    from mpiflow.dataframe.core import new_collection

    name = f"partitions-{tokenize(frame._name_, idx)}"
    src = frame._name_
    layer = {(name, j): (src, i) for j, i in enumerate(idx)}
    if divisions is None:
        d = frame._divisions
        divisions = tuple(d[i] for i in idx) + (d[idx[-1] + 1],)
        if frame.known_divisions and list(idx) != sorted(set(idx)):
            divisions = (None,) * (len(idx) + 1)
    graph = new_graph(name, layer, [frame])
    return new_collection(graph, name, frame._meta, divisions)


class PartitionSelector:
    """``frame.partitions[i]``: select partitions by position (int, slice or list).

    Examples
    --------
    >>> import pandas as pd, mpiflow.dataframe as dd
    >>> s = dd.from_pandas(pd.Series(range(6)), npartitions=3)
    >>> s.partitions[1:].compute().tolist()
    [2, 3, 4, 5]
    """

    def __init__(self, frame: Any) -> None:
        self.frame = frame

    def __getitem__(self, key: Any) -> Any:
        n = self.frame.npartitions
        if isinstance(key, (int, np.integer)):
            k = int(key) + n if key < 0 else int(key)
            if not 0 <= k < n:
                raise IndexError(f"partition {key} out of range: there are {n} partitions")
            idx = [k]
        elif isinstance(key, slice):
            idx = list(range(n))[key]
        else:
            idx = [int(i) + n if i < 0 else int(i) for i in np.asarray(key).ravel()]
            if any(not 0 <= i < n for i in idx):
                raise IndexError(f"partition index out of range: there are {n} partitions")
        if not idx:
            raise IndexError("partitions[...] selected no partition")
        return select_partitions(self.frame, idx)


def _loc_slice(df: Any, start: Any, stop: Any) -> Any:
    return df.loc[start:stop]


def _loc_label(df: Any, label: Any) -> Any:
    idx = df.index
    if label in idx:
        out = df.loc[[label]] if not idx.has_duplicates else df[idx == label]
        return out
    return df.iloc[:0]


def _loc_labels(df: Any, labels: list) -> Any:
    return df[df.index.isin(labels)]


class LocIndexer:
    """``frame.loc[...]``: rows by label, slice of labels or boolean Series; ``[rows, cols]``.

    Examples
    --------
    >>> import pandas as pd, mpiflow.dataframe as dd
    >>> df = dd.from_pandas(pd.DataFrame({'a': range(4), 'b': 1}), npartitions=2)
    >>> df.loc[3, 'a'].compute().tolist()
    [3]
    """

    def __init__(self, frame: Any) -> None:
        self.frame = frame

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, tuple) and len(key) == 2:
            rows, cols = key
            out = (
                self[rows] if not (isinstance(rows, slice) and rows == slice(None)) else self.frame
            )
            return out[cols]
        return self._rows(key)

    def _rows(self, key: Any) -> Any:
        from mpiflow.dataframe.core import FrameBase, partitionwise

        frame = self.frame
        if isinstance(key, FrameBase):
            return frame._filter(key)
        if callable(key):
            return self._rows(key(frame))
        if isinstance(key, slice):
            if key.step is not None:
                raise NotImplementedError("loc[a:b:step] is not supported; use loc[a:b]")
            return self._slice(key.start, key.stop)
        if isinstance(key, (list, np.ndarray, pd.Index)):
            return partitionwise(_loc_labels, frame, list(key), meta=frame._meta, label="loc")
        if isinstance(key, str) and self._datetime_index():
            return self._slice(key, key)  # '2024-01-05' means the whole day, as pandas
        if not frame.known_divisions:
            return partitionwise(_loc_label, frame, key, meta=frame._meta, label="loc")
        i = self._partition_of(key)
        part = select_partitions(frame, [i], (key, key))
        return partitionwise(_loc_label, part, key, meta=frame._meta, label="loc")

    def _partition_of(self, label: Any) -> int:
        d = self.frame._divisions
        i = bisect.bisect_right(d, label) - 1
        return min(max(i, 0), len(d) - 2)

    def _datetime_index(self) -> bool:
        meta = self.frame._meta
        idx = meta if isinstance(meta, pd.Index) else meta.index
        return isinstance(idx, pd.DatetimeIndex)

    def _bound(self, label: Any, upper: bool) -> Any:
        """A string label of a datetime index as the Timestamp it starts (or ends) at."""
        if not (isinstance(label, str) and self._datetime_index()):
            return label
        meta = self.frame._meta
        tz = (meta if isinstance(meta, pd.Index) else meta.index).tz
        try:
            per = pd.Period(label)
            ts = per.end_time if upper else per.start_time
        except (ValueError, TypeError):
            ts = pd.Timestamp(label)
        if tz is not None and ts.tz is None:
            ts = ts.tz_localize(tz)
        return ts

    def _slice(self, start: Any, stop: Any) -> Any:
        from mpiflow.dataframe.core import partitionwise

        frame = self.frame
        if not frame.known_divisions:
            return partitionwise(_loc_slice, frame, start, stop, meta=frame._meta, label="loc")
        d = frame._divisions
        lo_label, hi_label = self._bound(start, False), self._bound(stop, True)
        lo = 0 if start is None else self._partition_of(lo_label)
        hi = frame.npartitions - 1 if stop is None else self._partition_of(hi_label)
        hi = max(hi, lo)
        idx = list(range(lo, hi + 1))
        divs = [d[i] for i in idx] + [d[hi + 1]]
        if start is not None:
            divs[0] = max(divs[0], lo_label)
        if stop is not None:
            divs[-1] = min(divs[-1], hi_label)
        part = select_partitions(frame, idx, tuple(divs))
        return partitionwise(_loc_slice, part, start, stop, meta=frame._meta, label="loc")
