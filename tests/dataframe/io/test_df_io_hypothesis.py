"""Random frames and partitionings through CSV and Parquet, compared with pandas."""

from __future__ import annotations

import os
import tempfile

import pandas as pd
import pytest
from dataframe_helpers import assert_eq, frames, partitionings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mpiflow.dataframe as dd


@st.composite
def frame_and_parts(draw, kinds=("int", "float", "str", "bool", "datetime")):
    pdf = draw(frames(min_rows=1, max_rows=80, kinds=kinds))
    return pdf, draw(partitionings(len(pdf)))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=frame_and_parts(), blocksize=st.one_of(st.none(), st.integers(16, 400)))
def test_csv_blocks_read_as_pandas_reads_the_files(data, blocksize):
    pdf, parts = data
    with tempfile.TemporaryDirectory() as d:
        ddf = dd.from_pandas(pdf, **parts)
        files = dd.to_csv(ddf, os.path.join(d, "f-*.csv"), index=False, scheduler="sync")
        dates = [c for c in pdf.columns if c.startswith("datetime")]
        dtype = {c: pdf.dtypes[c] for c in pdf.columns if c.startswith(("int", "float", "str"))}
        kw = {"dtype": dtype, "parse_dates": dates}
        got = dd.read_csv(os.path.join(d, "f-*.csv"), blocksize=blocksize, **kw)
        expected = pd.concat([pd.read_csv(f, **kw) for f in files], ignore_index=True)
        expected = expected.astype(dict(got.dtypes))
        assert_eq(got, expected, check_index=False, scheduler="sync")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=frame_and_parts())
def test_parquet_roundtrip(data):
    pytest.importorskip("pyarrow")
    pdf, parts = data
    with tempfile.TemporaryDirectory() as d:
        ddf = dd.from_pandas(pdf, **parts)
        ddf.to_parquet(d, compute_kwargs={"scheduler": "sync"})
        back = dd.read_parquet(d)
        assert back.npartitions == ddf.npartitions
        assert_eq(back, pdf, scheduler="sync", check_divisions=False)
