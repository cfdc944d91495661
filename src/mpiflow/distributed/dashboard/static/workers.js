/* /workers: one table row per worker. */
"use strict";
MF.header("workers");
const COLUMNS = [
  ["name", "worker", w => w.name], ["rank", "rank", w => w.rank], ["host", "host", w => w.host],
  ["nthreads", "threads", w => w.nthreads],
  ["memory", "memory", w => MF.bytes(w.memory)],
  ["memory_limit", "limit", w => w.memory_limit ? MF.bytes(w.memory_limit) : "∞"],
  ["cpu", "CPU %", w => w.cpu === null || w.cpu === undefined ? "–" : w.cpu.toFixed(0)],
  ["processing", "processing", w => w.processing],
  ["stored_keys", "keys stored", w => w.stored_keys],
  ["nbytes", "bytes stored", w => MF.bytes(w.nbytes)],
  ["spilled_nbytes", "spilled", w => MF.bytes(w.spilled_nbytes)],
  ["last_seen", "last heartbeat", w => w.last_seen === null ? "–" : w.last_seen.toFixed(1) + " s ago"],
];
const table = MF.el("table", {id: "workers"});
document.getElementById("content").append(
  MF.el("section", {}, MF.el("h2", {}, "Workers"), table));
MF.poll(async () => {
  const [data] = await Promise.all([MF.get("/api/v1/workers"), MF.summary()]);
  const head = MF.el("tr", {}, ...COLUMNS.map(c => MF.el("th", {}, c[1])));
  const rows = data.workers.map(w => MF.el("tr", {class: "worker", "data-worker": w.name},
    ...COLUMNS.map(c => MF.el("td", {"data-field": c[0]}, String(c[2](w))))));
  table.replaceChildren(head, ...rows);
});
