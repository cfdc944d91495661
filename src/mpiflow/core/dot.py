"""Draw a task graph with Graphviz: :func:`to_dot` (text) and :func:`write_dot` (files).

Every key is a box labelled with its short name; every task adds an ellipse
labelled with its function's name, with edges from the boxes of its
dependencies to the ellipse and from the ellipse to its own box, so data
flows along the arrows. :func:`to_dot` only builds text; :func:`write_dot` is
the one function of the graph layer that touches files or runs a program.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import warnings
from collections.abc import Mapping
from typing import Any

from mpiflow.core.spec import get_dependencies, istask

__all__ = ["to_dot", "write_dot", "key_label", "func_label"]

RANKDIRS = ("TB", "BT", "LR", "RL")
#: Output formats recognised from a filename's extension.
FORMATS = frozenset(
    {"dot", "png", "svg", "pdf", "jpg", "jpeg", "gif", "ps", "eps", "bmp", "tif", "tiff", "json"}
)
_TOKEN_PART = re.compile(r"[0-9a-f]{8,}|[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}")


def _short(part: Any) -> str:
    """``'inc-3f2a...'`` -> ``'inc'``: drop trailing dash-separated hex tokens."""
    if isinstance(part, bytes):
        part = part.decode("utf-8", "replace")
    if not isinstance(part, str):
        return str(part)
    words = part.split("-")
    while len(words) > 1 and _TOKEN_PART.fullmatch(words[-1]):
        words.pop()
    return "-".join(words)


def key_label(key: Any, verbose: bool = False) -> str:
    """Return the label drawn for ``key``.

    Examples
    --------
    >>> key_label('inc-3f2a9c0d1e2b4a5c6d7e8f9a0b1c2d3e')
    'inc'
    >>> key_label(('x-3f2a9c0d1e2b4a5c', 0, 1))
    'x, 0, 1'
    >>> key_label('x-1'), key_label(('x', 0), verbose=True)
    ('x-1', 'x, 0')
    """
    if isinstance(key, tuple):
        return ", ".join(key_label(k, verbose) for k in key)
    if verbose:
        return key.decode("utf-8", "replace") if isinstance(key, bytes) else str(key)
    return _short(key)


def func_label(func: Any) -> str:
    """Return the label drawn for a task's function.

    Examples
    --------
    >>> from functools import partial
    >>> from operator import add
    >>> func_label(add), func_label(partial(add, 1)), func_label(lambda x: x)
    ('add', 'add', 'lambda')
    """
    while isinstance(func, functools.partial):
        func = func.func
    name = getattr(func, "__name__", None)
    if not isinstance(name, str):
        name = type(func).__name__
    return "lambda" if name == "<lambda>" else name


def _quote(text: str) -> str:
    """A DOT double-quoted string; newlines become ``\\n`` line breaks."""
    text = text.replace("\\", "\\\\").replace('"', '\\"')
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
    return f'"{text}"'


def to_dot(
    dsk: Mapping,
    rankdir: str = "BT",
    name: str = "mpiflow",
    collapse_outputs: bool = False,
    verbose: bool = False,
) -> str:
    """Return Graphviz DOT text drawing the graph ``dsk``.

    Parameters
    ----------
    dsk : dict
        The task graph.
    rankdir : {'BT', 'TB', 'LR', 'RL'}
        Direction of the data flow: bottom to top (default), top to bottom,
        left to right or right to left.
    name : str
        The graph's name in the DOT text.
    collapse_outputs : bool
        Draw no box for the output of a task: its ellipse stands for it.
        Keys holding plain data keep their box.
    verbose : bool
        Label boxes with the full key instead of its short name.

    Returns
    -------
    str
        DOT text. Node ids are ``d<i>`` for data and ``f<i>`` for functions,
        numbered in the graph's key order.

    Examples
    --------
    >>> from operator import add
    >>> print(to_dot({'x': 1, 'y': (add, 'x', 1)}), end='')
    digraph "mpiflow" {
      graph [rankdir=BT];
      d0 [label="x", shape=box];
      d1 [label="y", shape=box];
      f1 [label="add", shape=ellipse];
      d0 -> f1;
      f1 -> d1;
    }
    """
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {', '.join(RANKDIRS)}; got {rankdir!r}")
    ids = {key: i for i, key in enumerate(dsk)}
    tasks = {key for key, value in dsk.items() if istask(value)}
    nodes: list[str] = []
    edges: list[str] = []
    for key, value in dsk.items():
        i = ids[key]
        task = key in tasks
        if not (task and collapse_outputs):
            nodes.append(f"d{i} [label={_quote(key_label(key, verbose))}, shape=box];")
        target = f"d{i}"
        if task:
            nodes.append(f"f{i} [label={_quote(func_label(value[0]))}, shape=ellipse];")
            target = f"f{i}"
        for dep in sorted(get_dependencies(dsk, task=value), key=ids.__getitem__):
            source = "f" if collapse_outputs and dep in tasks else "d"
            edges.append(f"{source}{ids[dep]} -> {target};")
        if task and not collapse_outputs:
            edges.append(f"f{i} -> d{i};")
    lines = [f"digraph {_quote(name)} {{", f"  graph [rankdir={rankdir}];"]
    lines += ["  " + line for line in nodes + edges]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _split_format(filename: str, format: str | None) -> tuple[str, str]:
    base, ext = os.path.splitext(filename)
    ext = ext[1:].lower()
    if ext in FORMATS:
        if format is not None and format.lower() != ext:
            raise ValueError(
                f"filename {filename!r} asks for format {ext!r} but format={format!r}; "
                "drop one of them or make them agree"
            )
        return base, ext
    fmt = (format or "png").lower()
    if not re.fullmatch(r"[a-z0-9_:]+", fmt):
        raise ValueError(f"format must be a Graphviz output format such as 'png'; got {format!r}")
    return filename, fmt


def write_dot(
    dsk: Mapping,
    filename: str = "mpiflow",
    format: str | None = None,
    rankdir: str = "BT",
    *,
    strict: bool = False,
    timeout: float = 60.0,
    **kwargs: Any,
) -> str:
    """Write the graph as ``<filename>.dot`` and, if Graphviz is installed, render it.

    Parameters
    ----------
    dsk : dict
        The task graph.
    filename : str
        Output path. An extension naming a format (``.png``, ``.svg``,
        ``.pdf``, ``.dot``, ...) chooses the format and is replaced by
        ``.dot`` for the DOT file; without one, ``.dot`` and ``.<format>``
        are appended.
    format : str, optional
        Graphviz output format when ``filename`` has no format extension;
        default ``'png'``. ``'dot'`` writes only the DOT file.
    rankdir : {'BT', 'TB', 'LR', 'RL'}
        Direction of the data flow, as in :func:`to_dot`.
    strict : bool
        When the Graphviz ``dot`` program is not on ``PATH``: raise
        ``RuntimeError`` if True; otherwise (default) warn with a
        ``UserWarning`` and return the path of the DOT file.
    timeout : float
        Seconds ``dot`` may run before ``RuntimeError`` is raised.
    **kwargs
        Passed to :func:`to_dot` (``name``, ``collapse_outputs``, ``verbose``).

    Returns
    -------
    str
        Path of the rendered image, or of the DOT file when ``format`` is
        ``'dot'`` or Graphviz is missing.

    Raises
    ------
    RuntimeError
        If ``dot`` fails (the message holds its error output), times out, or
        is missing while ``strict=True``.

    Examples
    --------
    >>> import os, tempfile
    >>> from operator import add
    >>> path = write_dot({'x': 1, 'y': (add, 'x', 1)},
    ...                  os.path.join(tempfile.mkdtemp(), 'graph.dot'))
    >>> os.path.basename(path), open(path).read().startswith('digraph')
    ('graph.dot', True)
    """
    text = to_dot(dsk, rankdir=rankdir, **kwargs)
    base, fmt = _split_format(os.fspath(filename), format)
    dot_path = base + ".dot"
    with open(dot_path, "w", encoding="utf-8") as f:
        f.write(text)
    if fmt == "dot":
        return dot_path
    out_path = f"{base}.{fmt.split(':')[0]}"
    exe = shutil.which("dot")
    if exe is None:
        msg = (
            f"Graphviz's 'dot' program was not found on PATH, so only the DOT file was "
            f"written, at {dot_path}. To get the image, install Graphviz "
            "(`apt-get install graphviz`, `conda install graphviz`, or `brew install graphviz`) "
            f"and run `dot -T{fmt} {dot_path} -o {out_path}`."
        )
        if strict:
            raise RuntimeError(msg)
        warnings.warn(msg, UserWarning, stacklevel=2)
        return dot_path
    cmd = [exe, f"-T{fmt}", dot_path, "-o", out_path]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise RuntimeError(
            f"Graphviz did not finish within {timeout} s rendering {dot_path}; "
            "pass a larger timeout= or render a smaller graph"
        ) from e
    if proc.returncode != 0:
        raise RuntimeError(
            f"Graphviz failed (exit code {proc.returncode}) running {' '.join(cmd)}:\n"
            f"{proc.stderr.strip()}"
        )
    return out_path
