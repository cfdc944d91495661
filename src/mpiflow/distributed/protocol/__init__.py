"""Serialization: objects to frames (header + pickle stream + zero-copy buffers).

Examples
--------
>>> from mpiflow.distributed.protocol import dumps, loads
>>> loads(dumps({'op': 'ping', 'n': 1}))
{'op': 'ping', 'n': 1}
"""

from .batch import MessageBatch, dumps_batch, loads_batch
from .errors import RemoteError, pack_exception, unpack_exception
from .serialize import (
    DeserializationError,
    SerializationError,
    dumps,
    frame_header,
    loads,
    nbytes,
)

__all__ = [
    "dumps",
    "loads",
    "frame_header",
    "nbytes",
    "SerializationError",
    "DeserializationError",
    "dumps_batch",
    "loads_batch",
    "MessageBatch",
    "pack_exception",
    "unpack_exception",
    "RemoteError",
]
