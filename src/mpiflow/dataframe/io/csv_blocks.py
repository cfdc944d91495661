"""Partition-level CSV reading: byte ranges at line boundaries, sampling, one block.

A large uncompressed file is cut into blocks of about ``blocksize`` bytes. A
block owns the lines whose first byte lies after the first newline at or
after its nominal start, up to and including the first newline at or after
its nominal end; so every line belongs to exactly one block and no task needs
to know where its neighbours cut. The first block of a file keeps the header
(and the rows ``skiprows`` skips); later blocks are read with the header line
put in front, so each is parsed exactly as the whole file would be.

Quoted fields holding newlines cannot be split this way (as in Dask): read such
files with ``blocksize=None``.

Examples
--------
>>> block_offsets(10, 4)
[(0, 4), (4, 4), (8, 2)]
"""

from __future__ import annotations

import difflib
import io
import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from mpiflow.dataframe.io.dtype_check import coerce_dtypes, int_to_float
from mpiflow.dataframe.io.paths import infer_compression, open_binary

__all__ = [
    "block_offsets",
    "line_start",
    "read_line_block",
    "read_sample",
    "header_spec",
    "infer_meta",
    "CSVBlockReader",
]

_CHUNK = 1 << 16
_LINE_IN_ERROR = re.compile(r"(line )(\d+)")


def block_offsets(size: int, blocksize: int | None) -> list[tuple[int, int | None]]:
    """Nominal ``(offset, length)`` byte ranges covering a file of ``size`` bytes.

    ``blocksize=None`` gives one range ``(0, None)``: the whole file.

    Examples
    --------
    >>> block_offsets(5, None), block_offsets(0, 4)
    ([(0, None)], [(0, None)])
    """
    if blocksize is None or size <= blocksize:
        return [(0, None)]
    return [(off, min(blocksize, size - off)) for off in range(0, size, blocksize)]


def line_start(f: Any, pos: int) -> int:
    """The offset just after the first newline at or after ``pos`` (0 stays 0; EOF if none).

    Examples
    --------
    >>> import io
    >>> f = io.BytesIO(b'ab\\ncd\\nef')
    >>> [line_start(f, p) for p in (0, 1, 2, 3, 7)]
    [0, 3, 3, 6, 8]
    """
    if pos <= 0:
        return 0
    f.seek(pos)
    while True:
        chunk = f.read(_CHUNK)
        if not chunk:
            return f.tell()
        i = chunk.find(b"\n")
        if i >= 0:
            return pos + i + 1
        pos += len(chunk)


def read_line_block(path: str, offset: int, length: int, skip_lines: int = 0) -> tuple[bytes, int]:
    """The whole lines of the byte range ``[offset, offset + length)`` and their start.

    Parameters
    ----------
    path : str
        An uncompressed file.
    offset, length : int
        The nominal range (see the module docstring for which lines it owns).
    skip_lines : int
        The first lines of the file (skipped rows, the header) belong to the
        block at offset 0 whatever the block size.

    Returns
    -------
    (bytes, int)
        The lines, and the offset in the file where they start.

    Examples
    --------
    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), 'f.csv')
    >>> _ = open(p, 'wb').write(b'a\\n11\\n22\\n33\\n')
    >>> [read_line_block(p, o, 4) for o in (0, 4, 8)]
    [(b'a\\n11\\n', 0), (b'22\\n33\\n', 5), (b'', 11)]
    >>> [read_line_block(p, o, 1, skip_lines=2) for o in (0, 1)]
    [(b'a\\n11\\n', 0), (b'', 5)]
    """
    with open(path, "rb") as f:
        start, end = _line_range(f, offset, length, skip_lines)
        f.seek(start)
        return f.read(end - start), start


def _line_range(f: Any, offset: int, length: int, skip_lines: int) -> tuple[int, int]:
    """``(start, end)`` in the file of the lines owned by the nominal range."""
    zone = _lines_end(f, skip_lines) if skip_lines else 0
    start = max(line_start(f, offset), zone) if offset else 0
    end = max(line_start(f, offset + length), zone)
    return start, max(start, end)


