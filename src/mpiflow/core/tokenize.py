"""Deterministic names for Python objects: :func:`tokenize` and :data:`normalize_token`.

``tokenize(*args, **kwargs)`` returns 32 hex characters that depend only on the
*values* passed, so the same inputs get the same task name in every process
and every run, and different inputs get different names.

How it works: :data:`normalize_token` turns each object into a *normal form*
built only from ``None``, ``bool``, ``int``, ``float``, ``complex``, ``str``,
``bytes``, tuples and lists; the token is a hash of the ``repr`` of that normal
form. Every non-primitive normal form is tagged with the object's type
(``module.qualname``), so **objects of different types get different tokens**:
``tokenize(1)``, ``tokenize(1.0)``, ``tokenize(True)`` and ``tokenize('1')``
all differ (Dask treats ``1`` and ``1.0`` alike; mpiflow does not), and so do
``0.0`` and ``-0.0``. All NaN floats tokenize alike.

Choices worth knowing:

- Hash: SHA-256 truncated to 128 bits. Measured on the development machine
  (x86-64 with SHA extensions) it hashes ~1.6 GB/s, against ~0.8 GB/s for
  BLAKE2b and ~0.65 GB/s for MD5, and it is FIPS-approved.
- NumPy arrays tokenize by value: dtype, shape and the bytes in C order. Two
  equal arrays with different memory layouts (C, Fortran, strided views) get
  the same token; non-C-contiguous arrays are copied once to be hashed.
  Object and variable-width-string arrays are tokenized element by element.
- ``np.memmap`` in modes ``'r'``, ``'r+'`` and ``'w+'`` is tokenized from the
  file's path, size and modification time and the view's offset, dtype, shape
  and strides, without reading the data: write through such a memmap and
  ``flush()`` it before relying on a new token. Copy-on-write (``'c'``) maps
  are hashed by value, since their changes never reach the file.
- Functions and classes that can be found again by ``module.qualname`` are
  tokenized by that name (editing a library's source does not change it).
  Lambdas, closures, local functions and anything defined in ``__main__`` are
  tokenized by their bytecode, constants, defaults, captured values and the
  globals they name, which stays stable across processes (unlike pickle
  bytes, which depend on string hash randomization).
- Dicts and sets are order-independent; ``OrderedDict`` keeps its order.
- Other objects go, in order, through ``__mpiflow_tokenize__`` (see below),
  dataclass fields, enum names, their pickle ``__reduce_ex__`` recipe
  (normalized recursively) and cloudpickle bytes. An object none of those can
  handle gets a random token, or a ``TypeError`` when the configuration value
  ``tokenize.ensure-deterministic`` (or ``ensure_deterministic=True``) is set.

The protocol for user classes (mpiflow's version of Dask's
``__dask_tokenize__``): define ``__mpiflow_tokenize__(self)`` returning any
tokenizable value that identifies the object; it is tagged with the class
name. Or register a function returning a normal form for a type you do not
own: ``normalize_token.register(MyType)(func)``.
"""

from __future__ import annotations

import collections
import copyreg
import dataclasses
import enum
import hashlib
import os
import threading
import types
import uuid
from collections.abc import Callable
from typing import Any

from mpiflow import config

__all__ = ["tokenize", "normalize_token", "Dispatch"]

_PRIMITIVES = frozenset({int, str, bytes, float, bool, complex, type(None)})


class _State(threading.local):
    def __init__(self) -> None:
        self.active: dict[int, int] = {}  # id of container being normalized -> depth
        self.ensure: bool | None = None  # set by tokenize(ensure_deterministic=...)


_state = _State()


def _hash(data: Any) -> str:
    """Hex digest (32 chars) of bytes or any C-contiguous buffer."""
    return hashlib.sha256(data).hexdigest()[:32]


def _ensure_deterministic() -> bool:
    if _state.ensure is not None:
        return _state.ensure
    return bool(config.get("tokenize.ensure-deterministic"))


def tokenize(*args: Any, ensure_deterministic: bool | None = None, **kwargs: Any) -> str:
    """Return a deterministic 32-character hex token for the given objects.

    Parameters
    ----------
    *args, **kwargs : object
        What to tokenize. Keyword names and values count; their order does not.
    ensure_deterministic : bool, optional
        Raise ``TypeError`` instead of returning a random token when some
        object cannot be tokenized deterministically. Defaults to the
        configuration value ``tokenize.ensure-deterministic``.

    Returns
    -------
    str
        32 lower-case hex characters.

    Examples
    --------
    >>> len(tokenize('x', 1, [2, 3]))
    32
    >>> tokenize({'a': 1, 'b': 2}) == tokenize({'b': 2, 'a': 1})
    True
    >>> tokenize(1) == tokenize(1.0), tokenize(sum, 1) == tokenize(sum, 1, start=0)
    (False, False)
    """
    prev = _state.ensure
    if ensure_deterministic is not None:
        _state.ensure = ensure_deterministic
    try:
        normal = (_normalize_seq(args), _normalize_mapping(kwargs) if kwargs else None)
    finally:
        _state.ensure = prev
    return _hash(repr(normal).encode("utf-8", "surrogatepass"))


