"""The Client: submit work to an MPI cluster and get results back.

Names and behaviour follow ``dask.distributed.Client``. A client talks to the
scheduler (rank 0) for metadata only; results come straight from the workers
that hold them, over MPI, as zero-copy frames.

Examples
--------
In a script run with ``mpiexec -n 4 python script.py``::

    from mpiflow.distributed import initialize
    client = initialize()            # rank 1 continues here; the others serve
    future = client.submit(sum, [1, 2, 3])
    future.result()                  # 6
"""

from __future__ import annotations

import atexit
import os
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from mpiflow.core.order import order
from mpiflow.core.spec import quote_argument
from mpiflow.core.tokenize import tokenize
from mpiflow.core.traverse import flatten_keys
from mpiflow.core.validate import validate
from mpiflow.distributed.client_info import REQUEST_TIMEOUT, ClusterInfoMixin
from mpiflow.distributed.dashboard.progress import following_futures
from mpiflow.distributed.futures import Future, KeyState
from mpiflow.distributed.join import on_accept_join
from mpiflow.distributed.packing import (
    FunctionCache,
    apply,
    funcname,
    iter_futures,
    nest,
    pack_argument,
    pickle_task,
    rebuild,
)
from mpiflow.distributed.protocol import unpack_exception
from mpiflow.distributed.roles import SCHEDULER_RANK, address, rank_of
from mpiflow.distributed.scheduler.liveness import heartbeat_interval
from mpiflow.distributed.transport import MissingData, Transport

__all__ = ["Client", "default_client"]

_default: Client | None = None

def default_client() -> Client:
    """The client of this process (the one ``initialize()`` returned).

    Examples
    --------
    >>> default_client()
    Traceback (most recent call last):
      ...
    ValueError: no mpiflow Client in this process: ...
    """
    if _default is None or _default.status != "running":
        raise ValueError(
            "no mpiflow Client in this process: call mpiflow.distributed.initialize() in a "
            "script launched with `mpiexec -n 4 python script.py` (rank 1 gets the client)"
        )
    return _default


