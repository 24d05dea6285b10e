"use strict";
/* Referral board: one column per state, live deadline countdowns, overdue in red. */
OIRU.pages.referrals = async function () {
  const { api, el } = OIRU;
  const board = document.getElementById("board");
  const me = document.body.dataset.user, role = document.body.dataset.role;
  const ORDER = ["draft", "on_hold", "approved", "sent", "acknowledged", "removed", "access_disabled", "rejected", "no_response", "withdrawn"];
  const OPEN = new Set(["draft", "on_hold", "approved", "sent", "acknowledged"]);

  async function act(ref, action, body) {
    try {
      await api("POST", "/api/v1/referrals/" + ref.id + "/" + action, body || {});
      OIRU.flash("Referral #" + ref.id + ": " + action + " done.");
    } catch (err) { OIRU.showError(err); }
    await load();
  }

  function card(ref) {
    const actions = [];
    if (ref.state === "draft" && ref.created_by !== me && role !== "provider") actions.push(el("button.approve", { type: "button", onclick: () => act(ref, "approve") }, "Approve"));
    if (ref.state === "approved") actions.push(el("button.send", { type: "button", onclick: () => act(ref, "send", { channel: "portal" }) }, "Send via portal"));
    if (OPEN.has(ref.state)) actions.push(el("button.secondary", { type: "button", onclick: () => act(ref, "withdraw", { reason: "withdrawn from the board" }) }, "Withdraw"));
    return el("article.item.referral" + (ref.overdue ? ".overdue" : ""), { id: "referral-" + ref.id, dataset: { id: String(ref.id), state: ref.state } },
      el("div", {}, el("a.ref-id", { href: "/console/referral?id=" + ref.id }, el("strong", { text: "#" + ref.id }), " " + ref.reference), " ", el("span.state", { text: ref.state.replace(/_/g, " ") })),
      el("div.meta", { text: ref.kind + " → " + (ref.provider || "no provider") + " · by " + ref.created_by + (ref.approved_by ? ", approved by " + ref.approved_by : "") }),
      el("ul", {}, ref.targets.slice(0, 3).map((t) => el("li.ref-id", { text: t })), ref.targets.length > 3 ? el("li.hint", { text: "and " + (ref.targets.length - 3) + " more" }) : null),
      OPEN.has(ref.state) ? el("div", {}, "Deadline: ", el("span.countdown", { dataset: { deadline: ref.deadline, paused: ref.paused ? "1" : "" } })) : el("div.meta", { text: "closed " + OIRU.fmtTime(ref.resolved_at) }),
      ref.deconfliction_hold ? el("p.hold", { text: "Deconfliction hold: an agency has asked for this to wait." }) : null,
      el("div", {}, actions));
  }

  async function load() {
    const all = [];
    let cursor = null;
    do {
      const page = await api("GET", "/api/v1/referrals?limit=500" + (cursor ? "&cursor=" + cursor : ""));
      all.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor);
    const byState = {};
    for (const r of all) (byState[r.state] = byState[r.state] || []).push(r);
    OIRU.fill(board, ...ORDER.filter((s) => byState[s]).map((s) => el("section.column", { dataset: { state: s } },
      el("h2", { text: s.replace("_", " ") + " (" + byState[s].length + ")" }), byState[s].map(card))));
    if (!all.length) OIRU.fill(board, OIRU.empty("No referrals yet.", "Confirm an alert in triage, then use Refer on the post page."));
    tick();
  }

  function tick() {
    const now = Date.now();
    for (const node of document.querySelectorAll(".countdown")) {
      const left = new Date(node.dataset.deadline).getTime() - now;
      node.textContent = (node.dataset.paused ? "clock stopped · " : "") + OIRU.fmtDuration(left);
      node.closest(".referral").classList.toggle("overdue", left < 0 && !node.dataset.paused);
    }
  }
  setInterval(tick, 1000);
  setInterval(() => load().catch(OIRU.showError), 15000);
  await load();
};
