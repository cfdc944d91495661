"""read_parquet / to_parquet, compared with pandas under every scheduler."""

from __future__ import annotations

import os
import sys

import numpy as np
import pandas as pd
import pytest
from dataframe_helpers import SCHEDULERS, assert_eq

import mpiflow.dataframe as dd
from mpiflow.dataframe.io.parquet_plan import may_match, normalize_filters, plan_parts
from mpiflow.dataframe.io.projection import project_columns

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


def make_frame(n: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "i": np.arange(n),
            "f": rng.random(n),
            "s": rng.choice(["x", "y", "z"], n),
            "t": pd.date_range("2024-01-01", periods=n, freq="D"),
        }
    )


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_roundtrip_with_index(tmp_path, scheduler):
    pdf = make_frame()
    ddf = dd.from_pandas(pdf, npartitions=4)
    ddf.to_parquet(str(tmp_path / "d"))
    assert sorted(os.listdir(tmp_path / "d")) == [f"part.{i}.parquet" for i in range(4)]
    back = dd.read_parquet(str(tmp_path / "d"))
    assert back.npartitions == 4
    assert_eq(back, pdf, scheduler=scheduler, check_divisions=False)


def test_named_index_divisions_and_index_false(tmp_path):
    pdf = make_frame().set_index("i")
    dd.from_pandas(pdf, npartitions=3).to_parquet(str(tmp_path / "d"))
    back = dd.read_parquet(str(tmp_path / "d"), calculate_divisions=True)
    assert back._meta.index.name == "i"
    assert back.known_divisions and back.divisions[0] == 0 and back.divisions[-1] == 119
    assert_eq(back, pdf)
    flat = dd.read_parquet(str(tmp_path / "d"), index=False)
    assert "i" in flat.columns
    assert_eq(flat, pdf.reset_index()[list(flat.columns)], check_index=False)
    by_t = dd.read_parquet(str(tmp_path / "d"), index="t")
    assert by_t._meta.index.name == "t"
    with pytest.raises(ValueError, match="no such column"):
        dd.read_parquet(str(tmp_path / "d"), index="nope")


def test_write_index_false_and_columns(tmp_path):
    pdf = make_frame()
    dd.from_pandas(pdf, npartitions=2).to_parquet(str(tmp_path / "d"), write_index=False)
    back = dd.read_parquet(str(tmp_path / "d"), columns=["f", "i"])
    assert list(back.columns) == ["f", "i"]
    assert_eq(back, pdf[["f", "i"]], check_index=False)
    s = dd.read_parquet(str(tmp_path / "d"), columns="s")
    assert isinstance(s, dd.Series)
    assert_eq(s, pdf.s, check_index=False)
    with pytest.raises(ValueError, match=r"columns \['nope'\] are not in the dataset"):
        dd.read_parquet(str(tmp_path / "d"), columns=["nope"])


def test_filters_prune_row_groups_and_rows(tmp_path):
    pdf = make_frame(100)
    p = str(tmp_path / "one.parquet")
    pq.write_table(pa.Table.from_pandas(pdf, preserve_index=False), p, row_group_size=10)
    ddf = dd.read_parquet(p, filters=[("i", ">=", 35), ("i", "<", 52)], split_row_groups=True)
    assert ddf.npartitions == 3  # row groups 3, 4, 5 only
    assert_eq(ddf, pdf[(pdf.i >= 35) & (pdf.i < 52)], check_index=False)
    ored = dd.read_parquet(p, filters=[[("i", "<", 5)], [("s", "in", ["x"]), ("i", ">", 90)]])
    exp = pdf[(pdf.i < 5) | (pdf.s.isin(["x"]) & (pdf.i > 90))]
    assert_eq(ored, exp, check_index=False)
    none = dd.read_parquet(p, filters=[("i", ">", 1000)])
    assert len(none.compute()) == 0 and list(none.columns) == list(pdf.columns)


def test_split_row_groups_options(tmp_path):
    pdf = make_frame(100)
    p = str(tmp_path / "one.parquet")
    pq.write_table(pa.Table.from_pandas(pdf, preserve_index=False), p, row_group_size=10)
    assert dd.read_parquet(p).npartitions == 1
    assert dd.read_parquet(p, split_row_groups=True).npartitions == 10
    assert dd.read_parquet(p, split_row_groups=4).npartitions == 3
    assert dd.read_parquet(p, blocksize=300).npartitions > 1
    assert_eq(dd.read_parquet(p, split_row_groups=3), pdf, check_index=False)
    with pytest.raises(ValueError, match="split_row_groups"):
        dd.read_parquet(p, split_row_groups="sometimes")


def test_partition_on_hive_roundtrip_and_filter(tmp_path):
    pdf = make_frame(60)
    d = str(tmp_path / "hive")
    dd.from_pandas(pdf, npartitions=2).to_parquet(d, partition_on=["s"], write_index=False)
    assert sorted(os.listdir(d)) == ["s=x", "s=y", "s=z"]
    back = dd.read_parquet(d)
    assert isinstance(back.dtypes["s"], pd.CategoricalDtype)
    assert list(back.dtypes["s"].categories) == ["x", "y", "z"]
    got = back.compute().sort_values("i").reset_index(drop=True)
    exp = pdf.astype({"s": back.dtypes["s"]})[list(back.columns)]
    pd.testing.assert_frame_equal(got, exp)
    only_y = dd.read_parquet(d, filters=[("s", "==", "y")])
    assert only_y.npartitions == 2  # the s=y files only
    assert set(only_y.compute().s.astype(str)) == {"y"}


