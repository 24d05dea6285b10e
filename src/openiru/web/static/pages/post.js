"use strict";
/* Post view: the post and its author, the detection evidence as sentences and a table (terms
   highlighted in the text), confirm/reject, its media (blurred until clicked), the referrals
   that cover it, and "refer". */
OIRU.pages.post = async function () {
  const { api, el } = OIRU;
  const platform = OIRU.keyParam("platform"), postId = OIRU.keyParam("post_id");
  const path = encodeURIComponent(platform) + "/" + postId.split("/").map(encodeURIComponent).join("/");
  const post = await api("GET", "/api/v1/posts/" + path);
  const author = post.author || post.account;
  const box = document.getElementById("post");
  const textNode = el("div.text#post-text", { dir: "auto", text: post.text || "" });
  const urls = post.urls || [], tags = post.hashtags || [];
  const related = [["reply_to", "In reply to"], ["repost_of", "Repost of"], ["quote_of", "Quote of"], ["forward_from", "Forwarded from"]]
    .filter(([k]) => post[k]).map(([k, label]) => el("p", {}, label + " ", relatedLink(post.platform, post[k], post.forward_from_name)));
  OIRU.fill(box, 
    el("p", {}, OIRU.accountLink(author), " · ", OIRU.fmtTime(post.timestamp), post.language ? " · language " + post.language : "",
      el("span.hint", { title: "post id " + post.post_id, text: " · " + OIRU.platformName(post.platform) + " post " + OIRU.shortId(post.post_id) })),
    author.bio ? OIRU.userText("p.bio", author.bio) : null,
    post.text ? textNode : el("p.hint", { text: "This post has no text (media only)." }),
    urls.length ? el("p", {}, "Links: ", urls.map((u, i) => [i ? ", " : "", el("span.url", { dir: "ltr", text: u })])) : null,
    tags.length ? el("p", { dir: "auto" }, "Hashtags: ", tags.map((h) => "#" + h).join(" ")) : null,
    related,
  );
  showMedia(post);
  await showEvidence(post, textNode, path);
  await showReferrals(post);
  setUpReferral(post);
};

function relatedLink(platform, ref, name) {
  if (/^\d+(\/\d+)?$/.test(String(ref)) || String(ref).includes("/")) return OIRU.postLink({ platform: platform, post_id: ref });
  return OIRU.el("span", { dir: "auto", text: name || ref });
}

function showMedia(post) {
  const { el } = OIRU;
  const media = document.getElementById("media-body");
  const items = post.media || [];
  if (!items.length) {
    document.getElementById("media-hint").hidden = true;
    OIRU.fill(media, OIRU.empty("This post has no images or videos.", "Only text and links were collected for it."));
    return;
  }
  for (const m of items) {
    if (m.missing) { media.append(el("p.hint", { text: "A media item was named by the export but its file was not collected (re-import the export with its media folder)." })); continue; }
    const src = "/api/v1/media/" + encodeURIComponent(m.media_key);
    const isVideo = (m.mime || "").startsWith("video/");
    const node = isVideo ? el("video.blurred", { src: src, preload: "metadata", controls: true }) : el("img.blurred", { src: src, alt: "collected media (blurred)", loading: "lazy" });
    node.addEventListener("click", () => node.classList.toggle("blurred"));
    node.addEventListener("error", () => node.replaceWith(el("p.hint.media-missing", { text: "This file is not in this server's media store (start the server with the OPENIRU_DATA the import used, or import the export again with its media)." })));
    media.append(el("figure", {}, node, el("figcaption.hint", { text: (m.mime || "unknown type") + (m.size ? " · " + Math.round(m.size / 1024) + " KiB" : "") + (m.pdq ? " · PDQ " + m.pdq.slice(0, 16) + "…" : "") })));
  }
}

/* Matched terms highlighted with <mark> built from text slices (never innerHTML). */
function highlight(textNode, text, ranges) {
  const { el } = OIRU;
  ranges = ranges.filter((r) => r[0] >= 0 && r[1] <= text.length && r[0] < r[1]).sort((a, b) => a[0] - b[0]);
  const parts = [];
  let at = 0;
  for (const [s, e] of ranges) {
    if (s < at) continue;
    parts.push(text.slice(at, s), el("mark", { text: text.slice(s, e) }));
    at = e;
  }
  parts.push(text.slice(at));
  OIRU.fill(textNode, ...parts.map((p) => (p instanceof Node ? p : document.createTextNode(p))));
}

