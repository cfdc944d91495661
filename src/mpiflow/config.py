"""Configuration: one lookup path for every setting.

Precedence, highest first: a keyword passed to the function being called, a
value set with :func:`set` (globally or in a ``with`` block), an environment
variable ``MPIFLOW_<NAME>`` (dots and dashes become underscores, upper case),
the TOML file named by ``MPIFLOW_CONFIG`` or ``~/.config/mpiflow/config.toml``,
and finally the built-in default.

This module imports nothing from mpiflow, so every layer may use it.

Examples
--------
>>> import mpiflow.config
>>> with mpiflow.config.set(scheduler='sync'):
...     mpiflow.config.get('scheduler')
'sync'
"""

from __future__ import annotations

import ast
import numbers
import os
import re
import threading
from typing import Any

__all__ = ["get", "set", "refresh", "defaults", "env_name", "parse_bytes"]

#: Built-in defaults. ``None`` means "decided by the caller" (e.g. CPU count).
defaults: dict[str, Any] = {
    "scheduler": None,
    "num-workers": None,
    "chunksize": None,
    "multiprocessing.context": "spawn",
    "tokenize.ensure-deterministic": False,
    "delayed.pure": False,
    "array.chunk-size": "128MiB",
    "array.fuse": True,
}

_overrides: dict[str, Any] = {}
_lock = threading.Lock()
_file_cache: dict[str, Any] | None = None
_MISSING = object()


#: Names as Dask users write them, mapped to mpiflow's.
aliases: dict[str, str] = {"delayed-pure": "delayed.pure"}


def _canonical(name: str) -> str:
    name = name.replace("_", "-")
    return aliases.get(name, name)


def env_name(name: str) -> str:
    """Return the environment variable that sets configuration ``name``.

    Examples
    --------
    >>> env_name('multiprocessing.context')
    'MPIFLOW_MULTIPROCESSING_CONTEXT'
    """
    return "MPIFLOW_" + name.replace(".", "_").replace("-", "_").upper()


def _parse_env(text: str) -> Any:
    """Read ``'4'`` as 4, ``'true'`` as True, anything unparsable as the string."""
    low = text.strip().lower()
    if low in ("true", "yes", "on"):
        return True
    if low in ("false", "no", "off"):
        return False
    if low in ("none", "null", ""):
        return None
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _flatten(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        name = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, name + "."))
        else:
            out[name] = v
    return out


def _file_values() -> dict[str, Any]:
    global _file_cache
    if _file_cache is None:
        path = os.environ.get("MPIFLOW_CONFIG") or os.path.join(
            os.path.expanduser("~"), ".config", "mpiflow", "config.toml"
        )
        values: dict[str, Any] = {}
        if os.path.exists(path):
            try:
                import tomllib
            except ImportError as err:  # Python 3.10
                raise RuntimeError(
                    f"mpiflow config file {path} needs Python >= 3.11 (tomllib) to be read; "
                    "use MPIFLOW_* environment variables instead"
                ) from err
            with open(path, "rb") as f:
                try:
                    values = _flatten(tomllib.load(f))
                except tomllib.TOMLDecodeError as err:
                    msg = f"mpiflow config file {path} is not valid TOML: {err}"
                    raise ValueError(msg) from err
        _file_cache = values
    return _file_cache


def refresh() -> None:
    """Forget the cached config file so that it is read again on next lookup.

    Examples
    --------
    >>> refresh()
    """
    global _file_cache
    _file_cache = None


def get(name: str, default: Any = _MISSING, override: Any = None) -> Any:
    """Look up configuration ``name``.

    Parameters
    ----------
    name : str
        Dotted name, e.g. ``'scheduler'`` or ``'multiprocessing.context'``.
    default : object, optional
        Returned when nothing sets ``name`` and it has no built-in default.
    override : object, optional
        A keyword the caller received; when not None it wins.

    Examples
    --------
    >>> get('multiprocessing.context')
    'spawn'
    >>> get('num_workers', override=3)
    3
    >>> get('no-such-setting', 7)
    7
    """
    if override is not None:
        return override
    name = _canonical(name)
    value = _overrides.get(name, _MISSING)
    if value is not _MISSING:
        return value
    env = os.environ.get(env_name(name))
    if env is not None:
        return _parse_env(env)
    value = _file_values().get(name, _MISSING)
    if value is not _MISSING:
        return value
    if name in defaults:
        return defaults[name]
    if default is not _MISSING:
        return default
    raise KeyError(
        f"unknown mpiflow configuration {name!r}; known names: {', '.join(sorted(defaults))}"
    )


class set:  # noqa: A001 - mirrors dask.config.set
    """Set configuration values, globally or for a ``with`` block.

    Values take effect at once; used as a context manager, the previous values
    come back on exit. Underscores and dashes are interchangeable in names.

    Examples
    --------
    >>> import mpiflow
    >>> with mpiflow.config.set(scheduler='sync', num_workers=2):
    ...     mpiflow.config.get('num_workers')
    2
    >>> _ = mpiflow.config.set({'multiprocessing.context': 'spawn'})
    """

    def __init__(self, arg: dict[str, Any] | None = None, **kwargs: Any) -> None:
        updates = dict(arg or {})
        updates.update(kwargs)
        self._previous: dict[str, Any] = {}
        with _lock:
            for name, value in updates.items():
                key = _canonical(name)
                self._previous[key] = _overrides.get(key, _MISSING)
                _overrides[key] = value

    def __enter__(self) -> set:
        return self

    def __exit__(self, *exc: object) -> None:
        with _lock:
            for key, old in self._previous.items():
                if old is _MISSING:
                    _overrides.pop(key, None)
                else:
                    _overrides[key] = old


_BYTE_UNITS = {
    "": 1, "b": 1,
    "k": 10**3, "kb": 10**3, "m": 10**6, "mb": 10**6,
    "g": 10**9, "gb": 10**9, "t": 10**12, "tb": 10**12,
    "ki": 2**10, "kib": 2**10, "mi": 2**20, "mib": 2**20,
    "gi": 2**30, "gib": 2**30, "ti": 2**40, "tib": 2**40,
}


def parse_bytes(value: str | int | float | None) -> int:
    """Read a size setting such as ``'4GB'``, ``'64MiB'``, ``'1e6'`` or ``100`` as bytes.

    Used for every size in mpiflow's settings (worker memory limits, array
    chunk sizes). ``None`` means "no size" and gives 0; a unit alone
    (``'kB'``) means one of it.

    Examples
    --------
    >>> parse_bytes('4GB'), parse_bytes('64MiB'), parse_bytes('1.5 kB'), parse_bytes(100)
    (4000000000, 67108864, 1500, 100)
    >>> parse_bytes('lots')
    Traceback (most recent call last):
    ...
    ValueError: cannot read 'lots' as a number of bytes: write e.g. '4GB', '64MiB' or 1000000
    """
    if value is None:
        return 0
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return int(value)
    match = re.fullmatch(r"\s*([0-9.eE+-]*)\s*([A-Za-z]*)\s*", str(value))
    unit = match.group(2).lower() if match else None
    if match is None or unit not in _BYTE_UNITS or not (match.group(1) or match.group(2)):
        raise ValueError(
            f"cannot read {value!r} as a number of bytes: write e.g. '4GB', '64MiB' or 1000000"
        )
    try:
        number = float(match.group(1) or "1")
    except ValueError:
        raise ValueError(
            f"cannot read {value!r} as a number of bytes: write e.g. '4GB', '64MiB' or 1000000"
        ) from None
    return int(number * _BYTE_UNITS[unit])
