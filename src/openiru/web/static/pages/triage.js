"use strict";
/* Triage queue: j/k or arrows move, c confirms, r rejects with a reason, n skips to the next, o opens. */
OIRU.pages.triage = async function () {
  const { api, el } = OIRU;
  const box = document.getElementById("queue");
  const dialog = document.getElementById("reject-dialog");
  const reasonSelect = document.getElementById("reject-reason");
  let alerts = [], selected = 0, cursor = null;

  try {
    const reasons = await api("GET", "/api/v1/alerts/reasons");
    reasonSelect.replaceChildren(...reasons.items.map((r) => el("option", { value: r, text: r })));
  } catch (err) { OIRU.showError(err); }

  function hitSummary(h) {
    const bits = [h.matcher];
    if (h.bank) bits.push("bank " + h.bank);
    if (h.item) bits.push("item " + h.item);
    if (h.distance !== undefined && h.distance !== null) bits.push("distance " + h.distance);
    if (h.similarity !== undefined && h.similarity !== null) bits.push("similarity " + Number(h.similarity).toFixed(2));
    if (h.term) bits.push("term \u201c" + h.term + "\u201d");
    return bits.join(" · ");
  }

  function render() {
    box.replaceChildren(...alerts.map((a, i) => el("article.item" + (i === selected ? ".selected" : "") + (a.decided ? ".decided" : ""),
      { dataset: { post: a.id }, onclick: () => { selected = i; render(); } },
      el("div.meta", {}, "priority " + a.priority.toFixed(3) + " · ", OIRU.postLink(a.post), " · account ", OIRU.accountLink(a.account),
        a.model_probability !== null && a.model_probability !== undefined ? " · classifier " + Number(a.model_probability).toFixed(2) : "",
        a.decided ? " · " + a.decided : ""),
      el("p", { text: a.text }),
      el("ul", {}, a.hits.slice(0, 4).map((h) => el("li.hint", { text: hitSummary(h) }))),
      el("div", {},
        el("button.confirm", { type: "button", onclick: (e) => { e.stopPropagation(); selected = i; decide("confirm"); } }, "Confirm (c)"), " ",
        el("button.secondary.reject", { type: "button", onclick: (e) => { e.stopPropagation(); selected = i; askReject(); } }, "Reject (r)"), " ",
        el("a", { href: OIRU.postLink(a.post).getAttribute("href") }, "Open (o)")))));
    if (!alerts.length) box.replaceChildren(el("p.hint", { text: "The triage queue is empty." }));
    const node = box.children[selected];
    if (node && node.scrollIntoView) node.scrollIntoView({ block: "nearest" });
  }

  async function load() {
    const q = new URLSearchParams({ limit: "50" });
    if (cursor) q.set("cursor", cursor);
    const page = await api("GET", "/api/v1/alerts?" + q);
    alerts = alerts.concat(page.items);
    cursor = page.next_cursor;
    render();
  }

  function next() {
    const after = alerts.findIndex((a, i) => i > selected && !a.decided);
    if (after >= 0) selected = after;
    else if (cursor) { selected = alerts.length; load(); return; }
    render();
  }

  async function decide(decision, reason) {
    const a = alerts[selected];
    if (!a || a.decided) return;
    try {
      const res = await api("POST", "/api/v1/decisions", { post: a.id, decision: decision, reason: reason || null });
      a.decided = res.status;
      OIRU.flash(a.id + ": " + res.status + (reason ? " (" + reason + ")" : ""));
      next();
    } catch (err) { OIRU.showError(err); }
  }

  function askReject() {
    if (!alerts[selected] || alerts[selected].decided) return;
    document.getElementById("reject-note").value = "";
    dialog.showModal();
    reasonSelect.focus();
  }
  dialog.addEventListener("close", () => {
    if (dialog.returnValue === "ok") {
      const note = document.getElementById("reject-note").value.trim();
      decide("reject", reasonSelect.value + (note ? ": " + note : ""));
    }
    box.focus();
  });

  document.addEventListener("keydown", (ev) => {
    if (dialog.open || ev.target.closest("input, select, textarea") || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const key = ev.key;
    if (key === "j" || key === "ArrowDown") { selected = Math.min(selected + 1, alerts.length - 1); render(); }
    else if (key === "k" || key === "ArrowUp") { selected = Math.max(selected - 1, 0); render(); }
    else if (key === "c") decide("confirm");
    else if (key === "r") askReject();
    else if (key === "n") next();
    else if (key === "o" && alerts[selected]) location.href = OIRU.postLink(alerts[selected].post).getAttribute("href");
    else return;
    ev.preventDefault();
  });
  await load();
  box.focus();
};
