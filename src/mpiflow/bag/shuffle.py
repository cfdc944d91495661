"""Operations that move elements between partitions: groupby, join, product, ...

``groupby`` is a hash shuffle: every input partition is split into one
bucket per output partition (by a hash of the group key that is the same in
every process), and every output partition gathers its bucket from all
inputs. Every element travels, so it is costly, more so with the process
scheduler which pickles every bucket; when the groups are only reduced,
:meth:`~mpiflow.bag.Bag.foldby` is much faster (no shuffle, one small dict
per partition).

Examples
--------
>>> import mpiflow.bag as db
>>> b = db.from_sequence(range(6), npartitions=3)
>>> sorted(b.groupby(lambda x: x % 2).compute(scheduler='sync'))
[(0, [0, 2, 4]), (1, [1, 3, 5])]
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable
from itertools import accumulate as _accumulate
from itertools import chain, product
from operator import getitem, itemgetter
from typing import Any

from mpiflow.bag.item import graph_arg
from mpiflow.bag.pipeline import no_default, reify
from mpiflow.core.layers import LayeredGraph
from mpiflow.core.spec import funcname, quote_argument
from mpiflow.core.tokenize import tokenize

__all__ = ["BagShuffle", "stable_hash"]


def stable_hash(x: Any) -> int:
    """A hash that is the same in every process (``hash(str)`` is salted per process).

    Numbers use ``hash`` (unsalted, and ``1 == 1.0`` hash alike); strings and
    bytes use CRC-32; tuples and frozensets combine their items. Other
    objects fall back to ``hash``, which for most objects is not salted.

    Examples
    --------
    >>> stable_hash('abc') == stable_hash('abc'), stable_hash(1) == stable_hash(1.0)
    (True, True)
    """
    typ = type(x)
    if typ is str:
        return zlib.crc32(x.encode("utf-8", "surrogatepass"))
    if typ is bytes:
        return zlib.crc32(x)
    if typ is tuple:
        h = 0x345678
        for item in x:
            h = (h * 1000003) ^ stable_hash(item)
            h &= 0xFFFFFFFFFFFF
        return h
    if typ is frozenset:
        return sum(stable_hash(i) for i in x) & 0xFFFFFFFFFFFF
    if x is None:
        return 0
    return hash(x)


def _keyfunc(key: Any) -> Callable:
    return key if callable(key) else itemgetter(key)


def _split(grouper: Callable, nout: int, seq: Iterable) -> list:
    buckets: list = [{} for _ in range(nout)]
    for x in seq:
        k = grouper(x)
        d = buckets[stable_hash(k) % nout]
        group = d.get(k)
        if group is None:
            d[k] = [x]
        else:
            group.append(x)
    return buckets


def _collect(pieces: list) -> list:
    out: dict = {}
    for piece in pieces:
        for k, xs in piece.items():
            group = out.get(k)
            if group is None:
                out[k] = list(xs)
            else:
                group.extend(xs)
    return list(out.items())


def _join_partition(part: Iterable, other: Iterable, on_self: Callable, on_other: Callable) -> list:
    index: dict = {}
    for y in other:
        index.setdefault(on_other(y), []).append(y)
    out = []
    for x in part:
        for y in index.get(on_self(x), ()):
            out.append((y, x))
    return out


def _product(a: Iterable, b: Iterable) -> list:
    return list(product(reify(a), reify(b)))


def _accumulate_part(
    binop: Callable, initial: Any, first: bool, part: Iterable, prev: Any
) -> tuple:
    """``(accumulated list, (has_value, last))`` of one partition, carrying ``prev`` in."""
    has, last = prev if prev is not None else (False, None)
    seq = reify(part)
    if first and initial is not no_default:
        out = list(_accumulate(seq, binop, initial=initial))
    elif has:
        out = list(_accumulate(seq, binop, initial=last))[1:]
    else:
        out = list(_accumulate(seq, binop))
    if out:
        return out, (True, out[-1])
    return out, (has, last)


def _concat_parts(parts: list) -> list:
    return list(chain.from_iterable(parts))


def _piece(j: int, n: int, part: Iterable) -> list:
    seq = reify(part)
    if type(seq) is not list:
        seq = list(seq)
    size, extra = divmod(len(seq), n)
    start = j * size + min(j, extra)
    return seq[start : start + size + (1 if j < extra else 0)]


def _even(total: int, n: int) -> list:
    """Split ``total`` into ``n`` counts differing by at most one."""
    size, extra = divmod(total, n)
    return [size + (1 if i < extra else 0) for i in range(n)]


class BagShuffle:
    """Shuffle, join and repartition methods of :class:`~mpiflow.bag.Bag` (a mixin).

    Examples
    --------
    >>> import mpiflow.bag as db
    >>> db.from_sequence([1, 2, 3], npartitions=3).repartition(1).npartitions
    1
    """

    __slots__ = ()

    def _new(self, name: str, layer: dict, deps: list, n: int) -> Any:
        return type(self)(LayeredGraph.from_layer(name, layer, deps), name, n)

    def groupby(self, grouper: Any, npartitions: int | None = None, **kwargs: Any) -> Any:
        """Group elements by key: a bag of ``(key, [elements])`` pairs, via a hash shuffle.

        Costly: every element moves to the partition of its key. If the
        groups are then reduced (summed, counted...), use :meth:`foldby`,
        which never moves elements.

        Parameters
        ----------
        grouper : callable or hashable
            ``grouper(x)`` is the key of ``x`` (``x[grouper]`` if not callable).
        npartitions : int, optional
            Output partitions; default: as many as the input.
        **kwargs
            ``method=``/``shuffle=``/``max_branch=`` are accepted for Dask
            compatibility and ignored (there is one method: a task shuffle).

        Examples
        --------
        >>> import mpiflow.bag as db
        >>> b = db.from_sequence(['ab', 'b', 'ac', 'bc'], npartitions=2)
        >>> sorted(b.groupby(lambda s: s[0]).compute(scheduler='sync'))
        [('a', ['ab', 'ac']), ('b', ['b', 'bc'])]
        """
        keyf = _keyfunc(grouper)
        nout = self.npartitions if npartitions is None else int(npartitions)
        if nout < 1:
            raise ValueError(f"groupby: npartitions must be at least 1, got {npartitions}")
        tok = tokenize(self.name, grouper, nout)
        split, piece = f"groupby-split-{tok}", f"groupby-piece-{tok}"
        name = f"groupby-collect-{tok}"
        src, nin = self.name, self.npartitions
        splits = {(split, i): (_split, keyf, nout, (src, i)) for i in range(nin)}
        g = LayeredGraph.from_layer(split, splits, [self])
        # one small task per (input, output) pair: the process scheduler then ships
        # each split to a worker a few times (tasks travel in batches), instead of
        # shipping every split to every output task
        pieces = {(piece, i, j): (getitem, (split, i), j) for i in range(nin) for j in range(nout)}
        g = LayeredGraph.from_layer(piece, pieces, [g])
        layer = {(name, j): (_collect, [(piece, i, j) for i in range(nin)]) for j in range(nout)}
        return type(self)(LayeredGraph.from_layer(name, layer, [g]), name, nout)

    def join(self, other: Any, on_self: Any, on_other: Any = None) -> Any:
        """Join with a small collection: ``(other_element, self_element)`` for every match.

        Parameters
        ----------
        other : iterable, Delayed or Bag with one partition
            Held whole in memory by every task.
        on_self : callable or hashable
            Join key of this bag's elements.
        on_other : callable or hashable, optional
            Join key of ``other``'s elements; default ``on_self``.

        Examples
        --------
        >>> import mpiflow.bag as db
        >>> people = db.from_sequence(['Alice', 'Bob', 'Carol'])
        >>> people.join(['Apple', 'Avocado', 'Cherry'], lambda s: s[0]).compute(
        ...     scheduler='sync')
        [('Apple', 'Alice'), ('Avocado', 'Alice'), ('Cherry', 'Carol')]
        """
        on_self = _keyfunc(on_self)
        on_other = on_self if on_other is None else _keyfunc(on_other)
        deps: list = [self]
        if isinstance(other, type(self)):
            if other.npartitions != 1:
                raise ValueError(
                    f"join: a Bag to join with must have one partition, got "
                    f"{other.npartitions}; use other.repartition(1) (it is held in memory)"
                )
            deps.append(other)
            ref: Any = (other.name, 0)
            otok = other.name
        elif hasattr(type(other), "__mpiflow_graph__"):
            ref = graph_arg(other, deps)
            otok = ref
        else:
            other = tuple(other)
            ref = quote_argument(other)
            otok = other
        name = f"join-{tokenize(self.name, otok, on_self, on_other)}"
        layer = {
            (name, i): (_join_partition, (self.name, i), ref, on_self, on_other)
            for i in range(self.npartitions)
        }
        return self._new(name, layer, deps, self.npartitions)

    def product(self, other: Any) -> Any:
        """The cartesian product with another bag: every ``(x, y)`` pair.

        The result has ``self.npartitions * other.npartitions`` partitions.

        Examples
        --------
        >>> import mpiflow.bag as db
        >>> a, b = db.from_sequence([1, 2]), db.from_sequence('xy')
        >>> a.product(b).compute(scheduler='sync')
        [(1, 'x'), (1, 'y'), (2, 'x'), (2, 'y')]
        """
        if not isinstance(other, type(self)):
            raise TypeError(f"product: expected a Bag, got {type(other).__name__}")
        name = f"product-{tokenize(self.name, other.name)}"
        n2 = other.npartitions
        layer = {
            (name, i * n2 + j): (_product, (self.name, i), (other.name, j))
            for i in range(self.npartitions)
            for j in range(n2)
        }
        return self._new(name, layer, [self, other], self.npartitions * n2)

    def accumulate(self, binop: Callable, initial: Any = no_default) -> Any:
        """Running totals: ``binop`` applied cumulatively, as :func:`itertools.accumulate`.

        With ``initial`` the result starts with it. Partitions run one after
        the other, each taking the last total of the one before.

        Examples
        --------
        >>> import mpiflow.bag as db
        >>> from operator import add
        >>> b = db.from_sequence([1, 2, 3, 4], npartitions=2)
        >>> b.accumulate(add).compute(scheduler='sync')
        [1, 3, 6, 10]
        >>> b.accumulate(add, initial=100).compute(scheduler='sync')
        [100, 101, 103, 106, 110]
        """
        tok = tokenize(self.name, binop, initial)
        state, name = f"accumulate-state-{tok}", f"{funcname(binop)}-accumulate-{tok}"
        states: dict = {}
        prev: Any = None
        for i in range(self.npartitions):
            states[(state, i)] = (
                _accumulate_part,
                binop,
                initial,
                i == 0,
                (self.name, i),
                (getitem, prev, 1) if prev is not None else None,
            )
            prev = (state, i)
        g = LayeredGraph.from_layer(state, states, [self])
        layer = {(name, i): (getitem, (state, i), 0) for i in range(self.npartitions)}
        return type(self)(LayeredGraph.from_layer(name, layer, [g]), name, self.npartitions)

    def repartition(self, npartitions: int) -> Any:
        """The same elements, in the same order, in ``npartitions`` partitions.

        Fewer partitions concatenate neighbours; more split each partition
        into nearly equal pieces.

        Examples
        --------
        >>> import mpiflow.bag as db
        >>> b = db.from_sequence(range(6), npartitions=3)
        >>> [p.compute(scheduler='sync') for p in b.repartition(2).to_delayed()]
        [[0, 1, 2, 3], [4, 5]]
        >>> b.repartition(6).npartitions
        6
        """
        n = int(npartitions)
        if n < 1:
            raise ValueError(f"repartition: npartitions must be at least 1, got {npartitions}")
        if n == self.npartitions:
            return self
        name = f"repartition-{tokenize(self.name, n)}"
        layer: dict = {}
        if n < self.npartitions:
            start = 0
            for j, size in enumerate(_even(self.npartitions, n)):
                keys = [(self.name, i) for i in range(start, start + size)]
                layer[(name, j)] = (_concat_parts, keys)
                start += size
        else:
            j = 0
            for i, pieces in enumerate(_even(n, self.npartitions)):
                for p in range(pieces):
                    layer[(name, j)] = (_piece, p, pieces, (self.name, i))
                    j += 1
        return self._new(name, layer, [self], n)
