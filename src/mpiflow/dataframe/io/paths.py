"""Local paths for the readers and writers: globs, lists, compression, output names.

Examples
--------
>>> sorted(['part-10.csv', 'part-2.csv', 'part-1.csv'], key=natural_sort_key)
['part-1.csv', 'part-2.csv', 'part-10.csv']
>>> infer_compression('data.csv.gz', 'infer')
'gzip'
"""

from __future__ import annotations

import bz2
import glob
import gzip
import lzma
import os
import re
from collections.abc import Callable
from typing import IO, Any

__all__ = [
    "expand_paths",
    "infer_compression",
    "open_binary",
    "natural_sort_key",
    "name_function_for",
    "COMPRESSIONS",
]

#: compression name -> (file extensions, opener)
COMPRESSIONS: dict[str, tuple[tuple[str, ...], Callable[..., IO[bytes]]]] = {
    "gzip": ((".gz", ".gzip"), gzip.open),
    "bz2": ((".bz2",), bz2.open),
    "xz": ((".xz", ".lzma"), lzma.open),
}

_GLOB_CHARS = re.compile(r"[*?\[]")


def natural_sort_key(s: str) -> list:
    """A sort key that orders the numbers inside names by value (``2`` before ``10``).

    Examples
    --------
    >>> natural_sort_key('f10.csv')
    ['f', 10, '.csv']
    """
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", s) if part]


def _strip_protocol(path: str) -> str:
    if path.startswith("file://"):
        return path[len("file://") :]
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]+://", path):
        raise NotImplementedError(
            f"cannot read {path!r}: only local paths (and file://) are supported; copy the "
            "data to a local or shared file system first"
        )
    return path


def _expand_one(path: Any) -> list[str]:
    if isinstance(path, os.PathLike):
        path = os.fspath(path)
    if not isinstance(path, str):
        raise TypeError(f"a path must be a str or os.PathLike, got {type(path).__name__}: {path!r}")
    path = os.path.expanduser(_strip_protocol(path))
    if _GLOB_CHARS.search(path):
        found = [p for p in glob.glob(path, recursive=True) if os.path.isfile(p)]
        if not found:
            raise FileNotFoundError(
                f"no files match the pattern {path!r} (working directory {os.getcwd()!r}); "
                "check the pattern and that the files exist"
            )
        return sorted(found, key=natural_sort_key)
    if os.path.isdir(path):
        found = [
            os.path.join(path, f)
            for f in os.listdir(path)
            if not f.startswith((".", "_")) and os.path.isfile(os.path.join(path, f))
        ]
        if not found:
            raise FileNotFoundError(f"the directory {path!r} holds no data files")
        return sorted(found, key=natural_sort_key)
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"no such file: {path!r} (working directory {os.getcwd()!r}); check the path"
        )
    return [path]


def expand_paths(urlpath: Any) -> list[str]:
    """The files named by a path, a glob pattern, a directory, or a list of those.

    Globs and directory listings are sorted in natural order, so ``part-2``
    comes before ``part-10``.

    Parameters
    ----------
    urlpath : str, os.PathLike or list of them
        ``'data/*.csv'``, ``'data/2024-01.csv'``, ``['a.csv', 'b.csv']``, a
        directory (its files, hidden and ``_``-prefixed ones left out), or a
        ``file://`` URL.

    Returns
    -------
    list of str

    Raises
    ------
    FileNotFoundError
        A path that does not exist, or a pattern that matches no file (the
        message names it).

    Examples
    --------
    >>> import os, tempfile
    >>> d = tempfile.mkdtemp()
    >>> for name in ['b-10.csv', 'b-2.csv']:
    ...     _ = open(os.path.join(d, name), 'w').write('x\\n1\\n')
    >>> [os.path.basename(p) for p in expand_paths(os.path.join(d, '*.csv'))]
    ['b-2.csv', 'b-10.csv']
    >>> expand_paths(os.path.join(d, '*.parquet'))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    FileNotFoundError: no files match the pattern '...*.parquet' ...
    """
    if isinstance(urlpath, (list, tuple)):
        if not urlpath:
            raise FileNotFoundError("an empty list of paths was given: pass at least one file")
        out: list[str] = []
        for p in urlpath:
            out.extend(_expand_one(p))
        return out
    return _expand_one(urlpath)


def infer_compression(path: str, compression: str | None) -> str | None:
    """The compression of ``path``: ``compression``, or from the extension if ``'infer'``.

    Examples
    --------
    >>> infer_compression('a.csv.bz2', 'infer'), infer_compression('a.csv', 'infer')
    ('bz2', None)
    >>> infer_compression('a.csv', 'zip')
    Traceback (most recent call last):
    ValueError: unsupported compression 'zip': use one of None, 'infer', 'gzip', 'bz2', 'xz'
    """
    if compression == "infer":
        lower = path.lower()
        for name, (exts, _) in COMPRESSIONS.items():
            if lower.endswith(exts):
                return name
        return None
    if compression is None or compression in COMPRESSIONS:
        return compression
    raise ValueError(
        f"unsupported compression {compression!r}: use one of None, 'infer', "
        + ", ".join(repr(c) for c in COMPRESSIONS)
    )


def open_binary(path: str, compression: str | None = None, mode: str = "rb") -> IO[bytes]:
    """Open ``path`` in binary ``mode``, decompressing (or compressing) on the fly.

    Examples
    --------
    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), 'x.gz')
    >>> with open_binary(p, 'gzip', 'wb') as f:
    ...     _ = f.write(b'hello')
    >>> with open_binary(p, 'gzip') as f:
    ...     f.read()
    b'hello'
    """
    if compression is None:
        return open(path, mode)
    return COMPRESSIONS[compression][1](path, mode)


def name_function_for(n: int) -> Callable[[int], str]:
    """A name function that zero-pads partition numbers so names sort in order.

    Examples
    --------
    >>> f = name_function_for(12)
    >>> f(3), f(11)
    ('03', '11')
    """
    width = len(str(max(n - 1, 0)))

    def name(i: int) -> str:
        return str(i).zfill(width)

    return name
