"use strict";
/* Accounts: find by part of the handle, name or id (any case), per platform. */
OIRU.pages.accounts = function () {
  const form = document.getElementById("filter");
  const columns = [
    { title: "Account", render: (a) => OIRU.accountLink(a) },
    { title: "Status", render: (a) => (a.status === "unknown" ? "active as far as known" : a.status) },
    { title: "Followers", render: (a) => (a.followers === null || a.followers === undefined ? "–" : a.followers.toLocaleString("en")) },
    { title: "Last seen", render: (a) => OIRU.fmtTime(a.last_seen) || "–" },
  ];
  const run = () => {
    const params = {};
    for (const [k, v] of new FormData(form)) if (v) params[k] = v;
    return OIRU.pager("/api/v1/console/accounts", params, columns, document.getElementById("table"), document.getElementById("more"));
  };
  form.addEventListener("submit", (ev) => { ev.preventDefault(); run(); });
  return run();
};
