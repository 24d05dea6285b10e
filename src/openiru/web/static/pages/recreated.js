"use strict";
OIRU.pages.recreated = function () {
  const { el } = OIRU;
  return OIRU.pager("/api/v1/graph/recreated", { limit: 200 }, [
    { title: "Account", render: (r) => OIRU.accountLink({ platform: r.platform, account_id: r.account_id }) },
    { title: "Re-creation of", render: (r) => OIRU.accountLink({ platform: r.predecessor_platform, account_id: r.predecessor_account_id }) },
    { title: "Score", render: (r) => Number(r.score).toFixed(3) },
    { title: "Evidence", render: (r) => el("span.hint", { text: JSON.stringify(r.evidence).slice(0, 300) }) },
  ], document.getElementById("table"));
};
