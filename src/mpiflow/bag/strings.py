"""The ``str`` accessor of a bag: string methods applied to every element.

``b.str.<method>(*args)`` is ``b.map(lambda s: s.<method>(*args))`` for
any :class:`str` method; ``b.str.match(pattern)`` keeps the strings that
match a shell-style pattern (:mod:`fnmatch`).

Examples
--------
>>> import mpiflow.bag as db
>>> b = db.from_sequence(['Alice Smith', 'Bob Jones', 'Charlie Smith'])
>>> b.str.upper().compute(scheduler='sync')
['ALICE SMITH', 'BOB JONES', 'CHARLIE SMITH']
>>> b.str.match('*Smith').compute(scheduler='sync')
['Alice Smith', 'Charlie Smith']
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from typing import Any

from mpiflow.bag.pipeline import FilterStep, MapStep

__all__ = ["StringAccessor"]


class _StrMethod:
    """``_StrMethod('split')(s, *args)`` calls ``s.split(*args)`` (picklable)."""

    __slots__ = ("method",)

    def __init__(self, method: str) -> None:
        self.method = method

    def __call__(self, s: Any, *args: Any, **kwargs: Any) -> Any:
        return getattr(s, self.method)(*args, **kwargs)

    @property
    def __name__(self) -> str:
        return f"str-{self.method}"

    def __reduce__(self):
        return (_StrMethod, (self.method,))


class _Match:
    __slots__ = ("pattern",)

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern

    def __call__(self, s: str) -> bool:
        return fnmatch.fnmatchcase(s, self.pattern)

    @property
    def __name__(self) -> str:
        return "match"

    def __reduce__(self):
        return (_Match, (self.pattern,))


#: methods mapped as the unbound C method when called without arguments (fastest)
_FAST = frozenset(
    "lower upper strip lstrip rstrip split title casefold capitalize swapcase isalpha isdigit "
    "isspace isalnum".split()
)


class StringAccessor:
    """String methods on a bag of strings (``b.str``).

    Parameters
    ----------
    bag : Bag

    Examples
    --------
    >>> import mpiflow.bag as db
    >>> db.from_sequence([' a ', 'b ']).str.strip().compute(scheduler='sync')
    ['a', 'b']
    """

    __slots__ = ("_bag",)

    def __init__(self, bag: Any) -> None:
        self._bag = bag

    def __dir__(self) -> list:
        return sorted(set(dir(str)) | {"match"})

    def _method(self, name: str) -> Callable:
        bag = self._bag
        unbound = getattr(str, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            if not args and not kwargs and name in _FAST:
                step = MapStep(unbound)
            else:
                step = MapStep(_StrMethod(name), *args, **kwargs)
            return bag._with_step(step, f"str-{name}", name, args, kwargs)

        call.__name__ = name
        call.__doc__ = unbound.__doc__
        return call

    def __getattr__(self, name: str) -> Callable:
        if name.startswith("_") or not hasattr(str, name):
            raise AttributeError(
                f"'str' accessor has no method {name!r}; it offers the methods of str "
                "(lower, split, startswith, ...) and match(pattern)"
            )
        return self._method(name)

    def match(self, pattern: str) -> Any:
        """Keep the strings matching the shell-style ``pattern`` (``*``, ``?``, ``[ab]``).

        Examples
        --------
        >>> import mpiflow.bag as db
        >>> db.from_sequence(['a.txt', 'b.csv']).str.match('*.txt').compute(scheduler='sync')
        ['a.txt']
        """
        return self._bag._with_step(FilterStep(_Match(pattern)), "str-match", pattern)
