"""Normal forms of functions, code, classes and methods, for :mod:`mpiflow.core.tokenize`.

Importable functions and classes are named by ``(module, qualname)``.
Others (lambdas, closures, anything from ``__main__``) are described by their
code, defaults, captured values and the globals they read. Code objects never
change, so each is hashed once; a function whose description is made only of
immutable parts is remembered until one of them is replaced.

Examples
--------
>>> from mpiflow.core.tokenize import tokenize
>>> def double(x):
...     return 2 * x
>>> tokenize(double) == tokenize(double)
True
>>> lookup_name(len)
('builtins', 'len')
"""

from __future__ import annotations

import functools
import sys
import types
import weakref
from typing import Any

from mpiflow.core.tokenize import (
    _PRIMITIVES,
    _first,
    _guarded,
    _hash,
    _normalize_mapping,
    _normalize_seq,
    _sorted_normal,
    normalize_token,
)

__all__ = ["lookup_name"]


def lookup_name(obj: Any) -> tuple[str, str] | None:
    """``(module, qualname)`` if that name resolves to ``obj`` in a non-``__main__`` module."""
    mod_name = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if not isinstance(mod_name, str) or not isinstance(qualname, str) or mod_name == "__main__":
        return None
    target: Any = sys.modules.get(mod_name)
    if target is None or "<locals>" in qualname:
        return None
    try:
        for part in qualname.split("."):
            target = getattr(target, part)
    except Exception:
        return None
    return (mod_name, qualname) if target is obj else None


def _normalize_code_uncached(code: types.CodeType) -> tuple:
    # Line numbers and file names are left out: moving a lambda keeps its token.
    return (
        code.co_name,
        code.co_argcount,
        code.co_posonlyargcount,
        code.co_kwonlyargcount,
        code.co_flags & 0xFFFF,  # without __future__ flags, which exec() inherits
        _hash(code.co_code),
        _normalize_seq(code.co_consts),
        code.co_names,
        code.co_varnames,
        code.co_freevars,
        code.co_cellvars,
    )


