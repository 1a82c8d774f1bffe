// The eventsd console: plain JavaScript over the same API as every client, authenticated by the
// session cookie (docs/operations.md "Console"). Text from the API is only ever set as text.
'use strict';

const $ = (sel) => document.querySelector(sel);
const state = { session: null, live: null, cursor: null, view: '' };

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'text') e.textContent = v; else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error && body.error.message) || ('HTTP ' + status));
    this.status = status;
  }
}

async function api(method, path, body) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && state.session) headers['X-CSRF-Token'] = state.session.csrf_token;
  const res = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  const json = await res.json().catch(() => null);
  if (!res.ok) {
    if (res.status === 401 && state.session && !path.startsWith('/api/auth/login')) loggedOut('Your session ended; log in again.');
    throw new ApiError(res.status, json);
  }
  return json;
}

function notice(message) {
  const n = $('#notice');
  n.textContent = message || '';
  n.hidden = !message;
}

const isAdmin = () => state.session && state.session.user.role === 'admin';
const time = (iso) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC') : '');

// ---------------------------------------------------------------- session

function loggedIn(session) {
  state.session = session;
  $('#login-view').hidden = true;
  $('#nav').hidden = false;
  $('#who').hidden = false;
  $('#user-email').textContent = session.user.email + ' (' + session.user.role + ')';
  const select = $('#tenant');
  select.replaceChildren(...session.user.tenants.map((t) => el('option', { value: t, text: t, selected: t === session.tenant })));
  for (const a of document.querySelectorAll('[data-admin]')) a.hidden = !isAdmin();
  startLive();
  route();
}

function loggedOut(message) {
  state.session = null;
  stopLive();
  for (const s of document.querySelectorAll('main > section')) s.hidden = true;
  $('#nav').hidden = true;
  $('#who').hidden = true;
  $('#login-view').hidden = false;
  $('#login-error').textContent = message || '';
  $('#login-email').focus();
}

$('#login-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  $('#login-error').textContent = '';
  try {
    loggedIn(await api('POST', '/api/auth/login', { email: $('#login-email').value, password: $('#login-password').value }));
    $('#login-password').value = '';
  } catch (err) {
    $('#login-error').textContent = err.message;
  }
});

$('#logout').addEventListener('click', async () => {
  try { await api('POST', '/api/auth/logout', {}); } catch (err) { /* ended anyway */ }
  loggedOut('Logged out.');
});

$('#tenant').addEventListener('change', async (e) => {
  try {
    const session = await api('POST', '/api/auth/tenant', { tenant: e.target.value });
    stopLive();
    loggedIn(session);
  } catch (err) {
    notice(err.message);
  }
});

// ---------------------------------------------------------------- live

function eventLine(ev) {
  return el('li', {},
    el('a', { href: '#event/' + encodeURIComponent(ev._id), text: ev.event }), ' ',
    el('time', { datetime: ev.timestamp, text: time(ev.timestamp) }), ' ',
    ev.internal_contact_id ? el('span', { class: 'contact', text: ev.internal_contact_id }) : null, ' ',
    ev.url ? el('span', { class: 'url', text: ev.url }) : null,
    ev.suppression_reason ? el('span', { class: 'tag', text: ev.suppression_reason }) : null);
}

function startLive() {
  stopLive();
  const source = new EventSource('/v1/events/stream');
  state.live = source;
  source.onopen = () => { $('#live-status').textContent = 'Connected: new events appear here as they are recorded.'; };
  source.onerror = () => { $('#live-status').textContent = 'Disconnected; reconnecting…'; };
  source.onmessage = (m) => {
    const list = $('#live-list');
    for (const ev of JSON.parse(m.data).events) list.prepend(eventLine(ev));
    while (list.children.length > 200) list.lastChild.remove();
  };
  // The server ends the stream once the session may no longer read it (logged out elsewhere,
  // expired, revoked, or the tenant taken away): its last event says why.
  source.addEventListener('revoked', (m) => {
    let message = 'The session ended.';
    try { message = JSON.parse(m.data).error.message; } catch (err) { /* the default */ }
    loggedOut(message);
  });
}

function stopLive() {
  if (state.live) state.live.close();
  state.live = null;
}

// ---------------------------------------------------------------- events

function filterQuery(cursor) {
  const q = new URLSearchParams();
  for (const [k, v] of new FormData($('#filters'))) {
    if (!v) continue;
    if (k === 'date_before') q.set(k, v + 'T23:59:59.999Z'); else q.set(k, v);
  }
  if (q.get('suppressed') === 'include') q.delete('suppressed');
  q.set('limit', '50');
  if (cursor) q.set('cursor', cursor);
  return q;
}

