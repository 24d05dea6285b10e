"use strict";
OIRU.pages.audit = async function () {
  const { api, el } = OIRU;
  const v = await api("GET", "/api/v1/audit/verify");
  OIRU.fill(document.getElementById("verify"), el("p." + (v.ok ? "info" : "error"), { text: v.ok ? "Hash chain intact: " + JSON.stringify(v) : "The audit log does not verify: " + JSON.stringify(v) }));
  return OIRU.pager("/api/v1/audit", { limit: 100 }, [
    { title: "#", key: "seq" }, { title: "Time", render: (e) => OIRU.fmtTime(e.at) }, { title: "Actor", key: "actor" },
    { title: "Action", key: "action" }, { title: "Object", render: (e) => e.object_type + " " + e.object_id },
    { title: "Details", render: (e) => el("span.hint", { text: JSON.stringify(e.details).slice(0, 200) }) },
  ], document.getElementById("table"), document.getElementById("more"));
};
