"""Reading and writing the sizes and times of a job request.

Users write memory as ``'64GB'`` and walltimes as ``'01:30:00'``; batch
systems want ``--mem=61036M`` and ``walltime=01:30:00``. Everything here is
pure: a value in, a value or a clear error out.

Examples
--------
>>> parse_walltime('01:30:00'), parse_walltime('1-00:00:00'), parse_walltime(90)
(5400, 86400, 5400)
>>> format_walltime(5400)
'01:30:00'
>>> slurm_memory(parse_memory('4GiB')), pbs_memory(parse_memory('4GiB'))
('4G', '4gb')
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from mpiflow.config import parse_bytes

__all__ = [
    "parse_memory",
    "parse_walltime",
    "format_walltime",
    "slurm_memory",
    "pbs_memory",
    "positive_int",
    "string_list",
]

_WALLTIME_HELP = ("write it as 'HH:MM:SS' (e.g. '01:30:00'), 'D-HH:MM:SS' (e.g. '1-12:00:00'), "
                  "'MM:SS', or a number of minutes (e.g. 90)")


def parse_memory(value: str | int | float, name: str = "memory") -> int:
    """Read a job's memory (``'64GB'``, ``'500MiB'``, bytes as an int) as bytes.

    Examples
    --------
    >>> parse_memory('64GB'), parse_memory('1GiB')
    (64000000000, 1073741824)
    >>> parse_memory('lots')  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: memory='lots' is not a size: write e.g. memory='64GB' (decimal units), ...
    """
    help_ = (f"write e.g. {name}='64GB' (decimal units), '60GiB' (binary units) or a number "
             "of bytes")
    try:
        nbytes = parse_bytes(value)
    except (ValueError, TypeError):
        raise ValueError(f"{name}={value!r} is not a size: {help_}") from None
    if nbytes <= 0:
        raise ValueError(f"{name}={value!r} must be more than 0 bytes: {help_}")
    return nbytes


def parse_walltime(value: str | int | float, name: str = "walltime") -> int:
    """Read a walltime as seconds: ``'HH:MM:SS'``, ``'D-HH:MM:SS'``, ``'MM:SS'`` or minutes.

    The forms are Slurm's (``'D-HH'`` and ``'D-HH:MM'`` too); a bare number
    is minutes, as ``sbatch -t 90`` reads it.

    Examples
    --------
    >>> parse_walltime('00:10:00'), parse_walltime('2-00'), parse_walltime('45:00')
    (600, 172800, 2700)
    >>> parse_walltime('1 hour')  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: walltime='1 hour' is not a walltime: write it as 'HH:MM:SS' (e.g. '01:30:00'), ...
    """
    bad = ValueError(f"{name}={value!r} is not a walltime: {_WALLTIME_HELP}")
    if isinstance(value, bool):
        raise bad
    if isinstance(value, (int, float)):
        seconds = int(round(value * 60))
    else:
        text = str(value).strip()
        match = re.fullmatch(r"(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?", text)
        if match is None:
            raise bad
        days, a, b, c = match.groups()
        parts = [int(p) for p in (a, b, c) if p is not None]
        if days is not None:  # D-HH, D-HH:MM, D-HH:MM:SS
            parts += [0] * (3 - len(parts))
            hours, minutes, secs = parts
            seconds = int(days) * 86400 + hours * 3600 + minutes * 60 + secs
        elif len(parts) == 1:  # minutes
            seconds = parts[0] * 60
        elif len(parts) == 2:  # MM:SS
            seconds = parts[0] * 60 + parts[1]
        else:
            seconds = parts[0] * 3600 + parts[1] * 60 + parts[2]
        if len(parts) > 1 and any(p >= 60 for p in parts[1:]):
            raise ValueError(f"{name}={value!r} has minutes or seconds of 60 or more: "
                             f"{_WALLTIME_HELP}")
    if seconds <= 0:
        raise ValueError(f"{name}={value!r} must be longer than 0 seconds: {_WALLTIME_HELP}")
    return seconds


def format_walltime(seconds: int) -> str:
    """Write seconds as ``HH:MM:SS`` (hours may pass 24), as SLURM and PBS both read it.

    Examples
    --------
    >>> format_walltime(60), format_walltime(30 * 3600 + 5)
    ('00:01:00', '30:00:05')
    """
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"


def slurm_memory(nbytes: int) -> str:
    """Memory for ``#SBATCH --mem``: whole GiB as ``'NG'``, else MiB rounded up (``'NM'``).

    Examples
    --------
    >>> slurm_memory(2**34), slurm_memory(64 * 10**9)
    ('16G', '61036M')
    """
    if nbytes % 2**30 == 0:
        return f"{nbytes // 2**30}G"
    return f"{math.ceil(nbytes / 2**20)}M"


def pbs_memory(nbytes: int) -> str:
    """Memory for a PBS resource list: whole GiB as ``'Ngb'``, else MiB rounded up (``'Nmb'``).

    Examples
    --------
    >>> pbs_memory(2**34), pbs_memory(64 * 10**9)
    ('16gb', '61036mb')
    """
    if nbytes % 2**30 == 0:
        return f"{nbytes // 2**30}gb"
    return f"{math.ceil(nbytes / 2**20)}mb"


def positive_int(value: object, name: str) -> int:
    """``value`` as an int of at least 1, or a ``ValueError`` naming the parameter.

    Examples
    --------
    >>> positive_int(4, 'cores')
    4
    >>> positive_int(0, 'cores')
    Traceback (most recent call last):
    ...
    ValueError: cores=0: expected a whole number of at least 1
    """
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"{name}={value!r}: expected a whole number of at least 1")
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"{name}={value!r}: expected a whole number of at least 1") from None
    if number < 1:
        raise ValueError(f"{name}={value!r}: expected a whole number of at least 1")
    return number


def string_list(value: str | Sequence[str] | None, name: str) -> list[str]:
    """A list of strings from None, one string, or a sequence of strings.

    Examples
    --------
    >>> string_list(None, 'x'), string_list('a', 'x'), string_list(('a', 'b'), 'x')
    ([], ['a'], ['a', 'b'])
    >>> string_list([1], 'job_extra_directives')
    Traceback (most recent call last):
    ...
    TypeError: job_extra_directives must be a list of strings, got [1]
    """
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    items = list(value)
    if not all(isinstance(v, str) for v in items):
        raise TypeError(f"{name} must be a list of strings, got {value!r}")
    return items
