"""Entry points: ``compute``, ``persist``, ``visualize`` and the choice of scheduler.

The collection protocol
-----------------------
Any object whose class defines ``__mpiflow_graph__`` is an *mpiflow
collection* (:func:`is_mpiflow_collection`); every function here accepts it.
``Delayed`` implements the protocol today; arrays, dataframes and bags follow
it too. All methods are looked up on the class.

``__mpiflow_graph__(self) -> Mapping``
    The task graph this collection needs (it may hold more keys than needed).
``__mpiflow_keys__(self) -> list``
    The output keys, as a list that may nest (``[[('x', 0, 0), ('x', 0, 1)]]``).
``__mpiflow_postcompute__(self) -> (finalize, extra_args)``
    ``compute`` returns ``finalize(results, *extra_args)``, where ``results``
    has the nesting of ``__mpiflow_keys__()`` (e.g. concatenate chunks).
``__mpiflow_postpersist__(self) -> (rebuild, extra_args)``
    ``persist`` returns ``rebuild(dsk, *extra_args)``, where ``dsk`` maps
    every output key to its computed value (quoted with
    :func:`mpiflow.core.quote` where the graph format would misread it).
``__mpiflow_optimize__(dsk, keys, **kwargs) -> Mapping`` (staticmethod, optional)
    Rewrites the merged graph of all collections of this kind in one call
    for the flat list ``keys``; without it the graph is culled to ``keys``.
    Collections are grouped by this function, so each group is optimized
    once. ``kwargs`` are those given to ``compute``/``persist``.
``__mpiflow_scheduler__`` (staticmethod, optional)
    The default ``get`` function, or a name from :data:`named_schedulers`
    (``Delayed``: the threaded scheduler).
``__mpiflow_tokenize__(self)``
    A value identifying the collection for :func:`mpiflow.core.tokenize`.
``__mpiflow_merge_graphs__(collections) -> dict`` (staticmethod, optional)
    The merged graph of many collections of this kind at once. ``Delayed``
    uses it to assemble shared dependencies in a single linear walk instead
    of merging one graph per collection.

Choosing the scheduler, highest precedence first: the ``scheduler=`` (or
``get=``) keyword; ``mpiflow.config`` ``scheduler`` (``config.set`` or the
``MPIFLOW_SCHEDULER`` environment variable); the collections' own
``__mpiflow_scheduler__``; the threaded scheduler.

Examples
--------
>>> from mpiflow.delayed import delayed
>>> a = delayed(sum)([1, 2, 3])
>>> compute(a, {'b': a + 1, 'c': 'text'}, scheduler='sync')
(6, {'b': 7, 'c': 'text'})
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping
from typing import Any

from mpiflow import config, local, threaded
from mpiflow import multiprocessing as _multiprocessing
from mpiflow.core.dot import write_dot
from mpiflow.core.spec import quote
from mpiflow.core.tokenize import tokenize
from mpiflow.core.traverse import cull, flatten_keys

__all__ = [
    "collections_to_graph",
    "compute",
    "get_scheduler",
    "is_mpiflow_collection",
    "named_schedulers",
    "persist",
    "tokenize",
    "visualize",
]

#: Scheduler names accepted by ``scheduler=`` and ``config.set(scheduler=...)``.
named_schedulers: dict[str, Callable] = {
    "sync": local.get_sync,
    "synchronous": local.get_sync,
    "single-threaded": local.get_sync,
    "threads": threaded.get,
    "threading": threaded.get,
    "processes": _multiprocessing.get,
    "multiprocessing": _multiprocessing.get,
}


def is_mpiflow_collection(x: Any) -> bool:
    """Return True if ``x`` is an mpiflow collection (its class has ``__mpiflow_graph__``).

    Examples
    --------
    >>> from mpiflow.delayed import delayed, Delayed
    >>> is_mpiflow_collection(delayed(1)), is_mpiflow_collection(1)
    (True, False)
    >>> is_mpiflow_collection(Delayed)  # the class itself is not a collection
    False
    """
    return hasattr(type(x), "__mpiflow_graph__")


# --------------------------------------------------------------------------------------
# Finding collections inside arguments and putting results back
# --------------------------------------------------------------------------------------


class _Slot:
    """Placeholder for the i-th collection found in the arguments."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index


class _Rebuild:
    """Placeholder for a container that held collections: ``kind`` rebuilt from ``items``."""

    __slots__ = ("kind", "items")

    def __init__(self, kind: Any, items: list) -> None:
        self.kind = kind
        self.items = items


