"""progress() in a notebook: the widget-free HTML bar and how a Jupyter kernel is detected.

IPython is not a dependency and is not installed here, so the kernel and its
display machinery are stood in for by small modules put in ``sys.modules``.
"""

from __future__ import annotations

import io
import sys
import types
from html.parser import HTMLParser

import pytest

from mpiflow.distributed import progress
from mpiflow.distributed.dashboard.progress import html_bar, in_notebook, is_kernel_shell


class Tags(HTMLParser):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.attrs: list[dict] = []
        self.text = ""
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.stack.append(tag)
        self.attrs.append(dict(attrs))

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.problems.append(tag)

    def handle_data(self, data):
        self.text += data


@pytest.mark.parametrize("done,total,percent", [(0, 10, 0), (1, 3, 33), (10, 10, 100),
                                                (0, 0, 100)])
def test_html_bar_is_valid_html_with_the_right_percentage(done, total, percent):
    tags = Tags(html_bar(done, total, 2.5))
    assert tags.problems == [] and tags.stack == []
    outer, _, fill, _ = tags.attrs
    assert outer["data-percent"] == str(percent)
    assert f"width: {float(100 * done / total if total else 100):.1f}%" in fill["style"]
    assert tags.text.startswith(f"{percent}% Completed | {done} / {total} |")
    assert "<script" not in html_bar(done, total, 2.5)


def test_html_bar_shows_errors_in_red():
    text = html_bar(4, 4, 1.0, erred=2)
    assert "| 2 erred" in Tags(text).text and "#e15759" in text


class ZMQInteractiveShell:
    """Named like the shell of Jupyter's kernel."""


class TerminalInteractiveShell:
    pass


class KernelShell:
    kernel = object()


def fake_ipython(monkeypatch, shell, log=None):
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: shell
    display = types.ModuleType("IPython.display")

    class HTML:
        def __init__(self, data):
            self.data = data

    class Handle:
        def update(self, obj):
            log.append(("update", obj.data))

    def show(obj, display_id=False):
        assert display_id is True
        log.append(("display", obj.data))
        return Handle()

    display.HTML, display.display = HTML, show
    ipython.display = display
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", display)


def test_detection_of_a_kernel_shell():
    assert is_kernel_shell(ZMQInteractiveShell())
    assert is_kernel_shell(KernelShell())
    assert not is_kernel_shell(TerminalInteractiveShell())
    assert not is_kernel_shell(None)


def test_in_notebook_only_when_ipython_is_loaded_and_a_kernel(monkeypatch):
    monkeypatch.delitem(sys.modules, "IPython", raising=False)
    assert not in_notebook()
    assert "IPython" not in sys.modules  # never imported just to look
    fake_ipython(monkeypatch, TerminalInteractiveShell())
    assert not in_notebook()
    fake_ipython(monkeypatch, None)  # IPython imported, but no shell running
    assert not in_notebook()
    fake_ipython(monkeypatch, ZMQInteractiveShell())
    assert in_notebook()


def test_progress_draws_html_in_a_notebook_and_text_when_given_a_file(monkeypatch, capsys):
    log: list = []
    fake_ipython(monkeypatch, ZMQInteractiveShell(), log)
    progress([])
    assert [kind for kind, _ in log] == ["display", "update"]
    assert 'data-percent="100"' in log[-1][1]
    assert capsys.readouterr().out == ""
    out = io.StringIO()
    progress([], file=out)  # an explicit file means text
    assert out.getvalue().startswith("[" + "#" * 40 + "] | 100% Completed")
    assert len(log) == 2
    progress([], notebook=False)
    assert "100% Completed" in capsys.readouterr().out
