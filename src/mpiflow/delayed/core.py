"""Delayed: turn ordinary Python calls into a task graph.

``delayed(f)(x)`` does not call ``f``; it returns a :class:`Delayed` that
stands for the result, and records the call as one task. Operators, attribute
access, method calls and indexing on a ``Delayed`` record more tasks. Nothing
runs until :meth:`Delayed.compute` (or :func:`mpiflow.compute` on many at once).

How the graph is stored
-----------------------
Each ``Delayed`` holds only its own key, its own task and a tuple of the
``Delayed`` objects that task reads. Building is O(1) per call whatever the
depth of the chain; the whole graph is assembled on demand by one iterative
walk (:func:`graph_of`), so chains of any depth neither merge dictionaries on
every call (quadratic) nor recurse. A ``Delayed`` made from an existing graph
(``Delayed(key, dsk)``, as other collections' ``to_delayed`` do) keeps that
graph instead.

Arguments are passed safely: a literal that the graph format would misread (a
string equal to some key, a tuple whose first element is callable, a list or a
dict) is wrapped with :class:`mpiflow.core.literal`, so the function receives
exactly the object that was passed.

Examples
--------
>>> from mpiflow.delayed import delayed
>>> @delayed
... def inc(x):
...     return x + 1
>>> total = inc(1) + inc(2)
>>> total.compute(scheduler='sync')
5
"""

from __future__ import annotations

import operator
import types
import uuid
import warnings
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from typing import Any

from mpiflow import config, threaded
from mpiflow.core.spec import graph_argument, iskey, istask, literal, quote_argument
from mpiflow.core.tokenize import tokenize
from mpiflow.core.traverse import cull, flatten_keys
from mpiflow.delayed.graph import (
    _first,
    _MethodCaller,
    apply,
    funcname,
    graph_of,
    optimize,
)

__all__ = ["Delayed", "DelayedAttr", "DelayedLeaf", "delayed"]

_NO_ARG = object()

# --------------------------------------------------------------------------------------
# Turning Python objects into graph values
# --------------------------------------------------------------------------------------



def _is_collection(x: Any) -> bool:
    return hasattr(type(x), "__mpiflow_graph__")




def _reference(x: Any) -> tuple | None:
    """``(key, Delayed)`` for a Delayed or another mpiflow collection, else None."""
    if isinstance(x, Delayed):
        return x._key, x
    if _is_collection(x):
        d = _from_collection(x)
        return d._key, d
    return None


def _to_graph(x: Any, deps: list) -> Any:
    """Return the graph form of argument ``x``; collections found go into ``deps``."""
    return graph_argument(x, deps, _reference)


def _from_collection(x: Any) -> Delayed:
    """Wrap another mpiflow collection (an array, a bag, ...) as one Delayed value."""
    keys = x.__mpiflow_keys__()
    finalize, extra = x.__mpiflow_postcompute__()
    dsk = x.__mpiflow_graph__()
    opt = getattr(type(x), "__mpiflow_optimize__", None)
    flat = flatten_keys(keys)
    dsk = dict(opt(dsk, flat) if opt is not None else cull(dsk, flat)[0])
    key = "finalize-" + tokenize(x)
    dsk[key] = (finalize, keys, *[quote_argument(e) for e in extra])
    return Delayed(key, dsk)


def _call_key(prefix: str, head: Any, args: Any, kwargs: Any, pure: Any) -> str:
    """``prefix-token``: a token of the call when pure, else a random one."""
    if pure is None:
        pure = config.get("delayed.pure")
    if pure:
        return f"{prefix}-{tokenize(head, args, kwargs)}"
    return f"{prefix}-{uuid.uuid4().hex}"


def _check_key(key: Any, keyword: str = "dask_key_name") -> Any:
    if not iskey(key):
        raise TypeError(
            f"{keyword}={key!r} is not a valid key: use a str, bytes, int, float "
            "or a tuple of those"
        )
    return key


