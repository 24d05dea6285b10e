"use strict";
/* Triage queue: filters (platform, language, signal, bank, score, time, assignment), the total
   they match, keyset paging ("Load more"), bulk confirm/reject with a reason, assignment to an
   analyst (claim one, or assign the selected ones), and the keyboard: j/k or arrows move,
   x ticks, a assigns to me, c confirms, r rejects with a reason, n skips to the next, o opens. */
OIRU.pages.triage = async function () {
  const { api, el, num } = OIRU;
  const box = document.getElementById("queue");
  const form = document.getElementById("triage-filter");
  const dialog = document.getElementById("reject-dialog");
  const reasonSelect = document.getElementById("reject-reason");
  const more = document.getElementById("triage-more");
  const me = document.body.dataset.user;
  const assignee = document.getElementById("bulk-assignee");
  let alerts = [], selected = 0, cursor = null, total = 0, bulkReject = false;

  try {
    const [reasons, facets] = await Promise.all([api("GET", "/api/v1/alerts/reasons"), api("GET", "/api/v1/console/alert-facets")]);
    OIRU.fill(reasonSelect, ...reasons.items.map((r) => el("option", { value: r, text: r })));
    const fill = (name, values, label) => form.elements[name].append(...values.map((v) => el("option", { value: v, text: label ? label(v) : v })));
    fill("platform", facets.platforms, OIRU.platformName); fill("language", facets.languages); fill("signal", facets.signals); fill("bank", facets.banks);
    const others = (facets.analysts || []).filter((n) => n !== me);
    fill("assigned", others, (n) => "to " + n);
    assignee.append(...others.map((n) => el("option", { value: n, text: n })));
  } catch (err) { OIRU.showError(err); }

  function card(a, i) {
    const pick = el("input.pick", { type: "checkbox", title: "select for a bulk decision (x)", checked: a.picked || null, disabled: a.decided || null,
      onclick: (e) => { e.stopPropagation(); a.picked = e.target.checked; updateBulk(); } });
    return el("article.item" + (i === selected ? ".selected" : "") + (a.decided ? ".decided" : ""),
      { dataset: { post: a.id }, onclick: () => { selected = i; render(); } },
      el("div.meta", {}, pick, OIRU.accountLink(a.account), " · ", OIRU.postLink(a.post, OIRU.fmtTime(a.timestamp)),
        a.language ? " · " + a.language : "", " · priority " + num(a.priority, 3),
        a.model_probability !== null && a.model_probability !== undefined ? " · classifier " + num(a.model_probability) : "",
        a.decided ? " · " + a.decided : "",
        el("span.assigned", { title: a.assigned_to ? "assigned by " + a.assigned_by + " " + OIRU.fmtTime(a.assigned_at) : "" },
          " · " + (a.assigned_to ? "assigned to " + (a.assigned_to === me ? "me" : a.assigned_to) : "unassigned"))),
      OIRU.userText("p", a.text),
      el("ul.sentences", {}, a.hits.slice(0, 4).map((h) => el("li.hint", {}, OIRU.hitSentence(h)))),
      el("div", {},
        el("button.confirm", { type: "button", onclick: (e) => { e.stopPropagation(); selected = i; decide([a], "confirm"); } }, "Confirm (c)"), " ",
        el("button.secondary.reject", { type: "button", onclick: (e) => { e.stopPropagation(); selected = i; askReject(false); } }, "Reject (r)"), " ",
        a.assigned_to === me ? el("button.secondary.unassign", { type: "button", onclick: (e) => { e.stopPropagation(); assign([a], null); } }, "Unassign")
          : el("button.secondary.claim", { type: "button", onclick: (e) => { e.stopPropagation(); assign([a], "me"); } }, "Assign to me (a)"), " ",
        el("a", { href: OIRU.postHref(a.post) }, "Open (o)")));
  }

  function render() {
    OIRU.fill(box, ...alerts.map(card));
    if (!alerts.length) OIRU.fill(box, OIRU.empty(filtered() ? "No alert matches these filters." : "The triage queue is empty: every alert has been decided.",
      filtered() ? "Clear a filter to see more." : "New alerts appear after the next import and scan (openiru ingest, openiru scan)."));
    document.getElementById("triage-total").textContent = total + " alert" + (total === 1 ? "" : "s") + " match" + (total === 1 ? "es" : "") + " · " + alerts.length + " shown";
    more.hidden = !cursor;
    const node = box.children[selected];
    if (node && node.scrollIntoView) node.scrollIntoView({ block: "nearest" });
    updateBulk();
  }

  const filtered = () => [...new FormData(form)].some(([k, v]) => v && !(k === "status" && v === "open"));

  function params() {
    const q = new URLSearchParams({ limit: "50" });
    for (const [k, v] of new FormData(form)) {
      if (!v) continue;
      q.set(k, (k === "since" || k === "until") ? new Date(v + "T00:00:00Z").toISOString() : v);
    }
    if (cursor) q.set("cursor", cursor);
    return q;
  }

  let loading = 0;  // the latest request: an older answer arriving late (the first page, before a filter) is dropped
  async function load(reset) {
    if (reset) { alerts = []; cursor = null; selected = 0; }
    const mine = ++loading;
    try {
      const page = await api("GET", "/api/v1/console/alerts?" + params());
      if (mine !== loading) return;
      alerts = alerts.concat(page.items.map((a) => Object.assign(a, { decided: a.status !== "open" ? a.status : null })));
      cursor = page.next_cursor;
      total = page.total;
      render();
    } catch (err) { OIRU.showError(err); }
  }

  function next() {
    const after = alerts.findIndex((a, i) => i > selected && !a.decided);
    if (after >= 0) selected = after;
    else if (cursor) { selected = alerts.length; load(false); return; }
    render();
  }

  async function decide(list, decision, reason) {
    list = list.filter((a) => a && !a.decided);
    let done = 0;
    for (const a of list) {
      try {
        const res = await api("POST", "/api/v1/decisions", { post: a.id, decision: decision, reason: reason || null });
        a.decided = res.status; a.picked = false; done++;
        if (list.length === 1) OIRU.flash(a.id + ": " + res.status + (reason ? " (" + reason + ")" : ""));
      } catch (err) { OIRU.showError(err); break; }
    }
    if (list.length > 1) OIRU.flash(done + " alerts " + (decision === "confirm" ? "confirmed" : "rejected") + (reason ? " (" + reason + ")" : "") + ".");
    if (list.length === 1) next(); else render();
  }

  async function assign(list, to) {
    list = list.filter(Boolean);
    if (!list.length) return;
    try {
      const res = await api("POST", "/api/v1/console/assign", { posts: list.map((a) => a.id), to: to });
      const at = res.assigned_at;
      for (const a of list) Object.assign(a, { assigned_to: res.assigned_to, assigned_by: res.assigned_by, assigned_at: at, picked: false });
      const who = res.assigned_to ? (res.assigned_to === me ? "you" : res.assigned_to) : "no one";
      OIRU.flash(list.length + (list.length === 1 ? " alert" : " alerts") + " assigned to " + who + ".");
    } catch (err) { OIRU.showError(err); }
    render();
  }

  const picked = () => alerts.filter((a) => a.picked && !a.decided);
  function updateBulk() {
    const n = picked().length;
    document.getElementById("bulk-count").textContent = n ? n + " selected" : "none selected";
    document.getElementById("bulk-confirm").disabled = !n;
    document.getElementById("bulk-reject").disabled = !n;
    document.getElementById("bulk-assign").disabled = !n;
  }

  function askReject(bulk) {
    bulkReject = bulk;
    if (!bulk && (!alerts[selected] || alerts[selected].decided)) return;
    document.getElementById("reject-note").value = "";
    dialog.showModal();
    reasonSelect.focus();
  }
  dialog.addEventListener("close", () => {
    if (dialog.returnValue === "ok") {
      const note = document.getElementById("reject-note").value.trim();
      decide(bulkReject ? picked() : [alerts[selected]], "reject", reasonSelect.value + (note ? ": " + note : ""));
    }
    box.focus();
  });

  document.getElementById("bulk-confirm").addEventListener("click", () => decide(picked(), "confirm"));
  document.getElementById("bulk-reject").addEventListener("click", () => askReject(true));
  document.getElementById("bulk-assign").addEventListener("click", () => assign(picked(), assignee.value || null));
  document.getElementById("bulk-all").addEventListener("click", () => { for (const a of alerts) if (!a.decided) a.picked = true; render(); });
  more.addEventListener("click", () => load(false));
  form.addEventListener("submit", (ev) => { ev.preventDefault(); load(true); });

  document.addEventListener("keydown", (ev) => {
    if (dialog.open || ev.target.closest("input, select, textarea") || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const key = ev.key;
    if (key === "j" || key === "ArrowDown") { selected = Math.min(selected + 1, alerts.length - 1); render(); }
    else if (key === "k" || key === "ArrowUp") { selected = Math.max(selected - 1, 0); render(); }
    else if (key === "x" && alerts[selected] && !alerts[selected].decided) { alerts[selected].picked = !alerts[selected].picked; render(); }
    else if (key === "a" && alerts[selected] && alerts[selected].assigned_to !== me) assign([alerts[selected]], "me");
    else if (key === "c") decide([alerts[selected]], "confirm");
    else if (key === "r") askReject(false);
    else if (key === "n") next();
    else if (key === "o" && alerts[selected]) location.href = OIRU.postHref(alerts[selected].post);
    else return;
    ev.preventDefault();
  });
  await load(true);
  box.focus();
};
