"""read_csv / to_csv collections, compared with pandas under every scheduler."""

from __future__ import annotations

import gzip
import os
import warnings

import numpy as np
import pandas as pd
import pytest
from dataframe_helpers import SCHEDULERS, assert_eq

import mpiflow.dataframe as dd
from mpiflow.dataframe.io.from_map import IOLayer


def make_frame(n: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "i": np.arange(n),
            "f": rng.random(n).round(3),
            "s": rng.choice(["apple", "pear", "fig"], n),
            "when": pd.date_range("2024-01-01", periods=n, freq="h").astype(str),
        }
    )


@pytest.fixture
def csv_files(tmp_path):
    pdf = make_frame()
    paths = []
    for k in range(3):
        p = tmp_path / f"data-{k}.csv"
        pdf.iloc[k * 100 : (k + 1) * 100].to_csv(p, index=False)
        paths.append(str(p))
    return pdf, paths


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_read_glob_matches_pandas(csv_files, tmp_path, scheduler):
    pdf, _ = csv_files
    ddf = dd.read_csv(str(tmp_path / "data-*.csv"))
    assert ddf.npartitions == 3
    assert_eq(ddf, pdf, scheduler=scheduler, check_index=False)


@pytest.mark.parametrize("blocksize", [500, 1000, "2kB", 3e3])
def test_blocksize_splits_files(csv_files, blocksize):
    pdf, paths = csv_files
    ddf = dd.read_csv(paths, blocksize=blocksize)
    assert ddf.npartitions > 3
    assert not ddf.known_divisions
    assert_eq(ddf, pdf, check_index=False)


def test_read_list_usecols_dtype_parse_dates(csv_files):
    pdf, paths = csv_files
    ddf = dd.read_csv(paths, usecols=["i", "f", "when"], dtype={"i": "int32"}, parse_dates=["when"])
    assert ddf.dtypes["i"] == np.dtype("int32")
    assert pd.api.types.is_datetime64_any_dtype(ddf.dtypes["when"])
    expected = pd.concat(
        [
            pd.read_csv(p, usecols=["i", "f", "when"], dtype={"i": "int32"}, parse_dates=["when"])
            for p in paths
        ],
        ignore_index=True,
    )
    assert_eq(ddf, expected, check_index=False)


@pytest.mark.parametrize("ext,comp", [(".gz", "gzip"), (".bz2", "bz2"), (".xz", "xz")])
def test_compressed_one_partition_per_file(tmp_path, ext, comp):
    pdf = make_frame(120)
    for k in range(2):
        pdf.iloc[k * 60 : (k + 1) * 60].to_csv(
            tmp_path / f"c{k}.csv{ext}", index=False, compression=comp
        )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ddf = dd.read_csv(str(tmp_path / f"c*.csv{ext}"))  # default blocksize: no warning
    assert ddf.npartitions == 2
    assert_eq(ddf, pdf, check_index=False)
    with pytest.warns(UserWarning, match=f"{comp}-compressed files cannot be split"):
        ddf = dd.read_csv(str(tmp_path / f"c*.csv{ext}"), blocksize=100)
    assert ddf.npartitions == 2


def test_explicit_compression_keyword(tmp_path):
    p = tmp_path / "plain-name"
    p.write_bytes(gzip.compress(b"a,b\n1,2\n3,4\n"))
    ddf = dd.read_csv(str(p), compression="gzip", blocksize=None)
    assert_eq(ddf, pd.DataFrame({"a": [1, 3], "b": [2, 4]}))


def test_include_path_column(csv_files, tmp_path):
    pdf, paths = csv_files
    ddf = dd.read_csv(str(tmp_path / "data-*.csv"), include_path_column=True)
    assert isinstance(ddf.dtypes["path"], pd.CategoricalDtype)
    out = ddf.compute()
    assert list(out["path"].cat.categories) == paths
    assert out["path"].astype(str).tolist() == [p for p in paths for _ in range(100)]
    named = dd.read_csv(paths, include_path_column="src")
    assert "src" in named.columns
    with pytest.raises(ValueError, match="names an existing column"):
        dd.read_csv(paths, include_path_column="s")


def test_assume_missing_and_mismatch(tmp_path):
    n = 200
    vals = [str(i) for i in range(n)]
    vals[150] = ""
    p = tmp_path / "late.csv"
    p.write_text("k,v\n" + "".join(f"{i},{v}\n" for i, v in enumerate(vals)))
    ddf = dd.read_csv(str(p), blocksize=400)
    assert ddf.dtypes["v"] == np.dtype("int64")
    with pytest.raises(ValueError) as info:
        ddf.compute(scheduler="sync")
    msg = str(info.value)
    assert "| v      | float64 | int64    |" in msg and "dtype={'v': 'float64'}" in msg
    assert "assume_missing=True" in msg
    ddf = dd.read_csv(str(p), blocksize=400, assume_missing=True)
    assert ddf.dtypes["k"] == np.dtype("float64")
    expected = pd.read_csv(p).astype({"k": "float64"})
    assert_eq(ddf, expected, check_index=False)
    # an explicit dtype fixes it too
    assert_eq(
        dd.read_csv(str(p), blocksize=400, dtype={"v": "float64"}),
        pd.read_csv(p),
        check_index=False,
    )


