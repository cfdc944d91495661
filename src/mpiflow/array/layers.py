"""The lazy blockwise layer and fused block programs.

A :class:`BlockwiseLayer` describes ``out[block] = func(*input blocks)`` for
every output block without making the tasks: they are made on demand, all at
once by :meth:`BlockwiseLayer.to_dict` or one at a time by ``layer[key]``.
:class:`Fused` is the function of a layer made by fusing a chain of blockwise
layers: it runs the chain's functions in order on one block and drops each
intermediate result as soon as no later step needs it.

Examples
--------
>>> import numpy as np
>>> layer = BlockwiseLayer('y', (0,), np.negative, [('arr', 'x', (0,), (2,))], {0: 2})
>>> len(layer), layer[('y', 1)]
(2, (<ufunc 'negative'>, ('x', 1)))
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import partial
from itertools import product
from typing import Any

import numpy as np

from mpiflow.core.spec import quote_argument

__all__ = ["BlockwiseLayer", "Fused", "WholeInputLayer", "concatenate_nested"]


def concatenate_nested(nested: Any, axes: tuple) -> Any:
    """Concatenate a nested list of blocks, level ``k`` along ``axes[k]``.

    Examples
    --------
    >>> import numpy as np
    >>> concatenate_nested([[np.ones((1, 2)), np.zeros((1, 1))]], (0, 1))
    array([[1., 1., 0.]])
    """
    if not axes:
        return nested
    if len(axes) == 1:
        return nested[0] if len(nested) == 1 else np.concatenate(nested, axis=axes[0])
    parts = [concatenate_nested(n, axes[1:]) for n in nested]
    return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=axes[0])


class BlockwiseLayer(Mapping):
    """Tasks ``(name, *coord): (func, *input blocks)`` for every output block, made lazily.

    Parameters
    ----------
    name : str
        Output name.
    out_ind : tuple
        Output index labels.
    func : callable
        Called with the arguments in order.
    args : list
        One entry per argument: ``('arr', name, ind, numblocks)`` for blocks of
        an array, ``('lit', value)`` for a literal, ``('key', key)`` for a key
        of another collection passed whole.
    nb_label : dict
        ``{label: number of blocks}`` for every label (output and contracted).
    concatenate : bool
        Concatenate the blocks along contracted labels instead of passing lists.

    Examples
    --------
    >>> import numpy as np
    >>> layer = BlockwiseLayer('z', 'i', np.add, [('arr', 'x', 'i', (2,)), ('lit', 1)], {'i': 2})
    >>> layer.to_dict()[('z', 0)]
    (<ufunc 'add'>, ('x', 0), 1)
    """

    def __init__(
        self,
        name: str,
        out_ind: Any,
        func: Callable,
        args: list,
        nb_label: dict,
        concatenate: bool = False,
    ) -> None:
        self.name = name
        self.out_ind = tuple(out_ind)
        self.func = func
        self.args = [tuple(a) for a in args]
        self.nb_label = dict(nb_label)
        self.concatenate = concatenate
        self.per_block: Callable | None = None  # coord -> func (map_blocks block_id/info)
        self._dict: dict | None = None

    @property
    def numblocks(self) -> tuple:
        """Blocks per output axis.

        Examples
        --------
        >>> BlockwiseLayer('y', 'ij', abs, [('arr', 'x', 'ij', (2, 3))], {'i': 2, 'j': 3}).numblocks
        (2, 3)
        """
        return tuple(self.nb_label[lab] for lab in self.out_ind)

    def contracted(self) -> list:
        """Labels of the inputs that the output lacks, in order of appearance.

        Examples
        --------
        >>> layer = BlockwiseLayer('y', 'i', sum, [('arr', 'x', 'ij', (2, 3))], {'i': 2, 'j': 3})
        >>> layer.contracted()
        ['j']
        """
        out = []
        for a in self.args:
            if a[0] == "arr":
                for lab in a[2]:
                    if lab not in self.out_ind and lab not in out:
                        out.append(lab)
        return out

    # -- task making -------------------------------------------------------------------
    def _plan(self) -> list:
        """Per argument: how to make its graph form from an output coordinate."""
        pos = {lab: i for i, lab in enumerate(self.out_ind)}
        plan = []
        for a in self.args:
            kind = a[0]
            if kind == "lit":
                plan.append(("lit", quote_argument(a[1])))
            elif kind == "key":
                plan.append(("lit", a[1]))
            else:
                _, name, ind, nb = a
                if all(lab in pos for lab in ind):
                    where = tuple(pos[lab] if n > 1 else -1 for lab, n in zip(ind, nb, strict=True))
                    plan.append(("blk", name, where))
                else:
                    plan.append(("nest", name, ind, nb))
        return plan

    def _nested(self, name: str, ind: tuple, nb: tuple, coord: tuple) -> Any:
        pos = {lab: i for i, lab in enumerate(self.out_ind)}
        free = [d for d, lab in enumerate(ind) if lab not in pos]
        base = [
            coord[pos[lab]] if (lab in pos and n > 1) else 0 for lab, n in zip(ind, nb, strict=True)
        ]

        def build(k: int) -> Any:
            if k == len(free):
                return (name, *base)
            d = free[k]
            out = []
            for j in range(nb[d]):
                base[d] = j
                out.append(build(k + 1))
            return out

        keys = build(0)
        if self.concatenate:
            return (concatenate_nested, keys, tuple(free))
        return keys

    def _task(self, coord: tuple, plan: list) -> tuple:
        func = self.func if self.per_block is None else self.per_block(coord)
        targs: list = [func]
        for p in plan:
            kind = p[0]
            if kind == "blk":
                targs.append((p[1], *[coord[i] if i >= 0 else 0 for i in p[2]]))
            elif kind == "lit":
                targs.append(p[1])
            else:
                targs.append(self._nested(p[1], p[2], p[3], coord))
        return tuple(targs)

    def to_dict(self) -> dict:
        """All tasks of the layer as a dict (made once, then cached).

        Examples
        --------
        >>> BlockwiseLayer('y', 'i', abs, [('arr', 'x', 'i', (2,))], {'i': 2}).to_dict()[('y', 1)]
        (<built-in function abs>, ('x', 1))
        """
        if self._dict is None:
            self._dict = self.materialize()
        return self._dict

    def tasks(self, keys: Any) -> dict:
        """The tasks of some of the layer's keys, as a new dict (what a partial cull uses).

        Examples
        --------
        >>> BlockwiseLayer('y', 'i', abs, [('arr', 'x', 'i', (3,))], {'i': 3}).tasks([('y', 2)])
        {('y', 2): (<built-in function abs>, ('x', 2))}
        """
        plan = self._plan()
        out = {}
        for k in keys:
            coord = self._coord(k)
            if coord is None:
                raise KeyError(k)
            out[k] = self._task(coord, plan)
        return out

    def materialize(self) -> dict:
        """All tasks as a new dict, not cached (what the optimizer uses).

        Examples
        --------
        >>> len(BlockwiseLayer('y', 'i', abs, [('arr', 'x', 'i', (3,))], {'i': 3}).materialize())
        3
        """
        plan = self._plan()
        name = self.name
        task = self._task
        return {
            (name, *coord): task(coord, plan)
            for coord in product(*[range(n) for n in self.numblocks])
        }

    # -- Mapping -----------------------------------------------------------------------
    def _coord(self, key: Any) -> tuple | None:
        if type(key) is not tuple or not key or key[0] != self.name:
            return None
        coord = key[1:]
        nb = self.numblocks
        if len(coord) != len(nb):
            return None
        for c, n in zip(coord, nb, strict=True):
            if type(c) is not int or not 0 <= c < n:
                return None
        return coord

    def __getitem__(self, key: Any) -> Any:
        if self._dict is not None:
            return self._dict[key]
        coord = self._coord(key)
        if coord is None:
            raise KeyError(key)
        return self._task(coord, self._plan())

    def __contains__(self, key: Any) -> bool:
        return self._coord(key) is not None

    def __iter__(self) -> Iterator:
        return iter(self.to_dict())

    def __len__(self) -> int:
        n = 1
        for b in self.numblocks:
            n *= b
        return n

    def __repr__(self) -> str:
        return f"BlockwiseLayer<{self.name}, {len(self)} tasks>"

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_dict"] = None
        return state


class WholeInputLayer(dict):
    """A layer of ready-made tasks that, together, read every block of every input.

    A promise to the optimizer (a tree reduction keeps it): when every output
    block of the layer is needed, so is every key of the layer and of the
    layers it reads, and the optimizer keeps them whole without walking the
    tasks. Otherwise it behaves as the plain ``dict`` it is.

    Examples
    --------
    >>> layer = WholeInputLayer({('s',): (sum, [('x', 0), ('x', 1)])})
    >>> layer[('s',)]
    (<built-in function sum>, [('x', 0), ('x', 1)])
    """

    __slots__ = ("outputs",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.outputs: int | None = None  # the optimizer counts the output blocks once

    def __reduce__(self):
        return (type(self), (dict(self),))


class _Placeholder:
    """Stands for a function that map_blocks calls with per-block keywords."""

    def __init__(self, func: Callable) -> None:
        self.func = func

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.func(*args, **kwargs)


class _BlockInfo:
    """``coord -> func`` with that block's ``block_id``/``block_info`` bound (picklable)."""

    def __init__(
        self,
        func: Callable,
        kwargs: dict,
        block_id: bool,
        block_info: bool,
        out_ind: tuple,
        out_chunks: tuple,
        out_dtype: Any,
        inputs: list,
    ) -> None:
        self.func, self.kwargs = func, kwargs
        self.block_id, self.block_info = block_id, block_info
        self.out_ind, self.out_chunks, self.out_dtype = out_ind, out_chunks, out_dtype
        self.inputs = inputs  # (argument position, index, numblocks, shape)

    def _info(self, coord: tuple) -> dict:
        from mpiflow.array.chunks import cumdims

        starts = cumdims(self.out_chunks)
        out_loc = [(starts[d][c], starts[d][c + 1]) for d, c in enumerate(coord)]
        info: dict = {}
        for i, ind, nb, shape in self.inputs:
            loc, where = [], []
            for d, lab in enumerate(ind):
                if nb[d] > 1 and lab in self.out_ind:
                    k = self.out_ind.index(lab)
                    loc.append(coord[k])
                    where.append(out_loc[k])
                else:  # one block, or all blocks concatenated
                    loc.append(0)
                    where.append((0, shape[d]))
            info[i] = {
                "shape": shape,
                "num-chunks": nb,
                "chunk-location": tuple(loc),
                "array-location": where,
            }
        info[None] = {
            "shape": tuple(sum(c) for c in self.out_chunks),
            "num-chunks": tuple(len(c) for c in self.out_chunks),
            "chunk-location": coord,
            "array-location": out_loc,
            "chunk-shape": tuple(self.out_chunks[d][c] for d, c in enumerate(coord)),
            "dtype": self.out_dtype,
        }
        return info

    def __call__(self, coord: tuple) -> Callable:
        kw = dict(self.kwargs)
        if self.block_id:
            kw["block_id"] = coord
        if self.block_info:
            kw["block_info"] = self._info(coord)
        return partial(self.func, **kw)


