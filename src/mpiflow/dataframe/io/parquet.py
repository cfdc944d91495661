"""``read_parquet`` and ``to_parquet`` (needs pyarrow: ``pip install mpiflow[parquet]``).

Reading plans partitions from the files' footers: one partition per file,
per row group, or per group of row groups (``split_row_groups``). ``filters``
drop whole row groups whose statistics (min, max) cannot match, and then
the rows that do not match. A query that uses some columns reads only those
(column projection), with no ``columns=`` needed. Hive-style directories
(``year=2024/part.0.parquet``) give categorical columns.

Examples
--------
>>> import os, tempfile, pandas as pd
>>> import mpiflow.dataframe as dd
>>> d = os.path.join(tempfile.mkdtemp(), 'data')
>>> ddf = dd.from_pandas(pd.DataFrame({'x': range(6), 'y': list('aabbcc')}), npartitions=3)
>>> to_parquet(ddf, d)
>>> read_parquet(d, filters=[('x', '>', 3)]).compute().y.tolist()
['c', 'c']
"""

from __future__ import annotations

import difflib
import os
import shutil
from collections.abc import Callable
from typing import Any

import pandas as pd

from mpiflow.config import parse_bytes
from mpiflow.core.layers import LayeredGraph
from mpiflow.core.spec import quote_argument
from mpiflow.core.tokenize import tokenize
from mpiflow.dataframe.io.from_map import from_map
from mpiflow.dataframe.io.parquet_plan import (
    normalize_filters,
    plan_parts,
    row_filter_columns,
)
from mpiflow.dataframe.io.paths import expand_paths, natural_sort_key

__all__ = ["read_parquet", "to_parquet"]

DEFAULT_BLOCKSIZE = 256 * 2**20  # bytes of uncompressed row groups per partition ("infer")


def import_pyarrow() -> Any:
    """Import ``pyarrow.parquet`` or say how to install it.

    Examples
    --------
    >>> import_pyarrow().__name__
    'pyarrow.parquet'
    """
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise ImportError(
            "Parquet support needs pyarrow, which is not installed: "
            "pip install mpiflow[parquet]  (or: pip install pyarrow)"
        ) from None
    return pq


def _dataset(path: Any) -> Any:
    """A pyarrow dataset of the files (hive partitions discovered for a directory)."""
    import pyarrow.dataset as ds

    files_or_dir: Any
    if isinstance(path, (str, os.PathLike)) and os.path.isdir(path):
        files_or_dir = os.fspath(path)
        part = ds.HivePartitioning.discover(infer_dictionary=True)
    else:
        files_or_dir = expand_paths(path)
        part = None
    try:
        dset = ds.dataset(files_or_dir, format="parquet", partitioning=part)
    except FileNotFoundError:
        raise
    except Exception as e:  # not parquet, unreadable footer
        raise ValueError(f"cannot read {path!r} as Parquet: {e}") from None
    if not dset.files:
        raise FileNotFoundError(f"no Parquet files found under {os.fspath(path)!r}")
    return dset


class ParquetPartReader:
    """Reads one partition: some row groups of one file, some columns, filtered rows.

    Called with ``(path, row_groups or None, {hive column: value})``.

    Parameters
    ----------
    columns : list
        Data columns to read (the index columns are added).
    index_columns : list
        Stored columns that become the index.
    hive : dict
        ``{column: pandas CategoricalDtype}`` of the directory partition columns.
    filters : list or None
        Normalized filters (a list of AND-lists of ``(column, op, value)``).
    meta : pandas.DataFrame
        The output's empty frame (for column order and empty results).

    Examples
    --------
    >>> import os, tempfile, pandas as pd, pyarrow as pa, pyarrow.parquet as pq
    >>> p = os.path.join(tempfile.mkdtemp(), 'f.parquet')
    >>> pq.write_table(pa.table({'a': [1, 2, 3], 'b': [4, 5, 6]}), p, row_group_size=2)
    >>> meta = pd.DataFrame({'a': pd.Series([], dtype='int64')})
    >>> ParquetPartReader(['a'], [], {}, [[('b', '>', 4)]], meta)((p, [0, 1], {}))
       a
    0  2
    1  3
    """

    def __init__(
        self,
        columns: list,
        index_columns: list,
        hive: dict,
        filters: list | None,
        meta: pd.DataFrame,
    ) -> None:
        self.columns = list(columns)
        self.index_columns = list(index_columns)
        self.hive = dict(hive)
        self.filters = filters
        self.meta = meta

    def project_columns(self, columns: list) -> ParquetPartReader:
        """A reader of only ``columns`` (in the meta's order).

        Examples
        --------
        >>> import pandas as pd
        >>> r = ParquetPartReader(['a', 'b'], [], {}, None, pd.DataFrame({'a': [], 'b': []}))
        >>> r.project_columns(['b']).columns
        ['b']
        """
        wanted = set(columns)
        keep = [c for c in self.meta.columns if c in wanted]
        return ParquetPartReader(keep, self.index_columns, self.hive, self.filters, self.meta[keep])

    def __call__(self, part: tuple) -> pd.DataFrame:
        import pyarrow as pa

        path, row_groups, keys = part
        pq = import_pyarrow()
        extra = row_filter_columns(self.filters)
        stored = [c for c in self.columns if c not in self.hive]
        need = list(dict.fromkeys(stored + [c for c in extra if c not in self.hive]))
        need += [c for c in self.index_columns if c not in need]
        f = pq.ParquetFile(path)
        if row_groups is None:
            table = f.read(columns=need, use_pandas_metadata=False)
        else:
            table = f.read_row_groups(row_groups, columns=need, use_pandas_metadata=False)
        for col in self.hive:
            if col in self.columns or col in extra:
                table = table.append_column(col, pa.array([keys.get(col)] * table.num_rows))
        if self.filters:
            table = table.filter(_expression(self.filters))
        return self._finish(table.to_pandas(ignore_metadata=True))

    def _finish(self, df: pd.DataFrame) -> pd.DataFrame:
        if len(df) == 0:
            return self.meta.copy()
        if self.index_columns:
            df = df.set_index(self.index_columns)
            df.index.names = self.meta.index.names
        for col, dtype in self.hive.items():
            if col in df.columns:
                df[col] = df[col].astype(dtype)
        cols = list(self.meta.columns)
        return df if list(df.columns) == cols else df[cols]


