"""Shuffle-based methods of DataFrame and Series (mixin).

The work is done by the functions of :mod:`mpiflow.dataframe.shuffle`,
:mod:`~mpiflow.dataframe.repartition`, :mod:`~mpiflow.dataframe.sorting`,
:mod:`~mpiflow.dataframe.merge` and :mod:`~mpiflow.dataframe.rolling`; these
methods only forward to them.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["ShuffleMethods"]


def _frame_only(obj: Any, method: str) -> None:
    if not isinstance(obj._meta, pd.DataFrame):
        raise TypeError(
            f"{method} is a DataFrame method; this is a {type(obj).__name__} "
            f"(use .to_frame() first)"
        )


class ShuffleMethods:
    """``set_index``, ``sort_values``, ``merge``, ``repartition``, ... of the frame classes.

    Examples
    --------
    >>> import pandas as pd
    >>> import mpiflow.dataframe as dd
    >>> df = dd.from_pandas(pd.DataFrame({'a': [3, 1, 2]}), npartitions=2)
    >>> isinstance(df, ShuffleMethods), df.sort_values('a').compute().a.tolist()
    (True, [1, 2, 3])
    """

    def shuffle(
        self,
        on: Any = None,
        npartitions: int | None = None,
        max_branch: int | None = None,
        ignore_index: bool = False,
        shuffle_method: str | None = None,
        on_index: bool = False,
        **kwargs: Any,
    ) -> Any:
        """Move rows so equal values of ``on`` share a partition (hash partitioning).

        Parameters
        ----------
        on : label, list of labels, Series or None
            Key columns (``None`` or ``on_index=True``: the index).
        npartitions : int, optional
        max_branch : int, optional
        ignore_index : bool, default False
        shuffle_method : {None, 'tasks'}

        Examples
        --------
        >>> import pandas as pd
        >>> import mpiflow.dataframe as dd
        >>> df = dd.from_pandas(pd.DataFrame({'k': [1, 2, 1, 2]}), npartitions=2)
        >>> sorted(df.shuffle('k').compute().k.tolist())
        [1, 1, 2, 2]
        """
        from mpiflow.dataframe.shuffle import shuffle

        if shuffle_method not in (None, "tasks", "disk", "p2p"):
            raise ValueError(f"shuffle: shuffle_method={shuffle_method!r}: only 'tasks' exists")
        if on_index and on is not None:
            raise ValueError("shuffle: pass on= or on_index=True, not both")
        return shuffle(self, on, npartitions, max_branch, ignore_index)

    def repartition(
        self,
        divisions: Any = None,
        npartitions: int | None = None,
        partition_size: Any = None,
        freq: Any = None,
        force: bool = False,
    ) -> Any:
        """Cut the same rows into other partitions (exactly one of the first four).

        Examples
        --------
        >>> import pandas as pd
        >>> import mpiflow.dataframe as dd
        >>> df = dd.from_pandas(pd.DataFrame({'x': range(10)}), npartitions=5)
        >>> df.repartition(npartitions=2).divisions
        (0, 4, 9)
        >>> df.repartition(divisions=[0, 5, 9]).npartitions
        2
        """
        from mpiflow.dataframe.repartition import repartition

        return repartition(self, divisions, npartitions, partition_size, freq, force)

    def set_index(
        self,
        other: Any,
        drop: bool = True,
        sorted: bool = False,
        npartitions: int | None = None,
        divisions: Any = None,
        sort: bool = True,
        shuffle_method: str | None = None,
        upsample: float = 1.0,
        **kwargs: Any,
    ) -> Any:
        """Make a column the index, sorted across partitions (computes divisions once).

        Examples
        --------
        >>> import pandas as pd
        >>> import mpiflow.dataframe as dd
        >>> df = dd.from_pandas(pd.DataFrame({'x': [2, 0, 1], 'y': list('cab')}), npartitions=2)
        >>> df.set_index('x').compute().y.tolist()
        ['a', 'b', 'c']
        """
        from mpiflow.dataframe.sorting import set_index

        _frame_only(self, "set_index")
        return set_index(self, other, drop, sorted, npartitions, divisions, sort, upsample)

    def sort_values(
        self,
        by: Any,
        npartitions: int | None = None,
        ascending: Any = True,
        na_position: str = "last",
        sort_function: Any = None,
        sort_function_kwargs: dict | None = None,
        upsample: float = 1.0,
        **kwargs: Any,
    ) -> Any:
        """Sort rows by column(s) across partitions.

        Examples
        --------
        >>> import pandas as pd
        >>> import mpiflow.dataframe as dd
        >>> df = dd.from_pandas(pd.DataFrame({'a': [2, 3, 1]}), npartitions=2)
        >>> df.sort_values('a').compute().a.tolist()
        [1, 2, 3]
        """
        from mpiflow.dataframe.sorting import sort_values

        _frame_only(self, "sort_values")
        return sort_values(
            self, by, npartitions, ascending, na_position, sort_function, sort_function_kwargs
        )

    def merge(
        self,
        right: Any,
        how: str = "inner",
        on: Any = None,
        left_on: Any = None,
        right_on: Any = None,
        left_index: bool = False,
        right_index: bool = False,
        suffixes: tuple = ("_x", "_y"),
        indicator: bool = False,
        shuffle_method: str | None = None,
        npartitions: int | None = None,
        broadcast: bool | None = None,
    ) -> Any:
        """Join with ``right`` on columns or the index (see :func:`mpiflow.dataframe.merge`).

        Examples
        --------
        >>> import pandas as pd
        >>> import mpiflow.dataframe as dd
        >>> l = dd.from_pandas(pd.DataFrame({'k': [1, 2], 'x': [3, 4]}), npartitions=1)
        >>> l.merge(pd.DataFrame({'k': [2], 'y': [5]}), on='k').compute().to_dict('list')
        {'k': [2], 'x': [4], 'y': [5]}
        """
        from mpiflow.dataframe.merge import merge

        _frame_only(self, "merge")
        return merge(
            self,
            right,
            how=how,
            on=on,
            left_on=left_on,
            right_on=right_on,
            left_index=left_index,
            right_index=right_index,
            suffixes=suffixes,
            indicator=indicator,
            npartitions=npartitions,
            shuffle_method=shuffle_method,
            broadcast=broadcast,
        )

    def join(
        self,
        other: Any,
        on: Any = None,
        how: str = "left",
        lsuffix: str = "",
        rsuffix: str = "",
        shuffle_method: str | None = None,
        npartitions: int | None = None,
    ) -> Any:
        """Join ``other`` on the index (or on this frame's column(s) ``on``).

        Examples
        --------
        >>> import pandas as pd
        >>> import mpiflow.dataframe as dd
        >>> l = dd.from_pandas(pd.DataFrame({'x': [1, 2]}), npartitions=1)
        >>> l.join(pd.DataFrame({'y': [9]}, index=[1])).compute().y.tolist()
        [nan, 9.0]
        """
        from mpiflow.dataframe.merge import join

        _frame_only(self, "join")
        return join(self, other, on, how, lsuffix, rsuffix, npartitions, shuffle_method)

    def rolling(
        self,
        window: Any,
        min_periods: int | None = None,
        center: bool = False,
        win_type: str | None = None,
        axis: int = 0,
        closed: str | None = None,
    ) -> Any:
        """Moving-window statistics across partitions (``.sum()``, ``.mean()``, ``.apply()``...).

        Examples
        --------
        >>> import pandas as pd
        >>> import mpiflow.dataframe as dd
        >>> s = dd.from_pandas(pd.Series([1, 2, 3, 4]), npartitions=2)
        >>> s.rolling(2).sum().compute().tolist()
        [nan, 3.0, 5.0, 7.0]
        """
        from mpiflow.dataframe.rolling import Rolling

        return Rolling(self, window, min_periods, center, win_type, axis, closed)
