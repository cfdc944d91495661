"""Partition-level CSV reading: byte ranges, headers, dtypes, errors (no collections)."""

from __future__ import annotations

import gzip
import io
import os

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mpiflow.dataframe.io.csv_blocks import (
    CSVBlockReader,
    block_offsets,
    infer_meta,
    read_line_block,
    read_sample,
)
from mpiflow.dataframe.io.dtype_check import coerce_dtypes, dtype_mismatch_message
from mpiflow.dataframe.io.paths import expand_paths, infer_compression, open_binary

TEXT = b"name,amount,id\nAlice,100,1\nBob,200,2\nCharlie,300,3\nDan,400,4\nEdith,500,5\n"


def write(tmp_path, name: str, data: bytes) -> str:
    p = os.path.join(tmp_path, name)
    with open_binary(p, infer_compression(p, "infer"), "wb") as f:
        f.write(data)
    return p


def read_all(path: str, blocksize: int | None, **kwargs) -> pd.DataFrame:
    """Read a file block by block with the partition readers and concatenate."""
    comp = infer_compression(path, "infer")
    meta, header = infer_meta(path, comp, kwargs)
    reader = CSVBlockReader(meta, kwargs, header, comp)
    size = os.path.getsize(path)
    parts = [reader((path, o, n)) for o, n in block_offsets(size, blocksize)]
    return pd.concat(parts, ignore_index=True)


@pytest.mark.parametrize("blocksize", [None, 1, 7, 16, 30, 1000])
def test_blocks_cover_every_line_once(tmp_path, blocksize):
    p = write(tmp_path, "a.csv", TEXT)
    pd.testing.assert_frame_equal(read_all(p, blocksize), pd.read_csv(io.BytesIO(TEXT)))


@settings(max_examples=20, deadline=None)
@given(
    rows=st.lists(st.tuples(st.integers(-1000, 1000), st.text("abcxyz", max_size=8)), max_size=40),
    blocksize=st.integers(1, 200),
)
def test_blocks_random(tmp_path_factory, rows, blocksize):
    tmp = tmp_path_factory.mktemp("r")
    data = "k,s\n" + "".join(f"{a},{b}\n" for a, b in rows)
    p = write(tmp, "r.csv", data.encode())
    expected = pd.read_csv(p)
    got = read_all(p, blocksize)
    expected_meta, _ = infer_meta(p, None, {})
    pd.testing.assert_frame_equal(got, expected.astype(dict(expected_meta.dtypes)))


def test_ranges_partition_the_file(tmp_path):
    p = write(tmp_path, "a.csv", TEXT)
    size = os.path.getsize(p)
    pieces = [read_line_block(p, o, n) for o, n in block_offsets(size, 9)]
    assert b"".join(d for d, _ in pieces) == TEXT
    assert all(s == 0 or TEXT[s - 1 : s] == b"\n" for _, s in pieces)


def test_no_trailing_newline(tmp_path):
    p = write(tmp_path, "a.csv", TEXT.rstrip(b"\n"))
    pd.testing.assert_frame_equal(read_all(p, 10), pd.read_csv(io.BytesIO(TEXT)))


def test_skiprows_and_header_in_later_blocks(tmp_path):
    p = write(tmp_path, "a.csv", b"# junk\n# more\n" + TEXT)
    got = read_all(p, 12, skiprows=2)
    pd.testing.assert_frame_equal(got, pd.read_csv(io.BytesIO(TEXT)))


def test_no_header_with_names(tmp_path):
    body = TEXT.split(b"\n", 1)[1]
    p = write(tmp_path, "a.csv", body)
    got = read_all(p, 10, names=["n", "a", "i"])
    pd.testing.assert_frame_equal(got, pd.read_csv(io.BytesIO(body), names=["n", "a", "i"]))


@pytest.mark.parametrize("ext", [".gz", ".bz2", ".xz"])
def test_compressed_whole_file(tmp_path, ext):
    p = write(tmp_path, "a.csv" + ext, TEXT)
    comp = infer_compression(p, "infer")
    meta, header = infer_meta(p, comp, {})
    got = CSVBlockReader(meta, {}, header, comp)((p, 0, None))
    pd.testing.assert_frame_equal(got, pd.read_csv(io.BytesIO(TEXT)))


