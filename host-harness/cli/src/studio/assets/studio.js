// psa-harness studio: the admin's flow for any connector, on the studio's JSON API.
// Vanilla JS; every text from the API is written with textContent (never as HTML).
"use strict";

const $ = (id) => document.getElementById(id);
// Every API answer as received, in order (the browser test checks no secret is in any).
window.__studioResponses = [];

const studio = {
  state: null,
  orgs: [],
  suggestions: {},
  mapping: {},          // tenant id → {organization_id, name}
  selectedTenant: null,
  selectedOrg: null,
  ticketTypes: [],
  priorities: [],
  link: null,           // the ticket id the alert key is linked to
  sends: 0,
};

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v;
    else if (k === "dataset") Object.assign(node.dataset, v);
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== null && v !== undefined && v !== false) node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

function showError(id, message) {
  const box = $(id);
  if (!message) { box.hidden = true; box.textContent = ""; return; }
  box.hidden = false;
  box.textContent = message;
}

class ApiError extends Error {
  constructor(doc, status) {
    super(doc && doc.error ? doc.error.message : `HTTP ${status}`);
    this.doc = doc;
    this.status = status;
  }
}

async function api(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    throw new ApiError({ error: { kind: "network", message: `the studio did not answer: ${e.message}` } }, 0);
  }
  const text = await response.text();
  window.__studioResponses.push(text);
  let doc = null;
  try { doc = JSON.parse(text); } catch (_) { /* not JSON */ }
  if (!response.ok) throw new ApiError(doc, response.status);
  if (doc === null) throw new ApiError({ error: { kind: "host", message: `not JSON: ${text.slice(0, 200)}` } }, response.status);
  return doc;
}

// Calls one connector operation; refreshes the audit trail and the stats afterwards.
async function call(op, args) {
  try {
    const doc = await api("POST", `/api/call/${op}`, { args: args || [] });
    renderStats(doc.stats);
    return doc.result;
  } finally {
    refreshAudit();
  }
}

// Actions in flight (`body[data-pending]`), so that a test knows when the page is settled.
let pending = 0;
function setPending(delta) {
  pending += delta;
  document.body.dataset.pending = String(pending);
}

// Runs an action, showing its error (the typed error's text) in the section's error box.
function action(errorId, fn) {
  return async (event) => {
    const button = event && event.currentTarget;
    if (button) button.disabled = true;
    setPending(1);
    showError(errorId, null);
    try { await fn(event); } catch (e) { showError(errorId, e.message); } finally {
      if (button) button.disabled = false;
      setPending(-1);
    }
  };
}

// ---- 1. settings --------------------------------------------------------------------------

function renderConnector(state) {
  const info = state.info;
  const node = $("connector");
  node.textContent = "";
  node.append(el("strong", {}, info.psa_name), ` — connector ${info.name} ${info.version}, contract ${info.contract_version}`);
  node.append(el("div", { class: "muted" }, "capabilities: " + info.capabilities.join(", ")));
  if (state.mock) {
    const note = $("mock-note");
    note.hidden = false;
    note.textContent = `A mock ${state.mock.title} runs at ${state.mock.base_url}; its made-up credentials were printed where the studio was started.`;
  }
}

function renderSettingsForm(state) {
  const form = $("settings-form");
  form.textContent = "";
  for (const f of state.fields) {
    const secret = f.kind === "secret";
    const input = el("input", {
      id: `setting-${f.key}`,
      name: f.key,
      type: secret ? "password" : (f.kind === "url" ? "url" : "text"),
      placeholder: secret && f.set ? "set — leave empty to keep" : (f.default_value || ""),
      autocomplete: secret ? "new-password" : "off",
    });
    if (!secret && f.value) input.value = f.value;
    const status = el("span", { class: "badge" + (f.set ? " ok" : ""), id: `setting-status-${f.key}` }, f.set ? "set" : "not set");
    form.append(el("div", { class: "field" },
      el("label", { for: input.id }, f.label, f.required ? " *" : ""),
      el("div", {}, input, secret ? status : null),
      el("div", { class: "help" }, f.help)));
  }
  renderSession(state.session);
}

