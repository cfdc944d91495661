"""The dataframe graph optimizer: cull, project columns, fuse partitionwise chains.

1. Layers the requested keys do not need are dropped.
2. Column projection (:func:`mpiflow.dataframe.io.projection.project_columns`)
   re-makes file-reading layers so that they read only the columns their
   readers select (``columns_read`` of :class:`~mpiflow.dataframe.layers.PartitionwiseLayer`).
3. Chains of partitionwise layers are fused into one task per partition,
   and a source task read by one task is made inside it; keys nobody needs
   are dropped. Steps 3 reuse the array optimizer
   (:func:`mpiflow.array.optimization.optimize`): a partitionwise layer is a
   one-axis blockwise layer.

Examples
--------
>>> import pandas as pd, mpiflow.dataframe as dd
>>> df = dd.from_pandas(pd.DataFrame({'a': range(4)}), npartitions=2)
>>> s = (df.a + 1) * 2
>>> dsk = optimize(s.graph, s.__mpiflow_keys__())
>>> len(dsk)  # two partitions of data, two fused tasks
4
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mpiflow import config
from mpiflow.array.optimization import optimize as _array_optimize
from mpiflow.core.layers import LayeredGraph
from mpiflow.core.traverse import cull

__all__ = ["optimize", "merge_graphs"]


def optimize(dsk: Mapping, keys: list, fuse: bool | None = None, **kwargs: Any) -> dict:
    """Optimize a dataframe graph for the flat list of output ``keys``.

    Parameters
    ----------
    dsk : Mapping
        A :class:`~mpiflow.core.layers.LayeredGraph` or a plain dict.
    keys : list
        The output keys.
    fuse : bool, optional
        Fuse partitionwise chains (default: configuration ``dataframe.fuse``, True).
    **kwargs
        Ignored (options of ``compute`` meant for the scheduler).

    Returns
    -------
    dict

    Examples
    --------
    >>> import pandas as pd, mpiflow.dataframe as dd
    >>> s = dd.from_pandas(pd.Series(range(4)), npartitions=2) + 1
    >>> sorted(k[1] for k in optimize(s.graph, [(s._name, 0)]) if k[0] == s._name)
    [0]
    """
    if fuse is None:
        fuse = config.get("dataframe.fuse", True)
    if not isinstance(dsk, LayeredGraph):
        return cull(dsk, keys)[0]
    layers = dsk.layers
    heads = {k[0] if type(k) is tuple and k else k for k in keys}
    if all(isinstance(h, str) and h in layers for h in heads):
        g = dsk.cull_layers(heads)  # keys named after their layers: no per-key lookups
    else:
        try:
            g = dsk.cull_keys(keys)
        except KeyError:
            return cull(dsk.to_dict(), keys)[0]  # raises MissingKeyError with hints
    from mpiflow.dataframe.io.projection import project_columns

    g = project_columns(g, keys)
    return _array_optimize(g, keys, fuse=fuse)


def merge_graphs(collections: list) -> LayeredGraph:
    """The merged LayeredGraph of dataframe collections (frames and Scalars alike).

    Frames and Scalars share this function (and :func:`optimize`), so
    ``mpiflow.compute(df.x.sum(), df.y + 1)`` is optimized as one graph:
    shared work is fused and read once.

    Examples
    --------
    >>> import pandas as pd, mpiflow.dataframe as dd
    >>> s = dd.from_pandas(pd.Series([1, 2]), npartitions=2)
    >>> sorted(merge_graphs([s, s + 1]).layers) == sorted((s + 1).graph.layers)
    True
    """
    if len(collections) == 1:
        return collections[0].__mpiflow_graph__()
    return LayeredGraph.merge(*[c.__mpiflow_graph__() for c in collections])
