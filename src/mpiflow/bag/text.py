"""Text files: :func:`read_text` (lines in, one partition per file or block) and
:func:`to_textfiles` (one file per partition out).

Compression (``gzip``, ``bz2``, ``xz``) is taken from the file extension
(``.gz``, ``.bz2``, ``.xz``) or given with ``compression=``. An uncompressed
file can be split into blocks of about ``blocksize`` bytes: each block
holds the lines that start inside it, so no line is cut or lost.

Examples
--------
>>> import os, tempfile
>>> d = tempfile.mkdtemp()
>>> with open(os.path.join(d, 'a.txt'), 'w') as f:
...     _ = f.write('one\\ntwo\\nthree\\n')
>>> b = read_text(os.path.join(d, '*.txt'))
>>> b.compute(scheduler='sync')
['one\\n', 'two\\n', 'three\\n']
>>> read_text(os.path.join(d, 'a.txt'), blocksize=5).npartitions
3
"""

from __future__ import annotations

import bz2
import glob
import gzip
import io
import lzma
import os
import re
from collections.abc import Callable
from typing import Any

from mpiflow.bag.core import Bag
from mpiflow.bag.pipeline import optimize
from mpiflow.core.layers import LayeredGraph
from mpiflow.core.tokenize import tokenize

__all__ = ["read_text", "to_textfiles", "expand_paths"]

_OPENERS: dict[str, Callable] = {"gzip": gzip.open, "bz2": bz2.open, "xz": lzma.open}
_EXTENSIONS = {".gz": "gzip", ".gzip": "gzip", ".bz2": "bz2", ".xz": "xz", ".lzma": "xz"}
_UNITS = {
    "": 1,
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
}


def _parse_bytes(size: Any) -> int:
    """``1_000``, ``1e6`` or ``'64MB'`` as a number of bytes.

    Examples
    --------
    >>> _parse_bytes('64MB'), _parse_bytes(1e3), _parse_bytes('2 KiB')
    (64000000, 1000, 2048)
    """
    if isinstance(size, str):
        m = re.fullmatch(r"\s*([0-9.]+(?:e[0-9]+)?)\s*([a-zA-Z]*)\s*", size)
        if not m or m.group(2).lower() not in _UNITS:
            raise ValueError(f"cannot read {size!r} as a size in bytes; use e.g. 64e6 or '64MB'")
        return int(float(m.group(1)) * _UNITS[m.group(2).lower()])
    return int(size)


def _infer_compression(path: str, compression: str | None) -> str | None:
    if compression == "infer":
        return _EXTENSIONS.get(os.path.splitext(path)[1].lower())
    if compression is not None and compression not in _OPENERS:
        raise ValueError(
            f"unknown compression {compression!r}; use one of {sorted(_OPENERS)}, "
            "None or 'infer' (from the file extension)"
        )
    return compression


def expand_paths(urlpath: Any) -> list:
    """The sorted files of a glob, a path or a list of them; missing files raise.

    Raises
    ------
    FileNotFoundError
        Naming the pattern that matched nothing or the file that does not exist.

    Examples
    --------
    >>> expand_paths('/no/such/dir/*.txt')
    Traceback (most recent call last):
      ...
    FileNotFoundError: read_text: the pattern '/no/such/dir/*.txt' matched no files
    """
    items = [urlpath] if isinstance(urlpath, (str, os.PathLike)) else list(urlpath)
    if not items:
        raise FileNotFoundError("read_text: an empty list of paths was given")
    out = []
    for item in items:
        p = os.fspath(item)
        if p.startswith("file://"):
            p = p[len("file://") :]
        p = os.path.expanduser(p)
        if glob.has_magic(p):
            found = sorted(f for f in glob.glob(p) if os.path.isfile(f))
            if not found:
                raise FileNotFoundError(f"read_text: the pattern {p!r} matched no files")
            out.extend(found)
        elif os.path.isdir(p):
            found = sorted(
                os.path.join(p, f) for f in os.listdir(p) if os.path.isfile(os.path.join(p, f))
            )
            if not found:
                raise FileNotFoundError(f"read_text: the directory {p!r} holds no files")
            out.extend(found)
        elif not os.path.exists(p):
            raise FileNotFoundError(f"read_text: no such file: {p!r}")
        else:
            out.append(p)
    return out