def _with_block_info(
    out: Any, func: Callable, pairs: list, kwargs: dict, block_id: bool, block_info: bool
) -> Any:
    """Make the layer of ``out`` pass ``block_id``/``block_info`` to ``func`` per block."""
    layer = out.graph.layers[out.name]
    inputs = [
        (i, a[2], tuple(a[3]), tuple(pairs[2 * i].shape))
        for i, a in enumerate(layer.args)
        if a[0] == "arr"
    ]
    layer.per_block = _BlockInfo(
        func, kwargs, block_id, block_info, layer.out_ind, out.chunks, out.dtype, inputs
    )
    return out


class Fused:
    """A chain of block functions run on one block, freeing intermediates early.

    Parameters
    ----------
    steps : list
        ``(func, argspecs)`` pairs; an argspec is ``('in', i)`` (the i-th
        input), ``('tmp', j)`` (the result of step j) or ``('lit', value)``.
        The last step's result is returned.

    Examples
    --------
    >>> import numpy as np
    >>> f = Fused([(np.add, [('in', 0), ('lit', 1)]), (np.negative, [('tmp', 0)])])
    >>> f(np.arange(3))
    array([-1, -2, -3])
    """

    def __init__(self, steps: list) -> None:
        self.steps = [(f, [tuple(s) for s in specs]) for f, specs in steps]
        self._run = _compile(self.steps)
        self.__name__ = getattr(self.steps[-1][0], "__name__", "fused")

    def __call__(self, *inputs: Any) -> Any:
        return self._run(*inputs)

    def __reduce__(self):
        return (type(self), (self.steps,))

    def __repr__(self) -> str:
        names = [getattr(f, "__name__", type(f).__name__) for f, _ in self.steps]
        return f"Fused<{'-'.join(names)}>"


def _compile(steps: list) -> Callable:
    """A Python function running ``steps``, deleting each result after its last use."""
    last: dict = {}
    n_in = 0
    for i, (_, specs) in enumerate(steps):
        for s in specs:
            if s[0] == "tmp":
                last[s[1]] = i
            elif s[0] == "in":
                n_in = max(n_in, s[1] + 1)
    ns: dict = {}
    lines = [f"def run({', '.join(f'i{j}' for j in range(n_in))}{', ' if n_in else ''}*extra):"]
    for i, (f, specs) in enumerate(steps):
        ns[f"f{i}"] = f
        args = []
        for j, s in enumerate(specs):
            if s[0] == "in":
                args.append(f"i{s[1]}")
            elif s[0] == "tmp":
                args.append(f"t{s[1]}")
            else:
                ns[f"c{i}_{j}"] = s[1]
                args.append(f"c{i}_{j}")
        lines.append(f"    t{i} = f{i}({', '.join(args)})")
        dead = [f"t{k}" for k, at in last.items() if at == i]
        if dead:
            lines.append(f"    del {', '.join(dead)}")
    lines.append(f"    return t{len(steps) - 1}")
    exec("\n".join(lines), ns)  # noqa: S102 - code made from our own step list
    return ns["run"]
