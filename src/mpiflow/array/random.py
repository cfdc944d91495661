"""Random arrays: a ``default_rng`` Generator and the legacy ``RandomState`` functions.

Every block is drawn by its own task from its own stream. A call spawns one
child of the generator's :class:`numpy.random.SeedSequence`, and block ``i``
(in C order) of the result uses the stream ``SeedSequence(entropy,
spawn_key=child.spawn_key + (i,))`` -- exactly the ``i``-th child that
``child.spawn`` would give. So

- the same seed, the same sequence of calls and the same chunks give the
  same values, on every scheduler and in every process;
- no two blocks (and no two calls) share a stream;
- without a seed, fresh OS entropy is used;
- the graph holds a few integers per block, never the data.

Values differ from NumPy's for the same seed (NumPy draws one stream) and
change when the chunks change.

Bit generator. Both APIs, the :class:`Generator` and the legacy
:class:`RandomState` functions, draw with :class:`numpy.random.SFC64` unless
given a bit generator (``default_rng(np.random.PCG64(5))`` uses PCG64). Time
to fill one 2000 x 2000 float64 block, development machine (2 cores, NumPy
2.4): quiet (mean of 10), SFC64 8.8 ms, PCG64DXSM 10.8, PCG64 14.7,
MT19937 35.1, legacy ``RandomState.random_sample`` 42; under load (best of 7, 6 busy
processes) 13.3 / 14.8 / 23.0 / 27.3 / 35.6 ms, and for normals 54 / 75 / 82
/ 110 ms. The legacy functions keep NumPy's names and signatures
(``randint``, ``random_sample``...) but not MT19937's values, which no
chunked draw could reproduce anyway.

Examples
--------
>>> import mpiflow.array as da
>>> x = da.random.default_rng(42).random((4, 4), chunks=2)
>>> y = da.random.default_rng(42).random((4, 4), chunks=2)
>>> bool((x == y).all().compute(scheduler='sync'))
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from mpiflow.array.core import Array
from mpiflow.array.random_streams import Streams

__all__ = ["Generator", "RandomState", "default_rng", "seed"]

_REQUIRED = object()


# --------------------------------------------------------------------------------------
# Methods shared by both APIs, generated from NumPy's parameter lists
# --------------------------------------------------------------------------------------

# name -> (NumPy Generator method, ((parameter, default), ...), keywords, doctest arguments)
_GENERATOR_METHODS: dict[str, tuple] = {
    "random": ("random", (), ("dtype",), ""),
    "standard_normal": ("standard_normal", (), ("dtype",), ""),
    "standard_exponential": ("standard_exponential", (), ("dtype", "method"), ""),
    "standard_cauchy": ("standard_cauchy", (), (), ""),
    "normal": ("normal", (("loc", 0.0), ("scale", 1.0)), (), "0.0, 2.0, "),
    "uniform": ("uniform", (("low", 0.0), ("high", 1.0)), (), "-1.0, 1.0, "),
    "exponential": ("exponential", (("scale", 1.0),), (), "2.0, "),
    "poisson": ("poisson", (("lam", 1.0),), (), "3.0, "),
    "binomial": ("binomial", (("n", _REQUIRED), ("p", _REQUIRED)), (), "10, 0.5, "),
    "beta": ("beta", (("a", _REQUIRED), ("b", _REQUIRED)), (), "2.0, 3.0, "),
    "gamma": ("gamma", (("shape", _REQUIRED), ("scale", 1.0)), (), "2.0, "),
    "standard_gamma": ("standard_gamma", (("shape", _REQUIRED),), ("dtype",), "2.0, "),
    "chisquare": ("chisquare", (("df", _REQUIRED),), (), "3, "),
    "geometric": ("geometric", (("p", _REQUIRED),), (), "0.5, "),
    "gumbel": ("gumbel", (("loc", 0.0), ("scale", 1.0)), (), ""),
    "laplace": ("laplace", (("loc", 0.0), ("scale", 1.0)), (), ""),
    "logistic": ("logistic", (("loc", 0.0), ("scale", 1.0)), (), ""),
    "lognormal": ("lognormal", (("mean", 0.0), ("sigma", 1.0)), (), ""),
    "negative_binomial": (
        "negative_binomial",
        (("n", _REQUIRED), ("p", _REQUIRED)),
        (),
        "5, 0.5, ",
    ),
    "pareto": ("pareto", (("a", _REQUIRED),), (), "3.0, "),
    "power": ("power", (("a", _REQUIRED),), (), "3.0, "),
    "rayleigh": ("rayleigh", (("scale", 1.0),), (), ""),
    "standard_t": ("standard_t", (("df", _REQUIRED),), (), "5, "),
    "triangular": (
        "triangular",
        (("left", _REQUIRED), ("mode", _REQUIRED), ("right", _REQUIRED)),
        (),
        "0.0, 0.5, 1.0, ",
    ),
    "weibull": ("weibull", (("a", _REQUIRED),), (), "2.0, "),
}

# legacy RandomState name -> (Generator method, parameters, keywords, doctest arguments)
_LEGACY_METHODS: dict[str, tuple] = {
    name: spec
    for name, spec in _GENERATOR_METHODS.items()
    if name not in ("random", "standard_normal", "standard_exponential", "standard_gamma")
}
_LEGACY_METHODS.update(
    {
        "random_sample": ("random", (), (), ""),
        "random": ("random", (), (), ""),
        "standard_normal": ("standard_normal", (), (), ""),
        "standard_exponential": ("standard_exponential", (), (), ""),
        "standard_gamma": ("standard_gamma", (("shape", _REQUIRED),), (), "2.0, "),
    }
)


def _bind(public: str, params: tuple, keywords: tuple, args: tuple, kwargs: dict) -> tuple:
    """Map NumPy-style arguments to (values, size, extra keywords, chunks).

    Positional order: the distribution's parameters, ``size``, then NumPy's
    other keywords (``dtype``...) and last ``chunks``, as in Dask.
    """
    names = [n for n, _ in params]
    values = [d for _, d in params]
    size = kwargs.pop("size", None)
    chunks = kwargs.pop("chunks", "auto")
    order = [*names, "size", *keywords, "chunks"]
    if len(args) > len(order):
        raise TypeError(f"{public}() takes at most {len(order)} positional arguments")
    extra = {}
    for name, a in zip(order, args, strict=False):
        if name == "size":
            size = a
        elif name == "chunks":
            chunks = a
        elif name in keywords:
            extra[name] = a
        else:
            values[names.index(name)] = a
    for k, v in kwargs.items():
        if k in names:
            values[names.index(k)] = v
        elif k in keywords:
            extra[k] = v
        else:
            raise TypeError(f"{public}() got an unexpected keyword argument {k!r}")
    missing = [n for n, v in zip(names, values, strict=True) if v is _REQUIRED]
    if missing:
        raise TypeError(f"{public}() missing required argument(s): {', '.join(missing)}")
    return values, size, extra, chunks


def _make_method(public: str, spec: tuple, owner: str) -> Callable:
    method, params, keywords, example = spec
    signature = ", ".join(
        [n if d is _REQUIRED else f"{n}={d!r}" for n, d in params]
        + ["size=None"]
        + [f"{k}=..." for k in keywords]
        + ["chunks='auto'"]
    )

    def draw(self: Any, *args: Any, **kwargs: Any) -> Array:
        values, size, extra, chunks = _bind(public, params, keywords, args, kwargs)
        return self._streams.draw(method, values, size, chunks, extra, prefix=public)

    draw.__name__ = draw.__qualname__ = public
    draw.__doc__ = f"""{public}({signature})

        Draw samples like ``numpy.random.Generator.{method}``, one task per block.

        Parameters are those of NumPy (scalars, NumPy arrays or mpiflow arrays
        that broadcast to ``size``), plus ``chunks`` (any chunk spec, default
        ``'auto'``). Each block has its own stream (see :mod:`mpiflow.array.random`).

        Returns
        -------
        Array

        Examples
        --------
        >>> from mpiflow.array.random import {owner}
        >>> x = {owner}(0).{public}({example}size=(4, 3), chunks=2)
        >>> x.shape, x.chunks
        ((4, 3), ((2, 2), (2, 1)))
        """
    return draw


class Generator:
    """A chunked counterpart of :class:`numpy.random.Generator`; make one with :func:`default_rng`.

    Parameters
    ----------
    bit_generator : seed, SeedSequence, BitGenerator or numpy Generator, optional
        Where the streams come from (see :func:`default_rng`).

    Examples
    --------
    >>> rng = Generator(np.random.PCG64(7))
    >>> rng.integers(0, 10, size=5, chunks=2).compute(scheduler='sync').dtype
    dtype('int64')
    """

    def __init__(self, bit_generator: Any = None) -> None:
        self._streams = Streams(bit_generator)

    def __repr__(self) -> str:
        return f"Generator({self._streams.bitgen.__name__})"

    def integers(
        self,
        low: Any,
        high: Any = None,
        size: Any = None,
        dtype: Any = np.int64,
        endpoint: bool = False,
        chunks: Any = "auto",
    ) -> Array:
        """Random integers in ``[low, high)`` (``[low, high]`` with ``endpoint=True``).

        As ``numpy.random.Generator.integers``; ``high=None`` draws from ``[0, low)``.

        Examples
        --------
        >>> x = default_rng(1).integers(5, 8, size=(6,), chunks=4)
        >>> v = x.compute(scheduler='sync')
        >>> bool(((5 <= v) & (v < 8)).all()), x.chunks
        (True, ((4, 2),))
        """
        params = [low] if high is None else [low, high]
        kw = {"dtype": np.dtype(dtype), "endpoint": endpoint}
        return self._streams.draw("integers", params, size, chunks, kw)

    def choice(
        self,
        a: Any,
        size: Any = None,
        replace: bool = True,
        p: Any = None,
        axis: int = 0,
        shuffle: bool = True,
        chunks: Any = "auto",
    ) -> Array:
        """Random samples from a 1-d population ``a`` (or ``range(a)`` for an int).

        Each block samples independently, so ``replace=False`` needs a single
        output chunk (``chunks=-1``); more raises ``NotImplementedError``.

        Examples
        --------
        >>> x = default_rng(3).choice([10, 20, 30], size=6, chunks=3)
        >>> set(x.compute(scheduler='sync').tolist()) <= {10, 20, 30}
        True
        """
        return self._streams.choice(a, size, replace, p, axis, chunks)


class RandomState:
    """The legacy API (``numpy.random.RandomState`` names and signatures), chunked.

    Draws with the same per-block streams as :class:`Generator` (SFC64 by
    default, not MT19937; see :mod:`mpiflow.array.random`).

    Parameters
    ----------
    seed : int, sequence of ints, SeedSequence or BitGenerator, optional
        ``None`` takes fresh entropy.

    Examples
    --------
    >>> state = RandomState(5)
    >>> state.randint(0, 3, size=4, chunks=2).chunks
    ((2, 2),)
    """

    def __init__(self, seed: Any = None) -> None:
        self._streams = Streams(seed)

    def __repr__(self) -> str:
        return f"RandomState({self._streams.bitgen.__name__})"

    def seed(self, seed: Any = None) -> None:
        """Restart the streams from ``seed`` (``None``: fresh entropy).

        Examples
        --------
        >>> state = RandomState()
        >>> state.seed(1); a = state.random_sample(3, chunks=2).compute(scheduler='sync')
        >>> state.seed(1); b = state.random_sample(3, chunks=2).compute(scheduler='sync')
        >>> bool((a == b).all())
        True
        """
        self._streams = Streams(seed)

    def randint(
        self,
        low: Any,
        high: Any = None,
        size: Any = None,
        chunks: Any = "auto",
        dtype: Any = np.int64,
    ) -> Array:
        """Random integers in ``[low, high)`` (``[0, low)`` when ``high`` is None).

        Examples
        --------
        >>> v = RandomState(2).randint(3, size=10, chunks=5).compute(scheduler='sync')
        >>> bool(((0 <= v) & (v < 3)).all())
        True
        """
        params = [low] if high is None else [low, high]
        kw = {"dtype": np.dtype(dtype)}
        return self._streams.draw("integers", params, size, chunks, kw, prefix="randint")

    def choice(
        self, a: Any, size: Any = None, replace: bool = True, p: Any = None, chunks: Any = "auto"
    ) -> Array:
        """Random samples from a 1-d population ``a`` (or ``range(a)``), as Generator.choice.

        Examples
        --------
        >>> RandomState(0).choice(5, size=3, chunks=-1).compute(scheduler='sync').shape
        (3,)
        """
        return self._streams.choice(a, size, replace, p, 0, chunks)


for _name, _spec in _GENERATOR_METHODS.items():
    setattr(Generator, _name, _make_method(_name, _spec, "default_rng"))
for _name, _spec in _LEGACY_METHODS.items():
    setattr(RandomState, _name, _make_method(_name, _spec, "RandomState"))


def default_rng(seed: Any = None) -> Generator:
    """Return a chunked random :class:`Generator` (as ``numpy.random.default_rng``).

    Parameters
    ----------
    seed : None, int, sequence of ints, SeedSequence, BitGenerator or Generator
        ``None`` takes fresh entropy. A NumPy bit generator picks its class
        (default SFC64) and its seed sequence; an mpiflow Generator is
        returned as it is.

    Returns
    -------
    Generator

    Examples
    --------
    >>> rng = default_rng(123)
    >>> x = rng.normal(10.0, 0.1, size=(1000,), chunks=250)
    >>> round(float(x.mean().compute(scheduler='sync')))
    10
    """
    if isinstance(seed, Generator):
        return seed
    return Generator(seed)


_state = RandomState()


def seed(seed: Any = None) -> None:
    """Reseed the module-level legacy functions (``random``, ``normal``, ``randint``...).

    Examples
    --------
    >>> import mpiflow.array as da
    >>> da.random.seed(8); a = da.random.random(4, chunks=2).compute(scheduler='sync')
    >>> da.random.seed(8); b = da.random.random(4, chunks=2).compute(scheduler='sync')
    >>> bool((a == b).all())
    True
    """
    _state.seed(seed)


def _module_function(name: str) -> Callable:
    method = getattr(RandomState, name)

    def function(*args: Any, **kwargs: Any) -> Array:
        return getattr(_state, name)(*args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = (
        (method.__doc__ or "")
        .replace(
            "from mpiflow.array.random import RandomState",
            f"from mpiflow.array.random import {name}",
        )
        .replace(f"RandomState(0).{name}(", f"{name}(")
    )
    return function


for _name in [*_LEGACY_METHODS, "randint", "choice"]:
    globals()[_name] = _module_function(_name)
    __all__.append(_name)
