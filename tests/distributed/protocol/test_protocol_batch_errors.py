"""Batching of control messages and exceptions with their traceback text."""

from __future__ import annotations

import numpy as np
import pytest

from mpiflow.distributed.protocol import (
    MessageBatch,
    RemoteError,
    dumps,
    dumps_batch,
    loads,
    loads_batch,
    pack_exception,
    unpack_exception,
)


def test_batch_roundtrip_keeps_order_and_buffers():
    msgs = [{"op": "task-finished", "key": ("x", i)} for i in range(500)]
    msgs.append({"op": "data", "value": np.arange(100_000)})
    frames = dumps_batch(msgs)
    assert len(frames) == 2  # one pickle stream + one out-of-band array
    out = loads_batch(frames)
    assert [m["key"] for m in out[:-1]] == [("x", i) for i in range(500)]
    np.testing.assert_array_equal(out[-1]["value"], np.arange(100_000))


def test_batch_rejects_non_messages():
    with pytest.raises(TypeError, match="'op' key"):
        dumps_batch([{"op": "a"}, {"no": "op"}])
    with pytest.raises(TypeError, match="batch"):
        loads_batch(dumps({"op": "single"}))


def test_message_batch_flushes_on_count_and_size():
    b = MessageBatch(max_messages=3, max_bytes=10_000)
    assert not b.add({"op": "a"}) and not b.add({"op": "b"})
    assert b.add({"op": "c"})
    assert [m["op"] for m in loads_batch(b.flush())] == ["a", "b", "c"]
    assert b.flush() is None
    big = MessageBatch(max_bytes=50)
    assert big.add({"op": "x", "payload": "y" * 100})


def _fail():
    def inner():
        raise ValueError("inner boom")
    inner()


class NeedsArgs(Exception):
    def __init__(self, a, b):
        super().__init__(f"{a}-{b}")


def test_exception_travels_with_traceback_text():
    try:
        _fail()
    except ValueError as e:
        payload = pack_exception(e, context=("task", 1))
    exc = unpack_exception(loads(dumps(payload)))
    assert isinstance(exc, ValueError) and str(exc) == "inner boom"
    note = exc.__notes__[0]
    assert "inner boom" in note and "in inner" in note and "('task', 1)" in note


def test_exception_that_cannot_be_rebuilt_becomes_remote_error():
    payload = loads(dumps(pack_exception(NeedsArgs(1, 2))))
    exc = unpack_exception(payload)
    assert isinstance(exc, RemoteError) and "NeedsArgs" in str(exc) and "1-2" in str(exc)
