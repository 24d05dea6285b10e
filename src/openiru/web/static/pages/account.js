"use strict";
OIRU.pages.account = async function () {
  const { api, el } = OIRU;
  const platform = OIRU.keyParam("platform"), accountId = OIRU.keyParam("account_id");
  const a = await api("GET", "/api/v1/accounts/" + encodeURIComponent(platform) + "/" + encodeURIComponent(accountId));
  document.getElementById("account").replaceChildren(
    el("p", {}, el("strong", { text: a.platform + ":@" + (a.handle || a.account_id) }), a.display_name ? " · " + a.display_name : ""),
    el("p.meta", { text: "status " + a.status + " · " + a.posts + " posts · followers " + (a.followers ?? "unknown") + " · last seen " + OIRU.fmtTime(a.last_seen) }),
    a.bio ? el("p", { text: a.bio }) : null,
  );
  OIRU.pager("/api/v1/posts", { platform: a.platform, account_id: a.account_id, limit: 20 }, [
    { title: "Post", render: (p) => OIRU.postLink(p) },
    { title: "Time", render: (p) => OIRU.fmtTime(p.timestamp) },
    { title: "Text", render: (p) => (p.text || "").slice(0, 160) },
  ], document.getElementById("table"));
  await showScore(a);
  await showGraph(a);
};

async function showScore(a) {
  const { el } = OIRU;
  const q = "?platform=" + encodeURIComponent(a.platform) + "&account_id=" + encodeURIComponent(a.account_id);
  const s = await OIRU.api("GET", "/api/v1/graph/score" + q).catch(() => null);
  if (!s) return;
  const ev = s.evidence || {};
  const fmt = (v) => (typeof v === "number" ? String(Math.round(v * 10000) / 10000) : JSON.stringify(v));
  const breakdown = ev.score_breakdown || {};
  const weights = ev.weights || {};
  const bars = Object.entries(breakdown).filter(([, v]) => typeof v === "number").map(([k, v]) =>
    el("div.breakdown", {}, el("span.bd-label", { text: k.replace(/_/g, " ") + (weights[k] !== undefined ? " (weight " + weights[k] + ")" : "") }),
      el("meter", { min: "0", max: "1", value: String(v) }), el("span.bd-value", { text: fmt(v) })));
  const rest = Object.entries(ev).filter(([k]) => k !== "score_breakdown" && k !== "weights");
  document.getElementById("score").replaceChildren(
    el("p", {}, el("strong", { text: "Rank " + s.rank + " · score " + s.score.toFixed(4) }), " · role " + s.role + (s.community !== null ? " · community " + s.community : "")),
    el("div#score-breakdown", {}, bars),
    el("table.grid#score-table", {}, el("tbody", {}, rest.map(([k, v]) => el("tr", {}, el("th", { text: k.replace(/_/g, " ") }),
      el("td", {}, v && typeof v === "object" ? Object.entries(v).map(([k2, v2]) => el("span.kv", { text: k2.replace(/_/g, " ") + " " + fmt(v2) })) : fmt(v)))))));
}

/* The neighbourhood as SVG: a small force layout (repulsion, springs, centring) run in the browser,
   written by hand because no graph library may be loaded from a CDN and the graph has at most a
   few dozen nodes.  Nodes can be dragged; clicking one opens that account. */
