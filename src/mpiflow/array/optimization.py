"""The array graph optimizer: cull layers, fuse blockwise chains, cull keys.

1. Layers the requested keys do not need are dropped (cheap: per layer).
2. Chains of blockwise layers are fused at the layer level: a blockwise layer
   read only by one blockwise layer, block for block, is folded into it. The
   fused layer runs one :class:`~mpiflow.array.layers.Fused` task per block,
   so ``(x + 1) * 2`` is one task per block and the intermediate block is
   dropped as soon as it is used. This works on layer descriptions, so its
   cost does not depend on the number of blocks.
3. Keys are culled layer by layer (:func:`needed_keys`): a layer whose
   every block is needed is kept whole without reading its tasks, a partly
   needed one keeps only the keys its readers ask for. Then the layers are
   made into one dict, making only the needed tasks.
4. While flattening (:func:`fuse_into_readers`), a block of a blockwise
   layer or of a source layer (one reading no other layer: ``ones``,
   ``arange``, ``random``...) that exactly one task reads is made inside
   that task. ``(x + 1).sum()`` of a random ``x`` is then one task per
   block, which draws, adds and sums, so no random block waits in memory for
   its reader. A block read by several tasks (``x + x.T``) stays a key and is
   made once. Fusing never changes a value: the fused task calls the same
   functions with the same arguments.

Examples
--------
>>> import numpy as np
>>> from mpiflow.array.core import from_array
>>> x = from_array(np.arange(4), chunks=2)
>>> y = (x + 1) * 2
>>> dsk = optimize(y.graph, [(y.name, 0), (y.name, 1)])
>>> len(dsk)  # two source blocks (data, not tasks: kept), two fused tasks
4
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import product
from typing import Any

from mpiflow import config
from mpiflow.array.layers import BlockwiseLayer, Fused, WholeInputLayer
from mpiflow.core.layers import LayeredGraph
from mpiflow.core.spec import _deps_of, subs
from mpiflow.core.traverse import cull

__all__ = ["optimize", "needed_keys", "fuse_blockwise", "fuse_into_readers"]


def _group_keys(dsk: LayeredGraph, keys: list) -> dict | None:
    """``{layer name: set of keys}`` for the output keys; None if a key's layer is not found."""
    layers = dsk.layers
    heads: dict = {}
    for k in keys:  # the hot loop of a whole-array compute: keep it tight
        head = k[0] if type(k) is tuple and k else k
        ks = heads.get(head)
        if ks is None:
            ks = heads[head] = []
        ks.append(k)
    wanted: dict = {}
    for head, ks in heads.items():
        if isinstance(head, str) and head in layers:
            wanted[head] = set(ks)  # a key not in its layer raises KeyError in needed_keys
            continue
        for k in ks:  # keys not named after their layer (a reduction's partial keys)
            try:
                wanted.setdefault(dsk.layer_of(k), set()).add(k)
            except KeyError:
                return None
    return wanted


def optimize(dsk: Mapping, keys: list, fuse: bool | None = None, **kwargs: Any) -> dict:
    """Optimize an array graph for the flat list of output ``keys``.

    Parameters
    ----------
    dsk : Mapping
        A :class:`~mpiflow.core.layers.LayeredGraph` or a plain dict.
    keys : list
        The output keys.
    fuse : bool, optional
        Fuse blockwise chains (default: configuration ``array.fuse``, True).
    **kwargs
        Ignored (options of ``compute`` meant for the scheduler).

    Returns
    -------
    dict

    Examples
    --------
    >>> import numpy as np
    >>> from mpiflow.array.core import from_array
    >>> x = from_array(np.arange(4), chunks=2)
    >>> sorted(optimize((x + 1).graph, [(x.name, 0)]))  # doctest: +ELLIPSIS
    [('array-...', 0)]
    """
    if fuse is None:
        fuse = config.get("array.fuse", True)
    if not isinstance(dsk, LayeredGraph):
        return cull(dsk, keys)[0]
    wanted = _group_keys(dsk, keys)
    if wanted is None:
        return cull(dsk.to_dict(), keys)[0]  # raises MissingKeyError with hints
    g = dsk.cull_layers(wanted)
    if fuse:
        g = fuse_blockwise(g, set(wanted))
    try:
        need = needed_keys(g, wanted)
    except KeyError:  # a requested key is not in the graph
        return cull(dsk.to_dict(), keys)[0]  # raises MissingKeyError with hints
    if fuse:
        return fuse_into_readers(g, set(wanted), need)
    flat: dict = {}
    for name, layer in g.layers.items():
        d = _layer_tasks(layer, need.get(name))
        if d is not None:
            flat.update(d)
    return flat


