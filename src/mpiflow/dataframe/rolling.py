"""``rolling``: moving-window statistics across partition boundaries.

Each partition is computed together with the rows of its neighbours that
its windows reach: a small task per partition passes on the tail of the
earlier partitions (the last ``window - 1`` rows, or the rows within
``window`` of the next partition's first timestamp for a time-based window
such as ``'2s'``), chaining through partitions shorter than the window; with
``center=True`` the heads of later partitions are passed back the same way.
The window function runs on ``before + partition + after`` and the rows of
the partition itself are kept, so every value equals pandas' on the whole
frame.

Examples
--------
>>> import pandas as pd
>>> import mpiflow.dataframe as dd
>>> s = dd.from_pandas(pd.Series(range(6)), npartitions=3)
>>> Rolling(s, 3).sum().compute().tolist()
[nan, nan, 3.0, 6.0, 9.0, 12.0]
"""

from __future__ import annotations

import datetime
from typing import Any

import numpy as np
import pandas as pd

from mpiflow.core.spec import quote_argument
from mpiflow.core.tokenize import tokenize
from mpiflow.dataframe.layers import new_graph
from mpiflow.dataframe.shuffle import ShuffleLayer

__all__ = ["Rolling"]


# --------------------------------------------------------------------------------------
# kernels
# --------------------------------------------------------------------------------------


def _cat(frames: list) -> Any:
    frames = [f for f in frames if f is not None and len(f)]
    if not frames:
        return None
    return frames[0] if len(frames) == 1 else pd.concat(frames)


def _before_rows(prev_before: Any, prev_part: Any, n: int) -> Any:
    """The last ``n`` rows of everything up to and including ``prev_part``."""
    if n <= 0:
        return prev_part.iloc[:0]
    ctx = _cat([prev_before, prev_part.iloc[-n:]])
    return prev_part.iloc[:0] if ctx is None else ctx.iloc[-n:]


def _after_rows(next_part: Any, next_after: Any, n: int) -> Any:
    """The first ``n`` rows of everything from ``next_part`` on."""
    if n <= 0:
        return next_part.iloc[:0]
    ctx = _cat([next_part.iloc[:n], next_after])
    return next_part.iloc[:0] if ctx is None else ctx.iloc[:n]


def _before_time(prev_before: Any, prev_part: Any, part: Any, window: Any) -> Any:
    """Rows of earlier partitions within ``window`` of ``part``'s first timestamp."""
    ctx = _cat([prev_before, prev_part])
    if ctx is None:
        return prev_part.iloc[:0]
    start = part.index[0] if len(part) else ctx.index[-1]
    return ctx.iloc[ctx.index.searchsorted(start - window, side="left") :]


def _after_time(next_part: Any, next_after: Any, part: Any, window: Any) -> Any:
    """Rows of later partitions within ``window`` of ``part``'s last timestamp."""
    ctx = _cat([next_part, next_after])
    if ctx is None:
        return next_part.iloc[:0]
    end = part.index[-1] if len(part) else ctx.index[0]
    return ctx.iloc[: ctx.index.searchsorted(end + window, side="right")]


def rolling_chunk(
    before: Any, part: Any, after: Any, rkw: dict, method: str, args: tuple, kwargs: dict
) -> Any:
    """``part.rolling(**rkw).method(...)`` computed with neighbour rows ``before``/``after``.

    Examples
    --------
    >>> import pandas as pd
    >>> rolling_chunk(pd.Series([1.0]), pd.Series([2.0, 3.0], index=[1, 2]), None,
    ...               {'window': 2}, 'sum', (), {}).tolist()
    [3.0, 5.0]
    """
    nb = 0 if before is None else len(before)
    whole = _cat([before, part, after])
    if whole is None:
        whole = part
    out = getattr(whole.rolling(**rkw), method)(*args, **kwargs)
    return out.iloc[nb : nb + len(part)]


# --------------------------------------------------------------------------------------
# Rolling
# --------------------------------------------------------------------------------------


def _is_time_window(window: Any) -> bool:
    return isinstance(
        window, (str, pd.DateOffset, pd.Timedelta, datetime.timedelta, np.timedelta64)
    )


