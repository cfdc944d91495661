"""merge and join against pandas: broadcast, hash and index joins."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from dataframe_helpers import SCHEDULERS, assert_eq
from hypothesis import given, settings
from hypothesis import strategies as st

import mpiflow.dataframe as dd

HOWS = ["inner", "left", "right", "outer"]


def _frames(n=120, m=40, seed=0):
    rng = np.random.default_rng(seed)
    left = pd.DataFrame(
        {"k": rng.integers(0, 50, n), "s": rng.choice(list("abc"), n), "x": rng.random(n)}
    )
    right = pd.DataFrame(
        {"k": rng.integers(0, 60, m), "s": rng.choice(list("abd"), m), "y": rng.integers(0, 9, m)}
    )
    return left, right


def _layer_prefix(x):
    return x._name.split("-")[0:2]


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("nparts", [(3, 1), (1, 3), (4, 3)])
def test_merge_on_column(how, nparts):
    left, right = _frames()
    dl = dd.from_pandas(left, npartitions=nparts[0])
    dr = dd.from_pandas(right, npartitions=nparts[1])
    out = dl.merge(dr, on="k", how=how)
    assert_eq(out, left.merge(right, on="k", how=how), sort_results=True, check_index=False)


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_merge_hash_join_schedulers(scheduler):
    left, right = _frames()
    dl, dr = dd.from_pandas(left, npartitions=4), dd.from_pandas(right, npartitions=3)
    out = dd.merge(dl, dr, on=["k", "s"], how="left")
    assert _layer_prefix(out) == ["merge", "hash"]
    expected = left.merge(right, on=["k", "s"], how="left")
    assert_eq(out, expected, scheduler=scheduler, sort_results=True, check_index=False)


def test_merge_plans():
    left, right = _frames()
    dl, dr = dd.from_pandas(left, npartitions=4), dd.from_pandas(right, npartitions=1)
    assert _layer_prefix(dl.merge(dr, on="k")) == ["merge", "broadcast"]
    assert _layer_prefix(dl.merge(right, on="k")) == ["merge", "broadcast"]
    dr3 = dd.from_pandas(right, npartitions=3)
    assert _layer_prefix(dl.merge(dr3, on="k")) == ["merge", "hash"]
    forced = dl.merge(dr3, on="k", broadcast=True)
    assert _layer_prefix(forced) == ["merge", "broadcast"]
    assert_eq(forced, left.merge(right, on="k"), sort_results=True, check_index=False)
    # outer joins never broadcast
    assert _layer_prefix(dl.merge(dr, on="k", how="outer")) == ["merge", "hash"]
    assert dl.merge(dr3, on="k", npartitions=5).npartitions == 5
    many = dd.from_pandas(left, npartitions=24)
    assert many.npartitions >= 16
    assert _layer_prefix(many.merge(dd.from_pandas(right, npartitions=2), on="k")) == [
        "merge",
        "broadcast",
    ]
    assert _layer_prefix(dl.merge(dr, on="k", broadcast=False)) == ["merge", "hash"]


def test_merge_left_on_right_on_suffixes_and_semi():
    left, right = _frames()
    right2 = right.rename(columns={"k": "kk"})
    dl, dr = dd.from_pandas(left, npartitions=3), dd.from_pandas(right2, npartitions=2)
    for how in HOWS:
        out = dl.merge(dr, left_on="k", right_on="kk", how=how, suffixes=("_l", "_r"))
        exp = left.merge(right2, left_on="k", right_on="kk", how=how, suffixes=("_l", "_r"))
        assert_eq(out, exp, sort_results=True, check_index=False)
    semi = dl.merge(dr, left_on="k", right_on="kk", how="leftsemi")
    exp = left[left.k.isin(right.k)]
    assert_eq(semi, exp, sort_results=True, check_index=False)


def test_merge_on_index():
    left, right = _frames()
    li = left.drop_duplicates("k").set_index("k")
    ri = right.drop_duplicates("k").set_index("k")
    dl, dr = dd.from_pandas(li, npartitions=3), dd.from_pandas(ri, npartitions=2)
    for how in HOWS:
        out = dl.merge(dr, left_index=True, right_index=True, how=how)
        assert out.known_divisions
        exp = li.merge(ri, left_index=True, right_index=True, how=how)
        assert_eq(out, exp, sort_results=True)
    # index on one side, column on the other
    dl2 = dd.from_pandas(left, npartitions=3)
    for how in ("inner", "left"):
        out = dl2.merge(dr, left_on="k", right_index=True, how=how)
        exp = left.merge(ri, left_on="k", right_index=True, how=how)
        assert_eq(out, exp, sort_results=True, check_index=False)
    small = dd.from_pandas(ri, npartitions=1)
    kept = dl2.merge(small, left_on="k", right_index=True)  # broadcast keeps left's index
    assert kept.divisions == dl2.divisions
    assert_eq(kept, left.merge(ri, left_on="k", right_index=True), sort_results=True)
    other = dd.from_pandas(li, npartitions=1).merge(dl2, left_index=True, right_on="k", how="right")
    exp = li.merge(left, left_index=True, right_on="k", how="right")
    assert other.divisions == dl2.divisions
    assert_eq(other, exp, sort_results=True)


def test_merge_on_index_level_name():
    left, right = _frames()
    li = left.set_index("k")
    dl, dr = dd.from_pandas(li, npartitions=3), dd.from_pandas(right, npartitions=2)
    out = dl.merge(dr, on="k", how="inner", broadcast=False)
    exp = li.merge(right, on="k", how="inner")
    assert_eq(out, exp, sort_results=True, check_index=False)


def test_join():
    left, right = _frames()
    li = left.drop_duplicates("k").set_index("k")
    ri = right.drop_duplicates("k").set_index("k")[["y"]]
    dl, dr = dd.from_pandas(li, npartitions=3), dd.from_pandas(ri, npartitions=2)
    for how in HOWS:
        assert_eq(dl.join(dr, how=how), li.join(ri, how=how), sort_results=True)
    dlc = dd.from_pandas(left, npartitions=3)
    out = dlc.join(dr, on="k")
    assert_eq(out, left.join(ri, on="k"), sort_results=True)
    named = dd.from_pandas(ri.y.rename("yy"), npartitions=2)
    assert_eq(dl.join(named), li.join(ri.y.rename("yy")), sort_results=True)
    with pytest.raises(ValueError, match=r"columns overlap \(\['s'\]\) but no suffix"):
        dl.join(dd.from_pandas(right.set_index("k").drop_duplicates(), npartitions=1))
    with pytest.raises(ValueError, match="a Series must have a name"):
        dl.join(pd.Series([1], index=[1]))


def test_merge_numpy_fast_path_matches_pandas_types():
    rng = np.random.default_rng(3)
    left = pd.DataFrame({"k": rng.integers(0, 1000, 500), "x": rng.random(500)})
    right = pd.DataFrame({"k": np.arange(0, 2000, 2), "y": np.arange(1000), "b": True})
    dl, dr = dd.from_pandas(left, npartitions=4), dd.from_pandas(right, npartitions=1)
    for how in ("inner", "left"):
        exp = left.merge(right, on="k", how=how)
        assert_eq(dl.merge(dr, on="k", how=how), exp, sort_results=True, check_index=False)
    sparse = right.assign(k=right.k * 1_000_003)  # not dense: hash lookup
    assert_eq(
        dl.merge(dd.from_pandas(sparse, npartitions=1), on="k", how="left"),
        left.merge(sparse, on="k", how="left"),
        sort_results=True,
        check_index=False,
    )
    dup = pd.DataFrame({"k": [1, 1, 5, 7, 7, 7], "y": range(6)})  # duplicate keys
    assert_eq(
        dl.merge(dd.from_pandas(dup, npartitions=1), on="k", how="left"),
        left.merge(dup, on="k", how="left"),
        sort_results=True,
        check_index=False,
    )


def test_merge_mixed_int_widths():
    left = pd.DataFrame({"k": np.arange(30, dtype="int64"), "x": 1.0})
    right = pd.DataFrame({"k": np.arange(0, 60, 2, dtype="int32"), "y": 2.0})
    dl, dr = dd.from_pandas(left, npartitions=3), dd.from_pandas(right, npartitions=2)
    out = dl.merge(dr, on="k")
    assert_eq(out, left.merge(right, on="k"), sort_results=True, check_index=False)


@settings(max_examples=25, deadline=None)
@given(
    lk=st.lists(st.integers(0, 15), max_size=40),
    rk=st.lists(st.integers(0, 15), max_size=25),
    nl=st.integers(1, 4),
    nr=st.integers(1, 4),
    how=st.sampled_from(HOWS),
)
def test_merge_hypothesis(lk, rk, nl, nr, how):
    left = pd.DataFrame({"k": lk, "x": np.arange(len(lk), dtype=float)})
    right = pd.DataFrame({"k": rk, "y": np.arange(len(rk))})
    dl = dd.from_pandas(left, npartitions=nl)
    dr = dd.from_pandas(right, npartitions=nr)
    out = dl.merge(dr, on="k", how=how)
    expected = left.merge(right, on="k", how=how)
    assert_eq(out, expected, sort_results=True, check_index=False, check_dtype=False)


def test_merge_bad_input():
    left, right = _frames()
    dl, dr = dd.from_pandas(left, npartitions=2), dd.from_pandas(right, npartitions=2)
    bad = dr.assign(k=dr.k.astype(str))
    with pytest.raises(
        ValueError,
        match=r"left 'k' is int64, right 'k' is str.*"
        r"right\['k'\] = right\['k'\]\.astype\('int64'\)",
    ):
        dl.merge(bad, on="k")
    with pytest.raises(ValueError, match="how='cross' must be one of"):
        dl.merge(dr, on="k", how="cross")
    with pytest.raises(KeyError, match="key 'kk' is not a column of the left frame"):
        dl.merge(dr, on="kk")
    with pytest.raises(ValueError, match="pass on= or left_on=/right_on=, not both"):
        dl.merge(dr, on="k", left_on="k")
    with pytest.raises(ValueError, match="right_on= needs left_on= or left_index=True"):
        dl.merge(dr, right_on="k")
    with pytest.raises(ValueError, match="share no column"):
        dl[["x"]].merge(dr[["y"]])
    with pytest.raises(NotImplementedError, match="indicator=True"):
        dl.merge(dr, on="k", indicator=True)
    with pytest.raises(TypeError, match="expected an mpiflow or pandas DataFrame"):
        dd.merge(dl, [1, 2], on="k")
    with pytest.raises(ValueError, match="joins on 1 keys"):
        dl.merge(dr, left_on=["k"], right_on=["k", "y"])


def test_merge_many_partitions_is_staged():
    left, right = _frames(400, 200)
    dl, dr = dd.from_pandas(left, npartitions=40), dd.from_pandas(right, npartitions=35)
    for how in ("inner", "outer"):
        out = dl.merge(dr, on="k", how=how)
        assert out.npartitions == 40
        exp = left.merge(right, on="k", how=how)
        assert_eq(out, exp, sort_results=True, check_index=False)


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_merge_broadcast_numpy_path_schedulers(scheduler):
    rng = np.random.default_rng(5)
    left = pd.DataFrame({"k": rng.integers(0, 100, 300), "x": rng.random(300)})
    right = pd.DataFrame({"k": np.arange(0, 100, 3), "y": np.arange(34) * 1.5})
    dl, dr = dd.from_pandas(left, npartitions=3), dd.from_pandas(right, npartitions=1)
    for how in ("inner", "left"):
        out = dl.merge(dr, on="k", how=how)
        exp = left.merge(right, on="k", how=how)
        assert_eq(out, exp, scheduler=scheduler, sort_results=True, check_index=False)


@settings(max_examples=20, deadline=None)
@given(
    lk=st.lists(st.sampled_from(["a", "b", "c", None]), max_size=30),
    rk=st.lists(st.sampled_from(["a", "c", "d", None]), max_size=20),
    fl=st.lists(st.sampled_from([0.5, 1.5, float("nan")]), max_size=30),
    nl=st.integers(1, 3),
    nr=st.integers(1, 3),
    how=st.sampled_from(HOWS),
)
def test_merge_hypothesis_string_and_nan_keys(lk, rk, fl, nl, nr, how):
    left = pd.DataFrame({"k": pd.Series(lk, dtype="str"), "v": np.arange(len(lk))})
    right = pd.DataFrame({"k": pd.Series(rk, dtype="str"), "w": np.arange(len(rk)) * 2.0})
    dl, dr = dd.from_pandas(left, npartitions=nl), dd.from_pandas(right, npartitions=nr)
    out = dl.merge(dr, on="k", how=how, broadcast=False)
    exp = left.merge(right, on="k", how=how)
    assert_eq(out, exp, sort_results=True, check_index=False, check_dtype=False)
    fleft = pd.DataFrame({"f": fl, "v": np.arange(len(fl))})
    dfl = dd.from_pandas(fleft, npartitions=nl)
    got = dfl.merge(dfl, on="f", how=how, broadcast=False)
    # int columns of the optional side are float64 in every partition (pandas: only if missing)
    exp = fleft.merge(fleft, on="f", how=how)
    assert_eq(got, exp, sort_results=True, check_index=False, check_dtype=False)
