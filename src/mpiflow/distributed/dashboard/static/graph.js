/* /graph: the current task graph (small graphs) or its groups and their edges. */
"use strict";
MF.header("graph");
const STATE_COLOURS = {released: "#bbb", waiting: "#cfd8e3", queued: "#a9b8cc",
  "no-worker": "#c8453c", processing: "#e0a526", memory: "#3a9a5b", erred: "#000"};
const box = MF.el("div", {id: "graph"});
const legend = MF.el("div", {class: "legend"}, ...Object.entries(STATE_COLOURS).map(([s, c]) =>
  MF.el("span", {}, MF.el("i", {style: "background:" + c}), s)));
document.getElementById("content").append(
  MF.el("section", {}, MF.el("h2", {}, "Task graph"), legend, box));
const SVG = "http://www.w3.org/2000/svg";
function svgEl(tag, attrs) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}
function drawTasks(g) {
  const depth = new Array(g.nodes.length).fill(0);
  for (let pass = 0; pass < g.nodes.length; pass++) {  // longest path from the roots
    let changed = false;
    for (const [a, b] of g.edges) if (depth[b] < depth[a] + 1) { depth[b] = depth[a] + 1; changed = true; }
    if (!changed) break;
  }
  const byDepth = [];
  g.nodes.forEach((n, i) => (byDepth[depth[i]] = byDepth[depth[i]] || []).push(i));
  const W = Math.max(400, box.clientWidth || 1200);
  const perRow = Math.max(1, Math.floor((W - 40) / 26));
  const layers = [];  // a wide level of the graph wraps onto several rows
  for (const l of byDepth.filter(Boolean)) {
    for (let k = 0; k < l.length; k += perRow) layers.push(l.slice(k, k + perRow));
  }
  const H = layers.length * 50 + 30;
  const pos = [];
  layers.forEach((l, d) => l.forEach((i, j) => (pos[i] = [20 + (j + 0.5) * (W - 40) / l.length, 25 + d * 50])));
  const svg = svgEl("svg", {width: W, height: H, viewBox: "0 0 " + W + " " + H,
                            style: "max-width:100%"});
  for (const [a, b] of g.edges) {
    svg.append(svgEl("line", {x1: pos[a][0], y1: pos[a][1], x2: pos[b][0], y2: pos[b][1],
                              stroke: "#bbb"}));
  }
  g.nodes.forEach((n, i) => {
    const c = svgEl("circle", {cx: pos[i][0], cy: pos[i][1], r: 8,
                               fill: STATE_COLOURS[n.state] || "#888",
                               stroke: MF.colour(n.group), "stroke-width": 3, class: "task",
                               "data-state": n.state});
    const t = svgEl("title", {});
    t.textContent = n.key + " (" + n.state + ")";
    c.append(t);
    svg.append(c);
  });
  return svg;
}
MF.poll(async () => {
  const [data] = await Promise.all([MF.get("/api/v1/graph"), MF.summary()]);
  const g = data.graph;
  if (!g) { box.replaceChildren(MF.el("p", {class: "muted"}, "collecting the graph…")); return; }
  if (g.too_large) {
    box.replaceChildren(MF.el("p", {}, g.tasks + " tasks: too many to draw; see /status."));
    return;
  }
  const parts = [];
  if (g.nodes.length) parts.push(drawTasks(g));
  else if (g.tasks) parts.push(MF.el("p", {}, g.tasks + " tasks: too many to draw one by one; " +
                                           "edges between their groups:"));
  else parts.push(MF.el("p", {class: "muted"}, "no tasks on the scheduler now"));
  if (g.group_edges.length) {
    const t = MF.el("table", {id: "group-edges"}, MF.el("tr", {}, MF.el("th", {}, "from group"),
                                                      MF.el("th", {}, "to group")));
    for (const [a, b] of g.group_edges) t.append(MF.el("tr", {}, MF.el("td", {}, a), MF.el("td", {}, b)));
    parts.push(t);
  }
  box.replaceChildren(...parts);
});