def test_projection_reads_two_of_many_columns(tmp_path):
    wide = pd.DataFrame({f"c{k}": np.arange(50) * k for k in range(18)})
    d = str(tmp_path / "wide")
    dd.from_pandas(wide, npartitions=2).to_parquet(d)
    ddf = dd.read_parquet(d)
    q = ddf.c3 + ddf.c12
    keys = q.__mpiflow_keys__()
    g = project_columns(q.graph.cull_keys(keys), keys)
    assert g.layers[ddf._name].columns == ["c3", "c12"]
    assert g.layers[ddf._name].func.columns == ["c3", "c12"]
    assert_eq(q, wide.c3 + wide.c12)


def test_glob_list_and_errors(tmp_path):
    pdf = make_frame(40)
    dd.from_pandas(pdf, npartitions=2).to_parquet(str(tmp_path / "d"))
    files = sorted(str(p) for p in (tmp_path / "d").iterdir())
    assert_eq(dd.read_parquet(files), pdf, check_divisions=False)
    assert_eq(dd.read_parquet(str(tmp_path / "d" / "*.parquet")), pdf, check_divisions=False)
    with pytest.raises(FileNotFoundError, match="no files match"):
        dd.read_parquet(str(tmp_path / "nothing-*.parquet"))
    with pytest.raises(FileNotFoundError):
        dd.read_parquet(str(tmp_path / "missing.parquet"))
    (tmp_path / "bad.parquet").write_text("not parquet")
    with pytest.raises(ValueError, match="cannot read .* as Parquet"):
        dd.read_parquet(str(tmp_path / "bad.parquet"))
    with pytest.raises(ValueError, match="did you mean 'f'"):
        dd.read_parquet(str(tmp_path / "d"), filters=[("ff", "==", 1)])
    with pytest.raises(ValueError, match="operator 'like'"):
        dd.read_parquet(str(tmp_path / "d"), filters=[("f", "like", 1)])
    with pytest.raises(TypeError, match="unsupported keywords"):
        dd.read_parquet(str(tmp_path / "d"), bogus=1)


def test_to_parquet_options(tmp_path):
    pdf = make_frame(30)
    ddf = dd.from_pandas(pdf, npartitions=3)
    d = str(tmp_path / "o")
    out = ddf.to_parquet(d, compute=False, compression="gzip")
    assert not os.listdir(d)
    out.compute()
    assert len(os.listdir(d)) == 3
    ddf.to_parquet(d, overwrite=True, name_function=lambda i: f"chunk-{i}.parquet")
    assert sorted(os.listdir(d)) == ["chunk-0.parquet", "chunk-1.parquet", "chunk-2.parquet"]
    with pytest.raises(ValueError, match="partition_on names missing"):
        ddf.to_parquet(d, partition_on="zz")
    with pytest.raises(TypeError, match="to_frame"):
        dd.to_parquet(ddf.i, d)
    with pytest.raises(ValueError, match="same name"):
        ddf.to_parquet(d, name_function=lambda i: "same.parquet")


def test_object_columns_with_empty_partitions(tmp_path):
    pdf = pd.DataFrame({"o": pd.Series(["a", None, "b", None], dtype=object), "v": range(4)})
    dd.from_pandas(pdf, npartitions=2).to_parquet(str(tmp_path / "d"), write_index=False)
    got = dd.read_parquet(str(tmp_path / "d")).compute()
    assert got.o.tolist()[0] == "a" and got.v.tolist() == [0, 1, 2, 3]


def test_plan_helpers(tmp_path):
    assert normalize_filters(None, ["a"]) is None
    assert may_match(("x", "<", 3), 5, 9) is False
    assert may_match(("x", "not in", [4]), 4, 4) is False
    assert may_match(("x", "==", "a"), 1, 2) is True  # incomparable: kept
    p = str(tmp_path / "f.parquet")
    pq.write_table(pa.table({"x": list(range(9))}), p, row_group_size=3)
    parts, divs = plan_parts([(p, {})], None, True, 1 << 20, ["x"])
    assert divs == (0, 3, 6, 8)


def test_missing_pyarrow_message(monkeypatch):
    from mpiflow.dataframe.io import parquet

    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(ImportError, match=r"pip install mpiflow\[parquet\]"):
        parquet.import_pyarrow()


def test_append_and_accepted_dask_keywords(tmp_path):
    pdf = make_frame(20)
    d = str(tmp_path / "a")
    ddf = dd.from_pandas(pdf, npartitions=2)
    ddf.to_parquet(d, write_metadata_file=False, engine="pyarrow")
    ddf.to_parquet(d, append=True)
    assert sorted(os.listdir(d)) == [f"part.{i}.parquet" for i in range(4)]
    back = dd.read_parquet(d, ignore_metadata_file=True, storage_options=None)
    assert len(back.compute()) == 40
    with pytest.raises(ValueError, match="local paths only"):
        dd.read_parquet(d, storage_options={"anon": True})
    with pytest.raises(ValueError, match="only 'pyarrow'"):
        dd.read_parquet(d, engine="fastparquet")
