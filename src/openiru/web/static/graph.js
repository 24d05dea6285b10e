/* OpenIRU console: interaction graphs drawn with Cytoscape.js (static/vendor/cytoscape.min.js).
   OIRU.graph.draw(container, data, options) -> view with colourBy(), search(), expand(), exportGexf(), exportPng().
   Nodes are accounts {id, platform, account_id, handle, display_name, role, community, weight};
   edges {source, target, count, kinds|kind}. Click opens the account; double-click expands it. */
"use strict";
(function () {
  const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    "#393b79", "#ad494a", "#637939", "#843c39", "#7b4173", "#3182bd"];
  const PLATFORM_COLOURS = { x: "#111111", telegram: "#229ed9", mastodon: "#6364ff", rocketchat: "#d3303f", zeronet: "#3b7d3b" };
  const ROLE_COLOURS = { originator: "#d62728", amplifier: "#ff7f0e", outlet: "#9467bd", forwarder: "#8c564b", community: "#2ca02c",
    bystander: "#9aa7b4", reporter: "#17becf", core: "#d62728" };

  function colourOf(by, value) {
    if (value === null || value === undefined) return "#9aa7b4";
    if (by === "platform") return PLATFORM_COLOURS[value] || PALETTE[hash(value) % PALETTE.length];
    if (by === "role") return ROLE_COLOURS[value] || PALETTE[hash(value) % PALETTE.length];
    return PALETTE[Number(value) % PALETTE.length];
  }
  function hash(s) { let h = 0; for (const c of String(s)) h = (h * 31 + c.charCodeAt(0)) >>> 0; return h; }

  const fullLabel = (n) => (n.handle && !/\s/.test(n.handle) ? "@" + String(n.handle).replace(/^@/, "") : (n.display_name || n.handle || OIRU.shortId(n.account_id)));
  // long handles (@user@instance) shortened on the drawing; the full one is in the search and the details box
  const label = (n) => { const text = fullLabel(n); return text.length > 22 ? text.slice(0, 21) + "…" : text; };

  function elements(data, centre) {
    const maxW = Math.max(1, ...data.nodes.map((n) => n.weight || 1));
    const nodes = data.nodes.map((n) => ({ group: "nodes", data: Object.assign({}, n, { label: label(n), name: fullLabel(n), size: 12 + 26 * Math.sqrt((n.weight || 1) / maxW),
      centre: n.center || n.id === centre ? 1 : 0 }) }));
    const ids = new Set(data.nodes.map((n) => n.id));
    const edges = data.edges.filter((e) => ids.has(e.source) && ids.has(e.target)).map((e) => ({ group: "edges",
      data: { id: e.source + ">" + e.target + ">" + (e.kind || ""), source: e.source, target: e.target, count: e.count || 1,
        kinds: e.kinds ? Object.entries(e.kinds).map(([k, v]) => k + " " + v).join(", ") : (e.kind || "") + " " + (e.count || 1),
        width: Math.min(8, 1 + Math.log2(e.count || 1)) } }));
    return nodes.concat(edges);
  }

  function draw(container, data, options) {
    options = options || {};
    const cy = cytoscape({
      container: container, elements: elements(data, options.centre), wheelSensitivity: 0.3, minZoom: 0.05, maxZoom: 4,
      style: [
        { selector: "node", style: { "background-color": "data(colour)", width: "data(size)", height: "data(size)", label: "data(label)",
          "font-size": 9, "text-valign": "bottom", "text-margin-y": 2, color: "#1d232b", "text-outline-color": "#fff", "text-outline-width": 2,
          "min-zoomed-font-size": options.minLabelSize || 7, "border-width": 1, "border-color": "#fff" } },
        { selector: "node[centre = 1]", style: { "border-width": 4, "border-color": "#b3261e", "font-weight": "bold" } },
        { selector: "node.match", style: { "border-width": 4, "border-color": "#ffb300", "font-size": 13, "z-index": 10 } },
        { selector: "node.faded, edge.faded", style: { opacity: 0.15 } },
        { selector: "edge", style: { width: "data(width)", "line-color": "#b8c2cc", "target-arrow-color": "#b8c2cc", "target-arrow-shape": "triangle",
          "arrow-scale": 0.6, "curve-style": "bezier", opacity: 0.7 } },
      ],
      layout: { name: "preset" },
    });
    const view = { cy: cy, by: options.colourBy || "community", legend: options.legend };
    view.layout = function () {
      const centre = cy.nodes("[centre = 1]");
      if (centre.length && cy.nodes().length <= 150) {
        // an account's neighbourhood: the account in the middle, its partners on a ring around it,
        // accounts reached by expanding further out; labels stay apart (no force layout's knot)
        const near = centre.neighborhood().nodes();
        cy.layout({ name: "concentric", animate: false, fit: true, padding: 30, minNodeSpacing: 34, avoidOverlap: true,
          startAngle: 1.5 * Math.PI, sort: (a, b) => String(a.data(view.by)).localeCompare(String(b.data(view.by))) || b.data("size") - a.data("size"),
          concentric: (n) => (n.data("centre") ? 3 : near.contains(n) ? 2 : 1), levelWidth: () => 1 }).run();
        return;
      }
      cy.layout({ name: "cose", animate: false, randomize: true, nodeRepulsion: () => 9000, idealEdgeLength: () => 70,
        nodeOverlap: 12, gravity: 0.25, numIter: 1200, fit: true, padding: 24 }).run();
    };
    view.colourBy = function (by) {
      view.by = by;
      const seen = new Map();
      cy.nodes().forEach((n) => { const v = n.data(by); const c = colourOf(by, v); n.data("colour", c); seen.set(v === null || v === undefined ? "unknown" : v, [c, (seen.get(v) || [0, 0])[1] + 1]); });
      if (view.legend) {
        const entries = [...seen.entries()].sort((a, b) => b[1][1] - a[1][1]).slice(0, 16);
        OIRU.fill(view.legend, OIRU.el("strong", { text: "Colour: " + by }), ...entries.map(([v, [c, n]]) => {
          const sw = OIRU.el("span.swatch"); sw.style.background = c;
          const name = by === "platform" ? OIRU.platformName(v) : (by === "community" && v !== "unknown" ? "community " + v : String(v));
          return OIRU.el("span.legend-item", {}, sw, name + " (" + n + ")");
        }));
      }
    };
    view.search = function (text) {
      cy.elements().removeClass("match faded");
      text = (text || "").trim().toLowerCase().replace(/^@/, "");
      if (!text) return 0;
      const hits = cy.nodes().filter((n) => [n.data("handle"), n.data("display_name"), n.data("account_id")].some((v) => v && String(v).toLowerCase().includes(text)));
      cy.elements().addClass("faded"); hits.removeClass("faded").addClass("match"); hits.connectedEdges().removeClass("faded");
      if (hits.length) cy.animate({ fit: { eles: hits, padding: 80 } }, { duration: 300 });
      return hits.length;
    };
    view.expand = async function (node) {
      const d = node.data();
      const more = await OIRU.api("GET", "/api/v1/console/neighbourhood?limit=25&platform=" + encodeURIComponent(d.platform) + "&account_id=" + encodeURIComponent(d.account_id));
      const fresh = elements(more).filter((e) => cy.getElementById(e.data.id).empty());
      const pos = node.position();
      fresh.forEach((e, i) => { if (e.group === "nodes") e.position = { x: pos.x + 80 * Math.cos(i), y: pos.y + 80 * Math.sin(i) }; });
      cy.add(fresh);
      view.colourBy(view.by);
      return fresh.filter((e) => e.group === "nodes").length;
    };
    view.exportPng = function (name) {
      const a = OIRU.el("a", { href: cy.png({ full: true, scale: 2, bg: "#ffffff" }), download: (name || "graph") + ".png" });
      document.body.append(a); a.click(); a.remove();
    };
    view.gexf = function () {
      const esc = (s) => String(s === null || s === undefined ? "" : s).replace(/[<>&"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[c]);
      const attrs = ["platform", "account_id", "handle", "display_name", "role", "community"];
      const lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<gexf xmlns="http://gexf.net/1.3" version="1.3">',
        '<meta><creator>OpenIRU console</creator></meta>', '<graph defaultedgetype="directed">',
        '<attributes class="node">' + attrs.map((a, i) => '<attribute id="' + i + '" title="' + a + '" type="string"/>').join("") + "</attributes>", "<nodes>"];
      cy.nodes().forEach((n) => {
        const d = n.data();
        lines.push('<node id="' + esc(d.id) + '" label="' + esc(d.name || d.label) + '"><attvalues>' + attrs.map((a, i) => '<attvalue for="' + i + '" value="' + esc(d[a]) + '"/>').join("") + "</attvalues></node>");
      });
      lines.push("</nodes>", "<edges>");
      cy.edges().forEach((e, i) => { const d = e.data(); lines.push('<edge id="' + i + '" source="' + esc(d.source) + '" target="' + esc(d.target) + '" weight="' + esc(d.count) + '" label="' + esc(d.kinds) + '"/>'); });
      lines.push("</edges>", "</graph>", "</gexf>");
      return lines.join("\n");
    };
    view.exportGexf = function (name) {
      const url = URL.createObjectURL(new Blob([view.gexf()], { type: "application/gexf+xml" }));
      const a = OIRU.el("a", { href: url, download: (name || "graph") + ".gexf" });
      document.body.append(a); a.click(); a.remove(); setTimeout(() => URL.revokeObjectURL(url), 1000);
    };
    cy.on("tap", "node", (ev) => {
      const d = ev.target.data();
      if (options.onSelect) options.onSelect(d, ev.target);
    });
    cy.on("dbltap", "node", (ev) => { view.expand(ev.target).catch(OIRU.showError); });
    cy.on("mouseover", "node", (ev) => { container.title = OIRU.platformName(ev.target.data("platform")) + " · " + OIRU.personLabel(ev.target.data()) + " · id " + ev.target.data("account_id"); });
    view.colourBy(view.by);
    view.layout();
    container.dataset.nodes = String(cy.nodes().length);
    return view;
  }

  /* The info box under a graph: who the clicked node is, with "open" and "expand". */
  function selectedBox(box, view) {
    return function (d, node) {
      OIRU.fill(box, OIRU.accountLink(d), d.role ? " · " + d.role : "", d.community !== null && d.community !== undefined ? " · community " + d.community : "",
        " · " + (d.weight || 0) + " interactions · ",
        OIRU.el("button.secondary#graph-expand", { type: "button", onclick: async () => {
          try { const n = await view().expand(node); OIRU.flash(n + " more accounts around " + OIRU.personLabel(d) + "."); } catch (err) { OIRU.showError(err); } } }, "Expand"), " ",
        OIRU.el("a", { href: OIRU.accountHref(d) }, "Open account"));
    };
  }

  window.OIRU.graph = { draw: draw, colourOf: colourOf, selectedBox: selectedBox };
})();
