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
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  /* node.replaceChildren without the DOM's habit of writing null as "null": nested lists
     flattened, null/undefined/false left out. */
  function fill(node, ...children) {
    node.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false)
      .map((c) => (c instanceof Node ? c : document.createTextNode(String(c)))));
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
    const d = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) || !/T|\s\d/.test(iso) ? iso : String(iso).replace(" ", "T") + "Z");
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
    if (!append && !rows.length) body.append(el("tr", {}, el("td.empty", { colspan: String(columns.length), text: node.dataset.empty || "Nothing matches." })));
    for (const row of rows) {
      body.append(el("tr", {}, columns.map((c) => {
        const v = c.render ? c.render(row) : row[c.key];
        return el("td", c.dir ? { dir: "auto" } : {}, v instanceof Node ? v : (v === null || v === undefined ? "–" : String(v)));
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

  /* Platforms: a short label drawn as a coloured badge (no icon font, nothing fetched). */
  const PLATFORMS = { x: ["X", "X (Twitter)"], telegram: ["TG", "Telegram"], mastodon: ["M", "Mastodon"],
    rocketchat: ["RC", "Rocket.Chat"], zeronet: ["ZN", "ZeroNet"], facebook: ["FB", "Facebook"], youtube: ["YT", "YouTube"],
    tiktok: ["TT", "TikTok"], instagram: ["IG", "Instagram"], vk: ["VK", "VK"], web: ["W", "Web"] };
  const PLATFORM_COLOURS = { x: "#111111", telegram: "#229ed9", mastodon: "#6364ff", rocketchat: "#d3303f", zeronet: "#3b7d3b" };
  const platformColour = (p) => PLATFORM_COLOURS[p];
  const platformName = (p) => (PLATFORMS[p] || [null, p])[1];
  const platformBadge = (p) => el("span.platform.platform-" + String(p).replace(/[^\w-]/g, ""), { title: platformName(p), text: (PLATFORMS[p] || [String(p).slice(0, 2).toUpperCase()])[0] });

  /* Who a person is, in words: display name and @handle (the id when there is no handle). */
  function personLabel(a) {
    // some sources put the channel's title where a handle goes: no "@" before a name with spaces
    const raw = a.handle ? String(a.handle).replace(/^@/, "") : null;
    const handle = raw && !/\s/.test(raw) ? "@" + raw : null;
    if (raw && !handle && !a.display_name) return raw;
    if (a.display_name && handle) return a.display_name + " (" + handle + ")";
    return a.display_name || handle || a.account_id;
  }
  const postHref = (p) => "/console/post?platform=" + encodeURIComponent(p.platform) + "&post_id=" + encodeURIComponent(p.post_id);
  const accountHref = (a) => "/console/account?platform=" + encodeURIComponent(a.platform) + "&account_id=" + encodeURIComponent(a.account_id);
  const postLink = (p, label) => el("a.post-link", { href: postHref(p), title: platformName(p.platform) + " post " + p.post_id },
    platformBadge(p.platform), " ", label || "post " + shortId(p.post_id));
  /* A person as a link: platform badge, display name and handle; the id on hover. */
  const accountLink = (a) => el("a.person", { href: accountHref(a), dir: "auto", dataset: { account: a.platform + ":" + a.account_id },
    title: platformName(a.platform) + " account id " + a.account_id }, platformBadge(a.platform), " ", personLabel(a));
  function shortId(id) { id = String(id); return id.length > 14 ? id.slice(0, 6) + "…" + id.slice(-6) : id; }

  /* Handles for accounts known only by id: one request per batch, cached for the page. */
  const peopleCache = new Map();
  async function people(accounts, profile) {
    const want = accounts.map((a) => a.platform + ":" + a.account_id).filter((k) => profile || !peopleCache.has(k));
    const unique = [...new Set(want)];
    for (let i = 0; i < unique.length; i += 200) {
      const q = new URLSearchParams(unique.slice(i, i + 200).map((k) => ["key", k]));
      if (profile) q.set("profile", "true");
      try {
        const page = await api("GET", "/api/v1/console/people?" + q);
        for (const p of page.items) peopleCache.set(p.platform + ":" + p.account_id, p);
      } catch (err) { showError(err); break; }
    }
    return accounts.map((a) => Object.assign({}, a, peopleCache.get(a.platform + ":" + a.account_id) || {}, a.handle ? { handle: a.handle } : {}));
  }

  /* Text people wrote: laid out by its own script direction (Arabic right to left). */
  const userText = (tag, text) => el(tag, { dir: "auto", text: text || "" });

  /* An empty state: what is missing, why, and what to do. */
  const empty = (why, todo) => el("div.empty", {}, el("p", { text: why }), todo ? el("p.hint", { text: todo }) : null);

  const num = (v, digits) => (v === null || v === undefined || isNaN(Number(v)) ? "–" : Number(v).toFixed(digits === undefined ? 2 : digits));
  const words = (k) => String(k).replace(/_/g, " ");
  /* Any evidence object as readable rows (never JSON): numbers rounded, lists joined, nested objects as "key value" pairs. */
  function describe(value) {
    if (value === null || value === undefined || value === "") return "–";
    if (typeof value === "number") return Number.isInteger(value) ? String(value) : num(value, 3);
    if (typeof value === "boolean") return value ? "yes" : "no";
    if (Array.isArray(value)) return value.map(describe).join(", ");
    if (typeof value === "object") {
      if (value.platform && value.account_id) return accountLink(value);
      return el("span", {}, Object.entries(value).filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => el("span.kv", {}, words(k) + " ", describe(v))));
    }
    return String(value);
  }

  /* One detection hit as a sentence: what matched, in which bank, how close. */
  function hitSentence(h) {
    const item = h.item ? el("strong", { dir: "auto", text: h.item }) : "an item";
    const bank = h.bank ? " in bank " + h.bank : "";
    const label = h.label ? " (" + h.label + ")" : "";
    const source = h.source || (h.detail && h.detail.source);
    if (h.matcher === "term") return el("span", {}, "Term ", el("mark", { dir: "auto", text: h.term || h.item }), " from lexicon " + (h.bank || "") + label + ".");
    if (h.matcher === "text") return el("span", {}, "Near-duplicate of known text ", item, bank + label + ", similarity " + num(h.similarity, 3) + (source ? " (source " + source + ")" : "") + ".");
    if (h.matcher === "pdq") return el("span", {}, "Image matches ", item, bank + label + " at PDQ distance " + h.distance + " of 256 bits.");
    if (h.matcher === "md5" || h.matcher === "sha256") return el("span", {}, "File is an exact copy (" + h.matcher.toUpperCase() + ") of ", item, bank + label + ".");
    if (h.matcher === "classifier" || h.matcher === "model") return el("span", {}, "Classifier score " + num(h.similarity || h.strength) + ".");
    return el("span", {}, words(h.matcher) + " match ", item, bank + label + ".");
  }


  /* "Watch" buttons for accounts the analytics propose (GET /api/v1/watch/suggestions): one request
     per page, one POST /api/v1/watch per click; none for roles that may not change the watchlist. */
  let proposed = null;
  function watchable() {
    const role = document.body.dataset.role;
    if (role !== "admin" && role !== "analyst") return Promise.resolve(new Map());
    if (!proposed) {
      proposed = api("GET", "/api/v1/watch/suggestions?top=500")
        .then((d) => new Map(d.items.map((s) => [s.platform + ":" + s.account_id, s])))
        .catch(() => new Map());
    }
    return proposed;
  }
  function watchButton(found, account, text) {
    const s = found.get(account.platform + ":" + account.account_id);
    if (!s) return null;
    return el("button.secondary.watch-account", { type: "button", title: "Watch " + s.connector + " " + s.target, onclick: async (ev) => {
      const b = ev.currentTarget;
      b.disabled = true;
      try {
        await api("POST", "/api/v1/watch", { connector: s.connector, target: s.target, server: s.server || null, label: s.kind === "successor" ? "re-created" : "key account" });
        found.delete(account.platform + ":" + account.account_id);
        b.replaceWith(el("span.ok", { text: "Watched" }));
        flash("Watching " + s.target + ".");
      } catch (err) { b.disabled = false; showError(err); }
    } }, text || "Watch");
  }

  window.OIRU = { api, el, fill, flash, showError, fmtTime, fmtDuration, table, pager, keyParam, postLink, accountLink, postHref, accountHref,
    platformBadge, platformName, platformColour, personLabel, people, userText, empty, num, words, describe, hitSentence, shortId, watchable, watchButton, pages: {} };

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
