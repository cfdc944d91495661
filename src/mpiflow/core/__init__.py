"""The graph layer: the task-graph spec and pure algorithms on it.

No I/O, no threads. Every scheduler and collection builds on these functions.
"""

from mpiflow.core.dot import to_dot, write_dot
from mpiflow.core.errors import (
    CycleError,
    GraphError,
    MalformedTaskError,
    MissingDependencyError,
    MissingKeyError,
)
from mpiflow.core.optimize import fuse, inline
from mpiflow.core.order import order
from mpiflow.core.spec import (
    get_all_dependencies,
    get_dependencies,
    ishashable,
    iskey,
    istask,
    literal,
    quote,
    reverse_dict,
    subs,
)
from mpiflow.core.tokenize import normalize_token, tokenize
from mpiflow.core.traverse import cull, toposort
from mpiflow.core.validate import validate

__all__ = [
    "CycleError",
    "GraphError",
    "MalformedTaskError",
    "MissingDependencyError",
    "MissingKeyError",
    "cull",
    "fuse",
    "get_all_dependencies",
    "get_dependencies",
    "inline",
    "ishashable",
    "iskey",
    "istask",
    "literal",
    "normalize_token",
    "order",
    "quote",
    "reverse_dict",
    "subs",
    "to_dot",
    "tokenize",
    "toposort",
    "validate",
    "write_dot",
]
