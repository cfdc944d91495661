"""groupby aggregations over random frames and partitionings (hypothesis) against pandas."""

from __future__ import annotations

import pandas as pd
from dataframe_helpers import assert_eq, frames, partitionings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mpiflow.dataframe as dd

_SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
_NUMERIC_AGGS = ["sum", "mean", "count", "min", "max", "std", "var", "first", "last", "nunique"]


def _key_frame(data: st.DataObject) -> pd.DataFrame:
    p = data.draw(frames(kinds=("int", "float", "bool"), min_columns=1, max_columns=3))
    n = len(p)
    keys = data.draw(st.lists(st.sampled_from(["a", "b", "c", None]), min_size=n, max_size=n))
    small = data.draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    return p.assign(key=pd.Series(keys, dtype=object).astype("str"), ikey=small)


@_SETTINGS
@given(data=st.data())
def test_groupby_aggregations_match_pandas(data):
    p = _key_frame(data)
    df = dd.from_pandas(p, **data.draw(partitionings(len(p))))
    by = data.draw(st.sampled_from(["ikey", ["ikey", "key"], "key"]))
    sort = data.draw(st.booleans())
    dropna = data.draw(st.booleans())
    split_every = data.draw(st.sampled_from([None, 2, False]))
    how = data.draw(st.sampled_from(_NUMERIC_AGGS + ["size"]))
    cols = [c for c in p.columns if c not in ("key", "ikey")]
    g = df.groupby(by, sort=sort, dropna=dropna)
    pg = p.groupby(by, sort=sort, dropna=dropna)
    got = getattr(g[cols], how)(split_every=split_every)
    assert_eq(got, getattr(pg[cols], how)(), rtol=1e-6, atol=1e-6)
    col = cols[0]
    assert_eq(
        getattr(g[col], how)(split_every=split_every), getattr(pg[col], how)(), rtol=1e-6, atol=1e-6
    )


@_SETTINGS
@given(data=st.data())
def test_groupby_agg_specs_match_pandas(data):
    p = _key_frame(data)
    df = dd.from_pandas(p, **data.draw(partitionings(len(p))))
    cols = [c for c in p.columns if c not in ("key", "ikey")]
    funcs = data.draw(st.lists(st.sampled_from(_NUMERIC_AGGS), min_size=1, max_size=3, unique=True))
    spec = {c: funcs for c in cols[:2]}
    assert_eq(df.groupby("ikey").agg(spec), p.groupby("ikey").agg(spec), rtol=1e-6, atol=1e-6)
    named = {f"out{i}": (cols[i % len(cols)], f) for i, f in enumerate(funcs)}
    assert_eq(
        df.groupby(["key", "ikey"]).agg(**named),
        p.groupby(["key", "ikey"]).agg(**named),
        rtol=1e-6,
        atol=1e-6,
    )
    n_out = data.draw(st.integers(1, 3))
    assert_eq(
        df.groupby("ikey")[cols[0]].agg(["sum", "count"], split_out=n_out),
        p.groupby("ikey")[cols[0]].agg(["sum", "count"]),
        sort_results=True,
    )


@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_groupby_transform_matches_pandas(data):
    p = _key_frame(data)
    df = dd.from_pandas(p, **data.draw(partitionings(len(p))))
    col = [c for c in p.columns if c not in ("key", "ikey")][0]
    how = data.draw(st.sampled_from(["sum", "max", "count"]))
    assert_eq(
        df.groupby("ikey")[col].transform(how),
        p.groupby("ikey")[col].transform(how),
        sort_results=True,
    )