async function showEvidence(post, textNode, path) {
  const { api, el, num } = OIRU;
  const ev = await api("GET", "/api/v1/evidence/" + path).catch(() => null);
  const box = document.getElementById("evidence-body");
  if (!ev || !ev.hits.length) {
    OIRU.fill(box, OIRU.empty("Detection found nothing on this post.", "Scan again after importing hash lists, lexicons or known texts (openiru scan), or refer it by hand below."));
    return;
  }
  const ranges = [];
  const text = post.text || "";
  const lower = text.toLowerCase();
  for (const h of ev.hits) {
    if (h.span && text.slice(h.span[0], h.span[1]).length) ranges.push(h.span);
    else if (h.term) {
      const i = lower.indexOf(String(h.term).toLowerCase());
      if (i >= 0) ranges.push([i, i + h.term.length]);
    }
  }
  if (text) highlight(textNode, text, ranges);
  const status = { open: "waiting for triage", confirmed: "confirmed", rejected: "rejected" }[ev.status] || "no alert";
  const distance = (h) => (h.distance !== null && h.distance !== undefined ? "distance " + h.distance
    : (h.similarity !== null && h.similarity !== undefined ? "similarity " + num(h.similarity, 3) : "exact"));
  OIRU.fill(box, 
    el("p", {}, el("strong", { text: "Alert " + status }),
      ev.priority !== null ? " · priority " + num(ev.priority, 3) : "",
      ev.model_probability !== null && ev.model_probability !== undefined ? " · classifier score " + num(ev.model_probability) : " · no classifier score",
      ev.decided_by ? " · decided by " + ev.decided_by : "", ev.reason ? " (" + ev.reason + ")" : ""),
    el("ul.sentences#evidence-sentences", {}, ev.hits.map((h) => el("li" + (h.suppressed ? ".decided" : ""), {}, OIRU.hitSentence(h)))),
    el("table.grid#evidence-table", {},
      el("thead", {}, el("tr", {}, ["Signal", "Bank", "Matched item", "Label", "Closeness", "Strength"].map((t) => el("th", { text: t })))),
      el("tbody", {}, ev.hits.map((h) => el("tr" + (h.suppressed ? ".decided" : ""), {},
        el("td", { text: h.matcher }), el("td", { text: h.bank || "–" }),
        el("td", { dir: "auto" }, h.term ? el("mark", { text: h.term }) : (h.item || "–"), h.detail && h.detail.source ? " (near-duplicate of " + h.detail.source + ")" : ""),
        el("td", { text: h.label || "–" }), el("td", { text: distance(h) }),
        el("td", {}, el("span.track.inline", {}, bar(h.strength)), " " + num(h.strength, 3)))))),
  );
  setUpDecision(post, ev);
}

function bar(value) {
  const fill = OIRU.el("span.fill");
  fill.style.width = Math.max(0, Math.min(1, Number(value) || 0)) * 100 + "%";
  return fill;
}