def _open_text(path: str, compression: str | None, encoding: str, errors: str) -> Any:
    if compression is None:
        return open(path, encoding=encoding, errors=errors)
    return _OPENERS[compression](path, "rt", encoding=encoding, errors=errors)


def _read_file(
    path: str, compression: str | None, encoding: str, errors: str, include_path: bool
) -> list:
    with _open_text(path, compression, encoding, errors) as f:
        lines = f.readlines()
    if include_path:
        return [(line, path) for line in lines]
    return lines


def _read_files(
    paths: list, compression: Any, encoding: str, errors: str, include_path: bool
) -> list:
    out: list = []
    for p, comp in zip(paths, compression, strict=True):
        out.extend(_read_file(p, comp, encoding, errors, include_path))
    return out


def _read_block(
    path: str, start: int, end: int, encoding: str, errors: str, include_path: bool
) -> list:
    """The lines of ``path`` that start in the byte range ``[start, end)``."""
    with open(path, "rb") as f:
        if start > 0:
            f.seek(start - 1)
            f.readline()  # skip the rest of the line that started before ``start``
        pos = f.tell()
        data = f.read(end - pos) if pos < end else b""
        if data and not data.endswith(b"\n"):
            data += f.readline()
    lines = io.StringIO(data.decode(encoding, errors), newline=None).readlines()
    if include_path:
        return [(line, path) for line in lines]
    return lines


def read_text(
    urlpath: Any,
    blocksize: Any = None,
    compression: str | None = "infer",
    encoding: str = "utf-8",
    errors: str = "strict",
    files_per_partition: int | None = None,
    include_path: bool = False,
) -> Bag:
    """A bag of the lines of text files (each line keeps its ``'\\n'``).

    Parameters
    ----------
    urlpath : str, path or list of them
        File names or glob patterns (``'logs/2024-*.json.gz'``).
    blocksize : int or str, optional
        Split each uncompressed file into blocks of about this many bytes
        (``64e6``, ``'64MB'``), cut at line ends; default one partition per file.
    compression : {'infer', 'gzip', 'bz2', 'xz', None}
        ``'infer'`` (default) from the extension.
    encoding, errors : str
        Text decoding (as :func:`open`).
    files_per_partition : int, optional
        Put this many whole files in each partition.
    include_path : bool, default False
        Elements are ``(line, path)`` pairs.

    Raises
    ------
    FileNotFoundError
        A pattern that matches nothing (naming it) or a missing file.
    ValueError
        ``blocksize`` with compressed files, or with ``files_per_partition``.

    Examples
    --------
    >>> import os, tempfile
    >>> d = tempfile.mkdtemp()
    >>> for name in ('a', 'b'):
    ...     with open(os.path.join(d, name + '.txt'), 'w') as f:
    ...         _ = f.write(name + '1\\n' + name + '2\\n')
    >>> b = read_text(os.path.join(d, '*.txt'), include_path=True)
    >>> [(line, os.path.basename(p)) for line, p in b.compute(scheduler='sync')][:2]
    [('a1\\n', 'a.txt'), ('a2\\n', 'a.txt')]
    """
    paths = expand_paths(urlpath)
    comps = [_infer_compression(p, compression) for p in paths]
    tok = tokenize(
        paths,
        [os.path.getmtime(p) for p in paths],
        blocksize,
        compression,
        encoding,
        errors,
        files_per_partition,
        include_path,
    )
    name = f"read-text-{tok}"
    layer: dict = {}
    if files_per_partition is not None:
        if blocksize is not None:
            raise ValueError("read_text: pass blocksize= or files_per_partition=, not both")
        k = int(files_per_partition)
        if k < 1:
            raise ValueError(f"files_per_partition must be at least 1, got {k}")
        for i, j in enumerate(range(0, len(paths), k)):
            layer[(name, i)] = (
                _read_files,
                paths[j : j + k],
                comps[j : j + k],
                encoding,
                errors,
                include_path,
            )
    elif blocksize is None:
        for i, (p, c) in enumerate(zip(paths, comps, strict=True)):
            layer[(name, i)] = (_read_file, p, c, encoding, errors, include_path)
    else:
        size = _parse_bytes(blocksize)
        if size < 1:
            raise ValueError(f"read_text: blocksize must be positive, got {blocksize!r}")
        compressed = [p for p, c in zip(paths, comps, strict=True) if c is not None]
        if compressed:
            raise ValueError(
                f"read_text: cannot split compressed files into blocks ({compressed[0]!r}); "
                "use blocksize=None (one partition per file)"
            )
        i = 0
        for p in paths:
            total = os.path.getsize(p)
            for start in range(0, max(total, 1), size):
                end = min(start + size, total)
                layer[(name, i)] = (_read_block, p, start, end, encoding, errors, include_path)
                i += 1
    return Bag(layer, name, len(layer))


