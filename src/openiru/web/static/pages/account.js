"use strict";
OIRU.pages.account = async function () {
  const { api, el } = OIRU;
  const platform = OIRU.keyParam("platform"), accountId = OIRU.keyParam("account_id");
  const a = await api("GET", "/api/v1/accounts/" + encodeURIComponent(platform) + "/" + encodeURIComponent(accountId));
  document.getElementById("account").replaceChildren(
    el("p", {}, el("strong", { text: a.platform + ":@" + (a.handle || a.account_id) }), a.display_name ? " · " + a.display_name : ""),
    el("p.meta", { text: "status " + a.status + " · " + a.posts + " posts · followers " + (a.followers ?? "unknown") + " · last seen " + OIRU.fmtTime(a.last_seen) }),
    a.bio ? el("p", { text: a.bio }) : null,
  );
  OIRU.pager("/api/v1/posts", { platform: a.platform, account_id: a.account_id, limit: 20 }, [
    { title: "Post", render: (p) => OIRU.postLink(p) },
    { title: "Time", render: (p) => OIRU.fmtTime(p.timestamp) },
    { title: "Text", render: (p) => (p.text || "").slice(0, 160) },
  ], document.getElementById("table"));
  if (window.OIRU_ACCOUNT_GRAPH) await window.OIRU_ACCOUNT_GRAPH(a);
};
