"""LayeredGraph: a task graph kept as named layers with dependencies between them.

A collection operation adds one *layer* (a mapping of the keys it makes to
their tasks) on top of the layers of its inputs. Storing the graph as layers
makes building linear: an operation copies the small ``{name: layer}`` dict,
never the keys of its inputs. A layer may be any mapping, including a lazy
one that makes its tasks only when asked (see ``mpiflow.array.blockwise``).

The graph stays a ``Mapping`` of keys to tasks, so every scheduler accepts it;
:meth:`LayeredGraph.to_dict` flattens it once into a plain ``dict``.

Examples
--------
>>> from operator import add
>>> g = LayeredGraph.from_layer('x', {('x', 0): 1, ('x', 1): 2})
>>> h = LayeredGraph.from_layer('y', {('y', 0): (add, ('x', 0), ('x', 1))}, [g])
>>> sorted(h.layers), h.dependencies['y']
(['x', 'y'], frozenset({'x'}))
>>> h[('y', 0)]
(<built-in function add>, ('x', 0), ('x', 1))
>>> len(h)
3
"""

from __future__ import annotations

from collections.abc import ItemsView, Iterable, Iterator, KeysView, Mapping, ValuesView
from typing import Any

__all__ = ["LayeredGraph"]


def _graph_of(obj: Any) -> Any:
    """The graph of a dependency: a LayeredGraph, a collection, or a plain mapping."""
    if isinstance(obj, LayeredGraph):
        return obj
    g = getattr(obj, "graph", None)
    if isinstance(g, LayeredGraph):
        return g
    if hasattr(type(obj), "__mpiflow_graph__"):
        g = obj.__mpiflow_graph__()
        if isinstance(g, LayeredGraph):
            return g
        return g
    if isinstance(obj, Mapping):
        return obj
    raise TypeError(
        f"cannot take a task graph from {type(obj).__name__}: pass a LayeredGraph, an "
        "mpiflow collection or a dict"
    )


def _flatten_layer(layer: Mapping) -> Mapping:
    to_dict = getattr(layer, "to_dict", None)
    return to_dict() if to_dict is not None else layer


