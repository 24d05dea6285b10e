"use strict";
/* Posts, newest first, with their authors by name and handle. */
OIRU.pages.posts = function () {
  const form = document.getElementById("filter");
  const table = document.getElementById("table");
  const columns = [
    { title: "Time", render: (p) => OIRU.postLink(p, OIRU.fmtTime(p.timestamp)) },
    { title: "Author", render: (p) => OIRU.accountLink(p.account) },
    { title: "Language", render: (p) => p.language || "–" },
    { title: "Text", dir: true, render: (p) => (p.text || "(media only)").slice(0, 200) },
  ];
  let cursor = null;
  async function load(append) {
    const q = new URLSearchParams({ limit: "50" });
    for (const [k, v] of new FormData(form)) if (v) q.set(k, v);
    if (append && cursor) q.set("cursor", cursor);
    const page = await OIRU.api("GET", "/api/v1/posts?" + q);
    const authors = await OIRU.people(page.items.map((p) => p.account));
    page.items.forEach((p, i) => { p.account = authors[i]; });
    OIRU.table(table, columns, page.items, append);
    cursor = page.next_cursor;
    document.getElementById("more").hidden = !cursor;
  }
  document.getElementById("more").onclick = () => load(true).catch(OIRU.showError);
  form.addEventListener("submit", (ev) => { ev.preventDefault(); load(false).catch(OIRU.showError); });
  return load(false);
};