function renderSession(session) {
  const badge = $("session-status");
  badge.textContent = session.open ? "session open" : "no session";
  badge.className = "badge" + (session.open ? " ok" : "");
  showError("settings-error", session.error);
}

async function saveSettings() {
  const values = {};
  for (const f of studio.state.fields) {
    const input = $(`setting-${f.key}`);
    values[f.key] = input.value;
  }
  let state;
  try {
    state = await api("POST", "/api/settings", { values });
  } catch (e) {
    // The settings were stored even when the connector refused them: show what is set.
    await loadState();
    throw e;
  } finally {
    refreshAudit();
  }
  studio.state = state;
  renderSettingsForm(state);
}

async function loadState() {
  const state = await api("GET", "/api/state");
  studio.state = state;
  renderConnector(state);
  renderSettingsForm(state);
  fillTenantSelect();
}

// ---- 2. test connection -------------------------------------------------------------------

async function testConnection() {
  const report = await call("test-connection");
  const status = $("connection-status");
  status.textContent = report.ok ? "all checks passed" : "some checks failed";
  status.className = "badge " + (report.ok ? "ok" : "bad");
  const box = $("connection-report");
  box.textContent = "";
  const agent = report.agent ? `${report.agent.name}${report.agent.email ? " <" + report.agent.email + ">" : ""}` : "unknown";
  box.append(el("div", { class: "note" },
    el("div", {}, "Acting as: ", el("strong", {}, agent)),
    el("div", {}, "Token endpoint: ", report.token_endpoint || "none (the PSA takes the keys on every request)"),
    el("div", {}, "API: ", report.resource_url),
    el("div", {}, "Granted scopes: ", report.granted_scopes.join(" ") || "none")));
  const list = el("ul", { id: "permission-checks" });
  for (const c of report.checks) {
    list.append(el("li", { dataset: { check: c.name } },
      el("span", { class: c.passed ? "pass" : "fail" }, c.passed ? "✓ " : "✗ "),
      c.label,
      c.hint ? el("div", { class: "muted" }, "Hint: " + c.hint) : null));
  }
  box.append(list);
}

// ---- 3. mapping -----------------------------------------------------------------------------

async function loadMapping() {
  const page = await call("list-organizations", [{ include_inactive: false }]);
  studio.orgs = page.items;
  const suggestions = await call("suggest-mapping", [studio.state.tenants]);
  studio.suggestions = {};
  for (const s of suggestions) studio.suggestions[s.tenant_id] = s;
  renderMapping();
}

function matchesSearch(...texts) {
  const q = $("mapping-search").value.trim().toLowerCase();
  return !q || texts.some((t) => t && t.toLowerCase().includes(q));
}

function orgName(id) {
  const org = studio.orgs.find((o) => o.id === id);
  return org ? org.name : id;
}

function mapTenant(tenantId, orgId) {
  studio.mapping[tenantId] = { organization_id: orgId, name: orgName(orgId) };
  renderMapping();
  fillTenantSelect();
}

