"""``ResourceProfiler``: CPU and memory of this process and its children over time.

A background thread samples with psutil every ``dt`` seconds: the resident
set size and CPU % of this process plus every process it started
(recursively: the workers of ``scheduler='processes'``, and the ``mpiexec``
job of a :class:`~mpiflow.distributed.LocalCluster`). The thread runs while
a computation runs, or for the whole ``with`` block, and is joined when it
ends: nothing is left running.
"""

from __future__ import annotations

import threading
import time
from collections import namedtuple
from typing import Any

import psutil

from mpiflow.local.callbacks import Callback

__all__ = ["ResourceProfiler", "ResourceData"]

ResourceData = namedtuple("ResourceData", ["time", "mem", "cpu"])
ResourceData.__doc__ = """One sample: ``time.time()``, resident memory in MB (1e6 bytes), CPU %.

CPU % adds up over processes and cores, so 4 busy cores read 400.
"""

#: Seconds to wait for the sampling thread to stop before reporting it stuck.
STOP_TIMEOUT = 10.0


class _Sampler:
    """Sum RSS and CPU % over a process tree, keeping each psutil.Process for CPU deltas."""

    def __init__(self) -> None:
        self.root = psutil.Process()
        self.procs: dict[int, psutil.Process] = {}

    def sample(self) -> ResourceData:
        now = time.time()
        try:
            tree = [self.root, *self.root.children(recursive=True)]
        except psutil.Error:
            tree = [self.root]
        procs: dict[int, psutil.Process] = {}
        mem = cpu = 0.0
        for p in tree:
            p = self.procs.get(p.pid, p)  # the same object, so cpu_percent has a baseline
            try:
                with p.oneshot():
                    mem += p.memory_info().rss
                    cpu += p.cpu_percent(interval=None)
            except psutil.Error:  # it ended between listing and reading
                continue
            procs[p.pid] = p
        self.procs = procs
        return ResourceData(now, mem / 1e6, cpu)


class ResourceProfiler(Callback):
    """Sample CPU % and memory of this process and its children while work runs.

    As a context manager it samples from the start to the end of the block;
    ``register()``-ed, it samples during each local computation. Samples add
    up until :meth:`clear` (entering the context clears them).

    Parameters
    ----------
    dt : float
        Seconds between samples (at least 0.001).

    Attributes
    ----------
    results : list of ResourceData
        ``(time, mem, cpu)`` samples, oldest first; one is taken when
        sampling starts and one when it stops.

    Examples
    --------
    >>> import mpiflow, threading
    >>> with ResourceProfiler(dt=0.01) as rprof:
    ...     mpiflow.get({'x': (sum, list(range(1000)))}, 'x')
    499500
    >>> len(rprof.results) >= 2 and rprof.results[0].mem > 0
    True
    >>> any(t.name == 'mpiflow-resource-profiler' for t in threading.enumerate())
    False
    """

    def __init__(self, dt: float = 1.0) -> None:
        super().__init__()
        if not dt >= 0.001:
            raise ValueError(f"ResourceProfiler(dt={dt!r}): dt is the number of seconds between "
                             "samples and must be at least 0.001, e.g. dt=0.5")
        self._dt = float(dt)
        self.results: list[ResourceData] = []
        self._entered = False
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def __enter__(self) -> ResourceProfiler:
        self.clear()
        self._entered = True
        self._start_sampling()
        super().__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        super().__exit__(*exc)
        self._entered = False
        self._stop_sampling()

    def clear(self) -> None:
        """Forget every sample."""
        with self._lock:
            self.results = []

    def close(self) -> None:
        """Stop sampling now (also done at the end of the ``with`` block or computation)."""
        self._stop_sampling()

    def _start(self, dsk: Any) -> None:
        self._start_sampling()

    def _finish(self, dsk: Any, state: Any, errored: bool) -> None:
        if not self._entered:
            self._stop_sampling()

    def _start_sampling(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        sampler = _Sampler()
        self._record(sampler.sample())
        self._thread = threading.Thread(target=self._run, args=(sampler,),
                                        name="mpiflow-resource-profiler", daemon=True)
        self._thread.start()

    def _run(self, sampler: _Sampler) -> None:
        while not self._stop.wait(self._dt):
            self._record(sampler.sample())
        self._record(sampler.sample())

    def _record(self, sample: ResourceData) -> None:
        with self._lock:
            self.results.append(sample)

    def _stop_sampling(self) -> None:
        thread = self._thread
        if thread is None:
            return
        self._stop.set()
        thread.join(STOP_TIMEOUT)
        if thread.is_alive():
            raise RuntimeError(f"the ResourceProfiler sampling thread did not stop within "
                               f"{STOP_TIMEOUT:g} s of being asked to (psutil hung reading a "
                               "process?)")
        self._thread = None

    def visualize(self, filename: str = "profile.html", show: bool = False) -> str:
        """Write CPU and memory over time as a standalone HTML file; see :func:`visualize_profile`.

        Examples
        --------
        >>> import os, tempfile
        >>> with ResourceProfiler(dt=0.01) as rprof:
        ...     pass
        >>> rprof.visualize(os.path.join(tempfile.mkdtemp(), 'r.html')).endswith('r.html')
        True
        """
        from mpiflow.diagnostics.profile_html import visualize_profile

        return visualize_profile([self], filename=filename, show=show)
