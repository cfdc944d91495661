"""``visualize_profile``: a standalone HTML page of what the profilers recorded.

The page is one file: inline CSS, inline SVG drawn here in Python, and a
few lines of inline JavaScript for the hover box. It fetches nothing, so it
opens offline and can be mailed or attached to an issue.

- top: the task timeline, one row per worker (thread or process), one box
  per task from its start to its end, coloured by task group (the key's
  name without its token, as the cluster dashboard groups and colours them);
- below, on the same time axis: CPU % and memory (MB) of the
  :class:`~mpiflow.diagnostics.ResourceProfiler` samples.
"""

from __future__ import annotations

import html
import json
import math
import os
import webbrowser
from collections.abc import Iterable
from typing import Any

__all__ = ["visualize_profile", "render_profile", "group_colour", "group_colours"]

#: The dashboard's palette (``static/dashboard.js``): a group has one colour everywhere.
PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948",
           "#ff9da7", "#9c755f", "#e15759", "#86bcb6", "#8cd17d", "#d37295"]
LEFT, PLOT_W, RIGHT = 120, 840, 20
ROW_H, CHART_H, AXIS_H, GAP = 18, 110, 28, 26


def group_colour(group: str) -> str:
    """The colour of a task group, the same as on the cluster dashboard's pages.

    Examples
    --------
    >>> group_colour('inc'), group_colour('sum-aggregate')
    ('#59a14f', '#f28e2b')
    """
    h = 0
    for ch in group:
        code = ord(ch)
        if code > 0xFFFF:  # JavaScript sees the first UTF-16 unit
            code = 0xD800 + ((code - 0x10000) >> 10)
        h = (h * 31 + code) & 0xFFFFFFFF
    return PALETTE[h % len(PALETTE)]


def group_colours(groups: dict[str, float]) -> dict[str, str]:
    """A colour per group: its dashboard colour unless a busier group of the page has it.

    ``groups`` maps each group to its total task time; the busiest groups
    keep their dashboard colour, the others take unused palette colours.

    Examples
    --------
    >>> group_colours({'random': 1.0, 'sum': 0.5})  # both hash to '#d37295'
    {'random': '#d37295', 'sum': '#4e79a7'}
    """
    out: dict[str, str] = {}
    ordered = sorted(groups, key=lambda g: (-groups[g], g))
    taken: set[str] = set()
    clashing = []
    for g in ordered:
        colour = group_colour(g)
        if colour in taken:
            clashing.append(g)
        else:
            out[g] = colour
            taken.add(colour)
    free = [c for c in PALETTE if c not in taken] or PALETTE
    for i, g in enumerate(clashing):
        out[g] = free[i % len(free)]
    return {g: out[g] for g in ordered}


def _key_text(key: Any) -> str:
    return key if isinstance(key, str) else repr(key)


def _nice_step(span: float, ticks: int = 8) -> float:
    """A round tick step (1, 2 or 5 times a power of ten) giving about ``ticks`` ticks."""
    raw = max(span, 1e-9) / ticks
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def _fmt_seconds(s: float) -> str:
    if s >= 1:
        return f"{s:.3g} s"
    if s >= 1e-3:
        return f"{s * 1e3:.3g} ms"
    return f"{s * 1e6:.3g} µs"


def _split(profilers: Any) -> tuple[list, list]:
    from mpiflow.diagnostics.profile import Profiler
    from mpiflow.diagnostics.resource import ResourceProfiler

    if isinstance(profilers, (Profiler, ResourceProfiler)):
        profilers = [profilers]
    if not isinstance(profilers, Iterable) or isinstance(profilers, (str, bytes)):
        raise TypeError(f"visualize_profile expects a Profiler, a ResourceProfiler or a list of "
                        f"them, got {type(profilers).__name__}")
    tasks: list = []
    samples: list = []
    for p in profilers:
        if isinstance(p, Profiler):
            tasks.extend(p.results)
        elif isinstance(p, ResourceProfiler):
            samples.extend(p.results)
        else:
            raise TypeError(f"visualize_profile cannot draw a {type(p).__name__}: pass "
                            "mpiflow.diagnostics.Profiler and ResourceProfiler objects, e.g. "
                            "visualize_profile([prof, rprof])")
    samples.sort()
    return tasks, samples


class _Axis:
    """Seconds since ``t0`` to x pixels."""

    def __init__(self, t0: float, t1: float) -> None:
        self.t0 = t0
        self.span = max(t1 - t0, 1e-6)

    def x(self, t: float) -> float:
        return LEFT + (t - self.t0) / self.span * PLOT_W

    def ticks(self, y: float, height: float) -> list[str]:
        step = _nice_step(self.span)
        out = []
        n = 0
        while n * step <= self.span * 1.0001:
            x = self.x(self.t0 + n * step)
            out.append(f'<line class="grid" x1="{x:.1f}" x2="{x:.1f}" y1="{y:.1f}" '
                       f'y2="{y + height:.1f}"/>'
                       f'<text class="tick" x="{x:.1f}" y="{y + height + 14:.1f}" '
                       f'text-anchor="middle">{n * step:.4g}</text>')
            n += 1
        return out


