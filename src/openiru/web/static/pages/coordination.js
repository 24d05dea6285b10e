"use strict";
/* Coordination groups: members as links with their handles, the statistics in words, a timeline
   of the synchronised posts (ECharts: each burst from its first post, one row per member) and a
   table of every burst: the item, who posted it, when and how many seconds after the first. */
OIRU.pages.coordination = async function () {
  const { api, el, num } = OIRU;
  const page = await api("GET", "/api/v1/graph/coordination?limit=200");
  const box = document.getElementById("groups");
  if (!page.items.length) { OIRU.fill(box, OIRU.empty("No coordinated groups found.", "Coordination needs several accounts posting the same items within minutes, repeatedly; import more of the platforms they use.")); return; }
  const KIND = { "co-post": "posted the same text", "co-link": "shared the same link", "co-repost": "reposted the same post", "co-similar-text": "posted near-identical text", "co-hashtag": "used the same hashtag" };
  const charts = [];
  OIRU.fill(box, page.items.map((g, i) => {
    const ev = g.evidence || {};
    const members = new Map(g.accounts.map((a) => [a.platform + ":" + a.account_id, a]));
    const items = ev.items || [];
    const nm = ev.null_model || {};
    const chartBox = el("div.chart-box.small.timeline", { id: "timeline-" + (i + 1) });
    charts.push([chartBox, g, members, items]);
    const who = (p) => { const a = members.get((p.platform || g.accounts[0].platform) + ":" + p.account_id) || { platform: p.platform || g.accounts[0].platform, account_id: p.account_id }; return OIRU.accountLink(a); };
    return el("article.item.group", { id: "group-" + (i + 1) },
      el("h2", {}, "Group " + (i + 1) + ": " + g.accounts.length + " accounts " + (KIND[g.kind] || g.kind) + " within " + Math.round(ev.window_seconds || 0) + " seconds"),
      el("p.members", {}, "Members: ", g.accounts.map((a, j) => [j ? ", " : "", OIRU.accountLink(a)])),
      el("p", { text: (ev.item_count || items.length) + " items in common, " + num(ev.mean_repeats, 1) + " times per pair on average, " + (ev.pairs || 0) + " pairs (density " + num(ev.density) + ")" +
        (nm.co_occurrences !== undefined ? "; " + nm.co_occurrences + " co-occurrences where " + num(nm.expected_by_chance) + " were expected by chance (z " + num(nm.z, 1) + ", p " + num(nm.p_value, 3) + ")" : "") +
        (ev.first ? "; from " + OIRU.fmtTime(ev.first) + " to " + OIRU.fmtTime(ev.last) : "") + ". Score " + num(g.score, 3) + "." }),
      chartBox,
      el("details", {}, el("summary", { text: "The " + items.length + " synchronised bursts" }),
        el("table.grid.bursts", {}, el("thead", {}, el("tr", {}, ["Item", "First post", "Who posted, seconds after the first"].map((t) => el("th", { text: t })))),
          el("tbody", {}, items.map((it) => {
            const t0 = Math.min(...it.posts.map((p) => new Date(p.time).getTime()));
            return el("tr", {}, el("td", { dir: "auto", text: itemName(it.item) }), el("td", { text: OIRU.fmtTime(new Date(t0).toISOString()) }),
              el("td", {}, it.posts.map((p, j) => [j ? "; " : "", who(p), " ", OIRU.postLink({ platform: p.platform || g.accounts[0].platform, post_id: p.post_id }, "+" + Math.round((new Date(p.time).getTime() - t0) / 1000) + " s")])));
          })))));
  }));
  const target = location.hash && document.querySelector(location.hash);
  if (target) target.scrollIntoView();
  for (const [node, g, members, items] of charts) timeline(node, g, members, items);
};

function itemName(item) {
  const s = String(item || "");
  const m = /^similar:text:(.+)$/.exec(s);
  if (m) return "similar text (cluster " + m[1].slice(0, 8) + ")";
  return s.replace(/^(link|post|repost|hashtag|text):/, "");
}

function timeline(node, g, members, items) {
  const names = g.accounts.map((a) => OIRU.personLabel(a));
  const index = new Map(g.accounts.map((a, i) => [a.account_id, i]));
  const chart = echarts.init(node, null, { renderer: "canvas" });
  chart.setOption({
    animation: false,
    grid: { left: 200, right: 20, top: 10, bottom: 40 },
    // ECharts writes the tooltip as HTML: every collected string is escaped first
    tooltip: { trigger: "item", formatter: (p) => [p.data[3], names[p.data[1]] + ": +" + p.data[0] + " s, " + p.data[2]].map(echarts.format.encodeHTML).join("<br>") },
    xAxis: { type: "value", name: "seconds after the burst's first post", nameLocation: "middle", nameGap: 25, min: 0 },
    yAxis: { type: "category", data: names, axisLabel: { width: 190, overflow: "truncate" } },
    series: items.map((it) => {
      const t0 = Math.min(...it.posts.map((p) => new Date(p.time).getTime()));
      return { type: "scatter", name: itemName(it.item), symbolSize: 10,
        data: it.posts.filter((p) => index.has(p.account_id)).map((p) => [Math.round((new Date(p.time).getTime() - t0) / 1000), index.get(p.account_id), OIRU.fmtTime(p.time), itemName(it.item)]) };
    }),
  });
  node.dataset.points = String(items.reduce((n, it) => n + it.posts.length, 0));
}