function renderMapping() {
  const tenants = $("tenant-list");
  tenants.textContent = "";
  for (const t of studio.state.tenants) {
    const s = studio.suggestions[t.id];
    const mapped = studio.mapping[t.id];
    if (!matchesSearch(t.name, t.id, mapped && mapped.name, s && s.organization && s.organization.name)) continue;
    const li = el("li", {
      id: `tenant-${t.id}`,
      class: studio.selectedTenant === t.id ? "selected" : "",
      onclick: () => { studio.selectedTenant = t.id; renderMapping(); },
    }, el("strong", {}, t.name), " ", el("span", { class: "muted" }, t.id));
    if (mapped) {
      li.append(el("div", { class: "sub" }, el("span", { class: "mapped" }, `→ ${mapped.name}`), " ",
        el("button", { class: "small", type: "button", id: `unmap-${t.id}`,
          onclick: (e) => { e.stopPropagation(); delete studio.mapping[t.id]; renderMapping(); fillTenantSelect(); } }, "Unmap")));
    }
    if (s) {
      const sub = el("div", { class: "sub" });
      if (s.organization) {
        sub.append(`Suggested: ${s.organization.name} — ${s.confidence}% (${s.basis}). ${s.reason} `);
        if (!mapped || mapped.organization_id !== s.organization.id) {
          sub.append(el("button", { class: "small", type: "button", id: `accept-${t.id}`,
            onclick: (e) => { e.stopPropagation(); mapTenant(t.id, s.organization.id); } }, "Accept"));
        }
      } else if (s.alternatives.length > 0) {
        sub.append(el("span", { class: "ambiguous" }, "Ambiguous: "), `${s.reason} `);
        if (!mapped) {
          const select = el("select", { id: `pick-${t.id}`, onclick: (e) => e.stopPropagation() },
            el("option", { value: "" }, "choose…"),
            ...s.alternatives.map((a) => el("option", { value: a.id }, a.name)));
          sub.append(select, " ", el("button", { class: "small", type: "button", id: `pick-map-${t.id}`,
            onclick: (e) => { e.stopPropagation(); if (select.value) mapTenant(t.id, select.value); } }, "Map"));
        }
      } else {
        sub.append(`No match: ${s.reason}`);
      }
      li.append(sub);
    }
    tenants.append(li);
  }
  const orgs = $("org-list");
  orgs.textContent = "";
  for (const o of studio.orgs) {
    if (!matchesSearch(o.name, o.id)) continue;
    orgs.append(el("li", {
      id: `org-${o.id}`,
      class: studio.selectedOrg === o.id ? "selected" : "",
      onclick: () => { studio.selectedOrg = o.id; renderMapping(); },
    }, el("strong", {}, o.name), " ", el("span", { class: "muted" }, `#${o.id}`),
      o.domains.length ? el("div", { class: "sub" }, o.domains.join(", ")) : null));
  }
  $("map-selected").disabled = !(studio.selectedTenant && studio.selectedOrg);
  const n = Object.keys(studio.mapping).length;
  $("mapping-count").textContent = `${n} of ${studio.state.tenants.length} tenants mapped`;
}

// ---- 4. profile -----------------------------------------------------------------------------

const SEVERITIES = ["critical", "high", "medium", "low", "info"];

function fillSelect(select, items, { empty, selected } = {}) {
  select.textContent = "";
  if (empty) select.append(el("option", { value: "" }, empty));
  for (const item of items) select.append(el("option", { value: item.id }, item.name));
  if (selected !== undefined && selected !== null) select.value = selected;
}

async function loadLookups() {
  const [types, statuses, teams] = [await call("list-ticket-types"), await call("list-statuses"), await call("list-teams")];
  studio.ticketTypes = types.filter((t) => t.active && t.agents_can_select);
  fillSelect($("ticket-type"), studio.ticketTypes, { empty: "the PSA's default" });
  fillSelect($("default-status"), statuses.filter((s) => !s.closed), { empty: "the ticket type's initial status" });
  fillSelect($("team"), teams.filter((t) => t.active), { empty: "no team" });
  await loadPriorities();
}

async function loadPriorities() {
  const typeId = $("ticket-type").value || null;
  const type = studio.ticketTypes.find((t) => t.id === typeId);
  if (type && type.default_status_id) $("default-status").value = type.default_status_id;
  studio.priorities = await call("list-priorities", [typeId]);
  const box = $("priority-map");
  box.textContent = "";
  for (const severity of SEVERITIES) {
    const select = el("select", { id: `priority-${severity}` });
    // Pre-selects a priority whose name contains the severity's word; the admin checks it.
    const guess = studio.priorities.find((p) => p.name.toLowerCase().includes(severity));
    fillSelect(select, studio.priorities, { empty: "the PSA decides", selected: guess ? guess.id : "" });
    box.append(el("label", {}, severity, select));
  }
}

function profile() {
  const value = (id) => $(id).value || null;
  return {
    tenants: Object.entries(studio.mapping).map(([tenant_id, m]) => ({ tenant_id, organization_id: m.organization_id })),
    priorities: SEVERITIES.filter((s) => $(`priority-${s}`) && $(`priority-${s}`).value)
      .map((severity) => ({ severity, priority_id: $(`priority-${severity}`).value })),
    default_status_id: value("default-status"),
    ticket_type_id: value("ticket-type"),
    team_id: value("team"),
    strategy: $("strategy").value,
    reopen_window_hours: 24,
  };
}

