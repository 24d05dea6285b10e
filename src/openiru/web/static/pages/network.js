"use strict";
/* The whole interaction network (or one community, some platforms, a time window): the most
   active accounts and their interactions, drawn with Cytoscape.js; click a node for who it is,
   double-click or "Expand" to add its neighbourhood, export the view as GEXF or PNG. */
OIRU.pages.network = async function () {
  const { api, el } = OIRU;
  const form = document.getElementById("network-filter");
  const box = document.getElementById("graph");
  let view = null, communitiesFilled = false;
  const preset = new URLSearchParams(location.search);
  for (const [k, v] of preset) if (form.elements[k]) {
    if (k === "community" && !form.elements[k].querySelector("option[value='" + CSS.escape(v) + "']")) form.elements[k].append(el("option", { value: v, text: "community " + v }));
    form.elements[k].value = v;
  }

  async function draw() {
    const q = new URLSearchParams();
    for (const [k, v] of new FormData(form)) {
      if (!v) continue;
      q.set(k, (k === "since" || k === "until") ? new Date(v + "T00:00:00Z").toISOString() : v);
    }
    document.getElementById("graph-summary").textContent = "Drawing…";
    const data = await api("GET", "/api/v1/console/network?" + q);
    if (!communitiesFilled) {
      const sel = form.elements.community, current = sel.value;
      OIRU.fill(sel, el("option", { value: "", text: "whole network" }), data.communities.map((c) => el("option", { value: String(c.community), text: "community " + c.community + " (" + c.accounts + " accounts)" })));
      sel.value = current; communitiesFilled = true;
    }
    if (view) { view.cy.destroy(); view = null; }
    if (!data.nodes.length) {
      OIRU.fill(box, OIRU.empty("No interactions in this selection.", "Widen the time window, choose all platforms or the whole network."));
      document.getElementById("graph-summary").textContent = "";
      return;
    }
    OIRU.fill(box);
    view = OIRU.graph.draw(box, data, { minLabelSize: data.nodes.length > 150 ? 12 : 7, colourBy: document.getElementById("graph-colour").value, legend: document.getElementById("graph-legend"),
      onSelect: OIRU.graph.selectedBox(document.getElementById("graph-info"), () => view) });
    const find = document.getElementById("graph-search").value;
    document.getElementById("search-count").textContent = find ? view.search(find) + " found" : "";
    document.getElementById("graph-summary").textContent = data.nodes.length + " most active of " + data.accounts_in_window + " interacting accounts, " + data.edges.length +
      " interaction links. Scroll to zoom, drag to pan, click a node for details, double-click to expand it.";
  }
  document.getElementById("graph-colour").addEventListener("change", (ev) => view && view.colourBy(ev.target.value));
  document.getElementById("graph-search").addEventListener("input", (ev) => {
    if (!view) return;
    const n = view.search(ev.target.value);
    document.getElementById("search-count").textContent = ev.target.value ? n + " found" : "";
  });
  document.getElementById("graph-fit").addEventListener("click", () => view && view.cy.fit(undefined, 24));
  document.getElementById("graph-png").addEventListener("click", () => view && view.exportPng("openiru-network"));
  document.getElementById("graph-gexf").addEventListener("click", () => view && view.exportGexf("openiru-network"));
  form.addEventListener("submit", (ev) => { ev.preventDefault(); draw().catch(OIRU.showError); });
  await draw();
};
