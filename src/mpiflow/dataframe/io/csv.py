"""``read_csv`` and ``to_csv``: partitioned CSV files in and out.

Examples
--------
>>> import os, tempfile, pandas as pd
>>> import mpiflow.dataframe as dd
>>> d = tempfile.mkdtemp()
>>> pdf = pd.DataFrame({'x': range(6), 'y': list('abcdef')})
>>> ddf = dd.from_pandas(pdf, npartitions=2)
>>> [os.path.basename(f) for f in to_csv(ddf, os.path.join(d, 'part-*.csv'), index=False)]
['part-0.csv', 'part-1.csv']
>>> read_csv(os.path.join(d, 'part-*.csv')).compute().y.tolist()
['a', 'b', 'c', 'd', 'e', 'f']
"""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Callable
from typing import Any

import pandas as pd

from mpiflow.config import parse_bytes
from mpiflow.core.layers import LayeredGraph
from mpiflow.core.spec import quote_argument
from mpiflow.core.tokenize import tokenize
from mpiflow.dataframe.io.csv_blocks import CSVBlockReader, block_offsets, infer_meta
from mpiflow.dataframe.io.from_map import from_map
from mpiflow.dataframe.io.paths import (
    expand_paths,
    infer_compression,
    name_function_for,
    open_binary,
)

__all__ = ["read_csv", "read_table", "to_csv"]

#: the block size used when ``blocksize`` is not given (Dask's largest automatic one)
DEFAULT_BLOCKSIZE = 64_000_000

_UNSUPPORTED = {
    "chunksize": "read_csv reads in blocks already: use blocksize= to set their size",
    "iterator": "iterate over partitions with ddf.partitions[i] or ddf.to_delayed()",
    "nrows": "use dd.read_csv(...).head(n=nrows) to read the first rows",
}


def _check_kwargs(kwargs: dict) -> None:
    for k, why in _UNSUPPORTED.items():
        if k in kwargs:
            raise ValueError(f"read_csv does not support the keyword {k!r}: {why}")
    for k in ("index_col", "index"):
        if kwargs.get(k) not in (None, False):
            raise ValueError(
                f"read_csv does not support {k}={kwargs[k]!r} (partitions would have "
                "unsorted, overlapping indexes): read the column, then call "
                f".set_index({kwargs[k]!r})"
            )
    kwargs.pop("index", None)


def _blocksize(blocksize: Any) -> int | None:
    if blocksize is None:
        return None
    if isinstance(blocksize, str) and blocksize == "default":
        return DEFAULT_BLOCKSIZE
    n = parse_bytes(blocksize)
    if n <= 0:
        raise ValueError(f"blocksize must be positive (or None), got {blocksize!r}")
    return n