class _BlockStream(io.RawIOBase):
    """The bytes ``header + file[start:end]`` as a stream, never all in memory at once."""

    def __init__(self, path: str, start: int, end: int, header: bytes) -> None:
        super().__init__()
        self._f = open(path, "rb")
        self._f.seek(start)
        self._left = end - start
        self._head = memoryview(header)

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        if len(self._head):
            k = min(len(b), len(self._head))
            b[:k] = self._head[:k]
            self._head = self._head[k:]
            return k
        k = min(len(b), self._left)
        if k <= 0:
            return 0
        got = self._f.readinto(memoryview(b)[:k]) or 0
        self._left -= got
        return got

    def close(self) -> None:
        self._f.close()
        super().close()


def _lines_end(f: Any, n: int) -> int:
    """The offset just after the first ``n`` lines of ``f``."""
    f.seek(0)
    pos = 0
    while n > 0:
        chunk = f.read(_CHUNK)
        if not chunk:
            return pos
        i = -1
        while n > 0:
            i = chunk.find(b"\n", i + 1)
            if i < 0:
                break
            n -= 1
        if n == 0:
            return pos + i + 1
        pos += len(chunk)
    return pos


def read_sample(path: str, compression: str | None, sample: int, min_lines: int = 2) -> bytes:
    """The first whole lines of a file, about ``sample`` bytes, at least ``min_lines``.

    Examples
    --------
    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), 'f.csv')
    >>> _ = open(p, 'wb').write(b'name,x\\nalice,1\\nbob,2\\n')
    >>> read_sample(p, None, 10)
    b'name,x\\nalice,1\\n'
    """
    with open_binary(path, compression) as f:
        data = f.read(sample)
        while data.count(b"\n") < min_lines:
            more = f.read(_CHUNK)
            if not more:
                break
            data += more
        more = f.read(1)
    if not more and len(data) <= sample:
        return data
    cut = data.rfind(b"\n", 0, sample)
    if data.count(b"\n", 0, cut + 1) < min_lines:  # keep min_lines lines
        cut = -1
        for _ in range(min_lines):
            nxt = data.find(b"\n", cut + 1)
            if nxt < 0:
                break
            cut = nxt
    return data[: cut + 1] if cut >= 0 else data


def header_spec(kwargs: Mapping) -> tuple[int | None, int]:
    """``(header line index or None, rows skipped before it)`` for pandas ``read_csv`` kwargs.

    Examples
    --------
    >>> header_spec({}), header_spec({'names': ['a']}), header_spec({'skiprows': 2})
    ((0, 0), (None, 0), (0, 2))
    """
    header = kwargs.get("header", "infer")
    if header == "infer":
        header = None if kwargs.get("names") is not None else 0
    skip = kwargs.get("skiprows") or 0
    if header is not None and not isinstance(header, int):
        raise ValueError(
            f"header={header!r} is not supported by read_csv: pass an int line number or None"
        )
    if not isinstance(skip, int):
        raise ValueError(
            f"skiprows={skip!r} (a list or function) cannot be applied to blocks of a "
            "file: pass an int, or blocksize=None to read each file in one piece"
        )
    return header, skip


def _header_bytes(sample: bytes, header: int | None, skip: int) -> bytes:
    if header is None:
        return b""
    lines = sample.splitlines(keepends=True)
    i = skip + header
    if i >= len(lines):
        raise ValueError(
            "the sample holds no header line: increase `sample=` (bytes) in the read_csv call"
        )
    line = lines[i]
    return line if line.endswith(b"\n") else line + b"\n"


