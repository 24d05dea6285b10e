"use strict";
/* Account view: who it is (handle, name, bio, status), its links (re-creations, other platforms,
   coordination groups, referrals, "refer this account"), its network score with the breakdown
   as bars and the reasons in words, its neighbourhood graph (Cytoscape.js) and its posts. */
OIRU.pages.account = async function () {
  const { api, el } = OIRU;
  const platform = OIRU.keyParam("platform"), accountId = OIRU.keyParam("account_id");
  const a = await api("GET", "/api/v1/accounts/" + encodeURIComponent(platform) + "/" + encodeURIComponent(accountId));
  const facts = [["Platform", OIRU.platformName(a.platform)], ["Account id", a.account_id], ["Status", a.status === "unknown" ? "active as far as known" : a.status],
    ["Posts collected", a.posts], ["Followers", a.followers === null || a.followers === undefined ? "not in the export" : a.followers.toLocaleString("en")],
    ["Created", a.created_at ? OIRU.fmtTime(a.created_at) : "not in the export"], ["First seen", OIRU.fmtTime(a.first_seen) || "–"], ["Last seen", OIRU.fmtTime(a.last_seen) || "–"]];
  OIRU.fill(document.getElementById("account"), 
    el("h2", { dir: "auto" }, OIRU.platformBadge(a.platform), " ", a.display_name || (a.handle ? "@" + a.handle : a.account_id),
      a.handle && a.display_name ? el("span.hint", { text: " @" + a.handle }) : null),
    a.bio ? OIRU.userText("p.bio#account-bio", a.bio) : el("p.hint", { text: "No biography in the collected profile." }),
    el("dl.facts", {}, facts.map(([k, v]) => [el("dt", { text: k }), el("dd", { text: String(v) })])),
  );
  document.title = OIRU.personLabel(a) + " · OpenIRU";
  OIRU.pager("/api/v1/posts", { platform: a.platform, account_id: a.account_id, limit: 20 }, [
    { title: "Time", render: (p) => OIRU.postLink(p, OIRU.fmtTime(p.timestamp)) },
    { title: "Language", render: (p) => p.language || "–" },
    { title: "Text", dir: true, render: (p) => (p.text || "(media only)").slice(0, 200) },
  ], document.getElementById("table"), document.getElementById("more"));
  await Promise.all([showLinks(a), showScore(a)]);
  await showGraph(a);
};

async function showLinks(a) {
  const { el } = OIRU;
  const box = document.getElementById("links");
  const q = "?platform=" + encodeURIComponent(a.platform) + "&account_id=" + encodeURIComponent(a.account_id);
  const links = await OIRU.api("GET", "/api/v1/console/account-links" + q).catch((err) => { OIRU.showError(err); return null; });
  if (!links) return;
  const list = (items, render, none) => (items.length ? el("ul", {}, items.map((x) => el("li", {}, render(x)))) : el("p.hint", { text: none }));
  const person = (x) => [OIRU.accountLink(x), x.score !== null && x.score !== undefined ? " · likelihood " + OIRU.num(x.score) : "", x.link ? " · " + x.link : "", x.status && x.status !== "unknown" ? " · " + x.status : ""];
  const role = document.body.dataset.role;
  OIRU.fill(box, el("div.links-grid", {},
    el("div#links-recreated", {}, el("h3", { text: "Re-creations" }),
      list(links.predecessors, (x) => ["Re-creates ", person(x)], "Not known as the re-creation of a removed account."),
      list(links.successors, (x) => ["Re-created as ", person(x)], "No later account looks like its re-creation.")),
    el("div#links-platforms", {}, el("h3", { text: "Same actor on other platforms" }),
      list(links.other_platforms, person, "No account on another platform is linked to it.")),
    el("div#links-coordination", {}, el("h3", { text: "Coordination groups" }),
      list(links.coordination, (g) => el("a", { href: "/console/coordination#group-" + (g.index + 1), text: "Group " + (g.index + 1) + " · " + g.kind + " · " + g.accounts + " accounts · score " + OIRU.num(g.score, 3) }),
        "Not in any coordinated group.")),
    el("div#links-referrals", {}, el("h3", { text: "Referrals" }),
      list(links.referrals, (r) => [el("a.referral-link", { href: "/console/referral?id=" + r.id, text: "#" + r.id + " " + r.reference }), " · " + r.state.replace(/_/g, " ") + " · " + (r.provider || "no provider yet")],
        "No referral covers this account or its posts."),
      role === "analyst" || role === "admin" ? el("button#refer-account", { type: "button", onclick: () => referAccount(a) }, "Refer this account") : null,
      el("p#refer-account-result"))));
}