def read_csv(
    urlpath: Any,
    blocksize: str | int | float | None = "default",
    lineterminator: str | None = None,
    compression: str | None = "infer",
    sample: int = 256_000,
    sample_rows: int = 10,
    enforce: bool = False,
    assume_missing: bool = False,
    include_path_column: bool | str = False,
    **kwargs: Any,
) -> Any:
    """Read CSV files into a DataFrame, one partition per block of about ``blocksize`` bytes.

    Uses :func:`pandas.read_csv` on each block; its keywords (``sep``,
    ``usecols``, ``dtype``, ``parse_dates``, ``names``, ``header``,
    ``skiprows``, ``na_values``, ``on_bad_lines``...) work as there. Column
    names and dtypes are inferred from the first ``sample_rows`` rows of the
    first ``sample`` bytes of the first file, as in Dask. A later block whose
    dtypes disagree (an integer column with blanks further down) raises a
    ``ValueError`` that tables the columns and gives the ``dtype={...}`` to
    pass, or suggests ``assume_missing=True``. A query that uses only some
    columns reads only those (column projection), with no ``usecols`` needed.

    Parameters
    ----------
    urlpath : str, os.PathLike or list
        A path, a glob pattern (``'data/2024-*.csv'``), a directory, or a list of those.
    blocksize : str, int, float or None
        Bytes per partition (``'64MB'``, ``12e6``); ``None``: one partition per
        file. Default 64 MB. Compressed files are never split.
    lineterminator : str, optional
        Only ``'\\n'`` (the default; ``'\\r\\n'`` files work too) is supported.
    compression : str or None
        ``'infer'`` (from the extension: .gz, .bz2, .xz), ``'gzip'``, ``'bz2'``,
        ``'xz'`` or ``None``.
    sample : int
        Bytes read from the first file to infer columns and dtypes.
    sample_rows : int
        Rows of that sample parsed to infer the dtypes.
    enforce : bool
        Accepted for compatibility: dtypes are always checked.
    assume_missing : bool
        Read integer columns without an explicit dtype as float64, so blanks
        anywhere are fine.
    include_path_column : bool or str
        Add a categorical column with each row's file path (named ``'path'``,
        or the given name).
    **kwargs
        Passed to :func:`pandas.read_csv`.

    Returns
    -------
    DataFrame

    Raises
    ------
    FileNotFoundError
        A file is missing, or a pattern matches nothing (the message names it).

    Examples
    --------
    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), 'trips.csv')
    >>> _ = open(p, 'w').write('a,b\\n' + ''.join(f'{i},{i % 3}\\n' for i in range(1000)))
    >>> ddf = read_csv(p, blocksize=2000)
    >>> ddf.npartitions
    3
    >>> ddf.compute().a.sum()
    np.int64(499500)
    """
    _check_kwargs(kwargs)
    if lineterminator not in (None, "\n"):
        raise ValueError(
            f"lineterminator={lineterminator!r} is not supported: only '\\n' line ends "
            "('\\r\\n' included) can be split into blocks"
        )
    paths = expand_paths(urlpath)
    size = _blocksize(blocksize)
    comps = [infer_compression(p, compression) for p in paths]
    if any(comps) and size is not None:
        if blocksize != "default":
            kinds = sorted({c for c in comps if c})
            warnings.warn(
                f"{', '.join(kinds)}-compressed files cannot be split into blocks: reading "
                "one partition per file. Pass blocksize=None to silence this warning.",
                UserWarning,
                stacklevel=2,
            )
    meta, header = infer_meta(paths[0], comps[0], kwargs, sample, sample_rows, assume_missing)
    parts: list = []
    stats = []
    for p, c in zip(paths, comps, strict=True):
        st = os.stat(p)
        stats.append((st.st_size, st.st_mtime_ns))
        if c is not None:
            parts.append((p, 0, None))
        else:
            parts.extend((p, o, n) for o, n in block_offsets(st.st_size, size))
    path_column = None
    if include_path_column:
        path_column = "path" if include_path_column is True else include_path_column
        if path_column in meta.columns:
            raise ValueError(
                f"include_path_column={path_column!r} names an existing column: pass "
                "another name, e.g. include_path_column='source_path'"
            )
    reader = CSVBlockReader(meta, kwargs, header, compression, path_column=path_column, paths=paths)
    full_meta = meta
    if path_column is not None:
        full_meta = meta.assign(**{path_column: pd.Categorical([], categories=paths)})
    token = tokenize(paths, stats, size, compression, kwargs, sample, assume_missing, path_column)
    return from_map(
        reader, parts, meta=full_meta, label="read-csv", token=token, enforce_metadata=False
    )


def read_table(urlpath: Any, blocksize: str | int | float | None = "default", **kwargs: Any) -> Any:
    """Read tab-separated (or ``sep=``) text files; :func:`read_csv` with ``sep='\\t'``.

    Examples
    --------
    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), 't.tsv')
    >>> _ = open(p, 'w').write('a\\tb\\n1\\tx\\n2\\ty\\n')
    >>> read_table(p).compute().b.tolist()
    ['x', 'y']
    """
    kwargs.setdefault("sep", "\t")
    return read_csv(urlpath, blocksize=blocksize, **kwargs)


def _write_partition(
    df: Any,
    path: str,
    compression: str | None,
    encoding: str,
    append: bool,
    header: Any,
    kwargs: dict,
    *after: Any,
) -> pd.Series:
    """Write one partition (``after``: keys that must be written first, ignored)."""
    with open_binary(path, compression, "ab" if append else "wb") as raw:
        with io.TextIOWrapper(raw, encoding=encoding, newline="") as text:
            df.to_csv(text, header=header, **kwargs)
    return pd.Series([path], dtype=object)


