/* mpiflow performance report: draws the data embedded in the page. Nothing is fetched. */
"use strict";
(function () {
  const D = JSON.parse(document.getElementById("report-data").textContent);
  const S = D.summary, H = S.header;
  const SVGNS = "http://www.w3.org/2000/svg";  // a namespace name, not a download
  const PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948",
                   "#ff9da7", "#9c755f", "#e15759", "#86bcb6", "#8cd17d", "#d37295"];

  function colour(group) {  // the same hash as the dashboard: the same colour per group
    let h = 0;
    for (const c of group) h = (h * 31 + c.charCodeAt(0)) >>> 0;
    return PALETTE[h % PALETTE.length];
  }
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v; else if (k === "style") e.style.cssText = v;
      else if (k.startsWith("data-")) e.setAttribute(k, v); else e[k] = v;
    }
    for (const c of children) e.append(c);
    return e;
  }
  function svg(tag, attrs, text) {
    const e = document.createElementNS(SVGNS, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function bytes(n) {
    if (n === null || n === undefined) return "–";
    const u = ["B", "kB", "MB", "GB", "TB"];
    let i = 0;
    while (Math.abs(n) >= 1000 && i < u.length - 1) { n /= 1000; i++; }
    return (i ? n.toFixed(1) : Math.round(n)) + " " + u[i];
  }
  function secs(s) {
    if (s === null || s === undefined) return "–";
    if (s < 1e-3) return (s * 1e6).toFixed(0) + " µs";
    if (s < 1) return (s * 1e3).toFixed(1) + " ms";
    return s.toFixed(2) + " s";
  }
  const when = t => new Date(t * 1000).toISOString().replace("T", " ").slice(0, 23) + " UTC";
  const rate = b => (b === null || b === undefined) ? "–" : bytes(b) + "/s";
  const num = (v, extra) => el("td", {class: "num " + (extra || "")}, String(v));

  function table(head, rows) {
    const tr = el("tr", {}, ...head.map(h => el("th", {class: h.endsWith(" ") ? "num" : ""},
                                                  h.trim())));
    return el("table", {}, el("thead", {}, tr), el("tbody", {}, ...rows));
  }

  // -- header -------------------------------------------------------------------------
  function header() {
    const items = [["start", when(H.start)], ["end", when(H.end)],
                   ["duration", secs(H.duration)], ["tasks", H.tasks + (H.erred ? " (" +
                    H.erred + " erred)" : "")], ["workers", H.workers + " (" + H.threads +
                    " threads)"], ["transfers", H.transfers + " (" + bytes(H.bytes) + ")"]];
    const dl = el("dl", {}, ...items.map(([k, v]) =>
      el("div", {}, el("dt", {}, k), el("dd", {id: "h-" + k}, v))));
    const h = el("header", {}, el("h1", {}, D.title), dl);
    if ((H.dropped || {}).tasks || (H.dropped || {}).transfers) {
      h.append(el("div", {class: "warn"}, "The run outgrew the scheduler's ring buffers: the " +
                  "oldest records of this window were dropped."));
    }
    return h;
  }

  // -- task stream ----------------------------------------------------------------------
  function taskStream() {
    const sec = el("section", {class: "wide"},
      el("h2", {}, "Task stream ", el("span", {class: "muted"},
        "(one row per worker thread; colour: task group, black: erred)")));
    const cv = el("canvas", {id: "stream"});
    const legend = el("div", {class: "legend", id: "legend"});
    sec.append(cv, legend);
    const rows = new Map();
    for (const t of D.tasks) {  // [key, group, rank, thread, start, stop, status]
      const id = t[2] + "/" + t[3];
      if (!rows.has(id)) rows.set(id, {rank: t[2], tasks: []});
      rows.get(id).tasks.push(t);
    }
    const ids = [...rows.keys()].sort((a, b) => rows.get(a).rank - rows.get(b).rank ||
                                               a.localeCompare(b));
    const labels = new Map(), perRank = new Map();
    for (const id of ids) {
      const r = rows.get(id).rank, n = perRank.get(r) || 0;
      perRank.set(r, n + 1);
      labels.set(id, "mpi://" + r + " #" + n);
    }
    const groups = [...new Set(D.tasks.map(t => t[1]))].sort();
    legend.append(...groups.map(g => el("span", {"data-group": g},
      el("i", {style: "background:" + colour(g)}), g)));
    const left = 100, begin = H.start, span = Math.max(H.end - H.start, 1e-6);
    let rowH = 20;
    function draw() {
      cv.width = cv.clientWidth || 1000;
      rowH = Math.max(3, Math.min(20, 560 / Math.max(1, ids.length)));
      cv.height = Math.max(60, ids.length * rowH + 24);
      const ctx = cv.getContext("2d");
      const x = t => left + (cv.width - left - 8) * (t - begin) / span;
      ctx.font = "11px sans-serif";
      ctx.fillStyle = "#777";
      ids.forEach((id, i) => { if (rowH >= 9) ctx.fillText(labels.get(id), 2, i * rowH + rowH - 5); });
      ids.forEach((id, i) => {
        for (const t of rows.get(id).tasks) {
          ctx.fillStyle = t[6] === "erred" ? "#000" : colour(t[1]);
          const x0 = x(Math.max(t[4], begin));
          ctx.fillRect(x0, i * rowH + 1, Math.max(1, x(Math.min(t[5], H.end)) - x0), rowH - 2);
        }
      });
      ctx.fillStyle = "#777";
      for (let k = 0; k <= 4; k++) {
        const px = left + (cv.width - left - 8) * k / 4;
        ctx.fillText("+" + (span * k / 4).toFixed(2) + " s", Math.min(px, cv.width - 50),
                     cv.height - 4);
      }
      if (!ids.length) ctx.fillText("no task ran in this window", left, 20);
    }
    const tip = el("div", {id: "tip"});
    document.body.append(tip);
    cv.addEventListener("mousemove", ev => {
      const box = cv.getBoundingClientRect();
      const px = (ev.clientX - box.left) * cv.width / box.width;
      const row = ids[Math.floor((ev.clientY - box.top) * cv.height / box.height / rowH)];
      const t = begin + (px - left) * span / (cv.width - left - 8);
      const slack = 2 * span / (cv.width - left);
      const hit = row && rows.get(row).tasks.find(r => r[4] - slack <= t && t <= r[5] + slack);
      if (!hit) { tip.style.display = "none"; return; }
      tip.textContent = hit[0] + "\n" + hit[1] + " on " + labels.get(row) + "\n" +
        secs(hit[5] - hit[4]) + (hit[6] === "erred" ? " (erred)" : "");
      tip.style.left = (ev.clientX + 12) + "px";
      tip.style.top = (ev.clientY + 12) + "px";
      tip.style.display = "block";
    });
    cv.addEventListener("mouseleave", () => { tip.style.display = "none"; });
    return [sec, draw];
  }

  // -- task groups ----------------------------------------------------------------------
  function groupTable() {
    const top = Math.max(1e-12, ...S.groups.map(g => g.total));
    const rows = S.groups.map(g => el("tr", {class: "group", "data-group": g.group},
      el("td", {style: "color:" + colour(g.group)}, g.group), num(g.count), num(secs(g.total)),
      num(secs(g.mean)), num(g.erred),
      el("td", {style: "width:30%"}, el("div", {class: "share",
        style: "width:" + (100 * g.total / top) + "%;background:" + colour(g.group)}))));
    return el("section", {},
      el("h2", {}, "Task groups ", el("span", {class: "muted"}, "(time spent running tasks)")),
      S.groups.length ? table(["group", "count ", "total ", "mean ", "erred ", ""], rows)
        : el("p", {class: "muted"}, "no task ran in this window"));
  }

  // -- charts ---------------------------------------------------------------------------
  const drawers = [];  // charts are drawn once in the page, at the width they got
  function lineChart(series, opts) {  // series: [{name, colour, points: [[t, v]]}]
    const g = svg("svg", {id: opts.id, role: "img"});
    drawers.push(() => drawLines(g, series, opts));
    return g;
  }
  function drawLines(g, series, opts) {
    const W = Math.max(200, g.parentNode.clientWidth || 600), Ht = opts.height || 180;
    const L = 70, B = 18;
    g.replaceChildren();
    g.setAttribute("viewBox", "0 0 " + W + " " + Ht);
    g.setAttribute("height", Ht);
    const top = Math.max(1e-12, opts.max || 0, ...series.flatMap(s => s.points.map(p => p[1])));
    const span = Math.max(H.end - H.start, 1e-6);
    const x = t => L + (W - L - 6) * (Math.min(Math.max(t, H.start), H.end) - H.start) / span;
    const y = v => Ht - B - (Ht - B - 6) * v / top;
    g.append(svg("line", {class: "axis", x1: L, y1: Ht - B, x2: W, y2: Ht - B}),
             svg("line", {class: "axis", x1: L, y1: 4, x2: L, y2: Ht - B}),
             svg("text", {x: L - 4, y: 12, "text-anchor": "end"}, opts.fmt(top)),
             svg("text", {x: L - 4, y: Ht - B, "text-anchor": "end"}, "0"),
             svg("text", {x: L, y: Ht - 4}, "+0 s"),
             svg("text", {x: W - 4, y: Ht - 4, "text-anchor": "end"}, "+" + span.toFixed(2) + " s"));
    for (const s of series) {
      if (!s.points.length) continue;
      const d = s.points.map((p, i) => (i ? "L" : "M") + x(p[0]).toFixed(1) + "," +
                                       y(p[1]).toFixed(1)).join(" ");
      const path = svg("path", {d: d, fill: "none", stroke: s.colour, "stroke-width": 1.6,
                                "data-series": s.name});
      path.append(svg("title", {}, s.name));
      g.append(path);
      for (const p of opts.dots && s.points.length <= 200 ? s.points : []) {
        const dot = svg("circle", {cx: x(p[0]), cy: y(p[1]), r: 2.2, fill: s.colour});
        dot.append(svg("title", {}, s.name + ": " + opts.fmt(p[1]) + " at +" +
                                    (p[0] - H.start).toFixed(2) + " s"));
        g.append(dot);
      }
    }
  }

  // -- transfers ------------------------------------------------------------------------
  function transfers() {
    const sec = el("section", {class: "wide", id: "transfers"},
      el("h2", {}, "Transfers ", el("span", {class: "muted"},
        "(data fetched from one process by another: bandwidth = bytes / time of the fetches)")));
    if (!S.pairs.length) {
      sec.append(el("p", {class: "muted"}, "no data moved between processes in this window"));
      return sec;
    }
    const pairRows = S.pairs.map(p => el("tr", {class: "pair", "data-source": p.source,
                                                "data-destination": p.destination,
                                                "data-bytes": p.nbytes},
      el("td", {}, p.source), el("td", {}, p.destination), num(p.count), num(bytes(p.nbytes)),
      num(secs(p.seconds)), num(rate(p.bandwidth))));
    const bw = S.bandwidth;
    const points = bw.rates.map((r, i) => [bw.start + (i + 0.5) * bw.width, r]);
    const topRows = S.top_transfers.map(t => el("tr", {},
      el("td", {}, t.source), el("td", {}, t.destination), num(t.keys), num(bytes(t.nbytes)),
      num(secs(t.stop - t.start)), num(rate(t.stop > t.start ? t.nbytes / (t.stop - t.start)
                                              : null)), num("+" + (t.start - H.start).toFixed(3) + " s")));
    sec.append(el("h3", {}, "per pair"),
      table(["from", "to", "transfers ", "bytes ", "time ", "bandwidth "], pairRows),
      el("h3", {}, "bandwidth over time (all pairs)"),
      lineChart([{name: "bytes/s", colour: "#c8453c", points: points}],
                {id: "bandwidth-chart", fmt: v => rate(v), height: 140}),
      el("h3", {}, "largest transfers"),
      el("div", {class: "scroll"}, table(["from", "to", "keys ", "bytes ", "time ",
                                          "bandwidth ", "started "], topRows)));
    return sec;
  }

  // -- memory ---------------------------------------------------------------------------
  function memory() {
    const names = Object.keys(S.memory).sort((a, b) => a.localeCompare(b, undefined,
                                                                        {numeric: true}));
    const series = names.map((n, i) => ({name: n, colour: PALETTE[i % PALETTE.length],
      points: S.memory[n].map(p => [Math.max(p[0], H.start), p[1]])}));
    const sec = el("section", {id: "memory"},
      el("h2", {}, "Worker memory ", el("span", {class: "muted"},
        "(resident set size, from the heartbeats)")));
    if (!names.length) {
      sec.append(el("p", {class: "muted"}, "no heartbeat in this window"));
      return sec;
    }
    sec.append(lineChart(series, {id: "memory-chart", fmt: bytes, dots: true}),
      el("div", {class: "legend"}, ...series.map(s => el("span", {"data-worker": s.name,
        "data-samples": s.points.length}, el("i", {style: "background:" + s.colour}),
        s.name + ": peak " + bytes(Math.max(...s.points.map(p => p[1]))) +
        (S.limits[s.name] ? " of " + bytes(S.limits[s.name]) : "")))));
    return sec;
  }

  document.body.prepend(header());
  const [streamSection, drawStream] = taskStream();
  const main = el("main", {}, streamSection, groupTable(), memory(), transfers(),
    el("p", {class: "muted", style: "grid-column: 1 / -1"}, "made by mpiflow " +
       "performance_report at " + when(D.created)));
  document.body.append(main);
  const redraw = () => { drawStream(); drawers.forEach(f => f()); };
  redraw();
  window.addEventListener("resize", redraw);
})();
