"use strict";
/* Key accounts: the ranking with each account's handle, role, community and the reasons in words. */
OIRU.pages["key-accounts"] = function () {
  const { el } = OIRU;
  let rank = 0;
  const why = (a) => {
    const ev = a.evidence || {};
    if (ev.why) return el("span.why", { text: ev.why });
    const parts = Object.entries(ev.score_breakdown || {}).filter(([, v]) => typeof v === "number").sort((x, y) => y[1] - x[1]).slice(0, 3);
    return el("span.why", { text: parts.length ? "strongest parts: " + parts.map(([k, v]) => OIRU.words(k) + " " + OIRU.num(v)).join(", ") : "no breakdown recorded" });
  };
  const form = document.getElementById("filter");
  const run = async () => {
    const found = await OIRU.watchable();
    rank = 0;
    const params = { limit: 100 };
    for (const [k, v] of new FormData(form)) if (v) params[k] = v;
    return OIRU.pager("/api/v1/graph/key-accounts", params, [
      { title: "#", render: () => ++rank },
      { title: "Account", render: (a) => OIRU.accountLink(a) },
      { title: "Score", render: (a) => OIRU.num(a.score, 3) },
      { title: "Role", render: (a) => el("span.nowrap", { text: a.role || "–" }) },
      { title: "Community", render: (a) => (a.community === null || a.community === undefined ? "none" : el("a.nowrap", { href: "/console/network?community=" + a.community, text: "community " + a.community })) },
      { title: "Why", render: why },
      ...(found.size ? [{ title: "", render: (a) => OIRU.watchButton(found, a) || "" }] : []),
    ], document.getElementById("table"), document.getElementById("more"));
  };
  if (form) form.addEventListener("submit", (ev) => { ev.preventDefault(); run(); });
  return run();
};