def _expression(filters: list) -> Any:
    import pyarrow.parquet as pq

    return pq.filters_to_expression(filters)


def _index_spec(schema: Any, index: Any) -> tuple[list, list, list]:
    """``(columns made the index, their names, unnamed stored index columns to drop)``."""
    meta = schema.pandas_metadata or {}
    stored = [c for c in meta.get("index_columns", []) if isinstance(c, str)]
    unnamed = [c for c in stored if c.startswith("__index_level_")]
    if index is False:
        return [], [], unnamed
    if index is None:
        by_field = {c.get("field_name"): c.get("name") for c in meta.get("columns", [])}
        names = [None if c in unnamed else by_field.get(c, c) for c in stored]
        return stored, names, []
    cols = [index] if isinstance(index, str) else list(index)
    missing = [c for c in cols if c not in schema.names]
    if missing:
        raise ValueError(
            f"index={index!r}: no such column {missing}; the columns are {schema.names}"
        )
    return cols, cols, [c for c in unnamed if c not in cols]


def read_parquet(
    path: Any,
    columns: Any = None,
    filters: list | None = None,
    index: Any = None,
    calculate_divisions: bool = False,
    split_row_groups: bool | int | str = "infer",
    blocksize: Any = "default",
    **kwargs: Any,
) -> Any:
    """Read a Parquet file, a directory of them (hive partitions too), a glob or a list.

    Parameters
    ----------
    path : str, os.PathLike or list
        A directory, a file, a glob pattern or a list of files.
    columns : str or list, optional
        Columns to read (a str gives a Series). Default all; a query using
        fewer reads fewer anyway (column projection).
    filters : list, optional
        ``[('x', '>', 3), ...]`` (all must hold) or ``[[...], [...]]`` (any group
        holds); operators ``==, =, !=, <, <=, >, >=, in, not in``. Row groups
        whose statistics rule them out are not read; remaining rows are filtered.
    index : str, list or False, optional
        The column(s) to use as the index; default the index stored by
        ``to_parquet``; ``False`` for none.
    calculate_divisions : bool
        Compute divisions from the index column's statistics (when sorted).
    split_row_groups : bool, int or 'infer'
        ``False``: a partition per file; ``True``: per row group; ``n``: per n
        row groups; ``'infer'``: per file, files larger than ``blocksize``
        split at row groups.
    blocksize : str or int
        Target uncompressed bytes per partition for ``'infer'`` (default 256 MiB).
    **kwargs
        ``engine='pyarrow'`` is accepted; other keywords are refused.

    Returns
    -------
    DataFrame or Series

    Examples
    --------
    >>> import os, tempfile, pandas as pd
    >>> import mpiflow.dataframe as dd
    >>> d = os.path.join(tempfile.mkdtemp(), 'data')
    >>> pdf = pd.DataFrame({'x': range(4), 'y': [1.5, 2.5, 3.5, 4.5]})
    >>> dd.from_pandas(pdf, npartitions=2).to_parquet(d)
    >>> ddf = read_parquet(d, columns=['y'])
    >>> ddf.npartitions, ddf.compute().y.tolist()
    (2, [1.5, 2.5, 3.5, 4.5])
    """
    import_pyarrow()
    _accept_keywords(kwargs, "read_parquet", ("ignore_metadata_file", "metadata_task_size"))
    dset = _dataset(path)
    schema = dset.schema
    frags = sorted(
        ((f.path, _partition_keys(f)) for f in dset.get_fragments()),
        key=lambda t: natural_sort_key(t[0]),
    )
    hive = _hive_dtypes(frags)
    file_schema = import_pyarrow().ParquetFile(frags[0][0]).schema_arrow
    index_cols, index_names, drop = _index_spec(file_schema, index)
    meta_full = _meta(schema, index_cols, index_names, hive).drop(columns=drop)
    series = isinstance(columns, str)
    if columns is not None:
        want = [columns] if series else list(columns)
        missing = [c for c in want if c not in meta_full.columns]
        if missing:
            close = difflib.get_close_matches(str(missing[0]), list(map(str, meta_full.columns)), 1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(
                f"columns {missing} are not in the dataset{hint}; its columns are "
                f"{list(meta_full.columns)}"
            )
        meta = meta_full[want]
    else:
        meta = meta_full
    norm = normalize_filters(filters, list(schema.names))
    size = DEFAULT_BLOCKSIZE if blocksize == "default" else parse_bytes(blocksize)
    parts, divisions = plan_parts(
        frags, norm, split_row_groups, size, index_cols if calculate_divisions else None
    )
    reader = ParquetPartReader(list(meta.columns), index_cols, hive, norm, meta)
    if not parts:  # everything filtered out: one empty partition
        parts, divisions = [(frags[0][0], [], frags[0][1])], None
    files = [f for f, _ in frags]
    token = tokenize(
        files,
        [os.stat(f).st_mtime_ns for f in files],
        list(meta.columns),
        norm,
        index,
        split_row_groups,
        size,
        calculate_divisions,
    )
    out = from_map(
        reader,
        parts,
        meta=meta,
        divisions=divisions,
        label="read-parquet",
        token=token,
        enforce_metadata=False,
    )
    return out[columns] if series else out


def _partition_keys(fragment: Any) -> dict:
    import pyarrow.dataset as ds

    expr = fragment.partition_expression
    keys = ds.get_partition_keys(expr) if expr is not None else {}
    return dict(keys or {})


def _hive_dtypes(frags: list) -> dict:
    """``{column: CategoricalDtype of all its values}`` of the hive directory columns."""
    values: dict = {}
    for _, keys in frags:
        for c, v in keys.items():
            values.setdefault(c, set()).add(v)
    return {c: pd.CategoricalDtype(sorted(vs)) for c, vs in values.items()}


def _meta(schema: Any, index_cols: list, index_names: list, hive: dict) -> pd.DataFrame:
    df = schema.empty_table().to_pandas(ignore_metadata=True)
    if index_cols:
        df = df.set_index(index_cols)
        df.index.names = index_names
    for c, dtype in hive.items():
        df[c] = pd.Series([], dtype=dtype, index=df.index)
    return df


def _write_part(
    df: pd.DataFrame,
    path: str,
    filename: str,
    write_index: bool,
    partition_on: list,
    compression: Any,
    schema: Any,
) -> int:
    import pyarrow as pa

    pq = import_pyarrow()

    def write(frame: pd.DataFrame, where: str) -> None:
        try:
            table = pa.Table.from_pandas(frame, preserve_index=write_index, schema=schema)
        except (pa.ArrowInvalid, pa.ArrowTypeError, KeyError, ValueError):
            table = pa.Table.from_pandas(frame, preserve_index=write_index)
        pq.write_table(table, where, compression=compression)

    if not partition_on:
        write(df, os.path.join(path, filename))
        return len(df)
    for values, group in df.groupby(partition_on, observed=True, sort=False):
        values = values if isinstance(values, tuple) else (values,)
        sub = os.path.join(path, *[f"{c}={v}" for c, v in zip(partition_on, values, strict=True)])
        os.makedirs(sub, exist_ok=True)
        write(group.drop(columns=partition_on), os.path.join(sub, filename))
    return len(df)


def _arrow_schema(meta: pd.DataFrame, write_index: bool, partition_on: list) -> Any:
    import pyarrow as pa

    try:
        schema = pa.Schema.from_pandas(meta.drop(columns=partition_on), preserve_index=write_index)
    except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError):
        return None
    if any(pa.types.is_null(f.type) for f in schema):
        return None  # object columns: let each partition's values decide
    return schema


