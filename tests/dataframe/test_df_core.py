"""Core of mpiflow.dataframe: construction, divisions, meta, repr, selection, map_partitions."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from dataframe_helpers import SCHEDULERS, assert_eq
from hypothesis import given, settings
from hypothesis import strategies as st

import mpiflow.dataframe as dd
from mpiflow.dataframe.core import DataFrame, Index, Scalar, Series, new_collection
from mpiflow.dataframe.layers import PartitionwiseLayer
from mpiflow.dataframe.optimize import optimize


@pytest.fixture
def pdf() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "x": np.arange(20),
            "y": np.linspace(0, 1, 20),
            "z": list("abcde") * 4,
        },
        index=pd.RangeIndex(100, 120, name="i"),
    )


@pytest.fixture
def df(pdf: pd.DataFrame) -> DataFrame:
    return dd.from_pandas(pdf, npartitions=3)


def test_from_pandas_divisions(pdf: pd.DataFrame, df: DataFrame) -> None:
    assert df.npartitions == 3
    assert df.known_divisions
    assert df.divisions == (100, 107, 114, 119)
    assert all(type(d) is int for d in df.divisions)
    assert_eq(df, pdf)
    assert_eq(dd.from_pandas(pdf, chunksize=6), pdf)
    assert dd.from_pandas(pdf, chunksize=6).npartitions == 4


def test_from_pandas_sorts_and_keeps_equal_labels_together() -> None:
    pdf = pd.DataFrame({"a": range(8)}, index=[3, 1, 1, 1, 1, 2, 0, 5])
    df = dd.from_pandas(pdf, npartitions=4)
    assert_eq(df, pdf.sort_index())
    parts = [p.compute() for p in df.to_delayed()]
    seen = [set(p.index) for p in parts]
    for i, a in enumerate(seen):
        for b in seen[i + 1 :]:
            assert not (a & b)


def test_from_pandas_unsorted_unknown_divisions(pdf: pd.DataFrame) -> None:
    shuffled = pdf.sample(frac=1, random_state=0)
    df = dd.from_pandas(shuffled, npartitions=3, sort=False)
    assert not df.known_divisions
    assert df.divisions == (None,) * 4
    assert_eq(df, shuffled)


def test_from_pandas_bad_input() -> None:
    with pytest.raises(TypeError, match="from_pandas expects a pandas DataFrame"):
        dd.from_pandas([1, 2, 3], npartitions=2)
    with pytest.raises(ValueError, match="npartitions or chunksize, not both"):
        dd.from_pandas(pd.Series([1]), npartitions=1, chunksize=1)
    with pytest.raises(ValueError, match="positive integer"):
        dd.from_pandas(pd.Series([1]), npartitions=0)


def test_from_pandas_empty_and_series() -> None:
    empty = pd.DataFrame({"a": pd.Series([], dtype="f8")})
    e = dd.from_pandas(empty, npartitions=3)
    assert e.npartitions == 1
    assert_eq(e, empty)
    s = pd.Series([3.0, 1.0, 2.0], name="s")
    assert_eq(dd.from_pandas(s, npartitions=2), s.sort_index())


def test_meta_and_schema(df: DataFrame, pdf: pd.DataFrame) -> None:
    assert list(df.columns) == ["x", "y", "z"]
    pd.testing.assert_series_equal(df.dtypes, pdf.dtypes)
    assert df.x.dtype == pdf.x.dtype
    assert df.index.dtype == pdf.index.dtype
    assert isinstance(df.x, Series)
    assert isinstance(df.index, Index)
    assert len(df._meta) == 0
    assert df._meta.index.name == "i"
    assert df.ndim == 2 and df.x.ndim == 1


def test_repr_does_not_compute(df: DataFrame) -> None:
    text = repr(df)
    assert text.startswith("mpiflow DataFrame Structure:")
    assert "npartitions=3" in text
    assert "int64" in text and "float64" in text
    assert "from_pandas" in text
    html = df._repr_html_()
    assert "<table" in html and "npartitions=3" in html
    s = repr(df.x + 1)
    assert "Series Structure" in s and "Name: x, dtype: int64" in s
    u = repr(df.clear_divisions())
    assert "npartitions=3" in u


def test_getitem_columns(df: DataFrame, pdf: pd.DataFrame) -> None:
    assert_eq(df["x"], pdf["x"])
    assert_eq(df[["x", "z"]], pdf[["x", "z"]])
    assert_eq(df.y, pdf.y)
    layer = df[["x", "z"]].graph.layers[df[["x", "z"]]._name]
    assert isinstance(layer, PartitionwiseLayer)
    assert layer.columns_read == frozenset({"x", "z"})
    assert layer.input_name == df._name
    other = (df.x + 1).graph.layers[(df.x + 1)._name]
    assert other.columns_read is None


def test_missing_column_names_closest(df: DataFrame) -> None:
    with pytest.raises(KeyError, match="Column 'xx' not found.*Did you mean 'x'"):
        df["xx"]
    with pytest.raises(KeyError, match="Did you mean 'z'"):
        df[["x", "zz"]]
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = df.nope
    with pytest.raises(KeyError, match="Column 'yy' not found"):
        df.drop(columns=["yy"])


def test_boolean_filter(df: DataFrame, pdf: pd.DataFrame) -> None:
    assert_eq(df[df.x > 5], pdf[pdf.x > 5])
    assert_eq(df.y[df.z == "a"], pdf.y[pdf.z == "a"])
    assert_eq(df.loc[df.x % 2 == 0, "y"], pdf.loc[pdf.x % 2 == 0, "y"])
    with pytest.raises(TypeError, match="must be a boolean Series"):
        df[df.x]


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_schedulers(df: DataFrame, pdf: pd.DataFrame, scheduler: str) -> None:
    out = df[df.y > 0.3].assign(w=lambda d: d.x * 2 + d.y)
    exp = pdf[pdf.y > 0.3].assign(w=lambda d: d.x * 2 + d.y)
    assert_eq(out, exp, scheduler=scheduler)
    assert_eq(df.map_partitions(lambda p: p.x - 1), pdf.x - 1, scheduler=scheduler)


def test_map_partitions_meta_inference_and_scalars(df: DataFrame, pdf: pd.DataFrame) -> None:
    out = df.map_partitions(lambda p, k: p.assign(k=p.x * k), 3)
    assert list(out.columns) == ["x", "y", "z", "k"]
    assert_eq(out, pdf.assign(k=pdf.x * 3))
    lens = df.map_partitions(len).compute()
    assert lens.tolist() == [7, 7, 6]
    sums = dd.map_partitions(lambda p: p.x.sum(), df).compute()
    assert sums.tolist() == [pdf.x.iloc[:7].sum(), pdf.x.iloc[7:14].sum(), pdf.x.iloc[14:].sum()]


def test_map_partitions_meta_inference_failure_is_clear(df: DataFrame) -> None:
    def bad(part):
        return part.no_such_column + 1

    with pytest.raises(
        ValueError, match=r"(?s)Metadata inference failed in `bad`.*no_such_column.*Pass meta="
    ):
        df.map_partitions(bad)


def test_map_partitions_enforce_metadata(df: DataFrame) -> None:
    def add_col(part):
        return part.assign(extra=1)

    wrong = df.map_partitions(add_col, meta=df._meta)
    with pytest.raises(ValueError, match=r"result of `add_col` do not match the given meta") as e:
        wrong.compute(scheduler="sync")
    assert "extra" in str(e.value) and "Expected" in str(e.value)

    def to_float(part):
        return part.x.astype("f8")

    bad_dtype = df.map_partitions(to_float, meta=("x", "i8"))
    with pytest.raises(ValueError, match=r"dtype of the result of `to_float`.*expected int64"):
        bad_dtype.compute(scheduler="sync")
    ok = df.map_partitions(to_float, meta=("x", "i8"), enforce_metadata=False)
    assert ok.compute().dtype == np.float64


def test_map_partitions_meta_forms(df: DataFrame, pdf: pd.DataFrame) -> None:
    out = df.map_partitions(lambda p: p.x * 1.5, meta=("x", "f8"))
    assert out.dtype == np.float64 and out._meta.name == "x"
    assert_eq(out, pdf.x * 1.5)
    out2 = df.map_partitions(lambda p: p[["x"]] * 2, meta={"x": "i8"})
    assert_eq(out2, pdf[["x"]] * 2)


def test_map_partitions_with_scalar_and_delayed(df: DataFrame, pdf: pd.DataFrame) -> None:
    from mpiflow.delayed import delayed

    total = df.x.map_partitions(lambda p: p * 0 + 2, meta=df.x._meta)
    d = delayed(lambda: 10)()
    out = df.x.map_partitions(lambda p, k: p + k, d, meta=df.x._meta)
    assert_eq(out, pdf.x + 10)
    assert_eq(total, pdf.x * 0 + 2)


def test_len_shape_size(df: DataFrame, pdf: pd.DataFrame) -> None:
    assert len(df) == 20
    assert len(df[df.x > 4]) == 15
    rows, cols = df.shape
    assert isinstance(rows, Scalar) and cols == 3
    assert rows.compute() == 20
    assert df.x.shape[0].compute() == 20
    assert df.size.compute() == pdf.size


def test_head_tail(df: DataFrame, pdf: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(df.head(3), pdf.head(3))
    pd.testing.assert_series_equal(df.x.head(), pdf.x.head())
    pd.testing.assert_frame_equal(df.tail(4), pdf.tail(4))
    with pytest.warns(UserWarning, match="Insufficient elements for `head`"):
        out = df.head(10)
    assert len(out) == 7
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pd.testing.assert_frame_equal(df.head(10, npartitions=2), pdf.head(10))
        pd.testing.assert_frame_equal(df.head(15, npartitions=-1), pdf.head(15))
    assert_eq(df.head(2, compute=False), pdf.head(2))


def test_partitions_and_loc(df: DataFrame, pdf: pd.DataFrame) -> None:
    assert_eq(df.partitions[1], pdf.iloc[7:14])
    assert_eq(df.partitions[::2], pd.concat([pdf.iloc[:7], pdf.iloc[14:]]))
    assert_eq(df.get_partition(2), pdf.iloc[14:])
    with pytest.raises(IndexError, match="3 partitions"):
        df.get_partition(3)
    assert_eq(df.loc[105:110], pdf.loc[105:110])
    assert df.loc[105:110].npartitions == 2
    assert_eq(df.loc[:103], pdf.loc[:103])
    assert_eq(df.loc[115:], pdf.loc[115:])
    assert_eq(df.loc[108], pdf.loc[[108]])
    assert_eq(df.loc[[101, 117]], pdf.loc[[101, 117]])
    assert_eq(df.clear_divisions().loc[105:110], pdf.loc[105:110], check_divisions=False)


def test_compute_persist_pickle(df: DataFrame, pdf: pd.DataFrame) -> None:
    p = (df.x + 1).persist(scheduler="sync")
    assert len(p.graph.layers) == 1
    assert_eq(p, pdf.x + 1)
    again = pickle.loads(pickle.dumps(df.x * 2))
    assert_eq(again, pdf.x * 2)
    import mpiflow

    a, b = mpiflow.compute(df.x.sum(), df.y + 1, scheduler="sync")
    assert a == pdf.x.sum()
    pd.testing.assert_series_equal(b, pdf.y + 1)


def test_optimize_fuses_chains(df: DataFrame) -> None:
    out = ((df.x + 1) * 2)[df.y > 0.5]
    dsk = optimize(out.graph, out.__mpiflow_keys__())
    # data partitions + one fused task per partition
    assert len(dsk) == 2 * df.npartitions
    head = df.x.head(2, compute=False)
    dsk = optimize(head.graph, head.__mpiflow_keys__())
    assert (df._name, 1) not in dsk and (df._name, 0) in dsk


def test_new_collection_picks_class(pdf: pd.DataFrame) -> None:
    g = {("a", 0): pdf}
    assert isinstance(new_collection(g, "a", pdf.iloc[:0], (None, None)), DataFrame)
    assert isinstance(new_collection(g, "a", pdf.x.iloc[:0], (None, None)), Series)
    assert isinstance(new_collection(g, "a", pdf.index[:0], (None, None)), Index)
    assert isinstance(new_collection({("a", 0): 1}, "a", 1, None), Scalar)


def test_setitem_and_columns_setter(df: DataFrame, pdf: pd.DataFrame) -> None:
    d2, p2 = df.copy(), pdf.copy()
    d2["w"] = d2.x * 3
    p2["w"] = p2.x * 3
    assert_eq(d2, p2)
    d2.columns = ["a", "b", "c", "d"]
    p2.columns = ["a", "b", "c", "d"]
    assert_eq(d2, p2)
    assert list(df.columns) == ["x", "y", "z"]


def test_truth_value_is_an_error(df: DataFrame) -> None:
    with pytest.raises(ValueError, match="ambiguous"):
        bool(df.x > 1)
    with pytest.raises(TypeError, match="truth value of a lazy Scalar"):
        bool(Scalar({("s", 0): 1}, "s", 1))


@pytest.mark.parametrize("scheduler", ["sync", "processes"])
def test_map_partitions_partition_info(df: DataFrame, pdf: pd.DataFrame, scheduler: str) -> None:
    def tag(part, k, partition_info=None):
        return part.assign(n=partition_info["number"] * k, d=partition_info["division"])

    out = df.map_partitions(tag, 10)
    exp = pdf.assign(n=[0] * 7 + [10] * 7 + [20] * 6, d=[100] * 7 + [107] * 7 + [114] * 6)
    assert_eq(out, exp, scheduler=scheduler)
    sizes = df.map_partitions(lambda p, partition_info=None: partition_info["number"]).compute()
    assert sizes.tolist() == [0, 1, 2]


def test_loc_datetime_strings() -> None:
    idx = pd.date_range("2024-01-30", periods=60, freq="6h", name="t")
    pdf = pd.DataFrame({"v": range(60)}, index=idx)
    df = dd.from_pandas(pdf, npartitions=5)
    assert_eq(df.loc["2024-02-02":"2024-02-05"], pdf.loc["2024-02-02":"2024-02-05"])
    assert_eq(df.loc["2024-02"], pdf.loc["2024-02"])
    assert_eq(df.loc["2024-02-03"], pdf.loc["2024-02-03"])
    assert_eq(df.v.loc[:"2024-01-31"], pdf.v.loc[:"2024-01-31"])
    assert df.loc["2024-02-03"].npartitions == 1


def test_frames_and_scalars_are_optimized_together(df: DataFrame) -> None:
    from mpiflow.base import collections_to_graph

    assert DataFrame.__mpiflow_optimize__ is Scalar.__mpiflow_optimize__
    assert Series.__mpiflow_merge_graphs__ is Scalar.__mpiflow_merge_graphs__
    total = df.x.sum()
    shifted = df.y + 1
    dsk, _ = collections_to_graph([total, shifted])
    alone, _ = collections_to_graph([shifted])
    # the shared column selection was fused into both readers, not kept as its own keys
    getitem_keys = [k for k in dsk if isinstance(k, tuple) and str(k[0]).startswith("getitem")]
    assert not getitem_keys
    assert set(alone) <= set(dsk)


def test_getitem_callable_and_series_labels(df: DataFrame, pdf: pd.DataFrame) -> None:
    assert_eq(df[lambda d: d.x > 15], pdf[pdf.x > 15])
    assert_eq(df.x[lambda s: s < 3], pdf.x[pdf.x < 3])
    assert_eq(df.x[105], pdf.x.loc[[105]])
    assert_eq(df.x[[101, 118]], pdf.x.loc[[101, 118]])
    assert_eq(df.x[103:108], pdf.x.loc[103:108])


def test_columns_setter_length_mismatch(df: DataFrame) -> None:
    with pytest.raises(ValueError, match="has 3 columns, 2 new names"):
        df.columns = ["a", "b"]


def test_repr_exact_text() -> None:
    pdf = pd.DataFrame({"x": range(10), "y": list("abcdeabcde")})
    df = dd.from_pandas(pdf, npartitions=3)
    lines = [line.rstrip() for line in repr(df).splitlines()]
    assert lines == [
        "mpiflow DataFrame Structure:",
        "                   x    y",
        "npartitions=3",
        "0              int64  str",
        "4                ...  ...",
        "8                ...  ...",
        "9                ...  ...",
        "mpiflow Name: from_pandas, 1 graph layer",
    ]
    s = [line.rstrip() for line in repr(df.clear_divisions().x).splitlines()]
    assert s[0] == "mpiflow Series Structure:" and s[1] == "npartitions=3"
    assert s[2].strip() == "int64" and [x.strip() for x in s[3:6]] == ["..."] * 3
    assert s[6] == "Name: x, dtype: int64"
    assert s[7] == "mpiflow Name: getitem, 2 graph layers"
    empty = dd.from_pandas(pd.DataFrame(index=range(3)), npartitions=1)
    assert "Empty DataFrame, npartitions=1" in repr(empty)
    assert "Index Structure" in repr(df.index)


def test_name_is_the_pandas_name_as_dask(df: DataFrame, pdf: pd.DataFrame) -> None:
    assert df.x.name == "x"
    assert (df.x + 1).name == "x"
    assert df.index.name == "i"
    assert df.x._name != "x" and df.x._name in df.x.graph.layers
    s = df.y.copy()
    s.name = "renamed"
    assert s.name == "renamed" and s.compute().name == "renamed"
    assert df.y.name == "y"  # the original is unchanged
    idx = df.index
    idx.name = "j"
    assert idx.compute().name == "j" and idx.known_divisions
    named = dd.from_pandas(pdf.assign(name=pdf.x), npartitions=2)
    assert_eq(named.name, pdf.x.rename("name"))  # a DataFrame's .name is its column
    assert not hasattr(df, "name")


@settings(max_examples=25, deadline=None)
@given(
    labels=st.lists(st.integers(0, 50), min_size=1, max_size=60),
    n=st.integers(1, 6),
    lo=st.one_of(st.none(), st.integers(-5, 55)),
    hi=st.one_of(st.none(), st.integers(-5, 55)),
)
def test_hypothesis_loc_slices(labels: list, n: int, lo, hi) -> None:
    pdf = pd.DataFrame({"v": range(len(labels))}, index=sorted(labels))
    df = dd.from_pandas(pdf, npartitions=n)
    assert_eq(df.loc[lo:hi], pdf.loc[lo:hi])
    if lo is not None:
        assert_eq(df.loc[lo], pdf.loc[[lo]] if lo in pdf.index else pdf.iloc[:0])


def test_meta_inference_is_not_fooled_by_functions_mutating_their_input(df: DataFrame) -> None:
    def add_inplace(part):
        part["extra"] = 1
        return part

    first = df.map_partitions(add_inplace)
    assert "extra" in first.columns
    second = df.map_partitions(lambda p: p)
    assert list(second.columns) == ["x", "y", "z"]
    assert list(df._meta_nonempty.columns) == ["x", "y", "z"]