_ALL = "all"  # in needed_keys' answer: every key of the layer


class _KeyIndex:
    """Which layer of ``layers`` holds a key (``None`` for literal data)."""

    __slots__ = ("layers", "_other")

    def __init__(self, layers: Mapping) -> None:
        self.layers = layers
        self._other: dict | None = None  # keys not named after their layer -> layer

    def layer(self, key: Any) -> Any:
        head = key[0] if type(key) is tuple and key else key
        try:
            layer = self.layers.get(head)
        except TypeError:
            return None
        if layer is not None and key in layer:
            return head
        if type(head) is not str:
            return None
        if self._other is None:  # a reduction's partial keys, keys of merged dicts
            self._other = {
                k: name
                for name, lay in self.layers.items()
                if not isinstance(lay, BlockwiseLayer)
                for k in lay
                if not (type(k) is tuple and k and k[0] == name) and k != name
            }
        return self._other.get(key)

    def __contains__(self, key: Any) -> bool:
        return self.layer(key) is not None


def _output_count(name: Any, layer: WholeInputLayer) -> int:
    """How many keys of ``layer`` are named after it (its output blocks; counted once)."""
    if layer.outputs is None:
        n = 0
        for k in layer:
            if type(k) is tuple:
                if k and k[0] == name:
                    n += 1
            elif k == name:
                n += 1
        layer.outputs = n
    return layer.outputs


def _reads_whole_inputs(layer: Any, deps: frozenset) -> bool:
    """True if the layer, all of it needed, needs every key of each layer in ``deps``."""
    if isinstance(layer, WholeInputLayer):
        return True
    if not isinstance(layer, BlockwiseLayer):
        return False
    arrays = {a[1] for a in layer.args if a[0] == "arr"}
    return arrays == set(deps)  # else a dependency is read through a key argument


def needed_keys(g: LayeredGraph, wanted: Mapping) -> dict:
    """Cull ``g`` layer by layer: the keys of each layer that the ``wanted`` keys need.

    Layers are visited from the outputs down. A layer all of whose output
    blocks are needed is kept whole (``'all'``), and if it is blockwise (or a
    :class:`~mpiflow.array.layers.WholeInputLayer`) so are its inputs, without
    looking at a task: computing a whole array costs one step per layer. Only
    the tasks of partly needed layers (and of whole layers of other kinds) are
    read, so ``x[0, :5]`` of a 10,000-block array reads one task.

    Parameters
    ----------
    g : LayeredGraph
        The graph, culled to the layers the outputs need.
    wanted : Mapping
        ``{layer name: set of its keys asked for}``.

    Returns
    -------
    dict
        ``{layer name: 'all' or set of keys}``; a layer nobody needs is absent.

    Examples
    --------
    >>> import numpy as np
    >>> from mpiflow.array.core import from_array
    >>> x = from_array(np.arange(8), chunks=2)
    >>> y = (x + 1)[:3]
    >>> need = needed_keys(y.graph, {y.name: {(y.name, 0), (y.name, 1)}})
    >>> need[x.name] == {(x.name, 0), (x.name, 1)}, need[y.name]
    (True, 'all')
    """
    layers, deps = g.layers, g.dependencies
    index = _KeyIndex(layers)
    need: dict = {name: set(ks) for name, ks in wanted.items()}  # (copies: _walk adds to them)
    for name in reversed(_toposort(layers, deps)):
        want = need.get(name)
        if want is None:
            continue
        layer = layers[name]
        if want is not _ALL and (
            len(want) == len(layer)
            or (isinstance(layer, WholeInputLayer) and len(want) == _output_count(name, layer))
        ):
            want = need[name] = _ALL
        if want is _ALL:
            if not deps[name]:
                continue
            if _reads_whole_inputs(layer, deps[name]):
                for d in deps[name]:
                    need[d] = _ALL
                continue
        _walk(name, layer, want, need, index)
    return need


