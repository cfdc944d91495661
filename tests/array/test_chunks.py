"""Tests of mpiflow.array.chunks: normalize_chunks and helpers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mpiflow import config
from mpiflow.array.chunks import (
    auto_chunks,
    blockdims_from_blockshape,
    cumdims,
    has_unknown_chunks,
    normalize_chunks,
    parse_bytes,
    slices_from_chunks,
)

nan = math.nan


@pytest.mark.parametrize(
    "chunks, shape, expected",
    [
        (2, (5,), ((2, 2, 1),)),
        ((2, 3), (4, 6), ((2, 2), (3, 3))),
        ((2, -1), (4, 6), ((2, 2), (6,))),
        ((None, 4), (4, 6), ((4,), (4, 2))),
        (-1, (4, 6), ((4,), (6,))),
        (None, (4, 6), ((4,), (6,))),
        ({1: 4}, (4, 6), ((4,), (4, 2))),
        ({-1: 4}, (4, 6), ((4,), (4, 2))),
        (((1, 3), 6), (4, 6), ((1, 3), (6,))),
        ([2, 3], (4, 6), ((2, 2), (3, 3))),
        (10, (4,), ((4,),)),
        (3, (0,), ((0,),)),
        (0, (0,), ((0,),)),
        ((), (), ()),
        (np.int64(2), (3,), ((2, 1),)),
        (2.0, (3,), ((2, 1),)),
    ],
)
def test_normalize(chunks, shape, expected):
    assert normalize_chunks(chunks, shape) == expected


def test_explicit_without_shape():
    assert normalize_chunks(((2, 3), (1,))) == ((2, 3), (1,))
    assert normalize_chunks(((nan, nan),))[0][0] is not None
    assert has_unknown_chunks(normalize_chunks(((nan, nan),)))


def test_unknown_lengths():
    assert normalize_chunks(3, (nan, 4)) == ((nan,), (3, 1)) or has_unknown_chunks(
        normalize_chunks(3, (nan, 4))
    )
    with pytest.raises(ValueError, match="unknown length"):
        normalize_chunks("auto", (nan, 4), dtype="f8")


def test_auto_and_bytes():
    assert normalize_chunks("auto", (10, 10), limit="200B", dtype="f8") == ((5, 5), (5, 5))
    assert normalize_chunks("16B", (10,), dtype="i8") == ((2, 2, 2, 2, 2),)
    assert normalize_chunks(("auto", 5), (10, 10), limit=80, dtype="f8") == (
        (2, 2, 2, 2, 2),
        (5, 5),
    )
    assert normalize_chunks(("40B", -1), (10, 1), dtype="f8") == ((5, 5), (1,))
    # whole axis when it fits
    assert normalize_chunks("auto", (3, 1000), limit="8kB", dtype="f8")[0] == (3,)
    with config.set(**{"array.chunk-size": "80B"}):
        assert normalize_chunks("auto", (10,), dtype="f8") == ((10,),)
        assert normalize_chunks("auto", (20,), dtype="f8") == ((10, 10),)


def test_auto_previous_chunks_gives_multiples():
    out = normalize_chunks(
        "auto", (100, 100), limit=8 * 40 * 40, dtype="f8", previous_chunks=(10, 10)
    )
    assert all(c % 10 == 0 for c in out[0][:-1]) and all(c % 10 == 0 for c in out[1][:-1])


def test_auto_chunks_helper():
    assert auto_chunks(("auto", "auto"), (100, 100), limit=800, dtype="f8") == (10, 10)
    with pytest.raises(ValueError, match="need the dtype"):
        auto_chunks(("auto",), (10,))
    with pytest.raises(NotImplementedError, match="explicit chunk lengths"):
        normalize_chunks("auto", (10,), dtype=object)


@pytest.mark.parametrize(
    "chunks, shape, match",
    [
        ((2, 2), (4,), "has 2 entries but the array has 1 dimensions"),
        (((2, 2),), (5,), "add up to 4 but the axis has length 5"),
        (-3, (5,), "negative"),
        (0, (5,), "block size 0"),
        ("lots", (5,), "cannot read 'lots' as a number of bytes"),
        ((("a",),), (5,), "not a valid block size"),
        ((True,), (5,), "not a valid block size"),
        ((1.5,), (5,), "not a whole number"),
        (object(), (5,), "not a valid chunk specification"),
        ({3: 2}, (5,), "out of range"),
        ((((-1, 6),)), (5,), ">= 0"),
    ],
)
def test_errors(chunks, shape, match):
    with pytest.raises(ValueError, match=match):
        normalize_chunks(chunks, shape, dtype="f8")


def test_errors_without_shape():
    with pytest.raises(ValueError, match="needs the array shape"):
        normalize_chunks(2)
    with pytest.raises(ValueError, match="needs the array shape"):
        normalize_chunks("auto")
    with pytest.raises(ValueError, match="needs the array shape"):
        normalize_chunks((2,))
    with pytest.raises(ValueError, match="shape entries must be"):
        normalize_chunks(2, (-1,))
    with pytest.raises(ValueError, match="shape entries must be"):
        normalize_chunks(2, ("a",))


def test_parse_bytes():
    assert parse_bytes("64MiB") == 64 * 2**20
    assert parse_bytes("100 MB") == 10**8
    assert parse_bytes("1e3") == 1000
    assert parse_bytes("kB") == 1000
    assert parse_bytes(5) == 5
    for bad in ["", "12 parsecs", "1.2.3MB"]:
        with pytest.raises(ValueError, match="as a number of bytes"):
            parse_bytes(bad)


def test_slices_cumdims_blockdims():
    assert cumdims(((2, 2, 1), (3,))) == [[0, 2, 4, 5], [0, 3]]
    assert slices_from_chunks(((2, 1),)) == [(slice(0, 2),), (slice(2, 3),)]
    assert slices_from_chunks(()) == [()]
    assert blockdims_from_blockshape((5, 0), (2, 3)) == ((2, 2, 1), (0,))
    assert blockdims_from_blockshape((nan,), (2,))[0][0] != 2


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 30), min_size=0, max_size=4).flatmap(
        lambda shape: st.tuples(
            st.just(tuple(shape)),
            st.tuples(*[st.integers(1, 12) | st.just(-1) for _ in shape]),
        )
    )
)
def test_normalize_property(shape_and_chunks):
    shape, chunks = shape_and_chunks
    out = normalize_chunks(chunks, shape)
    assert len(out) == len(shape)
    for c, n, size in zip(out, shape, chunks, strict=True):
        assert sum(c) == n
        if n:
            limit = n if size == -1 else size
            assert all(0 < b <= limit for b in c)
            assert all(b == limit for b in c[:-1])
    # normalizing again is the identity
    assert normalize_chunks(out, shape) == out
    # the slices tile the array exactly once
    count = np.zeros(shape, dtype=int)
    for s in slices_from_chunks(out):
        count[s] += 1
    assert (count == 1).all()


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(1, 200), min_size=1, max_size=3),
    st.integers(8, 4000),
)
def test_auto_respects_limit(shape, limit):
    out = normalize_chunks("auto", tuple(shape), limit=limit, dtype="f8")
    block = math.prod(max(c) for c in out) * 8
    assert block <= max(limit, 8) or all(max(c) == 1 for c in out)
    assert all(sum(c) == n for c, n in zip(out, shape, strict=True))