def infer_meta(
    path: str,
    compression: str | None,
    kwargs: Mapping,
    sample: int = 256_000,
    sample_rows: int = 10,
    assume_missing: bool = False,
) -> tuple[pd.DataFrame, bytes]:
    """The empty frame (columns, dtypes) inferred from a file's first rows, and its header.

    Parameters
    ----------
    path : str
        The first file.
    compression : str or None
    kwargs : Mapping
        Keyword arguments for :func:`pandas.read_csv` (``dtype``, ``usecols``,
        ``parse_dates``, ``sep``...).
    sample : int
        Bytes read from the start of the file.
    sample_rows : int
        Rows of the sample parsed to infer the dtypes (as Dask: 10).
    assume_missing : bool
        Make integer columns without an explicit ``dtype`` float64.

    Returns
    -------
    (pandas.DataFrame, bytes)
        The meta and the header line to put in front of later blocks.

    Examples
    --------
    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), 'f.csv')
    >>> _ = open(p, 'wb').write(b'name,x\\nalice,1\\nbob,2\\n')
    >>> meta, header = infer_meta(p, None, {}, assume_missing=True)
    >>> meta.dtypes['x'], header
    (dtype('float64'), b'name,x\\n')
    """
    header, skip = header_spec(kwargs)
    need = skip + (header + 1 if header is not None else 0) + 1
    data = read_sample(path, compression, sample, need)
    try:
        head = pd.read_csv(io.BytesIO(data), nrows=sample_rows, **kwargs)
    except pd.errors.EmptyDataError:
        raise ValueError(
            f"{path!r} is empty or holds no columns: check the file, or pass names=[...]"
        ) from None
    except pd.errors.ParserError as e:
        raise _parser_error(e, path, 0) from None
    except ValueError as e:
        if "secols do not match" not in str(e):
            raise
        raise ValueError(f"{e}{_usecols_hint(data, kwargs)}") from None
    dtypes = dict(head.dtypes)
    if assume_missing:
        given = kwargs.get("dtype")
        keep = given.keys() if isinstance(given, Mapping) else (dtypes if given else ())
        dtypes = int_to_float(dtypes, keep)
    meta = head.iloc[:0].astype(dtypes) if dtypes != dict(head.dtypes) else head.iloc[:0]
    return meta, _header_bytes(data, header, skip)


def _usecols_hint(data: bytes, kwargs: Mapping) -> str:
    """`` (did you mean ...?)`` for the first usecols name that is not a column."""
    kw = {k: v for k, v in kwargs.items() if k not in ("usecols", "dtype", "parse_dates")}
    try:
        cols = [str(c) for c in pd.read_csv(io.BytesIO(data), nrows=0, **kw).columns]
    except Exception:
        return ""
    wanted = kwargs.get("usecols")
    for name in wanted if isinstance(wanted, (list, tuple)) else []:
        if isinstance(name, str) and name not in cols:
            close = difflib.get_close_matches(name, cols, n=1)
            if close:
                return f" ({name!r} is not a column: did you mean {close[0]!r}?)"
    return f" (the columns are {cols})"


def _count_lines(path: str, end: int) -> int:
    n = 0
    with open(path, "rb") as f:
        while end > 0:
            chunk = f.read(min(end, 1 << 22))
            if not chunk:
                break
            n += chunk.count(b"\n")
            end -= len(chunk)
    return n


def _parser_error(e: Exception, path: str, line_offset: int) -> ValueError:
    """A ParserError naming the file and the line in the file."""
    msg = str(e)
    m = _LINE_IN_ERROR.search(msg)
    if m:
        line = int(m.group(2)) + line_offset
        msg = _LINE_IN_ERROR.sub(lambda mm: f"{mm.group(1)}{line}", msg, count=1)
        where = f"{path!r}, line {line}"
    else:
        where = repr(path)
    return pd.errors.ParserError(
        f"malformed CSV in {where}: {msg}. Fix the line, or pass on_bad_lines='skip' "
        "(or 'warn') to read_csv to drop such lines"
    )


