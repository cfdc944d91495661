"""I/O methods of DataFrame and Series (mixin)."""

from __future__ import annotations

from typing import Any

__all__ = ["IOMethods"]


class IOMethods:
    """``to_csv``, ``to_parquet``, mixed into the frame classes."""

    def to_csv(self, filename: Any, **kwargs: Any) -> Any:
        """Write to CSV files; see :func:`mpiflow.dataframe.io.csv.to_csv`.

        Examples
        --------
        >>> import os, tempfile, pandas as pd, mpiflow.dataframe as dd
        >>> ddf = dd.from_pandas(pd.DataFrame({'x': [1, 2, 3]}), npartitions=3)
        >>> files = ddf.to_csv(os.path.join(tempfile.mkdtemp(), 'x-*.csv'))
        >>> [os.path.basename(f) for f in files]
        ['x-0.csv', 'x-1.csv', 'x-2.csv']
        """
        from mpiflow.dataframe.io.csv import to_csv

        return to_csv(self, filename, **kwargs)

    def to_parquet(self, path: Any, **kwargs: Any) -> Any:
        """Write to a Parquet dataset; see :func:`mpiflow.dataframe.io.parquet.to_parquet`.

        Examples
        --------
        >>> import os, tempfile, pandas as pd, mpiflow.dataframe as dd
        >>> ddf = dd.from_pandas(pd.DataFrame({'x': [1, 2, 3]}), npartitions=2)
        >>> d = os.path.join(tempfile.mkdtemp(), 'data')
        >>> ddf.to_parquet(d)
        >>> sorted(os.listdir(d))
        ['part.0.parquet', 'part.1.parquet']
        """
        from mpiflow.dataframe.io.parquet import to_parquet

        return to_parquet(self, path, **kwargs)
