"""The streams behind :mod:`mpiflow.array.random`: one task and one seed per block.

A :class:`Streams` holds a root :class:`numpy.random.SeedSequence` and a bit
generator class. Each draw spawns one child sequence; block ``i`` of the
result draws from ``SeedSequence(entropy, spawn_key=child.spawn_key + (i,))``,
so tasks carry a few integers, never data, and no two blocks share a stream.
The per-block functions live at module level so the processes scheduler can
pickle them.

Examples
--------
>>> s = Streams(42)
>>> x = s.draw('random', [], (4,), 2, {})
>>> x.chunks, x.dtype
(((2, 2),), dtype('float64'))
"""

from __future__ import annotations

import math
import numbers
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from mpiflow.array.chunks import normalize_chunks, slices_from_chunks
from mpiflow.array.core import Array, new_array
from mpiflow.core.tokenize import tokenize

__all__ = ["Streams"]

_DEFAULT_BITGEN = np.random.SFC64


# --------------------------------------------------------------------------------------
# Per-block work (module-level functions: picklable for the processes scheduler)
# --------------------------------------------------------------------------------------


def _block_generator(bitgen: type, entropy: int, spawn_key: tuple) -> np.random.Generator:
    return np.random.Generator(bitgen(np.random.SeedSequence(entropy, spawn_key=spawn_key)))


def _random_block(
    bitgen: type, entropy: int, spawn_key: tuple, method: str, size: tuple, args: list, kwargs: dict
) -> np.ndarray:
    gen = _block_generator(bitgen, entropy, spawn_key)
    return np.asarray(getattr(gen, method)(*args, size=size, **kwargs))


def _choice_block(
    bitgen: type, entropy: int, spawn_key: tuple, size: tuple, a: Any, replace: bool, p: Any
) -> np.ndarray:
    gen = _block_generator(bitgen, entropy, spawn_key)
    return np.asarray(gen.choice(a, size=size, replace=replace, p=p))


# --------------------------------------------------------------------------------------
# Building the graph
# --------------------------------------------------------------------------------------


def _check_size(size: Any) -> tuple:
    if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
        size = (size,)
    try:
        shape = tuple(size)
    except TypeError:
        raise TypeError(f"size={size!r} must be an int or a tuple of ints") from None
    for s in shape:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
            raise TypeError(f"size={size!r} must be an int or a tuple of ints, got {s!r}")
        if s < 0:
            raise ValueError(f"size={size!r}: negative dimensions are not allowed")
    return tuple(int(s) for s in shape)


def _param_shape(p: Any) -> tuple:
    return tuple(p.shape) if isinstance(p, (Array, np.ndarray)) else ()


def _probe_value(p: Any) -> Any:
    """A scalar stand-in for parameter ``p`` used to find the output dtype."""
    if isinstance(p, Array):
        return np.ones((), dtype=p.dtype)
    if isinstance(p, np.ndarray):
        return p.ravel()[0] if p.size else np.ones((), dtype=p.dtype)
    return p


def _block_param(p: Any, shape: tuple, block: tuple) -> Any:
    """The part of a NumPy parameter (broadcast against ``shape``) that block ``block`` needs."""
    if not isinstance(p, np.ndarray) or p.ndim == 0:
        return p
    lead = len(shape) - p.ndim
    index = tuple(slice(None) if n == 1 else block[lead + i] for i, n in enumerate(p.shape))
    return p[index]