def test_sample_takes_whole_lines_and_at_least_min_lines(tmp_path):
    p = write(tmp_path, "a.csv", TEXT)
    assert read_sample(p, None, 20, min_lines=1) == b"name,amount,id\n"
    assert read_sample(p, None, 3, min_lines=2) == b"name,amount,id\nAlice,100,1\n"
    assert read_sample(p, None, 10_000) == TEXT
    g = write(tmp_path, "a.csv.gz", TEXT)
    assert read_sample(g, "gzip", 20, min_lines=1) == b"name,amount,id\n"


def test_dtypes_from_sample_rows_and_mismatch_table(tmp_path):
    rows = [f"{i},{i * 0.5}" for i in range(20)] + [",1.5"]
    p = write(tmp_path, "a.csv", ("n,x\n" + "\n".join(rows) + "\n").encode())
    meta, header = infer_meta(p, None, {})
    assert meta.dtypes["n"] == np.dtype("int64")
    reader = CSVBlockReader(meta, {}, header, None)
    size = os.path.getsize(p)
    last = block_offsets(size, 40)[-1]
    with pytest.raises(ValueError) as info:
        reader((p, *last))
    msg = str(info.value)
    assert "| Column | Found   | Expected |" in msg
    assert "| n      | float64 | int64    |" in msg
    assert "dtype={'n': 'float64'}" in msg
    assert "assume_missing=True" in msg
    assert p in msg
    # assume_missing makes the inferred ints floats: every block reads
    meta2, _ = infer_meta(p, None, {}, assume_missing=True)
    assert meta2.dtypes["n"] == np.dtype("float64")
    got = pd.concat(
        [CSVBlockReader(meta2, {}, header, None)((p, o, n)) for o, n in block_offsets(size, 40)]
    )
    assert got["n"].isna().sum() == 1 and len(got) == 21


def test_assume_missing_keeps_explicit_dtypes(tmp_path):
    p = write(tmp_path, "a.csv", TEXT)
    meta, _ = infer_meta(p, None, {"dtype": {"id": "int32"}}, assume_missing=True)
    assert meta.dtypes["amount"] == np.dtype("float64")
    assert meta.dtypes["id"] == np.dtype("int32")


def test_text_where_numbers_were_inferred(tmp_path):
    rows = [f"{i}" for i in range(12)] + ["twelve"]
    p = write(tmp_path, "a.csv", ("n\n" + "\n".join(rows) + "\n").encode())
    meta, header = infer_meta(p, None, {})
    with pytest.raises(ValueError, match=r"dtype=\{'n': 'object'\}"):
        CSVBlockReader(meta, {}, header, None)((p, 0, None))


def test_coerce_casts_ints_to_expected_floats():
    out = coerce_dtypes(pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}), {"a": np.float64})
    assert out.dtypes["a"] == np.float64
    empty = coerce_dtypes(pd.DataFrame({"a": pd.Series([], dtype=object)}), {"a": "int64"})
    assert empty.dtypes["a"] == np.int64


def test_mismatch_message_without_ints_has_no_assume_missing():
    msg = dtype_mismatch_message([("s", "int64", "str")])
    assert "assume_missing" not in msg
    assert "dtype={'s': 'float64'}" in msg


def test_parse_dates_and_usecols(tmp_path):
    data = b"when,v,junk\n2024-01-01,1,a\n2024-01-02,2,b\n2024-01-03,3,c\n"
    p = write(tmp_path, "a.csv", data)
    got = read_all(p, 20, parse_dates=["when"], usecols=["when", "v"])
    expected = pd.read_csv(io.BytesIO(data), parse_dates=["when"], usecols=["when", "v"])
    pd.testing.assert_frame_equal(got, expected)
    assert pd.api.types.is_datetime64_any_dtype(got["when"])


def test_projection_reads_only_the_columns_asked(tmp_path):
    # column 'bad' turns to text late: reading it fails, a projection without it works
    rows = [f"{i},{i}" for i in range(30)] + ["30,oops"]
    p = write(tmp_path, "a.csv", ("good,bad\n" + "\n".join(rows) + "\n").encode())
    meta, header = infer_meta(p, None, {})
    reader = CSVBlockReader(meta, {}, header, None)
    with pytest.raises(ValueError, match="Mismatched dtypes"):
        reader((p, 0, None))
    out = reader.project_columns(["good"])((p, 0, None))
    assert list(out.columns) == ["good"] and out["good"].sum() == sum(range(31))


def test_columns_reordered_as_meta(tmp_path):
    p = write(tmp_path, "a.csv", TEXT)
    meta, header = infer_meta(p, None, {})
    reader = CSVBlockReader(meta[["id", "name"]], {"usecols": ["id", "name"]}, header, None)
    assert list(reader((p, 0, None)).columns) == ["id", "name"]


