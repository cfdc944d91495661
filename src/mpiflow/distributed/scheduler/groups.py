"""Tasks per state of every task group, kept up to date by the transitions.

A dashboard's progress bars need, per group, how many tasks wait, run, hold
results, are done or erred. Rather than replaying the transition log at
every snapshot (a second pass over every transition), while counting is on
(:meth:`~mpiflow.distributed.scheduler.state.SchedulerState.count_groups`),
each :class:`~mpiflow.distributed.scheduler.model.TaskState` points at its
group's counter list and every transition adjusts it in place. With counting
off the transitions pay one attribute test.

The counter list of a group is ``[waiting, processing, memory, done, erred]``
(see :data:`WAITING` ...). ``erred`` counts every arrival in ``erred``;
``done`` is left to the owner (the dashboard counts workers' reports).

Examples
--------
>>> from mpiflow.distributed.scheduler import SchedulerState, GraphSubmitted, TaskSpec
>>> state = SchedulerState()
>>> counts = state.count_groups(lambda name: name.split("-")[0])
>>> _ = state.handle(GraphSubmitted("c1", {"inc-1": TaskSpec(), "inc-2": TaskSpec()},
...                                 ["inc-1", "inc-2"]))
>>> counts.groups  # no worker yet: both wait
{'inc': [2, 0, 0, 0, 0]}
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Any

__all__ = ["GroupCounts", "MOVES", "WAITING", "PROCESSING", "MEMORY", "DONE", "ERRED",
           "SLOT"]

WAITING, PROCESSING, MEMORY, DONE, ERRED = range(5)
#: Task state -> the counter it is counted in (states not listed are not counted).
SLOT = {"waiting": WAITING, "queued": WAITING, "no-worker": WAITING,
        "processing": PROCESSING, "memory": MEMORY}
_STATES = (*SLOT, "released", "erred", "forgotten")
#: ``MOVES[start][finish]`` = (counter left or -1, counter entered or -1, ERRED or -1):
#: what a transition does to its task's group counters (applied in the transitions).
MOVES = {a: {b: (SLOT.get(a, -1), SLOT.get(b, -1), ERRED if b == "erred" else -1)
              for b in _STATES}
          for a in _STATES}
#: Names remembered before the cache is dropped (string keys are each their own name).
_MAX_NAMES = 200_000


class GroupCounts:
    """Counter lists per task group, found from a key by ``group_of``.

    Parameters
    ----------
    group_of : callable
        Maps a key's name (a string key, or the first element of a tuple
        key) to its group's name. For a name ``"<prefix>-<token>"`` whose
        token is not a word, it is asked about ``"<prefix>"`` once and the
        answer serves every token.

    Examples
    --------
    >>> counts = GroupCounts(lambda name: name)
    >>> counts.of(("sum-aggregate-ab12", 0)) is counts.of(("sum-aggregate-ab12", 1))
    True
    >>> sorted(counts.groups)
    ['sum-aggregate']
    """

    def __init__(self, group_of: Callable[[Any], str]) -> None:
        self.group_of = group_of
        #: group name -> ``[waiting, processing, memory, done, erred]``
        self.groups: dict[str, list[int]] = {}
        self._by_name: dict[Any, list[int]] = {}

    def of(self, key: Hashable) -> list[int]:
        """The counter list of ``key``'s group (created at zero if new)."""
        name = key[0] if type(key) is tuple and key else key
        by_name = self._by_name
        try:
            return by_name[name]
        except KeyError:
            pass
        except TypeError:  # an unhashable name: no caching
            return self.groups.setdefault(self.group_of(name), [0] * 5)
        if len(by_name) > _MAX_NAMES:
            by_name.clear()
        if type(name) is str:
            # 'inc-<token>' is in the group of 'inc': one lookup per group, not per key
            head, sep, tail = name.rpartition("-")
            if sep and head and not tail.isalpha():
                c = by_name.get(head)
                if c is None:
                    c = by_name[head] = self.groups.setdefault(self.group_of(head), [0] * 5)
                by_name[name] = c
                return c
        c = by_name[name] = self.groups.setdefault(self.group_of(name), [0] * 5)
        return c

    def recount(self, tasks: Iterable[Any]) -> None:
        """Count ``tasks`` (TaskStates) afresh and point each at its counters.

        ``done`` and ``erred`` are history, not state: they are kept.

        Examples
        --------
        >>> from mpiflow.distributed.scheduler.model import TaskState
        >>> ts = TaskState("inc-1", None, (0,)); ts.state = "memory"
        >>> counts = GroupCounts(lambda name: "inc")
        >>> counts.recount([ts]); counts.groups, ts.counts is counts.groups["inc"]
        ({'inc': [0, 0, 1, 0, 0]}, True)
        """
        for c in self.groups.values():
            c[WAITING] = c[PROCESSING] = c[MEMORY] = 0
        for ts in tasks:
            c = ts.counts = self.of(ts.key)
            slot = SLOT.get(ts.state)
            if slot is not None:
                c[slot] += 1