class Rolling:
    """Moving-window calculations of a DataFrame or Series (``obj.rolling(...)``).

    Parameters
    ----------
    obj : DataFrame or Series
    window : int or str or timedelta
        Rows per window, or a time span (``'2s'``) over a DatetimeIndex,
        which needs known divisions (a sorted index).
    min_periods : int, optional
    center : bool, default False
    win_type : str, optional
        A scipy window (integer windows only).
    axis : 0
    closed : {'right', 'left', 'both', 'neither'}, optional

    Examples
    --------
    >>> import pandas as pd
    >>> import mpiflow.dataframe as dd
    >>> pdf = pd.DataFrame({'x': [1.0, 2, 3, 4]},
    ...                    index=pd.date_range('2024', periods=4, freq='s'))
    >>> r = Rolling(dd.from_pandas(pdf, npartitions=2), '2s')
    >>> r.mean().compute().x.tolist()
    [1.0, 1.5, 2.5, 3.5]
    """

    def __init__(
        self,
        obj: Any,
        window: Any,
        min_periods: int | None = None,
        center: bool = False,
        win_type: str | None = None,
        axis: int = 0,
        closed: str | None = None,
    ) -> None:
        if axis not in (0, "index", "rows"):
            raise ValueError(f"rolling: axis={axis!r} is not supported; only axis=0")
        self.time = _is_time_window(window)
        if self.time:
            if not isinstance(obj._meta.index, pd.DatetimeIndex):
                raise ValueError(
                    f"rolling: window={window!r} is a time span and needs a DatetimeIndex, but "
                    f"the index is {obj._meta.index.dtype}; set_index on a datetime column "
                    "first, or pass an integer window"
                )
            if not obj.known_divisions:
                raise ValueError(
                    f"rolling: window={window!r} is a time span and needs known divisions "
                    "(a sorted index); call set_index(..., sorted=True) or set_index first"
                )
            self.span = pd.Timedelta(pd.tseries.frequencies.to_offset(window))
        elif isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 0:
            raise ValueError(
                f"rolling: window={window!r} must be a non-negative integer or a time span "
                "such as '2s'"
            )
        if min_periods is not None and (
            isinstance(min_periods, bool) or not isinstance(min_periods, (int, np.integer))
        ):
            raise ValueError(f"rolling: min_periods={min_periods!r} must be an integer")
        self.obj = obj
        self.window = window
        self.rkw = {"window": window, "min_periods": min_periods, "center": center}
        if win_type is not None:
            self.rkw["win_type"] = win_type
        if closed is not None:
            self.rkw["closed"] = closed
        # fail early with pandas' own message for bad combinations
        try:
            obj._meta.rolling(**self.rkw)
        except (ValueError, TypeError) as e:
            raise type(e)(f"rolling: {e}") from e

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.rkw.items() if v is not None)
        return f"Rolling [{args}]"

    # -- the graph ---------------------------------------------------------------------
    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        from mpiflow.dataframe.core import new_collection
        from mpiflow.dataframe.meta import make_meta, meta_nonempty

        obj = self.obj
        try:
            sample = getattr(meta_nonempty(obj._meta).rolling(**self.rkw), method)(*args, **kwargs)
        except Exception as e:
            raise type(e)(
                f"rolling(...).{method}() fails on this frame's dtypes: {e}; select numeric "
                "columns first"
            ) from e
        meta = make_meta(sample)
        name = f"rolling-{method}-" + tokenize(obj._name, self.rkw, method, args, kwargs)
        layer = ShuffleLayer()
        n = obj.npartitions
        src = [(obj._name, i) for i in range(n)]
        center = bool(self.rkw.get("center"))
        before: list = [None] * n
        after: list = [None] * n
        if self.time:
            for i in range(1, n):
                key = (name + "-before", i)
                layer[key] = (_before_time, before[i - 1], src[i - 1], src[i], self.span)
                before[i] = key
            if center:
                for i in range(n - 2, -1, -1):
                    key = (name + "-after", i)
                    layer[key] = (_after_time, src[i + 1], after[i + 1], src[i], self.span)
                    after[i] = key
        else:
            w = int(self.window)
            for i in range(1, n):
                key = (name + "-before", i)
                layer[key] = (_before_rows, before[i - 1], src[i - 1], max(w - 1, 0))
                before[i] = key
            if center:
                for i in range(n - 2, -1, -1):
                    key = (name + "-after", i)
                    layer[key] = (_after_rows, src[i + 1], after[i + 1], w)
                    after[i] = key
        for i in range(n):
            layer[(name, i)] = (
                rolling_chunk,
                before[i],
                src[i],
                after[i],
                self.rkw,
                method,
                quote_argument(args),
                kwargs,
            )
        graph = new_graph(name, layer, [obj])
        return new_collection(graph, name, meta, obj.divisions)

    # -- methods -----------------------------------------------------------------------
    def count(self) -> Any:
        """Non-missing values per window.

        Examples
        --------
        >>> import pandas as pd
        >>> import mpiflow.dataframe as dd
        >>> s = dd.from_pandas(pd.Series([1.0, None, 3.0]), npartitions=2)
        >>> s.rolling(2, min_periods=1).count().compute().tolist()
        [1.0, 1.0, 1.0]
        """
        return self._call("count")

    def sum(self) -> Any:
        """Sum per window.

        Examples
        --------
        >>> import pandas as pd
        >>> import mpiflow.dataframe as dd
        >>> dd.from_pandas(pd.Series([1, 2, 3]), npartitions=2).rolling(2).sum().compute().tolist()
        [nan, 3.0, 5.0]
        """
        return self._call("sum")

    def mean(self) -> Any:
        """Mean per window.

        Examples
        --------
        >>> import pandas as pd
        >>> import mpiflow.dataframe as dd
        >>> dd.from_pandas(pd.Series([1, 2, 3]), npartitions=2).rolling(2).mean().compute().tolist()
        [nan, 1.5, 2.5]
        """
        return self._call("mean")

    def median(self) -> Any:
        """Median per window.

        Examples
        --------
        >>> import pandas as pd
        >>> import mpiflow.dataframe as dd
        >>> s = dd.from_pandas(pd.Series([1, 5, 3]), npartitions=2)
        >>> s.rolling(3, min_periods=1).median().compute().tolist()
        [1.0, 3.0, 3.0]
        """
        return self._call("median")

    def min(self) -> Any:
        """Minimum per window.

        Examples
        --------
        >>> import pandas as pd
        >>> import mpiflow.dataframe as dd
        >>> dd.from_pandas(pd.Series([3, 1, 2]), npartitions=2).rolling(2).min().compute().tolist()
        [nan, 1.0, 1.0]
        """
        return self._call("min")

    def max(self) -> Any:
        """Maximum per window.

        Examples
        --------
        >>> import pandas as pd
        >>> import mpiflow.dataframe as dd
        >>> dd.from_pandas(pd.Series([3, 1, 2]), npartitions=2).rolling(2).max().compute().tolist()
        [nan, 3.0, 2.0]
        """
        return self._call("max")

    def std(self, ddof: int = 1) -> Any:
        """Standard deviation per window.

        Examples
        --------
        >>> import pandas as pd
        >>> import mpiflow.dataframe as dd
        >>> s = dd.from_pandas(pd.Series([1, 3, 5]), npartitions=2)
        >>> s.rolling(2).std().compute().round(3).tolist()
        [nan, 1.414, 1.414]
        """
        return self._call("std", ddof=ddof)

    def var(self, ddof: int = 1) -> Any:
        """Variance per window.

        Examples
        --------
        >>> import pandas as pd
        >>> import mpiflow.dataframe as dd
        >>> dd.from_pandas(pd.Series([1, 3, 5]), npartitions=2).rolling(2).var().compute().tolist()
        [nan, 2.0, 2.0]
        """
        return self._call("var", ddof=ddof)

    def quantile(self, q: float) -> Any:
        """The ``q`` quantile per window.

        Examples
        --------
        >>> import pandas as pd
        >>> import mpiflow.dataframe as dd
        >>> s = dd.from_pandas(pd.Series([1, 3, 5]), npartitions=2)
        >>> s.rolling(2).quantile(0.5).compute().tolist()
        [nan, 2.0, 4.0]
        """
        return self._call("quantile", q)

    def apply(
        self,
        func: Any,
        raw: bool = False,
        engine: str = "cython",
        engine_kwargs: dict | None = None,
        args: tuple = (),
        kwargs: dict | None = None,
    ) -> Any:
        """Apply ``func`` to every window (a Series, or an ndarray with ``raw=True``).

        Examples
        --------
        >>> import pandas as pd
        >>> import mpiflow.dataframe as dd
        >>> s = dd.from_pandas(pd.Series([1, 2, 4]), npartitions=2)
        >>> s.rolling(2).apply(lambda w: w.max() - w.min(), raw=True).compute().tolist()
        [nan, 1.0, 2.0]
        """
        return self._call(
            "apply",
            func,
            raw=raw,
            engine=engine,
            engine_kwargs=engine_kwargs,
            args=args,
            kwargs=kwargs,
        )

    def aggregate(self, func: Any, *args: Any, **kwargs: Any) -> Any:
        """Several statistics at once (``'sum'``, ``['sum', 'mean']``, a dict per column).

        Examples
        --------
        >>> import pandas as pd
        >>> import mpiflow.dataframe as dd
        >>> s = dd.from_pandas(pd.Series([1, 2, 3]), npartitions=2)
        >>> s.rolling(2).agg(['sum', 'max']).compute().iloc[-1].tolist()
        [5.0, 3.0]
        """
        return self._call("aggregate", func, *args, **kwargs)

    agg = aggregate
