"use strict";
/* Referral Action Day dashboard: operations, and the chosen one's live counters (refreshed every 5 s). */
OIRU.pages["action-days"] = async function () {
  const { api, el } = OIRU;
  const list = document.getElementById("operations");
  const counters = document.getElementById("counters");
  const ops = (await api("GET", "/api/v1/operations?limit=500")).items;
  let current = Number(OIRU.keyParam("id")) || (ops.length ? ops[ops.length - 1].id : null);

  const form = el("form.card#operation-form", { onsubmit: async (ev) => {
    ev.preventDefault();
    try {
      const op = await api("POST", "/api/v1/operations", { name: form.querySelector("[name=name]").value, hours: Number(form.querySelector("[name=hours]").value) || 48, agencies: [] });
      location.href = "/console/action-days?id=" + op.id;
    } catch (err) { OIRU.showError(err); }
  } }, el("h2", { text: "New operation" }), el("label", {}, "Name", el("input", { name: "name", required: true, maxlength: "200" })),
    el("label", {}, "Hours", el("input", { name: "hours", type: "number", value: "48", min: "1" })), el("button", { type: "submit" }, "Create"));
  OIRU.fill(list, 
    el("nav.filters", {}, ops.map((o) => el("a", { href: "/console/action-days?id=" + o.id, "aria-current": o.id === current ? "page" : null, text: o.name + " (" + OIRU.fmtTime(o.starts_at) + " – " + OIRU.fmtTime(o.ends_at) + ")  " }))),
    document.body.dataset.role === "admin" || document.body.dataset.role === "analyst" || document.body.dataset.role === "approver" ? form : null);

  function counter(name, label, value) {
    return el("div.counter", { dataset: { counter: name } }, el("div.value", { text: value === null || value === undefined ? "—" : String(value) }), el("div.label", { text: label }));
  }
  async function refresh() {
    if (!current) { OIRU.fill(counters, el("p.hint", { text: "No operation yet." })); return; }
    const r = await api("GET", "/api/v1/operations/" + current + "/report");
    const median = r.median_time_to_removal_s;
    OIRU.fill(counters, 
      el("h2", { text: r.operation.name + " · " + r.status }),
      counter("items_assessed", "items assessed", r.items_assessed),
      counter("items_referred", "items referred", r.items_referred),
      counter("items_sent", "items sent", r.items_sent),
      counter("items_removed", "items removed", r.items_removed),
      counter("removal_rate", "removal rate", r.removal_rate === null ? null : Math.round(r.removal_rate * 100) + "%"),
      counter("median", "median time to removal", median === null ? null : OIRU.fmtDuration(median * 1000)),
      counter("languages", "languages", r.languages.length),
      counter("platforms", "platforms", r.platforms.length),
      counter("providers", "providers", r.providers.length),
      el("p.hint", { text: r.summary }));
  }
  setInterval(() => refresh().catch(OIRU.showError), 5000);
  await refresh();
};
