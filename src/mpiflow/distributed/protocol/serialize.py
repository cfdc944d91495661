"""Turn Python objects into frames and back, without copying large buffers.

A message is a list of *frames*. Frame 0 holds a small header and the pickle
stream (pickle protocol 5, written by cloudpickle so that lambdas and functions
defined in ``__main__`` travel too). Every further frame is one out-of-band
buffer: the memory of a NumPy array or of a pandas block, handed over as a
``memoryview`` of the original object. Sending a contiguous 1 GB array costs
no copy on the sending side; on the receiving side :func:`loads` rebuilds the
array *on top of* the received buffer, again without a copy.

Layout of frame 0::

    b"MPF2" | uint32 buffers | uint32 n | n bytes: pickled context | pickle stream

The header says how many buffers follow and carries an optional ``context``
(typically a task key) that error messages quote (``n`` is 0 without one).

Every control message goes through here, so each thread keeps one pickler
and reuses it: creating a cloudpickle pickler cost about as much as
pickling a small message with it (one is made afresh after a message over
16 KiB, whose memo table would make every later reuse slower).

Examples
--------
>>> import numpy as np
>>> x = np.arange(1000.0)
>>> frames = dumps({'x': x, 'f': lambda v: v + 1})
>>> len(frames)               # header + pickle stream, then one buffer
2
>>> out = loads(frames)
>>> bool((out['f'](out['x']) == x + 1).all())
True
"""

from __future__ import annotations

import io
import pickle
import struct
import sys
import threading
from collections.abc import Sequence
from typing import Any

import cloudpickle

__all__ = [
    "dumps",
    "loads",
    "pickle_bytes",
    "frame_header",
    "nbytes",
    "SerializationError",
    "DeserializationError",
    "MIN_OUT_OF_BAND_BYTES",
]

MAGIC = b"MPF2"
_PREFIX = struct.Struct("<4sII")  # magic, buffers, context length
_COUNT = struct.Struct("<I")  # the buffer count, at offset 4

#: Buffers smaller than this are written into the pickle stream (one copy of a
#: few bytes beats a separate frame and a separate MPI message).
MIN_OUT_OF_BAND_BYTES = 2048

#: A thread's pickler is replaced after a message larger than this (its memo grew).
_REUSE_PICKLER_BYTES = 16 << 10
#: A thread's pickling buffer is dropped after a message larger than this.
_KEEP_FILE_BYTES = 1 << 20

Frame = Any  # bytes, bytearray, memoryview or anything exposing the buffer protocol


class SerializationError(TypeError):
    """An object could not be pickled; the message names its type and a fix."""


class DeserializationError(ValueError):
    """Frames could not be turned back into an object."""


def _describe_context(context: Any) -> str:
    return "" if context is None else f" (while serializing for {context!r})"


def _find_culprit(obj: Any, depth: int = 0) -> Any:
    """Return the innermost part of ``obj`` that fails to pickle, or ``obj``."""
    if depth > 6:
        return obj
    if isinstance(obj, dict):
        parts: list[Any] = [*obj.keys(), *obj.values()]
    elif isinstance(obj, (list, tuple, set, frozenset)):
        parts = list(obj)
    elif hasattr(obj, "__dict__") and not isinstance(obj, type):
        parts = list(vars(obj).values())
    else:
        return obj
    for part in parts:
        try:
            cloudpickle.dumps(part, protocol=5, buffer_callback=lambda b: None)
        except Exception:
            return _find_culprit(part, depth + 1)
    return obj


def _unpicklable_error(obj: Any, exc: BaseException, context: Any) -> SerializationError:
    culprit = _find_culprit(obj)
    kind = f"{type(culprit).__module__}.{type(culprit).__qualname__}"
    where = ""
    if culprit is not obj:
        where = f" inside an object of type {type(obj).__qualname__}"
    return SerializationError(
        f"Cannot serialize an object of type {kind}{where}"
        f"{_describe_context(context)}: {exc}. "
        "Objects sent between ranks must be picklable: do not send locks, open "
        "files, sockets or clients; create them inside the task instead, or give "
        "the class __getstate__/__setstate__ (or __reduce__) methods."
    )


