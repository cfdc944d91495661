"""Check a partition's dtypes against the inferred ``meta``: cast or explain.

``read_csv`` infers dtypes from a sample at the start of the first file. A
later block may disagree: an integer column that holds a blank further down
is read as ``float64``. :func:`coerce_dtypes` casts what can be cast safely
and raises :class:`ValueError` with a table of the columns that cannot, and
the ``dtype={...}`` argument that fixes it.

Examples
--------
>>> import pandas as pd
>>> part = pd.DataFrame({'a': [1.0, None]})
>>> coerce_dtypes(part, {'a': 'int64'})  # doctest: +ELLIPSIS
Traceback (most recent call last):
ValueError: Mismatched dtypes found in `read_csv`...
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["coerce_dtypes", "dtype_mismatch_message", "int_to_float"]


def _kind(dtype: Any) -> str:
    """'i' integer, 'f' float, 'b' bool, 'M' datetime, 'c' category, 'O' text and others."""
    if isinstance(dtype, pd.CategoricalDtype):
        return "c"
    if pd.api.types.is_bool_dtype(dtype):
        return "b"
    if pd.api.types.is_integer_dtype(dtype):
        return "i"
    if pd.api.types.is_float_dtype(dtype):
        return "f"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "M"
    return "O"


def _compatible(found: Any, expected: Any) -> bool:
    """True if a column read as ``found`` may be cast to ``expected`` without loss."""
    kf, ke = _kind(found), _kind(expected)
    if kf == ke:
        return True
    if kf == "i" and ke == "f":
        return True
    if ke == "c":
        return kf != "c"
    return False


def _all_missing(col: pd.Series, expected: Any) -> bool:
    """A block where a text or date column is blank throughout reads as all-NaN float64."""
    return _kind(expected) in "OMc" and _kind(col.dtype) == "f" and bool(col.isna().all())


def dtype_mismatch_message(bad: list[tuple[str, Any, Any]], where: str = "") -> str:
    """The message for columns whose ``(name, found, expected)`` dtypes disagree.

    Examples
    --------
    >>> print(dtype_mismatch_message([('n', 'float64', 'int64')]))  # doctest: +ELLIPSIS
    Mismatched dtypes found in `read_csv`.
    <BLANKLINE>
    +--------+---------+----------+
    | Column | Found   | Expected |
    +--------+---------+----------+
    | n      | float64 | int64    |
    +--------+---------+----------+
    ...
    dtype={'n': 'float64'}
    ...
    """
    rows = [(str(c), str(f), str(e)) for c, f, e in sorted(bad, key=lambda t: str(t[0]))]
    head = ("Column", "Found", "Expected")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(3)]
    sep = "+" + "+".join("-" * (w + 2) for w in widths) + "+"

    def line(r: tuple) -> str:
        return "|" + "|".join(f" {v:<{w}} " for v, w in zip(r, widths, strict=True)) + "|"

    table = "\n".join([sep, line(head), sep, *[line(r) for r in rows], sep])
    suggest = {}
    for col, found, _ in bad:
        suggest[col] = "float64" if _kind(found) in "if" else "object"
    int_cols = [c for c, f, e in bad if _kind(e) == "i" and _kind(f) == "f"]
    lines = [
        "Mismatched dtypes found in `read_csv`" + (f" ({where})" if where else "") + ".",
        "",
        table,
        "",
        "The dtypes were inferred from a sample at the start of the data, and a later "
        "partition disagrees (an integer column with blanks further down is read as "
        "float64, for instance). Give the dtypes explicitly by adding",
        "",
        f"dtype={suggest!r}",
        "",
        "to the `read_csv` call.",
    ]
    if int_cols:
        lines += [
            "",
            "Or pass `assume_missing=True` to read every integer column that has no "
            "dtype given as float64.",
        ]
    return "\n".join(lines)


def coerce_dtypes(df: pd.DataFrame, dtypes: Mapping, where: str = "") -> pd.DataFrame:
    """Cast the columns of ``df`` to ``dtypes`` where safe; raise a table of the others.

    Parameters
    ----------
    df : pandas.DataFrame
        One partition as read.
    dtypes : Mapping
        ``{column: expected dtype}`` (the meta's dtypes).
    where : str
        Names the partition in the message (file and byte range).

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    ValueError
        Some column cannot take its expected dtype: found ``float64`` (blanks)
        where ``int64`` was expected, text where numbers were expected, ...
        The message tables them and says which ``dtype=`` to pass.

    Examples
    --------
    >>> import pandas as pd
    >>> out = coerce_dtypes(pd.DataFrame({'a': [1, 2]}), {'a': 'float64'})
    >>> out.dtypes['a']
    dtype('float64')
    """
    bad: list[tuple[str, Any, Any]] = []
    casts: dict = {}
    found_dtypes = df.dtypes
    for col, expected in dtypes.items():
        if col not in found_dtypes.index:
            continue
        found = found_dtypes[col]
        if found == expected:
            continue
        if len(df) == 0 or _compatible(found, expected) or _all_missing(df[col], expected):
            casts[col] = expected
        else:
            bad.append((col, found, expected))
    if bad:
        raise ValueError(dtype_mismatch_message(bad, where))
    if casts:
        try:
            df = df.astype(casts)
        except (TypeError, ValueError) as e:
            raise ValueError(
                f"cannot cast the columns {sorted(map(str, casts))} to the dtypes inferred "
                f"from the sample{' (' + where + ')' if where else ''}: {e}. Pass `dtype=` "
                "for them explicitly."
            ) from None
    return df


def int_to_float(dtypes: Mapping, keep: Any = ()) -> dict:
    """``dtypes`` with every integer dtype not named in ``keep`` made ``float64``.

    What ``assume_missing=True`` does to the dtypes inferred from a sample.

    Examples
    --------
    >>> import numpy as np
    >>> int_to_float({'a': np.dtype('int64'), 'b': np.dtype('int64')}, keep=['b'])
    {'a': dtype('float64'), 'b': dtype('int64')}
    """
    keep = set(keep)
    return {
        c: (np.dtype("float64") if c not in keep and _kind(d) == "i" else d)
        for c, d in dtypes.items()
    }