def _call(func: Callable, args: tuple, kwargs: dict, key: Any, nout: int | None) -> Delayed:
    """Record the task ``func(*args, **kwargs)`` under ``key``: the hot path."""
    deps: list = []
    targs = []
    append = targs.append
    for a in args:
        typ = type(a)
        if typ is int or typ is float or a is None:
            append(a)
        elif typ is Delayed or typ is DelayedLeaf or typ is DelayedAttr:
            deps.append(a)
            append(a._key)
        else:
            append(_to_graph(a, deps))
    if kwargs:
        task = (apply, func, targs, _to_graph(kwargs, deps))
    else:
        task = (func, *targs)
    return _node(Delayed, key, task, tuple(deps), nout)


class Delayed:
    """A value that will be computed by a scheduler: one key of a task graph.

    Made by :func:`delayed` and by operations on other ``Delayed`` objects;
    ``Delayed(key, dsk)`` wraps a key of an existing graph ``dsk``.

    Parameters
    ----------
    key : key
        The key this object stands for.
    dsk : Mapping
        A graph that holds ``key`` and everything it needs.
    length : int, optional
        The number of items the value has, when known; lets the object be
        unpacked (``a, b = d``) and passed to ``len``.

    Examples
    --------
    >>> from operator import add
    >>> d = Delayed('z', {'x': 1, 'z': (add, 'x', 10)})
    >>> d
    Delayed('z')
    >>> d.compute(scheduler='sync')
    11
    >>> (d * 2 - 1).compute(scheduler='sync')
    21
    """

    __slots__ = ("_key", "_task", "_deps", "_length", "_dsk", "__weakref__")

    # NumPy operators defer to ours: ``array + d`` is one task, not an object array
    __array_ufunc__ = None

    def __init__(self, key: Any, dsk: Mapping, length: int | None = None) -> None:
        if not isinstance(dsk, Mapping):
            raise TypeError(f"Delayed(key, dsk): dsk must be a task graph (a dict), got {dsk!r}")
        if key not in dsk:
            raise ValueError(f"Delayed(key, dsk): key {key!r} is not in the graph")
        _set_key(self, key)
        _set_task(self, None)
        _set_deps(self, ())
        _set_length(self, length)
        _set_dsk(self, dsk)

    # ---- identity --------------------------------------------------------------------
    @property
    def key(self) -> Any:
        """The key of this value in the task graph.

        Examples
        --------
        >>> delayed(1, name='one').key
        'one'
        """
        return self._key

    @property
    def dask(self) -> dict:
        """The task graph (same as ``__mpiflow_graph__()``; kept for ported Dask code).

        Examples
        --------
        >>> delayed(abs)(delayed(-1, name='x'), dask_key_name='y').dask
        {'y': (<built-in function abs>, 'x'), 'x': -1}
        """
        return self.__mpiflow_graph__()

    def __repr__(self) -> str:
        return f"Delayed({self._key!r})"

    def __hash__(self) -> int:
        return hash(self._key)

    def __dir__(self) -> list:
        return dir(type(self))

    def __reduce__(self):
        return (Delayed, (self._key, self.__mpiflow_graph__(), self._length))

    # ---- collection protocol ---------------------------------------------------------
    def __mpiflow_graph__(self) -> dict:
        if self._dsk is not None:
            return self._dsk
        return graph_of((self,))

    def __mpiflow_keys__(self) -> list:
        return [self._key]

    def __mpiflow_postcompute__(self) -> tuple:
        return _first, ()

    def __mpiflow_postpersist__(self) -> tuple:
        return self._rebuild, ()

    def __mpiflow_tokenize__(self) -> Any:
        return self._key

    __mpiflow_optimize__ = staticmethod(optimize)
    __mpiflow_scheduler__ = staticmethod(threaded.get)
    __mpiflow_merge_graphs__ = staticmethod(graph_of)

    def _rebuild(self, dsk: Mapping) -> Delayed:
        value = dsk[self._key]
        if not (istask(value) and type(value[0]) is literal):
            value = quote_argument(value)
        return _node(Delayed, self._key, value, (), self._length)

    # ---- computing -------------------------------------------------------------------
    def compute(self, **kwargs: Any) -> Any:
        """Compute this value and return it.

        Keywords are those of :func:`mpiflow.compute` (``scheduler=``,
        ``optimize_graph=``, ``num_workers=``, ...).

        Examples
        --------
        >>> delayed(sum)([1, 2, 3]).compute(scheduler='sync')
        6
        """
        from mpiflow import base  # entry-point layer: imported here, never at module level

        (result,) = base.compute(self, traverse=False, **kwargs)
        return result

    def persist(self, **kwargs: Any) -> Delayed:
        """Compute this value and return a Delayed that holds the result.

        Examples
        --------
        >>> p = delayed(sum)([1, 2, 3]).persist(scheduler='sync')
        >>> p.dask[p.key]
        6
        """
        from mpiflow import base  # entry-point layer: imported here, never at module level

        (result,) = base.persist(self, traverse=False, **kwargs)
        return result

    def visualize(self, filename: str = "mpiflow", **kwargs: Any) -> Any:
        """Draw this value's task graph; see :func:`mpiflow.visualize`.

        Examples
        --------
        >>> import os, tempfile
        >>> path = delayed(sum)([1, 2]).visualize(
        ...     filename=os.path.join(tempfile.mkdtemp(), 'g'), format='dot')
        >>> path.endswith('.dot')
        True
        """
        from mpiflow import base  # entry-point layer: imported here, never at module level

        return base.visualize(self, filename=filename, **kwargs)

    # ---- proxying --------------------------------------------------------------------
    def __getattr__(self, attr: str) -> DelayedAttr:
        if attr.startswith("_"):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {attr!r}")
        if attr == "visualise":
            warnings.warn(
                "Delayed objects have no 'visualise' method; did you mean 'visualize'?",
                stacklevel=2,
            )
        return _attr_node(self, attr)

    def __setattr__(self, attr: str, value: Any) -> None:
        raise TypeError(
            f"Delayed objects are immutable: cannot set attribute {attr!r}. "
            "To change the wrapped object, do it inside a delayed function, "
            "e.g. delayed(setattr)(obj, name, value)."
        )

    def __delattr__(self, attr: str) -> None:
        raise TypeError(f"Delayed objects are immutable: cannot delete attribute {attr!r}")

    def __setitem__(self, index: Any, value: Any) -> None:
        raise TypeError(
            "Delayed objects are immutable: item assignment is not supported. "
            "Build the new value with a delayed function instead."
        )

    def __bool__(self) -> bool:
        raise TypeError(
            "the truth value of a Delayed object is not known until it is computed: "
            "call .compute() first, or move the if/while/and/or into a delayed function"
        )

    def __len__(self) -> int:
        if self._length is None:
            raise TypeError(
                "len() of a Delayed object of unknown length: pass nout= to delayed, "
                "e.g. delayed(f, nout=2)(x), to say how many items the result has"
            )
        return self._length

    def __iter__(self) -> Iterator[Delayed]:
        if self._length is None:
            raise TypeError(
                "a Delayed object of unknown length cannot be iterated or unpacked: pass "
                "nout= to delayed, e.g. a, b = delayed(f, nout=2)(x)"
            )
        return (self[i] for i in range(self._length))

    def __call__(self, *args: Any, **kwargs: Any) -> Delayed:
        key = kwargs.pop("dask_key_name", None)
        pure = kwargs.pop("pure", None)
        if key is None:
            key = _call_key("apply", self, args, kwargs, pure)
        else:
            _check_key(key)
        return _call(apply, (self, list(args), kwargs), {}, key, None)

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        if instance is None:
            return self
        return types.MethodType(self, instance)

    def __divmod__(self, other: Any) -> Delayed:
        return _op(divmod, (self, other), 2)

    def __rdivmod__(self, other: Any) -> Delayed:
        return _op(divmod, (other, self), 2)