def _walk(name: Any, layer: Mapping, want: Any, need: dict, index: _KeyIndex) -> None:
    """Read the needed tasks of one layer; record the keys they need in ``need``."""
    if want is _ALL:
        seen = set(layer)
        todo = list(seen)
    else:
        seen = want
        todo = list(want)
    tasks = layer.tasks(todo) if isinstance(layer, BlockwiseLayer) else None
    found: set = set()
    while todo:
        k = todo.pop()
        _deps_of(tasks[k] if tasks is not None and k in tasks else layer[k], index, found)
        for ref in found:
            where = index.layer(ref)
            if where == name:
                if ref not in seen:
                    seen.add(ref)
                    todo.append(ref)
            elif need.get(where) is not _ALL:
                need.setdefault(where, set()).add(ref)
        found.clear()
    if want is not _ALL and len(seen) == len(layer):
        need[name] = _ALL


def _layer_tasks(layer: Any, want: Any) -> dict | None:
    """The tasks of the needed keys of a layer as a dict (``None`` if none is needed)."""
    if want is None:
        return None
    if isinstance(layer, BlockwiseLayer):
        if want is _ALL:  # made afresh: layers keep no cache of tasks
            return layer.materialize() if layer._dict is None else dict(layer._dict)
        return layer.tasks(want)
    full = layer.to_dict() if hasattr(layer, "to_dict") else layer
    return full if want is _ALL else {k: full[k] for k in want}


def _refs(task: Any, keys: Mapping, out: list) -> None:
    """Append every reference to a key of ``keys`` found in argument positions of ``task``."""
    stack = [task]
    while stack:
        v = stack.pop()
        typ = type(v)
        if typ is tuple:
            if v and callable(v[0]):
                stack.extend(v[1:])
                continue
            try:
                if v in keys:
                    out.append(v)
            except TypeError:
                pass
        elif typ is list:
            stack.extend(v)


def fuse_into_readers(g: LayeredGraph, keep: set, need: Mapping | None = None) -> dict:
    """Flatten ``g``, substituting each block read by only one task into that task.

    Applies to the layers (not in ``keep``) read by only one other layer
    that are either blockwise, or sources: layers reading no other layer
    (``ones``, ``arange``, ``random``...), whose tasks refer to no key. A
    block used once by one task is made inside that task (a reduction's
    first step, a slice, an elementwise step...), so it never waits in
    memory. A block read by several tasks, or twice by one, stays a key, so
    it is still made once; so does a source value that is data, not a task.
    Cost: one walk over the reading layer's tasks.

    Parameters
    ----------
    g : LayeredGraph
        The graph.
    keep : set
        Layer names holding output keys: never substituted away.
    need : Mapping, optional
        The answer of :func:`needed_keys`: only those keys are made (default: all).

    Examples
    --------
    >>> import numpy as np
    >>> from mpiflow.array.core import from_array
    >>> x = from_array(np.arange(4), chunks=2)
    >>> y = (x + 1).blocks[1]
    >>> dsk = fuse_into_readers(y.graph, {y.name})
    >>> dsk[(y.name, 0)][0]
    <built-in function add>

    A source block read by one task is made inside it:

    >>> from mpiflow.array.creation import ones
    >>> o = ones(4, chunks=2)
    >>> z = o.blocks[1]
    >>> dsk = fuse_into_readers(z.graph, {z.name})
    >>> dsk[(z.name, 0)][0].__name__  # the reader (an alias) became the task
    '_constant_block'
    >>> (o.name, 1) in dsk, (o.name, 0) in dsk  # block 0 is read by nobody: left as it is
    (False, True)
    """
    if need is None:
        need = dict.fromkeys(g.layers, _ALL)
    dependents = _dependents(g)
    inner: dict = {}  # blockwise or source layer -> the one layer reading it
    sources: set = set()  # inner layers that read no other layer
    for name, layer in g.layers.items():
        readers = dependents[name]
        if name in keep or len(readers) != 1:
            continue
        if isinstance(layer, BlockwiseLayer):
            inner[name] = next(iter(readers))
        elif not g.dependencies[name]:
            inner[name] = next(iter(readers))
            sources.add(name)
    flat: dict = {}
    tasks: dict = {}  # current tasks of the inner layers (their readers may edit them)
    for name, layer in g.layers.items():
        d = _layer_tasks(layer, need.get(name))
        if d is None:
            continue
        if name in inner:
            tasks[name] = d
            continue
        flat.update(d)
    for b in _toposort({n: None for n in inner}, {n: g.dependencies[n] for n in inner}):
        if b not in tasks:
            continue
        blocks = tasks.pop(b)
        if b in sources:
            blocks = _self_contained(blocks, flat)
        reader = inner[b]
        target = tasks[reader] if reader in tasks else flat
        rlayer = g.layers[reader]
        rwant = need.get(reader)
        if reader in tasks:
            rkeys = list(tasks[reader])
        elif rwant is not _ALL:
            rkeys = list(rwant or ())
        elif isinstance(rlayer, BlockwiseLayer):
            rkeys = [(reader, *c) for c in product(*[range(n) for n in rlayer.numblocks])]
        else:
            rkeys = list(rlayer.to_dict() if hasattr(rlayer, "to_dict") else rlayer)

        seen: dict = {}
        for k in rkeys:
            found: list = []
            _refs(target[k], blocks, found)
            for ref in found:
                seen[ref] = k if ref not in seen else _MANY
        for bk, task in blocks.items():
            rk = seen.get(bk)
            if rk is None or rk is _MANY:
                flat[bk] = task
            else:
                target[rk] = subs(target[rk], bk, task)
    return flat


