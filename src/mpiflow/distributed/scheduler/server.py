"""The scheduler rank: a thin loop around :class:`SchedulerState`.

It receives control messages, turns them into events, lets the state machine
decide, and sends the resulting instructions, one batched message per
destination per round. It never touches task data: inputs and results move
between workers and the client directly.

The rounds run on rank 0's MPI progress thread, right after the turn of its
loop that received the messages (:meth:`MPIEndpoint.set_round_hook
<mpiflow.distributed.comm.endpoint.MPIEndpoint.set_round_hook>`): handing each
message to another thread cost a wake-up and a GIL switch, more than the
state machine's own work for it. The thread that calls :meth:`SchedulerServer.run`
only waits for shutdown.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import defaultdict, deque
from typing import Any

from mpiflow.distributed.roles import address, rank_of
from mpiflow.distributed.scheduler import events as ev
from mpiflow.distributed.scheduler import instructions as ins
from mpiflow.distributed.scheduler.adaptive import adaptive_target, workers_to_close
from mpiflow.distributed.scheduler.liveness import Liveness
from mpiflow.distributed.scheduler.state import SchedulerState
from mpiflow.distributed.transport import Transport

__all__ = ["SchedulerServer"]


def _packed(exc: BaseException) -> Any:
    from mpiflow.distributed.protocol import pack_exception

    return pack_exception(exc)

#: Control messages handled per round before instructions are sent.
MAX_ROUND = 1000
#: Seconds between two looks at the periodic duties (liveness, joins, dashboard,
#: retirements); each keeps its own, longer, interval on top.
PERIODIC_INTERVAL = 0.005
#: Requests answered from the current state: events received before them apply first.
QUERIES = frozenset({"who-has", "scheduler-info", "shutdown", "retire-workers", "restart",
                     "adaptive-target", "workers-to-close",
                     "performance-report"})


class SchedulerServer:
    """Serve one cluster from rank 0 until a client asks it to shut down.

    Parameters
    ----------
    transport : Transport
        Rank 0's messaging.
    state : SchedulerState, optional
        The state machine (a fresh one by default).
    scheduler_file : str, optional
        Publish the cluster in this scheduler file and admit processes that
        join through it (``mpiflow cluster``).
    launch_workers : int
        Workers of this launch to wait for before the scheduler file is written.
    dashboard_address : tuple of (str, int), optional
        ``(host, port)`` to serve the dashboard on (see
        :func:`~mpiflow.distributed.dashboard.parse_dashboard_address`); None: no dashboard.
    """

    def __init__(self, transport: Transport, state: SchedulerState | None = None,
                 scheduler_file: str | None = None, launch_workers: int = 0,
                 dashboard_address: tuple[str, int] | None = None) -> None:
        self.transport = transport
        self.state = state or SchedulerState()
        self.clients: set[int] = set()
        self.scheduler_file = scheduler_file
        self.launch_workers = launch_workers
        self.joins: Any = None
        self.liveness = Liveness()
        self._next_check = 0.0
        self._retiring: list[tuple[dict, list, list]] = []
        self._retire_later: list[dict] = []  # retire-workers requests waiting their turn
        self.worker_info: dict[str, dict] = {}
        self.running = True
        self.started = time.time()
        # Rounds run on the MPI progress thread (no hand-off per message); the
        # thread that called run() waits on this and then shuts the cluster down.
        self._arrived: deque = deque()
        self._finished = threading.Event()
        self._round_lock = threading.Lock()
        self._failure: BaseException | None = None
        self._next_periodic = 0.0
        self._outgoing: dict[int, list] = defaultdict(list)
        self._shutdown_requests: list[dict] = []
        # key -> client ranks its worker pushed the value to, for this round
        self._pushed: dict = {}
        self.dashboard_address = dashboard_address
        self.dashboard: Any = None  # the HTTP server, started by run()
        self.recorder: Any = None  # what it shows, recorded on this thread
        self.handlers = {
            "register-worker": self._on_register_worker,
            "register-client": self._on_register_client,
            "unregister-worker": self._on_unregister_worker,
            "heartbeat": self._on_heartbeat,
            "retire-workers": self._on_retire_workers,
            "adaptive-target": self._on_adaptive_target,
            "workers-to-close": self._on_workers_to_close,
            "restart": self._on_restart,
            "update-graph": self._on_update_graph,
            "task-finished": self._on_task_finished,
            "task-erred": self._on_task_erred,
            "release-keys": self._on_release_keys,
            "client-closed": self._on_client_closed,
            "data-added": self._on_data_added,
            "who-has": self._on_who_has,
            "scheduler-info": self._on_scheduler_info,
            "performance-report": self._on_performance_report,
            "shutdown": self._on_shutdown,
            "reply": lambda msg: (self.transport.on_reply(msg), [])[1],
        }

    def _start_joins(self) -> None:
        """Publish the scheduler file once every worker of the launch has registered."""
        from mpiflow.distributed.scheduler.joins import JoinService

        members = {info["rank"] for info in self.worker_info.values()} | self.clients
        link = self.dashboard.link if self.dashboard is not None else None
        self.joins = JoinService(self.transport, self.scheduler_file, members, dashboard=link)

    def stop(self) -> None:
        """Stop serving after the current round (e.g. from a signal handler)."""
        self.running = False
        self._finished.set()

    def run(self) -> None:
        """Handle messages until shutdown, then close every worker."""
        if self.dashboard_address is not None:
            self._start_dashboard(*self.dashboard_address)
        try:
            self._serve()
        finally:
            self._close_workers()
            if self.joins is not None:
                self.joins.close()
            if self.dashboard is not None:
                self.dashboard.close()

    def _start_dashboard(self, host: str, port: int) -> None:
        from mpiflow.distributed.dashboard import DashboardServer, Recorder

        recorder = Recorder(self)
        try:
            self.dashboard = DashboardServer(recorder, host, port)
        except OSError as err:  # the cluster is still useful without its dashboard
            print(f"mpiflow scheduler: no dashboard: {err}", file=sys.stderr, flush=True)
            return
        self.recorder = recorder
        recorder.publish()

    def _serve(self) -> None:
        """Let the MPI progress thread run the rounds; wait here until they stop.

        Control messages are handed to :meth:`_round` on the progress thread
        that received them: waking another thread for each one cost more than
        the state machine's work for it.
        """
        endpoint = self.transport.endpoint
        self.transport.listen(self._arrived.append, self._on_endpoint_failure)
        endpoint.set_round_hook(self._round)
        try:
            while self.running:
                self._finished.wait(0.5)  # short: signal handlers run between waits
        finally:
            endpoint.set_round_hook(None)
            with self._round_lock:  # a round in progress finishes first
                self.running = False
        if self._failure is not None:
            raise self._failure

    def _on_endpoint_failure(self, exc: BaseException) -> None:
        if self._failure is None:
            self._failure = exc
        self.stop()

    def _round(self) -> bool:
        """Handle what arrived, send the resulting instructions, run periodic duties.

        Called by the MPI progress thread after each turn of its loop; returns
        whether there was anything to do.
        """
        arrived = self._arrived
        now = time.monotonic()
        if not arrived and now < self._next_periodic:
            return False
        with self._round_lock:
            if not self.running:
                return False
            try:
                worked = bool(arrived)
                while arrived:  # all of it: nothing would announce what is left
                    events: list = []
                    for _ in range(min(len(arrived), MAX_ROUND)):
                        events = self._dispatch(arrived.popleft(), events)
                    self._apply(events)
                    self._flush()
                if now >= self._next_periodic:
                    self._next_periodic = now + PERIODIC_INTERVAL
                    self._periodic()
            except BaseException as exc:  # noqa: BLE001 - re-raised by the serving thread
                self._failure = exc
                self.stop()
                return False
            return worked

    def _periodic(self) -> None:
        recorder = self.recorder  # a performance report may start one later
        if self.joins is not None:
            self.joins.poll()
        elif self.scheduler_file is not None and len(self.worker_info) >= self.launch_workers:
            self._start_joins()
            if recorder is not None:  # the dashboard shows the file with the workers
                recorder.publish()
        self._check_liveness()
        if self._retiring:
            self._finish_retirements()
        if recorder is not None:
            recorder.tick()

    def _check_liveness(self) -> None:
        now = time.monotonic()
        if now < self._next_check:
            return
        self._next_check = now + 0.1
        lost = self.liveness.lost(now)
        if lost:
            self._apply([e for member in lost for e in self._lose(member)])
            self._flush()

    def _forget_member(self, member: int) -> tuple[bool, bool]:
        """Stop counting ``member`` as a worker, client, watched process and join member.

        Returns whether it was a registered worker and whether it was a client.
        """
        self.liveness.forget(member)
        if self.joins is not None:
            self.joins.forget(member)
        was_client = member in self.clients
        self.clients.discard(member)
        return self.worker_info.pop(address(member), None) is not None, was_client

    def _lose(self, member: int) -> list:
        """``member`` died or hung: forget it everywhere and tell the others."""
        was_worker, was_client = self._forget_member(member)
        self.transport.endpoint.drop_peer(member)
        self._outgoing.pop(member, None)  # e.g. peer-lost of a worker lost in the same check
        name = address(member)
        events: list = []
        if was_worker:
            events.append(ev.WorkerLeft(name, expected=False, stimulus_id=f"lost-{name}"))
        if was_client:
            events.append(ev.ClientDisconnected(name, stimulus_id=f"lost-{name}"))
        for other in self.members():
            self._post(other, {"op": "peer-lost", "id": member})
        print(f"mpiflow scheduler: {name} is gone (no sign of life for "
              f"{self.liveness.ttl:g} s, or its process ended); "
              f"{'its work is rescheduled' if events else 'ignored'}", file=sys.stderr,
              flush=True)
        return events

    def members(self) -> list[int]:
        """Ids of the workers and clients connected now."""
        return sorted({info["rank"] for info in self.worker_info.values()} | self.clients)

    def _apply(self, events: list) -> None:
        if events:
            self._route(self.state.handle(*events))
        self._pushed.clear()

    def _dispatch(self, msg: dict, events: list) -> list:
        """Turn ``msg`` into events; queries first apply the events before them."""
        op = msg["op"]
        self.liveness.seen(msg["from"])
        if op == "batch":
            for sub in msg["messages"]:
                sub["from"] = msg["from"]
                events = self._dispatch(sub, events)
            return events
        handler = self.handlers.get(op)
        if handler is None:
            raise RuntimeError(f"scheduler got unknown message op {op!r} from rank "
                               f"{msg.get('from')}")
        if op in QUERIES:
            self._apply(events)
            handler(msg)
            return []
        events.extend(handler(msg) or [])
        return events

    # -- outgoing ----------------------------------------------------------------
    def _post(self, rank: int, msg: dict) -> None:
        self._outgoing[rank].append(msg)

    def _flush(self) -> None:
        for rank, msgs in self._outgoing.items():
            if len(msgs) == 1:
                self.transport.send(rank, msgs[0])
            elif msgs:
                self.transport.send(rank, {"op": "batch", "messages": msgs})
        self._outgoing.clear()

    def _route(self, instructions: list) -> None:
        for i in instructions:
            if isinstance(i, ins.Execute):
                ts = self.state.tasks.get(i.key)
                wanted_by = [rank_of(c) for c in ts.who_wants] if ts is not None else []
                self._post(rank_of(i.worker), {
                    "op": "execute", "key": i.key, "run_spec": i.run_spec,
                    "who_has": {k: list(v) for k, v in i.who_has.items()},
                    "report_to": wanted_by,
                })
            elif isinstance(i, ins.FreeKeys):
                self._post(rank_of(i.worker), {"op": "free-keys", "keys": list(i.keys)})
            elif isinstance(i, ins.KeyInMemory):
                if rank_of(i.client) in self._pushed.get(i.key, ()):
                    continue  # the worker already sent the value and its location
                self._post(rank_of(i.client), {"op": "key-in-memory", "key": i.key,
                                                "nbytes": i.nbytes, "who_has": list(i.who_has)})
            elif isinstance(i, ins.KeyErred):
                self._post(rank_of(i.client), {"op": "key-erred", "key": i.key,
                                                "error": i.exception, "blamed": i.blamed})
            elif isinstance(i, ins.KeyLost):
                self._post(rank_of(i.client), {"op": "key-lost", "key": i.key})
            else:  # pragma: no cover - a new instruction type needs a route
                raise TypeError(f"no route for scheduler instruction {i!r}")

    # -- incoming ----------------------------------------------------------------
    def _on_register_worker(self, msg: dict) -> list:
        name = address(msg["from"])
        info = {k: v for k, v in msg.items() if k not in ("op", "from")}
        info["rank"] = msg["from"]
        self.worker_info[name] = info
        self.liveness.watch(msg["from"], info.get("host"), info.get("pid"))
        return [ev.WorkerJoined(name, info["nthreads"], info.get("memory_limit") or 0,
                                stimulus_id=f"register-{name}")]

    def _on_update_graph(self, msg: dict) -> list:
        tasks = {key: ev.TaskSpec(**spec) for key, spec in msg["tasks"].items()}
        return [ev.GraphSubmitted(address(msg["from"]), tasks, list(msg["wanted"]),
                                  stimulus_id=msg.get("stimulus_id", "update-graph"))]

    def _on_task_finished(self, msg: dict) -> list:
        if self.recorder is not None:
            self.recorder.task(msg, "memory")
        if msg.get("pushed_to"):
            self._pushed[msg["key"]] = msg["pushed_to"]
        return [ev.TaskFinished(address(msg["from"]), msg["key"], msg["nbytes"],
                                msg["duration"], stimulus_id=f"finished-{msg['key']}")]

    def _on_task_erred(self, msg: dict) -> list:
        if self.recorder is not None:
            self.recorder.task(msg, "erred")
        return [ev.TaskErred(address(msg["from"]), msg["key"], exception=msg["error"],
                             stimulus_id=f"erred-{msg['key']}")]

    def _on_release_keys(self, msg: dict) -> list:
        return [ev.ClientReleasedKeys(address(msg["from"]), list(msg["keys"]),
                                      stimulus_id="client-release")]

    def _on_unregister_worker(self, msg: dict) -> list:
        """A worker leaves on purpose: what it held is recomputed or fetched elsewhere."""
        name = address(msg["from"])
        self._forget_member(msg["from"])
        self.transport.reply(msg, "ok")
        return [ev.WorkerLeft(name, expected=True, stimulus_id=f"leave-{name}")]

    # -- retiring workers and restarting -----------------------------------------
    def _on_retire_workers(self, msg: dict) -> list:
        """Copy what only the leaving workers hold to the others, then close them."""
        if self._retiring:
            # One at a time: a retirement planned while another is copying could
            # send data to a worker that one is closing, or count on a copy
            # there. It is planned once the other is done.
            self._retire_later.append(msg)
            return []
        names = [address(rank_of(w)) for w in msg["workers"]]
        unknown = [n for n in names if n not in self.state.workers]
        stay = [w for w in self.state.workers.values() if w.name not in names]
        if unknown or not stay:
            why = (f"no such worker(s) {unknown}; workers are {sorted(self.state.workers)}"
                   if unknown else "it would leave no worker to hold their data")
            self.transport.reply(msg, error=_packed(ValueError(f"cannot retire {names}: {why}")))
            return []
        moves: dict[int, dict] = defaultdict(dict)
        for i, name in enumerate(names):
            for j, ts in enumerate(sorted(self.state.workers[name].has_what,
                                          key=lambda t: str(t.key))):
                if any(w.name not in names for w in ts.who_has):
                    continue  # another copy stays
                target = stay[(i + j) % len(stay)]
                moves[rank_of(target.name)][ts.key] = rank_of(name)
        futures = [(rank, self.transport.request(rank, {"op": "replicate", "keys": keys}))
                   for rank, keys in moves.items()]
        self._retiring.append((msg, names, futures))
        return []

    def _finish_retirements(self) -> None:
        still = []
        for msg, names, futures in self._retiring:
            if not all(f.done() for _, f in futures):
                still.append((msg, names, futures))
                continue
            events: list = []
            failed = [f.exception() for _, f in futures if f.exception() is not None]
            for rank, fut in futures:
                if fut.exception() is None:
                    events.append(ev.DataAdded(address(rank), dict(fut.result()),
                                               stimulus_id="retire-replicate"))
            for name in names:
                rank = rank_of(name)
                if self._forget_member(rank)[0]:
                    self.transport.send(rank, {"op": "close"})
                events.append(ev.WorkerLeft(name, expected=True, stimulus_id="retire"))
            self._apply(events)
            self._flush()
            if failed:
                self.transport.reply(msg, error=_packed(failed[0]))
            else:
                self.transport.reply(msg, names)
        self._retiring = still
        while not self._retiring and self._retire_later:
            self._on_retire_workers(self._retire_later.pop(0))

    def _on_adaptive_target(self, msg: dict) -> list:
        """How many workers the work in hand wants (see :mod:`.adaptive`)."""
        try:
            n = adaptive_target(self.state, msg.get("target_duration", 5.0),
                                nthreads=msg.get("nthreads"))
        except (TypeError, ValueError) as err:
            self.transport.reply(msg, error=_packed(err))
            return []
        self.transport.reply(msg, n)
        return []

    def _on_workers_to_close(self, msg: dict) -> list:
        """Which workers to retire to keep ``n``; those being retired count as gone."""
        leaving = {name for _, names, _ in self._retiring for name in names}
        leaving |= {address(rank_of(w)) for msg in self._retire_later for w in msg["workers"]}
        try:
            names = workers_to_close(self.state, msg.get("n"), leaving=leaving)
        except (TypeError, ValueError) as err:
            self.transport.reply(msg, error=_packed(err))
            return []
        self.transport.reply(msg, names)
        return []

    def _on_restart(self, msg: dict) -> list:
        """Forget every task and free all data; workers and clients stay connected."""
        old = self.state
        self.state = SchedulerState(allowed_failures=old.allowed_failures)
        events = []
        for name, info in self.worker_info.items():
            self.transport.send(info["rank"], {"op": "restart"})
            events.append(ev.WorkerJoined(name, info["nthreads"], info.get("memory_limit") or 0,
                                          stimulus_id="restart"))
        self._apply(events)
        self._flush()
        self.transport.reply(msg, "ok")
        return []

    def _on_heartbeat(self, msg: dict) -> list:
        info = self.worker_info.get(address(msg["from"]))
        if info is not None:
            info["last_heartbeat"] = time.time()
            if "metrics" in msg:
                info["metrics"] = msg["metrics"]
                if self.recorder is not None:
                    self.recorder.heartbeat(info["last_heartbeat"], info["rank"], msg["metrics"])
        return []

    def _on_register_client(self, msg: dict) -> list:
        self.clients.add(msg["from"])
        self.liveness.watch(msg["from"], msg.get("host"), msg.get("pid"))
        return []

    def _on_client_closed(self, msg: dict) -> list:
        self._forget_member(msg["from"])
        if "rid" in msg:  # a client that leaves waits for this before it stops listening
            self.transport.reply(msg, "ok")
        return [ev.ClientDisconnected(address(msg["from"]), stimulus_id="client-closed")]

    def _on_data_added(self, msg: dict) -> list:
        return [ev.DataAdded(msg["worker"], dict(msg["keys_with_nbytes"]),
                             client=address(msg["from"]), stimulus_id="scatter")]

    def _on_who_has(self, msg: dict) -> list:
        tasks = self.state.tasks
        result = {}
        for key in msg["keys"]:
            ts = tasks.get(key)
            result[key] = sorted(ws.name for ws in ts.who_has) if ts is not None else []
        self.transport.reply(msg, result)
        return []

    def _on_scheduler_info(self, msg: dict) -> list:
        self.transport.reply(msg, self.info())
        return []

    def _on_performance_report(self, msg: dict) -> list:
        """What was recorded from ``since`` to now; without ``since``, just the time now.

        Without a dashboard nothing is recorded until the first such request
        starts a recorder (it then stays on).
        """
        if self.recorder is None:
            from mpiflow.distributed.dashboard import Recorder

            self.recorder = Recorder(self)
        self.recorder.publish()
        since = msg.get("since")
        now = time.time()
        self.transport.reply(msg, {"time": now} if since is None
                             else self.recorder.report(since, now))
        return []

    def info(self) -> dict[str, Any]:
        """The cluster as ``client.scheduler_info()`` shows it."""
        workers = {}
        for name, info in self.worker_info.items():
            ws = self.state.workers.get(name)
            if ws is None:
                continue
            workers[name] = dict(info, processing=len(ws.processing),
                                 stored_keys=len(ws.has_what), nbytes=ws.nbytes)
        services, link = {}, None
        if self.dashboard is not None:
            services, link = {"dashboard": self.dashboard.port}, self.dashboard.link
        return {"type": "Scheduler", "address": address(self.transport.rank),
                "workers": workers, "services": services, "dashboard_link": link,
                "started": self.started,
                "scheduler_file": self.joins.path if self.joins is not None else None,
                "tasks": self.state.counts() if hasattr(self.state, "counts") else {}}

    def _on_shutdown(self, msg: dict) -> list:
        self._shutdown_requests.append(msg)
        self.stop()
        return []

    def _close_workers(self) -> None:
        for info in self.worker_info.values():
            self.transport.send(info["rank"], {"op": "close"})
        for msg in self._shutdown_requests:
            self.transport.reply(msg, "ok")