def _template(x: Any, found: list, index: dict, traverse: bool) -> Any:
    if hasattr(type(x), "__mpiflow_graph__"):
        i = index.get(id(x))
        if i is None:
            i = index[id(x)] = len(found)
            found.append(x)
        return _Slot(i)
    if not traverse:
        return x
    typ = type(x)
    if typ is dict:
        pairs = [
            (_template(k, found, index, True), _template(v, found, index, True))
            for k, v in x.items()
        ]
        if any(type(k) in _MARKS or type(v) in _MARKS for k, v in pairs):
            return _Rebuild(dict, pairs)
        return x
    if typ is types.GeneratorType:  # consumed, like Dask: results come back as a list
        return _Rebuild(list, [_template(i, found, index, True) for i in x])
    if typ in _CONTAINERS or (isinstance(x, tuple) and hasattr(x, "_fields")):  # namedtuple
        items = [_template(i, found, index, True) for i in x]
        if any(type(i) in _MARKS for i in items):
            return _Rebuild(typ, items)
    return x


_MARKS = (_Slot, _Rebuild)
_CONTAINERS = (list, tuple, set, frozenset)


def _fill(t: Any, values: list) -> Any:
    typ = type(t)
    if typ is _Slot:
        return values[t.index]
    if typ is not _Rebuild:
        return t
    kind = t.kind
    if kind is dict:
        return {_fill(k, values): _fill(v, values) for k, v in t.items}
    items = [_fill(i, values) for i in t.items]
    if kind is list:
        return items
    if hasattr(kind, "_fields"):
        return kind(*items)
    return kind(items)


def _unpack(args: tuple, traverse: bool) -> tuple[list, list]:
    """Return the distinct collections in ``args`` and a template to rebuild ``args``."""
    found: list = []
    index: dict = {}
    template = [_template(a, found, index, traverse) for a in args]
    return found, template


# --------------------------------------------------------------------------------------
# One graph for many collections
# --------------------------------------------------------------------------------------


def _merge(group: list) -> Mapping:
    mergers: dict = {}
    others = []
    for c in group:
        m = getattr(type(c), "__mpiflow_merge_graphs__", None)
        if m is None:
            others.append(c)
        else:
            mergers.setdefault(m, []).append(c)
    if not others and len(mergers) == 1:
        ((m, cs),) = mergers.items()
        return m(cs)
    if not mergers and len(others) == 1:
        return others[0].__mpiflow_graph__()
    dsk: dict = {}
    for m, cs in mergers.items():
        dsk.update(m(cs))
    graphs = []  # kept alive so that ids stay unique while deduplicating
    seen = set()
    for c in others:
        g = c.__mpiflow_graph__()
        if id(g) not in seen:
            seen.add(id(g))
            graphs.append(g)
            dsk.update(g)
    return dsk


def collections_to_graph(
    collections: list, optimize_graph: bool = True, **kwargs: Any
) -> tuple[Mapping, list]:
    """Merge the graphs of ``collections`` into one graph, optimized per kind.

    Parameters
    ----------
    collections : list
        mpiflow collections.
    optimize_graph : bool
        Apply each kind's ``__mpiflow_optimize__`` (else cull) to its part.
    **kwargs
        Passed to the optimization functions.

    Returns
    -------
    (dsk, keys)
        The graph, and ``[c.__mpiflow_keys__() for c in collections]``.

    Examples
    --------
    >>> from mpiflow.delayed import delayed
    >>> a = delayed(1, name='a')
    >>> b = delayed(abs)(a, dask_key_name='b')
    >>> dsk, keys = collections_to_graph([a, b])
    >>> sorted(dsk), keys
    (['a', 'b'], [['a'], ['b']])
    """
    groups: dict = {}
    for c in collections:
        opt = getattr(type(c), "__mpiflow_optimize__", None) if optimize_graph else None
        groups.setdefault(opt, []).append(c)
    graphs = []
    for opt, group in groups.items():
        dsk = _merge(group)
        if optimize_graph:
            flat = flatten_keys([c.__mpiflow_keys__() for c in group])
            dsk = opt(dsk, flat, **kwargs) if opt is not None else cull(dsk, flat)[0]
        graphs.append(dsk)
    if len(graphs) == 1:
        dsk = graphs[0]
    else:
        dsk = {}
        for g in graphs:
            dsk.update(g)
    return dsk, [c.__mpiflow_keys__() for c in collections]


# --------------------------------------------------------------------------------------
# Scheduler choice
# --------------------------------------------------------------------------------------


def _names() -> str:
    return ", ".join(repr(n) for n in sorted(named_schedulers))


