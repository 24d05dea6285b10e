"use strict";
/* Provider portal: the provider's referrals with deadlines, evidence, and the answers a provider gives.
   The interface is in the provider's language where a translation exists (static/i18n/*.json). */
OIRU.pages.portal = async function () {
  const { api, el } = OIRU;
  const me = await api("GET", "/api/v1/portal/me");
  const t = await fetch("/static/i18n/" + me.language + ".json").then((r) => r.json()).catch(() => ({}));
  const tr = (key) => t[key] || key;
  document.documentElement.lang = me.language;
  document.getElementById("portal-intro").textContent = tr("intro");
  const board = document.getElementById("board");

  async function answer(ref, path, body) {
    try {
      await api("POST", "/api/v1/portal/referrals/" + ref.id + "/" + path, body);
      OIRU.flash(tr("answered"));
    } catch (err) { OIRU.showError(err); }
    await load();
  }

  function answerForm(ref) {
    const outcomes = ["removed", "access_disabled", "cannot_comply"].concat(ref.kind === "referral" ? ["rejected"] : []);
    const outcome = el("select.outcome", {}, outcomes.map((o) => el("option", { value: o, text: tr(o) })));
    // no ground chosen in advance: one is asked for only when the provider cannot comply
    const ground = el("select.ground", {}, el("option", { value: "", text: "…" }), ["force_majeure", "manifest_error", "insufficient_information"].map((g) => el("option", { value: g, text: tr(g) })));
    const groundLabel = el("label", { hidden: true }, tr("ground"), ground);
    const reason = el("input.reason", { maxlength: "2000" });
    outcome.addEventListener("change", () => { groundLabel.hidden = outcome.value !== "cannot_comply"; ground.required = outcome.value === "cannot_comply"; });
    return el("form.answer", { onsubmit: (ev) => { ev.preventDefault(); answer(ref, "answer", { outcome: outcome.value, reason: reason.value || null, ground: outcome.value === "cannot_comply" ? ground.value : null }); } },
      el("label", {}, tr("state"), outcome), groundLabel, el("label", {}, tr("explain"), reason), el("button.send-answer", { type: "submit" }, tr("send")));
  }

  async function card(ref) {
    const open = ["sent", "acknowledged"].includes(ref.state);
    const evidence = await api("GET", "/api/v1/portal/referrals/" + ref.id + "/evidence").catch(() => ({ items: [] }));
    return el("article.item.referral" + (ref.overdue ? ".overdue" : ""), { id: "referral-" + ref.id, dataset: { id: String(ref.id), state: ref.state } },
      el("h2", { text: tr(ref.kind) + " " + ref.reference }),
      el("p", {}, tr("state") + ": ", el("span.state", { text: ref.state })),
      open ? el("p", {}, tr("deadline") + ": ", el("span.countdown", { dataset: { deadline: ref.deadline, paused: ref.paused ? "1" : "" } }), " (" + OIRU.fmtTime(ref.deadline) + ")") : null,
      el("p", { text: tr("items") + ":" }), el("ul", {}, ref.items.map((i) => el("li", { text: i.url || i.key }))),
      ref.reason ? el("p", { text: tr("reason") + ": " + ref.reason }) : null,
      el("details", {}, el("summary", { text: tr("evidence") + " (" + evidence.items.length + ")" }),
        el("ul", {}, evidence.items.map((e) => el("li", {}, e.kind + " · SHA-256 " + (e.sha256 || "—") + " ",
          e.sha256 ? el("a", { href: "/api/v1/portal/referrals/" + ref.id + "/evidence/" + e.id, text: tr("download") }) : "")))),
      ref.state === "sent" ? el("button.acknowledge", { type: "button", onclick: () => answer(ref, "acknowledge") }, tr("acknowledge")) : null,
      open ? answerForm(ref) : null);
  }

  async function load() {
    const page = await api("GET", "/api/v1/portal/referrals?limit=200");
    const cards = await Promise.all(page.items.map(card));
    OIRU.fill(board, ...(cards.length ? cards : [el("p.hint", { text: tr("none") })]));
    tick();
  }
  function tick() {
    const now = Date.now();
    for (const node of document.querySelectorAll(".countdown")) {
      const left = new Date(node.dataset.deadline).getTime() - now;
      const text = OIRU.fmtDuration(Math.abs(left)).replace("overdue by ", "");
      node.textContent = node.dataset.paused ? tr("clock_stopped") : (left < 0 ? tr("overdue") + " " + text : text);
      node.closest(".referral").classList.toggle("overdue", left < 0 && !node.dataset.paused);
    }
  }
  setInterval(tick, 1000);
  await load();
};
