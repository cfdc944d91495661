"""``from_map``: one partition per input, made by a reading function; the IO layer.

An :class:`IOLayer` holds the reading function and the inputs, and makes the
task ``(reader, input_i)`` of partition ``i`` only when asked. When its
function can read fewer columns (it has a ``project_columns(columns)`` method,
or ``from_map`` was told the keyword that takes a column list), the layer is
*projectable*: :func:`mpiflow.dataframe.io.projection.project_columns`
replaces it by :meth:`IOLayer.project` when the graph's readers use only
some columns.

Examples
--------
>>> import pandas as pd
>>> ddf = from_map(lambda i: pd.DataFrame({'x': [i, i]}), [1, 2, 3])
>>> ddf.npartitions, ddf.compute().x.tolist()
(3, [1, 1, 2, 2, 3, 3])
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import partial
from typing import Any

import pandas as pd

from mpiflow.core.layers import LayeredGraph
from mpiflow.core.spec import funcname, quote_argument
from mpiflow.core.tokenize import tokenize

__all__ = ["from_map", "IOLayer"]


class _ReadPartition:
    """The task function of an IO layer: call the reader, check the columns."""

    __slots__ = ("func", "star", "meta_columns", "label")

    def __init__(self, func: Callable, star: bool, meta: Any, label: str) -> None:
        self.func = func
        self.star = star
        self.meta_columns = list(meta.columns) if isinstance(meta, pd.DataFrame) else None
        self.label = label

    def __call__(self, inp: Any) -> Any:
        out = self.func(*inp) if self.star else self.func(inp)
        cols = self.meta_columns
        if cols is not None and isinstance(out, pd.DataFrame) and list(out.columns) != cols:
            if set(out.columns) != set(cols) or len(out.columns) != len(cols):
                raise ValueError(
                    f"the partition made by `{self.label}` has the columns "
                    f"{list(out.columns)}, but meta says {cols}: fix the function or pass "
                    "the matching meta= to from_map"
                )
            out = out[cols]
        return out

    def __reduce__(self):
        meta = pd.DataFrame(columns=self.meta_columns) if self.meta_columns is not None else None
        return (_ReadPartition, (self.func, self.star, meta, self.label))


class IOLayer(Mapping):
    """Tasks ``(name, i): (read, input_i)`` of a collection read from outside, made lazily.

    Parameters
    ----------
    name : str
        The layer (and collection) name.
    func : callable
        Makes one partition from one input.
    inputs : list
        One input per partition.
    meta : pandas object
        The empty frame of what ``func`` returns (after projection: of the columns read).
    star : bool
        Call ``func(*input)`` (several iterables were zipped) instead of ``func(input)``.
    columns_arg : str, optional
        The keyword of ``func`` taking the list of columns to read.
    columns : list, optional
        The columns read (``None``: all of ``meta``).
    enforce_metadata : bool
        Check each partition's columns against ``meta`` (reordering if needed).
    label : str
        Names the function in messages.

    Examples
    --------
    >>> import pandas as pd
    >>> def read(i, columns=None):
    ...     df = pd.DataFrame({'a': [i], 'b': [-i]})
    ...     return df if columns is None else df[columns]
    >>> layer = IOLayer('r', read, [1, 2], pd.DataFrame({'a': [0], 'b': [0]}).iloc[:0],
    ...                 columns_arg='columns')
    >>> layer.projectable, sorted(layer)
    (True, [('r', 0), ('r', 1)])
    >>> small = layer.project({'b'})
    >>> small.columns, small[('r', 1)][0](2).columns.tolist()
    (['b'], ['b'])
    """

    columns_read = None  # reads no frame
    input_name = None

    def __init__(
        self,
        name: str,
        func: Callable,
        inputs: list,
        meta: Any,
        *,
        star: bool = False,
        columns_arg: str | None = None,
        columns: list | None = None,
        enforce_metadata: bool = True,
        label: str | None = None,
    ) -> None:
        self.name = name
        self.func = func
        self.inputs = list(inputs)
        self.meta = meta
        self.star = star
        self.columns_arg = columns_arg
        self.columns = columns
        self.enforce_metadata = enforce_metadata
        self.label = label or funcname(func)
        self._call: Callable | None = None
        self._dict: dict | None = None

    @property
    def npartitions(self) -> int:
        """The number of partitions (inputs).

        Examples
        --------
        >>> IOLayer('r', abs, [1, 2, 3], None).npartitions
        3
        """
        return len(self.inputs)

    @property
    def projectable(self) -> bool:
        """True if the layer can be re-made to read fewer columns.

        Examples
        --------
        >>> IOLayer('r', abs, [1], None).projectable
        False
        """
        if not isinstance(self.meta, pd.DataFrame):
            return False
        return self.columns_arg is not None or hasattr(self.func, "project_columns")

    def project(self, columns: Iterable) -> IOLayer:
        """The same layer reading only ``columns`` (kept in the meta's order).

        Returns ``self`` if nothing would be dropped or the layer is not projectable.

        Examples
        --------
        >>> import pandas as pd
        >>> layer = IOLayer('r', abs, [1], pd.DataFrame({'a': [], 'b': []}), columns_arg='c')
        >>> layer.project(['b', 'a']) is layer, layer.project(['b']).columns
        (True, ['b'])
        """
        if not self.projectable:
            return self
        wanted = set(columns)
        current = list(self.meta.columns)
        keep = [c for c in current if c in wanted]
        if not keep or len(keep) == len(current):
            return self
        func = self.func if self.columns_arg is not None else self.func.project_columns(keep)
        out = IOLayer(
            self.name,
            func,
            self.inputs,
            self.meta[keep],
            star=self.star,
            columns_arg=self.columns_arg,
            columns=keep,
            enforce_metadata=self.enforce_metadata,
            label=self.label,
        )
        return out

    def _reader(self) -> Callable:
        if self._call is None:
            func = self.func
            if self.columns is not None and self.columns_arg is not None:
                func = partial(func, **{self.columns_arg: self.columns})
            if self.enforce_metadata and isinstance(self.meta, pd.DataFrame):
                self._call = _ReadPartition(func, self.star, self.meta, self.label)
            elif self.star:
                self._call = partial(_star, func)
            else:
                self._call = func
        return self._call

    def __getitem__(self, key: Any) -> Any:
        if type(key) is tuple and len(key) == 2 and key[0] == self.name:
            i = key[1]
            if type(i) is int and 0 <= i < len(self.inputs):
                return (self._reader(), quote_argument(self.inputs[i]))
        raise KeyError(key)

    def __iter__(self) -> Iterator:
        return ((self.name, i) for i in range(len(self.inputs)))

    def __len__(self) -> int:
        return len(self.inputs)

    def __contains__(self, key: Any) -> bool:
        return (
            type(key) is tuple
            and len(key) == 2
            and key[0] == self.name
            and type(key[1]) is int
            and 0 <= key[1] < len(self.inputs)
        )

    def to_dict(self) -> dict:
        """Every task of the layer as a dict.

        Examples
        --------
        >>> IOLayer('r', abs, [-1], None).to_dict()
        {('r', 0): (<built-in function abs>, -1)}
        """
        if self._dict is None:
            read = self._reader()
            self._dict = {
                (self.name, i): (read, quote_argument(x)) for i, x in enumerate(self.inputs)
            }
        return self._dict

    def __repr__(self) -> str:
        cols = "" if self.columns is None else f", columns={self.columns}"
        return f"IOLayer<{self.name}, {len(self.inputs)} partitions{cols}>"


def _star(func: Callable, inp: tuple) -> Any:
    return func(*inp)


def from_map(
    func: Callable,
    *iterables: Iterable,
    args: tuple | None = None,
    meta: Any = None,
    divisions: Any = None,
    label: str | None = None,
    token: str | None = None,
    enforce_metadata: bool = True,
    columns_arg: str | None = None,
    **kwargs: Any,
) -> Any:
    """A collection with one partition per element of ``iterables``, made by ``func``.

    Partition ``i`` is ``func(iterables[0][i], ..., *args, **kwargs)``.

    Parameters
    ----------
    func : callable
        Makes one pandas DataFrame or Series from one input (a path, a
        range, a query...). If it has a ``project_columns(columns)`` method
        returning a reader of fewer columns, column projection uses it.
    *iterables : iterable
        One element per partition; several iterables are zipped.
    args : tuple, optional
        Positional arguments passed to every call after the inputs.
    meta : pandas object, optional
        The empty frame of the output. Default: ``func`` is called on the first
        input now, and its result's schema is used.
    divisions : tuple, optional
        Known divisions (``npartitions + 1`` index values); default unknown.
    label : str, optional
        Prefix of the collection name (default: the function's name).
    token : str, optional
        Suffix of the collection name (default: a hash of the arguments).
    enforce_metadata : bool
        Check each partition's columns against ``meta`` (reordering if needed);
        dtypes are not checked, as in Dask.
    columns_arg : str, optional
        The keyword of ``func`` taking a list of columns to read: makes the
        collection projectable (a query using some columns reads only those).
    **kwargs
        Passed to every call.

    Returns
    -------
    DataFrame or Series

    Examples
    --------
    >>> import pandas as pd
    >>> def load(n, columns=None):
    ...     df = pd.DataFrame({'n': [n] * n, 'sq': [n * n] * n})
    ...     return df if columns is None else df[columns]
    >>> ddf = from_map(load, [1, 2, 3], columns_arg='columns')
    >>> ddf.sq.sum().compute()
    np.int64(36)
    >>> from_map(load, [], meta=ddf._meta)
    Traceback (most recent call last):
    ValueError: from_map needs at least one input (got an empty iterable)
    """
    from mpiflow.dataframe.core import new_collection
    from mpiflow.dataframe.meta import make_meta

    if not iterables:
        raise TypeError("from_map needs at least one iterable of inputs")
    seqs = [list(it) for it in iterables]
    n = len(seqs[0])
    if any(len(s) != n for s in seqs):
        raise ValueError(
            f"the iterables passed to from_map have different lengths {[len(s) for s in seqs]}"
        )
    if n == 0:
        raise ValueError("from_map needs at least one input (got an empty iterable)")
    star = len(seqs) > 1
    inputs = list(zip(*seqs, strict=True)) if star else seqs[0]
    call = func
    if args or kwargs:
        call = partial(_with_args, func, tuple(args or ()), kwargs)
        if hasattr(func, "project_columns") and columns_arg is None:
            call = _ProjectableArgs(func, tuple(args or ()), kwargs)
    if meta is None:
        first = call(*inputs[0]) if star else call(inputs[0])
        meta = make_meta(first)
    else:
        meta = make_meta(meta)
    if divisions is None:
        divisions = (None,) * (n + 1)
    elif len(divisions) != n + 1:
        raise ValueError(f"divisions has {len(divisions)} values, but {n} partitions need {n + 1}")
    label = label or funcname(func)
    if token is None:
        token = tokenize(func, inputs, args, kwargs, label)
    name = f"{label}-{token}"
    layer = IOLayer(
        name,
        call,
        inputs,
        meta,
        star=star,
        columns_arg=columns_arg,
        enforce_metadata=enforce_metadata,
        label=label,
    )
    return new_collection(LayeredGraph({name: layer}, {name: set()}), name, meta, tuple(divisions))


def _with_args(func: Callable, args: tuple, kwargs: dict, *inputs: Any, **more: Any) -> Any:
    return func(*inputs, *args, **kwargs, **more)


class _ProjectableArgs:
    """``func(*inputs, *args, **kwargs)`` keeping ``func``'s ``project_columns``."""

    def __init__(self, func: Any, args: tuple, kwargs: dict) -> None:
        self.func, self.args, self.kwargs = func, args, kwargs

    def __call__(self, *inputs: Any) -> Any:
        return self.func(*inputs, *self.args, **self.kwargs)

    def project_columns(self, columns: list) -> _ProjectableArgs:
        return _ProjectableArgs(self.func.project_columns(columns), self.args, self.kwargs)
