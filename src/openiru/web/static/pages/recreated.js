"use strict";
/* Re-created accounts: the old and the new profile side by side (handle, name, bio, avatar,
   status, first and last post, posts, followers) and what links them, in words and bars. */
OIRU.pages.recreated = async function () {
  const { api, el, num } = OIRU;
  const box = document.getElementById("links");
  const more = document.getElementById("more");
  let cursor = null;
  const SIM = { handle: "handle", display_name: "display name", bio: "biography", avatar: "avatar image", audience: "shared audience", content: "shared content" };

  function profile(p, title) {
    const avatar = p.avatar_media && !String(p.avatar_media).startsWith("url:") ? el("img.avatar", { src: "/api/v1/media/" + encodeURIComponent(p.avatar_media), alt: "avatar", loading: "lazy" }) : null;
    const rows = [["Name", p.display_name || "–"], ["Status", p.status === "unknown" ? "active as far as known" : p.status + (p.status_changed_at ? " since " + OIRU.fmtTime(p.status_changed_at) : "")],
      ["Biography", p.bio || "none"], ["First post", OIRU.fmtTime(p.first_post) || "none collected"], ["Last post", OIRU.fmtTime(p.last_post) || "none collected"],
      ["Posts", p.posts === undefined ? "–" : String(p.posts)], ["Followers", p.followers === null || p.followers === undefined ? "not in the export" : p.followers.toLocaleString("en")],
      ["Avatar", avatar || (p.avatar_media ? "named in the export, not collected" : "none")]];
    return el("div.profile", {}, el("h3", { text: title }), OIRU.accountLink(p),
      el("dl", {}, rows.map(([k, v]) => [el("dt", { text: k }), el("dd", { dir: "auto" }, v)])));
  }

  function bars(sim) {
    return el("div.bars", {}, Object.entries(sim || {}).filter(([k, v]) => SIM[k] && typeof v === "number").map(([k, v]) => {
      const f = el("span.fill"); f.style.width = Math.max(0, Math.min(1, v)) * 100 + "%";
      return [el("span", { text: SIM[k] + " similarity" }), el("span.track", {}, f), el("span", { text: num(v) })];
    }));
  }

  async function load() {
    const q = new URLSearchParams({ limit: "50" });
    if (cursor) q.set("cursor", cursor);
    const page = await api("GET", "/api/v1/graph/recreated?" + q);
    cursor = page.next_cursor;
    more.hidden = !cursor;
    const keys = page.items.flatMap((r) => [{ platform: r.predecessor_platform, account_id: r.predecessor_account_id }, { platform: r.platform, account_id: r.account_id }]);
    const people = await OIRU.people(keys, true);
    const byKey = new Map(people.map((p) => [p.platform + ":" + p.account_id, p]));
    const found = await OIRU.watchable();
    const nodes = page.items.map((r) => {
      const ev = r.evidence || {};
      const old = byKey.get(r.predecessor_platform + ":" + r.predecessor_account_id), now = byKey.get(r.platform + ":" + r.account_id);
      const cross = ev.cross_platform || r.platform !== r.predecessor_platform;
      const facts = [];
      if (ev.predecessor_status) facts.push("the older account was " + ev.predecessor_status);
      if (ev.predecessor_stopped) facts.push("it stopped posting " + OIRU.fmtTime(ev.predecessor_stopped));
      if (ev.started) facts.push("the new one started " + OIRU.fmtTime(ev.started));
      if (ev.gap_days !== undefined && ev.gap_days !== null) facts.push(num(ev.gap_days, 1) + " days apart");
      if (ev.overlap_days) facts.push("active together for " + num(ev.overlap_days, 1) + " days");
      if (ev.similarity && ev.similarity.shared_items) facts.push(ev.similarity.shared_items + " items posted by both");
      return el("article.item.recreated-link", {},
        el("h2", { text: (cross ? "Same actor on " + OIRU.platformName(r.platform) : "Re-creation") + " · likelihood " + num(r.score) }),
        el("div.side-by-side", {}, profile(old || {}, cross ? "Older account" : "Removed account"), profile(now || {}, cross ? "Other platform" : "New account")),
        el("p", { text: facts.length ? (facts.join("; ") + ".").replace(/^./, (c) => c.toUpperCase()) : "" }),
        bars(ev.similarity),
        now ? OIRU.watchButton(found, now, "Watch the new account") : null);
    });
    if (!page.items.length && !box.children.length) OIRU.fill(box, OIRU.empty("No re-created accounts found.", "Re-creations are looked for among accounts whose predecessor was suspended or deleted; import account status changes (openiru ingest) to find them."));
    else box.append(...nodes);
  }
  more.addEventListener("click", () => load().catch(OIRU.showError));
  await load();
};
