"use strict";
/* Post view: the post, its detection evidence, its media (blurred until clicked), and "refer". */
OIRU.pages.post = async function () {
  const { api, el } = OIRU;
  const platform = OIRU.keyParam("platform"), postId = OIRU.keyParam("post_id");
  const path = encodeURIComponent(platform) + "/" + postId.split("/").map(encodeURIComponent).join("/");
  const post = await api("GET", "/api/v1/posts/" + path);
  const spans = [];
  const box = document.getElementById("post");
  const textNode = el("pre.text#post-text", { text: post.text });
  box.replaceChildren(
    el("p", {}, el("strong", { text: post.platform + ":" + post.post_id }), " by ", OIRU.accountLink(post.author || post.account), " · ", OIRU.fmtTime(post.timestamp), post.language ? " · " + post.language : ""),
    textNode,
    post.urls.length ? el("p", {}, "Links: ", post.urls.join(" ")) : null,
    post.hashtags.length ? el("p", {}, "Hashtags: ", post.hashtags.map((h) => "#" + h).join(" ")) : null,
  );
  const media = document.getElementById("media-body");
  for (const m of post.media) {
    if (m.missing) { media.append(el("p.hint", { text: "A media item was not collected." })); continue; }
    const src = "/api/v1/media/" + encodeURIComponent(m.media_key);
    const isVideo = (m.mime || "").startsWith("video/");
    const node = isVideo ? el("video.blurred", { src: src, preload: "metadata", controls: true }) : el("img.blurred", { src: src, alt: "collected media (blurred)", loading: "lazy" });
    node.addEventListener("click", () => node.classList.toggle("blurred"));
    media.append(el("figure", {}, node, el("figcaption.hint", { text: (m.mime || "unknown type") + (m.pdq ? " · PDQ " + m.pdq.slice(0, 16) + "…" : "") })));
  }
  await showEvidence(post, textNode, path);
  setUpReferral(post);
};

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
  textNode.replaceChildren(...parts.map((p) => (p instanceof Node ? p : document.createTextNode(p))));
}

async function showEvidence(post, textNode, path) {
  const { api, el } = OIRU;
  const ev = await api("GET", "/api/v1/evidence/" + path).catch(() => null);
  const box = document.getElementById("evidence-body");
  if (!ev || !ev.hits.length) return;
  const ranges = [];
  const lower = post.text.toLowerCase();
  for (const h of ev.hits) {
    if (h.span && post.text.slice(h.span[0], h.span[1]).length) ranges.push(h.span);
    else if (h.term) {
      const i = lower.indexOf(String(h.term).toLowerCase());
      if (i >= 0) ranges.push([i, i + h.term.length]);
    }
  }
  highlight(textNode, post.text, ranges);
  box.replaceChildren(
    el("p", { text: "Alert " + (ev.status || "none") + (ev.priority !== null ? " · priority " + Number(ev.priority).toFixed(3) : "") +
      (ev.model_probability !== null && ev.model_probability !== undefined ? " · classifier score " + Number(ev.model_probability).toFixed(2) : "") +
      (ev.decided_by ? " · decided by " + ev.decided_by : "") + (ev.reason ? " (" + ev.reason + ")" : "") }),
    el("table.grid#evidence-table", {},
      el("thead", {}, el("tr", {}, ["Matcher", "Bank", "Item", "Label", "Distance / similarity", "Term", "Strength"].map((t) => el("th", { text: t })))),
      el("tbody", {}, ev.hits.map((h) => el("tr" + (h.suppressed ? ".decided" : ""), {},
        el("td", { text: h.matcher }), el("td", { text: h.bank || "" }),
        el("td", { text: (h.item || "") + (h.detail && h.detail.source ? " (near-duplicate of " + h.detail.source + ")" : "") }),
        el("td", { text: h.label || "" }),
        el("td", { text: h.distance !== null && h.distance !== undefined ? "distance " + h.distance : (h.similarity !== null && h.similarity !== undefined ? "similarity " + Number(h.similarity).toFixed(3) : "") }),
        el("td", { text: h.term || "" }), el("td", { text: Number(h.strength).toFixed(3) }))))));
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
      out.replaceChildren(...res.referrals.map((r) => OIRU.el("span", {}, "Referral ", OIRU.el("a", { href: "/console/referrals#referral-" + r.id, text: "#" + r.id }),
        " " + r.state + " to " + (r.provider || "no provider yet") + (r.warning ? " — " + r.warning : "") + ". ")));
    } catch (err) { OIRU.showError(err); }
  });
}