async function showEvents(more) {
  const body = $('#events-table tbody');
  if (!more) { body.replaceChildren(); state.cursor = null; }
  const res = await api('GET', '/v1/events?' + filterQuery(more ? state.cursor : null));
  for (const ev of res.events) {
    body.append(el('tr', {},
      el('td', {}, el('time', { datetime: ev.timestamp, text: time(ev.timestamp) })),
      el('td', {}, el('a', { href: '#event/' + encodeURIComponent(ev._id), text: ev.event })),
      el('td', {}, ev.internal_contact_id ? el('a', { href: '#contact/' + encodeURIComponent(ev.internal_contact_id), text: ev.internal_contact_id }) : ''),
      el('td', { class: 'url', text: ev.url || '' }),
      el('td', { text: ev.suppression_reason || '' })));
  }
  state.cursor = res.pagination.next_cursor;
  $('#events-more').hidden = !state.cursor;
  $('#events-count').textContent = res.pagination.total_items + ' matching events';
  const types = await api('GET', '/v1/events/types');
  $('#types').replaceChildren(...types.types.map((t) => el('option', { value: t })));
}

$('#filters').addEventListener('submit', (e) => { e.preventDefault(); showEvents(false).catch((err) => notice(err.message)); });
$('#events-more').addEventListener('click', () => showEvents(true).catch((err) => notice(err.message)));

async function showEvent(id) {
  $('#event-title').textContent = 'Event ' + id;
  const res = await api('GET', '/v1/events/' + encodeURIComponent(id));
  $('#event-json').textContent = JSON.stringify(res.event, null, 2);
  const audit = $('#event-audit');
  audit.replaceChildren();
  if (!isAdmin()) { audit.append(el('li', { text: 'The history is shown to admins.' })); return; }
  const history = await api('GET', '/v1/audit/events/' + encodeURIComponent(id));
  for (const r of history.history || []) {
    audit.append(el('li', {}, el('strong', { text: r.kind }), ' at ', el('time', { text: time(r.recorded_at) }),
      " by " + r.actor + " (position " + r.position + ")", el("pre", { text: JSON.stringify(r, null, 2) })));
  }
}

// ---------------------------------------------------------------- stats (SVG bar charts)

const SVG = 'http://www.w3.org/2000/svg';
function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

// A horizontal bar chart with its numbers in a table beside it (for screen readers and copying).
function chart(title, rows) {
  const max = Math.max(1, ...rows.map((r) => r.value));
  const rowH = 22, labelW = 140, width = 480;
  const s = svg('svg', { viewBox: `0 0 ${width} ${Math.max(1, rows.length) * rowH + 4}`, role: 'img', 'aria-label': title, class: 'chart' });
  rows.forEach((r, i) => {
    const y = i * rowH + 2;
    const w = Math.max(1, Math.round((width - labelW - 60) * r.value / max));
    s.append(svg('text', { x: labelW - 6, y: y + 15, 'text-anchor': 'end', class: 'label' }, r.label.length > 20 ? r.label.slice(0, 19) + '…' : r.label));
    s.append(svg('rect', { x: labelW, y: y + 3, width: w, height: rowH - 6, class: 'bar' }));
    s.append(svg('text', { x: labelW + w + 4, y: y + 15, class: 'value' }, String(r.value)));
  });
  const table = el('table', {}, el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: 'Key' }), el('th', { scope: 'col', text: 'Count' }))),
    el('tbody', {}, ...rows.map((r) => el('tr', {}, el('td', { text: r.label }), el('td', { text: String(r.value) })))));
  return el('figure', {}, el('figcaption', { text: title }), rows.length ? s : el('p', { text: 'No data yet.' }),
    el('details', {}, el('summary', { text: 'Numbers' }), table));
}

async function showStats() {
  const [ev, sup] = await Promise.all([api('GET', '/v1/events/stats'), api('GET', '/v1/suppression/stats')]);
  const st = ev.stats;
  const days = (st.by_day || []).slice().sort((a, b) => (a.date < b.date ? -1 : 1)).slice(-31);
  $('#charts').replaceChildren(
    chart('Events by day (total ' + st.total + ')', days.map((d) => ({ label: d.date, value: d.count }))),
    chart('Events by type', (st.by_type || []).map((t) => ({ label: t.type, value: t.count }))),
    chart('Events by domain', (st.by_domain || []).map((t) => ({ label: t.domain, value: t.count }))),
    chart('Suppressed by reason', ['inorganic', 'inorganic_grouped', 'metadata_filter'].map((k) => ({ label: k, value: sup.stats[k] || 0 }))),
    chart('Suppressed by day', (sup.stats.by_day || []).slice(-31).map((d) => ({ label: d.date, value: d.total }))));
}

// ---------------------------------------------------------------- contact

async function showContact(id) {
  $('#contact-id').value = id;
  const summary = $('#contact-summary');
  const timeline = $('#contact-timeline');
  summary.replaceChildren();
  timeline.replaceChildren();
  if (!id) return;
  let c;
  try {
    c = (await api('GET', '/v1/contacts/' + encodeURIComponent(id))).contact;
  } catch (err) {
    summary.append(el('dt', { text: 'Not found' }), el('dd', { text: err.message }));
    return;
  }
  const name = [c.firstname, c.lastname].filter(Boolean).join(' ');
  const rows = [['Name', name], ['E-mail', c.email], ['Score', String(c.score)], ['Events', String(c.event_count)],
    ['First seen', time(c.first_seen)], ['Last seen', time(c.last_seen)], ['Merged from', (c.merged_from || []).join(', ')]];
  for (const [k, v] of rows) summary.append(el('dt', { text: k }), el('dd', { text: v || '—' }));
  const events = await api('GET', '/v1/events?limit=100&contact_id=' + encodeURIComponent(id));
  for (const ev of events.events) timeline.append(eventLine(ev));
}

