"""inproc:// comms, the registry and the back-off policy (no MPI)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from mpiflow.distributed.comm import (
    CommClosedError,
    CommTimeoutError,
    connect,
    get_backend,
    listen,
    parse_address,
)
from mpiflow.distributed.comm.backoff import Backoff


@pytest.fixture
def pair(request):
    listener = listen(f"inproc://{request.node.name}")
    a = connect(listener.address)
    b = listener.accept(timeout=1)
    yield a, b
    a.close()
    b.close()
    listener.close()


def test_messages_and_arrays_both_ways(pair):
    a, b = pair
    arr = np.arange(100_000.0)
    a.send_msg({"op": "put", "data": arr})
    msg = b.recv_msg(timeout=1)
    np.testing.assert_array_equal(msg["data"], arr)
    b.send_msg({"op": "ack"})
    assert a.recv_msg(timeout=1) == {"op": "ack"}


def test_order_and_threads(pair):
    a, b = pair
    got = []
    t = threading.Thread(target=lambda: got.extend(b.recv_msg(timeout=2) for _ in range(100)))
    t.start()
    for i in range(100):
        a.send_msg(i)
    t.join(5)
    assert got == list(range(100))


def test_recv_timeout_says_what_it_waited_for(pair):
    a, _ = pair
    with pytest.raises(CommTimeoutError, match="Waited 0.05 s for a message from"):
        a.recv(timeout=0.05)


def test_close_is_seen_by_peer(pair):
    a, b = pair
    a.close()
    with pytest.raises(CommClosedError, match="closed"):
        b.recv(timeout=1)
    with pytest.raises(CommClosedError):
        a.send([b"x"])


def test_registry_errors():
    with pytest.raises(ValueError, match="no scheme"):
        parse_address("nowhere")
    with pytest.raises(ValueError, match="No comm backend for scheme 'tcp'"):
        get_backend("tcp")
    with pytest.raises(CommClosedError, match="Nothing listens"):
        connect("inproc://nobody-here")
    with listen("inproc://dup") as _, pytest.raises(ValueError, match="already"):
        listen("inproc://dup")


def test_accept_timeout():
    with listen("inproc://lonely") as listener, pytest.raises(CommTimeoutError, match="connect"):
        listener.accept(timeout=0.01)


def test_backoff_spins_then_grows_to_cap():
    now = [0.0]
    b = Backoff(spin=1e-4, first_sleep=1e-5, max_sleep=1e-3, fraction=0.25, clock=lambda: now[0])
    b.reset()
    now[0] = 5e-5
    assert b.next_wait() == 0.0
    waits = []
    for _ in range(40):
        w = b.next_wait()
        waits.append(w)
        now[0] += max(w, 2e-5)
    waits = [w for w in waits if w]
    assert waits == sorted(waits) and waits[-1] == 1e-3 and waits[0] >= 1e-5
    b.reset()
    assert b.next_wait() == 0.0
    with pytest.raises(ValueError):
        Backoff(first_sleep=0)