def _timeline(tasks: list, axis: _Axis, y0: float) -> tuple[list[str], float, dict]:
    from mpiflow.distributed.dashboard.recorder import key_group

    workers = sorted({t.worker_id for t in tasks}, key=lambda w: (str(type(w)), w))
    row = {w: i for i, w in enumerate(workers)}
    parts = [f'<text class="title" x="{LEFT}" y="{y0 - 8:.1f}">Tasks per worker</text>']
    height = max(1, len(workers)) * ROW_H
    parts += axis.ticks(y0, height)
    for w, i in row.items():
        parts.append(f'<text class="label" x="{LEFT - 6}" y="{y0 + i * ROW_H + 13:.1f}" '
                     f'text-anchor="end">worker {html.escape(str(w))}</text>')
    groups: dict[str, list] = {}
    named = []
    for t in tasks:
        group = key_group(t.key)
        duration = t.end_time - t.start_time
        stats = groups.setdefault(group, [0, 0.0, ""])
        stats[0] += 1
        stats[1] += duration
        named.append((t, group, duration))
    for group, colour in group_colours({g: v[1] for g, v in groups.items()}).items():
        groups[group][2] = colour
    for t, group, duration in named:
        x = axis.x(t.start_time)
        width = max(axis.x(t.end_time) - x, 0.6)
        key = html.escape(_key_text(t.key), quote=True)
        parts.append(
            f'<rect class="task" x="{x:.2f}" y="{y0 + row[t.worker_id] * ROW_H + 2:.1f}" '
            f'width="{width:.2f}" height="{ROW_H - 4}" fill="{groups[group][2]}" '
            f'data-key="{key}" data-group="{html.escape(group, quote=True)}" '
            f'data-duration="{duration:.6g}">'
            f'<title>{key} · {_fmt_seconds(duration)}</title></rect>')
    parts.append(f'<text class="tick" x="{LEFT + PLOT_W}" y="{y0 + height + 26:.1f}" '
                 'text-anchor="end">seconds</text>')
    return parts, y0 + height + AXIS_H, groups


def _chart(samples: list, field: str, title: str, unit: str, axis: _Axis,
           y0: float) -> tuple[list[str], float]:
    values = [getattr(s, field) for s in samples]
    top = max(max(values, default=0.0) * 1.05, 100.0 if field == "cpu" else 1.0)
    step = _nice_step(top, 4)
    top = step * math.ceil(top / step)
    parts = [f'<text class="title" x="{LEFT}" y="{y0 - 8:.1f}">{title}</text>',
             *axis.ticks(y0, CHART_H)]
    for frac in (0.0, 0.5, 1.0):
        y = y0 + CHART_H * (1 - frac)
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{LEFT + PLOT_W}" y1="{y:.1f}" '
                     f'y2="{y:.1f}"/><text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" '
                     f'text-anchor="end">{top * frac:.4g} {unit}</text>')
    points = " ".join(f"{axis.x(s.time):.2f},{y0 + CHART_H * (1 - v / top):.2f}"
                      for s, v in zip(samples, values, strict=True))
    parts.append(f'<polyline class="line {field}" points="{points}"/>')
    return parts, y0 + CHART_H + AXIS_H


_CSS = """
body { font: 13px system-ui, sans-serif; margin: 16px; color: #222; }
h1 { font-size: 18px; margin: 0 0 4px; }
.summary { color: #555; margin: 0 0 10px; }
svg { max-width: 100%; height: auto; background: #fff; }
.grid { stroke: #e4e4e4; stroke-width: 1; }
.tick { font-size: 10px; fill: #666; }
.label { font-size: 11px; fill: #333; }
.title { font-size: 12px; font-weight: 600; fill: #222; }
.task { stroke: #fff; stroke-width: 0.5; }
.task:hover { stroke: #000; stroke-width: 1; }
.line { fill: none; stroke-width: 1.5; }
.line.cpu { stroke: #e15759; } .line.mem { stroke: #4e79a7; }
#legend { display: flex; flex-wrap: wrap; gap: 4px 16px; margin-top: 6px; }
#legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; }
#tip { position: fixed; pointer-events: none; background: #222; color: #fff; padding: 4px 7px;
       border-radius: 3px; font-size: 12px; white-space: pre; }
"""