// ---- 5. pre-flight ----------------------------------------------------------------------------

async function validate() {
  const report = await call("validate-mapping", [profile()]);
  const status = $("validation-status");
  status.textContent = report.ok ? `ready (${report.findings.length} findings)` : "errors: fix before saving";
  status.className = "badge " + (report.ok ? "ok" : "bad");
  const table = $("findings");
  table.hidden = false;
  const body = table.querySelector("tbody");
  body.textContent = "";
  for (const f of report.findings) {
    body.append(el("tr", { dataset: { code: f.code } },
      el("td", { class: `sev-${f.severity}` }, f.severity), el("td", {}, f.code), el("td", {}, f.subject),
      el("td", {}, f.message), el("td", {}, f.hint)));
  }
  if (report.findings.length === 0) body.append(el("tr", {}, el("td", { colspan: 5 }, "No findings.")));
}

// ---- 6. sample alert ----------------------------------------------------------------------

function fillTenantSelect() {
  const select = $("alert-tenant");
  const current = select.value;
  const mapped = studio.state.tenants.filter((t) => studio.mapping[t.id]);
  fillSelect(select, mapped.length ? mapped : studio.state.tenants, {});
  if (current && [...select.options].some((o) => o.value === current)) select.value = current;
}

function lifecycle(text) {
  $("lifecycle").append(el("li", {}, text));
}

async function sendAlert() {
  studio.sends += 1;
  const request = {
    alert: {
      key: $("alert-key").value,
      occurrence_id: `studio-${Date.now()}-${studio.sends}`,
      tenant_id: $("alert-tenant").value,
      severity: $("alert-severity").value,
      summary: $("alert-summary").value,
      details: "Sign-ins for the same user from two countries within an hour (sample alert from psa-harness studio).",
      category: "identity/impossible-travel",
      evidence: [{ name: "IP address", value: "203.0.113.9" }, { name: "Country", value: "Brazil" }],
    },
    link: studio.link,
  };
  const outcome = await call("sync-alert", [profile(), request]);
  if (outcome.ticket && outcome.ticket.id) studio.link = outcome.ticket.id;
  lifecycle(`sync-alert: ${outcome.decision} — ticket ${outcome.ticket.number || outcome.ticket.id}, occurrence ${outcome.occurrence}` +
    (outcome.priority_raised ? ", priority raised" : ""));
  await readBack();
}

async function resolveAlert() {
  const outcome = await call("resolve-alert", [profile(), { key: $("alert-key").value, link: studio.link }]);
  lifecycle(`resolve-alert: ${outcome.decision}` + (outcome.ticket_id ? ` — ticket ${outcome.ticket_id}` : "") +
    (outcome.touched_by ? ` (touched by ${outcome.touched_by})` : ""));
  await readBack();
}

async function readBack() {
  if (!studio.link) throw new Error("no ticket yet: send the alert first");
  const [state] = await call("ticket-states", [[studio.link]]);
  const ticket = await call("get-ticket", [studio.link]);
  const box = $("ticket-state");
  box.hidden = false;
  box.textContent = "";
  box.dataset.ticketId = ticket.id;
  box.append(el("div", {}, "Ticket ", el("strong", { id: "ticket-number" }, ticket.number), ` (id ${ticket.id}) — ${ticket.summary}`));
  box.append(el("div", {}, "Status: ", el("strong", { id: "ticket-status" }, state.status_name || state.status_id || "?"),
    " — ", el("span", { id: "ticket-closed", class: state.closed ? "fail" : "pass" }, state.closed ? "closed" : "open")));
  box.append(el("div", { class: "muted" }, `Organization: ${ticket.organization_name || ticket.organization_id || "?"}; priority ${ticket.priority_id || "?"}; type ${ticket.ticket_type_id || "?"}; team ${ticket.team || "none"}`));
  if (ticket.url) box.append(el("div", { class: "muted" }, `In the PSA: ${ticket.url}`));
}

// ---- 7. tickets -----------------------------------------------------------------------------