# --------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------


def _write_partition(
    part: Any, path: str, compression: str | None, encoding: str, last_endline: bool
) -> str:
    if compression is None:
        f = open(path, "w", encoding=encoding)
    else:
        f = _OPENERS[compression](path, "wt", encoding=encoding)
    with f:
        first = True
        for line in part:
            if not first:
                f.write("\n")
            first = False
            f.write(line)
        if last_endline and not first:
            f.write("\n")
    return path


def _output_paths(path: Any, n: int, name_function: Callable | None) -> list:
    name_function = name_function or str
    if isinstance(path, (list, tuple)):
        if len(path) != n:
            raise ValueError(f"to_textfiles: got {len(path)} paths for {n} partitions")
        return [os.fspath(p) for p in path]
    path = os.fspath(path)
    if "*" not in path:
        os.makedirs(path, exist_ok=True)
        path = os.path.join(path, "*.part")
    if path.count("*") != 1:
        raise ValueError(f"to_textfiles: the path {path!r} must contain exactly one '*'")
    parent = os.path.dirname(path)
    if parent:
        os.makedirs(parent, exist_ok=True)
    return [path.replace("*", name_function(i)) for i in range(n)]


def to_textfiles(
    b: Bag,
    path: Any,
    name_function: Callable | None = None,
    compression: str | None = "infer",
    encoding: str = "utf-8",
    compute: bool = True,
    last_endline: bool = False,
    **kwargs: Any,
) -> list:
    """Write one text file per partition, elements (strings) separated by ``'\\n'``.

    Parameters
    ----------
    b : Bag
        A bag of strings.
    path : str or list
        A path with one ``'*'`` (replaced by ``name_function(i)``), a directory
        (files ``0.part``, ``1.part``...) or a list of one path per partition.
    name_function : callable, optional
        Partition number to file-name part; default ``str``.
    compression : {'infer', 'gzip', 'bz2', 'xz', None}
        ``'infer'`` (default) from the extension.
    encoding : str
    compute : bool, default True
        Write now and return the file names; with False, return one Delayed
        per file.
    last_endline : bool, default False
        End each file with ``'\\n'``.
    **kwargs
        Passed to ``compute`` (``scheduler=``...).

    Examples
    --------
    >>> import os, tempfile
    >>> import mpiflow.bag as db
    >>> d = tempfile.mkdtemp()
    >>> out = db.from_sequence(['x', 'y', 'z'], npartitions=2).to_textfiles(
    ...     os.path.join(d, 'part-*.txt.gz'), scheduler='sync')
    >>> [os.path.basename(p) for p in out]
    ['part-0.txt.gz', 'part-1.txt.gz']
    >>> sorted(db.read_text(out).compute(scheduler='sync'))
    ['x\\n', 'y', 'z']
    """
    from mpiflow.delayed import Delayed

    paths = _output_paths(path, b.npartitions, name_function)
    name = f"to-textfiles-{tokenize(b.name, paths, compression, encoding, last_endline)}"
    layer = {
        (name, i): (
            _write_partition,
            (b.name, i),
            p,
            _infer_compression(p, compression),
            encoding,
            last_endline,
        )
        for i, p in enumerate(paths)
    }
    keys = list(layer)
    dsk = optimize(LayeredGraph.from_layer(name, layer, [b]), keys)
    values = [Delayed(k, dsk) for k in keys]
    if not compute:
        return values
    from mpiflow import base

    if "scheduler" not in kwargs and "get" not in kwargs:
        kwargs["scheduler"] = Bag.__mpiflow_scheduler__
    return list(base.compute(*values, **kwargs))
