"""Events: what the scheduler state machine is told.

Every event is a small slotted dataclass with a ``stimulus_id`` that names the
message it came from; the transition log records it so that
:meth:`~mpiflow.distributed.scheduler.state.SchedulerState.story` can say why
a task moved. Events carry metadata only, never task results.

Examples
--------
>>> spec = TaskSpec(deps=("x",), priority=(0, 1))
>>> GraphSubmitted("c1", {"x": TaskSpec(), "y": spec}, ["y"], stimulus_id="s1").wanted
['y']
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mpiflow.core.order import order
from mpiflow.core.spec import get_all_dependencies, get_dependencies

__all__ = [
    "SchedulerEvent",
    "TaskSpec",
    "WorkerJoined",
    "WorkerLeft",
    "GraphSubmitted",
    "TaskFinished",
    "TaskErred",
    "ClientReleasedKeys",
    "ClientDisconnected",
    "DataAdded",
    "tasks_from_graph",
]

Key = Hashable


@dataclass(slots=True)
class SchedulerEvent:
    """Base class of every event; ``stimulus_id`` names its origin."""


@dataclass(slots=True, frozen=True)
class TaskSpec:
    """What the scheduler knows about one submitted task.

    Parameters
    ----------
    deps : tuple
        Keys this task needs as inputs (of the same graph or already known).
    priority : tuple
        ``(user_priority, graph_order)``: higher ``user_priority`` runs first,
        then lower ``graph_order`` (from :func:`mpiflow.core.order.order`).
    workers : tuple of str, optional
        Names of the only workers allowed to run the task.
    allow_other_workers : bool
        With ``workers``, let other workers run it when none of those exist.
    retries : int
        How many times a task that raised is re-run before it is erred.
    run_spec : object
        Opaque payload passed to the worker in :class:`Execute`.

    Examples
    --------
    >>> TaskSpec(deps=("a", "b")).retries
    0
    """

    deps: tuple = ()
    priority: tuple = (0, 0)
    workers: tuple | None = None
    allow_other_workers: bool = False
    retries: int = 0
    run_spec: Any = None


@dataclass(slots=True)
class WorkerJoined(SchedulerEvent):
    """A worker is ready to run ``nthreads`` tasks at a time.

    Examples
    --------
    >>> WorkerJoined("w1", 4, 2**30, stimulus_id="join-w1").nthreads
    4
    """

    worker: str
    nthreads: int
    memory_limit: int = 0
    stimulus_id: str = ""


@dataclass(slots=True)
class WorkerLeft(SchedulerEvent):
    """A worker is gone. ``expected`` if it left on purpose (not a crash).

    Tasks running on a crashed worker are suspected of killing it; after
    ``allowed_failures + 1`` such deaths a task is erred.

    Examples
    --------
    >>> WorkerLeft("w1", stimulus_id="lost").expected
    False
    """

    worker: str
    expected: bool = False
    stimulus_id: str = ""


@dataclass(slots=True)
class GraphSubmitted(SchedulerEvent):
    """A client submits ``tasks`` and wants the keys in ``wanted``.

    Tasks may depend on keys the scheduler already knows (from earlier graphs
    or scattered data). A key already known keeps its existing state.

    Examples
    --------
    >>> ev = GraphSubmitted("c", {"x": TaskSpec()}, ["x"], stimulus_id="g1")
    >>> list(ev.tasks)
    ['x']
    """

    client: str
    tasks: Mapping[Key, TaskSpec]
    wanted: list
    stimulus_id: str = ""


@dataclass(slots=True)
class TaskFinished(SchedulerEvent):
    """``worker`` ran ``key``; its result (``nbytes`` large) stays there.

    Examples
    --------
    >>> TaskFinished("w1", "x", 8, 0.1, stimulus_id="done-x").nbytes
    8
    """

    worker: str
    key: Key
    nbytes: int = 0
    duration: float = 0.0
    stimulus_id: str = ""


@dataclass(slots=True)
class TaskErred(SchedulerEvent):
    """Running ``key`` on ``worker`` raised; exception and traceback are opaque.

    Examples
    --------
    >>> TaskErred("w1", "x", ValueError("bad"), None, stimulus_id="e").key
    'x'
    """

    worker: str
    key: Key
    exception: Any = None
    traceback: Any = None
    stimulus_id: str = ""


@dataclass(slots=True)
class ClientReleasedKeys(SchedulerEvent):
    """``client`` no longer wants ``keys``.

    Examples
    --------
    >>> ClientReleasedKeys("c", ["x"], stimulus_id="rel").keys
    ['x']
    """

    client: str
    keys: list
    stimulus_id: str = ""


@dataclass(slots=True)
class ClientDisconnected(SchedulerEvent):
    """``client`` is gone: every key it wanted is released.

    Examples
    --------
    >>> ClientDisconnected("c", stimulus_id="bye").client
    'c'
    """

    client: str
    stimulus_id: str = ""


@dataclass(slots=True)
class DataAdded(SchedulerEvent):
    """Data was scattered to ``worker``: ``{key: nbytes}``, wanted by ``client``.

    Scattered keys have no recipe: if every worker holding one leaves, tasks
    that need it are erred. Without ``client`` nobody wants the data, so it is
    freed at once; a key the scheduler is computing keeps its own account (the
    worker is told to drop the scattered copy).

    Examples
    --------
    >>> DataAdded("w1", {"d": 80}, client="c", stimulus_id="scatter").keys_with_nbytes
    {'d': 80}
    """

    worker: str
    keys_with_nbytes: Mapping[Key, int] = field(default_factory=dict)
    client: str | None = None
    stimulus_id: str = ""


def tasks_from_graph(
    dsk: Mapping, user_priority: int = 0, known: frozenset = frozenset(), **options: Any
) -> dict:
    """Turn a graph dict into ``{key: TaskSpec}`` with static priorities.

    Parameters
    ----------
    dsk : dict
        A task graph (see :mod:`mpiflow.core.spec`).
    user_priority : int
        Higher runs before lower, for every task of the graph.
    known : frozenset
        Keys outside ``dsk`` that tasks may refer to (already on the cluster).
    **options
        Passed to every :class:`TaskSpec` (``workers``, ``retries``, ...).

    Examples
    --------
    >>> from operator import add
    >>> specs = tasks_from_graph({"x": 1, "y": (add, "x", 1)})
    >>> specs["y"].deps, specs["y"].priority
    (('x',), (0, 1))
    """
    deps = get_all_dependencies(dsk)
    if known:
        for k, v in dsk.items():
            _add_known(v, known, deps[k])
    prio = order(dsk, {k: {d for d in ds if d in dsk} for k, ds in deps.items()})
    return {
        k: TaskSpec(
            deps=tuple(deps[k]), priority=(user_priority, prio[k]), run_spec=v, **options
        )
        for k, v in dsk.items()
    }


def _add_known(value: Any, known: frozenset, out: set) -> None:
    """Add to ``out`` the keys of ``known`` that ``value`` refers to."""
    out.update(get_dependencies(dict.fromkeys(known), task=value))