def dumps(
    obj: Any,
    *,
    context: Any = None,
    min_out_of_band: int = MIN_OUT_OF_BAND_BYTES,
) -> list[Frame]:
    """Serialize ``obj`` into a list of frames.

    Parameters
    ----------
    obj : object
        Anything cloudpickle can pickle.
    context : object, optional
        What this message is about, usually a task key. It is stored in the
        header (see :func:`frame_header`) and quoted in error messages.
    min_out_of_band : int
        Buffers of at least this many bytes become frames of their own; smaller
        ones are copied into the pickle stream.

    Returns
    -------
    list
        ``[frame0, buffer1, buffer2, ...]``; ``frame0`` is ``bytes``, the others
        are ``memoryview`` objects that share memory with ``obj``. A
        non-contiguous array is the one thing copied: NumPy pickles it in-band.

    Raises
    ------
    SerializationError
        A ``TypeError`` naming the type that could not be pickled and how to fix it.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.ones((512, 512))
    >>> frames = dumps(a, context=('x', 0))
    >>> np.shares_memory(a, np.asarray(frames[1]))   # no copy was made
    True
    >>> frame_header(frames)['context']
    ('x', 0)
    >>> import threading
    >>> try:
    ...     dumps({'lock': threading.Lock()})
    ... except TypeError as e:
    ...     print(str(e)[:47])
    Cannot serialize an object of type _thread.lock
    """
    ctx = b"" if context is None else pickle.dumps(context, protocol=5)
    try:
        frame0, buffers = _pickle(obj, _PREFIX.pack(MAGIC, 0, len(ctx)) + ctx,
                                  min_out_of_band, count_at=4)
    except RecursionError as exc:
        raise SerializationError(
            f"Cannot serialize an object of type {type(obj).__qualname__}"
            f"{_describe_context(context)}: it nests too deeply ({exc})."
        ) from exc
    except Exception as exc:
        raise _unpicklable_error(obj, exc, context) from exc
    return [frame0, *buffers]


def pickle_bytes(obj: Any) -> bytes:
    """``cloudpickle.dumps(obj, protocol=5)``, with this thread's reusable pickler.

    Examples
    --------
    >>> pickle.loads(pickle_bytes({"f": len, "x": [1, 2]}))
    {'f': <built-in function len>, 'x': [1, 2]}
    """
    return _pickle(obj, b"", sys.maxsize)[0]


def _pickle(obj: Any, prefix: bytes, min_out_of_band: int,
            count_at: int | None = None) -> tuple[bytes, list]:
    """``prefix`` + the pickle of ``obj``, and its out-of-band buffers.

    Pickled with this thread's reusable pickler (a fresh one for a call made
    while that one is busy, from an object's ``__reduce__``). ``count_at``:
    where in ``prefix`` to write the number of buffers (uint32).
    """
    state = _local if not _local.busy else _PicklerState()
    state.busy = True
    try:
        buffers = state.buffers = []
        state.min_out_of_band = min_out_of_band
        file = state.file
        file.seek(0)
        file.truncate()
        file.write(prefix)
        pickler = state.pickler
        if pickler is None:
            pickler = state.pickler = _ReusablePickler(file, state.keep)
        try:
            pickler.reset()
            pickler.dump(obj)
        except BaseException:
            state.pickler = None  # never reuse a pickler an error interrupted
            raise
        if buffers and count_at is not None:
            file.seek(count_at)
            file.write(_COUNT.pack(len(buffers)))
        data = file.getvalue()
        if len(data) > _REUSE_PICKLER_BYTES:
            # The memo table grew with this message and never shrinks, and
            # clearing it costs its full size: after a 10,000-task graph, each
            # small message paid ~0.14 ms for that. Start afresh instead.
            state.pickler = None
            if len(data) > _KEEP_FILE_BYTES:  # nor hold a large message's memory
                state.file = io.BytesIO()
        return data, buffers
    finally:
        state.buffers = []
        state.busy = False


