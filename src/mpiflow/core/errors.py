"""Errors raised for bad graphs, each naming the key at fault."""

from __future__ import annotations

__all__ = [
    "GraphError",
    "CycleError",
    "MissingDependencyError",
    "MissingKeyError",
    "MalformedTaskError",
]


class GraphError(ValueError):
    """Base class: the graph is not valid; nothing was run."""


class CycleError(GraphError):
    """The graph has a cycle. ``cycle`` holds the keys on it, first key repeated last."""

    def __init__(self, cycle: list) -> None:
        self.cycle = list(cycle)
        path = " -> ".join(repr(k) for k in self.cycle)
        super().__init__(
            f"cycle in the task graph: {path}. A task cannot depend, directly or through "
            "other tasks, on itself; break the cycle by renaming one of these keys."
        )


class MissingDependencyError(GraphError, KeyError):
    """A task refers to a key that the graph does not contain."""

    def __init__(self, key, missing, hint: str = "") -> None:
        self.key = key
        self.missing = missing
        msg = f"task {key!r} depends on {missing!r}, which is not a key of the graph"
        if hint:
            msg += f" ({hint})"
        msg += ". Add that key to the graph or fix the reference."
        super().__init__(msg)

    __str__ = ValueError.__str__


class MissingKeyError(GraphError, KeyError):
    """A requested output key is not in the graph."""

    def __init__(self, key, close: list | None = None) -> None:
        self.key = key
        msg = f"requested key {key!r} is not in the graph"
        if close:
            msg += f"; did you mean {', '.join(repr(c) for c in close)}?"
        super().__init__(msg)

    __str__ = ValueError.__str__


class MalformedTaskError(GraphError, TypeError):
    """A value looks like a task but its first element is not callable."""

    def __init__(self, key, value, reason: str) -> None:
        self.key = key
        self.value = value
        super().__init__(f"task {key!r}: {reason}")
