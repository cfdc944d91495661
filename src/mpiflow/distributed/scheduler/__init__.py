"""The cluster scheduler as a pure state machine (no MPI, no I/O, no threads).

``SchedulerState.handle(*events)`` applies events (:mod:`.events`) and returns
instructions (:mod:`.instructions`). The server loop on rank 0 is a thin
adapter around it; tests and :mod:`.simulate` drive it directly.

Examples
--------
>>> from mpiflow.distributed.scheduler import SchedulerState, WorkerJoined
>>> SchedulerState().handle(WorkerJoined("w1", 2, stimulus_id="join"))
[]
"""

from mpiflow.distributed.scheduler.events import (
    ClientDisconnected,
    ClientReleasedKeys,
    DataAdded,
    GraphSubmitted,
    TaskErred,
    TaskFinished,
    TaskSpec,
    WorkerJoined,
    WorkerLeft,
    tasks_from_graph,
)
from mpiflow.distributed.scheduler.instructions import (
    Execute,
    FreeKeys,
    KeyErred,
    KeyInMemory,
    KeyLost,
)
from mpiflow.distributed.scheduler.model import (
    DependencyMissing,
    KilledWorker,
    ScatteredDataLost,
)
from mpiflow.distributed.scheduler.state import SchedulerState

__all__ = [
    "SchedulerState",
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
    "Execute",
    "FreeKeys",
    "KeyInMemory",
    "KeyErred",
    "KeyLost",
    "KilledWorker",
    "ScatteredDataLost",
    "DependencyMissing",
]