class Client(ClusterInfoMixin):
    """Connect to an mpiflow cluster and run work on it.

    Inside a script launched with ``mpiexec`` that called
    :func:`mpiflow.distributed.initialize`, ``Client()`` returns the client
    that ``initialize()`` created (as ``dask_mpi`` users expect).
    """

    def __new__(cls, *args: Any, _transport: Transport | None = None, **kwargs: Any) -> Client:
        if (_transport is None and not args and not kwargs and _default is not None
                and _default.status == "running"):
            return _default  # the client of this process (initialize() or an earlier Client())
        return super().__new__(cls)

    def __init__(self, address: Any = None, *, scheduler_file: str | None = None,
                 timeout: float = 60.0, _transport: Transport | None = None,
                 **cluster_kwargs: Any) -> None:
        if getattr(self, "_started", False):
            return
        global _default
        self._joined = False
        self.cluster: Any = None
        self._owns_cluster = False
        if _transport is None:
            if address is None and scheduler_file is None:
                from mpiflow.distributed.comm.pmi import under_process_manager
                from mpiflow.distributed.local_cluster import LocalCluster

                if under_process_manager() and not cluster_kwargs:
                    raise ValueError(
                        "Client() inside an mpiexec launch joins that launch's cluster: call "
                        "mpiflow.distributed.initialize() first (rank 1 gets the client)"
                    )
                address = LocalCluster(**cluster_kwargs)
                self._owns_cluster = True
            elif cluster_kwargs:
                raise TypeError(
                    f"Client got unexpected arguments {sorted(cluster_kwargs)}; cluster sizes "
                    "(n_workers=, threads_per_worker=, memory_limit=) only apply when Client() "
                    "starts its own LocalCluster"
                )
            if address is not None and scheduler_file is None:
                scheduler_file = getattr(address, "scheduler_file", None)
                if scheduler_file is None:
                    raise ValueError(
                        f"Client({address!r}): pass a LocalCluster, or scheduler_file= the "
                        "file written by `mpiexec -n N mpiflow cluster --scheduler-file F`"
                    )
                self.cluster = address
            from mpiflow.distributed.attach import attach

            try:
                _transport = attach(scheduler_file, "client", timeout=timeout)
            except BaseException:
                if self._owns_cluster:
                    self.cluster.close()
                raise
            self._joined = True
        self._started = True
        self.scheduler_file = scheduler_file
        self.transport = _transport
        self.status = "running"
        self._states: dict[Any, KeyState] = {}
        self._refs: dict[Any, int] = {}
        self._released: list = []
        self._function_cache = FunctionCache()
        self._lock = threading.RLock()
        self._handlers = {
            "key-data": self._on_key_data,
            "key-in-memory": self._on_key_in_memory,
            "key-erred": self._on_key_erred,
            "key-lost": self._on_key_lost,
            "accept-join": lambda msg: on_accept_join(self.transport, msg),
            "peer-lost": lambda msg: self.transport.endpoint.drop_peer(msg["id"]),
            "reply": self.transport.on_reply,
        }
        self.transport.listen(self._on_message, self._on_failure)
        self._flush_wake = threading.Event()
        self._listener = threading.Thread(target=self._flush_periodically,
                                          name="mpiflow-client-releases", daemon=True)
        self._listener.start()
        self.transport.send(SCHEDULER_RANK, {"op": "register-client", "pid": os.getpid(),
                                             "host": socket.gethostname()})
        _default = self
        if self._joined:
            atexit.register(self._close_at_exit)
        if self.cluster is not None and getattr(self.cluster, "n_workers", 0):
            self.wait_for_workers(self.cluster.n_workers, timeout=timeout)

    # -- bookkeeping shared with Future ----------------------------------------
    def _key_state(self, key: Any) -> KeyState:
        with self._lock:
            state = self._states.get(key)
            if state is None:
                state = self._states[key] = KeyState(key)
            return state

    def _inc_ref(self, key: Any) -> None:
        with self._lock:
            self._refs[key] = self._refs.get(key, 0) + 1

    def _dec_ref(self, key: Any) -> None:
        with self._lock:
            n = self._refs.get(key, 0) - 1
            if n > 0:
                self._refs[key] = n
                return
            self._refs.pop(key, None)
            self._states.pop(key, None)
            self._released.append(key)

    def _flush_releases(self, then: dict | None = None) -> None:
        """Send the keys whose last future was dropped, as one message.

        ``then`` (a message for the scheduler) rides in the same batch, after
        the releases, so the scheduler handles both in one round.
        """
        with self._lock:
            keys, self._released = self._released, []
        msg = then
        if keys and self.status == "running":
            release = {"op": "release-keys", "keys": keys}
            msg = release if then is None else {"op": "batch", "messages": [release, then]}
        if msg is not None:
            self.transport.send(SCHEDULER_RANK, msg)

    def _to_scheduler(self, msg: dict) -> None:
        """Send ``msg`` to the scheduler after any pending releases (order matters:
        a key released and then submitted again must be seen in that order)."""
        self._flush_releases(then=msg)

    # -- messages from the cluster -----------------------------------------------
    def _on_message(self, msg: dict) -> None:
        """Handle a message from the cluster (runs on the MPI progress thread)."""
        self._handlers[msg["op"]](msg)

    def _on_failure(self, exc: BaseException) -> None:
        self.transport.fail_pending(exc)

    def _flush_periodically(self) -> None:
        """Send releases of dropped futures at least every 50 ms while idle, and heartbeats."""
        interval = heartbeat_interval()
        next_beat = time.monotonic() + interval
        while self.status == "running":
            self._flush_wake.wait(0.05)
            self._flush_wake.clear()
            if self._released and self.status == "running":
                self._flush_releases()
            if time.monotonic() >= next_beat and self.status == "running":
                next_beat = time.monotonic() + interval
                try:
                    self.transport.send(SCHEDULER_RANK, {"op": "heartbeat"})
                except Exception:  # noqa: BLE001 - the cluster is gone; requests will say so
                    pass

    def _on_key_data(self, msg: dict) -> None:
        state = self._states.get(msg["key"])
        if state is not None and state.status == "pending":
            state.hold(msg["value"])
            state.finish("finished", who_has=[msg["worker"]], nbytes=msg["nbytes"])

    def _on_key_in_memory(self, msg: dict) -> None:
        state = self._states.get(msg["key"])
        if state is not None:
            state.finish("finished", who_has=msg["who_has"], nbytes=msg["nbytes"])

    def _on_key_erred(self, msg: dict) -> None:
        state = self._states.get(msg["key"])
        if state is not None:
            error = msg["error"]
            exc = error if isinstance(error, BaseException) else unpack_exception(error)
            state.finish("error", error=exc)

    def _on_key_lost(self, msg: dict) -> None:
        state = self._states.get(msg["key"])
        if state is not None:
            state.reset()

    def _ask(self, msg: dict, timeout: float = REQUEST_TIMEOUT) -> Any:
        self._flush_releases()
        fut = self.transport.request(SCHEDULER_RANK, msg)
        try:
            return fut.result(timeout=timeout)
        except TimeoutError:
            raise TimeoutError(f"the scheduler did not answer {msg['op']!r} within "
                               f"{timeout:g} s") from None

    # -- submitting ---------------------------------------------------------------
    def _submit_graph(self, dsk: dict, wanted: list, extra_deps: dict | None = None, *,
                      priority: int = 0, workers: Any = None, allow_other_workers: bool = False,
                      retries: int = 0, functions: dict | None = None) -> None:
        """Validate, order, pickle and send a graph.

        ``extra_deps`` maps keys to keys already on the cluster (futures) that
        they read. A value that is a :class:`Future` of the same key (as in
        persisted collections) means "already on the cluster" and is not sent.
        """
        deps = validate(dsk, [k for k in wanted if k in dsk], cycles=True)
        on_cluster = set()
        for key, value in dsk.items():
            if isinstance(value, Future):
                if value.key == key:
                    on_cluster.add(key)
                else:
                    dsk[key] = value.key
                    deps[key] = {value.key}
        for key, extra in (extra_deps or {}).items():
            deps[key] = set(deps[key]) | {k for k in extra}
        graph_deps = {k: {d for d in ds if d in dsk and d not in on_cluster}
                      for k, ds in deps.items() if k not in on_cluster}
        if len(graph_deps) == 1:  # a lone submit: nothing to order
            prio = dict.fromkeys(graph_deps, 0)
        else:
            prio = order({k: dsk[k] for k in graph_deps}, graph_deps)
        names = None
        if workers is not None:
            given = [workers] if isinstance(workers, (str, int)) else list(workers)
            names = tuple(address(rank_of(w)) for w in given)
        tasks = {}
        functions = functions or {}  # id(function) -> pickled, shared by the graph's tasks
        for key in graph_deps:
            tasks[key] = {"deps": tuple(deps[key]), "priority": (priority, prio[key]),
                          "workers": names, "allow_other_workers": allow_other_workers,
                          "retries": retries, "run_spec": pickle_task(key, dsk[key], functions)}
        for key in wanted:
            self._key_state(key)
        self._to_scheduler({"op": "update-graph", "tasks": tasks,
                                             "wanted": list(wanted)})

    def _call_task(self, func: Callable, args: tuple, kwargs: dict) -> tuple:
        deps: list = []
        packed = [pack_argument(a, deps) for a in args]
        if kwargs:
            task: tuple = (apply, func, packed, pack_argument(kwargs, deps))
        else:
            task = (func, *packed)
        return task, deps

    def submit(self, func: Callable, *args: Any, key: Any = None, workers: Any = None,
               allow_other_workers: bool = False, priority: int = 0, retries: int = 0,
               pure: bool = True, **kwargs: Any) -> Future:
        """Run ``func(*args, **kwargs)`` on a worker; return a :class:`Future`.

        Futures among the arguments (also inside lists, tuples, dicts) are
        replaced by their values on the cluster, without a trip through the
        client. ``pure=True`` names the task by hashing its inputs, so an
        identical call returns the existing future.
        """
        if not callable(func):
            raise TypeError(f"submit() needs a callable first, got {type(func).__name__}")
        ftoken = self._function_cache.token(func)
        if key is None:
            token = tokenize(ftoken or func, args, kwargs) if pure else uuid.uuid4().hex
            key = f"{funcname(func)}-{token}"
        with self._lock:
            state = self._states.get(key)
            if state is not None and state.status in ("pending", "finished"):
                return Future(key, self, state)
        task, deps = self._call_task(func, args, kwargs)
        blob = self._function_cache.blob(func, ftoken)
        self._submit_graph({key: task}, [key], {key: [f.key for f in deps]},
                           priority=priority, workers=workers,
                           allow_other_workers=allow_other_workers, retries=retries,
                           functions={id(func): blob} if blob is not None else None)
        return Future(key, self)

    def map(self, func: Callable, *iterables: Iterable, key: Any = None, workers: Any = None,
            allow_other_workers: bool = False, priority: int = 0, retries: int = 0,
            pure: bool = True, **kwargs: Any) -> list[Future]:
        """``submit`` ``func`` once per element of ``iterables``, in one message."""
        if not callable(func):
            raise TypeError(f"map() needs a callable first, got {type(func).__name__}")
        arglists = list(zip(*iterables, strict=False))
        ftoken = self._function_cache.token(func)
        if isinstance(key, list):
            keys = key
        else:
            prefix = key or funcname(func)
            base = tokenize(ftoken or func, kwargs) if pure else None
            keys = [f"{prefix}-{tokenize(base, args) if pure else uuid.uuid4().hex}"
                    for args in arglists]
        with self._lock:
            live = {k for k in keys if k in self._states}
        todo: dict = {}
        extra: dict = {}
        for k, args in zip(keys, arglists, strict=True):
            if k not in live:
                todo[k], deps = self._call_task(func, args, kwargs)
                if deps:
                    extra[k] = [f.key for f in deps]
        if todo:
            blob = self._function_cache.blob(func, ftoken)
            self._submit_graph(todo, list(todo), extra, priority=priority, workers=workers,
                               allow_other_workers=allow_other_workers, retries=retries,
                               functions={id(func): blob} if blob is not None else None)
        return [Future(k, self) for k in keys]

    # -- results --------------------------------------------------------------------
    def _gather_keys(self, keys: list, timeout: float | None = None) -> dict:
        """Fetch values from the workers that hold them.

        A location can be stale: the scheduler's report of an earlier
        computation of a key this client released and submitted again may
        arrive after the new submission. The holder then answers "missing";
        the key is marked pending again and fetched once it is reported anew.
        """
        limit = timeout or REQUEST_TIMEOUT * 10
        deadline = time.monotonic() + limit
        while True:
            try:
                return self._fetch_keys(keys, limit)
            except MissingData as err:
                state = self._states.get(err.key)
                if state is None or time.monotonic() > deadline:
                    raise
                if state.who_has and rank_of(state.who_has[0]) == err.rank:
                    state.reset()
                if not state.event.wait(max(0.0, deadline - time.monotonic())):
                    raise

    def _fetch_keys(self, keys: list, timeout: float) -> dict:
        by_rank: dict[int, list] = {}
        out: dict = {}
        for key in keys:
            state = self._states.get(key)
            if state is not None and state.has_value:
                out[key] = state.value
                continue
            if state is None or not state.who_has:
                raise KeyError(f"no worker holds {key!r}: it was released or never computed")
            by_rank.setdefault(rank_of(state.who_has[0]), []).append(key)
        for rank, ks in by_rank.items():
            out.update(self.transport.fetch(rank, ks, timeout, what="results"))
        return out

    def gather(self, futures: Any, errors: str = "raise") -> Any:
        """Bring results to the client; ``futures`` may be nested in lists/tuples/dicts.

        ``errors='raise'`` raises the first task error; ``'skip'`` leaves
        failed futures out of lists.
        """
        if errors not in ("raise", "skip"):
            raise ValueError(f"errors={errors!r}; use 'raise' or 'skip'")
        flat = [f for f in iter_futures(futures)]
        for f in flat:
            f._state.event.wait()
            if f.status == "error" and errors == "raise":
                raise f._state.error  # type: ignore[misc]
        good = [f.key for f in flat if f.status == "finished"]
        values = self._gather_keys(good) if good else {}
        return rebuild(futures, values, errors)

    def get(self, dsk: Mapping, keys: Any, sync: bool = True, **kwargs: Any) -> Any:
        """Compute ``keys`` of graph ``dsk`` on the cluster (``compute(scheduler=client)``)."""
        flat = flatten_keys(keys)
        graph = {k: v for k, v in dsk.items()}
        self._submit_graph(graph, list(dict.fromkeys(flat)))
        futures = {k: Future(k, self) for k in flat}
        if not sync:
            return nest(keys, futures)
        with following_futures(graph, list(futures.values()), kwargs.get("callbacks")):
            values = self.gather(list(futures.values()))  # a ProgressBar follows these
        results = dict(zip(futures, values, strict=True))
        return nest(keys, results)

    # -- data ----------------------------------------------------------------------------
    def _worker_names(self) -> list[str]:
        workers = sorted(self.scheduler_info()["workers"], key=rank_of)
        if not workers:
            raise RuntimeError("the cluster has no workers")
        return workers

    def scatter(self, data: Any, workers: Any = None, broadcast: bool = False,
                hash: bool = True) -> Any:
        """Move data to workers; return futures shaped like ``data``."""
        if isinstance(data, dict):
            items = list(data.items())
        elif isinstance(data, (list, tuple, set, frozenset)):
            items = [(None, v) for v in data]
        else:
            items = [(None, data)]
        names = ([address(rank_of(w)) for w in ([workers] if isinstance(workers, (str, int))
                                                 else workers)]
                 if workers is not None else self._worker_names())
        keyed = []
        for given, value in items:
            token = tokenize(value) if hash else uuid.uuid4().hex
            keyed.append((given if isinstance(data, dict) else
                          f"{type(value).__name__}-{token}", value))
        placement: dict[str, dict] = {}
        for i, (key, value) in enumerate(keyed):
            targets = names if broadcast else [names[i % len(names)]]
            for name in targets:
                placement.setdefault(name, {})[key] = value
        for name, chunk in placement.items():
            sizes = self.transport.request(rank_of(name), {"op": "store-data", "data": chunk})
            sizes = sizes.result(timeout=REQUEST_TIMEOUT * 10)
            for key in chunk:
                self._key_state(key)
            self._to_scheduler({"op": "data-added", "worker": name,
                                                 "keys_with_nbytes": sizes})
        holders: dict = {}
        for name, chunk in placement.items():
            for key in chunk:
                holders.setdefault(key, []).append(name)
        futures = {}
        for key, _ in keyed:
            state = self._key_state(key)
            state.finish("finished", who_has=holders[key])
            futures[key] = Future(key, self, state)
        if isinstance(data, dict):
            return futures
        out = [futures[k] for k, _ in keyed]
        if isinstance(data, (list, tuple, set, frozenset)):
            return type(data)(out) if not isinstance(data, (set, frozenset)) else out
        return out[0]

    def cancel(self, futures: Any) -> None:
        """Stop computing these keys and forget them (for this client)."""
        keys = [f.key for f in iter_futures(futures)]
        for key in keys:
            state = self._states.get(key)
            if state is not None and not state.event.is_set():
                state.finish("cancelled")
        self._to_scheduler({"op": "release-keys", "keys": keys})

    # -- collections ---------------------------------------------------------------
    def compute(self, collections: Any, sync: bool = False, **kwargs: Any) -> Any:
        """Start computing collections; return one future per collection."""
        from mpiflow.base import collections_to_graph

        single = not isinstance(collections, (list, tuple))
        colls = [collections] if single else list(collections)
        dsk, keys = collections_to_graph(colls, True)
        dsk = dict(dsk)
        wanted = []
        for c, ks in zip(colls, keys, strict=True):
            finalize, extra = c.__mpiflow_postcompute__()
            fkey = f"finalize-{tokenize(c)}"
            dsk[fkey] = (finalize, ks, *[quote_argument(e) for e in extra])
            wanted.append(fkey)
        self._submit_graph(dsk, wanted)
        futures = [Future(k, self) for k in wanted]
        if sync:
            results = self.gather(futures)
            return results[0] if single else results
        return futures[0] if single else futures

    def persist(self, collections: Any, **kwargs: Any) -> Any:
        """Start computing collections; return them backed by futures on the cluster."""
        single = not isinstance(collections, (list, tuple))
        out = self._persist_collections([collections] if single else list(collections))
        return out[0] if single else out

    def _persist_collections(self, collections: list, optimize_graph: bool = True,
                             **kwargs: Any) -> list:
        from mpiflow.base import collections_to_graph

        dsk, keys = collections_to_graph(collections, optimize_graph)
        flat = [flatten_keys(ks) for ks in keys]
        self._submit_graph(dict(dsk), [k for ks in flat for k in ks])
        out = []
        for c, ks in zip(collections, flat, strict=True):
            rebuild, extra = c.__mpiflow_postpersist__()
            out.append(rebuild({k: Future(k, self) for k in ks}, *extra))
        return out

    def shutdown(self, timeout: float = 30.0) -> None:
        """Stop the scheduler and every worker; the MPI job then ends."""
        if self.status != "running":
            return
        try:
            self._ask({"op": "shutdown"}, timeout=timeout)
        finally:
            self._stop()
            if self._joined:
                self.transport.endpoint.close(timeout=timeout)

    def close(self, timeout: float = 30.0) -> None:
        """Release this client's keys and stop talking to the cluster.

        In an ``initialize()`` launch the cluster exists for this one client,
        so closing it also shuts the cluster down. A client that joined
        through a scheduler file leaves, and the cluster goes on.
        """
        if not self._joined:
            self.shutdown(timeout)
            return
        if self._owns_cluster:
            try:
                self.shutdown(timeout)
            finally:
                self.cluster.close()
            return
        if self.status != "running":
            return
        try:
            # the scheduler releases every key of this client; it is a request
            # because the cluster may ask us to take part in an accept until it answers
            self._ask({"op": "client-closed"}, timeout=timeout)
        finally:
            self._stop()
            self.transport.endpoint.close(timeout=timeout)

    def _close_at_exit(self) -> None:
        try:
            self.close(timeout=10)
        except Exception as exc:  # noqa: BLE001 - exiting anyway; say why it was not clean
            print(f"mpiflow: the client did not leave the cluster cleanly: {exc}",
                  file=sys.stderr)

    def _stop(self) -> None:
        global _default
        self.status = "closed"
        self._flush_wake.set()
        self._listener.join(timeout=5)
        if _default is self:
            _default = None

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        if self.status != "running":
            return f"<Client: {self.status}>"
        try:
            info = self.scheduler_info()
        except Exception:
            return "<Client: 'mpi://0' (not answering)>"
        workers = info["workers"]
        threads = sum(w["nthreads"] for w in workers.values())
        link = info.get("dashboard_link")
        return (f"<Client: scheduler='{info['address']}' processes={len(workers)} "
                f"threads={threads}" + (f", dashboard='{link}'>" if link else ">"))
