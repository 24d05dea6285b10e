"use strict";
/* One referral: its state and deadline (live countdown), targets as links to the posts and
   accounts with their authors, the evidence preserved (hashes, WARC captures), deliveries and
   the provider's answers, the documents it can be exported as, and its full history. */
OIRU.pages.referral = async function () {
  const { api, el } = OIRU;
  const id = Number(OIRU.keyParam("id"));
  if (!id) { OIRU.fill(document.getElementById("summary"), OIRU.empty("No referral was named.", "Open one from the referral board.")); return; }
  const [ref, evidence, deliveries] = await Promise.all([api("GET", "/api/v1/referrals/" + id),
    api("GET", "/api/v1/referrals/" + id + "/evidence?limit=500").catch(() => ({ items: [] })),
    api("GET", "/api/v1/referrals/" + id + "/deliveries?limit=500").catch(() => ({ items: [] }))]);
  document.title = "Referral #" + ref.id + " · OpenIRU";
  document.querySelector("main h1").textContent = "Referral #" + ref.id + " · " + ref.reference;
  const open = ["draft", "on_hold", "approved", "sent", "acknowledged"].includes(ref.state);
  const countdown = el("span.countdown#deadline", { dataset: { deadline: ref.deadline || "", paused: ref.paused ? "1" : "" } });
  const facts = [["State", el("span.state#state", { text: ref.state.replace(/_/g, " ") })], ["Kind", ref.kind], ["Provider", ref.provider || "none found yet"],
    ["Reason", ref.reason || "none given"], ["Grounds", (ref.grounds || []).join(", ") || "none given"], ["Created", OIRU.fmtTime(ref.created_at) + " by " + ref.created_by],
    ["Approved", ref.approved_by ? OIRU.fmtTime(ref.approved_at) + " by " + ref.approved_by : "not yet (four-eyes)"],
    ["Sent", ref.sent_at ? OIRU.fmtTime(ref.sent_at) + (ref.channel ? " by " + ref.channel : "") : "not yet"],
    ["Acknowledged", ref.acknowledged_at ? OIRU.fmtTime(ref.acknowledged_at) : "not yet"],
    ["Deadline", open && ref.deadline ? el("span", {}, OIRU.fmtTime(ref.deadline) + " · ", countdown) : (ref.resolved_at ? "closed " + OIRU.fmtTime(ref.resolved_at) : "none")],
    ["Time to removal", ref.time_to_removal_s !== null && ref.time_to_removal_s !== undefined ? OIRU.fmtDuration(ref.time_to_removal_s * 1000) : "–"]];
  OIRU.fill(document.getElementById("summary"), el("dl.facts", {}, facts.map(([k, v]) => [el("dt", { text: k }), el("dd", {}, v)])),
    ref.deconfliction_hold ? el("p.hold", { text: "Deconfliction hold: an agency has asked for this to wait." }) : null,
    el("p", {}, el("a", { href: "/console/referrals#referral-" + ref.id, text: "Back to the board" })));
  const tick = () => {
    if (!countdown.dataset.deadline) return;
    const left = new Date(countdown.dataset.deadline).getTime() - Date.now();
    countdown.textContent = (countdown.dataset.paused ? "clock stopped · " : "") + OIRU.fmtDuration(left);
    countdown.classList.toggle("overdue", left < 0 && !countdown.dataset.paused);
  };
  tick(); setInterval(tick, 1000);

  // targets: posts with their author, accounts, URLs
  const rows = [];
  for (const key of ref.targets.slice(0, 100)) {
    const m = /^([^:]+):(@?)(.+)$/.exec(key);
    if (m && !/^https?$/.test(m[1]) && m[2] === "@") rows.push(el("li", {}, (await OIRU.people([{ platform: m[1], account_id: m[3] }])).map(OIRU.accountLink)));
    else if (m && !/^https?$/.test(m[1])) {
      const post = await api("GET", "/api/v1/posts/" + encodeURIComponent(m[1]) + "/" + m[3].split("/").map(encodeURIComponent).join("/")).catch(() => null);
      rows.push(el("li", {}, OIRU.postLink({ platform: m[1], post_id: m[3] }, post ? OIRU.fmtTime(post.timestamp) : "post " + OIRU.shortId(m[3])),
        post ? [" by ", OIRU.accountLink(post.author || post.account), " · ", OIRU.userText("span", (post.text || "").slice(0, 140))] : " (not in the store)"));
    } else rows.push(el("li", {}, el("span.url", { text: key })));
  }
  OIRU.fill(document.getElementById("targets"), el("ul", {}, rows));

  // each preserved file downloads (served only while its SHA-256 is the one recorded)
  const kinds = { warc: "WARC capture", raw: "stored record", media: "media copy", verification: "verification" };
  const evidenceFile = (e) => e.path && !e.purged_at && e.sha256
    ? el("a.evidence-file", { href: "/api/v1/console/evidence/" + ref.id + "/" + e.id, download: "", title: "download the preserved file" }, "Download")
    : (e.purged_at ? "purged" : "–");
  // a post target as a link to its page (the id shortened, whole on hover), never a raw key cut mid-id
  const evidenceTarget = (key) => {
    const m = /^([^:]+):(?!@)(.+)$/.exec(key || "");
    return m && !/^https?$/.test(m[1]) ? OIRU.postLink({ platform: m[1], post_id: m[2] }) : el("span.url", { text: key });
  };
  OIRU.fill(document.getElementById("evidence"), evidence.items.length ? el("table.grid#evidence-files", {},
    el("thead", {}, el("tr", {}, ["Target", "Kind", "File", "SHA-256", "Size", "Captured", "Details"].map((t) => el("th", { text: t })))),
    el("tbody", {}, evidence.items.map((e) => el("tr", {}, el("td", {}, evidenceTarget(e.target)), el("td", { text: kinds[e.kind] || e.kind }), el("td", {}, evidenceFile(e)),
      el("td.url", { text: e.sha256 || "–" }), el("td", { text: e.size ? e.size.toLocaleString("en") + " bytes" : "–" }),
      el("td", { text: e.purged_at ? "purged " + OIRU.fmtTime(e.purged_at) : OIRU.fmtTime(e.created_at) }),
      el("td", {}, e.meta && Object.keys(e.meta).length ? OIRU.describe(e.meta) : "–")))))
    : OIRU.empty("No evidence preserved yet.", "Evidence (the record, its media and a WARC capture) is preserved when the referral is sent."));

  const fb = ref.feedback;
  OIRU.fill(document.getElementById("answers"), 
    fb ? el("p#provider-answer", {}, el("strong", { text: "Provider answer: " + String(fb.outcome || "none").replace(/_/g, " ") }),
      fb.at ? " · " + OIRU.fmtTime(fb.at) : "", fb.by ? " · recorded by " + fb.by : "", fb.ground ? " · ground " + fb.ground : "",
      fb.reason ? " · " + fb.reason : "", fb.provider_reference ? " · their reference " + fb.provider_reference : "")
      : el("p.hint", { text: "The provider has not answered yet." }),
    deliveries.items.length ? el("table.grid#deliveries", {}, el("thead", {}, el("tr", {}, ["When", "Channel", "Result", "Attempts", "Details"].map((t) => el("th", { text: t })))),
      el("tbody", {}, deliveries.items.map((d) => el("tr", {}, el("td", { text: OIRU.fmtTime(d.at) }), el("td", { text: d.channel }),
        el("td", { text: d.ok ? "delivered" : "failed" }), el("td", { text: String(d.attempts) }), el("td", {}, OIRU.describe(d.detail))))))
      : el("p.hint", { text: "Not delivered yet." }));

  const docs = [["dsa", "DSA statement of reasons (JSON)"], ["stix", "STIX 2.1 bundle"], ["misp", "MISP event"], ["lumen", "Lumen notice"], ["hashes", "Hash list (CSV)"]];
  OIRU.fill(document.getElementById("documents"), el("ul", {}, docs.map(([fmt, label]) => el("li", {}, el("a", { href: "/api/v1/exports/" + fmt + "?referral=" + ref.id, text: label })))));

  OIRU.table(document.getElementById("history"), [
    { title: "When", render: (h) => OIRU.fmtTime(h.at) }, { title: "Who", render: (h) => h.actor },
    { title: "Action", render: (h) => OIRU.words(h.action) },
    { title: "State", render: (h) => (h.from ? h.from.replace(/_/g, " ") + " → " : "") + h.to.replace(/_/g, " ") },
    { title: "Reason", render: (h) => h.reason || "–" }], ref.history);
};
