"""Hypothesis strategies shared by the test suite.

``random_dags()`` draws task graphs of 1..40 keys that are acyclic by
construction (a key only refers to keys drawn before it) and then shuffled,
so dict order is not a topological order. Keys are ``str`` (``'k3'``) and
tuples (``('t', 3)``, ``('u', 3, 0)``); values are int literals, aliases,
tasks calling ``operator.add``, ``operator.neg``, ``abs`` and ``sum`` (over
lists of keys, literals and nested tasks), and plain lists. Every function is
a builtin or from :mod:`operator`, so graphs pickle for process and MPI
schedulers, and every key evaluates to an ``int`` or a ``list`` of ints.

Import from a test with ``from strategies import random_dags`` once the
``tests`` folder is on ``sys.path``.

Examples
--------
>>> from hypothesis import given
>>> @given(random_dags())
... def test_something(dsk):
...     assert 1 <= len(dsk) <= 40
"""

from __future__ import annotations

from operator import add, neg
from typing import Any

from hypothesis import strategies as st

__all__ = ["random_dags", "dags_and_keys", "dag_keys"]

_MAX_DEPTH = 3


def _key(i: int, style: int) -> Any:
    if style == 0:
        return f"k{i}"
    if style == 1:
        return ("t", i)
    return ("u", i, i % 3)


def _int_expr(draw, ints: list, lists: list, depth: int) -> Any:
    """Draw an argument that evaluates to an int."""
    choices = ["literal"]
    if ints:
        choices += ["key", "key"]
    if depth < _MAX_DEPTH:
        choices += ["add", "neg", "abs", "sum"]
    choice = draw(st.sampled_from(choices))
    if choice == "literal":
        return draw(st.integers(-5, 5))
    if choice == "key":
        return draw(st.sampled_from(ints))
    if choice == "add":
        left = _int_expr(draw, ints, lists, depth + 1)
        return (add, left, _int_expr(draw, ints, lists, depth + 1))
    if choice == "neg":
        return (neg, _int_expr(draw, ints, lists, depth + 1))
    if choice == "abs":
        return (abs, _int_expr(draw, ints, lists, depth + 1))
    return (sum, _list_expr(draw, ints, lists, depth + 1))


def _list_expr(draw, ints: list, lists: list, depth: int) -> Any:
    """Draw an argument that evaluates to a list of ints."""
    if lists and draw(st.booleans()):
        return draw(st.sampled_from(lists))
    size = draw(st.integers(0, 4))
    return [_int_expr(draw, ints, lists, depth + 1) for _ in range(size)]


@st.composite
def random_dags(draw, min_keys: int = 1, max_keys: int = 40) -> dict:
    """Draw an acyclic task graph of ``min_keys..max_keys`` keys (dict order shuffled).

    Examples
    --------
    >>> from hypothesis import find
    >>> dsk = find(random_dags(), lambda d: len(d) >= 3)
    >>> len(dsk)
    3
    """
    n = draw(st.integers(min_keys, max_keys))
    styles = draw(st.lists(st.integers(0, 2), min_size=n, max_size=n))
    keys = [_key(i, s) for i, s in enumerate(styles)]
    ints: list = []
    lists: list = []
    values: dict = {}
    for k in keys:
        if draw(st.integers(0, 4)) == 0:
            values[k] = _list_expr(draw, ints, lists, 1)
            lists.append(k)
        else:
            values[k] = _int_expr(draw, ints, lists, 0)
            ints.append(k)
    perm = draw(st.permutations(range(n)))
    return {keys[i]: values[keys[i]] for i in perm}


def dag_keys(dsk: dict) -> st.SearchStrategy:
    """A non-empty list of distinct keys of ``dsk`` (requested outputs).

    Examples
    --------
    >>> from hypothesis import find
    >>> find(dag_keys({'a': 1, 'b': 2}), lambda keys: len(keys) == 2)
    ['a', 'b']
    """
    return st.lists(st.sampled_from(list(dsk)), min_size=1, max_size=5, unique=True)


@st.composite
def dags_and_keys(draw, min_keys: int = 1, max_keys: int = 40) -> tuple[dict, list]:
    """Draw ``(dsk, keys)``: a random graph and some of its keys as outputs.

    Examples
    --------
    >>> from hypothesis import find
    >>> dsk, keys = find(dags_and_keys(), lambda dk: len(dk[0]) > 1)
    >>> len(dsk), len(keys)
    (2, 1)
    """
    dsk = draw(random_dags(min_keys, max_keys))
    return dsk, draw(dag_keys(dsk))