_set_key = Delayed._key.__set__
_set_task = Delayed._task.__set__
_set_deps = Delayed._deps.__set__
_set_length = Delayed._length.__set__
_set_dsk = Delayed._dsk.__set__
_new = object.__new__


def _node(cls: type, key: Any, task: Any, deps: tuple, length: int | None) -> Any:
    """Make a Delayed of class ``cls`` holding one task and its dependencies."""
    d = _new(cls)
    _set_key(d, key)
    _set_task(d, task)
    _set_deps(d, deps)
    _set_length(d, length)
    _set_dsk(d, None)
    return d


def _op(op: Callable, args: tuple, nout: int | None = None) -> Delayed:
    """An operator applied to Delayed operands: pure, so its key is a token."""
    key = f"{funcname(op)}-{tokenize(op, *args)}"
    return _call(op, args, {}, key, nout)


def _unary(op: Callable) -> Callable:
    def method(self: Delayed) -> Delayed:
        return _op(op, (self,))

    return method


def _binary(op: Callable) -> tuple[Callable, Callable]:
    def method(self: Delayed, other: Any) -> Delayed:
        return _op(op, (self, other))

    def rmethod(self: Delayed, other: Any) -> Delayed:
        return _op(op, (other, self))

    return method, rmethod


for _name in ("abs", "neg", "pos", "invert"):
    setattr(Delayed, f"__{_name}__", _unary(getattr(operator, _name)))
