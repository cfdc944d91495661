"""Tree reductions of partitioned frames: apply ``chunk``, combine in a tree, ``aggregate``.

:func:`reduction` is the one builder every frame reduction and groupby
aggregation uses (and the shuffle and io helpers may use). It makes one
layer: a ``chunk`` task per partition, then ``combine`` tasks that each merge
up to ``split_every`` neighbouring partials (in partition order, so order
dependent results such as ``first`` or ``drop_duplicates(keep='first')``
hold), and one ``aggregate`` task that makes the result, a
:class:`~mpiflow.dataframe.scalar.Scalar`, Series or DataFrame of one
partition. The depth is ``log(npartitions) / log(split_every)``; no task holds
more than ``split_every`` partials.

Two calling conventions:

``concat=True`` (Dask's ``reduction``)
    ``combine`` and ``aggregate`` get the partials *concatenated*: scalars
    become a Series with one row per partition, Series a DataFrame with one
    row per partition, DataFrames are stacked.
``concat=False`` (the kernels of :mod:`~mpiflow.dataframe.reductions_kernels`)
    they get the *list* of partials; partials that are ``None`` ("empty
    partition") are dropped first, and ``aggregate`` may get an empty list.

Examples
--------
>>> import pandas as pd
>>> import mpiflow.dataframe as dd
>>> s = dd.from_pandas(pd.Series(range(10)), npartitions=5)
>>> r = reduction(s, lambda p: p.max(), lambda parts: parts.max(), meta=1)
>>> r.compute(scheduler='sync')
np.int64(9)
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import pandas as pd

from mpiflow.array.layers import WholeInputLayer
from mpiflow.core.layers import LayeredGraph
from mpiflow.core.spec import funcname
from mpiflow.core.tokenize import tokenize

__all__ = ["reduction", "DEFAULT_SPLIT_EVERY"]

#: partials merged per tree step when ``split_every`` is not given
DEFAULT_SPLIT_EVERY = 8


class ReductionLayer(WholeInputLayer):
    """A tree reduction's tasks: read every partition, all columns (``columns_read=None``).

    Examples
    --------
    >>> ReductionLayer({('r', 0): 1}).columns_read is None
    True
    """

    columns_read = None
    input_name = None


def check_split_every(split_every: Any) -> int | None:
    """Validate ``split_every``: an int >= 2, ``False`` (one step) or ``None`` (default).

    Examples
    --------
    >>> check_split_every(None), check_split_every(4), check_split_every(False)
    (8, 4, None)
    >>> check_split_every(1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
      ...
    ValueError: split_every=1 must be an int >= 2 (partials merged per tree step), False ...
    """
    if split_every is None:
        return DEFAULT_SPLIT_EVERY
    if split_every is False:
        return None
    if isinstance(split_every, numbers.Integral) and not isinstance(split_every, bool):
        if split_every >= 2:
            return int(split_every)
    raise ValueError(
        f"split_every={split_every!r} must be an int >= 2 (partials merged per tree step), "
        f"False for a single merge step, or None for the default ({DEFAULT_SPLIT_EVERY})"
    )


def _concat(parts: list) -> Any:
    """Concatenate partials the way Dask's ``reduction`` hands them to ``aggregate``."""
    first = parts[0]
    if isinstance(first, pd.DataFrame):
        return pd.concat(parts)
    if isinstance(first, pd.Series):
        return pd.DataFrame(parts).reset_index(drop=True)
    return pd.Series(parts)


def _chunk_task(chunk: Callable, kwargs: dict, *parts: Any) -> Any:
    return chunk(*parts, **kwargs)


def _combine_task(combine: Callable, kwargs: dict, concat: bool, parts: list) -> Any:
    if concat:
        return combine(_concat(parts), **kwargs)
    parts = [p for p in parts if p is not None]
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return combine(parts, **kwargs)


def _aggregate_task(aggregate: Callable, kwargs: dict, concat: bool, parts: list) -> Any:
    if concat:
        return aggregate(_concat(parts), **kwargs)
    return aggregate([p for p in parts if p is not None], **kwargs)


def build_tree(
    layer: dict,
    name: str,
    inputs: list,
    combine: Callable,
    final: Callable,
    split_every: int | None,
    out_key: Any,
) -> None:
    """Add tasks merging ``inputs`` (keys, in order) in a tree; the last is ``out_key``.

    ``combine(list)`` merges up to ``split_every`` keys per task; ``final(list)``
    makes ``out_key`` from the last at most ``split_every`` ones.

    Examples
    --------
    >>> layer = {}
    >>> build_tree(layer, 't', [('x', i) for i in range(5)], sum, sum, 2, ('t', 0))
    >>> len(layer), layer[('t', 0)]
    (6, (<built-in function sum>, [('t-combine-2', 0), ('t-combine-2', 1)]))
    """
    keys = list(inputs)
    level = 0
    while split_every is not None and len(keys) > split_every:
        level += 1
        nxt = []
        for j in range(0, len(keys), split_every):
            k = (f"{name}-combine-{level}", j // split_every)
            layer[k] = (combine, keys[j : j + split_every])
            nxt.append(k)
        keys = nxt
    layer[out_key] = (final, keys)


def reduction(
    frames: Any,
    chunk: Callable,
    aggregate: Callable,
    combine: Callable | None = None,
    *,
    meta: Any,
    split_every: Any = None,
    token: Any = None,
    label: str | None = None,
    chunk_kwargs: dict | None = None,
    aggregate_kwargs: dict | None = None,
    combine_kwargs: dict | None = None,
    concat: bool = True,
) -> Any:
    """Reduce the partitions of ``frames`` to one value with a tree of tasks.

    Parameters
    ----------
    frames : DataFrame, Series, Index, or a list of them
        With several frames, ``chunk`` gets partition ``i`` of each (they must
        have the same number of partitions; divisions are aligned when known).
    chunk : callable
        ``chunk(partition, ..., **chunk_kwargs) -> partial``.
    aggregate : callable
        Makes the result from the last partials (concatenated or a list, see ``concat``).
    combine : callable, optional
        Merges partials in the intermediate tree steps (default: ``aggregate``
        when ``concat=True``; required when ``concat=False`` and there are more
        than ``split_every`` partitions).
    meta : object
        The result's meta: an empty pandas object (for a Series or DataFrame
        result) or a representative scalar.
    split_every : int, False or None
        Partials merged per task (default 8); ``False`` merges all at once.
    token : object, optional
        Makes the name unique (the reduction's parameters).
    label : str, optional
        Name prefix (default: ``chunk``'s name).
    chunk_kwargs, aggregate_kwargs, combine_kwargs : dict, optional
        Keyword arguments of the three functions.
    concat : bool, default True
        ``True``: Dask's convention (concatenated partials); ``False``: lists.

    Returns
    -------
    Scalar, Series or DataFrame
        A one-partition collection (a Scalar when ``meta`` is not pandas).

    Examples
    --------
    >>> import pandas as pd
    >>> import mpiflow.dataframe as dd
    >>> df = dd.from_pandas(pd.DataFrame({'a': [1, 2, 3, 4]}), npartitions=4)
    >>> total = reduction(df, lambda p: p.sum(), lambda parts: parts.sum(),
    ...                   meta=pd.Series([], dtype='int64'), split_every=2)
    >>> total.compute(scheduler='sync')
    a    10
    dtype: int64
    """
    from mpiflow.dataframe.core import FrameBase, align_frames, new_collection

    frames = list(frames) if isinstance(frames, (list, tuple)) else [frames]
    if not frames or not all(isinstance(f, FrameBase) for f in frames):
        raise TypeError(
            "reduction: frames must be a DataFrame, Series or Index (or a list of them), got "
            f"{[type(f).__name__ for f in frames]}"
        )
    frames = align_frames(frames)
    split = check_split_every(split_every)
    if combine is None:
        if not concat and split is not None and frames[0].npartitions > split:
            raise ValueError("reduction(concat=False) needs combine= for a multi-level tree")
        combine = aggregate
    ck, ak = dict(chunk_kwargs or {}), dict(aggregate_kwargs or {})
    cbk = dict(combine_kwargs if combine_kwargs is not None else ak)
    label = label or funcname(chunk)
    tok = tokenize(
        [f._name for f in frames], chunk, aggregate, combine, split, ck, ak, cbk, concat, token
    )
    name = f"{label}-{tok}"
    layer = ReductionLayer()
    chunk_name = f"{name}-chunk"
    chunk_fn = _Partial(_chunk_task, chunk, ck)
    nparts = frames[0].npartitions
    for i in range(nparts):
        layer[(chunk_name, i)] = (chunk_fn, *[(f._name, i) for f in frames])
    build_tree(
        layer,
        name,
        [(chunk_name, i) for i in range(nparts)],
        _Partial(_combine_task, combine, cbk, concat),
        _Partial(_aggregate_task, aggregate, ak, concat),
        split,
        (name, 0),
    )
    graph = LayeredGraph.from_layer(name, layer, frames)
    return new_collection(graph, name, meta, (None, None))


class _Partial:
    """``func(*bound, *args)``: a small picklable partial with a readable name."""

    __slots__ = ("func", "bound", "__name__")

    def __init__(self, func: Callable, *bound: Any) -> None:
        self.func = func
        self.bound = bound
        self.__name__ = funcname(bound[0]) if bound and callable(bound[0]) else funcname(func)

    def __call__(self, *args: Any) -> Any:
        return self.func(*self.bound, *args)

    def __reduce__(self):
        return (_Partial, (self.func, *self.bound))
