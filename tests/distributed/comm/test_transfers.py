"""Records of messages in flight (comm/transfers.py)."""

from __future__ import annotations

from concurrent.futures import Future

import pytest

from mpiflow.distributed.comm.core import CommClosedError
from mpiflow.distributed.comm.transfers import SENT, Outgoing


def test_settle_completes_once_and_never_raises_on_a_done_future():
    # A small send's future is completed when its frames are copied; if the
    # endpoint then fails while MPI still holds the message, failing it again
    # must not raise (it used to: InvalidStateError inside the failure path).
    fut: Future = Future()
    out = Outgoing(3, (1, 0), [b"x"], fut)
    out.settle()
    out.settle(CommClosedError("rank 3 is gone"))
    assert fut.result(0) is None


def test_a_send_nobody_waits_for_gets_a_future_only_when_asked():
    out = Outgoing(3, (1, 0), [b"x"], None)
    out.settle(CommClosedError("gone"))  # nothing to complete: no error
    waiting = out.waitable()
    assert out.waitable() is waiting
    out.settle(CommClosedError("gone"))
    with pytest.raises(CommClosedError):
        waiting.result(0)
    assert SENT.done() and SENT.result(0) is None
