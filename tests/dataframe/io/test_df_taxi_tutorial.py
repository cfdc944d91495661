"""The tutorial workload of issue 6 on a taxi-style CSV (integer columns blank late)."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
from dataframe_taxi import COLUMNS, INT_WITH_BLANKS, write_taxi_csv

import mpiflow.dataframe as dd

ROWS = 2_000_000  # a few million rows (about 190 MB): sixteen 12 MB blocks, as the tutorial


@pytest.fixture(scope="module")
def taxi_path(tmp_path_factory):
    return write_taxi_csv(tmp_path_factory.mktemp("taxi") / "yellow_tripdata.csv", ROWS)


@pytest.fixture(scope="module")
def taxi_pandas(taxi_path):
    return pd.read_csv(taxi_path)


def test_repr_without_computing(taxi_path):
    ddf = dd.read_csv(taxi_path, blocksize=12e6)
    size = os.path.getsize(taxi_path)
    assert ddf.npartitions == -(-size // 12_000_000)  # one partition per 12 MB block
    text = repr(ddf)
    assert f"npartitions={ddf.npartitions}" in text
    for col in ("VendorID", "fare_amount", "congestion_surcharge"):
        assert col in text
    assert list(ddf.columns) == COLUMNS
    assert ddf.dtypes["passenger_count"] == np.dtype("int64")  # inferred from the first rows


def test_late_blanks_raise_the_dtype_table(taxi_path):
    ddf = dd.read_csv(taxi_path, blocksize=12e6)
    with pytest.raises(ValueError) as info:
        ddf.map_partitions(type).compute()
    msg = str(info.value)
    assert "| Column " in msg and "| Found " in msg and "| Expected |" in msg
    for col in INT_WITH_BLANKS:
        assert f"| {col}" in msg and f"'{col}': 'float64'" in msg
    assert "float64 | int64" in msg
    assert "assume_missing=True" in msg


def test_assume_missing_head_unique_groupby(taxi_path, taxi_pandas):
    ddf = dd.read_csv(taxi_path, blocksize=12e6, assume_missing=True)
    expected = taxi_pandas.astype(dict(ddf.dtypes))
    pd.testing.assert_frame_equal(ddf.head(), expected.head())

    got = ddf["VendorID"].unique().compute()
    exp = expected["VendorID"].unique()
    assert sorted(pd.Series(got).dropna().tolist()) == sorted(pd.Series(exp).dropna().tolist())
    assert pd.Series(got).isna().sum() == 1

    got = ddf.groupby("passenger_count").fare_amount.mean().compute()
    exp = expected.groupby("passenger_count").fare_amount.mean()
    pd.testing.assert_series_equal(got.sort_index(), exp.sort_index(), check_exact=False)


def test_groupby_reads_two_columns(taxi_path):
    from mpiflow.dataframe.io.projection import project_columns

    ddf = dd.read_csv(taxi_path, blocksize=12e6, assume_missing=True)
    q = ddf.groupby("passenger_count").fare_amount.mean()
    keys = q.__mpiflow_keys__()
    g = project_columns(q.graph.cull_keys(keys), keys)
    assert g.layers[ddf._name].columns == ["passenger_count", "fare_amount"]
