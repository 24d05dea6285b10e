/* OpenIRU console: shared helpers for every page (no framework, no CDN).
   Each page script registers OIRU.pages[name] = function () {...}; it runs on load. */
"use strict";
(function () {
  const csrf = () => (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  class ApiError extends Error {
    constructor(status, body) {
      const err = (body && body.error) || {};
      super(err.message || ("HTTP " + status));
      this.status = status;
      this.code = err.code || "error";
    }
  }

  async function api(method, path, body) {
    const opts = { method: method, headers: { "Accept": "application/json" }, credentials: "same-origin" };
    if (method !== "GET") opts.headers["X-CSRF-Token"] = csrf();
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    const res = await fetch(path, opts);
    let data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    if (res.status === 401 && location.pathname !== "/login") {
      location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
    }
    if (!res.ok) throw new ApiError(res.status, data);
    return data;
  }

  /* el("tag.class#id", {attr: value, onclick: fn}, children...): builds DOM without innerHTML,
     so no collected text is ever parsed as markup. */
  function el(spec, attrs, ...children) {
    const m = spec.match(/^([a-z0-9]+)((?:[.#][\w-]+)*)$/i);
    const node = document.createElement(m ? m[1] : "div");
    if (m && m[2]) {
      for (const part of m[2].match(/[.#][\w-]+/g)) {
        if (part[0] === ".") node.classList.add(part.slice(1)); else node.id = part.slice(1);
      }
    }
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (k === "text") node.textContent = v;
      else if (k === "dataset") Object.assign(node.dataset, v);
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  function flash(message, kind) {
    const box = document.getElementById("flash");
    if (!box) return;
    box.replaceChildren(el("p." + (kind || "info"), { text: message }));
  }

  function showError(err) {
    if (err && err.status === 404 && err.code === "not_found" && err.message === "Not Found") {
      flash("This part of OpenIRU is not installed on this server.", "error");
    } else {
      flash((err && err.message) || String(err), "error");
    }
  }

  function fmtTime(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    return isNaN(d) ? iso : d.toISOString().replace("T", " ").slice(0, 16) + " UTC";
  }

  function fmtDuration(ms) {
    const neg = ms < 0;
    let s = Math.floor(Math.abs(ms) / 1000);
    const h = Math.floor(s / 3600); s -= h * 3600;
    const m = Math.floor(s / 60); s -= m * 60;
    const txt = (h ? h + "h " : "") + String(m).padStart(h ? 2 : 1, "0") + "m " + String(s).padStart(2, "0") + "s";
    return neg ? "overdue by " + txt : txt;
  }

  function table(node, columns, rows, append) {
    if (!append || !node.querySelector("thead")) {
      node.replaceChildren(el("thead", {}, el("tr", {}, columns.map((c) => el("th", { text: c.title })))), el("tbody"));
    }
    const body = node.querySelector("tbody");
    for (const row of rows) {
      body.append(el("tr", {}, columns.map((c) => {
        const v = c.render ? c.render(row) : row[c.key];
        return el("td", {}, v instanceof Node ? v : (v === null || v === undefined ? "" : String(v)));
      })));
    }
  }

  /* Cursor pagination: load(path, params) fills table, "More" fetches next_cursor. */
  function pager(path, params, columns, node, moreButton) {
    let cursor = null;
    async function load(append) {
      const q = new URLSearchParams(params);
      if (cursor) q.set("cursor", cursor);
      try {
        const page = await api("GET", path + (q.toString() ? "?" + q : ""));
        table(node, columns, page.items, append);
        cursor = page.next_cursor;
        if (moreButton) moreButton.hidden = !cursor;
        return page;
      } catch (err) { showError(err); return null; }
    }
    if (moreButton) moreButton.onclick = () => load(true);
    return load(false);
  }

  const keyParam = (name) => new URLSearchParams(location.search).get(name);

  const postLink = (p) => el("a", { href: "/console/post?platform=" + encodeURIComponent(p.platform) + "&post_id=" + encodeURIComponent(p.post_id), text: p.platform + ":" + p.post_id });
  const accountLink = (a) => el("a", { href: "/console/account?platform=" + encodeURIComponent(a.platform) + "&account_id=" + encodeURIComponent(a.account_id), text: a.platform + ":@" + (a.handle || a.account_id) });

  window.OIRU = { api, el, flash, showError, fmtTime, fmtDuration, table, pager, keyParam, postLink, accountLink, pages: {} };

  document.addEventListener("DOMContentLoaded", () => {
    const out = document.getElementById("logout");
    if (out) out.addEventListener("click", async () => {
      try { await api("POST", "/api/v1/auth/logout"); } catch (e) { /* already gone */ }
      location.href = "/login";
    });
    const page = document.body.dataset.page;
    const init = window.OIRU.pages[page];
    if (init) Promise.resolve(init()).catch(showError);
  });
})();
