"use strict";
/* Deconfliction: an agency's own entries in full; of others' only that holds exist. */
OIRU.pages.deconfliction = async function () {
  const { api, el } = OIRU;
  const role = document.body.dataset.role;
  const form = document.getElementById("decon-form");
  if (role !== "liaison" && role !== "admin") form.hidden = true;
  async function load() {
    const data = await api("GET", "/api/v1/deconfliction");
    OIRU.table(document.getElementById("table"), [
      { title: "Id", key: "id" }, { title: "Kind", key: "kind" }, { title: "Value", key: "value" },
      { title: "Investigation", key: "investigation_ref" }, { title: "Registered", render: (e) => OIRU.fmtTime(e.created_at) },
      { title: "Expires", render: (e) => OIRU.fmtTime(e.expires_at) },
      { title: "", render: (e) => (role === "liaison" || role === "admin") ? el("button.secondary", { type: "button", onclick: async () => { await api("DELETE", "/api/v1/deconfliction/" + e.id).catch(OIRU.showError); load(); } }, "Remove") : "" },
    ], data.items);
    const note = el("p.hold#other-holds", { text: "Holds registered by other agencies: " + data.other_holds + " (details are visible to their owners only)." });
    const old = document.getElementById("other-holds");
    if (old) old.replaceWith(note); else document.getElementById("table").before(note);
    if (role === "liaison" || role === "admin") {
      const notes = await api("GET", "/api/v1/deconfliction/notifications").catch(() => ({ items: [] }));
      const box = el("section.card#notifications", {}, el("h2", { text: "Referrals held by your entries" }),
        notes.items.length ? el("ul", {}, notes.items.map((n) => el("li", {}, OIRU.fmtTime(n.at) + " · " + n.message + " ",
          n.referral_id ? el("button.secondary", { type: "button", onclick: async () => { await api("POST", "/api/v1/referrals/" + n.referral_id + "/release", { reason: "released by the owning agency" }).then(() => OIRU.flash("Released.")).catch(OIRU.showError); } }, "Release") : ""))) : el("p.hint", { text: "None." }));
      const prev = document.getElementById("notifications");
      if (prev) prev.replaceWith(box); else document.getElementById("table").after(box);
    }
  }
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      await api("POST", "/api/v1/deconfliction", { kind: document.getElementById("decon-kind").value, value: document.getElementById("decon-value").value, investigation_ref: document.getElementById("decon-ref").value });
      form.reset();
      OIRU.flash("Entry registered.");
      load();
    } catch (err) { OIRU.showError(err); }
  });
  await load();
};
