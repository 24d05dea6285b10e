"use strict";
OIRU.pages.coordination = async function () {
  const { api, el } = OIRU;
  const page = await api("GET", "/api/v1/graph/coordination?limit=200");
  const box = document.getElementById("groups");
  OIRU.fill(box, ...page.items.map((g, i) => el("article.item", {},
    el("div", {}, el("strong", { text: "Group " + (i + 1) + " · " + g.kind }), " · score " + Number(g.score).toFixed(3) + " · " + g.accounts.length + " accounts"),
    el("p", {}, g.accounts.map((a, j) => [j ? ", " : "", OIRU.accountLink(a)])),
    el("details", {}, el("summary", { text: "Evidence" }), el("pre.text", { text: JSON.stringify(g.evidence, null, 1).slice(0, 4000) })))));
  if (!page.items.length) OIRU.fill(box, el("p.hint", { text: "No coordinated groups found." }));
};
