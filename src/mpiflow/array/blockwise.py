"""Block-by-block operations: blockwise, map_blocks, elemwise, broadcast_to, unify_chunks.

:func:`blockwise` is the general tool: every argument array carries an index
(one label per axis, e.g. ``'ij'``), the output has an index too, and each
output block is ``func`` applied to the input blocks whose labels match.
Labels missing from the output are contracted (all blocks along them are
passed, as a list or concatenated). The layer it makes is lazy
(:class:`~mpiflow.array.layers.BlockwiseLayer`): no task exists until the
graph is computed, so long chains build in microseconds per operation, and the
optimizer fuses chains of such layers into one task per block.

Examples
--------
>>> import numpy as np
>>> from mpiflow.array.core import from_array
>>> x = from_array(np.arange(6).reshape(2, 3), chunks=(1, 2))
>>> blockwise(np.add, 'ij', x, 'ij', 10, None).compute(scheduler='sync')
array([[10, 11, 12],
       [13, 14, 15]])
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import numpy as np

from mpiflow.array.broadcast import _broadcast_shapes, broadcast_to, unify_chunks
from mpiflow.array.layers import BlockwiseLayer, _Placeholder, _with_block_info
from mpiflow.core.tokenize import tokenize
from mpiflow.delayed.graph import funcname

__all__ = ["blockwise", "map_blocks", "elemwise", "broadcast_to", "unify_chunks"]


def _is_array(x: Any) -> bool:
    from mpiflow.array.core import Array

    return isinstance(x, Array)


def _isnan(x: Any) -> bool:
    return isinstance(x, float) and math.isnan(x)


def _chunks_of_ndarray(x: np.ndarray, ind: Sequence, chunkss: dict) -> tuple:
    out = []
    for lab, n in zip(ind, x.shape, strict=True):
        c = chunkss.get(lab)
        if n != 1 and c is not None and len(c) > 1 and any(map(_isnan, c)):
            raise ValueError(
                f"cannot split a NumPy array of shape {x.shape} to match blocks of unknown "
                "length (NaN chunks); call .compute_chunk_sizes() on the mpiflow array first"
            )
        if n == 1 or c is None or any(map(_isnan, c)) or sum(c) != n:
            out.append((n,))
        else:
            out.append(c)
    return tuple(out)


def _label_blocks(pairs: list) -> dict:
    """``{label: number of blocks}`` over the array arguments (max: 1 broadcasts)."""
    nb: dict = {}
    for a, ind in pairs:
        if ind is None:
            continue
        for lab, n in zip(ind, a.numblocks, strict=True):
            nb[lab] = max(nb.get(lab, 1), n)
    return nb


def _infer_dtype(func: Callable, args: list, kwargs: dict, what: str) -> np.dtype:
    """Run ``func`` on one-element stand-ins of the array arguments to find its dtype."""
    sample = []
    for a in args:
        if _is_array(a) or isinstance(a, np.ndarray):
            sample.append(np.ones((1,) * a.ndim, dtype=a.dtype))
        else:
            sample.append(a)
    try:
        with np.errstate(all="ignore"):
            out = func(*sample, **kwargs)
    except TypeError as e:
        kinds = ", ".join(str(getattr(a, "dtype", type(a).__name__)) for a in args)
        raise TypeError(
            f"{what}: {funcname(func)} does not accept operands of types ({kinds}): {e}. "
            "Convert the operands first (e.g. x.astype(float)) or pass dtype= if the "
            "function only fails on sample data"
        ) from e
    except Exception as e:
        raise ValueError(
            f"{what}: could not work out the output dtype by calling {funcname(func)} on "
            f"small sample blocks ({type(e).__name__}: {e}); pass dtype= explicitly"
        ) from e
    return np.asarray(out).dtype if not hasattr(out, "dtype") else np.dtype(out.dtype)


def blockwise(
    func: Callable,
    out_ind: Sequence,
    *args: Any,
    name: str | None = None,
    token: str | None = None,
    dtype: Any = None,
    adjust_chunks: dict | None = None,
    new_axes: dict | None = None,
    align_arrays: bool = True,
    concatenate: bool | None = None,
    meta: Any = None,
    **kwargs: Any,
) -> Any:
    """Apply ``func`` block by block, matching blocks by index labels (tensor notation).

    Parameters
    ----------
    func : callable
        Called once per output block with the matching blocks (and literals).
    out_ind : str or tuple
        One label per output axis.
    *args : pairs
        ``arg, index`` pairs. An Array or NumPy array with an index is split
        into blocks; anything with index ``None`` is passed whole to every call.
    name : str, optional
        The output name (default: ``token`` or the function's name plus a token).
    token : str, optional
        Prefix of the output name.
    dtype : dtype, optional
        Output dtype; inferred by calling ``func`` on small samples if omitted.
    adjust_chunks : dict, optional
        ``{label: int, tuple or callable}``: new block lengths on output axes.
    new_axes : dict, optional
        ``{label: length}`` for output labels that no input has.
    align_arrays : bool, default True
        Rechunk inputs so that shared labels have the same chunks.
    concatenate : bool, optional
        For contracted labels, pass one concatenated block instead of a list.
    meta : object, optional
        Accepted for Dask compatibility; its dtype is used when ``dtype`` is None.
    **kwargs
        Keywords passed to ``func``.

    Returns
    -------
    Array

    Examples
    --------
    >>> import numpy as np
    >>> from mpiflow.array.core import from_array
    >>> x = from_array(np.arange(4), chunks=2)
    >>> y = from_array(np.arange(3), chunks=3)
    >>> outer = blockwise(np.multiply.outer, 'ij', x, 'i', y, 'j', dtype=int)
    >>> outer.chunks
    ((2, 2), (3,))
    >>> outer.compute(scheduler='sync')[3]
    array([0, 3, 6])
    """
    from mpiflow.array.core import Array, from_array, new_array

    out_ind = tuple(out_ind)
    if len(args) % 2:
        raise ValueError(
            "blockwise takes arg, index pairs after out_ind; got an odd number of arguments "
            "(use None as the index of non-array arguments)"
        )
    pairs = [
        [a, tuple(i) if i is not None else None] for a, i in zip(args[::2], args[1::2], strict=True)
    ]
    for a, ind in pairs:
        if ind is not None and (_is_array(a) or isinstance(a, np.ndarray)):
            if len(ind) != a.ndim:
                raise ValueError(
                    f"blockwise: index {ind!r} has {len(ind)} labels but its array has "
                    f"{a.ndim} dimensions; give one label per axis"
                )
        elif ind is not None:
            raise ValueError(
                f"blockwise: argument of type {type(a).__name__} has index {ind!r}, but only "
                "arrays can be indexed; give it the index None"
            )
        elif _is_array(a):
            raise NotImplementedError(
                "blockwise: an Array with index None (passed whole to every block) is not "
                "supported; give it an index, or pass x.to_delayed() values"
            )
    new_axes = dict(new_axes or {})
    for lab in out_ind:
        if lab not in new_axes and not any(ind and lab in ind for _, ind in pairs):
            raise ValueError(
                f"blockwise: output label {lab!r} appears in no input index; give its length "
                f"with new_axes={{{lab!r}: n}}"
            )
    arr_args = [a for a, ind in pairs if ind is not None and _is_array(a)]
    if align_arrays and arr_args:
        chunkss, flat = unify_chunks(*[x for p in pairs for x in p])
        for p, a in zip(pairs, flat, strict=True):
            p[0] = a
    else:
        chunkss = {}
        for a, ind in pairs:
            if ind is not None and _is_array(a):
                for lab, c in zip(ind, a.chunks, strict=True):
                    if lab not in chunkss or len(chunkss[lab]) < len(c):
                        chunkss[lab] = c
    for p in pairs:  # NumPy arrays with an index become Arrays chunked to match
        if p[1] is not None and isinstance(p[0], np.ndarray):
            p[0] = from_array(p[0], chunks=_chunks_of_ndarray(p[0], p[1], chunkss))
            for lab, c in zip(p[1], p[0].chunks, strict=True):
                if chunkss.get(lab, (1,)) == (1,):
                    chunkss[lab] = c
    # output chunks
    out_chunks = []
    for lab in out_ind:
        if lab in new_axes:
            n = new_axes[lab]
            out_chunks.append(tuple(n) if isinstance(n, (tuple, list)) else (int(n),))
        else:
            out_chunks.append(chunkss[lab])
    if adjust_chunks:
        for i, lab in enumerate(out_ind):
            if lab not in adjust_chunks:
                continue
            adj = adjust_chunks[lab]
            if callable(adj):
                out_chunks[i] = tuple(adj(c) for c in out_chunks[i])
            elif isinstance(adj, (int, np.integer)):
                out_chunks[i] = (int(adj),) * len(out_chunks[i])
            else:
                adj = tuple(adj)
                if len(adj) != len(out_chunks[i]):
                    raise ValueError(
                        f"blockwise: adjust_chunks[{lab!r}] has {len(adj)} lengths but the "
                        f"axis has {len(out_chunks[i])} blocks"
                    )
                out_chunks[i] = adj
    if dtype is None and meta is not None and hasattr(meta, "dtype"):
        dtype = meta.dtype
    if dtype is None:
        dtype = _infer_dtype(func, [a for a, _ in pairs], kwargs, "blockwise")
    if name is None:
        prefix = token or funcname(func).replace("_", "-")
        tok = tokenize(
            func,
            out_ind,
            [(a, i) for a, i in pairs],
            dtype,
            new_axes,
            adjust_chunks,
            concatenate,
            kwargs,
        )
        name = f"{prefix}-{tok}"
    nb_label = _label_blocks([(a, i) for a, i in pairs if i is not None])
    for lab, c in zip(out_ind, out_chunks, strict=True):
        nb_label[lab] = len(c)
    f = partial(func, **kwargs) if kwargs else func
    layer = BlockwiseLayer(
        name,
        out_ind,
        f,
        [_layer_arg(a, i) for a, i in pairs],
        nb_label,
        concatenate=bool(concatenate),
    )
    return new_array(
        name,
        layer,
        tuple(out_chunks),
        dtype,
        dependencies=[a for a, i in pairs if i is not None and isinstance(a, Array)]
        + [a for a, i in pairs if i is None and hasattr(type(a), "__mpiflow_graph__")],
    )


def _layer_arg(a: Any, ind: Any) -> tuple:
    if ind is not None:
        return ("arr", a.name, ind, a.numblocks)
    if hasattr(type(a), "__mpiflow_graph__") and hasattr(a, "key"):
        return ("key", a.key)
    return ("lit", a)


def _wants(func: Callable, kw: str) -> bool:
    try:
        return kw in inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False


def map_blocks(
    func: Callable,
    *args: Any,
    dtype: Any = None,
    chunks: Any = None,
    drop_axis: Any = None,
    new_axis: Any = None,
    name: str | None = None,
    token: str | None = None,
    meta: Any = None,
    **kwargs: Any,
) -> Any:
    """Apply ``func`` to every block of one or more arrays with matching blocks.

    Arrays are lined up from their last axis (as NumPy broadcasts) and
    rechunked to common chunks. If ``func`` accepts ``block_id`` it receives
    the block's index; if it accepts ``block_info`` it receives a dict with
    the location of each input block (keys 0, 1, ...) and of the output
    block (key None), as in Dask.

    Parameters
    ----------
    func : callable
        Called on each block.
    *args : Array, NumPy array or other
        Arrays are split in blocks; other values are passed whole.
    dtype : dtype, optional
        Output dtype (inferred from a sample call if omitted).
    chunks : tuple, optional
        Output chunks if ``func`` changes block shapes: block lengths per
        axis, or one block shape applied to every block.
    drop_axis : int or list of int, optional
        Axes of the input that the output lacks (their blocks are concatenated).
    new_axis : int or list of int, optional
        Positions of new output axes (one block each).
    name, token : str, optional
        Output name or its prefix.
    meta : object, optional
        Its dtype is used when ``dtype`` is None.
    **kwargs
        Keywords passed to ``func``.

    Examples
    --------
    >>> import numpy as np
    >>> from mpiflow.array.core import from_array
    >>> x = from_array(np.arange(6), chunks=3)
    >>> map_blocks(lambda b: b * 2, x).compute(scheduler='sync')
    array([ 0,  2,  4,  6,  8, 10])
    >>> map_blocks(lambda b, block_id=None: b * 0 + block_id[0], x).compute(scheduler='sync')
    array([0, 0, 0, 1, 1, 1])
    >>> map_blocks(np.sum, x, chunks=((1, 1),), dtype=int, keepdims=True).compute(
    ...     scheduler='sync')
    array([ 3, 12])
    """
    from mpiflow.array.core import Array

    if not callable(func):
        raise TypeError(
            f"map_blocks: first argument must be a function, got {type(func).__name__}; "
            "write map_blocks(func, x) (or x.map_blocks(func))"
        )
    arrays = [a for a in args if isinstance(a, (Array, np.ndarray))]
    if not any(isinstance(a, Array) for a in arrays):
        raise ValueError("map_blocks needs at least one mpiflow Array argument")
    ndim = max(a.ndim for a in arrays)
    in_ind = tuple(range(ndim))
    pairs: list = []
    for a in args:
        if isinstance(a, (Array, np.ndarray)):
            pairs += [a, in_ind[ndim - a.ndim :]]
        else:
            pairs += [a, None]
    out_ind: list = list(in_ind)
    if drop_axis is not None:
        drop = [drop_axis] if isinstance(drop_axis, int) else list(drop_axis)
        drop = [d % ndim for d in drop] if ndim else drop
        out_ind = [i for i in out_ind if i not in drop]
    new_axes: dict = {}
    if new_axis is not None:
        newa = [new_axis] if isinstance(new_axis, int) else list(new_axis)
        nd_out = len(out_ind) + len(newa)
        newa = sorted(n % nd_out for n in newa)
        for k, pos in enumerate(newa):
            lab = f"new{k}"
            out_ind.insert(pos, lab)
            new_axes[lab] = 1
    block_id = _wants(func, "block_id")
    block_info = _wants(func, "block_info")
    if dtype is None and meta is not None and hasattr(meta, "dtype"):
        dtype = meta.dtype
    if dtype is None:
        try:
            dtype = _infer_dtype(func, list(args), kwargs, "map_blocks")
        except (ValueError, TypeError):
            dtype = next(a for a in arrays if isinstance(a, Array)).dtype
    adjust = None
    if chunks is not None:
        adjust = {}
        if len(chunks) != len(out_ind):
            raise ValueError(
                f"map_blocks: chunks={chunks!r} has {len(chunks)} entries but the output has "
                f"{len(out_ind)} dimensions; give one entry per output axis"
            )
        for lab, c in zip(out_ind, chunks, strict=True):
            if lab in new_axes:
                new_axes[lab] = c if isinstance(c, (tuple, list)) else int(c)
            else:
                adjust[lab] = c
    if block_id or block_info:
        out = blockwise(
            _Placeholder(func),
            out_ind,
            *pairs,
            name=name,
            token=token or funcname(func),
            dtype=dtype,
            adjust_chunks=adjust,
            new_axes=new_axes,
            concatenate=True,
            **kwargs,
        )
        return _with_block_info(out, func, pairs, kwargs, block_id, block_info)
    return blockwise(
        func,
        out_ind,
        *pairs,
        name=name,
        token=token,
        dtype=dtype,
        adjust_chunks=adjust,
        new_axes=new_axes,
        concatenate=True,
        **kwargs,
    )


def elemwise(
    op: Callable,
    *args: Any,
    out: Any = None,
    where: Any = True,
    dtype: Any = None,
    name: str | None = None,
    **kwargs: Any,
) -> Any:
    """Apply the element-wise function ``op`` with NumPy broadcasting.

    Arrays of different chunks are rechunked to common chunks; NumPy arrays
    and scalars may be mixed in.

    Parameters
    ----------
    op : callable
        An element-wise function (a ufunc, ``operator.add``...).
    *args : Array, NumPy array or scalar
        The operands.
    out : Array, optional
        An mpiflow Array made to hold the result (as NumPy's ``out=``).
    where : True
        Only ``True`` is supported (use :func:`mpiflow.array.where` instead).
    dtype : dtype, optional
        Output dtype (inferred by NumPy's rules if omitted).
    name : str, optional
        Output name.
    **kwargs
        Keywords passed to ``op``.

    Raises
    ------
    ValueError
        If the shapes cannot be broadcast together.

    Examples
    --------
    >>> import numpy as np
    >>> from mpiflow.array.core import from_array
    >>> x = from_array(np.arange(6).reshape(2, 3), chunks=(1, 3))
    >>> elemwise(np.add, x, np.array([10, 20, 30])).compute(scheduler='sync')
    array([[10, 21, 32],
           [13, 24, 35]])
    """
    from mpiflow.array.core import Array

    if where is not True:
        raise NotImplementedError(
            "elemwise(..., where=...) on mpiflow arrays; use da.where(cond, op(x), other)"
        )
    if out is not None:
        from mpiflow.array.ufunc import _assign_out

        return _assign_out(out, elemwise(op, *args, dtype=dtype, name=name, **kwargs))
    args = list(args)
    for i, a in enumerate(args):
        if (
            not isinstance(a, (Array, np.ndarray))
            and hasattr(a, "__array__")
            and hasattr(a, "shape")
        ):
            args[i] = np.asarray(a)
        elif isinstance(a, (list, tuple)):
            args[i] = np.asarray(a)
    shapes = [a.shape for a in args if isinstance(a, (Array, np.ndarray))]
    what = f"elementwise {funcname(op)}"
    shape = _broadcast_shapes(shapes, what)
    ndim = len(shape)
    pairs: list = []
    for a in args:
        if isinstance(a, Array) or (isinstance(a, np.ndarray) and a.ndim):
            pairs += [a, tuple(range(ndim - a.ndim, ndim))]
        else:  # scalars and 0-d arrays go whole into every task
            pairs += [a, None]
    if dtype is None:
        dtype = _infer_dtype(op, [p for p in pairs[::2]], kwargs, what)
    res = blockwise(
        op,
        tuple(range(ndim)),
        *pairs,
        dtype=dtype,
        name=name,
        token=funcname(op).replace("_", "-"),
        **kwargs,
    )
    if res.shape != shape and not any(map(_isnan, shape)):  # a safety net: never expected
        res = broadcast_to(res, shape)
    return res