for _name in (
    "add", "sub", "mul", "matmul", "truediv", "floordiv", "mod", "pow",
    "and", "or", "xor", "lshift", "rshift",
):  # fmt: skip
    _fwd, _rev = _binary(getattr(operator, _name + "_" if _name in ("and", "or") else _name))
    setattr(Delayed, f"__{_name}__", _fwd)
    setattr(Delayed, f"__r{_name}__", _rev)
for _name in ("eq", "ne", "lt", "le", "gt", "ge", "getitem"):
    setattr(Delayed, f"__{_name}__", _binary(getattr(operator, _name))[0])
del _name, _fwd, _rev


class DelayedLeaf(Delayed):
    """A function wrapped by :func:`delayed`: calling it records a task.

    Keywords accepted by every call: ``dask_key_name=`` names the result's key
    (the name is kept from Dask so that ported code runs unchanged) and
    ``pure=`` overrides the purity given to :func:`delayed`.

    Examples
    --------
    >>> def double(x):
    ...     return 2 * x
    >>> f = delayed(double, pure=True)
    >>> f.__name__
    'double'
    >>> f(4).key == f(4).key
    True
    >>> f(4, dask_key_name='eight')
    Delayed('eight')
    """

    __slots__ = ("_obj", "_pure", "_nout", "_prefix")

    def __call__(self, *args: Any, **kwargs: Any) -> Delayed:
        pure = self._pure
        key = None
        if kwargs:
            key = kwargs.pop("dask_key_name", None)
            pure = kwargs.pop("pure", pure)
        if key is None:
            key = _call_key(self._prefix, self._obj, args, kwargs, pure)
        else:
            _check_key(key)
        return _call(self._obj, args, kwargs, key, self._nout)

    def __reduce__(self):
        return (_leaf, (self._obj, self._key, self._pure, self._nout))

    @property
    def __name__(self) -> str:
        return funcname(self._obj)

    @property
    def __wrapped__(self) -> Any:
        return self._obj


class _Doc:
    """Class docstring on the class, the wrapped function's docstring on instances."""

    def __init__(self, doc: str | None) -> None:
        self.doc = doc

    def __get__(self, instance: Any, owner: Any = None) -> str | None:
        if instance is None:
            return self.doc
        return getattr(instance._obj, "__doc__", None)


DelayedLeaf.__doc__ = _Doc(DelayedLeaf.__doc__)  # type: ignore[assignment]


def _leaf(obj: Any, key: Any, pure: Any, nout: int | None) -> DelayedLeaf:
    d = _node(DelayedLeaf, key, quote_argument(obj), (), nout)
    setter = object.__setattr__  # Delayed.__setattr__ refuses everything
    setter(d, "_obj", obj)
    setter(d, "_pure", pure)
    setter(d, "_nout", nout)
    setter(d, "_prefix", funcname(obj))
    return d


