"""``map`` and ``map_partitions`` over several collections at once.

With one bag and plain arguments, ``map`` is a fusable
:class:`~mpiflow.bag.pipeline.MapStep`. With several bags (walked together,
element by element or partition by partition) or lazy arguments (Items,
Delayed values, passed whole), every partition gets one task calling
:func:`_map_zip` or :func:`_partitions_call` with the keys it needs.

Examples
--------
>>> import mpiflow.bag as db
>>> a = db.from_sequence([1, 2], npartitions=2)
>>> bag_map(lambda x, y: x * y, a, a).compute(scheduler='sync')
[1, 4]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mpiflow.bag.item import graph_arg
from mpiflow.bag.pipeline import MapStep, PartitionStep, reify
from mpiflow.core.layers import LayeredGraph
from mpiflow.core.spec import funcname, literal
from mpiflow.core.tokenize import tokenize

__all__ = ["bag_map", "bag_map_partitions", "check_callable", "is_lazy_arg", "StarCall"]


def check_callable(func: Any, method: str) -> None:
    """Raise a TypeError naming ``method`` unless ``func`` is callable.

    Examples
    --------
    >>> check_callable(3, 'map')
    Traceback (most recent call last):
      ...
    TypeError: map: expected a callable (a function) as first argument, got 3 of type int; e.g. b.map(str.upper) or b.map(lambda x: x + 1)
    """  # noqa: E501
    if not callable(func):
        raise TypeError(
            f"{method}: expected a callable (a function) as first argument, got "
            f"{func!r} of type {type(func).__name__}; e.g. b.{method}(str.upper) or "
            f"b.{method}(lambda x: x + 1)"
        )


class StarCall:
    """``StarCall(f)(x, **kw)`` is ``f(*x, **kw)`` (picklable).

    Examples
    --------
    >>> StarCall(max)((1, 3))
    3
    """

    __slots__ = ("func",)

    def __init__(self, func: Callable) -> None:
        self.func = func

    def __call__(self, x: Any, **kwargs: Any) -> Any:
        return self.func(*x, **kwargs)

    def __reduce__(self):
        return (StarCall, (self.func,))

    @property
    def __name__(self) -> str:
        return funcname(self.func)


def is_lazy_arg(x: Any) -> bool:
    """True for an mpiflow collection (passed by key, not as data).

    Examples
    --------
    >>> is_lazy_arg(1)
    False
    """
    return hasattr(type(x), "__mpiflow_graph__")


def _split_values(values: list, method: str) -> tuple[list, list, int]:
    """Flags (which values are bags), the bags, and their common npartitions."""
    from mpiflow.bag.core import Bag

    flags = [isinstance(v, Bag) for v in values]
    bags = [v for v, f in zip(values, flags, strict=True) if f]
    if not bags:
        raise ValueError(
            f"{method} needs at least one Bag among its arguments; to run a function on "
            "plain values use mpiflow.delayed"
        )
    counts = {b.npartitions for b in bags}
    if len(counts) > 1:
        listing = ", ".join(f"{b.name} ({b.npartitions})" for b in bags)
        raise ValueError(
            f"{method}: all bags must have the same number of partitions, got {listing}; "
            "use .repartition(npartitions=...) to line them up"
        )
    return flags, bags, counts.pop()


def _as_list(part: Any) -> list:
    return part if type(part) is list else list(part)


def _map_zip(func: Callable, flags: tuple, npos: int, names: tuple, *values: Any) -> list:
    """Call ``func`` element by element over the partitions among ``values``."""
    values = tuple(_as_list(v) if f else v for v, f in zip(values, flags, strict=True))
    lengths = {len(v) for v, f in zip(values, flags, strict=True) if f}
    if len(lengths) > 1:
        raise ValueError(
            f"map: the bags passed together have partitions of different lengths "
            f"{sorted(lengths)}; map walks them element by element, so they must be "
            "partitioned identically"
        )
    n = lengths.pop()
    out = []
    for i in range(n):
        vals = [v[i] if f else v for v, f in zip(values, flags, strict=True)]
        if names:
            out.append(func(*vals[:npos], **dict(zip(names, vals[npos:], strict=True))))
        else:
            out.append(func(*vals))
    return out


def _partitions_call(func: Callable, flags: tuple, npos: int, names: tuple, *values: Any) -> Any:
    values = tuple(reify(v) if f else v for v, f in zip(values, flags, strict=True))
    return reify(func(*values[:npos], **dict(zip(names, values[npos:], strict=True))))


def _multi(func: Callable, args: tuple, kwargs: dict, elementwise: bool, method: str) -> Any:
    names = tuple(kwargs)
    values = list(args) + [kwargs[k] for k in names]
    flags, bags, n = _split_values(values, method)
    prefix = funcname(func)
    name = f"{prefix}-{tokenize(func, method, values, names)}"
    deps: list = list(bags)
    static = [None if f else graph_arg(v, deps) for v, f in zip(values, flags, strict=True)]
    from mpiflow.bag.core import Bag

    head = _map_zip if elementwise else _partitions_call
    meta = ((literal(tuple(flags)),), len(args), (literal(names),))
    layer = {}
    for i in range(n):
        vals = [(v.name, i) if f else s for v, f, s in zip(values, flags, static, strict=True)]
        layer[(name, i)] = (head, func, *meta, *vals)
    return Bag(LayeredGraph.from_layer(name, layer, deps), name, n)


def bag_map(func: Callable, *args: Any, **kwargs: Any) -> Any:
    """Apply ``func`` element-wise across one or more bags (``mpiflow.bag.map``).

    Bags among the arguments are walked together, element by element (they
    must be partitioned identically); other arguments (Items, Delayed values,
    plain objects) are passed whole to every call.

    Parameters
    ----------
    func : callable
    *args, **kwargs
        Bags and other arguments of ``func``.

    Raises
    ------
    TypeError
        If ``func`` is not callable.
    ValueError
        If no argument is a Bag, or the bags have different numbers of partitions.

    Examples
    --------
    >>> import mpiflow.bag as db
    >>> a = db.from_sequence([1, 2, 3], npartitions=2)
    >>> b = db.from_sequence([10, 20, 30], npartitions=2)
    >>> db.map(lambda x, y, z: x + y + z, a, b, z=100).compute(scheduler='sync')
    [111, 122, 133]
    """
    from mpiflow.bag.core import Bag

    check_callable(func, "map")
    if args and isinstance(args[0], Bag):
        rest = list(args[1:]) + list(kwargs.values())
        if not any(is_lazy_arg(v) for v in rest):
            step = MapStep(func, *args[1:], **kwargs)
            return args[0]._with_step(step, funcname(func), func, args[1:], kwargs)
    return _multi(func, args, kwargs, True, "map")


def bag_map_partitions(func: Callable, *args: Any, **kwargs: Any) -> Any:
    """Apply ``func`` to matching partitions of one or more bags (``mpiflow.bag.map_partitions``).

    Examples
    --------
    >>> import mpiflow.bag as db
    >>> a = db.from_sequence([1, 2, 3, 4], npartitions=2)
    >>> db.map_partitions(lambda p, k: [x * k for x in p], a, 10).compute(scheduler='sync')
    [10, 20, 30, 40]
    """
    from mpiflow.bag.core import Bag

    check_callable(func, "map_partitions")
    if args and isinstance(args[0], Bag):
        rest = list(args[1:]) + list(kwargs.values())
        if not any(is_lazy_arg(v) for v in rest):
            step = PartitionStep(func, *args[1:], **kwargs)
            return args[0]._with_step(step, funcname(func), "mp", func, args[1:], kwargs)
    return _multi(func, args, kwargs, False, "map_partitions")
