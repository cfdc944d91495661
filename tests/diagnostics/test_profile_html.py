"""visualize_profile writes one self-contained HTML page that renders without errors."""

from __future__ import annotations

import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
from chromium_helpers import keep_screenshot, needs_chromium, run_chromium

import mpiflow.threaded
from mpiflow.diagnostics import Profiler, ResourceProfiler, TaskData, visualize_profile
from mpiflow.diagnostics.profile_html import group_colour


class Page(HTMLParser):
    """Every element as (tag, attributes), and whether the tags nest properly."""

    VOID = {"meta", "line", "rect", "polyline", "br", "img", "input", "link"}

    def __init__(self, text: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict]] = []
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.elements.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
        else:
            self.stack.pop()

    def having(self, tag: str, cls: str | None = None) -> list[dict]:
        return [a for t, a in self.elements
                if t == tag and (cls is None or cls in (a.get("class") or "").split())]


def inc(x):
    time.sleep(0.005)
    return x + 1


@pytest.fixture(scope="module")
def profiled():
    tok = "5d41402abc4b2a76b9719d911017c592"
    dsk = {(f"inc-{tok}", i): (inc, i) for i in range(40)}
    adds = [(f"add-{tok}", i) for i in range(10)]
    for i, key in enumerate(adds):
        dsk[key] = (sum, [(f"inc-{tok}", 4 * i + j) for j in range(4)])
    dsk[f"sum-aggregate-{tok}"] = (sum, adds)
    with Profiler() as prof, ResourceProfiler(dt=0.01) as rprof:
        out = mpiflow.threaded.get(dsk, f"sum-aggregate-{tok}", num_workers=2)
    assert out == sum(range(1, 41))
    return prof, rprof


def test_page_has_a_box_per_task_and_cpu_memory_lines(profiled, tmp_path):
    prof, rprof = profiled
    path = visualize_profile([prof, rprof], filename=tmp_path / "p.html")
    assert path == str(tmp_path / "p.html")
    text = Path(path).read_text()
    page = Page(text)
    assert page.problems == [] and page.stack == []
    boxes = page.having("rect", "task")
    assert len(boxes) == len(prof.results) == 51
    assert {b["data-group"] for b in boxes} == {"inc", "add", "sum-aggregate"}
    assert all(b["fill"] == group_colour(b["data-group"]) for b in boxes)  # as the dashboard
    assert all(float(b["data-duration"]) >= 0 for b in boxes)
    labels = [a for t, a in page.elements if t == "text" and a.get("class") == "label"]
    assert len(labels) == len({r.worker_id for r in prof.results})
    lines = page.having("polyline")
    assert {tuple(sorted(a["class"].split())) for a in lines} == {("cpu", "line"), ("line", "mem")}
    assert all(len(a["points"].split()) == len(rprof.results) for a in lines)
    # standalone: nothing to fetch (the only URL is the SVG namespace)
    assert not [a for _, a in page.elements if "src" in a or "href" in a]
    assert text.count("http") == 1 and "xmlns=\"http://www.w3.org/2000/svg\"" in text
    assert "@import" not in text and "url(" not in text


def test_method_on_each_profiler_and_odd_keys_are_escaped(tmp_path):
    prof = Profiler()
    key = ("<b>&\"x-1", 0)
    prof.results = [TaskData(key, None, 1.0, 1.5, 0), TaskData(b"bytes-2", None, 1.2, 1.3, 1)]
    page = Page(Path(prof.visualize(str(tmp_path / "k.html"))).read_text())
    assert [b["data-key"] for b in page.having("rect", "task")] == [repr(key), "b'bytes-2'"]
    rprof = ResourceProfiler()
    page = Page(Path(rprof.visualize(str(tmp_path / "r.html"))).read_text())
    assert page.having("rect", "task") == [] and page.problems == []


def test_groups_whose_dashboard_colours_clash_get_distinct_colours(tmp_path):
    assert group_colour("random") == group_colour("sum")
    prof = Profiler()
    prof.results = [TaskData(("random-1", 0), None, 0.0, 2.0, 0),
                    TaskData(("sum-1", 0), None, 2.0, 2.5, 0)]
    page = Page(Path(visualize_profile(prof, filename=tmp_path / "c.html")).read_text())
    fills = {b["data-group"]: b["fill"] for b in page.having("rect", "task")}
    assert fills["random"] == group_colour("random")  # the busier group keeps its colour
    assert fills["sum"] != fills["random"]


def test_bad_arguments_say_what_to_pass(tmp_path):
    with pytest.raises(TypeError, match="got int"):
        visualize_profile(3, filename=tmp_path / "x.html")
    with pytest.raises(TypeError, match=r"cannot draw a str: pass mpiflow.diagnostics.Profiler"):
        visualize_profile(["prof"], filename=tmp_path / "x.html")


def chromium(url: str, tmp: Path, *args: str) -> str:
    return run_chromium(url, tmp / "chrome", *args, window="1100,560", budget_ms=2000,
                        console_errors=True).stdout

@needs_chromium
def test_renders_in_chromium_without_errors_and_hover_shows_key(profiled, tmp_path):
    prof, rprof = profiled
    path = Path(visualize_profile([prof, rprof], filename=tmp_path / "p.html"))
    body = [a for t, a in Page(chromium(path.as_uri(), tmp_path, "--dump-dom")).elements
            if t == "body"][0]
    assert body["data-error"] == "" and body["data-ready"] == "1"
    # hover the first box: the page's own script fills the tip
    hover = tmp_path / "hover.html"
    hover.write_text(path.read_text().replace("</body>", """<script>
const r = document.querySelector("rect.task").getBoundingClientRect();
document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2).dispatchEvent(
  new MouseEvent("mousemove", {bubbles: true, clientX: r.x + 1, clientY: r.y + 1}));
const tip = document.getElementById("tip");
document.body.dataset.tip = tip.hidden ? "hidden" : tip.textContent;
</script></body>"""))
    body = [a for t, a in Page(chromium(hover.as_uri(), tmp_path, "--dump-dom")).elements
            if t == "body"][0]
    first = prof.results[0]
    assert body["data-error"] == ""
    assert body["data-tip"].startswith(repr(first.key) + "\ninc · ")
    assert body["data-tip"].endswith(" ms")


@needs_chromium
def test_screenshot_for_the_docs(tmp_path):
    import mpiflow.array as da

    x = da.random.random((2000, 2000), chunks=500)
    y = (x + x.T).dot(x).sum(axis=0)
    with Profiler() as prof, ResourceProfiler(dt=0.02) as rprof:
        y.compute(scheduler="threads", num_workers=2)
    path = Path(visualize_profile([prof, rprof], filename=tmp_path / "p.html"))
    shot = tmp_path / "profile.png"
    chromium(path.as_uri(), tmp_path, f"--screenshot={shot}")
    keep_screenshot(shot, "profile.png")
