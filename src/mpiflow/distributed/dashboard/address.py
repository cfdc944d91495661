"""Where the dashboard listens: parse ``dashboard_address`` and bind a free port.

Examples
--------
>>> parse_dashboard_address(":8787")
('127.0.0.1', 8787)
>>> parse_dashboard_address(None) is None
True
"""

from __future__ import annotations

import socket
from typing import Any

from mpiflow import config

__all__ = ["DEFAULT_ADDRESS", "parse_dashboard_address", "resolve_dashboard_address",
           "dashboard_link"]

#: The address used when nothing else is asked for (as in Dask).
DEFAULT_ADDRESS = ":8787"
#: Host the dashboard binds to when the address names none: this machine only.
DEFAULT_HOST = "127.0.0.1"
_OFF = ("", "none", "null", "off", "false", "no")


def _bad(value: Any, why: str) -> ValueError:
    return ValueError(
        f"dashboard_address {value!r} is not valid ({why}); expected 'host:port' (e.g. "
        f"'127.0.0.1:8787' or '0.0.0.0:8787'), ':port' (e.g. ':8787', bound to "
        f"{DEFAULT_HOST}), a port number, or None to turn the dashboard off"
    )


def parse_dashboard_address(value: str | int | None) -> tuple[str, int] | None:
    """``(host, port)`` from ``'host:port'``, ``':port'`` or a port; None means off.

    Port 0 asks the operating system for any free port.

    Parameters
    ----------
    value : str, int or None
        The address as a user gives it.

    Returns
    -------
    tuple of (str, int), or None
        None when the dashboard is turned off.

    Raises
    ------
    ValueError
        With the expected forms, when ``value`` is none of them.

    Examples
    --------
    >>> parse_dashboard_address("0.0.0.0:9000")
    ('0.0.0.0', 9000)
    >>> parse_dashboard_address(8788)
    ('127.0.0.1', 8788)
    >>> parse_dashboard_address("off") is None
    True
    >>> parse_dashboard_address("localhost")
    Traceback (most recent call last):
      ...
    ValueError: dashboard_address 'localhost' is not valid (no port); expected 'host:port' ...
    """
    if value is None or value is False:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise _bad(value, f"a {type(value).__name__}, not a str or int")
    if isinstance(value, int):
        host, port_text = DEFAULT_HOST, str(value)
    else:
        text = value.strip()
        if text.lower() in _OFF:
            return None
        for scheme in ("http://", "https://"):
            if text.lower().startswith(scheme):
                text = text[len(scheme):].split("/", 1)[0]
        if text.isdigit():
            host, port_text = DEFAULT_HOST, text
        elif ":" not in text:
            raise _bad(value, "no port")
        else:
            host, _, port_text = text.rpartition(":")
            host = host.strip("[]") or DEFAULT_HOST
    if not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise _bad(value, f"port {port_text!r} is not a number from 0 to 65535")
    return host, int(port_text)


def resolve_dashboard_address(value: str | int | None) -> tuple[str, int] | None:
    """Parse ``value``; the default address gives way to ``MPIFLOW_DISTRIBUTED_DASHBOARD_ADDRESS``.

    The configuration ``distributed.dashboard.address`` (environment variable
    ``MPIFLOW_DISTRIBUTED_DASHBOARD_ADDRESS``, e.g. ``none`` to turn every
    dashboard off, or ``:9000``) applies when the caller left the keyword at
    its default, :data:`DEFAULT_ADDRESS`.

    Examples
    --------
    >>> resolve_dashboard_address("127.0.0.1:0")
    ('127.0.0.1', 0)
    """
    if value == DEFAULT_ADDRESS:
        value = config.get("distributed.dashboard.address", DEFAULT_ADDRESS)
    return parse_dashboard_address(value)


def dashboard_link(host: str, port: int, page: str = "status") -> str:
    """The URL a browser opens for ``page`` of a dashboard bound to ``host:port``.

    A dashboard bound to every interface is linked by this machine's name.

    Examples
    --------
    >>> dashboard_link("127.0.0.1", 8787)
    'http://127.0.0.1:8787/status'
    """
    if host in ("0.0.0.0", "::", ""):
        host = socket.gethostname()
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/{page}"
