"""Operators and NumPy-style methods of :class:`~mpiflow.array.core.Array`.

Each method delegates, with an import at call time, to the module function of
the same name and signature (``x.sum(...)`` is ``reductions.sum(x, ...)``), so
the modules can be written and loaded independently.

Examples
--------
>>> import numpy as np
>>> from mpiflow.array.core import from_array
>>> x = from_array(np.arange(4), chunks=2)
>>> (2 ** x - x).compute(scheduler='sync')
array([1, 1, 2, 5])
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from mpiflow.array.delegates import DelegatedMethods, _call

__all__ = ["ArrayMethods"]


def _elemwise(op: Any, *args: Any) -> Any:
    from mpiflow.array.blockwise import elemwise

    return elemwise(op, *args)


def _binary(op: Any) -> tuple:
    def forward(self: Any, other: Any) -> Any:
        if _defer(other):
            return NotImplemented
        return _elemwise(op, self, other)

    def reflected(self: Any, other: Any) -> Any:
        if _defer(other):
            return NotImplemented
        return _elemwise(op, other, self)

    forward.__name__ = f"__{op.__name__}__"
    reflected.__name__ = f"__r{op.__name__}__"
    return forward, reflected


def _defer(other: Any) -> bool:
    """True for operands we leave to their own operator (other lazy collections)."""
    if isinstance(other, (int, float, complex, bool, np.ndarray, np.generic, list, tuple)):
        return False
    from mpiflow.array.core import Array

    if isinstance(other, Array):
        return False
    return hasattr(type(other), "__mpiflow_graph__") or (
        getattr(type(other), "__array_ufunc__", False) is None
    )


def _unary(op: Any) -> Any:
    def method(self: Any) -> Any:
        return _elemwise(op, self)

    method.__name__ = f"__{op.__name__}__"
    return method


def _scalar(self: Any, kind: type) -> Any:
    if self.size != 1:
        raise TypeError(
            f"only arrays of one element can be converted to {kind.__name__}; this array has "
            f"shape {self.shape}"
        )
    return kind(self.compute().reshape(()))


class ArrayMethods(DelegatedMethods):
    """Operators and methods of mpiflow arrays (a mixin of ``Array``).

    Examples
    --------
    >>> import numpy as np, mpiflow.array as da
    >>> x = da.from_array(np.arange(4), chunks=2)
    >>> ((x * 2) % 3 == 1).compute(scheduler='sync')
    array([False, False,  True, False])
    """

    __slots__ = ()

    # -- operators ---------------------------------------------------------------------
    __add__, __radd__ = _binary(operator.add)
    __sub__, __rsub__ = _binary(operator.sub)
    __mul__, __rmul__ = _binary(operator.mul)
    __truediv__, __rtruediv__ = _binary(operator.truediv)
    __floordiv__, __rfloordiv__ = _binary(operator.floordiv)
    __mod__, __rmod__ = _binary(operator.mod)
    __pow__, __rpow__ = _binary(operator.pow)
    __lshift__, __rlshift__ = _binary(operator.lshift)
    __rshift__, __rrshift__ = _binary(operator.rshift)
    __and__, __rand__ = _binary(operator.and_)
    __or__, __ror__ = _binary(operator.or_)
    __xor__, __rxor__ = _binary(operator.xor)
    __lt__, _ = _binary(operator.lt)
    __le__, _ = _binary(operator.le)
    __gt__, _ = _binary(operator.gt)
    __ge__, _ = _binary(operator.ge)
    __eq__, _ = _binary(operator.eq)
    __ne__, _ = _binary(operator.ne)
    __neg__ = _unary(operator.neg)
    __pos__ = _unary(operator.pos)
    __abs__ = _unary(operator.abs)
    __invert__ = _unary(operator.invert)
    __hash__ = object.__hash__
    del _

    def __divmod__(self, other: Any) -> tuple:
        return (self // other, self % other)

    def __rdivmod__(self, other: Any) -> tuple:
        return (other // self, other % self)

    def __matmul__(self, other: Any) -> Any:
        if _defer(other):
            return NotImplemented
        return _call("linalg", "matmul", self, other)

    def __rmatmul__(self, other: Any) -> Any:
        if _defer(other):
            return NotImplemented
        return _call("linalg", "matmul", other, self)

    def __bool__(self) -> bool:
        return _scalar(self, bool)

    def __int__(self) -> int:
        return _scalar(self, int)

    def __float__(self) -> float:
        return _scalar(self, float)

    def __complex__(self) -> complex:
        return _scalar(self, complex)

    def __index__(self) -> int:
        if self.dtype.kind not in "iub":
            raise TypeError(f"only integer arrays can be used as an index, not {self.dtype}")
        return _scalar(self, int)

    def __iter__(self) -> Any:
        for i in range(len(self)):
            yield self[i]

    def __getitem__(self, index: Any) -> Any:
        return _call("slicing", "getitem", self, index)

    def __setitem__(self, key: Any, value: Any) -> None:
        from mpiflow.array.core import Array
        from mpiflow.array.routines import where

        if isinstance(key, Array) and key.dtype == bool and key.shape == self.shape:
            out = where(key, value, self).astype(self.dtype)
        else:
            raise NotImplementedError(
                "item assignment is only supported with a boolean mpiflow Array mask of the "
                "same shape (x[mask] = value); build the new array with da.where instead"
            )
        self._graph, self._name, self._chunks, self._keys = (
            out._graph,
            out._name,
            out._chunks,
            None,
        )

    # -- NumPy protocols ---------------------------------------------------------------
    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        from mpiflow.array.ufunc import array_ufunc

        return array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        from mpiflow.array.ufunc import array_function

        return array_function(func, types, args, kwargs)

    def __repr__(self) -> str:
        from mpiflow.array.repr import array_repr

        return array_repr(self)

    def _repr_html_(self) -> str:
        from mpiflow.array.repr import array_html

        return array_html(self)

    @property
    def blocks(self) -> Any:
        """Index the grid of blocks: ``x.blocks[0, 1:]`` is an Array of those blocks.

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> x = da.from_array(np.arange(6), chunks=2)
        >>> x.blocks[-1].compute(scheduler='sync')
        array([4, 5])
        """
        from mpiflow.array.repr import BlockView

        return BlockView(self)

    @property
    def partitions(self) -> Any:
        """Same as :attr:`blocks`.

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> da.from_array(np.arange(6), chunks=2).partitions.shape
        (3,)
        """
        return self.blocks

    # -- element-wise methods ----------------------------------------------------------
    def astype(self, dtype: Any, casting: str = "unsafe", copy: bool = True, **kwargs: Any) -> Any:
        """Cast to ``dtype`` (see :func:`mpiflow.array.routines.astype`).

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> da.from_array(np.array([1.5, 2.5]), chunks=1).astype(int).compute(scheduler='sync')
        array([1, 2])
        """
        return _call("routines", "astype", self, dtype, casting=casting, copy=copy, **kwargs)

    def map_blocks(self, func: Any, *args: Any, **kwargs: Any) -> Any:
        """Apply ``func`` to every block (see :func:`mpiflow.array.blockwise.map_blocks`).

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> x = da.from_array(np.arange(4), chunks=2)
        >>> x.map_blocks(np.cumsum).compute(scheduler='sync')
        array([0, 1, 2, 5])
        """
        return _call("blockwise", "map_blocks", func, self, *args, **kwargs)

    def clip(self, min: Any = None, max: Any = None) -> Any:
        """Limit values to ``[min, max]`` (see :func:`mpiflow.array.routines.clip`).

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> da.from_array(np.arange(4), chunks=2).clip(1, 2).compute(scheduler='sync')
        array([1, 1, 2, 2])
        """
        return _call("routines", "clip", self, min, max)

    def round(self, decimals: int = 0) -> Any:
        """Round to ``decimals`` places (see :func:`mpiflow.array.routines.round`).

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> da.from_array(np.array([0.123, 4.567]), chunks=1).round(1).compute(scheduler='sync')
        array([0.1, 4.6])
        """
        return _call("routines", "round", self, decimals=decimals)

    def conj(self) -> Any:
        """Complex conjugate.

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> da.from_array(np.array([1 + 2j]), chunks=1).conj().compute(scheduler='sync')
        array([1.-2.j])
        """
        return _elemwise(np.conj, self)

    def conjugate(self) -> Any:
        """Complex conjugate (same as :meth:`conj`).

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> da.from_array(np.array([1j]), chunks=1).conjugate().compute(scheduler='sync')
        array([0.-1.j])
        """
        return _elemwise(np.conj, self)

    @property
    def real(self) -> Any:
        """Real part.

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> da.from_array(np.array([1 + 2j]), chunks=1).real.compute(scheduler='sync')
        array([1.])
        """
        return _elemwise(np.real, self)

    @property
    def imag(self) -> Any:
        """Imaginary part.

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> da.from_array(np.array([1 + 2j]), chunks=1).imag.compute(scheduler='sync')
        array([2.])
        """
        return _elemwise(np.imag, self)

    def copy(self) -> Any:
        """This array itself: arrays are immutable and computing always makes new blocks.

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> x = da.from_array(np.arange(3), chunks=2)
        >>> x.copy() is x
        True
        """
        return self

    def view(self, dtype: Any = None, order: str = "C") -> Any:
        """Reinterpret the bytes as ``dtype`` (same item size only).

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> da.from_array(np.array([1.0]), chunks=1).view('i8').compute(scheduler='sync')
        array([4607182418800017408])
        """
        if dtype is None:
            return self
        dtype = np.dtype(dtype)
        if dtype.itemsize != self.dtype.itemsize:
            raise NotImplementedError(
                f"view as {dtype} changes the item size ({self.dtype.itemsize} -> "
                f"{dtype.itemsize} bytes); only same-size views are supported"
            )
        return self.map_blocks(_view, dtype=dtype, view_dtype=dtype)

    # -- indexing, shape, products and storage: delegated to their modules --------------
    def nonzero(self) -> Any:
        """Indices of non-zero elements, one array per axis (see :func:`mpiflow.array.searching.nonzero`).

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> da.from_array(np.array([0, 2, 0, 3]), chunks=2).nonzero()[0].compute(scheduler='sync')
        array([1, 3])
        """  # noqa: E501
        return _call("searching", "nonzero", self)

    def compute_chunk_sizes(self) -> Any:
        """Compute unknown (NaN) block lengths in place and return self.

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> x = da.from_array(np.arange(5), chunks=2)
        >>> y = x[x > 1]
        >>> y.compute_chunk_sizes().chunks
        ((0, 2, 1),)
        """
        return _call("slicing", "compute_chunk_sizes", self)

    @property
    def vindex(self) -> Any:
        """Point-wise (vectorized) indexing (see :class:`mpiflow.array.searching.VIndex`).

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> x = da.from_array(np.arange(9).reshape(3, 3), chunks=2)
        >>> x.vindex[[0, 2], [1, 2]].compute(scheduler='sync')
        array([1, 8])
        """
        return _call("searching", "VIndex", self)

    def reshape(self, *shape: Any, merge_chunks: bool = True, limit: Any = None) -> Any:
        """New shape, same data (see :func:`mpiflow.array.manipulation.reshape`).

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> da.from_array(np.arange(6), chunks=3).reshape(2, 3).compute(scheduler='sync')
        array([[0, 1, 2],
               [3, 4, 5]])
        """
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return _call("manipulation", "reshape", self, shape, merge_chunks=merge_chunks, limit=limit)

    def transpose(self, *axes: Any) -> Any:
        """Permute axes (see :func:`mpiflow.array.manipulation.transpose`).

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> da.from_array(np.ones((2, 3, 4)), chunks=2).transpose(2, 0, 1).shape
        (4, 2, 3)
        """
        if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
            axes = axes[0]
        return _call("manipulation", "transpose", self, axes=axes or None)

    @property
    def T(self) -> Any:
        """The transpose (axes reversed).

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> da.from_array(np.ones((2, 3)), chunks=2).T.shape
        (3, 2)
        """
        return self.transpose()

    @property
    def mT(self) -> Any:
        """Transpose of the last two axes.

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> da.from_array(np.ones((4, 2, 3)), chunks=2).mT.shape
        (4, 3, 2)
        """
        return self.swapaxes(-1, -2)

    def ravel(self) -> Any:
        """Flatten to 1-d in C order (see :func:`mpiflow.array.manipulation.ravel`).

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> da.from_array(np.arange(4).reshape(2, 2), chunks=1).ravel().compute(scheduler='sync')
        array([0, 1, 2, 3])
        """
        return _call("manipulation", "ravel", self)

    def flatten(self) -> Any:
        """Same as :meth:`ravel`.

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> da.from_array(np.ones((2, 2)), chunks=1).flatten().shape
        (4,)
        """
        return self.ravel()

    def squeeze(self, axis: Any = None) -> Any:
        """Drop axes of length 1 (see :func:`mpiflow.array.manipulation.squeeze`).

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> da.from_array(np.ones((1, 3, 1)), chunks=2).squeeze().shape
        (3,)
        """
        return _call("manipulation", "squeeze", self, axis=axis)

    def swapaxes(self, axis1: Any, axis2: Any) -> Any:
        """Exchange two axes (see :func:`mpiflow.array.manipulation.swapaxes`).

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> da.from_array(np.ones((2, 3, 4)), chunks=2).swapaxes(0, 2).shape
        (4, 3, 2)
        """
        return _call("manipulation", "swapaxes", self, axis1, axis2)

    def repeat(self, repeats: Any, axis: Any = None) -> Any:
        """Repeat each element (see :func:`mpiflow.array.manipulation.repeat`).

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> da.from_array(np.array([1, 2]), chunks=1).repeat(2).compute(scheduler='sync')
        array([1, 1, 2, 2])
        """
        return _call("manipulation", "repeat", self, repeats, axis=axis)

    def rechunk(
        self,
        chunks: str = "auto",
        threshold: Any = None,
        block_size_limit: Any = None,
        balance: bool = False,
        method: Any = None,
    ) -> Any:
        """Change the block layout (see :func:`mpiflow.array.rechunk.rechunk`).

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> da.from_array(np.arange(6), chunks=2).rechunk(3).chunks
        ((3, 3),)
        """
        return _call(
            "rechunk",
            "rechunk",
            self,
            chunks,
            threshold=threshold,
            block_size_limit=block_size_limit,
            balance=balance,
            method=method,
        )

    def dot(self, other: Any) -> Any:
        """Dot product (see :func:`mpiflow.array.linalg.dot`).

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> x = da.from_array(np.arange(4).reshape(2, 2), chunks=1)
        >>> x.dot(np.eye(2, dtype=int)).compute(scheduler='sync')
        array([[0, 1],
               [2, 3]])
        """
        return _call("linalg", "dot", self, other)

    def map_overlap(
        self, func: Any, depth: Any, boundary: Any = None, trim: bool = True, **kwargs: Any
    ) -> Any:
        """Apply ``func`` to blocks grown by ``depth`` neighbouring elements.

        See :func:`mpiflow.array.overlap.map_overlap`.

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> x = da.from_array(np.array([1, 2, 4, 7]), chunks=2)
        >>> x.map_overlap(lambda b: np.gradient(b), depth=1, boundary='none').compute(
        ...     scheduler='sync')
        array([1. , 1.5, 2.5, 3. ])
        """
        return _call(
            "overlap",
            "map_overlap",
            func,
            self,
            depth=depth,
            boundary=boundary,
            trim=trim,
            **kwargs,
        )

    def store(self, target: Any, **kwargs: Any) -> Any:
        """Write the blocks into ``target`` (see :func:`mpiflow.array.creation.store`).

        Examples
        --------
        >>> import numpy as np, mpiflow.array as da
        >>> out = np.zeros(4)
        >>> da.from_array(np.arange(4.0), chunks=2).store(out)
        >>> out
        array([0., 1., 2., 3.])
        """
        return _call("creation", "store", self, target, **kwargs)


def _view(block: np.ndarray, view_dtype: Any) -> np.ndarray:
    return block.view(view_dtype)