def test_malformed_line_error_names_file_and_line(tmp_path):
    lines = [f"{i},{i}" for i in range(100)]
    lines[80] = "80,80,80"
    p = tmp_path / "broken.csv"
    p.write_text("a,b\n" + "\n".join(lines) + "\n")
    ddf = dd.read_csv(str(p), blocksize=200)
    with pytest.raises(pd.errors.ParserError, match=r"broken.csv', line 82"):
        ddf.compute(scheduler="sync")


def test_missing_files_and_empty_glob(tmp_path):
    with pytest.raises(FileNotFoundError, match="no files match the pattern .*nope-"):
        dd.read_csv(str(tmp_path / "nope-*.csv"))
    with pytest.raises(FileNotFoundError, match="no such file: .*absent.csv"):
        dd.read_csv(str(tmp_path / "absent.csv"))


def test_unsupported_keywords(csv_files):
    _, paths = csv_files
    with pytest.raises(ValueError, match=r"set_index\('i'\)"):
        dd.read_csv(paths, index_col="i")
    with pytest.raises(ValueError, match="head"):
        dd.read_csv(paths, nrows=5)
    with pytest.raises(ValueError, match="blocksize must be positive"):
        dd.read_csv(paths, blocksize=0)
    with pytest.raises(ValueError, match="lineterminator"):
        dd.read_csv(paths, lineterminator=";")


def test_read_is_lazy_and_deterministic(csv_files):
    _, paths = csv_files
    a, b = dd.read_csv(paths), dd.read_csv(paths)
    assert a._name == b._name
    assert isinstance(a.graph.layers[a._name], IOLayer)
    assert dd.read_csv(paths, blocksize=500)._name != a._name


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_to_csv_roundtrip_pattern(tmp_path, scheduler):
    pdf = make_frame(50)
    ddf = dd.from_pandas(pdf, chunksize=4)
    assert ddf.npartitions >= 10
    out = dd.to_csv(ddf, str(tmp_path / "out-*.csv"), index=False, scheduler=scheduler)
    names = [os.path.basename(p) for p in out]
    assert names[:3] == ["out-00.csv", "out-01.csv", "out-02.csv"]
    assert len(names) == ddf.npartitions
    assert_eq(dd.read_csv(str(tmp_path / "out-*.csv")), pdf, check_index=False)


def test_to_csv_directory_single_file_and_methods(tmp_path):
    pdf = make_frame(40)
    ddf = dd.from_pandas(pdf, npartitions=3)
    out = ddf.to_csv(str(tmp_path / "dir"), index=False)
    assert [os.path.basename(p) for p in out] == ["0.part", "1.part", "2.part"]
    assert_eq(dd.read_csv(str(tmp_path / "dir")), pdf, check_index=False)
    one = ddf.to_csv(str(tmp_path / "one.csv"), single_file=True, index=False)
    assert one == [str(tmp_path / "one.csv")]
    pd.testing.assert_frame_equal(
        pd.read_csv(one[0]),
        pd.read_csv(out[0]).pipe(lambda _: pd.read_csv(str(tmp_path / "one.csv"))),
    )
    assert pd.read_csv(one[0]).shape == (40, 4)
    s_out = ddf.i.to_csv(str(tmp_path / "s-*.csv"))
    assert len(s_out) == 3


def test_to_csv_compute_false_and_compression(tmp_path):
    pdf = make_frame(30)
    ddf = dd.from_pandas(pdf, npartitions=2)
    delayed = dd.to_csv(
        ddf, str(tmp_path / "z-*.csv.gz"), compression="gzip", compute=False, index=False
    )
    assert len(delayed) == 2 and not os.path.exists(tmp_path / "z-0.csv.gz")
    for d in delayed:
        d.compute(scheduler="sync")
    assert_eq(dd.read_csv(str(tmp_path / "z-*.csv.gz")), pdf, check_index=False)


def test_to_csv_append_mode_and_errors(tmp_path):
    pdf = make_frame(10)
    ddf = dd.from_pandas(pdf, npartitions=2)
    target = str(tmp_path / "app.csv")
    ddf.to_csv(target, single_file=True, index=False)
    ddf.to_csv(target, single_file=True, index=False, mode="at", header=False)
    assert len(pd.read_csv(target)) == 20
    with pytest.raises(ValueError, match="only one"):
        ddf.to_csv(str(tmp_path / "*-*.csv"))
    with pytest.raises(ValueError, match="mode="):
        ddf.to_csv(target, mode="r")
    with pytest.raises(ValueError, match="same name"):
        ddf.to_csv(str(tmp_path / "n-*.csv"), name_function=lambda i: "x")


def test_unknown_columns_name_the_closest(csv_files, tmp_path):
    _, paths = csv_files
    with pytest.raises(ValueError, match="did you mean 'when'"):
        dd.read_csv(paths, usecols=["i", "whn"])
    pytest.importorskip("pyarrow")  # the same check for Parquet (the `parquet` extra)
    dd.from_pandas(make_frame(10), npartitions=1).to_parquet(str(tmp_path / "pq"))
    with pytest.raises(ValueError, match="did you mean 'when'"):
        dd.read_parquet(str(tmp_path / "pq"), columns=["whn"])
