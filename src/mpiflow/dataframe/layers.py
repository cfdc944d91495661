"""The lazy partitionwise layer of dataframe graphs.

A :class:`PartitionwiseLayer` describes ``out[i] = func(*inputs[i])`` for every
partition ``i`` without making the tasks. It is a one-axis
:class:`~mpiflow.array.layers.BlockwiseLayer`, so the array optimizer's
layer-level fusion and culling apply to dataframes unchanged: a chain
``df[df.x > 0].y + 1`` becomes one task per partition.

Layers that select columns of one frame set ``columns_read`` (the names) and
``input_name`` (the layer read); column projection
(:mod:`mpiflow.dataframe.io.projection`) reads them.

Examples
--------
>>> layer = PartitionwiseLayer('y', abs, [('frame', 'x'), ('lit', 1)], 2)
>>> len(layer), layer[('y', 1)]
(2, (<built-in function abs>, ('x', 1), 1))
>>> layer.columns_read is None
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mpiflow.array.layers import BlockwiseLayer
from mpiflow.core.layers import LayeredGraph

__all__ = ["PartitionwiseLayer", "partition_args", "new_graph"]


def partition_args(args: list, npartitions: int) -> list:
    """Blockwise argument specs from partitionwise ones.

    ``('frame', name)`` reads partition ``i`` of layer ``name``; ``('lit', v)``
    passes ``v``; ``('key', k)`` passes the value of key ``k`` (a Scalar or a
    Delayed) to every partition.

    Examples
    --------
    >>> partition_args([('frame', 'x'), ('lit', 2)], 3)
    [('arr', 'x', ('.p',), (3,)), ('lit', 2)]
    """
    out = []
    for a in args:
        if a[0] == "frame":
            out.append(("arr", a[1], (_AXIS,), (npartitions,)))
        elif a[0] in ("lit", "key"):
            out.append(tuple(a))
        else:
            raise ValueError(f"unknown partitionwise argument kind {a[0]!r}")
    return out


_AXIS = ".p"  # the one index label of a partitionwise layer


class PartitionwiseLayer(BlockwiseLayer):
    """Tasks ``(name, i): (func, *args at partition i)`` for ``i < npartitions``, made lazily.

    Parameters
    ----------
    name : str
        Output layer name.
    func : callable
        Called with the arguments in order (bind keywords with ``functools.partial``).
    args : list
        ``('frame', name)``, ``('lit', value)`` or ``('key', key)`` per argument.
    npartitions : int
        Number of output partitions (every frame argument has as many).
    columns_read : frozenset, optional
        The columns this layer reads of its one frame input (``None``: all).
    input_name : str, optional
        That input's layer name.

    Examples
    --------
    >>> layer = PartitionwiseLayer('y', len, [('frame', 'x')], 3)
    >>> sorted(layer.to_dict())
    [('y', 0), ('y', 1), ('y', 2)]
    """

    def __init__(
        self,
        name: str,
        func: Callable,
        args: list,
        npartitions: int,
        columns_read: frozenset | None = None,
        input_name: str | None = None,
    ) -> None:
        super().__init__(
            name, (_AXIS,), func, partition_args(args, npartitions), {_AXIS: npartitions}
        )
        self.npartitions = npartitions
        self.columns_read = columns_read
        self.input_name = input_name

    def frame_inputs(self) -> list:
        """Names of the layers read partition by partition.

        Examples
        --------
        >>> PartitionwiseLayer('y', abs, [('frame', 'x'), ('lit', 0)], 1).frame_inputs()
        ['x']
        """
        return [a[1] for a in self.args if a[0] == "arr"]

    def __repr__(self) -> str:
        return f"PartitionwiseLayer<{self.name}, {self.npartitions} partitions>"


class _Ref:
    """A collection's graph and layer name, as ``LayeredGraph.from_layer`` reads them."""

    __slots__ = ("graph", "name")

    def __init__(self, graph: LayeredGraph, name: str) -> None:
        self.graph, self.name = graph, name


def new_graph(name: str, layer: Any, dependencies: Any = ()) -> LayeredGraph:
    """``LayeredGraph.from_layer`` that links the new layer to exactly each input's own layer.

    Frames are referred to by their layer name ``_name`` (a Series' ``name`` is
    its pandas name, as in Dask), so the dependency is exact and found in O(1).

    Examples
    --------
    >>> import pandas as pd, mpiflow.dataframe as dd
    >>> s = dd.from_pandas(pd.Series([1, 2], name='x'), npartitions=1)
    >>> g = new_graph('y', {('y', 0): (abs, (s._name, 0))}, [s])
    >>> g.dependencies['y'] == {s._name}
    True
    """
    refs = []
    for d in dependencies:
        own = getattr(type(d), "_name", None)
        g = getattr(d, "graph", None) if isinstance(own, property) else None
        refs.append(_Ref(g, d._name) if isinstance(g, LayeredGraph) else d)
    return LayeredGraph.from_layer(name, layer, refs)