class _ReusablePickler(cloudpickle.Pickler):
    """A cloudpickle pickler that can pickle one object after another."""

    def __init__(self, file: io.BytesIO, buffer_callback: Any) -> None:
        super().__init__(file, protocol=5, buffer_callback=buffer_callback)

    def reset(self) -> None:
        """Forget the previous object: its memo and the globals it shared."""
        self.clear_memo()
        if getattr(self, "globals_ref", None):
            self.globals_ref = {}


class _PicklerState(threading.local):
    """One reusable pickler per thread, and the out-of-band buffers of its dump."""

    def __init__(self) -> None:
        self.file = io.BytesIO()
        self.pickler: _ReusablePickler | None = None
        self.buffers: list[Frame] = []
        self.min_out_of_band = MIN_OUT_OF_BAND_BYTES
        self.busy = False

    def keep(self, pb: pickle.PickleBuffer) -> bool:
        # pickle only hands us contiguous buffers (C or Fortran order): NumPy
        # pickles a non-contiguous array in-band, as one contiguous copy.
        raw = pb.raw()
        if raw.nbytes < self.min_out_of_band:
            return True  # in-band: pickle copies the few bytes itself
        self.buffers.append(raw)
        return False


_local = _PicklerState()


def _split_frame0(frames: Sequence[Frame]) -> tuple[dict[str, Any], memoryview]:
    if not frames:
        raise DeserializationError("Cannot deserialize an empty list of frames.")
    view = memoryview(frames[0]).cast("B")
    if view.nbytes < _PREFIX.size:
        raise DeserializationError(
            f"Frame 0 is {view.nbytes} bytes, too short for an mpiflow header; "
            "were these frames produced by mpiflow.distributed.protocol.dumps?"
        )
    magic, nbuffers, size = _PREFIX.unpack_from(view)
    if magic != MAGIC:
        raise DeserializationError(
            f"Frame 0 starts with {bytes(magic)!r}, not {MAGIC!r}; these frames "
            "were not produced by mpiflow.distributed.protocol.dumps of this version."
        )
    start = _PREFIX.size
    context = pickle.loads(view[start:start + size]) if size else None
    return {"nbuffers": nbuffers, "context": context}, view[start + size:]


def frame_header(frames: Sequence[Frame]) -> dict[str, Any]:
    """Return the header of a message without unpickling its payload.

    Examples
    --------
    >>> frame_header(dumps([1, 2], context='sum-1'))
    {'nbuffers': 0, 'context': 'sum-1'}
    """
    return _split_frame0(frames)[0]


def loads(frames: Sequence[Frame]) -> Any:
    """Rebuild the object that :func:`dumps` turned into ``frames``.

    Buffers are used in place: an array comes back as a view of its frame
    (read-only if the frame is ``bytes``, writable if it is a ``bytearray`` or a
    writable NumPy buffer, which is what the MPI comm layer receives into).

    Examples
    --------
    >>> import numpy as np
    >>> frames = dumps(np.arange(4096))
    >>> received = [frames[0], bytearray(frames[1])]   # as if off the wire
    >>> y = loads(received)
    >>> np.shares_memory(y, np.frombuffer(received[1], dtype=np.uint8))
    True
    """
    header, stream = _split_frame0(frames)
    expected = header["nbuffers"]
    if len(frames) - 1 != expected:
        raise DeserializationError(
            f"Message{_where(header)} announces {expected} buffer frame(s) but "
            f"{len(frames) - 1} arrived; frames were lost or mixed between messages."
        )
    try:
        return pickle.loads(stream, buffers=frames[1:])
    except Exception as exc:
        raise DeserializationError(
            f"Cannot deserialize message{_where(header)}: {type(exc).__name__}: {exc}. "
            "Is the same code (and library versions) importable on every rank?"
        ) from exc


def _where(header: dict[str, Any]) -> str:
    context = header.get("context")
    return "" if context is None else f" for {context!r}"


def nbytes(frames: Sequence[Frame]) -> int:
    """Total size of ``frames`` in bytes.

    Examples
    --------
    >>> nbytes([b'abc', memoryview(bytearray(5))])
    8
    """
    return sum(memoryview(f).nbytes for f in frames)