async function referAccount(a) {
  const reason = prompt("Reason for referring " + OIRU.personLabel(a) + " (optional):", "");
  if (reason === null) return;
  try {
    const res = await OIRU.api("POST", "/api/v1/referrals", { targets: [a.platform + ":@" + a.account_id], kind: "referral", reason: reason || null });
    OIRU.fill(document.getElementById("refer-account-result"), ...res.referrals.map((r) => OIRU.el("span", {}, "Referral ",
      OIRU.el("a", { href: "/console/referral?id=" + r.id, text: "#" + r.id }), " " + r.state + " to " + (r.provider || "no provider yet") + ". ")));
  } catch (err) { OIRU.showError(err); }
}

async function showScore(a) {
  const { el, num } = OIRU;
  const q = "?platform=" + encodeURIComponent(a.platform) + "&account_id=" + encodeURIComponent(a.account_id);
  const box = document.getElementById("score");
  const s = await OIRU.api("GET", "/api/v1/graph/score" + q).catch(() => null);
  if (!s) { OIRU.fill(box, OIRU.empty("This account is not in the network ranking.", "The ranking covers accounts with interactions; run openiru accounts after importing more data.")); return; }
  const ev = s.evidence || {};
  const breakdown = ev.score_breakdown || {};
  const weights = ev.weights || {};
  const bar = (v) => { const f = el("span.fill"); f.style.width = Math.max(0, Math.min(1, v)) * 100 + "%"; return el("span.track", {}, f); };
  const counts = ev.counts || {};
  OIRU.fill(box, 
    el("p", {}, el("strong", { text: "Rank " + s.rank + " · score " + num(s.score, 3) }), " · role " + s.role + (s.community !== null && s.community !== undefined ? " · community " + s.community : "")),
    ev.why ? el("p.why#score-why", { text: "Why: " + ev.why }) : null,
    el("div.bars#score-breakdown", {}, Object.entries(breakdown).filter(([, v]) => typeof v === "number").map(([k, v]) => [
      el("span.bd-label", { text: OIRU.words(k) + (weights[k] !== undefined ? " (weight " + weights[k] + ")" : "") }), bar(v), el("span.bd-value", { text: num(v) })])),
    Object.keys(counts).length ? el("table.grid#score-table", {}, el("tbody", {}, Object.entries(counts).map(([k, v]) => el("tr", {}, el("th", { text: OIRU.words(k) }), el("td", {}, OIRU.describe(v)))))) : null,
  );
}

async function showGraph(a) {
  const box = document.getElementById("graph");
  const q = "?limit=40&platform=" + encodeURIComponent(a.platform) + "&account_id=" + encodeURIComponent(a.account_id);
  const data = await OIRU.api("GET", "/api/v1/console/neighbourhood" + q);
  if (data.nodes.length <= 1) {
    OIRU.fill(box, OIRU.empty("No interactions of this account were collected.", "Replies, reposts, quotes, mentions and forwards make the graph; import more of its platform."));
    box.classList.remove("graph-box");
    return;
  }
  let view = null;
  view = OIRU.graph.draw(box, data, { centre: a.platform + ":" + a.account_id, colourBy: "community", legend: document.getElementById("graph-legend"),
    onSelect: OIRU.graph.selectedBox(document.getElementById("graph-info"), () => view) });
  document.getElementById("graph-colour").addEventListener("change", (ev) => view.colourBy(ev.target.value));
  document.getElementById("graph-search").addEventListener("input", (ev) => view.search(ev.target.value));
  document.getElementById("graph-png").addEventListener("click", () => view.exportPng("neighbourhood-" + a.platform + "-" + a.account_id));
  document.getElementById("graph-gexf").addEventListener("click", () => view.exportGexf("neighbourhood-" + a.platform + "-" + a.account_id));
  document.getElementById("graph-info").textContent = (data.nodes.length - 1) + " strongest interaction partners, " + data.edges.length + " links among them. Click a node for details, double-click to expand it.";
}