_JS = """
window.addEventListener("error", e => { document.body.dataset.error = String(e.message); });
(function () {
  const tip = document.getElementById("tip");
  const svg = document.getElementById("profile");
  svg.addEventListener("mousemove", e => {
    const t = e.target;
    if (!t.classList || !t.classList.contains("task")) { tip.hidden = true; return; }
    const ms = 1000 * Number(t.dataset.duration);
    tip.textContent = t.dataset.key + "\\n" + t.dataset.group + " · " +
      (ms >= 1000 ? (ms / 1000).toFixed(3) + " s" : ms.toFixed(3) + " ms");
    tip.style.left = (e.clientX + 12) + "px";
    tip.style.top = (e.clientY + 12) + "px";
    tip.hidden = false;
  });
  svg.addEventListener("mouseleave", () => { tip.hidden = true; });
  document.body.dataset.ready = "1";
})();
"""


def render_profile(tasks: list, samples: list) -> str:
    """The HTML page for task records and resource samples.

    Examples
    --------
    >>> from mpiflow.diagnostics.profile import TaskData
    >>> page = render_profile([TaskData('inc-1', None, 10.0, 10.5, 0)], [])
    >>> page.startswith('<!DOCTYPE html>') and 'data-key="inc-1"' in page
    True
    """
    times = [t for r in tasks for t in (r.start_time, r.end_time)] + [s.time for s in samples]
    axis = _Axis(min(times, default=0.0), max(times, default=1.0))
    parts: list[str] = []
    y = 24.0
    groups: dict = {}
    if tasks:
        drawn, y, groups = _timeline(tasks, axis, y)
        parts += drawn
        y += GAP
    if samples:
        for field, title, unit in (("cpu", "CPU (% of one core, summed)", "%"),
                                   ("mem", "Memory (resident, MB)", "MB")):
            drawn, y = _chart(samples, field, title, unit, axis, y)
            parts += drawn
            y += GAP
    workers = len({t.worker_id for t in tasks})
    summary = (f"{len(tasks)} tasks on {workers} workers, {len(samples)} resource samples, "
               f"over {_fmt_seconds(axis.span if times else 0.0)}")
    legend = "".join(
        f'<span data-group="{html.escape(g, quote=True)}"><i style="background:'
        f'{colour}"></i>{html.escape(g)}: {n} task{"s" if n != 1 else ""}, '
        f'{_fmt_seconds(total)}</span>'
        for g, (n, total, colour) in sorted(groups.items(), key=lambda kv: -kv[1][1]))
    if not tasks and not samples:
        parts.append(f'<text class="title" x="{LEFT}" y="40">Nothing was recorded: run a '
                     'computation inside the profilers\' with-block.</text>')
        y = 60.0
    width = LEFT + PLOT_W + RIGHT
    meta = json.dumps({"tasks": len(tasks), "workers": workers, "samples": len(samples),
                       "groups": sorted(groups)})
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>mpiflow profile</title><style>{_CSS}</style></head>\n"
        f'<body data-error="" data-ready=""><h1>mpiflow profile</h1>'
        f'<p class="summary" id="summary">{html.escape(summary)}</p>\n'
        f'<svg id="profile" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{y:.0f}" viewBox="0 0 {width} {y:.0f}">\n' + "\n".join(parts) + "\n</svg>\n"
        f'<div id="legend">{legend}</div><div id="tip" hidden></div>\n'
        f'<script type="application/json" id="meta">{html.escape(meta, quote=False)}</script>\n'
        f"<script>{_JS}</script></body></html>\n"
    )


def visualize_profile(profilers: Any, filename: str | os.PathLike = "profile.html",
                      show: bool = False) -> str:
    """Write what profilers recorded as a standalone HTML timeline; return its path.

    Parameters
    ----------
    profilers : Profiler, ResourceProfiler, or a list of them
        Task records draw the timeline, one row per worker; resource samples
        draw CPU and memory under it on the same time axis.
    filename : str or path
        Where to write the page.
    show : bool
        Also open it in the default web browser.

    Returns
    -------
    str
        The absolute path of the page.

    Examples
    --------
    >>> import os, tempfile, mpiflow
    >>> from mpiflow.diagnostics import Profiler, ResourceProfiler
    >>> dsk = {('inc-1', i): (abs, -i) for i in range(4)}
    >>> with Profiler() as prof, ResourceProfiler(dt=0.01) as rprof:
    ...     mpiflow.get(dsk, list(dsk))
    [0, 1, 2, 3]
    >>> path = visualize_profile([prof, rprof], os.path.join(tempfile.mkdtemp(), 'p.html'))
    >>> 'data-group="inc"' in open(path).read()
    True
    >>> visualize_profile(42)
    Traceback (most recent call last):
      ...
    TypeError: visualize_profile expects a Profiler, a ResourceProfiler or a list of them, got int
    """
    tasks, samples = _split(profilers)
    path = os.path.abspath(os.fspath(filename))
    with open(path, "w", encoding="utf-8") as f:
        f.write(render_profile(tasks, samples))
    if show:
        webbrowser.open("file://" + path)
    return path
