"""Doorbells without MPI: the wait/ring contract of one process's bell."""

from __future__ import annotations

import threading
import time

from mpiflow.distributed.comm.doorbell import Doorbell


def test_wait_times_out_when_nobody_rings():
    bell = Doorbell.unconnected()
    try:
        assert bell.wait(0.01) is False
    finally:
        bell.close()


def test_many_rings_are_answered_by_one_wait():
    bell = Doorbell.unconnected()
    try:
        for _ in range(10_000):  # more than a pipe holds: extra rings are dropped, not blocking
            bell.ring_self()
        assert bell.wait(1.0) is True
        assert bell.wait(0.01) is False  # all consumed
    finally:
        bell.close()


def test_a_ring_from_another_thread_wakes_the_waiter_early():
    bell = Doorbell.unconnected()
    try:
        threading.Timer(0.05, bell.ring_self).start()
        start = time.monotonic()
        assert bell.wait(30.0) is True
        assert time.monotonic() - start < 29.0  # woken by the ring, not the timeout
    finally:
        bell.close()


def test_ringing_an_unknown_rank_is_a_no_op():
    bell = Doorbell.unconnected()
    try:
        bell.ring(5)
        assert bell.wait(0.01) is False
        assert bell.peers == []
    finally:
        bell.close()


def test_closed_bell_falls_back_to_a_timed_sleep():
    bell = Doorbell.unconnected()
    bell.close()
    bell.close()  # idempotent
    assert bell.can_wait is False
    bell.ring_self()
    assert bell.wait(0.5) is True
    assert bell.wait(0.01) is False