_MANY = object()


def _self_contained(blocks: dict, flat: dict) -> dict:
    """The tasks of a source layer that may be made inside a reader; the rest go to ``flat``.

    A value that is data, not a task, stays a key, and so does a block that
    another task of its layer reads (a source's own chain): it must still be
    there for that task. A task that reads a key of its layer may be fused,
    as that key stays.
    """
    found: list = []
    for task in blocks.values():
        _refs(task, blocks, found)
    read = set(found)
    out: dict = {}
    for k, task in blocks.items():
        if k not in read and type(task) is tuple and task and callable(task[0]):
            out[k] = task
        else:
            flat[k] = task
    return out


def _dependents(g: LayeredGraph) -> dict:
    out: dict = {k: set() for k in g.layers}
    for k, ds in g.dependencies.items():
        for d in ds:
            out[d].add(k)
    return out


def _fusable(child: BlockwiseLayer, parent: Any) -> tuple | None:
    """The index under which ``child`` reads ``parent`` if the two can be fused."""
    if not isinstance(parent, BlockwiseLayer) or parent.per_block is not None:
        return None
    if child.per_block is not None or parent.contracted():
        return None
    refs = [a for a in child.args if a[0] == "arr" and a[1] == parent.name]
    if not refs:
        return None
    ind, nb = refs[0][2], refs[0][3]
    if any(a[2] != ind for a in refs) or len(ind) != len(parent.out_ind):
        return None
    if any(lab not in child.out_ind for lab in ind):
        return None
    if tuple(nb) != parent.numblocks:
        return None
    for lab, n in zip(ind, nb, strict=True):  # no broadcasting of the parent inside the child
        if child.nb_label[lab] != n:
            return None
    return ind


def _program(layer: BlockwiseLayer) -> tuple[list, list]:
    """(inputs, steps) of a layer: its function as a one-step (or fused) program."""
    if isinstance(layer.func, _FusedFunc):
        return list(layer.args), [(f, list(s)) for f, s in layer.func.steps]
    inputs = []
    specs = []
    for a in layer.args:
        if a[0] == "lit":
            specs.append(("lit", a[1]))
        else:
            specs.append(("in", len(inputs)))
            inputs.append(a)
    return inputs, [(layer.func, specs)]


class _FusedFunc(Fused):
    """A Fused program made by the optimizer (kept distinct to be re-fused)."""


