"""The partitionwise machinery: :func:`partitionwise`, :func:`map_partitions`, alignment.

Every operation that works partition by partition goes through
:func:`partitionwise`, which makes one lazy
:class:`~mpiflow.dataframe.layers.PartitionwiseLayer` (O(1) to build, whatever
the number of partitions) after aligning the frame arguments.

Examples
--------
>>> import pandas as pd, mpiflow.dataframe as dd
>>> s = dd.from_pandas(pd.Series([1, 2, 3]), npartitions=2)
>>> map_partitions(lambda p: p * 2, s).compute().tolist()
[2, 4, 6]
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from mpiflow.core.spec import funcname
from mpiflow.core.tokenize import tokenize
from mpiflow.dataframe.layers import PartitionwiseLayer, new_graph
from mpiflow.dataframe.meta import (
    _index_meta,
    check_meta,
    emulate,
    is_frame_like,
    make_meta,
    no_default,
)

__all__ = ["partitionwise", "map_partitions", "align_frames", "elemwise"]


def _frame_types() -> tuple:
    from mpiflow.dataframe.core import FrameBase, Scalar

    return FrameBase, Scalar


# ----------------------------------------------------------------------------------------
# partitionwise: the one helper making partition-by-partition layers
# ----------------------------------------------------------------------------------------


class _KwargsCall:
    """``func(*args, **static, **dict(zip(names, trailing args)))``: keywords holding keys."""

    def __init__(self, func: Callable, static: dict, names: list) -> None:
        self.func, self.static, self.names = func, static, names
        self.__name__ = funcname(func)

    def __call__(self, *args: Any, **extra: Any) -> Any:
        k = len(self.names)
        kw = dict(self.static, **extra)
        kw.update(zip(self.names, args[len(args) - k :], strict=True))
        return self.func(*args[: len(args) - k], **kw)

    def __reduce__(self):
        return (_KwargsCall, (self.func, self.static, self.names))


def _is_lazy(x: Any) -> bool:
    return hasattr(type(x), "__mpiflow_graph__")


def _arg_spec(a: Any, deps: list) -> tuple:
    FrameBase, Scalar = _frame_types()
    if isinstance(a, FrameBase):
        deps.append(a)
        return ("frame", a._name_)
    if isinstance(a, Scalar):
        deps.append(a)
        return ("key", (a._name_, 0))
    if _is_lazy(a):
        from mpiflow.delayed import Delayed

        if isinstance(a, Delayed):
            deps.append(a)
            return ("key", a.key)
        raise TypeError(
            f"cannot pass a {type(a).__name__} to a partitionwise operation: pass a "
            "DataFrame, Series, Scalar, Delayed or a plain value"
        )
    return ("lit", a)


def align_frames(frames: list) -> list:
    """Make frames partition-compatible: same divisions (repartitioned) or same npartitions.

    Raises
    ------
    ValueError
        When divisions are unknown and the numbers of partitions differ.

    Examples
    --------
    >>> import pandas as pd, mpiflow.dataframe as dd
    >>> a = dd.from_pandas(pd.Series(range(4)), npartitions=2)
    >>> [f.npartitions for f in align_frames([a, a + 1])]
    [2, 2]
    """
    if len(frames) < 2:
        return frames
    first = frames[0]._divisions
    if all(f._divisions == first for f in frames[1:]):
        return frames
    if all(f.known_divisions for f in frames):
        try:
            from mpiflow.dataframe.repartition import repartition_divisions
        except ImportError as e:  # pragma: no cover - until shuffle delivers
            raise NotImplementedError(
                "aligning frames with different divisions needs repartition_divisions"
            ) from e
        divs = sorted(set().union(*[f._divisions for f in frames]))
        return [
            f if f._divisions == tuple(divs) else repartition_divisions(f, divs, force=True)
            for f in frames
        ]
    nparts = {f.npartitions for f in frames}
    if len(nparts) == 1:
        return frames
    raise ValueError(
        "Not all divisions are known and the collections have different numbers of "
        f"partitions ({sorted(nparts)}), so their partitions cannot be aligned. Set an index "
        "with known divisions first (df.set_index(col) or df.reset_index().set_index(...)), "
        "or repartition both to the same divisions."
    )


def partitionwise(
    func: Callable,
    *args: Any,
    meta: Any,
    name: str | None = None,
    token: str | None = None,
    divisions: Any = None,
    label: str | None = None,
    align: bool = True,
    columns_read: frozenset | None = None,
    func_kwargs: dict | None = None,
    **kwargs: Any,
) -> Any:
    """One lazy layer applying ``func`` to matching partitions of every frame argument.

    Parameters
    ----------
    func : callable
        Called per partition ``i`` with every frame argument replaced by its
        partition ``i``; Scalars and Delayed values are passed whole; other
        arguments as they are.
    *args : object
        Arguments (at least one DataFrame, Series or Index).
    meta : object
        The meta of the result (not checked).
    name, token, label : str, optional
        The layer name, or the parts it is made of (``label-token``).
    divisions : tuple, optional
        Divisions of the result (default: those of the first frame).
    align : bool
        Align frames with different known divisions (repartitioning them).
    columns_read : frozenset, optional
        For a column selection of the first frame: the columns read.
    func_kwargs : dict, optional
        Keywords for ``func`` (use this for names that collide with the ones above).
    **kwargs
        Passed to ``func``.

    Examples
    --------
    >>> import pandas as pd, mpiflow.dataframe as dd
    >>> s = dd.from_pandas(pd.Series([1, 2, 3]), npartitions=2)
    >>> t = partitionwise(pd.Series.add, s, s, meta=s._meta, fill_value=0)
    >>> t.compute().tolist()
    [2, 4, 6]
    """
    FrameBase, _ = _frame_types()
    if func_kwargs:
        kwargs = {**func_kwargs, **kwargs}
    frames = [a for a in args if isinstance(a, FrameBase)]
    if not frames:
        raise ValueError("partitionwise needs at least one DataFrame, Series or Index argument")
    if align and len(frames) > 1:
        aligned = iter(align_frames(frames))
        args = tuple(next(aligned) if isinstance(a, FrameBase) else a for a in args)
        frames = [a for a in args if isinstance(a, FrameBase)]
    deps: list = []
    specs = [_arg_spec(a, deps) for a in args]
    if kwargs:
        lazy = [k for k, v in kwargs.items() if _is_lazy(v)]
        static = {k: v for k, v in kwargs.items() if k not in lazy}
        if lazy:
            fn: Callable = _KwargsCall(func, static, lazy)
            specs.extend(_arg_spec(kwargs[k], deps) for k in lazy)
        else:
            fn = partial(func, **static)
    else:
        fn = func
    if name is None:
        if token is None:
            token = tokenize(func, *args, **kwargs)
        name = f"{label or funcname(func)}-{token}"
    nparts = frames[0].npartitions
    if columns_read is not None and not (specs and specs[0][0] == "frame"):
        columns_read = None
    layer = PartitionwiseLayer(
        name,
        fn,
        specs,
        nparts,
        columns_read=columns_read,
        input_name=specs[0][1] if columns_read is not None else None,
    )
    graph = new_graph(name, layer, deps)
    if divisions is None:
        divisions = frames[0]._divisions
    from mpiflow.dataframe.core import new_collection

    return new_collection(graph, name, meta, divisions)


class _Enforce:
    """Run ``func`` and check its result against ``meta`` (``enforce_metadata=True``)."""

    def __init__(self, func: Callable, meta: Any, check_dtypes: bool) -> None:
        self.func, self.meta, self.check_dtypes = func, meta, check_dtypes
        self.__name__ = funcname(func)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        out = self.func(*args, **kwargs)
        meta = self.meta
        if not is_frame_like(out):  # scalars per partition: joined into a Series, as Dask
            return out
        if self.check_dtypes:
            return check_meta(out, meta, self.__name__)
        if isinstance(meta, pd.DataFrame):
            if not isinstance(out, pd.DataFrame) or list(out.columns) != list(meta.columns):
                return check_meta(out, meta, self.__name__)
        return out

    def __reduce__(self):
        return (_Enforce, (self.func, self.meta, self.check_dtypes))


def _to_series_meta(meta: Any) -> pd.Series:
    dtype = getattr(meta, "dtype", None)
    if dtype is None:
        dtype = np.asarray(meta).dtype if isinstance(meta, (int, float, bool)) else object
    return pd.Series([], dtype=dtype)


def map_partitions(
    func: Callable,
    *args: Any,
    meta: Any = no_default,
    enforce_metadata: bool = True,
    transform_divisions: bool = True,
    align_dataframes: bool = True,
    clear_divisions: bool = False,
    token: str | None = None,
    **kwargs: Any,
) -> Any:
    """Apply a function to every partition of the frame arguments.

    Parameters
    ----------
    func : callable
        Called with partition ``i`` of every frame argument (others passed as they are).
    *args : object
        Frames, Scalars, Delayed values or plain values.
    meta : pandas object, dict, tuple or scalar, optional
        What ``func`` returns (empty). When not given it is inferred by
        running ``func`` on small fake partitions; if that fails the error
        names ``func`` and asks for ``meta=``.
    enforce_metadata : bool
        Check every result against ``meta`` when computing (columns, and
        dtypes when ``meta`` was given) and raise a ValueError naming ``func``.
    transform_divisions : bool
        Accepted for Dask compatibility (divisions are kept).
    align_dataframes : bool
        Repartition frames with different known divisions to common ones.
    clear_divisions : bool
        Make the result's divisions unknown (``func`` changes the index).
    token : str, optional
        Name prefix of the new layer.
    **kwargs
        Passed to ``func``. A ``func`` with a ``partition_info`` parameter
        receives ``{'number': i, 'division': divisions[i]}``.

    Returns
    -------
    DataFrame, Series or Index
        (a Series of one value per partition when ``func`` returns a scalar).

    Examples
    --------
    >>> import pandas as pd, mpiflow.dataframe as dd
    >>> df = dd.from_pandas(pd.DataFrame({'a': [1, 2, 3]}), npartitions=2)
    >>> dd.map_partitions(lambda d: d.assign(b=d.a * 2), df).compute().b.tolist()
    [2, 4, 6]
    >>> df.map_partitions(lambda d: d.a.sum(), meta=('s', 'i8')).compute().tolist()
    [3, 3]
    """
    FrameBase, _ = _frame_types()
    given = meta is not no_default
    frames = [a for a in args if isinstance(a, FrameBase)]
    if not frames:
        raise ValueError("map_partitions needs at least one DataFrame, Series or Index argument")
    info = _accepts_partition_info(func)
    if not given:
        first = {"number": 0, "division": frames[0]._divisions[0]}
        fake_kw = {**kwargs, "partition_info": first} if info else kwargs
        meta = emulate(func, *args, udf=True, func_kwargs=fake_kw)
    else:
        meta = make_meta(meta, index=_index_meta(frames[0]._meta))
    scalar_parts = not is_frame_like(meta)
    if scalar_parts:
        meta = _to_series_meta(meta)
    fn: Callable = func
    if enforce_metadata and not scalar_parts:
        fn = _Enforce(func, meta, check_dtypes=given)
    label = token or funcname(func)
    divisions = None
    if clear_divisions or scalar_parts:
        divisions = (None,) * (
            max(f.npartitions for f in frames) + 1
        )  # aligned frames have this many
    out = partitionwise(
        fn,
        *args,
        meta=meta,
        label=label,
        token=tokenize(func, *args, meta, **kwargs),
        align=align_dataframes,
        divisions=divisions,
        func_kwargs=kwargs,
    )
    if divisions is not None and len(divisions) != out.npartitions + 1:
        out._divisions = (None,) * (out.npartitions + 1)
    if info:
        layer = out.graph.layers[out._name]
        divs = out._divisions if divisions is None else frames[0]._divisions
        if len(divs) != out.npartitions + 1:
            divs = (None,) * (out.npartitions + 1)
        layer.per_block = _PartitionInfo(layer.func, divs)
    return out


def _accepts_partition_info(func: Callable) -> bool:
    import inspect

    try:
        return "partition_info" in inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False


class _PartitionInfo:
    """``coord -> func`` with ``partition_info={'number': i, 'division': divisions[i]}`` bound."""

    def __init__(self, func: Callable, divisions: tuple) -> None:
        self.func, self.divisions = func, divisions

    def __call__(self, coord: tuple) -> Callable:
        i = coord[0]
        return partial(self.func, partition_info={"number": i, "division": self.divisions[i]})


def elemwise(op: Callable, *args: Any, meta: Any = no_default, **kwargs: Any) -> Any:
    """Apply ``op`` partition by partition, aligning the frames; meta by emulation.

    Examples
    --------
    >>> import operator, pandas as pd, mpiflow.dataframe as dd
    >>> s = dd.from_pandas(pd.Series([1, 2]), npartitions=2)
    >>> elemwise(operator.add, s, 1).compute().tolist()
    [2, 3]
    """
    if meta is no_default:
        meta = emulate(op, *args, func_kwargs=kwargs)
    return partitionwise(op, *args, meta=meta, func_kwargs=kwargs)