async function showGraph(a) {
  const NS = "http://www.w3.org/2000/svg";
  const svg = document.getElementById("graph");
  const q = "?platform=" + encodeURIComponent(a.platform) + "&account_id=" + encodeURIComponent(a.account_id);
  const data = await OIRU.api("GET", "/api/v1/graph/neighbourhood" + q);
  const W = 600, H = 400;
  const nodes = data.nodes.map((n, i) => Object.assign({}, n, { x: n.center ? W / 2 : W / 2 + 150 * Math.cos(i), y: n.center ? H / 2 : H / 2 + 120 * Math.sin(i), vx: 0, vy: 0 }));
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const links = data.edges.filter((e) => byId.has(e.source) && byId.has(e.target)).map((e) => ({ s: byId.get(e.source), t: byId.get(e.target), e: e }));
  const mk = (tag, attrs) => { const n = document.createElementNS(NS, tag); for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v); return n; };
  svg.replaceChildren();
  const lines = links.map((l) => { const line = mk("line", { class: "edge", "stroke-width": String(Math.min(6, 1 + Math.log2(l.e.count))) }); const title = mk("title", {}); title.textContent = l.e.kind + " × " + l.e.count; line.append(title); svg.append(line); return line; });
  let dragging = null;
  const circles = nodes.map((n) => {
    const g = mk("g", {});
    const c = mk("circle", { class: "node" + (n.center ? " center" : ""), r: String(n.center ? 10 : 5 + Math.min(8, Math.log2(1 + n.weight))) });
    const label = mk("text", { dx: "8", dy: "3" });
    label.textContent = "@" + (n.handle || n.account_id);
    const title = mk("title", {}); title.textContent = n.platform + ":@" + (n.handle || n.account_id) + " · " + n.weight + " interactions";
    c.append(title);
    c.addEventListener("mousedown", (ev) => { dragging = n; ev.preventDefault(); });
    c.addEventListener("click", () => { if (!n.center && !n.moved) location.href = "/console/account?platform=" + encodeURIComponent(n.platform) + "&account_id=" + encodeURIComponent(n.account_id); n.moved = false; });
    g.append(c, label); svg.append(g); return g;
  });
  svg.addEventListener("mousemove", (ev) => {
    if (!dragging) return;
    const box = svg.getBoundingClientRect();
    dragging.x = (ev.clientX - box.left) * W / box.width; dragging.y = (ev.clientY - box.top) * H / box.height;
    dragging.moved = true; heat = Math.max(heat, 30);
  });
  window.addEventListener("mouseup", () => { dragging = null; });
  let heat = 300;
  function step() {
    for (const a1 of nodes) for (const b of nodes) {
      if (a1 === b) continue;
      const dx = a1.x - b.x, dy = a1.y - b.y, d2 = Math.max(dx * dx + dy * dy, 25);
      a1.vx += 300 * dx / d2; a1.vy += 300 * dy / d2;
    }
    for (const l of links) {
      const dx = l.t.x - l.s.x, dy = l.t.y - l.s.y, d = Math.sqrt(dx * dx + dy * dy) || 1, f = (d - 110) * 0.03;
      l.s.vx += f * dx / d; l.s.vy += f * dy / d; l.t.vx -= f * dx / d; l.t.vy -= f * dy / d;
    }
    for (const n of nodes) {
      n.vx += (W / 2 - n.x) * 0.02; n.vy += (H / 2 - n.y) * 0.02;
      if (n === dragging || n.center) { n.vx = n.vy = 0; if (n.center && n !== dragging) { n.x = W / 2; n.y = H / 2; } continue; }
      n.x = Math.min(W - 10, Math.max(10, n.x + n.vx * 0.5)); n.y = Math.min(H - 10, Math.max(10, n.y + n.vy * 0.5));
      n.vx *= 0.6; n.vy *= 0.6;
    }
  }
  function draw() {
    links.forEach((l, i) => { lines[i].setAttribute("x1", l.s.x); lines[i].setAttribute("y1", l.s.y); lines[i].setAttribute("x2", l.t.x); lines[i].setAttribute("y2", l.t.y); });
    nodes.forEach((n, i) => circles[i].setAttribute("transform", "translate(" + n.x.toFixed(1) + "," + n.y.toFixed(1) + ")"));
  }
  function frame() { if (heat > 0) { step(); heat--; draw(); } requestAnimationFrame(frame); }
  draw(); frame();
  document.getElementById("graph-info").textContent = nodes.length - 1 + " strongest interaction partners, " + links.length + " interaction links among them. Drag nodes; click one to open it.";
}