def _fuse_pair(child: BlockwiseLayer, parent: BlockwiseLayer, ind: tuple) -> BlockwiseLayer:
    c_inputs, c_steps = _program(child)
    p_inputs, p_steps = _program(parent)
    relabel = dict(zip(parent.out_ind, ind, strict=True))
    inputs: list = []
    where: dict = {}

    def slot(a: tuple) -> int:
        if a[0] == "arr":
            a = ("arr", a[1], tuple(relabel.get(lab, lab) for lab in a[2]), tuple(a[3]))
        try:
            k = a if a[0] == "arr" else ("key", a[1])
            hash(k)
        except TypeError:
            k = ("id", id(a))
        if k not in where:
            where[k] = len(inputs)
            inputs.append(a)
        return where[k]

    p_map = [slot(a) for a in p_inputs]
    steps: list = []
    for f, specs in p_steps:
        steps.append((f, [("in", p_map[s[1]]) if s[0] == "in" else s for s in specs]))
    p_out = len(steps) - 1
    off = len(steps)
    c_map = []
    for a in c_inputs:
        if a[0] == "arr" and a[1] == parent.name:
            c_map.append(None)
        else:
            c_map.append(slot(a) if a[0] != "arr" else _slot_plain(a, where, inputs))
    for f, specs in c_steps:
        new = []
        for s in specs:
            if s[0] == "in":
                j = c_map[s[1]]
                new.append(("tmp", p_out) if j is None else ("in", j))
            elif s[0] == "tmp":
                new.append(("tmp", s[1] + off))
            else:
                new.append(s)
        steps.append((f, new))
    nb_label = dict(child.nb_label)
    for a in inputs:
        if a[0] == "arr":
            for lab, n in zip(a[2], a[3], strict=True):
                nb_label.setdefault(lab, n)
    return BlockwiseLayer(
        child.name,
        child.out_ind,
        _FusedFunc(steps),
        inputs,
        nb_label,
        concatenate=child.concatenate,
    )


def _slot_plain(a: tuple, where: dict, inputs: list) -> int:
    k = ("arr", a[1], tuple(a[2]), tuple(a[3]))
    if k not in where:
        where[k] = len(inputs)
        inputs.append(k)
    return where[k]


def fuse_blockwise(g: LayeredGraph, keep: set) -> LayeredGraph:
    """Fold blockwise layers read by a single blockwise layer into it.

    Parameters
    ----------
    g : LayeredGraph
        The graph (culled to what the outputs need).
    keep : set
        Layer names holding output keys: never folded away.

    Examples
    --------
    >>> import numpy as np
    >>> from mpiflow.array.core import from_array
    >>> y = -(from_array(np.arange(4), chunks=2) + 1)
    >>> len(fuse_blockwise(y.graph, {y.name}).layers)
    2
    """
    layers = dict(g.layers)
    deps = {k: set(v) for k, v in g.dependencies.items()}
    dependents = _dependents(g)
    if not any(isinstance(v, BlockwiseLayer) for v in layers.values()):
        return g
    order = _toposort(layers, deps)
    for name in reversed(order):
        child = layers.get(name)
        if not isinstance(child, BlockwiseLayer):
            continue
        changed = True
        while changed:
            changed = False
            for p in sorted(deps[name], key=str):
                if p in keep or dependents[p] != {name}:
                    continue
                ind = _fusable(child, layers[p])
                if ind is None:
                    continue
                child = _fuse_pair(child, layers[p], ind)
                layers[name] = child
                del layers[p]
                pdeps = deps.pop(p)
                deps[name].discard(p)
                deps[name] |= pdeps
                for d in pdeps:
                    dependents[d].discard(p)
                    dependents[d].add(name)
                del dependents[p]
                changed = True
                break
    return LayeredGraph(layers, deps)


def _toposort(layers: Mapping, deps: Mapping) -> list:
    out: list = []
    seen: set = set()
    for root in layers:
        if root in seen:
            continue
        stack = [(root, False)]
        while stack:
            n, done = stack.pop()
            if done:
                out.append(n)
                continue
            if n in seen:
                continue
            seen.add(n)
            stack.append((n, True))
            stack.extend((d, False) for d in deps.get(n, ()) if d not in seen)
    return out
