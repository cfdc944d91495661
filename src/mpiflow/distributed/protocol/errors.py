"""Carry exceptions, with their traceback as text, between ranks.

Pickle drops ``__traceback__``, and some exception classes cannot be rebuilt
by ``pickle`` at all (a custom ``__init__`` with required arguments).
:func:`pack_exception` turns any exception into a picklable dict that keeps the
formatted traceback; :func:`unpack_exception` rebuilds an exception whose
notes show where it was raised remotely.

Examples
--------
>>> try:
...     1 / 0
... except ZeroDivisionError as e:
...     payload = pack_exception(e, context='div-1')
>>> exc = unpack_exception(payload)
>>> type(exc).__name__, 'ZeroDivisionError' in payload['traceback']
('ZeroDivisionError', True)
"""

from __future__ import annotations

import pickle
import traceback
from typing import Any

import cloudpickle

__all__ = ["RemoteError", "pack_exception", "unpack_exception"]


class RemoteError(Exception):
    """Stands in for a remote exception whose own class could not travel."""


def pack_exception(exc: BaseException, context: Any = None) -> dict[str, Any]:
    """Return a picklable dict describing ``exc`` and its traceback.

    Parameters
    ----------
    exc : BaseException
        The exception, usually caught in an ``except`` block.
    context : object, optional
        A task key or other label, kept alongside.

    Examples
    --------
    >>> sorted(pack_exception(ValueError('bad')))
    ['context', 'exception', 'traceback', 'type']
    """
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    kind = f"{type(exc).__module__}.{type(exc).__qualname__}"
    try:
        clean = pickle.loads(cloudpickle.dumps(exc, protocol=5))
        if type(clean) is not type(exc):
            raise TypeError("class changed in round trip")
    except Exception:
        clean = RemoteError(f"{kind}: {exc}")
    clean.__traceback__ = None
    clean.__cause__ = clean.__context__ = None
    return {"exception": clean, "traceback": text, "type": kind, "context": context}


def unpack_exception(payload: dict[str, Any]) -> BaseException:
    """Rebuild the exception packed by :func:`pack_exception`.

    The remote traceback text is attached as a note (shown by Python when the
    exception is printed).

    Examples
    --------
    >>> exc = unpack_exception(pack_exception(KeyError('k'), context='t-1'))
    >>> isinstance(exc, KeyError), 'remote traceback' in exc.__notes__[0]
    (True, True)
    """
    exc = payload["exception"]
    where = "" if payload.get("context") is None else f" for {payload['context']!r}"
    note = f"remote traceback{where}:\n{payload['traceback'].rstrip()}"
    if note not in getattr(exc, "__notes__", ()):
        exc.add_note(note)
    return exc