async function loadTickets() {
  const query = { scope: $("all-scope").checked ? "all" : "own", open_only: !$("show-all").checked };
  const page = await call("list-tickets", [query]);
  const body = $("tickets").querySelector("tbody");
  body.textContent = "";
  for (const t of page.items) {
    body.append(el("tr", { dataset: { ticket: t.id } },
      el("td", {}, t.id), el("td", {}, t.number), el("td", {}, t.summary),
      el("td", {}, t.organization_name || t.organization_id || ""), el("td", {}, t.status_name || t.status_id),
      el("td", {}, t.closed ? "yes" : "no")));
  }
  $("tickets-total").textContent = `${page.total} tickets`;
}

// ---- 8. audit and stats -----------------------------------------------------------------

function renderStats(stats) {
  if (!stats) return;
  const box = $("stats");
  box.textContent = "";
  const r = stats.requests;
  box.append(el("div", { id: "request-stats" }, `Requests: ${r.total} (2xx ${r.success}, 3xx ${r.redirection}, 4xx ${r.client_error}, 5xx ${r.server_error}, failed ${r.failed}, denied ${r.denied})`));
  for (const b of stats.budgets) {
    box.append(el("div", { class: "rate-budget" }, `Rate budget ${b.instance}: ${b.used} used, ${b.remaining} remaining of ${b.max_requests} per ${b.window_secs} s, ${b.queued} queued`));
  }
}

async function refreshAudit() {
  let log;
  try { log = await api("GET", "/api/log"); } catch (_) { return; }
  const list = $("audit");
  list.textContent = "";
  for (const entry of log.slice().reverse()) {
    const li = el("li", { dataset: { op: entry.op } }, el("span", { class: "muted" }, `#${entry.seq} `), el("strong", {}, entry.op), " ",
      el("span", { class: entry.ok ? "pass" : "fail" }, entry.ok ? "ok" : "error"));
    if (entry.error) li.append(el("div", { class: "fail" }, entry.error));
    const audit = entry.audit;
    if (audit) {
      li.append(el("div", {}, `Decision: ${audit.decision}` + (audit.retries ? `, ${audit.retries} retries` : "")));
      const refs = (kind, list) => list.length ? el("div", { class: "muted" }, `${kind}: ` + list.map((o) => `${o.kind} ${o.id}`).join(", ")) : null;
      li.append(refs("Created", audit.created) || "", refs("Changed", audit.changed) || "");
      for (const r of audit.requests) {
        li.append(el("div", { class: "req" }, `${r.method} ${r.path} → ${r.status} in ${r.millis} ms` + (r.attempt > 1 ? ` (attempt ${r.attempt})` : "")));
      }
    }
    list.append(li);
  }
}

async function refreshStats() {
  try { renderStats(await api("GET", "/api/stats")); } catch (_) { /* no session yet */ }
}

// ---- wiring ---------------------------------------------------------------------------------

function wire() {
  $("save-settings").addEventListener("click", action("settings-error", async () => { await saveSettings(); await refreshStats(); }));
  $("test-connection").addEventListener("click", action("test-error", testConnection));
  $("load-mapping").addEventListener("click", action("mapping-error", loadMapping));
  $("mapping-search").addEventListener("input", () => renderMapping());
  $("mapping-search").addEventListener("search", () => renderMapping());
  $("map-selected").addEventListener("click", () => {
    if (studio.selectedTenant && studio.selectedOrg) mapTenant(studio.selectedTenant, studio.selectedOrg);
  });
  $("load-lookups").addEventListener("click", action("profile-error", loadLookups));
  $("ticket-type").addEventListener("change", action("profile-error", loadPriorities));
  $("validate").addEventListener("click", action("validate-error", validate));
  $("send-alert").addEventListener("click", action("alert-error", sendAlert));
  $("resolve-alert").addEventListener("click", action("alert-error", resolveAlert));
  $("read-back").addEventListener("click", action("alert-error", readBack));
  $("load-tickets").addEventListener("click", action("tickets-error", loadTickets));
  $("show-all").addEventListener("change", action("tickets-error", loadTickets));
  $("all-scope").addEventListener("change", action("tickets-error", loadTickets));
}

window.addEventListener("DOMContentLoaded", async () => {
  setPending(0);
  wire();
  try {
    await loadState();
    await refreshAudit();
    await refreshStats();
    document.body.dataset.ready = "true";
  } catch (e) {
    showError("global-error", e.message);
  }
});