$('#contact-form').addEventListener('submit', (e) => {
  e.preventDefault();
  location.hash = '#contact/' + encodeURIComponent($('#contact-id').value.trim());
});

// ---------------------------------------------------------------- rules

async function showRules() {
  for (const kind of ['suppression', 'scoring']) {
    const area = $('#' + kind + '-rules');
    const status = $('#' + kind + '-status');
    status.textContent = '';
    if (!isAdmin()) { area.value = ''; area.disabled = true; status.textContent = 'Rules are edited by admins.'; continue; }
    area.disabled = false;
    const res = await api('GET', '/v1/' + kind + '/rules');
    area.value = JSON.stringify({ rules: res.rules }, null, 2);
  }
}

for (const kind of ['suppression', 'scoring']) {
  $('#' + kind + '-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const status = $('#' + kind + '-status');
    let body;
    try { body = JSON.parse($('#' + kind + '-rules').value); } catch (err) { status.textContent = 'Not valid JSON: ' + err.message; return; }
    try {
      const res = await api('PUT', '/v1/' + kind + '/rules', body);
      $('#' + kind + '-rules').value = JSON.stringify({ rules: res.rules }, null, 2);
      status.textContent = 'Saved.';
    } catch (err) {
      status.textContent = 'Not saved: ' + err.message;
    }
  });
}

// ---------------------------------------------------------------- tokens and keys

async function showKeys() {
  const body = $('#keys-table tbody');
  const res = await api('GET', '/v1/tokens');
  body.replaceChildren(...res.tokens.map((t) => {
    const revoke = el('button', { type: 'button', text: 'Revoke', 'aria-label': 'Revoke ' + t.id });
    revoke.addEventListener('click', async () => {
      if (!confirm('Revoke ' + t.id + '? Clients using it stop working at once.')) return;
      try { await api('DELETE', '/v1/tokens/' + encodeURIComponent(t.id)); showKeys(); } catch (err) { notice(err.message); }
    });
    return el('tr', {}, el('td', { text: t.id }), el('td', { text: t.publishable ? 'publishable key' : 'token' }),
      el('td', { text: (t.publishable ? t.origins : t.scopes).join(', ') }), el('td', { text: time(t.created_at) }), el('td', {}, revoke));
  }));
}

// E-mail providers' webhook sources (docs/integrations.md): read-only; created with PUT /v1/sources.
async function showSources() {
  const res = await api('GET', '/v1/sources');
  const refused = (r) => Object.entries(r).map(([why, n]) => why + ': ' + n).join(', ') || 'none';
  $('#sources-table tbody').replaceChildren(...res.sources.map((s) => el('tr', {},
    el('td', { text: s.id }), el('td', { text: s.kind }), el('td', {}, el('code', { text: s.hook_path })),
    el('td', { text: s.last_delivery_at ? time(s.last_delivery_at) : 'never' }), el('td', { text: String(s.deliveries) }),
    el('td', { text: String(s.events_created) }), el('td', { text: refused(s.refused) }))));
}

function showSecret(res) {
  const box = $('#new-secret');
  box.replaceChildren('New ' + (res.token.publishable ? 'publishable key' : 'token') + ' (shown once): ', el('code', { text: res.secret }));
  showKeys();
}

$('#token-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const scopes = [...document.querySelectorAll('#token-form input[name=scope]:checked')].map((c) => c.value);
  try { showSecret(await api('POST', '/v1/tokens', { scopes })); } catch (err) { $('#new-secret').textContent = err.message; }
});

$('#key-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const origins = $('#key-origins').value.split(',').map((s) => s.trim()).filter(Boolean);
  try { showSecret(await api('POST', '/v1/tokens', { publishable: true, origins })); } catch (err) { $('#new-secret').textContent = err.message; }
});

// ---------------------------------------------------------------- routing

const views = {
  live: () => {},
  events: () => showEvents(false),
  event: (id) => showEvent(id),
  stats: showStats,
  contact: (id) => showContact(id || ''),
  rules: showRules,
  keys: () => Promise.all([showKeys(), showSources()]),
};

function route() {
  if (!state.session) return;
  const [name, ...rest] = (location.hash.slice(1) || 'live').split('/');
  const view = views[name] ? name : 'live';
  for (const s of document.querySelectorAll('main > section')) s.hidden = s.id !== view + '-view';
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.getAttribute('href') === '#' + view) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  notice('');
  Promise.resolve(views[view](decodeURIComponent(rest.join('/')))).catch((err) => notice(err.message));
}

window.addEventListener('hashchange', route);

api('GET', '/api/auth/session').then(loggedIn, () => loggedOut(''));
