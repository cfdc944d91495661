"""Reduction and groupby methods of DataFrame and Series (mixin).

Every reduction is a tree (:func:`mpiflow.dataframe.reductions.reduction`) of
the pandas kernels in :mod:`mpiflow.dataframe.reductions_kernels`; the result's
meta comes from running the same pandas method on a small fake partition, so
a reduction pandas refuses (``mean`` of strings) fails when it is built, not
when it runs. ``axis=1`` reductions run partition by partition.
More methods (quantile, describe, value_counts, mode, ...) live in
:mod:`mpiflow.dataframe.methods_reduce_more`.

Examples
--------
>>> import pandas as pd
>>> import mpiflow.dataframe as dd
>>> df = dd.from_pandas(pd.DataFrame({'a': [1, 2, 3, 4], 'b': [1.0, None, 3.0, 5.0]}),
...                     npartitions=2)
>>> df.sum().compute()
a    10.0
b     9.0
dtype: float64
>>> float(df.b.std().compute())
2.0
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mpiflow.dataframe import reductions_kernels as K
from mpiflow.dataframe.meta import make_meta, meta_nonempty, no_default
from mpiflow.dataframe.methods_reduce_more import MoreReductionMethods
from mpiflow.dataframe.reductions import reduction

__all__ = ["ReductionMethods"]


def _axis(obj: Any, axis: Any, what: str) -> int:
    """0 or 1 from pandas' spellings; Series only take 0."""
    a = {None: 0, 0: 0, "index": 0, "rows": 0, 1: 1, "columns": 1}.get(axis, -1)
    if a < 0 or (a == 1 and not isinstance(obj._meta, pd.DataFrame)):
        raise ValueError(
            f"{what}: axis={axis!r} is not valid for a {type(obj).__name__}; use axis=0 "
            + ("or axis=1" if isinstance(obj._meta, pd.DataFrame) else "(the only axis)")
        )
    return a


def pandas_meta(obj: Any, method: str, *args: Any, **kwargs: Any) -> Any:
    """Run pandas' ``method`` on a small fake partition of ``obj``; return the result's meta.

    Raises a TypeError that names the method and the dtypes when pandas refuses.

    Examples
    --------
    >>> import pandas as pd
    >>> import mpiflow.dataframe as dd
    >>> s = dd.from_pandas(pd.Series(['x', 'y']), npartitions=1)
    >>> pandas_meta(s, 'mean')  # doctest: +ELLIPSIS
    Traceback (most recent call last):
      ...
    TypeError: Series.mean is not defined for these dtypes (str): ...
    """
    fake = meta_nonempty(obj._meta)
    try:
        out = getattr(fake, method)(*args, **kwargs)
    except (TypeError, ValueError, NotImplementedError) as e:
        meta = obj._meta
        dtypes = (
            ", ".join(f"{c}: {d}" for c, d in meta.dtypes.items())
            if isinstance(meta, pd.DataFrame)
            else str(meta.dtype)
        )
        hint = (
            " Select the columns it applies to, or pass numeric_only=True."
            if isinstance(meta, pd.DataFrame)
            else ""
        )
        raise TypeError(
            f"{type(obj).__name__}.{method} is not defined for these dtypes ({dtypes}): "
            f"{type(e).__name__}: {str(e).rstrip('.')}.{hint}"
        ) from e
    return make_meta(out)