def _type_name(typ: type) -> str:
    return f"{getattr(typ, '__module__', None)}.{getattr(typ, '__qualname__', typ.__name__)}"


class Dispatch:
    """A single-dispatch registry of normalizers, looked up along the MRO.

    ``normalize_token(obj)`` returns ``obj`` itself for ``None``, ``bool``,
    ``int``, ``float``, ``complex``, ``str`` and ``bytes``; for anything else
    it returns ``(type_name, handler(obj))`` where ``handler`` is the function
    registered for the nearest class in ``type(obj).__mro__``. A handler must
    return a normal form: primitives, tuples and lists of normal forms (call
    ``normalize_token`` on the parts).

    Examples
    --------
    >>> class Point:
    ...     def __init__(self, x, y):
    ...         self.x, self.y = x, y
    >>> @normalize_token.register(Point)
    ... def _(p):
    ...     return (p.x, p.y)
    >>> normalize_token(Point(1, 2))[1]
    (1, 2)
    >>> tokenize(Point(1, 2)) == tokenize(Point(1, 2)) != tokenize(Point(2, 1))
    True
    """

    def __init__(self, name: str = "normalize_token") -> None:
        self.__name__ = name
        self._registry: dict[type, Callable[[Any], Any]] = {}
        self._lazy: dict[str, Callable[[], None]] = {}
        self._cache: dict[type, tuple[str, Callable[[Any], Any]]] = {}
        self._lock = threading.RLock()  # lazy registration runs once, before any lookup

    def register(self, typ: type | tuple[type, ...], func: Callable | None = None) -> Any:
        """Register ``func`` for ``typ`` (a type or tuple of types); usable as a decorator."""

        def wrapper(f: Callable) -> Callable:
            for t in typ if isinstance(typ, tuple) else (typ,):
                self._registry[t] = f
            self._cache.clear()
            return f

        return wrapper(func) if func is not None else wrapper

    def register_lazy(self, toplevel: str, func: Callable[[], None] | None = None) -> Any:
        """Run ``func`` (which registers handlers) the first time a type from
        the top-level package ``toplevel`` is seen."""

        def wrapper(f: Callable[[], None]) -> Callable[[], None]:
            self._lazy[toplevel] = f
            self._cache.clear()
            return f

        return wrapper(func) if func is not None else wrapper

    def dispatch(self, typ: type) -> Callable[[Any], Any]:
        """Return the handler used for objects of type ``typ``."""
        return self._lookup(typ)[1]

    def _lookup(self, typ: type) -> tuple[str, Callable[[Any], Any]]:
        try:
            return self._cache[typ]
        except KeyError:
            pass
        if self._lazy:
            with self._lock:
                for cls in typ.__mro__:
                    top = (getattr(cls, "__module__", None) or "").partition(".")[0]
                    if top in self._lazy:
                        self._lazy[top]()
                        del self._lazy[top]
        reg = self._registry
        handler = reg.get(typ)
        if handler is None:
            if getattr(typ, "__mpiflow_tokenize__", None) is not None:
                handler = _normalize_protocol
            elif issubclass(typ, enum.Enum):
                handler = _normalize_enum
            elif dataclasses.is_dataclass(typ):
                handler = _normalize_dataclass
            else:
                handler = next((reg[c] for c in typ.__mro__[1:] if c in reg), _normalize_object)
        entry = self._cache[typ] = (_type_name(typ), handler)
        return entry

    def __call__(self, obj: Any) -> Any:
        typ = type(obj)
        if typ in _PRIMITIVES:
            return obj
        try:
            name, handler = self._cache[typ]
        except KeyError:
            name, handler = self._lookup(typ)
        return (name, handler(obj))


normalize_token = Dispatch()


def _guarded(obj: Any, func: Callable[[Any], Any]) -> Any:
    """Run ``func(obj)`` unless ``obj`` is already being normalized (a cycle)."""
    active = _state.active
    key = id(obj)
    if key in active:
        return ("__cycle__", len(active) - active[key])
    active[key] = len(active)
    try:
        return func(obj)
    finally:
        del active[key]