def _global_names(code: types.CodeType, out: set) -> set:
    out.update(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            _global_names(const, out)
    return out


#: id(code) -> (weak reference to it, its normal form, the global names it reads).
#: Code objects never change, so a function's code is hashed once, not on every
#: ``submit`` of it (about a quarter of the time to tokenize a small function).
_code_cache: dict[int, tuple[Any, tuple, frozenset]] = {}


def _code_entry(code: types.CodeType) -> tuple[tuple, frozenset]:
    entry = _code_cache.get(id(code))
    if entry is not None and entry[0]() is code:
        return entry[1], entry[2]
    # The normal form is kept as its digest: smaller to repr() in every token
    # that includes this code, and as unique.
    normal = ("__code__", _hash(repr(_normalize_code_uncached(code)).encode(
        "utf-8", "surrogatepass")))
    names = frozenset(_global_names(code, set()))
    ident = id(code)
    try:
        ref = weakref.ref(code, lambda _, ident=ident: _code_cache.pop(ident, None))
    except TypeError:  # no weak references on this interpreter: do not cache
        return normal, names
    _code_cache[ident] = (ref, normal, names)
    return normal, names


def _normalize_code(code: types.CodeType) -> tuple:
    return _code_entry(code)[0]


normalize_token.register(types.CodeType, _normalize_code)


def _normalize_function_body(func: types.FunctionType) -> tuple:
    cells = []
    for cell in func.__closure__ or ():
        try:
            cells.append(normalize_token(cell.cell_contents))
        except ValueError:  # empty cell
            cells.append("__empty_cell__")
    glob = func.__globals__
    code_normal, code_names = _code_entry(func.__code__)
    names = sorted(n for n in code_names if n in glob)
    return (
        func.__module__,
        func.__qualname__,
        code_normal,
        normalize_token(func.__defaults__),
        normalize_token(func.__kwdefaults__),
        cells,
        [(n, normalize_token(glob[n])) for n in names],
    )


#: id(function) -> (weak reference to it, what its normal form was made from, the form).
_function_cache: dict[int, tuple[Any, tuple, Any]] = {}
_ABSENT = object()


def _stable(value: Any) -> bool:
    """Whether ``value``'s normal form can change only if the value is replaced:
    immutable primitives, modules, and functions and classes tokenized by name."""
    typ = type(value)
    if typ in _PRIMITIVES or typ is types.ModuleType or value is _ABSENT:
        return True
    if typ is tuple:
        return all(_stable(v) for v in value)
    if isinstance(value, (types.FunctionType, types.BuiltinFunctionType, type)):
        return lookup_name(value) is not None
    return False


def _inputs(func: types.FunctionType) -> tuple | None:
    """Everything ``func``'s normal form is made from, if all of it is stable."""
    cells = []
    for cell in func.__closure__ or ():
        try:
            value = cell.cell_contents
        except ValueError:  # empty cell
            value = _ABSENT
        if value is not _ABSENT and not _stable(value):
            return None
        cells.append(value)
    glob = func.__globals__
    names = tuple(sorted(_code_entry(func.__code__)[1]))
    values = tuple(glob.get(n, _ABSENT) for n in names)
    kwdefaults = func.__kwdefaults__
    if not (_stable(func.__defaults__) and _stable(values)
            and (kwdefaults is None or _stable(tuple(kwdefaults.values())))):
        return None
    return (func.__code__, func.__module__, func.__qualname__, func.__defaults__,
            kwdefaults and tuple(kwdefaults.items()), tuple(cells), names, values)


def _unchanged(func: types.FunctionType, inputs: tuple) -> bool:
    code, module, qualname, defaults, kwdefaults, cells, names, values = inputs
    if (func.__code__ is not code or func.__defaults__ is not defaults
            or func.__module__ != module or func.__qualname__ != qualname):
        return False
    now = func.__kwdefaults__
    if (now and tuple(now.items())) != kwdefaults:
        return False
    for cell, value in zip(func.__closure__ or (), cells, strict=True):
        try:
            if cell.cell_contents is not value:
                return False
        except ValueError:
            if value is not _ABSENT:
                return False
    glob = func.__globals__
    for name, value in zip(names, values, strict=True):
        if glob.get(name, _ABSENT) is not value:
            return False
    return True


def _normalize_function(func: types.FunctionType) -> Any:
    name = lookup_name(func)
    if name is not None:
        return name
    # A function submitted again and again (``client.submit`` in a loop) is
    # normalized once, while everything its form is made from is unchanged and
    # immutable; one that reads a mutable global or captures a list is
    # normalized every time, as its token must follow their contents.
    entry = _function_cache.get(id(func))
    if entry is not None and entry[0]() is func and _unchanged(func, entry[1]):
        return entry[2]
    normal = _guarded(func, _normalize_function_body)
    inputs = _inputs(func)
    if inputs is None:
        return normal
    # kept as a digest: the same for every call, and cheaper to repr() in a token
    normal = ("__function__", _hash(repr(normal).encode("utf-8", "surrogatepass")))
    ident = id(func)
    try:
        ref = weakref.ref(func, lambda _, ident=ident: _function_cache.pop(ident, None))
    except TypeError:
        return normal
    _function_cache[ident] = (ref, inputs, normal)
    return normal


normalize_token.register(types.FunctionType, _normalize_function)

_SKIP_CLASS_ATTRS = frozenset({"__dict__", "__weakref__", "__module__", "__qualname__", "__doc__"})


def _normalize_class_body(cls: type) -> tuple:
    attrs = [
        (k, normalize_token(v))
        for k, v in vars(cls).items()
        if k not in _SKIP_CLASS_ATTRS
        and not isinstance(v, (types.GetSetDescriptorType, types.MemberDescriptorType))
    ]
    bases = _normalize_seq(cls.__bases__)
    return (cls.__module__, cls.__qualname__, bases, _sorted_normal(attrs, _first))


def _normalize_type(cls: type) -> Any:
    name = lookup_name(cls)
    if name is not None:
        return name
    return _guarded(cls, _normalize_class_body)


normalize_token.register(type, _normalize_type)


def _normalize_builtin(func: Any) -> Any:
    self = getattr(func, "__self__", None)
    if self is None or isinstance(self, types.ModuleType):
        name = lookup_name(func)
        if name is not None:
            return name
    return (normalize_token(self), func.__qualname__)


normalize_token.register(types.BuiltinFunctionType, _normalize_builtin)
normalize_token.register(
    types.MethodType, lambda m: (normalize_token(m.__self__), normalize_token(m.__func__))
)
normalize_token.register(
    (
        types.MethodDescriptorType,
        types.WrapperDescriptorType,
        types.ClassMethodDescriptorType,
        types.GetSetDescriptorType,
        types.MemberDescriptorType,
    ),
    lambda d: (normalize_token(d.__objclass__), d.__name__),
)
normalize_token.register(
    types.MethodWrapperType, lambda m: (normalize_token(m.__self__), m.__name__)
)
normalize_token.register(
    functools.partial,
    lambda p: (normalize_token(p.func), _normalize_seq(p.args), _normalize_mapping(p.keywords)),
)
