"""ProgressBar and progress() following work on a real LocalCluster; prints one JSON line."""

import io
import json
import sys
import time
import types

import mpiflow
from mpiflow import config
from mpiflow.diagnostics import ProgressBar
from mpiflow.distributed import Client, LocalCluster, progress


def slow(x):
    time.sleep(0.05)
    return x


def fail(x):
    raise ValueError(f"task failed on purpose ({x})")


def frames(text):
    return [f for f in text.split("\r") if f.strip()]


def run_with_bar(**compute_kwargs):
    out = io.StringIO()
    xs = [mpiflow.delayed(slow)(i, dask_key_name=f"slow-{i}") for i in range(40)]
    with ProgressBar(out=out, dt=0.02):
        values = mpiflow.compute(*xs, **compute_kwargs)
    seen = frames(out.getvalue())
    return {"values_ok": list(values) == list(range(40)), "last": seen[-1].strip(),
            "partial": any("100%" not in f for f in seen), "newline": out.getvalue()[-1:] == "\n"}


class FakeHandle:
    """Stands in for IPython's DisplayHandle (IPython is not installed here)."""

    def __init__(self, log):
        self.log = log

    def update(self, obj):
        self.log.append(obj.data)


def install_fake_ipython(log):
    display_mod = types.ModuleType("IPython.display")

    class HTML:
        def __init__(self, data):
            self.data = data

    def display(obj, display_id=False):
        log.append(obj.data)
        return FakeHandle(log)

    display_mod.HTML, display_mod.display = HTML, display
    ipython = types.ModuleType("IPython")
    ipython.display = display_mod
    sys.modules["IPython"], sys.modules["IPython.display"] = ipython, display_mod


with LocalCluster(n_workers=1, threads_per_worker=2) as cluster, Client(cluster) as client:
    report = {"keyword": run_with_bar(scheduler=client)}
    with config.set(scheduler=client):
        report["config"] = run_with_bar()
    out = io.StringIO()
    try:
        with ProgressBar(out=out, dt=0.02):
            mpiflow.compute(mpiflow.delayed(fail)(1), scheduler=client)
    except ValueError as err:
        report["error"] = {"message": str(err), "last": frames(out.getvalue())[-1].strip(),
                           "newline": out.getvalue().endswith("\n")}
    log = []
    install_fake_ipython(log)
    futures = client.map(slow, range(20))
    progress(futures, notebook=True, interval=0.02)
    report["notebook"] = {"updates": len(log), "first": log[0], "last": log[-1]}
print(json.dumps(report), flush=True)
