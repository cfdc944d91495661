/* /status: progress per group, task stream, memory per worker, tasks/s. */
"use strict";
MF.header("status");
const stream = {records: [], next: 0, rows: new Map()};
const rates = [];
const STREAM_KEEP = 20000;
const STREAM_FETCH = 1000;
const WINDOW_S = 15;

function renderProgress(groups) {
  const box = document.getElementById("progress");
  box.replaceChildren();
  if (!groups.length) { box.append(MF.el("span", {class: "muted"}, "no tasks yet")); return; }
  for (const g of groups) {
    const pct = g.total ? Math.round(100 * g.done / g.total) : 100;
    const w = n => (g.total ? 100 * n / g.total : 0) + "%";
    const bar = MF.el("div", {class: "bar progress", "data-group": g.group,
                              "data-done": g.done, "data-total": g.total,
                              "data-percent": pct, title: JSON.stringify(g)},
      MF.el("span", {class: "done", style: "width:" + w(g.done)}),
      MF.el("span", {class: "proc", style: "width:" + w(g.processing)}),
      MF.el("span", {class: "err", style: "width:" + w(g.erred)}));
    box.append(MF.el("div", {class: "row"},
      MF.el("span", {class: "name", style: "color:" + MF.colour(g.group)}, g.group), bar,
      MF.el("span", {class: "num"}, g.done + " / " + g.total + " (" + pct + "%)" +
                                     (g.erred ? ", " + g.erred + " erred" : ""))));
  }
}

function renderMemory(workers) {
  const box = document.getElementById("memory");
  box.replaceChildren();
  for (const w of workers) {
    const used = w.memory || 0, limit = w.memory_limit || 0;
    const pct = limit ? Math.min(100, 100 * used / limit) : 0;
    box.append(MF.el("div", {class: "row worker", "data-worker": w.name},
      MF.el("span", {class: "name"}, w.name + " (" + w.host + ")"),
      MF.el("div", {class: "bar memory"},
        MF.el("span", {class: "mem", style: "width:" + pct + "%"})),
      MF.el("span", {class: "num"}, MF.bytes(used) + " / " + (limit ? MF.bytes(limit) : "∞"))));
  }
  document.getElementById("worker-count").textContent = workers.length;
  document.getElementById("thread-count").textContent =
    workers.reduce((s, w) => s + (w.nthreads || 0), 0);
}

function drawStream() {
  const cv = document.getElementById("stream");
  const ctx = cv.getContext("2d");
  cv.width = cv.clientWidth || 800;
  cv.height = Math.max(80, Math.min(600, stream.rows.size * 24 + 28));
  ctx.clearRect(0, 0, cv.width, cv.height);
  const recs = stream.records;
  if (!recs.length) return;
  const end = Math.max(...recs.slice(-2000).map(r => r.stop));
  const begin = Math.max(Math.min(...recs.map(r => r.start)), end - WINDOW_S);
  const span = Math.max(end - begin, 1e-3);
  document.getElementById("stream-span").textContent =
    "(last " + span.toFixed(2) + " s of work, one row per worker thread)";
  const rows = [...stream.rows.keys()].sort((a, b) =>
    stream.rows.get(a).localeCompare(stream.rows.get(b), undefined, {numeric: true}));
  const left = 90, h = Math.max(4, Math.min(24, (cv.height - 28) / rows.length));
  ctx.font = "11px sans-serif";
  ctx.fillStyle = "#777";
  rows.forEach((r, i) => ctx.fillText(stream.rows.get(r), 2, 12 + i * h + h / 2));
  const x = t => left + (cv.width - left - 4) * (t - begin) / span;
  const rowOf = new Map(rows.map((r, i) => [r, i]));
  for (const r of recs) {
    if (r.stop < begin) continue;
    ctx.fillStyle = r.status === "erred" ? "#000" : MF.colour(r.group);
    const x0 = x(Math.max(r.start, begin));
    ctx.fillRect(x0, 4 + rowOf.get(r.worker + "/" + r.thread) * h,
                 Math.max(1, x(r.stop) - x0), h - 2);
  }
  ctx.fillStyle = "#777";
  ctx.fillText("-" + span.toFixed(1) + " s", left, cv.height - 4);
  ctx.fillText("latest", cv.width - 40, cv.height - 4);
  const groups = [...new Set(recs.slice(-5000).map(r => r.group))].sort();
  const legend = document.getElementById("legend");
  legend.replaceChildren(...groups.map(g =>
    MF.el("span", {}, MF.el("i", {style: "background:" + MF.colour(g)}), g)));
}

async function pollStream() {
  // at most STREAM_FETCH records a poll: at high task rates the stream shows the latest ones
  const data = await MF.get("/api/v1/task-stream?after=" + stream.next + "&limit=" + STREAM_FETCH);
  stream.next = data.next;
  for (const r of data.tasks) {
    const row = r.worker + "/" + r.thread;
    if (!stream.rows.has(row)) {
      const n = [...stream.rows.keys()].filter(k => k.startsWith(r.worker + "/")).length;
      stream.rows.set(row, r.worker + " #" + n);
    }
    stream.records.push(r);
  }
  if (stream.records.length > STREAM_KEEP) stream.records.splice(0, stream.records.length - STREAM_KEEP);
  drawStream();
}

function drawRates() {
  const cv = document.getElementById("rate-history");
  const ctx = cv.getContext("2d");
  cv.width = cv.clientWidth || 300;
  ctx.clearRect(0, 0, cv.width, cv.height);
  const top = Math.max(1, ...rates);
  ctx.strokeStyle = "#2a6fb0";
  ctx.beginPath();
  rates.forEach((v, i) => {
    const px = cv.width * i / Math.max(1, rates.length - 1);
    const py = cv.height - 2 - (cv.height - 4) * v / top;
    i ? ctx.lineTo(px, py) : ctx.moveTo(px, py);
  });
  ctx.stroke();
}

MF.poll(async () => {
  const [progress, workers, info] = await Promise.all([
    MF.get("/api/v1/progress"), MF.get("/api/v1/workers"), MF.summary()]);
  renderProgress(progress.groups);
  renderMemory(workers.workers);
  document.getElementById("rate").textContent = Math.round(info.tasks_per_second);
  document.getElementById("totals").textContent =
    "(" + info.tasks_finished + " tasks finished since the start)";
  rates.push(info.tasks_per_second);
  if (rates.length > 120) rates.shift();
  drawRates();
  await pollStream();
});
