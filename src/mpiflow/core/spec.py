"""The task-graph format: what a key, a task and a dependency are.

A graph is a plain ``dict`` mapping keys to values. A *key* is a ``str``,
``bytes``, ``int``, ``float`` or a tuple of those. A *task* is a tuple whose
first element is callable; the remaining elements are its arguments. Lists are
traversed (keys inside them are replaced by values); tasks may nest. Any other
value is literal data, and a value that is itself a key of the graph is an
alias of that key. See ``docs/graph-spec.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from functools import partial
from typing import Any

__all__ = [
    "istask",
    "iskey",
    "ishashable",
    "get_dependencies",
    "get_all_dependencies",
    "reverse_dict",
    "literal",
    "quote",
    "quote_argument",
    "graph_argument",
    "subs",
    "apply",
    "funcname",
]

_KEY_ATOMS = (str, bytes, int, float)


def istask(x: Any) -> bool:
    """Return True if ``x`` is a task: a tuple whose first element is callable.

    Examples
    --------
    >>> from operator import add
    >>> istask((add, 1, 2))
    True
    >>> istask(1)
    False
    >>> istask(('x', 0))
    False
    """
    return type(x) is tuple and bool(x) and callable(x[0])


def iskey(x: Any) -> bool:
    """Return True if ``x`` can be a key of a graph.

    Keys are ``str``, ``bytes``, ``int``, ``float`` or (nested) tuples of those.

    Examples
    --------
    >>> iskey('x'), iskey(('x', 0, 1)), iskey(3)
    (True, True, True)
    >>> iskey(['x']), iskey(('x', [0]))
    (False, False)
    """
    typ = type(x)
    if typ is tuple:
        return all(iskey(i) for i in x)
    return typ in _KEY_ATOMS or isinstance(x, _KEY_ATOMS)


def ishashable(x: Any) -> bool:
    """Return True if ``hash(x)`` works.

    Examples
    --------
    >>> ishashable(1), ishashable([1])
    (True, False)
    """
    try:
        hash(x)
        return True
    except TypeError:
        return False


def _deps_of(value: Any, dsk: Mapping, out: set) -> None:
    """Add to ``out`` every key of ``dsk`` that ``value`` refers to."""
    stack = [value]
    pop = stack.pop
    extend = stack.extend
    while stack:
        v = pop()
        typ = type(v)
        if typ is tuple:
            if v and callable(v[0]):
                extend(v[1:])
                continue
            # a non-task tuple is a key or literal data
            try:
                if v in dsk:
                    out.add(v)
            except TypeError:
                pass
        elif typ is list:
            extend(v)
        elif typ is str or typ is int or typ is bytes or typ is float:
            if v in dsk:
                out.add(v)
        elif typ is dict or not isinstance(v, Hashable):
            continue
        else:
            try:
                if v in dsk:
                    out.add(v)
            except TypeError:
                pass


def get_dependencies(dsk: Mapping, key: Any = None, task: Any = None) -> set:
    """Return the set of keys of ``dsk`` that ``key`` (or ``task``) depends on.

    Parameters
    ----------
    dsk : dict
        The graph.
    key : key, optional
        A key of ``dsk``; its value is inspected.
    task : object, optional
        A value to inspect instead of ``dsk[key]``.

    Examples
    --------
    >>> from operator import add
    >>> dsk = {'x': 1, 'y': (add, 'x', 1), 'z': (sum, ['x', 'y']), 'a': 'z'}
    >>> sorted(get_dependencies(dsk, 'z'))
    ['x', 'y']
    >>> get_dependencies(dsk, 'a')
    {'z'}
    >>> get_dependencies(dsk, task=(add, 'x', 'unknown'))
    {'x'}
    """
    if key is not None:
        task = dsk[key]
    out: set = set()
    _deps_of(task, dsk, out)
    return out


def get_all_dependencies(dsk: Mapping) -> dict:
    """Return ``{key: set_of_dependencies}`` for every key of ``dsk``.

    Examples
    --------
    >>> from operator import add
    >>> get_all_dependencies({'x': 1, 'y': (add, 'x', 1)})
    {'x': set(), 'y': {'x'}}
    """
    out = {}
    for k, v in dsk.items():
        s: set = set()
        _deps_of(v, dsk, s)
        out[k] = s
    return out


def reverse_dict(d: Mapping[Any, Iterable]) -> dict:
    """Invert a dependency mapping: ``{a: {b}}`` becomes ``{a: set(), b: {a}}``.

    Examples
    --------
    >>> reverse_dict({'a': {'b'}, 'b': set()}) == {'a': set(), 'b': {'a'}}
    True
    """
    result: dict = {k: set() for k in d}
    for k, vals in d.items():
        for v in vals:
            if v in result:
                result[v].add(k)
            else:
                result[v] = {k}
    return result


class literal:
    """A callable that returns its payload: keeps data from being read as a task.

    Use :func:`quote` to put a value into a graph that would otherwise be
    interpreted (a tuple with a callable first, a list holding keys).

    Examples
    --------
    >>> literal((sum, [1, 2]))()
    (<built-in function sum>, [1, 2])
    """

    __slots__ = ("data",)

    def __init__(self, data: Any) -> None:
        self.data = data

    def __call__(self) -> Any:
        return self.data

    def __repr__(self) -> str:
        return f"literal<type={type(self.data).__name__}>"

    def __reduce__(self):
        return (literal, (self.data,))


def quote(x: Any) -> Any:
    """Wrap ``x`` so that a scheduler returns it unchanged instead of running it.

    Examples
    --------
    >>> from mpiflow.local import get_sync
    >>> get_sync({'t': quote((sum, [1, 2]))}, 't')
    (<built-in function sum>, [1, 2])
    """
    if istask(x) or type(x) is list or type(x) is dict:
        return (literal(x),)
    return x


def quote_argument(x: Any) -> Any:
    """Wrap a literal argument that a scheduler could misread, else return it.

    Stricter than :func:`quote`: strings, bytes and every tuple are wrapped as
    well, because a string or tuple equal to some key of the graph would be
    replaced by that key's value. Used when user data is placed into a graph
    (``delayed`` calls, ``Client.submit``).

    Examples
    --------
    >>> quote_argument(3)
    3
    >>> quote_argument('x')
    (literal<type=str>,)
    """
    typ = type(x)
    if typ is list or typ is dict or typ is str or typ is bytes or isinstance(x, tuple):
        return (literal(x),)
    return x


_PLAIN = frozenset({int, float, bool, complex, type(None)})


def graph_argument(x: Any, deps: list, reference: Callable[[Any], Any]) -> Any:
    """The graph form of a user's argument ``x``, found references collected in ``deps``.

    ``reference(obj)`` returns ``(key, dependency)`` when ``obj`` stands for a
    value of the graph (a ``Delayed``, a ``Future``), else None. Lists,
    tuples, sets, dicts, slices and namedtuples holding references become
    tasks that rebuild them; other data is quoted where the graph format could
    misread it (:func:`quote_argument`).

    Examples
    --------
    >>> ref = lambda o: (o.upper(), o) if isinstance(o, str) and o.startswith('k') else None
    >>> deps = []
    >>> graph_argument({'a': ['k1', 2]}, deps, ref), deps
    ((<class 'dict'>, [[(literal<type=str>,), ['K1', 2]]]), ['k1'])
    >>> graph_argument([1, 2], [], ref)
    (literal<type=list>,)
    """
    typ = type(x)
    if typ in _PLAIN:
        return x
    found = reference(x)
    if found is not None:
        deps.append(found[1])
        return found[0]
    n = len(deps)
    if typ is list or typ is tuple or typ is set or typ is frozenset:
        items = [graph_argument(i, deps, reference) for i in x]
        if len(deps) == n:
            return quote_argument(x)
        return items if typ is list else (typ, items)
    if typ is dict:
        pairs = [[graph_argument(k, deps, reference), graph_argument(v, deps, reference)]
                 for k, v in x.items()]
        return quote_argument(x) if len(deps) == n else (dict, pairs)
    if typ is slice:
        parts = [graph_argument(i, deps, reference) for i in (x.start, x.stop, x.step)]
        return x if len(deps) == n else (slice, *parts)
    if isinstance(x, tuple) and hasattr(x, "_fields"):  # namedtuple
        items = [graph_argument(i, deps, reference) for i in x]
        return quote_argument(x) if len(deps) == n else (typ, *items)
    return quote_argument(x)


def subs(task: Any, key: Any, val: Any) -> Any:
    """Replace every reference to ``key`` inside ``task`` by ``val``.

    Only argument positions are replaced (tasks and lists are traversed;
    literal tuples are not).

    Examples
    --------
    >>> from operator import add
    >>> subs((add, 'x', ['x', 2]), 'x', (abs, -1))[1:]
    ((<built-in function abs>, -1), [(<built-in function abs>, -1), 2])
    """
    typ = type(task)
    if typ is tuple and task and callable(task[0]):
        return (task[0],) + tuple(subs(a, key, val) for a in task[1:])
    if typ is list:
        return [subs(a, key, val) for a in task]
    try:
        if type(task) is type(key) and task == key:
            return val
    except Exception:
        pass
    return task


def apply(func: Callable, args: Any = (), kwargs: Mapping | None = None) -> Any:
    """Call ``func(*args, **kwargs)``: the task form of a call with keywords.

    Examples
    --------
    >>> apply(divmod, [7, 2])
    (3, 1)
    >>> apply(int, ['ff'], {'base': 16})
    255
    """
    if kwargs:
        return func(*args, **kwargs)
    return func(*args)


def funcname(func: Any) -> str:
    """Return a short name for ``func``, used as the prefix of task keys.

    Examples
    --------
    >>> from functools import partial
    >>> funcname(len), funcname(partial(int, base=2)), funcname(lambda x: x)
    ('len', 'int', 'lambda')
    """
    while isinstance(func, partial):
        func = func.func
    name = getattr(func, "__name__", None)
    if not isinstance(name, str):
        name = type(func).__name__
    if name == "<lambda>":
        return "lambda"
    return name[:50]
