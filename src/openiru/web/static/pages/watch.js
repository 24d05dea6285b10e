"use strict";
/* Watchlist: the targets collected on a schedule, with pause/resume and remove for the roles that
   may change it (admin, analyst), an add form, and the analytics' suggestions with one "Watch" each. */
OIRU.pages.watch = function () {
  const { api, el } = OIRU;
  const role = document.body.dataset.role;
  const editor = role === "admin" || role === "analyst";
  const form = document.getElementById("watch-form");
  const errorBox = document.getElementById("watch-error");
  if (!editor) form.hidden = true;

  const every = (s) => {
    if (!s) return "–";
    for (const [unit, n] of [["d", 86400], ["h", 3600], ["m", 60]]) if (s % n === 0) return s / n + unit;
    return s + "s";
  };
  const connector = (name) => el("span.nowrap", {}, OIRU.platformBadge(name), " ", OIRU.platformName(name));
  const lastRun = (t) => {
    if (!t.last_run_at) return el("span.hint", { text: "not yet" });
    const ok = t.last_status === "ok";
    return el("span", {}, OIRU.fmtTime(t.last_run_at), " · ", el("span" + (ok ? ".ok" : ".error"), { text: t.last_status || "unknown" }),
      t.last_error ? el("div.error", { dir: "auto", text: t.last_error }) : null);
  };
  const nextDue = (t) => (t.paused ? "paused" : t.next_due_at ? OIRU.fmtTime(t.next_due_at) : "now");
  const act = async (fn, message) => {
    try { await fn(); OIRU.flash(message); } catch (err) { OIRU.showError(err); }
    load();
  };
  const actions = (t) => (editor ? el("span.nowrap", {},
    el("button.secondary", { type: "button", dataset: { action: t.paused ? "resume" : "pause" },
      onclick: () => act(() => api("POST", "/api/v1/watch/" + t.id + "/pause", { paused: !t.paused }), (t.paused ? "Resumed " : "Paused ") + t.target + ".") },
    t.paused ? "Resume" : "Pause"), " ",
    el("button.secondary", { type: "button", dataset: { action: "remove" },
      onclick: () => act(() => api("DELETE", "/api/v1/watch/" + t.id), "No longer watching " + t.target + ".") }, "Remove")) : "");
  const columns = [
    { title: "#", key: "id" },
    { title: "Connector", render: (t) => connector(t.connector) },
    { title: "Target", dir: true, render: (t) => t.target },
    { title: "Server", render: (t) => t.server || "–" },
    { title: "Label", dir: true, render: (t) => t.label || "–" },
    { title: "Every", render: (t) => every(t.every_s) },
    { title: "Status", render: (t) => el("span.state", { text: t.paused ? "paused" : "active" }) },
    { title: "Last run", render: lastRun },
    { title: "Next due", render: nextDue },
    ...(editor ? [{ title: "", render: actions }] : []),
  ];
  const table = document.getElementById("table");
  function load() {
    suggestions();
    return OIRU.pager("/api/v1/watch", { limit: 200 }, columns, table, document.getElementById("more"));
  }

  async function watch(item, button) {
    button.disabled = true;
    try {
      await api("POST", "/api/v1/watch", { connector: item.connector, target: item.target, server: item.server || null, label: item.kind === "successor" ? "re-created" : "key account" });
      OIRU.flash("Watching " + item.target + ".");
    } catch (err) { OIRU.showError(err); button.disabled = false; return; }
    load();
  }
  async function suggestions() {
    const box = document.getElementById("suggestion-list");
    let data;
    try { data = await api("GET", "/api/v1/watch/suggestions?top=20"); } catch (err) {
      OIRU.fill(box, el("p.error", { text: err.message }));
      return;
    }
    if (!data.items.length) {
      OIRU.fill(box, OIRU.empty("No suggestions: every key account with a connector is watched, and no watched account was re-created.",
        "Suggestions come from the key-account ranking and the re-created-accounts analysis (openiru scan)."));
      return;
    }
    OIRU.fill(box, el("table.grid#suggestion-table", {},
      el("thead", {}, el("tr", {}, ["Why", "Account", "Connector", "Target", "Server", "Score", ""].map((h) => el("th", { text: h })))),
      el("tbody", {}, data.items.map((s) => el("tr.suggestion", {},
        el("td", {}, el("strong", { text: s.kind === "successor" ? "Re-created" : "Key account" }), el("div.hint", { dir: "auto", text: String(s.reason || "").replace(/^key account \((.+)\)$/, "role in the network: $1") })),
        el("td", {}, OIRU.accountLink(s)),
        el("td", {}, connector(s.connector)),
        el("td", { dir: "auto", text: s.target }),
        el("td", { text: s.server || "–" }),
        el("td", { text: OIRU.num(s.score, 3) }),
        el("td", {}, editor ? el("button.watch-suggestion", { type: "button", onclick: (ev) => watch(s, ev.currentTarget) }, "Watch") : ""))))));
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const v = (id) => document.getElementById(id).value.trim() || null;
    errorBox.hidden = true;
    try {
      const made = await api("POST", "/api/v1/watch", { connector: v("watch-connector"), target: v("watch-target"), server: v("watch-server"), every: v("watch-every"), label: v("watch-label") });
      OIRU.flash("Watching " + made.target + " (every " + every(made.every_s) + ").");
      form.reset();
      load();
    } catch (err) {
      errorBox.textContent = err.message;
      errorBox.hidden = false;
    }
  });
  return load();
};