class CSVBlockReader:
    """Reads one block (or one whole file) of CSV into a pandas DataFrame.

    Called with a partition's input ``(path, offset, length)``; ``length`` is
    ``None`` for a whole (possibly compressed) file. Checks the columns, casts
    to the inferred dtypes or raises the dtype table error, orders columns as
    the meta, and adds the path column when asked.

    Parameters
    ----------
    meta : pandas.DataFrame
        The empty frame of the output (without the path column).
    kwargs : dict
        Keyword arguments for :func:`pandas.read_csv` of a file's first block.
    header : bytes
        The header line put in front of later blocks.
    compression : str or None
    columns : list, optional
        Read only these columns of ``meta`` (``usecols``); default all.
    path_column : str, optional
        Name of a categorical column holding the file's path.
    paths : list of str, optional
        All paths (the categories of the path column).

    Examples
    --------
    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), 'f.csv')
    >>> _ = open(p, 'wb').write(b'a,b\\n1,x\\n2,y\\n3,z\\n')
    >>> meta, header = infer_meta(p, None, {})
    >>> reader = CSVBlockReader(meta, {}, header, None)
    >>> reader((p, 7, 8))
       a  b
    0  2  y
    1  3  z
    >>> reader.project_columns(['b'])((p, 0, None))
       b
    0  x
    1  y
    2  z
    """

    def __init__(
        self,
        meta: pd.DataFrame,
        kwargs: Mapping,
        header: bytes,
        compression: str | None,
        columns: list | None = None,
        path_column: str | None = None,
        paths: list | None = None,
    ) -> None:
        self.meta = meta
        self.kwargs = dict(kwargs)
        self.header = header
        self.compression = compression
        all_cols = list(meta.columns)
        self.columns = all_cols if columns is None else list(columns)
        self.path_column = path_column
        self.paths = paths
        # read at least one column (the row count), even if only the path is wanted
        self._read = self.columns or all_cols[:1]
        self._dtypes = {c: meta.dtypes[c] for c in self._read}
        self._first_kw = dict(self.kwargs)
        if self._read != all_cols:
            self._first_kw["usecols"] = self._read
            dates = self._first_kw.get("parse_dates")
            if isinstance(dates, (list, tuple)):  # only the dates among the columns read
                self._first_kw["parse_dates"] = [c for c in dates if c in self._read]
        self._rest_kw = dict(self._first_kw)
        self._rest_kw.pop("skiprows", None)
        if header:
            self._rest_kw["header"] = 0
        self._lines_in_header = header.count(b"\n")
        head_line, skip = header_spec(self.kwargs)
        self._skip_lines = skip + (head_line + 1 if head_line is not None else 0)

    def project_columns(self, columns: list) -> CSVBlockReader:
        """A reader of only ``columns`` (in the meta's order; may name the path column).

        Examples
        --------
        >>> import pandas as pd
        >>> r = CSVBlockReader(pd.DataFrame({'a': [], 'b': []}), {}, b'a,b\\n', None)
        >>> r.project_columns(['b']).columns
        ['b']
        """
        wanted = set(columns)
        keep_path = self.path_column is not None and self.path_column in wanted
        return CSVBlockReader(
            self.meta,
            self.kwargs,
            self.header,
            self.compression,
            [c for c in self.meta.columns if c in wanted],
            self.path_column if keep_path else None,
            self.paths,
        )

    def __call__(self, part: tuple) -> pd.DataFrame:
        path, offset, length = part
        if length is None:  # a whole file
            src: Any = path
            kw = dict(self._first_kw, compression=infer_compression(path, self.compression))
            start, end, first = 0, None, True
        else:
            with open(path, "rb") as f:
                start, end = _line_range(f, offset, length, self._skip_lines)
            first = start == 0
            kw = self._first_kw if first else self._rest_kw
            head = b"" if first else self.header
            src = io.BufferedReader(_BlockStream(path, start, end, head), 1 << 20)
        try:
            df = pd.read_csv(src, **kw)
        except pd.errors.EmptyDataError:
            df = self.meta[self._read].copy()
        except pd.errors.ParserError as e:
            shift = 0 if first else _count_lines(path, start) - self._lines_in_header
            raise _parser_error(e, path, shift) from None
        finally:
            if not isinstance(src, str):
                src.close()
        where = f"{path}" + (f", bytes {start}-{end}" if end is not None else "")
        df = self._check(df, where)
        if not self.columns:
            df = df[[]]
        if self.path_column is not None:
            cats = self.paths if self.paths is not None else [path]
            codes = np.full(len(df), cats.index(path), dtype=np.int32)
            df[self.path_column] = pd.Categorical.from_codes(codes, categories=cats)
        return df

    def _check(self, df: pd.DataFrame, where: str) -> pd.DataFrame:
        cols = list(df.columns)
        if cols != self._read:
            if set(cols) != set(self._read):
                missing = [c for c in self._read if c not in cols]
                extra = [c for c in cols if c not in self._read]
                raise ValueError(
                    f"the columns of {where} differ from those inferred from the first file: "
                    f"missing {missing}, unexpected {extra}. Read files with different "
                    "columns separately, or pass usecols=[...] to read_csv"
                )
            df = df[self._read]
        return coerce_dtypes(df, self._dtypes, where)