class LayeredGraph(Mapping):
    """A read-only task graph made of named layers.

    Parameters
    ----------
    layers : dict
        ``{layer_name: mapping_of_keys_to_tasks}``. Layers should not share keys.
    dependencies : dict
        ``{layer_name: set of layer names it reads}``; every layer must appear.

    Notes
    -----
    Looking up a key ``(name, i, ...)`` or ``name`` whose layer is called
    ``name`` is one dict lookup; other keys (for instance the partial results
    a reduction stores under ``name + '-partial'`` inside layer ``name``) are
    found through the flattened graph, made once and cached.

    Examples
    --------
    >>> g = LayeredGraph({'a': {'a': 1}, 'b': {'b': (abs, 'a')}},
    ...                  {'a': set(), 'b': {'a'}})
    >>> dict(g)
    {'a': 1, 'b': (<built-in function abs>, 'a')}
    >>> sorted(g.cull_layers(['a']).layers)
    ['a']
    """

    __slots__ = ("layers", "dependencies", "_flat")

    def __init__(self, layers: Mapping, dependencies: Mapping) -> None:
        self.layers: dict = dict(layers)
        deps = {k: frozenset(v) for k, v in dependencies.items()}
        missing = [k for k in self.layers if k not in deps]
        for k in missing:
            deps[k] = frozenset()
        unknown = {d for ds in deps.values() for d in ds if d not in self.layers}
        if unknown:
            raise ValueError(
                f"LayeredGraph: dependencies name layers that are not in the graph: "
                f"{sorted(map(str, unknown))}; add those layers or drop them from dependencies"
            )
        self.dependencies: dict = deps
        self._flat: dict | None = None

    # -- construction -----------------------------------------------------------------
    @classmethod
    def from_layer(cls, name: Any, layer: Mapping, dependencies: Iterable = ()) -> LayeredGraph:
        """A graph of the layers of ``dependencies`` plus a new layer ``name``.

        Parameters
        ----------
        name : hashable
            The new layer's name (usually the collection's name).
        layer : Mapping
            The new layer's keys and tasks.
        dependencies : iterable
            LayeredGraphs, collections (their ``.graph`` or ``__mpiflow_graph__()``)
            or plain dicts the new layer reads; a plain dict becomes one layer.

        Examples
        --------
        >>> g = LayeredGraph.from_layer('x', {('x', 0): 1})
        >>> LayeredGraph.from_layer('y', {('y', 0): (abs, ('x', 0))}, [g]).dependencies
        {'x': frozenset(), 'y': frozenset({'x'})}
        """
        layers: dict = {}
        deps: dict = {}
        direct = set()
        for d in dependencies:
            g = _graph_of(d)
            if isinstance(g, LayeredGraph):
                if len(g.layers) > len(layers):  # copy the bigger one first
                    big_l, big_d = dict(g.layers), dict(g.dependencies)
                    big_l.update(layers)
                    big_d.update(deps)
                    layers, deps = big_l, big_d
                else:
                    layers.update(g.layers)
                    deps.update(g.dependencies)
                own = getattr(d, "name", None)
                try:
                    known = own is not None and own in g.layers
                except TypeError:
                    known = False
                direct.update((own,) if known else g._outputs())
            else:
                lname = f"dict-{id(g)}"
                layers[lname] = g
                deps[lname] = frozenset()
                direct.add(lname)
        direct.discard(name)
        layers[name] = layer
        deps[name] = frozenset(direct)
        out = cls.__new__(cls)
        out.layers = layers
        out.dependencies = deps
        out._flat = None
        return out

    @classmethod
    def merge(cls, *graphs: Any) -> LayeredGraph:
        """Merge graphs layer by layer (linear in the number of layers).

        Examples
        --------
        >>> a = LayeredGraph.from_layer('a', {'a': 1})
        >>> b = LayeredGraph.from_layer('b', {'b': 2})
        >>> sorted(LayeredGraph.merge(a, b))
        ['a', 'b']
        """
        layers: dict = {}
        deps: dict = {}
        for g in graphs:
            g = _graph_of(g)
            if isinstance(g, LayeredGraph):
                layers.update(g.layers)
                deps.update(g.dependencies)
            else:
                lname = f"dict-{id(g)}"
                layers[lname] = g
                deps[lname] = frozenset()
        out = cls.__new__(cls)
        out.layers = layers
        out.dependencies = deps
        out._flat = None
        return out

    def _outputs(self) -> set:
        """Layers no other layer depends on (the tips)."""
        used = set()
        for ds in self.dependencies.values():
            used.update(ds)
        return {k for k in self.layers if k not in used}

    # -- culling ----------------------------------------------------------------------
    def cull_layers(self, names: Iterable) -> LayeredGraph:
        """Keep the layers ``names`` and every layer they depend on, directly or not.

        Examples
        --------
        >>> g = LayeredGraph({'a': {}, 'b': {}, 'c': {}}, {'b': {'a'}})
        >>> sorted(g.cull_layers(['b']).layers)
        ['a', 'b']
        """
        keep: dict = {}
        stack = [n for n in names if n in self.layers]
        while stack:
            n = stack.pop()
            if n in keep:
                continue
            ds = self.dependencies[n]
            keep[n] = ds
            stack.extend(ds)
        out = LayeredGraph.__new__(LayeredGraph)
        out.layers = {k: v for k, v in self.layers.items() if k in keep}
        out.dependencies = {k: self.dependencies[k] for k in out.layers}
        out._flat = None
        return out

    def layer_of(self, key: Any) -> Any:
        """The name of the layer holding ``key``.

        Examples
        --------
        >>> LayeredGraph.from_layer('x', {('x', 0): 1}).layer_of(('x', 0))
        'x'
        """
        layers = self.layers
        head = key[0] if type(key) is tuple and key else key
        try:
            if head in layers and key in layers[head]:
                return head
        except TypeError:
            pass
        for name, layer in layers.items():
            if key in layer:
                return name
        raise KeyError(key)

    def cull_keys(self, keys: Iterable) -> LayeredGraph:
        """Keep only the layers that hold ``keys`` and what they depend on.

        Examples
        --------
        >>> g = LayeredGraph({'a': {'a': 1}, 'b': {'b': 2}}, {})
        >>> list(g.cull_keys(['b']))
        ['b']
        """
        names = set()
        for k in keys:
            names.add(self.layer_of(k))
        return self.cull_layers(names)

    # -- flattening -------------------------------------------------------------------
    def to_dict(self) -> dict:
        """The graph as one plain ``dict`` (made once, then cached).

        Examples
        --------
        >>> LayeredGraph({'a': {'a': 1}}, {}).to_dict()
        {'a': 1}
        """
        flat = self._flat
        if flat is None:
            layers = list(self.layers.values())
            if len(layers) == 1 and type(layers[0]) is dict:
                flat = layers[0]
            else:
                flat = {}
                for layer in layers:
                    flat.update(_flatten_layer(layer))
            self._flat = flat
        return flat

    # -- Mapping ----------------------------------------------------------------------
    def __getitem__(self, key: Any) -> Any:
        if self._flat is None and type(key) is tuple and key:
            layer = self.layers.get(key[0]) if isinstance(key[0], str) else None
            if layer is not None:
                try:
                    return layer[key]
                except KeyError:
                    pass
        elif self._flat is None and isinstance(key, str):
            layer = self.layers.get(key)
            if layer is not None and key in layer:
                return layer[key]
        return self.to_dict()[key]

    def __contains__(self, key: Any) -> bool:
        try:
            self[key]
        except (KeyError, TypeError):
            return False
        return True

    def __iter__(self) -> Iterator:
        return iter(self.to_dict())

    def __len__(self) -> int:
        return len(self.to_dict())

    def keys(self) -> KeysView:
        """The flattened graph's ``keys()``.

        Examples
        --------
        >>> list(LayeredGraph({'a': {'a': 1}}, {}).keys())
        ['a']
        """
        return self.to_dict().keys()

    def items(self) -> ItemsView:
        """The flattened graph's ``items()``.

        Examples
        --------
        >>> list(LayeredGraph({'a': {'a': 1}}, {}).items())
        [('a', 1)]
        """
        return self.to_dict().items()

    def values(self) -> ValuesView:
        """The flattened graph's ``values()``.

        Examples
        --------
        >>> list(LayeredGraph({'a': {'a': 1}}, {}).values())
        [1]
        """
        return self.to_dict().values()

    def __repr__(self) -> str:
        return f"<LayeredGraph: {len(self.layers)} layers>"

    def __reduce__(self):
        return (LayeredGraph, (self.layers, self.dependencies))
