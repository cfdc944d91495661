"""The client's per-key Signal: an Event that costs nothing until waited on."""

from __future__ import annotations

import threading
import time

from mpiflow.distributed.futures import Signal


def test_set_wakes_every_waiter_and_later_waits_return_at_once():
    signal = Signal()
    woke: list = []
    threads = [threading.Thread(target=lambda: woke.append(signal.wait(30))) for _ in range(8)]
    for t in threads:
        t.start()
    time.sleep(0.05)
    assert woke == []
    signal.set()
    for t in threads:
        t.join(30)
    assert woke == [True] * 8
    assert signal.wait(0) and signal.is_set()


def test_a_timed_out_waiter_leaves_no_lock_behind():
    signal = Signal()
    assert signal.wait(0.01) is False
    assert not signal._waiters  # the expired waiter took its lock back
    signal.set()
    assert signal.wait(0)


def test_clear_makes_new_waiters_wait_for_the_next_set():
    signal = Signal()
    signal.set()
    signal.clear()
    assert signal.wait(0.01) is False
    threading.Timer(0.05, signal.set).start()
    assert signal.wait(30) is True


def test_set_racing_with_a_waiter_never_loses_the_wakeup():
    # A lost wake-up would leave a waiter blocked for its whole 20 s.
    for i in range(300):
        signal = Signal()
        results: list = []
        t = threading.Thread(target=lambda s=signal, out=results: out.append(
            (s.wait(20), time.monotonic())))
        t.start()
        if i % 2:
            time.sleep(0.0001)
        set_at = time.monotonic()
        signal.set()
        t.join(30)
        assert results and results[0][0] is True
        assert results[0][1] - set_at < 10, "a waiter missed set() and waited out its timeout"
