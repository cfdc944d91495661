"""Per-partition and aggregate functions of the bag reductions (module level: picklable).

Examples
--------
>>> _merge_moments([_moments([1.0, 2.0]), _moments([3.0, 4.0])])
(4, 2.5, 5.0)
>>> _fold_agg(max, no_default, [_EMPTY, 3, 1])
3
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Callable, Iterable
from functools import partial, reduce
from itertools import chain, islice
from operator import itemgetter
from typing import Any

from mpiflow.bag.pipeline import no_default


class _Empty:
    """Marks a partition (or a subtree) that gave no value; pickles to the same object."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<empty>"

    def __reduce__(self):
        return "_EMPTY"


_EMPTY = _Empty()


def _keyfunc(key: Any) -> Callable:
    return key if callable(key) else itemgetter(key)


# -- per-partition and aggregate functions (module level: picklable) ------------------
def _count(seq: Iterable) -> int:
    if type(seq) is list:
        return len(seq)
    n = 0
    for _ in seq:
        n += 1
    return n


def _nonempty(func: Callable, seq: Iterable) -> Any:
    """``func(seq)`` or the empty marker for an empty partition."""
    it = iter(seq)
    for first in it:
        return func(chain((first,), it))
    return _EMPTY


def _skip_empty(func: Callable, what: str, values: list) -> Any:
    vals = [v for v in values if v is not _EMPTY]
    if not vals:
        return _EMPTY
    return func(vals)


def _fail_empty(what: str, value: Any) -> Any:
    if value is _EMPTY:
        raise ValueError(f"{what}() of an empty bag: there are no elements to reduce")
    return value


def _fold_part(binop: Callable, initial: Any, seq: Iterable) -> Any:
    if initial is no_default:
        return _nonempty(partial(reduce, binop), seq)
    return reduce(binop, seq, initial)


def _fold_agg(combine: Callable, initial: Any, values: list) -> Any:
    vals = [v for v in values if v is not _EMPTY]
    if initial is no_default:
        return reduce(combine, vals) if vals else _EMPTY
    return reduce(combine, vals, initial)


def _initial(value: Any) -> Any:
    return value() if callable(value) else value


def _foldby_part(key: Callable, binop: Callable, initial: Any, seq: Iterable) -> dict:
    out: dict = {}
    if initial is no_default:
        for x in seq:
            k = key(x)
            out[k] = binop(out[k], x) if k in out else x
    else:
        for x in seq:
            k = key(x)
            acc = out[k] if k in out else _initial(initial)
            out[k] = binop(acc, x)
    return out


def _foldby_agg(combine: Callable, initial: Any, dicts: list) -> dict:
    out: dict = {}
    for d in dicts:
        for k, v in d.items():
            if k in out:
                out[k] = combine(out[k], v)
            elif initial is no_default:
                out[k] = v
            else:
                out[k] = combine(_initial(initial), v)
    return out


def _dict_items(d: dict) -> list:
    return list(d.items())


def _frequencies(seq: Iterable) -> Counter:
    return Counter(seq)


def _merge_counts(counts: list) -> Counter:
    if len(counts) == 1:
        return counts[0]
    out = Counter(counts[0])
    for c in counts[1:]:
        out.update(c)
    return out


def _freq_pairs(sort: bool, counts: Counter) -> list:
    if sort:
        return counts.most_common()
    return list(counts.items())


def _topk(k: int, key: Any, seq: Iterable) -> list:
    return heapq.nlargest(k, seq, key=key)


def _topk_agg(k: int, key: Any, lists: list) -> list:
    return heapq.nlargest(k, chain.from_iterable(lists), key=key)


def _distinct(key: Any, seq: Iterable) -> dict:
    if key is None:
        return dict.fromkeys(seq)
    out: dict = {}
    for x in seq:
        out.setdefault(key(x), x)
    return out


def _distinct_agg(key: Any, dicts: list) -> dict:
    out: dict = {}
    for d in dicts:
        for k, v in d.items():
            out.setdefault(k, v)
    return out


def _distinct_values(key: Any, d: dict) -> list:
    return list(d) if key is None else list(d.values())


def _moments(seq: Iterable) -> tuple:
    """``(n, mean, M2)`` of a partition (Welford), for mean/var/std."""
    vals = seq if type(seq) is list else list(seq)
    n = len(vals)
    if n == 0:
        return (0, 0.0, 0.0)
    mean = math.fsum(vals) / n
    m2 = math.fsum((x - mean) ** 2 for x in vals)
    return (n, mean, m2)


def _merge_moments(parts: list) -> tuple:
    n, mean, m2 = 0, 0.0, 0.0
    for nb, mb, m2b in parts:
        if nb == 0:
            continue
        total = n + nb
        delta = mb - mean
        mean += delta * nb / total
        m2 += m2b + delta * delta * n * nb / total
        n = total
    return (n, mean, m2)


def _mean_of(moments: tuple) -> float:
    n, mean, _ = moments
    if n == 0:
        raise ValueError("mean() of an empty bag: there are no elements to average")
    return mean


def _var_of(ddof: float, moments: tuple) -> float:
    n, _, m2 = moments
    if n - ddof <= 0:
        raise ValueError(f"var()/std() needs more than ddof={ddof} elements, the bag has {n}")
    return m2 / (n - ddof)


def _std_of(ddof: float, moments: tuple) -> float:
    return math.sqrt(_var_of(ddof, moments))


def _head(k: int, seq: Iterable) -> list:
    return list(islice(seq, k))


def _take_agg(k: int, lists: list) -> list:
    return list(islice(chain.from_iterable(lists), k))