class ReductionMethods(MoreReductionMethods):
    """Reductions (``sum``, ``mean``, ...) and ``groupby``, mixed into the frame classes."""

    # -- helpers ------------------------------------------------------------------------
    def _tree(
        self,
        how: str,
        chunk: Any,
        combine: Any,
        aggregate: Any,
        *,
        meta: Any,
        split_every: Any = None,
        chunk_kwargs: dict | None = None,
        aggregate_kwargs: dict | None = None,
        combine_kwargs: dict | None = None,
        frame: Any = None,
    ) -> Any:
        ak = {"empty": self._meta, **(aggregate_kwargs or {})}
        return reduction(
            self if frame is None else frame,
            chunk,
            aggregate,
            combine,
            meta=meta,
            split_every=split_every,
            label=f"{how}",
            chunk_kwargs=chunk_kwargs,
            aggregate_kwargs=ak,
            combine_kwargs=combine_kwargs or {},
            concat=False,
        )

    def _rowwise(self, how: str, **kwargs: Any) -> Any:
        from mpiflow.dataframe.core import partitionwise

        meta = pandas_meta(self, how, axis=1, **kwargs)
        return partitionwise(_call, self, how, meta=meta, label=f"{how}-axis1", axis=1, **kwargs)

    def _simple(self, how: str, axis: Any, skipna: bool, split_every: Any, **kw: Any) -> Any:
        numeric_only = kw.pop("numeric_only", False)
        min_count = kw.pop("min_count", 0)
        frame = isinstance(self._meta, pd.DataFrame)
        pkw: dict = (
            {} if how in ("any", "all") else ({"numeric_only": numeric_only} if frame else {})
        )
        if how not in ("count", "any", "all"):
            pkw["skipna"] = skipna
        if min_count:
            pkw["min_count"] = min_count
        if _axis(self, axis, how) == 1:
            return self._rowwise(how, **pkw)
        meta = pandas_meta(self, how, **pkw)
        if min_count:
            return _with_min_count(
                self, how, axis, skipna, split_every, numeric_only, min_count, meta
            )
        return self._tree(
            how,
            K.chunk_simple,
            K.combine_simple,
            K.aggregate_simple,
            meta=meta,
            split_every=split_every,
            chunk_kwargs={"how": how, "skipna": skipna, "numeric_only": numeric_only},
            combine_kwargs={"how": how, "skipna": skipna},
            aggregate_kwargs={
                "how": how,
                "skipna": skipna,
                "numeric_only": numeric_only,
                "meta": meta,
            },
        )

    # -- simple reductions --------------------------------------------------------------
    def sum(
        self,
        axis: Any = None,
        skipna: bool = True,
        split_every: Any = None,
        numeric_only: bool = False,
        min_count: int = 0,
    ) -> Any:
        """Sum of the values (per column of a DataFrame), as ``pandas.DataFrame.sum``.

        Parameters
        ----------
        axis : {0, 1}
            0 reduces over rows (a tree of tasks); 1 sums each row (per partition).
        skipna : bool
            Skip missing values.
        split_every : int, optional
            Partials merged per task (default 8).
        numeric_only : bool
            Only numeric and boolean columns.
        min_count : int
            The result is NaN when fewer values are present.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> s = dd.from_pandas(pd.Series([1, 2, 3]), npartitions=2)
        >>> s.sum().compute()
        np.int64(6)
        """
        return self._simple(
            "sum", axis, skipna, split_every, numeric_only=numeric_only, min_count=min_count
        )

    def prod(
        self,
        axis: Any = None,
        skipna: bool = True,
        split_every: Any = None,
        numeric_only: bool = False,
        min_count: int = 0,
    ) -> Any:
        """Product of the values, as ``pandas.DataFrame.prod``.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> dd.from_pandas(pd.Series([1, 2, 3, 4]), npartitions=2).prod().compute()
        np.int64(24)
        """
        return self._simple(
            "prod", axis, skipna, split_every, numeric_only=numeric_only, min_count=min_count
        )

    product = prod

    def min(
        self,
        axis: Any = None,
        skipna: bool = True,
        split_every: Any = None,
        numeric_only: bool = False,
    ) -> Any:
        """Minimum of the values, as ``pandas.DataFrame.min`` (empty partitions are skipped).

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> dd.from_pandas(pd.Series([3, 1, 2]), npartitions=2).min().compute()
        np.int64(1)
        """
        return self._simple("min", axis, skipna, split_every, numeric_only=numeric_only)

    def max(
        self,
        axis: Any = None,
        skipna: bool = True,
        split_every: Any = None,
        numeric_only: bool = False,
    ) -> Any:
        """Maximum of the values, as ``pandas.DataFrame.max``.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> dd.from_pandas(pd.Series([3, 1, 2]), npartitions=2).max().compute()
        np.int64(3)
        """
        return self._simple("max", axis, skipna, split_every, numeric_only=numeric_only)

    def count(self, axis: Any = None, split_every: Any = None, numeric_only: bool = False) -> Any:
        """Number of non-missing values (per column), as ``pandas.DataFrame.count``.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> dd.from_pandas(pd.Series([1.0, None, 2.0]), npartitions=2).count().compute()
        np.int64(2)
        """
        return self._simple("count", axis, True, split_every, numeric_only=numeric_only)

    def any(self, axis: Any = None, skipna: bool = True, split_every: Any = None) -> Any:
        """Whether any value is true, as ``pandas.DataFrame.any``.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> bool(dd.from_pandas(pd.Series([0, 0, 1]), npartitions=2).any().compute())
        True
        """
        return self._simple("any", axis, skipna, split_every)

    def all(self, axis: Any = None, skipna: bool = True, split_every: Any = None) -> Any:
        """Whether all values are true, as ``pandas.DataFrame.all``.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> bool(dd.from_pandas(pd.Series([1, 0, 1]), npartitions=2).all().compute())
        False
        """
        return self._simple("all", axis, skipna, split_every)

    # -- moments ------------------------------------------------------------------------
    def _moments(self, how: str, axis: Any, skipna: bool, ddof: int, split_every: Any, nonly):
        frame = isinstance(self._meta, pd.DataFrame)
        pkw: dict = {"skipna": skipna, **({"numeric_only": nonly} if frame else {})}
        if how != "mean":
            pkw["ddof"] = ddof
        if _axis(self, axis, how) == 1:
            return self._rowwise(how, **pkw)
        meta = pandas_meta(self, how, **pkw)
        dtypes = self._meta.dtypes if frame else pd.Series([self._meta.dtype])
        times = [str(c) for c, d in dtypes.items() if d.kind in "mM"] if not nonly else []
        if times:
            raise NotImplementedError(
                f"{how} of datetime/timedelta values is not supported yet "
                f"({'columns ' + ', '.join(times) if frame else 'this Series'}); pass "
                "numeric_only=True, or compute it on s.astype('int64') and convert back"
            )
        return self._tree(
            how,
            K.chunk_moments,
            K.combine_moments,
            K.aggregate_moments,
            meta=meta,
            split_every=split_every,
            chunk_kwargs={
                "skipna": skipna,
                "numeric_only": nonly,
                "order": 1 if how == "mean" else 2,
            },
            aggregate_kwargs={
                "how": how,
                "ddof": ddof,
                "skipna": skipna,
                "numeric_only": nonly,
                "meta": meta,
            },
        )

    def mean(
        self,
        axis: Any = None,
        skipna: bool = True,
        split_every: Any = None,
        numeric_only: bool = False,
    ) -> Any:
        """Mean of the values, from per-partition sums and counts.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> float(dd.from_pandas(pd.Series([1, 2, 3, 6]), npartitions=2).mean().compute())
        3.0
        """
        return self._moments("mean", axis, skipna, 1, split_every, numeric_only)

    def var(
        self,
        axis: Any = None,
        skipna: bool = True,
        ddof: int = 1,
        split_every: Any = None,
        numeric_only: bool = False,
    ) -> Any:
        """Variance (``ddof`` degrees of freedom), merged stably with Chan's formula.

        Each partition contributes its count, sum and sum of squared deviations
        from its own mean (pandas' stable ``var``), so a large mean does not
        cancel the variance away as a plain sum of squares would.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> s = dd.from_pandas(pd.Series([1e9 + 1, 1e9 + 2, 1e9 + 3]), npartitions=3)
        >>> float(s.var().compute())
        1.0
        """
        return self._moments("var", axis, skipna, ddof, split_every, numeric_only)

    def std(
        self,
        axis: Any = None,
        skipna: bool = True,
        ddof: int = 1,
        split_every: Any = None,
        numeric_only: bool = False,
    ) -> Any:
        """Standard deviation (``ddof`` degrees of freedom), as ``pandas.DataFrame.std``.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> float(dd.from_pandas(pd.Series([1, 3, 5]), npartitions=2).std(ddof=0).compute())
        1.632993161855452
        """
        return self._moments("std", axis, skipna, ddof, split_every, numeric_only)

    # -- Dask's generic reduction method ------------------------------------------------
    def reduction(
        self,
        chunk: Any,
        aggregate: Any = None,
        combine: Any = None,
        meta: Any = no_default,
        token: Any = None,
        split_every: Any = None,
        chunk_kwargs: dict | None = None,
        aggregate_kwargs: dict | None = None,
        combine_kwargs: dict | None = None,
        **kwargs: Any,
    ) -> Any:
        """A custom tree reduction (Dask's ``reduction``).

        ``chunk(partition)`` runs on every partition; ``combine`` (default:
        ``aggregate``) and ``aggregate`` get the partials concatenated: scalars
        as a Series with one row per partition, Series as a DataFrame with one
        row per partition, DataFrames stacked. Extra ``**kwargs`` go to both
        ``chunk`` and ``aggregate``.

        Examples
        --------
        >>> import pandas as pd, mpiflow.dataframe as dd
        >>> s = dd.from_pandas(pd.Series([1, 2, 3, 4]), npartitions=2)
        >>> s.reduction(lambda p: p.max() - p.min(), lambda parts: parts.sum()).compute()
        np.int64(2)
        """
        from mpiflow.dataframe.reductions import _concat

        aggregate = chunk if aggregate is None else aggregate
        ck = {**kwargs, **(chunk_kwargs or {})}
        ak = {**kwargs, **(aggregate_kwargs or {})}
        if meta is no_default:
            fake = meta_nonempty(self._meta)
            try:
                out = aggregate(_concat([chunk(fake, **ck)]), **ak)
            except Exception as e:
                raise ValueError(
                    f"reduction: could not infer the result's meta by running chunk and "
                    f"aggregate on a small fake partition ({type(e).__name__}: {e}); pass meta="
                ) from e
            meta = make_meta(out)
        else:
            meta = make_meta(meta)
        return reduction(
            self,
            chunk,
            aggregate,
            combine,
            meta=meta,
            split_every=split_every,
            token=token,
            label=token if isinstance(token, str) else None,
            chunk_kwargs=ck,
            aggregate_kwargs=ak,
            combine_kwargs=combine_kwargs if combine_kwargs is not None else ak,
            concat=True,
        )


def _with_min_count(
    obj: Any, how: str, axis: Any, skipna: bool, split_every: Any, nonly: bool, n: int, meta
) -> Any:
    """``how`` reduction, NaN where fewer than ``n`` values were counted (two trees)."""
    from mpiflow.dataframe.core import partitionwise
    from mpiflow.dataframe.scalar import Scalar, scalar_op

    total = obj._simple(how, axis, skipna, split_every, numeric_only=nonly)
    count = obj._simple("count", axis, skipna, split_every, numeric_only=nonly)
    if isinstance(total, Scalar):
        return scalar_op(_apply_min_count, total, count, n, meta=meta, label=f"{how}-min-count")
    return partitionwise(
        _apply_min_count, total, count, n, meta=meta, label=f"{how}-min-count", align=False
    )


def _apply_min_count(total: Any, count: Any, n: int) -> Any:
    if isinstance(total, pd.Series):
        return total.where(count >= n)
    return total if count >= n else np.nan


def _call(part: Any, how: str, **kwargs: Any) -> Any:
    return getattr(part, how)(**kwargs)
