"use strict";
OIRU.pages["key-accounts"] = function () {
  const { el } = OIRU;
  let rank = 0;
  const evidence = (e) => Object.entries(e || {}).slice(0, 6).map(([k, v]) => k + " " + (typeof v === "number" ? Number(v.toFixed ? v.toFixed(3) : v) : JSON.stringify(v))).join(", ");
  return OIRU.pager("/api/v1/graph/key-accounts", { limit: 100 }, [
    { title: "#", render: () => ++rank },
    { title: "Account", render: (a) => OIRU.accountLink(a) },
    { title: "Score", render: (a) => a.score.toFixed(4) },
    { title: "Role", key: "role" },
    { title: "Community", key: "community" },
    { title: "Why", render: (a) => el("span.hint", { text: evidence(a.evidence) }) },
  ], document.getElementById("table"), document.getElementById("more"));
};
