"use strict";
/* Bar charts drawn as SVG from /api/v1/stats (and detection/referral statistics where installed). */
OIRU.pages.stats = async function () {
  const { el } = OIRU;
  const NS = "http://www.w3.org/2000/svg";
  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return node;
  }
  function barChart(title, entries) {
    const max = Math.max(1, ...entries.map((e) => e[1]));
    const rowH = 22, width = 560, label = 140;
    const chart = svg("svg", { viewBox: `0 0 ${width} ${entries.length * rowH + 10}`, class: "chart", role: "img", "aria-label": title });
    entries.forEach(([name, value], i) => {
      const w = Math.round(((width - label - 60) * value) / max);
      chart.append(svg("text", { x: 0, y: i * rowH + 15, class: "chart-label" }, name));
      chart.append(svg("rect", { x: label, y: i * rowH + 4, width: Math.max(1, w), height: rowH - 8, class: "bar" }));
      chart.append(svg("text", { x: label + w + 6, y: i * rowH + 15, class: "chart-value" }, value));
    });
    return el("figure.card", {}, el("figcaption", { text: title }), chart);
  }
  const data = await OIRU.api("GET", "/api/v1/stats");
  const rows = Object.entries(data.platforms).map(([name, c]) => Object.assign({ platform: name }, c));
  const charts = document.getElementById("charts");
  OIRU.fill(charts, 
    barChart("Posts per platform", rows.map((r) => [r.platform, r.posts])),
    barChart("Accounts per platform", rows.map((r) => [r.platform, r.accounts])),
  );
  OIRU.table(document.getElementById("table"), [
    { title: "Platform", key: "platform" }, { title: "Posts", key: "posts" }, { title: "Accounts", key: "accounts" },
    { title: "Edges", key: "edges" }, { title: "Unresolved edges", key: "unresolved_edges" }, { title: "Media", key: "media" },
  ], rows);
  // Referrals by state and by provider, from the referral list (where the referral area is installed).
  try {
    const refs = [];
    let cursor = null;
    do {
      const page = await OIRU.api("GET", "/api/v1/referrals?limit=500" + (cursor ? "&cursor=" + cursor : ""));
      refs.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor && refs.length < 20000);
    const count = (key) => Object.entries(refs.reduce((acc, r) => { const k = r[key] || "none"; acc[k] = (acc[k] || 0) + 1; return acc; }, {})).sort((a, b) => b[1] - a[1]);
    if (refs.length) charts.append(barChart("Referrals by state", count("state")), barChart("Referrals by provider", count("provider").slice(0, 15)));
  } catch (err) { /* no referral area */ }
};
