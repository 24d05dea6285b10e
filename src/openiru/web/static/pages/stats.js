"use strict";
/* Statistics over time with Apache ECharts (static/vendor/echarts.min.js): alerts, confirmations,
   referrals and removals per day, flagged posts per day, hours to removal, posts per platform
   per week, the community's share per platform per week (migration) and emerging domains;
   a time-range picker; the per-platform totals as a table. */
OIRU.pages.stats = async function () {
  const { api, el } = OIRU;
  const form = document.getElementById("range");
  const charts = {};
  const esc = (s) => echarts.format.encodeHTML(String(s));

  function chart(id, option, emptyText) {
    const node = document.getElementById(id);
    if (charts[id]) { charts[id].dispose(); delete charts[id]; }
    if (!option) { OIRU.fill(node, OIRU.empty(emptyText[0], emptyText[1])); node.dataset.series = "0"; return; }
    OIRU.fill(node);
    // tooltips are HTML in ECharts: series and axis names come from the data, so they are escaped
    option.tooltip = Object.assign({ trigger: "axis", formatter: (ps) => {
      ps = Array.isArray(ps) ? ps : [ps];
      return esc(ps[0].axisValueLabel || ps[0].name) + "<br>" + ps.map((p) => esc(p.seriesName) + ": " + esc(Array.isArray(p.value) ? p.value[1] : p.value)).join("<br>");
    } }, option.tooltip || {});
    option.animation = false;
    option.grid = Object.assign({ left: 55, right: 20, top: 40, bottom: 60 }, option.grid || {});
    option.legend = Object.assign({ top: 0, type: "scroll" }, option.legend || {});
    charts[id] = echarts.init(node, null, { renderer: "canvas" });
    charts[id].setOption(option);
    node.dataset.series = String(option.series.length);
  }
  const line = (name, data, extra) => Object.assign({ name: name, type: "line", data: data, showSymbol: data.length < 60 }, extra || {});
  const zoom = [{ type: "inside" }, { type: "slider", height: 18, bottom: 8 }];

  function params() {
    const v = Object.fromEntries(new FormData(form));
    const q = new URLSearchParams();
    if (v.quick) q.set("since", new Date(Date.now() - Number(v.quick) * 86400000).toISOString());
    else if (v.since) q.set("since", new Date(v.since + "T00:00:00Z").toISOString());
    if (v.until) q.set("until", new Date(v.until + "T00:00:00Z").toISOString());
    return q;
  }

  async function draw() {
    const q = params();
    const [ts, stats] = await Promise.all([api("GET", "/api/v1/console/timeseries?" + q), api("GET", "/api/v1/stats")]);
    const days = ts.days.map((d) => d.day);
    const sum = (k) => ts.days.reduce((n, d) => n + d[k], 0);
    OIRU.fill(document.getElementById("counters"), [["alerts", "alerts raised"], ["confirmed", "confirmed"], ["rejected", "rejected"], ["referred", "referred"], ["removed", "removed or disabled"]]
      .map(([k, label]) => el("div.counter", { dataset: { counter: k } }, el("div.value", { text: sum(k).toLocaleString("en") }), el("div.label", { text: label }))));
    const none = ["Nothing in this time range.", "Choose a wider range, or all time."];
    const ranged = /(^|&)(since|until)=./.test(q);
    chart("chart-daily", days.length ? { xAxis: { type: "category", data: days }, yAxis: { type: "value", name: "per day" }, dataZoom: zoom,
      series: [line("alerts", ts.days.map((d) => d.alerts)), line("confirmed", ts.days.map((d) => d.confirmed)), line("rejected", ts.days.map((d) => d.rejected)),
        line("referred", ts.days.map((d) => d.referred)), line("removed", ts.days.map((d) => d.removed))] } : null, none);
    const flaggedDays = ts.days.filter((d) => d.flagged_posts);
    chart("chart-flagged", flaggedDays.length ? { xAxis: { type: "category", data: days }, yAxis: { type: "value" }, dataZoom: zoom,
      series: [{ name: "flagged posts", type: "bar", data: ts.days.map((d) => d.flagged_posts) }] } : null, ["No flagged post in this range.", "Alerts appear after a scan (openiru scan)."]);
    chart("chart-removal", ts.removal_hours.length ? { tooltip: { trigger: "item", formatter: (p) => "referral #" + esc(p.value[2]) + ": " + esc(p.value[1]) + " h" },
      xAxis: { type: "time" }, yAxis: { type: "value", name: "hours" },
      series: [{ name: "hours to removal", type: "scatter", symbolSize: 10, data: ts.removal_hours.map((r) => [r.removed_at, r.hours, r.referral]) }] } : null,
      ["No referral was removed in this range.", "Removals are recorded when a provider answers (portal, API or openiru referral feedback)."]);
    const weeks = ts.posts_per_week.weeks;
    chart("chart-weekly", weeks.length ? { xAxis: { type: "category", data: weeks, name: "week from" }, yAxis: { type: "value", name: "posts" }, dataZoom: zoom,
      series: Object.entries(ts.posts_per_week.platforms).map(([p, v]) => ({ name: OIRU.platformName(p), type: "bar", stack: "posts", data: v, itemStyle: { color: OIRU.platformColour(p) } })) } : null, none);
    const mig = ts.migration || [];
    const migPlatforms = [...new Set(mig.flatMap((w) => Object.keys(w.platforms || {})))];
    chart("chart-migration", mig.length ? { xAxis: { type: "category", data: mig.map((w) => w.week) }, yAxis: { type: "value", max: 1, name: "share" },
      series: migPlatforms.map((p) => line(OIRU.platformName(p), mig.map((w) => ((w.platforms || {})[p] || {}).share || 0), { stack: "share", areaStyle: {}, itemStyle: { color: OIRU.platformColour(p) }, lineStyle: { color: OIRU.platformColour(p) } })) } : null,
      ranged ? none : ["No migration to show.", "It needs a ranked community with posts over several weeks."]);
    const doms = (ts.emerging_domains || []).filter((d) => d.weekly && d.weekly.length).slice(0, 8);
    chart("chart-domains", doms.length ? { xAxis: { type: "category", data: doms[0].weekly.map((w) => w.week) }, yAxis: { type: "value", name: "links" },
      series: doms.map((d) => line(d.domain + (d.emerging ? " (emerging)" : ""), d.weekly.map((w) => w.links))) } : null,
      ranged ? none : ["No emerging domain found.", "Domains count when flagged posts link to them; import and scan more data."]);
    const rows = Object.entries(stats.platforms).map(([name, c]) => Object.assign({ platform: name }, c));
    OIRU.table(document.getElementById("table"), [
      { title: "Platform", render: (r) => el("span", {}, OIRU.platformBadge(r.platform), " " + OIRU.platformName(r.platform)) }, { title: "Posts", key: "posts" }, { title: "Accounts", key: "accounts" },
      { title: "Interactions", key: "edges" }, { title: "Unresolved interactions", key: "unresolved_edges" }, { title: "Media", key: "media" },
    ], rows);
  }
  // the report's own SVG charts (report/charts.py escapes every text it draws); parsed as SVG,
  // not HTML, and only drawing elements and attributes are kept before they enter the page
  const SVG_TAGS = new Set(["svg", "g", "rect", "line", "polyline", "polygon", "path", "text", "tspan", "title"]);
  function cleanSvg(text) {
    const doc = new DOMParser().parseFromString(text, "image/svg+xml");
    const root = doc.documentElement;
    if (root.nodeName !== "svg") return null;
    for (const node of [root, ...root.querySelectorAll("*")]) {
      if (!SVG_TAGS.has(node.nodeName)) { node.remove(); continue; }
      for (const a of [...node.attributes]) if (/^on|href$/i.test(a.name) || a.name === "style") node.removeAttribute(a.name);
    }
    return document.importNode(root, true);
  }
  const reportForm = document.getElementById("report-form");
  async function drawReport() {
    const box = document.getElementById("report-charts");
    const q = params();
    q.set("kind", new FormData(reportForm).get("kind"));
    if (q.get("since") && !q.get("until")) q.set("until", new Date(Date.now() + 86400000).toISOString());
    OIRU.fill(box, el("p.muted", { text: "Building the report…" }));
    const rep = await api("GET", "/api/v1/reports/charts?" + q);
    document.getElementById("report-title").textContent = rep.title + " - " + rep.subtitle;
    const figs = rep.charts.map((c) => { const svg = cleanSvg(c.svg); return svg ? el("figure.report-chart", { dataset: { section: c.section } }, svg) : null; }).filter(Boolean);
    OIRU.fill(box, figs.length ? figs : OIRU.empty("This report has no chart for the range.", "Choose another range or report."));
    box.dataset.charts = String(figs.length);
  }
  reportForm.addEventListener("submit", (ev) => { ev.preventDefault(); drawReport().catch(OIRU.showError); });
  form.addEventListener("submit", (ev) => { ev.preventDefault(); draw().then(drawReport).catch(OIRU.showError); });
  window.addEventListener("resize", () => Object.values(charts).forEach((c) => c.resize()));
  await draw();
  await drawReport();
};