def to_parquet(
    df: Any,
    path: Any,
    write_index: bool = True,
    partition_on: list | str | None = None,
    compression: str | None = "snappy",
    name_function: Callable[[int], str] | None = None,
    overwrite: bool = False,
    compute: bool = True,
    compute_kwargs: dict | None = None,
    **kwargs: Any,
) -> Any:
    """Write a DataFrame as a directory of Parquet files, ``part.{i}.parquet``.

    Parameters
    ----------
    df : DataFrame
    path : str or os.PathLike
        The directory (made if needed).
    write_index : bool
        Store the index as a column (read back as the index).
    partition_on : str or list, optional
        Columns to split the files by, hive style: ``path/col=value/part.{i}.parquet``.
    compression : str or None
        ``'snappy'`` (default), ``'gzip'``, ``'zstd'``, ``'brotli'``, ``'lz4'`` or ``None``.
    name_function : callable, optional
        ``i -> file name`` (default ``part.{i}.parquet``).
    overwrite : bool
        Remove the directory first.
    compute : bool
        Write now (returns None) or return a Delayed that writes.
    append : bool, optional (keyword)
        Add files after the existing ones (numbered on) instead of overwriting.
    compute_kwargs : dict, optional
        Keywords for ``compute`` (``scheduler=``...).
    **kwargs
        ``engine='pyarrow'`` is accepted; other keywords are refused.

    Examples
    --------
    >>> import os, tempfile, pandas as pd
    >>> import mpiflow.dataframe as dd
    >>> d = os.path.join(tempfile.mkdtemp(), 'by_k')
    >>> ddf = dd.from_pandas(pd.DataFrame({'k': ['a', 'b', 'a'], 'v': [1, 2, 3]}), npartitions=1)
    >>> to_parquet(ddf, d, partition_on='k', write_index=False)
    >>> sorted(os.listdir(d))
    ['k=a', 'k=b']
    >>> read_parquet(d).compute().sort_values('v').k.tolist()
    ['a', 'b', 'a']
    """
    from mpiflow.delayed import Delayed

    import_pyarrow()
    append = bool(kwargs.pop("append", False))
    _accept_keywords(kwargs, "to_parquet", ("write_metadata_file", "schema"))
    if not hasattr(df, "columns"):
        raise TypeError("to_parquet writes DataFrames: use series.to_frame().to_parquet(...)")
    path = os.fspath(path)
    partition_on = [partition_on] if isinstance(partition_on, str) else list(partition_on or [])
    missing = [c for c in partition_on if c not in df.columns]
    if missing:
        raise ValueError(f"partition_on names missing columns {missing}: {list(df.columns)}")
    if overwrite and os.path.exists(path):
        if os.path.abspath(path) in (os.path.abspath(os.getcwd()), os.path.abspath(os.sep)):
            raise ValueError(f"overwrite=True would delete {path!r}: pick a dataset directory")
        shutil.rmtree(path)
    os.makedirs(path, exist_ok=True)
    name_function = name_function or (lambda i: f"part.{i}.parquet")
    start = _next_part_number(path, name_function) if append else 0
    names = [name_function(start + i) for i in range(df.npartitions)]
    if len(set(names)) != len(names):
        raise ValueError("name_function gives the same name to two partitions")
    schema = _arrow_schema(df._meta, write_index, partition_on)
    token = tokenize(df, path, write_index, partition_on, compression, names)
    name = f"to-parquet-{token}"
    layer: dict = {
        (name, i): (
            _write_part,
            (df._name, i),
            *map(quote_argument, (path, names[i], write_index, partition_on, compression)),
            schema,
        )
        for i in range(df.npartitions)
    }
    layer[name] = (_done, [(name, i) for i in range(df.npartitions)])
    graph = LayeredGraph.from_layer(name, layer, [df])
    out = Delayed(name, graph)
    if not compute:
        return out
    out.compute(**(compute_kwargs or {}))
    return None


def _accept_keywords(kwargs: dict, where: str, ignored: tuple) -> None:
    """Accept Dask keywords that change nothing here; refuse the others by name."""
    engine = kwargs.pop("engine", "pyarrow")
    if engine not in ("pyarrow", "auto"):
        raise ValueError(f"engine={engine!r}: only 'pyarrow' is supported")
    options = kwargs.pop("storage_options", None)
    if options:
        raise ValueError("storage_options are not supported: mpiflow reads local paths only")
    for k in ignored:
        kwargs.pop(k, None)
    if kwargs:
        raise TypeError(f"{where} got unsupported keywords {sorted(kwargs)}")


def _next_part_number(path: str, name_function: Callable[[int], str]) -> int:
    """The first partition number whose file does not exist yet (for ``append=True``)."""
    taken = set()
    for _root, _dirs, files in os.walk(path):
        taken.update(files)
    i = 0
    while name_function(i) in taken:
        i += 1
    return i


def _done(counts: list) -> None:
    return None
