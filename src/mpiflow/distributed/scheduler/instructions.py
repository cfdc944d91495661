"""Instructions: what the scheduler state machine asks its server loop to do.

Each is a small slotted dataclass addressed to one worker or one client and
carrying the ``stimulus_id`` of the event that caused it. The server loop
turns them into messages; the state machine never sends anything itself.

Examples
--------
>>> Execute("w1", "y", None, (0, 0, 1), {"x": ("w2",)}, stimulus_id="s").who_has
{'x': ('w2',)}
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Instruction",
    "Execute",
    "FreeKeys",
    "KeyInMemory",
    "KeyErred",
    "KeyLost",
]

Key = Hashable


@dataclass(slots=True)
class Instruction:
    """Base class of every instruction."""


@dataclass(slots=True)
class Execute(Instruction):
    """Run ``key`` on ``worker``, fetching inputs from the peers in ``who_has``.

    ``priority`` is the full scheduler priority (lower runs first).

    Examples
    --------
    >>> Execute("w1", "x", "spec", (0, 0, 0), {}, stimulus_id="s").worker
    'w1'
    """

    worker: str
    key: Key
    run_spec: Any
    priority: tuple
    who_has: dict
    stimulus_id: str = ""


@dataclass(slots=True)
class FreeKeys(Instruction):
    """``worker`` forgets ``keys``: drop their data, cancel them if running.

    Examples
    --------
    >>> FreeKeys("w1", ["x"], stimulus_id="s").keys
    ['x']
    """

    worker: str
    keys: list
    stimulus_id: str = ""


@dataclass(slots=True)
class KeyInMemory(Instruction):
    """Tell ``client`` that ``key`` is computed and where it is held.

    Examples
    --------
    >>> KeyInMemory("c", "x", 8, ("w1",), stimulus_id="s").nbytes
    8
    """

    client: str
    key: Key
    nbytes: int
    who_has: tuple
    stimulus_id: str = ""


@dataclass(slots=True)
class KeyErred(Instruction):
    """Tell ``client`` that ``key`` failed; ``blamed`` is the task that raised.

    ``exception`` and ``traceback`` are what the worker sent, or, for failures
    the scheduler diagnosed itself, an exception whose message says what
    happened.

    Examples
    --------
    >>> KeyErred("c", "y", ValueError("x"), None, "x", stimulus_id="s").blamed
    'x'
    """

    client: str
    key: Key
    exception: Any
    traceback: Any
    blamed: Key
    stimulus_id: str = ""


@dataclass(slots=True)
class KeyLost(Instruction):
    """Tell ``client`` that ``key`` (which it wanted) lost its data and is recomputed.

    Examples
    --------
    >>> KeyLost("c", "x", stimulus_id="s").key
    'x'
    """

    client: str
    key: Key
    stimulus_id: str = ""