def test_path_column_is_categorical(tmp_path):
    p = write(tmp_path, "a.csv", TEXT)
    meta, header = infer_meta(p, None, {})
    out = CSVBlockReader(meta, {}, header, None, path_column="path", paths=["x", p])((p, 0, None))
    assert list(out["path"].cat.categories) == ["x", p]
    assert (out["path"] == p).all()
    assert "path" not in CSVBlockReader(
        meta, {}, header, None, path_column="path", paths=[p]
    ).project_columns(["id"])((p, 0, None))


def test_malformed_line_names_file_and_line(tmp_path):
    lines = [f"{i},{i}" for i in range(40)]
    lines[30] = "30,30,30"  # file line 32 (the header is line 1)
    p = write(tmp_path, "bad.csv", ("a,b\n" + "\n".join(lines) + "\n").encode())
    meta, header = infer_meta(p, None, {})
    reader = CSVBlockReader(meta, {}, header, None)
    size = os.path.getsize(p)
    with pytest.raises(pd.errors.ParserError) as info:
        for o, n in block_offsets(size, 50):
            reader((p, o, n))
    assert "bad.csv" in str(info.value) and "line 32" in str(info.value)
    with pytest.raises(pd.errors.ParserError, match="line 32"):
        reader((p, 0, None))
    assert len(CSVBlockReader(meta, {"on_bad_lines": "skip"}, header, None)((p, 0, None))) == 39


def test_columns_differ_between_files(tmp_path):
    p = write(tmp_path, "a.csv", TEXT)
    q = write(tmp_path, "b.csv", b"name,other\nx,1\n")
    meta, header = infer_meta(p, None, {})
    with pytest.raises(ValueError, match=r"missing \['amount', 'id'\], unexpected \['other'\]"):
        CSVBlockReader(meta, {}, header, None)((q, 0, None))


def test_empty_file_and_index_col_errors(tmp_path):
    p = write(tmp_path, "e.csv", b"")
    with pytest.raises(ValueError, match="empty"):
        infer_meta(p, None, {})


def test_expand_paths(tmp_path):
    for name in ["f-1.csv", "f-10.csv", "f-2.csv", ".hidden.csv"]:
        write(tmp_path, name, TEXT)
    got = [os.path.basename(p) for p in expand_paths(os.path.join(tmp_path, "f-*.csv"))]
    assert got == ["f-1.csv", "f-2.csv", "f-10.csv"]
    assert len(expand_paths(str(tmp_path))) == 3  # a directory: its visible files
    both = expand_paths([os.path.join(tmp_path, "f-1.csv"), os.path.join(tmp_path, "f-2.csv")])
    assert len(both) == 2
    assert expand_paths("file://" + os.path.join(tmp_path, "f-1.csv"))[0].endswith("f-1.csv")


def test_expand_paths_errors(tmp_path):
    pattern = os.path.join(tmp_path, "nothing-*.csv")
    with pytest.raises(FileNotFoundError, match="no files match the pattern .*nothing-"):
        expand_paths(pattern)
    with pytest.raises(FileNotFoundError, match="no such file: .*missing.csv"):
        expand_paths([os.path.join(tmp_path, "missing.csv")])
    with pytest.raises(FileNotFoundError, match="empty list"):
        expand_paths([])
    with pytest.raises(NotImplementedError, match="only local paths"):
        expand_paths("s3://bucket/x.csv")
    with pytest.raises(TypeError, match="str or os.PathLike"):
        expand_paths(3)


def test_compression_names():
    assert infer_compression("x.CSV.GZ", "infer") == "gzip"
    assert infer_compression("x.csv", None) is None
    with pytest.raises(ValueError, match="unsupported compression 'snappy'"):
        infer_compression("x.csv", "snappy")
    buf = gzip.compress(TEXT)
    assert gzip.decompress(buf) == TEXT


def test_all_blank_block_of_a_text_column_takes_the_text_dtype():
    out = coerce_dtypes(
        pd.DataFrame({"s": [np.nan, np.nan]}), {"s": pd.StringDtype(na_value=np.nan)}
    )
    assert isinstance(out.dtypes["s"], pd.StringDtype) and out["s"].isna().all()
    with pytest.raises(ValueError, match="Mismatched"):
        coerce_dtypes(pd.DataFrame({"s": [np.nan, 1.5]}), {"s": pd.StringDtype(na_value=np.nan)})