class DelayedAttr(Delayed):
    """An attribute of a Delayed value (``d.attr``); calling it calls the method.

    Attribute access is pure (same object and name, same key); method calls
    follow ``pure=`` and the ``delayed.pure`` setting like function calls.

    Examples
    --------
    >>> s = delayed('a,b,c', name='s')
    >>> s.split(',').compute(scheduler='sync')
    ['a', 'b', 'c']
    >>> delayed(3 + 4j).imag.compute(scheduler='sync')
    4.0
    """

    __slots__ = ("_obj", "_attr")

    def __call__(self, *args: Any, **kwargs: Any) -> Delayed:
        key = kwargs.pop("dask_key_name", None)
        pure = kwargs.pop("pure", None)
        obj = self._obj
        if key is None:
            key = _call_key(self._attr, self._attr, (obj, *args), kwargs, pure)
        else:
            _check_key(key)
        return _call(_MethodCaller(self._attr), (obj, *args), kwargs, key, None)


def _attr_node(obj: Delayed, attr: str) -> DelayedAttr:
    key = f"getattr-{tokenize(obj, attr)}"
    d = _node(DelayedAttr, key, (getattr, obj._key, quote_argument(attr)), (obj,), None)
    setter = object.__setattr__  # Delayed.__setattr__ refuses everything
    setter(d, "_obj", obj)
    setter(d, "_attr", attr)
    return d


def delayed(
    obj: Any = _NO_ARG,
    name: Any = None,
    pure: bool | None = None,
    nout: int | None = None,
    traverse: bool = True,
) -> Any:
    """Wrap a function or a value so that work on it is recorded, not done.

    Parameters
    ----------
    obj : object
        A function (calls to the result become tasks) or a value (operations
        on the result become tasks). A ``Delayed`` is returned unchanged.
        Without ``obj``, returns a decorator: ``@delayed(pure=True)``.
    name : key, optional
        The key of the wrapped object itself (not of call results; name those
        with the ``dask_key_name=`` call keyword).
    pure : bool, optional
        True: keys are tokens of the function and its arguments, so equal
        calls share one task. False: every call gets a fresh random key.
        Default: the ``delayed.pure`` setting (``MPIFLOW_DELAYED_PURE``),
        which is False.
    nout : int, optional
        How many items a call returns; makes results unpackable
        (``a, b = f(x)``) and gives them a ``len``.
    traverse : bool, default True
        Look inside lists, tuples, sets and dicts of ``obj`` for Delayed
        values. Pass False for large containers known to hold none.

    Returns
    -------
    Delayed
        A :class:`DelayedLeaf` for a function, a :class:`Delayed` for a value.

    Examples
    --------
    >>> @delayed
    ... def inc(x):
    ...     return x + 1
    >>> a = inc(1)
    >>> a  # doctest: +ELLIPSIS
    Delayed('inc-...')
    >>> (a + inc(a)).compute(scheduler='sync')
    5
    >>> @delayed(pure=True, nout=2)
    ... def split(x):
    ...     return x // 2, x % 2
    >>> q, r = split(7)
    >>> q.compute(scheduler='sync'), r.compute(scheduler='sync')
    (3, 1)
    >>> delayed([1, a, 3]).compute(scheduler='sync')
    [1, 2, 3]

    Arguments reach the function exactly as given, even ones that look like
    tasks:

    >>> delayed(lambda t: t)((sum, [1, 2])).compute(scheduler='sync')
    (<built-in function sum>, [1, 2])
    """
    if obj is _NO_ARG:
        return partial(delayed, name=name, pure=pure, nout=nout, traverse=traverse)
    if isinstance(obj, Delayed):
        return obj
    if nout is not None and (type(nout) is not int or nout < 0):
        raise ValueError(f"nout must be None or a non-negative int, got {nout!r}")
    if name is not None:
        _check_key(name, "name")
    if _is_collection(obj):
        d = _from_collection(obj)
        return d if name is None else _node(Delayed, name, d._key, (d,), nout)
    if callable(obj):
        if name is None:
            name = _call_key(funcname(obj), obj, nout, None, pure)
        return _leaf(obj, name, pure, nout)
    deps: list = []
    task = _to_graph(obj, deps) if traverse else quote_argument(obj)
    if name is None:
        name = _call_key(type(obj).__name__, obj, nout, None, pure)
    return _node(Delayed, name, task, tuple(deps), nout)