def _resolve(scheduler: Any, source: str) -> Callable:
    if isinstance(scheduler, str):
        name = scheduler.strip().lower()
        get = named_schedulers.get(name)
        if get is None:
            raise ValueError(
                f"unknown scheduler {scheduler!r} (from {source}); use one of {_names()}, "
                "a get function such as mpiflow.threaded.get, or a Client"
            )
        return get
    if callable(scheduler):
        return scheduler
    get = getattr(scheduler, "get", None)
    if callable(get) and not isinstance(scheduler, Mapping):
        return get  # a Client (or anything with a get(dsk, keys, **kwargs) method)
    raise ValueError(
        f"unexpected scheduler {scheduler!r} (from {source}); use one of {_names()}, "
        "a get function such as mpiflow.threaded.get, or a Client"
    )


def get_scheduler(
    scheduler: Any = None, collections: list | None = None, get: Callable | None = None
) -> Callable:
    """Return the ``get(dsk, keys, **kwargs)`` function to run a computation with.

    Parameters
    ----------
    scheduler : str, callable or Client, optional
        ``'sync'``/``'synchronous'``/``'single-threaded'``,
        ``'threads'``/``'threading'``, ``'processes'``/``'multiprocessing'``,
        a get function, or an object with a ``get`` method (a ``Client``).
    collections : list, optional
        The collections to compute; their ``__mpiflow_scheduler__`` is the
        default when nothing else says which scheduler to use. When they
        disagree (say a bag and a Delayed), the threaded scheduler is used if
        one of them asks for it, else the first one's; mpiflow does not
        raise as Dask does.
    get : callable, optional
        Same as ``scheduler`` (accepted for older code); ``scheduler`` wins.

    Raises
    ------
    ValueError
        For an unknown scheduler name; the message lists the valid names.

    Examples
    --------
    >>> import mpiflow.local, mpiflow.threaded
    >>> get_scheduler('sync') is mpiflow.local.get_sync
    True
    >>> with config.set(scheduler='threads'):
    ...     get_scheduler() is mpiflow.threaded.get
    True
    >>> get_scheduler('thread')
    Traceback (most recent call last):
      ...
    ValueError: unknown scheduler 'thread' (from the scheduler= keyword); use one of 'multiprocessing', 'processes', 'single-threaded', 'sync', 'synchronous', 'threading', 'threads', a get function such as mpiflow.threaded.get, or a Client
    """  # noqa: E501
    if scheduler is None:
        scheduler = get
    if scheduler is not None:
        return _resolve(scheduler, "the scheduler= keyword")
    configured = config.get("scheduler", None)
    if configured is not None:
        return _resolve(
            configured, "mpiflow.config 'scheduler', set by config.set or MPIFLOW_SCHEDULER"
        )
    defaults: list = []
    for c in collections or ():
        g = getattr(type(c), "__mpiflow_scheduler__", None)
        if g is None:
            continue
        if isinstance(g, str):
            g = _resolve(g, f"{type(c).__name__}.__mpiflow_scheduler__")
        if g not in defaults:
            defaults.append(g)
    if len(defaults) == 1:
        return defaults[0]
    if defaults and threaded.get not in defaults:
        return defaults[0]
    return threaded.get


# --------------------------------------------------------------------------------------
# compute, persist, visualize
# --------------------------------------------------------------------------------------


def compute(
    *args: Any,
    traverse: bool = True,
    optimize_graph: bool = True,
    scheduler: Any = None,
    get: Callable | None = None,
    **kwargs: Any,
) -> tuple:
    """Compute several collections at once, sharing their common work.

    All graphs are merged into one and the scheduler runs once, so a task
    that several results need runs once.

    Parameters
    ----------
    *args : object
        Collections, or lists, tuples, sets and dicts holding them (searched
        when ``traverse`` is True). Other objects come back unchanged.
    traverse : bool, default True
        Look inside built-in containers for collections.
    optimize_graph : bool, default True
        Optimize each kind of collection's graph (for Delayed: drop unused keys).
    scheduler : str, callable or Client, optional
        See :func:`get_scheduler`.
    get : callable, optional
        A get function; same as ``scheduler`` (for older code).
    **kwargs
        Passed to the scheduler (e.g. ``num_workers=4``) and the optimizations.

    Returns
    -------
    tuple
        One result per argument, in the arguments' structure.

    Examples
    --------
    >>> from mpiflow.delayed import delayed
    >>> x = delayed(sum)([1, 2])
    >>> compute(x, [x * 10, 'label'], scheduler='sync')
    (3, [30, 'label'])
    >>> compute(1, 2)  # nothing to compute
    (1, 2)
    """
    collections, template = _unpack(args, traverse)
    if not collections:
        return args
    schedule = get_scheduler(scheduler=scheduler, collections=collections, get=get)
    dsk, keys = collections_to_graph(collections, optimize_graph, **kwargs)
    results = schedule(dsk, keys, **kwargs)
    values = []
    for c, r in zip(collections, results, strict=True):
        finalize, extra = c.__mpiflow_postcompute__()
        values.append(finalize(r, *extra))
    return tuple(_fill(t, values) for t in template)