def _normalize_seq(seq: Any) -> list:
    prims = _PRIMITIVES
    return [x if type(x) in prims else normalize_token(x) for x in seq]


def _sorted_normal(items: list, key: Callable[[Any], Any] | None = None) -> list:
    """Sort normal forms deterministically: naturally for all-str/all-int keys, else by repr."""
    keys = [key(i) for i in items] if key is not None else items
    kinds = {type(k) for k in keys}
    if len(kinds) == 1 and kinds <= {str, int, bytes}:
        return sorted(items, key=key)
    if key is None:
        return sorted(items, key=repr)
    return sorted(items, key=lambda i: repr(key(i)))


def _first(pair: tuple) -> Any:
    return pair[0]


def _normalize_mapping(d: Any) -> list:
    prims = _PRIMITIVES
    pairs = [
        (
            k if type(k) in prims else normalize_token(k),
            v if type(v) in prims else normalize_token(v),
        )
        for k, v in d.items()
    ]
    return _sorted_normal(pairs, key=_first)


# --- builtin types --------------------------------------------------------

normalize_token.register(tuple, _normalize_seq)
normalize_token.register(list, lambda x: _guarded(x, _normalize_seq))
normalize_token.register(dict, lambda x: _guarded(x, _normalize_mapping))
normalize_token.register((set, frozenset), lambda x: _sorted_normal(_normalize_seq(x)))
normalize_token.register(
    collections.OrderedDict,
    lambda x: _guarded(x, lambda d: _normalize_seq(d.items())),
)
normalize_token.register(
    collections.defaultdict,
    lambda d: (normalize_token(d.default_factory), _guarded(d, _normalize_mapping)),
)
normalize_token.register((type(Ellipsis), type(NotImplemented)), lambda x: None)
normalize_token.register(slice, lambda s: _normalize_seq((s.start, s.stop, s.step)))
normalize_token.register(range, lambda r: (r.start, r.stop, r.step))
normalize_token.register(types.ModuleType, lambda m: m.__name__)
normalize_token.register(bytearray, lambda b: _hash(b))
normalize_token.register(memoryview, lambda m: (m.format, m.shape, _hash(m.tobytes())))
normalize_token.register((staticmethod, classmethod), lambda m: normalize_token(m.__func__))
normalize_token.register(property, lambda p: _normalize_seq((p.fget, p.fset, p.fdel)))


def _normalize_protocol(obj: Any) -> Any:
    return _guarded(obj, lambda o: normalize_token(o.__mpiflow_tokenize__()))


def _normalize_enum(obj: enum.Enum) -> Any:
    return obj.name


def _dataclass_fields(obj: Any) -> list:
    return [(f.name, normalize_token(getattr(obj, f.name))) for f in dataclasses.fields(obj)]


def _normalize_dataclass(obj: Any) -> Any:
    return _guarded(obj, _dataclass_fields)


# --- functions, classes, methods: see tokenize_callables (imported at the end) ---


# --- everything else ------------------------------------------------------


def _reduce_normal(obj: Any) -> Any:
    reducer = copyreg.dispatch_table.get(type(obj))
    rv = reducer(obj) if reducer is not None else obj.__reduce_ex__(4)
    if isinstance(rv, str):
        return ("__global__", getattr(obj, "__module__", None), rv)
    rv = list(rv)
    for i in (3, 4):  # list items and dict items are iterators
        if len(rv) > i and rv[i] is not None:
            rv[i] = list(rv[i])
    return _normalize_seq(rv)


def _normalize_object(obj: Any) -> Any:
    if callable(obj):
        name = _callables.lookup_name(obj)
        if name is not None:
            return name
    try:
        return _guarded(obj, _reduce_normal)
    except RecursionError:
        raise
    except Exception as e:
        cause: Exception = e
    try:
        import cloudpickle

        return _hash(cloudpickle.dumps(obj, protocol=5))
    except Exception:
        pass
    if _ensure_deterministic():
        name = _type_name(type(obj))
        raise TypeError(
            f"Cannot tokenize an object of type {name} deterministically: it has no "
            "registered normalizer, no __mpiflow_tokenize__ method, and cannot be pickled. "
            "Define a __mpiflow_tokenize__(self) method returning a tokenizable value, or "
            f"register a function with mpiflow.core.tokenize.normalize_token.register({name}); "
            "or unset 'tokenize.ensure-deterministic' to accept a random token."
        ) from cause
    return ("__random__", uuid.uuid4().hex)