def _output_paths(filename: str, n: int, name_function: Callable | None) -> list[str]:
    filename = os.fspath(filename)
    name_function = name_function or name_function_for(n)
    if "*" in filename:
        if filename.count("*") > 1:
            raise ValueError(f"the file name pattern {filename!r} may hold only one '*'")
        paths = [filename.replace("*", name_function(i)) for i in range(n)]
    else:
        os.makedirs(filename, exist_ok=True)
        paths = [os.path.join(filename, f"{name_function(i)}.part") for i in range(n)]
    if len(set(paths)) != n:
        raise ValueError("name_function gives the same name to two partitions: make it one-to-one")
    return paths


def to_csv(
    df: Any,
    filename: Any,
    single_file: bool = False,
    encoding: str = "utf-8",
    mode: str = "wt",
    name_function: Callable[[int], str] | None = None,
    compression: str | None = None,
    compute: bool = True,
    scheduler: Any = None,
    header_first_partition_only: bool | None = None,
    compute_kwargs: dict | None = None,
    **kwargs: Any,
) -> Any:
    """Write a DataFrame or Series to CSV files, one per partition or a single file.

    Parameters
    ----------
    df : DataFrame or Series
    filename : str or os.PathLike
        A pattern with one ``*`` (replaced by the partition number, zero-padded
        so the names sort in order, or by ``name_function(i)``); a directory
        (files ``0.part``, ``1.part``...); or, with ``single_file=True``, a file.
    single_file : bool
        Write every partition, in order, into one file (header once).
    encoding : str
    mode : str
        ``'wt'`` (overwrite) or ``'at'`` (append).
    name_function : callable, optional
        ``i -> str`` naming partition ``i`` in the pattern.
    compression : str, optional
        ``'gzip'``, ``'bz2'``, ``'xz'`` or ``None``.
    compute : bool
        Write now and return the file names; else return one Delayed per file.
    scheduler : optional
        The scheduler for ``compute`` (default: the dataframe default).
    header_first_partition_only : bool, optional
        Write the header only for the first partition (default: True for
        ``single_file``, False otherwise).
    compute_kwargs : dict, optional
        More keywords for ``compute``.
    **kwargs
        Passed to :meth:`pandas.DataFrame.to_csv` (``index``, ``sep``, ``columns``...).

    Returns
    -------
    list of str, or list of Delayed

    Examples
    --------
    >>> import os, tempfile, pandas as pd
    >>> import mpiflow.dataframe as dd
    >>> ddf = dd.from_pandas(pd.DataFrame({'x': [1, 2, 3]}), npartitions=2)
    >>> out = os.path.join(tempfile.mkdtemp(), 'all.csv')
    >>> _ = to_csv(ddf, out, single_file=True, index=False)
    >>> print(open(out).read())
    x
    1
    2
    3
    <BLANKLINE>
    """
    from mpiflow.dataframe.core import new_collection
    from mpiflow.delayed import Delayed

    if mode not in ("w", "wt", "a", "at"):
        raise ValueError(f"mode={mode!r}: use 'wt' (overwrite) or 'at' (append)")
    if compression is not None:
        infer_compression("", compression)  # validates the name
    append = mode.startswith("a")
    n = df.npartitions
    if header_first_partition_only is None:
        header_first_partition_only = single_file
    header = kwargs.pop("header", True)
    if single_file:
        path = os.fspath(filename)
        paths = [path] * n
        parent = os.path.dirname(path)
        if parent:
            os.makedirs(parent, exist_ok=True)
    else:
        paths = _output_paths(filename, n, name_function)
    token = tokenize(df, paths, compression, encoding, mode, header, kwargs, single_file)
    name = f"to-csv-{token}"
    layer: dict = {}
    for i in range(n):
        first = i == 0
        head = header if (first or not header_first_partition_only) else False
        if single_file:
            app = append or not first
            after = () if first else ((name, i - 1),)
        else:
            app, after = append, ()
        layer[(name, i)] = (
            _write_partition,
            (df._name, i),
            *map(quote_argument, (paths[i], compression, encoding, app, head, kwargs)),
            *after,
        )
    graph = LayeredGraph.from_layer(name, layer, [df])
    if not compute:
        return [Delayed((name, i), graph) for i in range(n)]
    out = new_collection(graph, name, pd.Series([], dtype=object), (None,) * (n + 1))
    kw = dict(compute_kwargs or {})
    if scheduler is not None:
        kw["scheduler"] = scheduler
    written = out.compute(**kw).tolist()
    return list(dict.fromkeys(written)) if single_file else written
