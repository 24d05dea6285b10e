"use strict";
OIRU.pages.posts = function () {
  const form = document.getElementById("filter");
  const columns = [
    { title: "Post", render: (p) => OIRU.postLink(p) },
    { title: "Author", render: (p) => OIRU.accountLink(p.account) },
    { title: "Time", render: (p) => OIRU.fmtTime(p.timestamp) },
    { title: "Language", key: "language" },
    { title: "Text", render: (p) => (p.text || "").slice(0, 160) },
  ];
  const run = () => {
    const params = {};
    for (const [k, v] of new FormData(form)) if (v) params[k] = v;
    return OIRU.pager("/api/v1/posts", params, columns, document.getElementById("table"), document.getElementById("more"));
  };
  form.addEventListener("submit", (ev) => { ev.preventDefault(); run(); });
  return run();
};