# --- numpy (registered when a numpy type is first seen) --------------------


@normalize_token.register_lazy("numpy")
def _register_numpy() -> None:
    import numpy as np

    def by_value(a: np.ndarray) -> tuple:
        dt = a.dtype
        if dt.hasobject or dt.kind == "T":
            items = a.ravel().tolist() if a.ndim else [a.item()]
            return (repr(dt), a.shape, _guarded(a, lambda _: _normalize_seq(items)))
        if not a.flags.c_contiguous:
            a = np.ascontiguousarray(a)
        try:
            data: Any = a.reshape(-1).view(np.uint8)
        except (TypeError, ValueError):
            data = a.tobytes()
        return (repr(dt), a.shape, _hash(data))

    normalize_token.register(np.ndarray, by_value)

    @normalize_token.register(np.memmap)
    def _(a: np.memmap) -> tuple:
        filename, mode = getattr(a, "filename", None), getattr(a, "mode", None)
        root = a
        while isinstance(root.base, np.ndarray):
            root = root.base
        if not filename or mode == "c" or not isinstance(root, np.memmap):
            return by_value(a)
        try:
            st = os.stat(filename)
        except OSError:
            return by_value(a)
        start = a.__array_interface__["data"][0] - root.__array_interface__["data"][0]
        file = (os.path.abspath(filename), st.st_size, st.st_mtime_ns, a.offset, mode)
        return (file, repr(a.dtype), a.shape, a.strides, start)

    reg, norm = normalize_token.register, normalize_token
    reg(
        np.ma.MaskedArray,
        lambda a: (by_value(a.data), by_value(np.ma.getmaskarray(a)), norm(a.fill_value)),
    )
    reg(np.generic, lambda x: (repr(x.dtype), x.tobytes()))
    reg(np.dtype, repr)
    reg(np.random.Generator, lambda g: norm(g.bit_generator.state))
    reg(np.random.BitGenerator, lambda g: norm(g.state))
    reg(np.random.RandomState, lambda r: norm(r.get_state(legacy=False)))


# --- pandas (registered when a pandas type is first seen) ------------------


@normalize_token.register_lazy("pandas")
def _register_pandas() -> None:
    import numpy as np
    import pandas as pd
    from pandas.api.extensions import ExtensionArray, ExtensionDtype
    from pandas.api.types import infer_dtype

    reg, norm = normalize_token.register, normalize_token

    def values(obj: Any) -> Any:
        """Normal form of the values of an Index or Series."""
        v = obj.to_numpy() if isinstance(obj.dtype, np.dtype) else obj.array
        if isinstance(v, np.ndarray) and v.dtype == object:
            if infer_dtype(v, skipna=False) in ("string", "bytes", "empty"):
                return _hash(pd.util.hash_array(v, categorize=False))
        return norm(v)

    def extension_array(arr: Any) -> tuple:
        hashed = pd.util.hash_pandas_object(pd.Series(arr, copy=False), index=False)
        return (norm(arr.dtype), norm(np.asarray(pd.isna(arr))), _hash(hashed.to_numpy()))

    reg(ExtensionArray, extension_array)
    reg(pd.Categorical, lambda c: (norm(c.codes), norm(c.categories), c.ordered))
    reg(pd.Index, lambda i: (norm(i.name), norm(i.dtype), values(i)))
    reg(pd.RangeIndex, lambda i: (norm(i.name), i.start, i.stop, i.step))
    reg(pd.MultiIndex, lambda i: _normalize_seq((i.names, i.levels, tuple(i.codes))))
    reg(pd.Series, lambda s: (norm(s.name), norm(s.dtype), norm(s.index), values(s)))
    reg(
        pd.DataFrame,
        lambda df: (
            norm(df.columns),
            norm(df.index),
            [(norm(col.dtype), values(col)) for _, col in df.items()],
        ),
    )
    reg(ExtensionDtype, repr)
    reg(pd.CategoricalDtype, lambda d: (norm(d.categories), d.ordered))
    reg(pd.Timestamp, lambda t: (t.value, t.unit, str(t.tz)))
    reg(pd.Timedelta, lambda t: (t.value, t.unit))
    reg(type(pd.NaT), lambda t: None)
    reg(pd.Period, lambda p: (p.ordinal, p.freqstr))
    reg(pd.Interval, lambda i: (norm(i.left), norm(i.right), i.closed))


# Handlers for functions, code, classes and methods; imported last because they
# use the helpers above.
from mpiflow.core import tokenize_callables as _callables  # noqa: E402
