"""Tests for mpiflow.core.dot."""

from __future__ import annotations

import re
import shutil
import subprocess
import warnings
from functools import partial
from operator import add

import pytest

from mpiflow.core.dot import func_label, key_label, to_dot, write_dot

HAVE_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAVE_DOT, reason="Graphviz 'dot' is not installed")

TOKEN = "3f2a9c0d1e2b4a5c6d7e8f9a0b1c2d3e"

_NODE = re.compile(r'^  ([df]\d+) \[label="((?:[^"\\]|\\.)*)", shape=(box|ellipse)\];$')
_EDGE = re.compile(r"^  ([df]\d+) -> ([df]\d+);$")


def parse(text: str) -> tuple[dict, list]:
    """Parse our DOT output: every line must be a header, node, edge or the closing brace."""
    lines = text.splitlines()
    assert re.fullmatch(r'digraph "(?:[^"\\]|\\.)*" \{', lines[0])
    assert re.fullmatch(r"  graph \[rankdir=(TB|BT|LR|RL)\];", lines[1])
    assert lines[-1] == "}"
    nodes: dict[str, tuple[str, str]] = {}
    edges: list[tuple[str, str]] = []
    for line in lines[2:-1]:
        if m := _NODE.match(line):
            assert m.group(1) not in nodes
            nodes[m.group(1)] = (m.group(2), m.group(3))
        elif m := _EDGE.match(line):
            edges.append((m.group(1), m.group(2)))
        else:
            raise AssertionError(f"unexpected DOT line: {line!r}")
    for a, b in edges:
        assert a in nodes and b in nodes, (a, b)
    return nodes, edges


GRAPH = {
    "x": 1,
    "y": 2,
    f"add-{TOKEN}": (add, "x", "y"),
    "w": (sum, ["x", "y", f"add-{TOKEN}"]),
    "v": [(sum, ["w", f"add-{TOKEN}"]), 2],
    ("chunk", 0): (partial(add, 1), (abs, "x")),
    "alias": "w",
}


def test_structure():
    nodes, edges = parse(to_dot(GRAPH))
    boxes = [label for label, shape in nodes.values() if shape == "box"]
    ellipses = [label for label, shape in nodes.values() if shape == "ellipse"]
    assert sorted(boxes) == sorted(["x", "y", "add", "w", "v", "chunk, 0", "alias"])
    # nested task ("chunk", 0) is labelled by its outer function (a partial of add)
    assert sorted(ellipses) == sorted(["add", "sum", "add"])
    # 3 tasks: 2 + 3 + 1 dependency edges, 3 function->output edges;
    # "v" (a list) depends on w and add; "alias" depends on w
    assert len(edges) == 6 + 3 + 2 + 1
    label = {n: lab for n, (lab, _) in nodes.items()}
    assert ("d0", "f2") in edges and ("d1", "f2") in edges and ("f2", "d2") in edges
    assert label["d2"] == "add" and label["f2"] == "add"
    assert ("d3", "d6") in edges  # alias -> its target's box


def test_collapse_outputs():
    nodes, edges = parse(to_dot(GRAPH, collapse_outputs=True))
    boxes = sorted(label for label, shape in nodes.values() if shape == "box")
    assert boxes == ["alias", "v", "x", "y"]  # only keys holding data keep a box
    assert ("f2", "f3") in edges  # add feeds sum directly
    assert len(edges) == 6 + 2 + 1


def test_labels():
    assert key_label(f"inc-{TOKEN}") == "inc"
    assert key_label(f"inc-{TOKEN}", verbose=True) == f"inc-{TOKEN}"
    assert key_label(("x", 0, 1)) == "x, 0, 1"
    assert key_label((f"sum-agg-{TOKEN}", 3)) == "sum-agg, 3"
    assert key_label("hello-world") == "hello-world"
    assert key_label(b"raw") == "raw"
    assert key_label(3) == "3"
    assert func_label(lambda: 1) == "lambda"
    assert func_label(partial(partial(add, 1), 2)) == "add"

    class Call:
        def __call__(self):
            pass

    assert func_label(Call()) == "Call"
    nodes, _ = parse(to_dot({f"inc-{TOKEN}": 1}, verbose=True))
    assert nodes["d0"][0] == f"inc-{TOKEN}"


def test_escaping():
    nasty = 'say "hi"\\back\nslash'
    text = to_dot({nasty: 1, "y": (add, nasty, 1)}, name='my "graph"')
    nodes, edges = parse(text)
    assert nodes["d0"][0] == 'say \\"hi\\"\\\\back\\nslash'
    assert text.startswith('digraph "my \\"graph\\"" {')
    assert len(edges) == 2


def test_rankdir():
    for rankdir in ("TB", "BT", "LR", "RL"):
        assert f"rankdir={rankdir}" in to_dot({"x": 1}, rankdir=rankdir)
    with pytest.raises(ValueError, match="TB, BT, LR, RL"):
        to_dot({"x": 1}, rankdir="UP")


def test_empty_graph():
    nodes, edges = parse(to_dot({}))
    assert nodes == {} and edges == []


@needs_dot
def test_dot_accepts_output():
    nasty = 'say "hi"\\back\nslash'
    graph = dict(GRAPH, **{nasty: (add, "x", 1)})
    for collapse in (False, True):
        proc = subprocess.run(
            ["dot", "-Tsvg"],
            input=to_dot(graph, collapse_outputs=collapse),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 0, proc.stderr
        assert "<svg" in proc.stdout


@needs_dot
def test_write_png(tmp_path):
    path = write_dot(GRAPH, str(tmp_path / "graph"))
    assert path == str(tmp_path / "graph.png")
    assert (tmp_path / "graph.dot").exists()
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


@needs_dot
def test_write_format_from_extension(tmp_path):
    path = write_dot(GRAPH, str(tmp_path / "graph.svg"), rankdir="LR")
    assert path == str(tmp_path / "graph.svg")
    assert "<svg" in open(path).read()
    assert "rankdir=LR" in open(tmp_path / "graph.dot").read()


@needs_dot
def test_dot_failure_reports_stderr(tmp_path):
    with pytest.raises(RuntimeError, match="(?s)Graphviz failed.*nosuchformat"):
        write_dot(GRAPH, str(tmp_path / "graph"), format="nosuchformat")


def test_write_dot_format_only(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = write_dot(GRAPH, str(tmp_path / "g"), format="dot")
    assert path == str(tmp_path / "g.dot")
    parse(open(path).read())


def test_conflicting_format(tmp_path):
    with pytest.raises(ValueError, match="format"):
        write_dot(GRAPH, str(tmp_path / "g.png"), format="svg")


def test_without_graphviz_warns(tmp_path, monkeypatch):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    target = str(tmp_path / "graph.png")
    with pytest.warns(UserWarning, match="install Graphviz") as record:
        path = write_dot(GRAPH, target)
    dot_path = str(tmp_path / "graph.dot")
    assert path == dot_path
    message = str(record[0].message)
    assert dot_path in message
    assert "apt-get install graphviz" in message
    assert f"dot -Tpng {dot_path} -o {target}" in message
    parse(open(dot_path).read())
    with pytest.raises(RuntimeError, match="install Graphviz"):
        write_dot(GRAPH, target, strict=True)
