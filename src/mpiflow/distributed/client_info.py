"""The Client's questions to the cluster and its control requests.

Kept apart from :mod:`mpiflow.distributed.client` (submitting work and
getting results back): everything here is a request to the scheduler or a
call on every worker, answered synchronously.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import cloudpickle

from mpiflow.distributed.packing import iter_futures
from mpiflow.distributed.roles import address, rank_of
from mpiflow.distributed.scheduler.adaptive import check_n_workers, check_target_duration

__all__ = ["REQUEST_TIMEOUT", "ClusterInfoMixin"]

#: Seconds to wait for the scheduler to answer a question.
REQUEST_TIMEOUT = 60.0


class ClusterInfoMixin:
    """Information and control methods of :class:`~mpiflow.distributed.Client`.

    The class using it provides ``_ask(msg, timeout)`` (a request to the
    scheduler), ``transport``, ``_states``, ``_lock`` and ``_worker_names()``.
    """

    _ask: Callable[..., Any]
    transport: Any
    _states: dict
    _lock: Any
    _worker_names: Callable[[], list[str]]

    # -- cluster information and control ----------------------------------------------
    def scheduler_info(self) -> dict:
        """Workers (threads, memory, host, pid), services and task counts."""
        return self._ask({"op": "scheduler-info"})

    @property
    def dashboard_link(self) -> str | None:
        """URL of the cluster's dashboard status page, or None when it has none.

        Examples
        --------
        >>> client.dashboard_link  # doctest: +SKIP
        'http://127.0.0.1:8787/status'
        """
        return self.scheduler_info().get("dashboard_link")

    def performance_data(self, since: float | None = None) -> dict:
        """What the scheduler recorded from ``since`` until now, for a performance report.

        ``since`` is a time on the scheduler's clock (seconds since the
        epoch). Without it, the answer is only ``{"time": now}``: the start
        of a window (and, on a cluster without a dashboard, the scheduler
        starts recording). With it: ``tasks``, ``transfers``, ``memory``,
        ``workers`` (see :meth:`Recorder.report
        <mpiflow.distributed.dashboard.Recorder.report>`).

        Examples
        --------
        >>> t0 = client.performance_data()["time"]  # doctest: +SKIP
        >>> total = client.submit(sum, [1, 2]).result()  # doctest: +SKIP
        >>> [t[1] for t in client.performance_data(t0)["tasks"]]  # doctest: +SKIP
        ['sum']
        """
        msg: dict[str, Any] = {"op": "performance-report"}
        if since is not None:
            msg["since"] = float(since)
        return self._ask(msg)

    def wait_for_workers(self, n_workers: int, timeout: float | None = 60.0) -> None:
        """Block until at least ``n_workers`` workers have joined."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            have = len(self.scheduler_info()["workers"])
            if have >= n_workers:
                return
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(
                    f"waited {timeout:g} s for {n_workers} workers to join; {have} did. Are "
                    "all ranks of the job running (check the other ranks' output)?"
                )
            time.sleep(0.01)

    def nthreads(self) -> dict[str, int]:
        """Threads per worker."""
        return {w: info["nthreads"] for w, info in self.scheduler_info()["workers"].items()}

    def who_has(self, futures: Any = None) -> dict:
        """Which workers hold each key (of ``futures``, or of all this client's keys)."""
        keys = ([f.key for f in iter_futures(futures)] if futures is not None
                else list(self._states))
        held = self._ask({"op": "who-has", "keys": keys})
        # A small result comes straight from its worker, which may be before the
        # scheduler has read that worker's report: the client then knows better.
        for key, holders in held.items():
            state = self._states.get(key)
            if not holders and state is not None and state.status == "finished":
                held[key] = list(state.who_has or [])
        return held

    def has_what(self) -> dict[str, list]:
        """Which of this client's keys each worker holds."""
        out: dict[str, list] = {w: [] for w in self.scheduler_info()["workers"]}
        for key, holders in self.who_has().items():
            for w in holders:
                out.setdefault(w, []).append(key)
        return out

    def run(self, function: Callable, *args: Any, workers: Any = None, **kwargs: Any) -> dict:
        """Call ``function(*args, **kwargs)`` on every worker; ``{worker: result}``."""
        names = ([address(rank_of(w)) for w in workers] if workers is not None
                 else self._worker_names())
        blob = cloudpickle.dumps(function)
        pending = {name: self.transport.request(rank_of(name), {
            "op": "run", "function": blob, "args": args, "kwargs": kwargs}) for name in names}
        return {name: fut.result(timeout=REQUEST_TIMEOUT * 10) for name, fut in pending.items()}

    def retire_workers(self, workers: Any, timeout: float = REQUEST_TIMEOUT) -> list[str]:
        """Move the data only ``workers`` hold to other workers, then close them.

        Nothing in memory is lost. Returns the addresses of the retired workers.

        Examples
        --------
        >>> client.retire_workers(['mpi://3'])  # doctest: +SKIP
        ['mpi://3']
        """
        names = [workers] if isinstance(workers, (str, int)) else list(workers)
        return self._ask({"op": "retire-workers", "workers": names}, timeout=timeout)

    def adaptive_target(self, target_duration: float = 5.0, *,
                        nthreads: int | None = None) -> int:
        """How many workers the cluster's work wants, to finish within ``target_duration``.

        The scheduler adds up the expected run time of every queued and
        processing task (the mean observed duration of its task group, 0.5 s
        for groups not seen yet) and divides by ``target_duration`` times the
        threads of one worker. It is at least 1 while any task still has to
        run, enough workers to hold the stored results within 60 % of their
        memory limits, and never fewer than the workers running tasks now. 0
        means no work and no data. An adapt loop clamps it to its minimum and
        maximum. Cheap (no per-task work): ask it every second.

        Parameters
        ----------
        target_duration : float
            Seconds the work in hand should take.
        nthreads : int, optional
            Threads of a worker that would be started (default: the mean of
            the current workers, 1 when there are none).

        Examples
        --------
        >>> client.adaptive_target(target_duration=5.0)  # doctest: +SKIP
        4
        """
        target_duration = check_target_duration(target_duration)
        msg: dict = {"op": "adaptive-target", "target_duration": target_duration}
        if nthreads is not None:
            msg["nthreads"] = nthreads
        return self._ask(msg)

    def workers_to_close(self, n: int) -> list[str]:
        """Addresses of the workers to retire so that ``n`` workers remain.

        Idle workers first (fewest stored bytes, then oldest); workers running
        tasks only when the idle ones are not enough. Workers being retired
        right now count as gone and are not named again. Pass the list to
        :meth:`retire_workers`, which moves their data to the workers that
        stay. Unlike Dask's ``Scheduler.workers_to_close(n=...)``, ``n`` is
        how many workers to *keep*, so ``client.adaptive_target()`` fits in.

        Examples
        --------
        >>> client.workers_to_close(client.adaptive_target())  # doctest: +SKIP
        ['mpi://3']
        """
        return self._ask({"op": "workers-to-close", "n": check_n_workers(n)})

    def restart(self, timeout: float = REQUEST_TIMEOUT) -> None:
        """Forget every task and free all data on the cluster; workers stay connected.

        Every future of this client is cancelled. Unlike Dask, the worker
        processes are not replaced (MPI processes cannot be respawned without
        ``MPI_Comm_spawn``): their memory and queues are cleared in place, and a
        task running at that moment finishes and is discarded.

        Examples
        --------
        >>> client.restart()  # doctest: +SKIP
        """
        with self._lock:
            states = list(self._states.values())
        self._ask({"op": "restart"}, timeout=timeout)
        for state in states:
            if not state.event.is_set() or state.status == "finished":
                state.finish("cancelled")
