"""A taxi-style CSV generator: the 18 columns of the NYC yellow-taxi trip records.

The integer columns ``VendorID``, ``passenger_count``, ``RatecodeID`` and
``payment_type`` (and the flag ``store_and_fwd_flag``) hold blanks only in
the last ``blank_fraction`` of the rows, as in the real files: a reader that
infers dtypes from the first rows sees integers, and a later block disagrees.

Everything is made with vectorised NumPy and written with ``pyarrow.csv``
when available (pandas otherwise): a million rows take about a second.

Examples
--------
>>> df = taxi_frame(1000)
>>> len(df.columns), df.passenger_count.isna().sum() > 0, df.passenger_count[:900].isna().sum()
(18, np.True_, np.int64(0))
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["COLUMNS", "taxi_frame", "write_taxi_csv", "write_taxi_csvs"]

COLUMNS = [
    "VendorID",
    "tpep_pickup_datetime",
    "tpep_dropoff_datetime",
    "passenger_count",
    "trip_distance",
    "RatecodeID",
    "store_and_fwd_flag",
    "PULocationID",
    "DOLocationID",
    "payment_type",
    "fare_amount",
    "extra",
    "mta_tax",
    "tip_amount",
    "tolls_amount",
    "improvement_surcharge",
    "total_amount",
    "congestion_surcharge",
]

INT_WITH_BLANKS = ["VendorID", "passenger_count", "RatecodeID", "payment_type"]


def _columns(n: int, seed: int, blank_fraction: float, start: str) -> dict[str, Any]:
    """Column name -> (values, null mask or None)."""
    rng = np.random.default_rng(seed)
    base = np.datetime64(start, "s")
    pickup = base + np.sort(rng.integers(0, 31 * 86400, n)).astype("timedelta64[s]")
    minutes = rng.gamma(2.0, 7.0, n)
    dropoff = pickup + (minutes * 60).astype("timedelta64[s]")
    dist = np.round(rng.exponential(3.0, n), 2)
    fare = np.round(2.5 + 2.5 * dist + rng.normal(0, 1.0, n).clip(-2, 2), 2)
    extra = rng.choice([0.0, 0.5, 1.0], n)
    mta = np.full(n, 0.5)
    payment = rng.choice([1, 2, 3, 4], n, p=[0.7, 0.27, 0.02, 0.01])
    tip = np.where(payment == 1, np.round(fare * rng.uniform(0, 0.3, n), 2), 0.0)
    tolls = np.where(rng.random(n) < 0.05, 5.76, 0.0)
    surcharge = np.full(n, 0.3)
    congestion = rng.choice([0.0, 2.5], n, p=[0.3, 0.7])
    # the first rows show the float columns as floats (a reader infers from them)
    extra[:1], tolls[:4:3], congestion[:1] = 0.5, 5.76, 2.5
    total = np.round(fare + extra + mta + tip + tolls + surcharge + congestion, 2)
    late = np.zeros(n, dtype=bool)
    first_blank = int(n * (1 - blank_fraction))
    late[first_blank:] = rng.random(n - first_blank) < 0.5
    mask = late if late.any() else None
    return {
        "VendorID": (rng.choice([1, 2], n), mask),
        "tpep_pickup_datetime": (pickup, None),
        "tpep_dropoff_datetime": (dropoff, None),
        "passenger_count": (
            rng.choice([0, 1, 2, 3, 4, 5, 6], n, p=[0.02, 0.7, 0.14, 0.05, 0.03, 0.04, 0.02]),
            mask,
        ),
        "trip_distance": (dist, None),
        "RatecodeID": (rng.choice([1, 2, 3, 4, 5], n, p=[0.96, 0.02, 0.005, 0.005, 0.01]), mask),
        "store_and_fwd_flag": (
            rng.choice(np.array(["N", "Y"], dtype=object), n, p=[0.99, 0.01]),
            mask,
        ),
        "PULocationID": (rng.integers(1, 266, n), None),
        "DOLocationID": (rng.integers(1, 266, n), None),
        "payment_type": (payment, mask),
        "fare_amount": (fare, None),
        "extra": (extra, None),
        "mta_tax": (mta, None),
        "tip_amount": (tip, None),
        "tolls_amount": (tolls, None),
        "improvement_surcharge": (surcharge, None),
        "total_amount": (total, None),
        "congestion_surcharge": (congestion, None),
    }


def taxi_frame(
    n: int, seed: int = 0, blank_fraction: float = 0.05, start: str = "2019-01-01"
) -> pd.DataFrame:
    """The taxi table as pandas (integer columns with blanks are float64, as pandas reads them).

    Examples
    --------
    >>> taxi_frame(10).dtypes['PULocationID']
    dtype('int64')
    """
    cols = {}
    for name, (values, mask) in _columns(n, seed, blank_fraction, start).items():
        if mask is not None:
            values = pd.Series(values).where(~mask).to_numpy()
            if values.dtype == object and name != "store_and_fwd_flag":
                values = values.astype("float64")
        cols[name] = values
    return pd.DataFrame(cols)


def write_taxi_csv(
    path: str | os.PathLike,
    n: int,
    seed: int = 0,
    blank_fraction: float = 0.05,
    start: str = "2019-01-01",
) -> str:
    """Write ``n`` taxi rows to ``path`` as CSV (blanks for missing values); return the path.

    Examples
    --------
    >>> import os, tempfile
    >>> p = write_taxi_csv(os.path.join(tempfile.mkdtemp(), 'taxi.csv'), 100)
    >>> open(p).readline().strip().split(',')[:3]
    ['VendorID', 'tpep_pickup_datetime', 'tpep_dropoff_datetime']
    """
    path = os.fspath(path)
    cols = _columns(n, seed, blank_fraction, start)
    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv
    except ImportError:  # slower: pandas writes it (nullable ints keep "1", not "1.0")
        frame = taxi_frame(n, seed, blank_fraction, start)
        for name in INT_WITH_BLANKS:
            frame[name] = frame[name].astype("Int64")
        frame.to_csv(path, index=False)
        return path
    arrays = {}
    for name, (values, mask) in cols.items():
        if values.dtype == object:
            arrays[name] = pa.array(values.tolist(), type=pa.string(), mask=mask)
        else:
            arrays[name] = pa.array(values, mask=mask)
    table = pa.table(arrays)
    pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="needed"))
    with open(path, "rb") as f:  # pyarrow quotes the header: write it plain
        head = f.readline()
        plain = head.replace(b'"', b"")
    if plain != head:
        _rewrite_header(path, head, plain)
    return path


def _rewrite_header(path: str, head: bytes, plain: bytes) -> None:
    tmp = path + ".tmp"
    with open(path, "rb") as src, open(tmp, "wb") as dst:
        src.seek(len(head))
        dst.write(plain)
        while chunk := src.read(1 << 24):
            dst.write(chunk)
    os.replace(tmp, path)


def write_taxi_csvs(
    directory: str | os.PathLike, n_files: int, rows_per_file: int, seed: int = 0
) -> list[str]:
    """Write ``n_files`` taxi CSVs (``taxi-00.csv``...) into ``directory``; return their paths.

    Examples
    --------
    >>> import tempfile
    >>> [os.path.basename(p) for p in write_taxi_csvs(tempfile.mkdtemp(), 2, 10)]
    ['taxi-0.csv', 'taxi-1.csv']
    """
    os.makedirs(directory, exist_ok=True)
    width = len(str(n_files - 1))
    return [
        write_taxi_csv(
            os.path.join(directory, f"taxi-{str(i).zfill(width)}.csv"), rows_per_file, seed + i
        )
        for i in range(n_files)
    ]