class Streams:
    """The root SeedSequence and bit generator class shared by Generator and RandomState.

    Parameters
    ----------
    seed : None, int, sequence of ints, SeedSequence, BitGenerator or numpy Generator
        Where the streams come from; a bit generator also picks its class
        (default SFC64).

    Examples
    --------
    >>> s = Streams(np.random.PCG64(3))
    >>> s.bitgen.__name__
    'PCG64'
    """

    __slots__ = ("seq", "bitgen", "lock")

    def __init__(self, seed: Any = None) -> None:
        bitgen: type = _DEFAULT_BITGEN
        if isinstance(seed, np.random.Generator):
            seed = seed.bit_generator
        if isinstance(seed, np.random.BitGenerator):
            bitgen = type(seed)
            seed = seed.seed_seq
        if not isinstance(seed, np.random.SeedSequence):
            if isinstance(seed, (float, np.floating)) or isinstance(seed, bool):
                raise TypeError(
                    f"seed={seed!r}: use None, a non-negative int, a sequence of ints, a "
                    "numpy SeedSequence, BitGenerator or Generator"
                )
            try:
                seed = np.random.SeedSequence(seed)
            except (TypeError, ValueError) as e:
                raise type(e)(
                    f"seed={seed!r} is not a valid seed ({e}); use None, a non-negative int, "
                    "a sequence of ints, or a numpy SeedSequence, BitGenerator or Generator"
                ) from None
        self.seq = seed
        self.lock = threading.Lock()  # spawn() counts children: one caller at a time
        self.bitgen = bitgen

    def draw(
        self,
        method: str,
        params: list,
        size: Any,
        chunks: Any,
        kwargs: dict,
        dtype: Any = None,
        prefix: str | None = None,
    ) -> Array:
        """One lazy call of ``Generator.<method>(*params, size=size, **kwargs)``.

        Examples
        --------
        >>> x = Streams(1).draw('normal', [0.0, 2.0], (4,), 2, {})
        >>> x.shape, x.chunks
        ((4,), ((2, 2),))
        """
        shapes = [_param_shape(p) for p in params]
        if size is None:
            try:
                shape = np.broadcast_shapes(*shapes)
            except ValueError:
                raise ValueError(
                    f"{method}: parameter shapes {shapes} do not broadcast together"
                ) from None
        else:
            shape = _check_size(size)
            for s in shapes:
                try:
                    if np.broadcast_shapes(s, shape) != shape:
                        raise ValueError
                except ValueError:
                    raise ValueError(
                        f"{method}: a parameter of shape {s} does not broadcast to size={shape}"
                    ) from None
        if dtype is None:  # ask NumPy on a tiny sample; this also validates scalar parameters
            probe = np.random.Generator(self.bitgen(0))
            sample = getattr(probe, method)(*map(_probe_value, params), size=1, **kwargs)
            dtype = np.asarray(sample).dtype
        chunks = normalize_chunks(chunks, shape, dtype=dtype)
        entropy, key = self._call_stream()
        name = f"{prefix or method}-" + tokenize(
            self.bitgen.__name__, entropy, key, method, params, kwargs, shape, chunks
        )
        dependencies = []
        aligned = []
        for p in params:
            if isinstance(p, Array):
                from mpiflow.array.blockwise import broadcast_to

                p = broadcast_to(p, shape).rechunk(chunks)
                dependencies.append(p)
            aligned.append(p)

        def task(i: int, idx: tuple, block: tuple, bshape: tuple) -> tuple:
            args = [
                (p.name, *idx) if isinstance(p, Array) else _block_param(p, shape, block)
                for p in aligned
            ]
            return (_random_block, self.bitgen, entropy, key + (i,), method, bshape, args, kwargs)

        return new_array(name, _layer(name, chunks, task), chunks, dtype, dependencies)

    def _call_stream(self) -> tuple:
        """(entropy, spawn key) of a fresh child stream: one per call."""
        with self.lock:
            child = self.seq.spawn(1)[0]
        return child.entropy, tuple(child.spawn_key)

    def choice(self, a: Any, size: Any, replace: bool, p: Any, axis: int, chunks: Any) -> Array:
        """A lazy ``Generator.choice`` (1-d populations, ``axis=0``).

        Examples
        --------
        >>> x = Streams(1).choice(5, (6,), True, None, 0, 3)
        >>> bool(((x >= 0) & (x < 5)).all().compute(scheduler='sync'))
        True
        """
        if axis != 0:
            raise NotImplementedError(f"choice(axis={axis}): only axis=0 is supported")
        dependencies = []
        if isinstance(a, Array):
            if a.ndim != 1:
                raise ValueError(f"choice: a must be 1-dimensional, got shape {a.shape}")
            probe_a = np.zeros(a.shape, dtype=a.dtype)
            a = a.rechunk(-1)
            dependencies.append(a)
        elif isinstance(a, (numbers.Integral, np.integer)):
            probe_a = int(a)
        else:
            a = probe_a = np.asarray(a)
            if a.ndim != 1:
                raise ValueError(f"choice: a must be an int or 1-dimensional, got shape {a.shape}")
        if isinstance(p, Array):
            probe_p = None
            p = p.rechunk(-1)
            dependencies.append(p)
        else:
            probe_p = p = None if p is None else np.asarray(p, dtype=float)
        shape = () if size is None else _check_size(size)
        total = math.prod(shape)
        # NumPy validates a, p (length, sum) on a tiny draw and gives the dtype
        probe = np.random.Generator(self.bitgen(0))
        dtype = probe.choice(probe_a, size=min(total, 1), p=probe_p).dtype
        population = probe_a if isinstance(probe_a, int) else len(probe_a)
        if not replace and total > population:
            raise ValueError(
                "choice(replace=False): cannot take a larger sample than the population"
            )
        chunks = normalize_chunks(chunks, shape, dtype=dtype)
        if not replace and math.prod(len(c) for c in chunks) > 1:
            raise NotImplementedError(
                "choice(replace=False) with more than one output chunk (blocks drawn "
                "independently could repeat items): use chunks=-1"
            )
        entropy, key = self._call_stream()
        ref_a = (a.name, 0) if isinstance(a, Array) else a
        ref_p = (p.name, 0) if isinstance(p, Array) else p
        name = "choice-" + tokenize(
            self.bitgen.__name__, entropy, key, ref_a, ref_p, replace, shape, chunks
        )

        def task(i: int, idx: tuple, block: tuple, bshape: tuple) -> tuple:
            return (_choice_block, self.bitgen, entropy, key + (i,), bshape, ref_a, replace, ref_p)

        return new_array(name, _layer(name, chunks, task), chunks, dtype, dependencies)


def _layer(name: str, chunks: tuple, task: Callable) -> dict:
    """``{(name, *idx): task(i, idx, slices, block shape)}`` for block ``i`` in C order."""
    numblocks = tuple(len(c) for c in chunks)
    layer = {}
    for i, (idx, block) in enumerate(
        zip(np.ndindex(numblocks), slices_from_chunks(chunks), strict=True)
    ):
        layer[(name, *idx)] = task(i, idx, block, tuple(b.stop - b.start for b in block))
    return layer
