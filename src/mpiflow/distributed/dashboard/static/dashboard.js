/* mpiflow dashboard: shared helpers. Plain JavaScript, nothing fetched from the internet. */
"use strict";
const MF = {
  POLL_MS: 500,
  async get(path) {
    const r = await fetch(path, {cache: "no-store"});
    if (!r.ok) throw new Error(path + ": HTTP " + r.status);
    return r.json();
  },
  bytes(n) {
    if (n === null || n === undefined) return "–";
    const u = ["B", "kB", "MB", "GB", "TB"];
    let i = 0;
    while (Math.abs(n) >= 1000 && i < u.length - 1) { n /= 1000; i++; }
    return (i ? n.toFixed(1) : n) + " " + u[i];
  },
  PALETTE: ["#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948",
            "#ff9da7", "#9c755f", "#e15759", "#86bcb6", "#8cd17d", "#d37295"],
  colour(group) {  // the same group gets the same colour on every page and every run
    let h = 0;
    for (const c of group) h = (h * 31 + c.charCodeAt(0)) >>> 0;
    return MF.PALETTE[h % MF.PALETTE.length];
  },
  el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v; else if (k === "style") e.style.cssText = v;
      else if (k.startsWith("data-")) e.setAttribute(k, v); else e[k] = v;
    }
    for (const c of children) e.append(c);
    return e;
  },
  header(active) {
    const nav = MF.el("nav", {});
    for (const p of ["status", "workers", "graph", "info"]) {
      nav.append(MF.el("a", {href: "/" + p, class: p === active ? "active" : ""},
                       p[0].toUpperCase() + p.slice(1)));
    }
    const h = MF.el("header", {}, MF.el("span", {class: "brand"}, "mpiflow"), nav,
                    MF.el("span", {class: "summary", id: "summary"}, "connecting…"));
    document.body.prepend(h);
  },
  async summary() {
    const info = await MF.get("/api/v1/info");
    document.getElementById("summary").textContent =
      info.workers + " workers · " + info.threads + " threads · " +
      Math.round(info.tasks_per_second) + " tasks/s · " + MF.bytes(info.memory) + " used";
    return info;
  },
  poll(fn) {
    const run = async () => {
      try { await fn(); document.body.dataset.error = ""; }
      catch (e) { document.body.dataset.error = String(e); }
      setTimeout(run, MF.POLL_MS);
    };
    run();
  },
};
