"""ProgressBar draws a bar that reaches 100%, also when a task fails."""

from __future__ import annotations

import io
import time

import pytest

import mpiflow
import mpiflow.threaded
from mpiflow.diagnostics import ProgressBar


def slow(x):
    time.sleep(0.02)
    return x


def test_bar_reaches_100_percent_on_threads():
    out = io.StringIO()
    dsk = {("s", i): (slow, i) for i in range(20)}
    with ProgressBar(out=out, dt=0.01):
        mpiflow.threaded.get(dsk, list(dsk), num_workers=2)
    text = out.getvalue()
    frames = [f for f in text.split("\r") if f.strip()]
    assert "100% Completed" in frames[-1]
    assert text.endswith("\n")
    assert any("% Completed" in f and "100%" not in f for f in frames[:-1])


def test_minimum_hides_fast_runs():
    out = io.StringIO()
    with ProgressBar(out=out, minimum=10):
        mpiflow.compute(mpiflow.delayed(abs)(-1), scheduler="sync")
    assert out.getvalue() == ""


def test_error_still_ends_the_line():
    out = io.StringIO()

    def fail():
        raise RuntimeError("nope")

    with pytest.raises(RuntimeError), ProgressBar(out=out):
        mpiflow.get({"a": (fail,)}, "a")
    assert out.getvalue().endswith("\n")


def test_registered_globally_and_unregistered():
    out = io.StringIO()
    bar = ProgressBar(out=out)
    bar.register()
    try:
        mpiflow.get({"a": (abs, -1)}, "a")
    finally:
        bar.unregister()
    mpiflow.get({"a": (abs, -1)}, "a")
    assert out.getvalue().count("100% Completed") == 1
