"use strict";
/* Audit log: the hash chain's verification in words (intact; holding together but unanchored, so
   truncation or a consistent rewrite could not be seen; or broken, from which entry) and each
   entry's details as readable pairs. */
OIRU.pages.audit = async function () {
  const { api, el } = OIRU;
  const v = await api("GET", "/api/v1/audit/verify");
  const anchor = v.anchor || {};
  const words = v.ok
    ? "Hash chain intact: " + v.entries + " entries verified" + (anchor.checkpoints ? ", " + anchor.checkpoints + " anchored checkpoints" : "") +
      (anchor.signatures_checked ? ", signatures checked" : (anchor.unsigned ? " (" + anchor.unsigned + " unsigned)" : "")) + "."
    : v.status === "unverifiable"
      ? "Hash chain holds together (" + v.entries + " entries), but nothing vouches for its end: " + (v.problem || "no anchored head") + "."
      : "The audit log does not verify" + (v.first_bad ? " from entry " + v.first_bad : "") + (v.problem ? ": " + v.problem : "") + ".";
  const tone = v.ok ? "info" : (v.status === "unverifiable" ? "warn" : "error");
  OIRU.fill(document.getElementById("verify"), el("p." + tone + "#verify-state", { dataset: { status: v.status || (v.ok ? "ok" : "tampered") }, text: words }),
    v.head ? el("p.hint", {}, "Head hash ", el("span.url", { text: v.head })) : null);
  const details = (d) => {
    if (typeof d === "string") { try { d = JSON.parse(d); } catch (e) { return d; } }
    return d && typeof d === "object" && Object.keys(d).length ? OIRU.describe(d) : "–";
  };
  return OIRU.pager("/api/v1/audit", { limit: 100 }, [
    { title: "#", key: "seq" }, { title: "Time", render: (e) => OIRU.fmtTime(e.at) }, { title: "Actor", key: "actor" },
    { title: "Action", key: "action" }, { title: "Object", render: (e) => e.object_type + " " + e.object_id },
    { title: "Details", render: (e) => el("span.hint", {}, details(e.details)) },
  ], document.getElementById("table"), document.getElementById("more"));
};
