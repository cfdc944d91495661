/* /info: the scheduler's facts and its recent events. */
"use strict";
MF.header("info");
const facts = MF.el("table", {id: "facts"});
const events = MF.el("table", {id: "events"});
document.getElementById("content").append(
  MF.el("section", {}, MF.el("h2", {}, "Scheduler"), facts),
  MF.el("section", {}, MF.el("h2", {}, "Events"), events));
MF.poll(async () => {
  const info = await MF.summary();
  const rows = [
    ["scheduler", info.scheduler], ["host", info.host], ["pid", info.pid],
    ["python", info.python], ["uptime", info.uptime.toFixed(0) + " s"],
    ["workers", info.workers], ["threads", info.threads], ["clients", info.clients],
    ["memory", MF.bytes(info.memory) + " of " + MF.bytes(info.memory_limit)],
    ["tasks", JSON.stringify(info.tasks)], ["tasks finished", info.tasks_finished],
    ["tasks/s", info.tasks_per_second.toFixed(1)],
    ["scheduler file", info.scheduler_file || "–"], ["dashboard", info.dashboard.link],
  ];
  facts.replaceChildren(...rows.map(([k, v]) =>
    MF.el("tr", {}, MF.el("th", {}, k), MF.el("td", {}, String(v)))));
  events.replaceChildren(...info.events.slice().reverse().map(e =>
    MF.el("tr", {}, MF.el("td", {class: "muted"}, new Date(e.time * 1000).toLocaleTimeString()),
          MF.el("td", {}, e.event))));
});
