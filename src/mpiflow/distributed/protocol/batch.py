"""Pack many small control messages into one frame list.

Control messages are dicts with an ``"op"`` key. Sending each as its own MPI
message costs a round of the progress loop each; a :class:`MessageBatch`
collects them and :func:`dumps_batch` serializes the lot into one message
(large buffers inside still travel out-of-band).

Examples
--------
>>> batch = MessageBatch(max_messages=2)
>>> batch.add({'op': 'task-finished', 'key': 'x'})
False
>>> batch.add({'op': 'task-finished', 'key': 'y'})   # full: time to flush
True
>>> [m['key'] for m in loads_batch(batch.flush())]
['x', 'y']
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from .serialize import Frame, dumps, loads

__all__ = ["dumps_batch", "loads_batch", "MessageBatch"]


def _check(msg: Any, where: str) -> None:
    if not isinstance(msg, dict) or "op" not in msg:
        raise TypeError(
            f"{where}: control messages must be dicts with an 'op' key, got "
            f"{type(msg).__name__} {msg!r:.80}. Wrap the payload, e.g. "
            "{'op': 'my-op', 'data': payload}."
        )


def dumps_batch(messages: Iterable[dict[str, Any]], *, context: Any = None) -> list[Frame]:
    """Serialize a sequence of control messages into one frame list.

    Examples
    --------
    >>> frames = dumps_batch([{'op': 'a'}, {'op': 'b', 'n': 1}])
    >>> len(frames)
    1
    """
    messages = list(messages)
    for msg in messages:
        _check(msg, "dumps_batch")
    return dumps(messages, context=context)


def loads_batch(frames: Sequence[Frame]) -> list[dict[str, Any]]:
    """Inverse of :func:`dumps_batch`.

    Examples
    --------
    >>> loads_batch(dumps_batch([{'op': 'ping'}]))
    [{'op': 'ping'}]
    """
    messages = loads(frames)
    if not isinstance(messages, list):
        raise TypeError(
            f"loads_batch expected a batch (list of messages), got {type(messages).__name__}; "
            "was this frame list made by dumps_batch?"
        )
    for msg in messages:
        _check(msg, "loads_batch")
    return messages


class MessageBatch:
    """Accumulate control messages until a count or size limit says flush.

    Parameters
    ----------
    max_messages : int
        :meth:`add` returns True once this many messages wait.
    max_bytes : int
        ... or once their estimated size (``len(repr(msg))``) reaches this.

    Not thread-safe: one batch belongs to one sending thread.

    Examples
    --------
    >>> b = MessageBatch()
    >>> b.flush() is None
    True
    >>> _ = b.add({'op': 'x'}); len(b)
    1
    """

    def __init__(self, max_messages: int = 1000, max_bytes: int = 1 << 20) -> None:
        self.max_messages = max_messages
        self.max_bytes = max_bytes
        self._messages: list[dict[str, Any]] = []
        self._size = 0

    def __len__(self) -> int:
        return len(self._messages)

    def add(self, msg: dict[str, Any]) -> bool:
        """Queue ``msg``; return True when the batch should be flushed now."""
        _check(msg, "MessageBatch.add")
        self._messages.append(msg)
        self._size += len(repr(msg)) if len(self._messages) < 64 else 64
        return len(self._messages) >= self.max_messages or self._size >= self.max_bytes

    def flush(self) -> list[Frame] | None:
        """Return the frames of all queued messages (None if empty) and reset."""
        if not self._messages:
            return None
        messages, self._messages, self._size = self._messages, [], 0
        return dumps(messages)
