"""Column projection: push column selections into the layers that read files.

A query such as ``dd.read_csv(path).groupby('a').b.mean()`` uses two columns
of a file that may have many. Every layer that selects columns of one frame
records them (``columns_read``, ``input_name``). :func:`project_columns` looks
at the readers of each projectable :class:`~mpiflow.dataframe.io.from_map.IOLayer`:
if all of them are such selections, the IO layer is re-made to read only the
union of their columns (``usecols`` for CSV, ``columns`` for Parquet). If any
reader uses the whole frame, or the IO layer's own partitions are asked for,
nothing changes. Dask's optimizer does the same; here it is one pass over the
layers, independent of the number of partitions.

Examples
--------
>>> import pandas as pd
>>> from mpiflow.dataframe.io.from_map import from_map
>>> def load(i, columns=None):
...     df = pd.DataFrame({'a': [i], 'b': [i], 'c': [i]})
...     return df if columns is None else df[columns]
>>> ddf = from_map(load, [1, 2], columns_arg='columns')
>>> s = ddf['b']
>>> g = project_columns(s.graph, [(s._name, 0), (s._name, 1)])
>>> g.layers[ddf._name].columns
['b']
"""

from __future__ import annotations

from typing import Any

from mpiflow.core.layers import LayeredGraph
from mpiflow.dataframe.io.from_map import IOLayer

__all__ = ["project_columns", "columns_needed"]


def _flat_keys(keys: Any, out: set) -> None:
    if isinstance(keys, list):
        for k in keys:
            _flat_keys(k, out)
    else:
        out.add(keys[0] if type(keys) is tuple and keys else keys)


def columns_needed(graph: LayeredGraph, name: str) -> set | None:
    """The columns of layer ``name`` its readers use, or ``None`` if one may use them all.

    Examples
    --------
    >>> from mpiflow.core.layers import LayeredGraph
    >>> columns_needed(LayeredGraph({'x': {}}, {}), 'x') is None
    True
    """
    cols: set = set()
    readers = 0
    for other, deps in graph.dependencies.items():
        if name not in deps:
            continue
        readers += 1
        layer = graph.layers[other]
        read = getattr(layer, "columns_read", None)
        if read is None or getattr(layer, "input_name", None) != name:
            return None
        cols.update(read)
    return cols if readers else None


def project_columns(graph: Any, keys: Any) -> Any:
    """Return ``graph`` with IO layers reading only the columns their readers use.

    Parameters
    ----------
    graph : LayeredGraph
        The graph, culled to what ``keys`` need (other mappings are returned as they are).
    keys : list
        The output keys (layers holding them are never narrowed).

    Returns
    -------
    LayeredGraph
        The same layers, with narrowed :class:`IOLayer` s where possible (the
        layer names, so every key, stay the same).

    Examples
    --------
    >>> import pandas as pd
    >>> from mpiflow.dataframe.io.from_map import from_map
    >>> def load(i, columns=None):
    ...     df = pd.DataFrame({'a': [i], 'b': [i]})
    ...     return df if columns is None else df[columns]
    >>> ddf = from_map(load, [1], columns_arg='columns')
    >>> g = project_columns(ddf.graph, [(ddf._name, 0)])  # the frame itself: all columns
    >>> g.layers[ddf._name].columns is None
    True
    """
    if not isinstance(graph, LayeredGraph):
        return graph
    candidates = [
        name
        for name, layer in graph.layers.items()
        if isinstance(layer, IOLayer) and layer.projectable
    ]
    if not candidates:
        return graph
    asked: set = set()
    _flat_keys(keys if isinstance(keys, list) else [keys], asked)
    layers = None
    for name in candidates:
        if name in asked:
            continue
        cols = columns_needed(graph, name)
        if cols is None:
            continue
        layer = graph.layers[name]
        new = layer.project(cols)
        if new is layer:
            continue
        if layers is None:
            layers = dict(graph.layers)
        layers[name] = new
    if layers is None:
        return graph
    return LayeredGraph(layers, graph.dependencies)