def _pair(keys: Any, results: Any, out: dict) -> None:
    if type(keys) is list:
        for k, r in zip(keys, results, strict=True):
            _pair(k, r, out)
    else:
        out[keys] = quote(results)


def persist(
    *args: Any,
    traverse: bool = True,
    optimize_graph: bool = True,
    scheduler: Any = None,
    get: Callable | None = None,
    **kwargs: Any,
) -> tuple:
    """Compute collections and return new ones whose graphs hold the results.

    Always returns a tuple, also for one argument (as Dask does). With a
    scheduler object that defines ``_persist_collections(collections,
    optimize_graph=..., **kwargs)`` (a ``Client``), persisting is delegated to
    it, which may return at once with collections backed by futures.

    Parameters
    ----------
    *args : object
        As for :func:`compute`.
    traverse, optimize_graph, scheduler, get, **kwargs
        As for :func:`compute`.

    Returns
    -------
    tuple
        The arguments with every collection replaced by its persisted copy.

    Examples
    --------
    >>> from mpiflow.delayed import delayed
    >>> x = delayed(sum)([1, 2])
    >>> (y,) = persist(x, scheduler='sync')
    >>> y.dask  # doctest: +ELLIPSIS
    {'sum-...': 3}
    >>> (y + 1).compute(scheduler='sync')
    4
    """
    collections, template = _unpack(args, traverse)
    if not collections:
        return args
    schedule = get_scheduler(scheduler=scheduler, collections=collections, get=get)
    owner = getattr(schedule, "__self__", None)
    delegate = (
        None
        if isinstance(owner, types.ModuleType)
        else getattr(owner, "_persist_collections", None)
    )
    if delegate is not None:
        values = list(delegate(collections, optimize_graph=optimize_graph, **kwargs))
        return tuple(_fill(t, values) for t in template)
    dsk, keys = collections_to_graph(collections, optimize_graph, **kwargs)
    results = schedule(dsk, keys, **kwargs)
    values = []
    for c, ks, rs in zip(collections, keys, results, strict=True):
        held: dict = {}
        _pair(ks, rs, held)
        rebuild, extra = c.__mpiflow_postpersist__()
        values.append(rebuild(held, *extra))
    return tuple(_fill(t, values) for t in template)


def visualize(
    *args: Any,
    filename: str = "mpiflow",
    format: str | None = None,
    rankdir: str = "BT",
    optimize_graph: bool = False,
    traverse: bool = True,
    **kwargs: Any,
) -> str:
    """Draw the merged task graph of collections (and raw graphs) with Graphviz.

    Always writes ``<filename>.dot``; when Graphviz's ``dot`` program is
    installed, also renders the image and returns its path, otherwise warns
    how to install it and returns the DOT file's path.

    Parameters
    ----------
    *args : object
        Collections, containers of them, or task graphs (dicts).
    filename : str, default 'mpiflow'
        Output path; an extension (``.png``, ``.svg``, ``.dot``...) picks the format.
    format : str, optional
        Output format when ``filename`` has no extension; default ``'png'``.
    rankdir : str, default 'BT'
        Direction of data flow (``'BT'``, ``'TB'``, ``'LR'``, ``'RL'``).
    optimize_graph : bool, default False
        Draw the optimized graph instead of the graph as built.
    traverse : bool, default True
        Look inside built-in containers for collections.
    **kwargs
        Passed to :func:`mpiflow.core.write_dot` (``verbose=``, ``strict=``...).

    Returns
    -------
    str
        The path written.

    Examples
    --------
    >>> import os, tempfile
    >>> from mpiflow.delayed import delayed
    >>> x = delayed(sum)([1, 2])
    >>> path = visualize(x, filename=os.path.join(tempfile.mkdtemp(), 'g.dot'))
    >>> open(path).read().startswith('digraph')
    True
    """
    graphs: list = []
    rest = []
    for a in args:
        if isinstance(a, Mapping) and not is_mpiflow_collection(a):
            found, _ = _unpack((a,), traverse)
            if not found:
                graphs.append(a)
                continue
        rest.append(a)
    collections, _ = _unpack(tuple(rest), traverse)
    if collections:
        graphs.insert(0, collections_to_graph(collections, optimize_graph)[0])
    if not graphs:
        raise ValueError(
            "visualize() found nothing to draw: pass mpiflow collections (e.g. Delayed "
            "objects) or task graphs (dicts)"
        )
    dsk = graphs[0]
    if len(graphs) > 1:
        dsk = {}
        for g in graphs:
            dsk.update(g)
    return write_dot(dsk, filename=filename, format=format, rankdir=rankdir, **kwargs)
