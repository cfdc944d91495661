"""from_map, IOLayer and column projection into the readers."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest
from dataframe_helpers import SCHEDULERS, assert_eq

import mpiflow.dataframe as dd
from mpiflow.dataframe.io.from_map import IOLayer
from mpiflow.dataframe.io.projection import columns_needed, project_columns
from mpiflow.dataframe.optimize import optimize

WIDE = [f"c{i}" for i in range(18)]


class Recorder:
    """A projectable reader that records which columns each call read."""

    calls: list = []
    lock = threading.Lock()

    def __init__(self, columns=None):
        self.columns = columns

    def project_columns(self, columns):
        return Recorder(list(columns))

    def __call__(self, i):
        df = pd.DataFrame({c: np.arange(4) + 10 * i + k for k, c in enumerate(WIDE)})
        cols = WIDE if self.columns is None else self.columns
        with Recorder.lock:
            Recorder.calls.append(tuple(cols))
        return df[cols]


def full_frame(n=3):
    return pd.concat([Recorder()(i) for i in range(n)])


@pytest.fixture(autouse=True)
def _clear():
    Recorder.calls.clear()


def test_from_map_basic_and_meta_inferred():
    ddf = dd.from_map(Recorder(), range(3))
    assert list(ddf.columns) == WIDE and ddf.npartitions == 3
    Recorder.calls.clear()
    assert_eq(ddf, full_frame(), check_index=True)


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_from_map_args_kwargs_and_zip(scheduler):
    def make(a, b, scale, offset=0):
        return pd.DataFrame({"v": [a * scale + offset, b * scale + offset]})

    ddf = dd.from_map(make, [1, 2], [3, 4], args=(10,), offset=1)
    expected = pd.DataFrame({"v": [11, 31, 21, 41]}, index=[0, 1, 0, 1])
    assert_eq(ddf, expected, scheduler=scheduler)


def test_from_map_errors():
    with pytest.raises(ValueError, match="different lengths"):
        dd.from_map(lambda a, b: pd.DataFrame(), [1], [1, 2])
    with pytest.raises(ValueError, match="at least one input"):
        dd.from_map(lambda a: pd.DataFrame(), [])
    with pytest.raises(ValueError, match="divisions has 2 values"):
        dd.from_map(Recorder(), [1, 2], divisions=(0, 1))

    def bad(i):
        return pd.DataFrame({"x": [i]}) if i == 0 else pd.DataFrame({"y": [i]})

    ddf = dd.from_map(bad, [0, 1])
    with pytest.raises(ValueError, match=r"made by `bad` has the columns \['y'\].*meta says"):
        ddf.compute(scheduler="sync")


def test_from_map_reorders_columns_and_known_divisions():
    def f(i):
        return pd.DataFrame({"b": [i], "a": [i]}, index=[i])

    meta = pd.DataFrame({"a": pd.Series([], dtype="int64"), "b": pd.Series([], dtype="int64")})
    ddf = dd.from_map(f, [0, 1], meta=meta, divisions=(0, 1, 1))
    assert ddf.known_divisions
    assert list(ddf.compute().columns) == ["a", "b"]


def test_projection_narrows_io_layer():
    ddf = dd.from_map(Recorder(), range(3))
    s = ddf[["c3", "c7"]]
    keys = s.__mpiflow_keys__()
    g = project_columns(s.graph.cull_keys(keys), keys)
    assert g.layers[ddf._name].columns == ["c3", "c7"]
    assert columns_needed(s.graph, ddf._name) == {"c3", "c7"}
    # the IO layer's own keys asked for: nothing narrowed
    both = project_columns(s.graph, keys + ddf.__mpiflow_keys__())
    assert both.layers[ddf._name].columns is None


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_reader_called_with_only_the_columns_used(scheduler):
    ddf = dd.from_map(Recorder(), range(3))
    Recorder.calls.clear()
    got = (ddf.c2 + ddf.c5).compute(scheduler=scheduler)
    assert set(Recorder.calls) == {("c2", "c5")} and len(Recorder.calls) == 3
    full = full_frame()
    pd.testing.assert_series_equal(got, full.c2 + full.c5)


def test_union_of_several_selections_and_whole_frame_reader():
    ddf = dd.from_map(Recorder(), range(2))
    Recorder.calls.clear()
    (ddf.c1 * 2 + ddf[["c9"]].c9).compute(scheduler="sync")
    assert set(Recorder.calls) == {("c1", "c9")}
    Recorder.calls.clear()
    (ddf.c1 + ddf.map_partitions(len)).compute(scheduler="sync")  # reads everything
    assert set(Recorder.calls) == {tuple(WIDE)}


def test_columns_arg_projection():
    seen = []

    def load(i, columns=None):
        seen.append(columns)
        df = pd.DataFrame({"a": [i], "b": [i], "c": [i]})
        return df if columns is None else df[columns]

    ddf = dd.from_map(load, [1, 2], columns_arg="columns")
    seen.clear()
    assert ddf.b.compute(scheduler="sync").tolist() == [1, 2]
    assert seen == [["b"], ["b"]]
    layer = ddf.graph.layers[ddf._name]
    assert isinstance(layer, IOLayer) and layer.project(["c", "a"]).columns == ["a", "c"]
    assert layer.project(["c"]).project(["c"]).columns == ["c"]


def test_not_projectable_layer_is_left_alone():
    ddf = dd.from_map(lambda i: pd.DataFrame({"a": [i], "b": [i]}), [1, 2])
    s = ddf.a
    keys = s.__mpiflow_keys__()
    assert project_columns(s.graph, keys) is s.graph


def test_csv_projection_uses_usecols(tmp_path):
    n = 500
    rng = np.random.default_rng(1)
    pdf = pd.DataFrame({c: rng.integers(0, 100, n) for c in WIDE})
    p = tmp_path / "wide.csv"
    pdf.to_csv(p, index=False)
    ddf = dd.read_csv(str(p), blocksize=2000)
    s = ddf[["c4", "c11"]]
    keys = s.__mpiflow_keys__()
    g = project_columns(s.graph.cull_keys(keys), keys)
    layer = g.layers[ddf._name]
    assert layer.columns == ["c4", "c11"]
    assert layer.func.columns == ["c4", "c11"]
    flat = optimize(s.graph, keys)
    assert len(flat) == ddf.npartitions
    assert_eq(s, pdf[["c4", "c11"]], check_index=False)


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_csv_malformed_unused_column_is_not_read(tmp_path, scheduler):
    # 'bad' holds text late in the file: reading it raises the dtype table; a query
    # that does not use it never parses it
    n = 300
    bad = [str(i) for i in range(n)]
    bad[250] = "oops"
    p = tmp_path / "mixed.csv"
    p.write_text("good,bad,other\n" + "".join(f"{i},{b},{i % 7}\n" for i, b in enumerate(bad)))
    ddf = dd.read_csv(str(p), blocksize=600)
    with pytest.raises(ValueError, match="Mismatched dtypes"):
        ddf.compute(scheduler=scheduler)
    got = (ddf.good + ddf.other).compute(scheduler=scheduler)
    assert got.tolist() == [i + i % 7 for i in range(n)]


def test_path_column_projection(tmp_path):
    for k in range(2):
        pd.DataFrame({"a": [k, k], "b": [1, 2]}).to_csv(tmp_path / f"p{k}.csv", index=False)
    ddf = dd.read_csv(str(tmp_path / "p*.csv"), include_path_column=True)
    got = ddf.path.compute(scheduler="sync")
    assert isinstance(got.dtype, pd.CategoricalDtype) and len(got) == 4
    assert ddf[["a", "path"]].compute(scheduler="sync").a.tolist() == [0, 0, 1, 1]
    assert ddf.b.compute(scheduler="sync").tolist() == [1, 2, 1, 2]


def test_csv_projection_with_parse_dates_of_unread_column(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("a,when,b\n1,2024-01-01,2\n3,2024-01-02,4\n")
    ddf = dd.read_csv(str(p), parse_dates=["when"])
    assert ddf.a.compute(scheduler="sync").tolist() == [1, 3]
    got = ddf[["when", "b"]].compute(scheduler="sync")
    assert pd.api.types.is_datetime64_any_dtype(got["when"])
