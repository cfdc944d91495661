"""read_text and to_textfiles: globs, compression, blocks, errors."""

from __future__ import annotations

import bz2
import gzip
import lzma
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mpiflow.bag as db

LINES = [f"line {i} " + "x" * (i % 7) + "\n" for i in range(50)]


@pytest.fixture
def textdir(tmp_path):
    for i in range(3):
        (tmp_path / f"part{i}.txt").write_text("".join(LINES[i * 10 : (i + 1) * 10]))
    return tmp_path


def test_read_text_glob_list_and_include_path(textdir):
    b = db.read_text(str(textdir / "part*.txt"))
    assert b.npartitions == 3
    assert b.compute(scheduler="sync") == LINES[:30]
    files = [str(textdir / "part2.txt"), str(textdir / "part0.txt")]
    assert db.read_text(files).compute(scheduler="sync") == LINES[20:30] + LINES[:10]
    paired = db.read_text(files[:1], include_path=True).compute(scheduler="sync")
    assert paired == [(line, files[0]) for line in LINES[20:30]]
    two = db.read_text(str(textdir / "*.txt"), files_per_partition=2)
    assert two.npartitions == 2 and two.compute(scheduler="threads") == LINES[:30]


@pytest.mark.parametrize(
    "ext, opener", [(".gz", gzip.open), (".bz2", bz2.open), (".xz", lzma.open)]
)
def test_read_text_compressed(tmp_path, ext, opener):
    path = tmp_path / f"data.txt{ext}"
    with opener(path, "wt") as f:
        f.write("".join(LINES))
    assert db.read_text(str(path)).compute(scheduler="sync") == LINES
    plain = tmp_path / "noext"
    with opener(plain, "wt") as f:
        f.write("".join(LINES))
    comp = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz"}[ext]
    assert db.read_text(str(plain), compression=comp).compute(scheduler="sync") == LINES
    with pytest.raises(ValueError, match="cannot split compressed files"):
        db.read_text(str(path), blocksize=100)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.text(alphabet="ab \u00e9", max_size=12), max_size=30),
    st.integers(min_value=1, max_value=64),
    st.booleans(),
)
def test_read_text_blocks_cover_every_line_once(tmp_path_factory, lines, blocksize, last_nl):
    path = tmp_path_factory.mktemp("blocks") / "f.txt"
    text = "\n".join(lines) + ("\n" if last_nl and lines else "")
    path.write_bytes(text.encode("utf-8"))
    b = db.read_text(str(path), blocksize=blocksize)
    expected = db.read_text(str(path)).compute(scheduler="sync")
    assert b.compute(scheduler="sync") == expected
    assert "".join(expected) == text
    assert b.npartitions == max(1, -(-len(text.encode()) // blocksize))


def test_blocksize_strings_and_crlf(tmp_path):
    path = tmp_path / "crlf.txt"
    path.write_bytes(b"a\r\nb\r\nc")
    assert db.read_text(str(path), blocksize="2B").compute(scheduler="sync") == ["a\n", "b\n", "c"]
    assert db.read_text(str(path)).compute(scheduler="sync") == ["a\n", "b\n", "c"]


def test_missing_files_and_empty_globs(tmp_path):
    pattern = str(tmp_path / "nothing-*.txt")
    with pytest.raises(FileNotFoundError, match=r"pattern '.*nothing-\*\.txt' matched no files"):
        db.read_text(pattern)
    missing = str(tmp_path / "missing.txt")
    with pytest.raises(FileNotFoundError, match="no such file: .*missing.txt"):
        db.read_text([missing])
    with pytest.raises(FileNotFoundError, match="empty list"):
        db.read_text([])
    with pytest.raises(ValueError, match="unknown compression 'zip'"):
        (tmp_path / "a.txt").write_text("x")
        db.read_text(str(tmp_path / "a.txt"), compression="zip")


@pytest.mark.parametrize("ext", ["", ".gz", ".bz2", ".xz"])
def test_to_textfiles_roundtrip(tmp_path, ext):
    b = db.from_sequence([f"row {i}" for i in range(7)], npartitions=3)
    out = b.to_textfiles(str(tmp_path / f"out-*.txt{ext}"), scheduler="sync")
    assert [os.path.basename(p) for p in out] == [f"out-{i}.txt{ext}" for i in range(3)]
    back = db.read_text(str(tmp_path / f"out-*.txt{ext}")).map(str.rstrip)
    assert back.compute(scheduler="sync") == [f"row {i}" for i in range(7)]


def test_to_textfiles_directory_names_and_lazy(tmp_path):
    b = db.from_sequence(["a", "b"], npartitions=2)
    out = db.to_textfiles(
        b,
        str(tmp_path / "dir"),
        name_function=lambda i: f"p{i:02d}",
        scheduler="threads",
        last_endline=True,
    )
    assert [os.path.basename(p) for p in out] == ["p00.part", "p01.part"]
    assert open(out[0]).read() == "a\n"
    lazy = b.to_textfiles(str(tmp_path / "lazy-*.txt"), compute=False)
    assert not os.path.exists(tmp_path / "lazy-0.txt")
    assert [os.path.basename(d.compute(scheduler="sync")) for d in lazy] == [
        "lazy-0.txt",
        "lazy-1.txt",
    ]
    with pytest.raises(ValueError, match="exactly one"):
        b.to_textfiles(str(tmp_path / "*-*.txt"))


def test_word_count_pipeline(textdir):
    b = db.read_text(str(textdir / "*.txt"))
    counts = dict(b.str.split().flatten().frequencies().compute(scheduler="sync"))
    expected: dict = {}
    for line in LINES[:30]:
        for w in line.split():
            expected[w] = expected.get(w, 0) + 1
    assert counts == expected