function setUpDecision(post, ev) {
  const { el } = OIRU;
  const role = document.body.dataset.role;
  const box = document.getElementById("decide");
  if (role !== "analyst" && role !== "admin") return;
  const reason = el("select#decide-reason");
  OIRU.api("GET", "/api/v1/alerts/reasons").then((r) => OIRU.fill(reason, ...r.items.map((x) => el("option", { value: x, text: x })))).catch(() => {});
  const note = el("input#decide-note", { maxlength: "200", placeholder: "note (optional)" });
  const state = el("span#decide-state", { text: ev.status === "open" ? "Waiting for triage." : "Already " + ev.status + "." });
  async function decide(decision) {
    const why = decision === "reject" ? reason.value + (note.value.trim() ? ": " + note.value.trim() : "") : (note.value.trim() || null);
    try {
      const res = await OIRU.api("POST", "/api/v1/decisions", { post: post.platform + ":" + post.post_id, decision: decision, reason: why });
      state.textContent = "Now " + res.status + ".";
      OIRU.flash(post.platform + ":" + post.post_id + " " + res.status + ".");
    } catch (err) { OIRU.showError(err); }
  }
  // whom the alert is assigned to, and claiming or releasing it (as on the triage page)
  const me = document.body.dataset.user;
  const key = post.platform + ":" + post.post_id;
  const owner = el("p#assignment.hint");
  async function showOwner(assignment) {
    const mine = assignment && assignment.assigned_to === me;
    OIRU.fill(owner, assignment ? "Assigned to " + (mine ? "you" : assignment.assigned_to) + " by " + assignment.assigned_by + ", " + OIRU.fmtTime(assignment.assigned_at) + ". "
      : "Not assigned to anyone. ",
    ev.status ? el("button.secondary#post-assign", { type: "button", onclick: () => assign(mine ? null : "me") }, mine ? "Unassign" : "Assign to me") : null);
  }
  async function assign(to) {
    try {
      const res = await OIRU.api("POST", "/api/v1/console/assign", { posts: [key], to: to });
      await showOwner(res.assigned_to ? res : null);
      OIRU.flash(key + " assigned to " + (res.assigned_to ? (res.assigned_to === me ? "you" : res.assigned_to) : "no one") + ".");
    } catch (err) { OIRU.showError(err); }
  }
  OIRU.api("GET", "/api/v1/console/post-links?platform=" + encodeURIComponent(post.platform) + "&post_id=" + encodeURIComponent(post.post_id))
    .then((links) => showOwner(links.assignment)).catch(() => {});
  box.hidden = false;
  OIRU.fill(box, el("h2", { text: "Decision" }), el("div.toolbar", {},
    el("button#post-confirm", { type: "button", onclick: () => decide("confirm") }, "Confirm"),
    el("label", {}, "Reason for rejecting", reason), note,
    el("button.secondary#post-reject", { type: "button", onclick: () => decide("reject") }, "Reject")), state, owner);
}

async function showReferrals(post) {
  const { el } = OIRU;
  const box = document.getElementById("referrals-body");
  const links = await OIRU.api("GET", "/api/v1/console/post-links?platform=" + encodeURIComponent(post.platform) + "&post_id=" + encodeURIComponent(post.post_id)).catch(() => null);
  if (!links || !links.referrals.length) { OIRU.fill(box, OIRU.empty("No referral covers this post yet.", "Create one below if it breaks a provider's terms or the law.")); return; }
  OIRU.fill(box, el("ul", {}, links.referrals.map((r) => el("li", {}, el("a.referral-link", { href: "/console/referral?id=" + r.id, text: "Referral #" + r.id + " " + r.reference }),
    " · " + r.state.replace(/_/g, " ") + " · " + r.kind + " to " + (r.provider || "no provider yet")))));
}

function setUpReferral(post) {
  const role = document.body.dataset.role;
  const section = document.getElementById("refer");
  if (role !== "analyst" && role !== "admin") { section.hidden = true; return; }
  const opSelect = document.getElementById("refer-operation");
  OIRU.api("GET", "/api/v1/operations?limit=500").then((page) => {
    for (const op of page.items) opSelect.append(OIRU.el("option", { value: String(op.id), text: op.name }));
  }).catch(() => { opSelect.closest("label").hidden = true; });
  document.getElementById("refer-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const out = document.getElementById("refer-result");
    try {
      const res = await OIRU.api("POST", "/api/v1/referrals", {
        targets: [post.platform + ":" + post.post_id], kind: document.getElementById("refer-kind").value,
        reason: document.getElementById("refer-reason").value || null,
        operation_id: opSelect.value ? Number(opSelect.value) : null });
      OIRU.fill(out, ...res.referrals.map((r) => OIRU.el("span", {}, "Referral ", OIRU.el("a", { href: "/console/referral?id=" + r.id, text: "#" + r.id }),
        " " + r.state + " to " + (r.provider || "no provider yet") + (r.warning ? " — " + r.warning : "") + ". ")));
      await showReferrals(post);
    } catch (err) { OIRU.showError(err); }
  });
}
