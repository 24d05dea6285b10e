"use strict";
OIRU.pages.accounts = function () {
  const form = document.getElementById("filter");
  const columns = [
    { title: "Account", render: (a) => OIRU.accountLink(a) },
    { title: "Display name", key: "display_name" },
    { title: "Status", key: "status" },
    { title: "Followers", key: "followers" },
    { title: "Last seen", render: (a) => OIRU.fmtTime(a.last_seen) },
  ];
  const run = () => {
    const params = {};
    for (const [k, v] of new FormData(form)) if (v) params[k] = v;
    return OIRU.pager("/api/v1/accounts", params, columns, document.getElementById("table"), document.getElementById("more"));
  };
  form.addEventListener("submit", (ev) => { ev.preventDefault(); run(); });
  return run();
};
