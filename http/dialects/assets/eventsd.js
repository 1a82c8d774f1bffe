/* eventsd tracker (docs/tracker.md). Plain JavaScript, no build step.
 * Every event gets an id when it is tracked and keeps it through every retry, so the server
 * (which treats a repeated id as the same event) records it once however often it is sent. */
(function (w, d) {
  'use strict';
  const STORE = 'eventsd:';
  const SESSION_IDLE_MS = 30 * 60 * 1000;
  const MAX_BEACON_BYTES = 60000;
  const prev = w.eventsd;
  if (prev && prev.version) return; // loaded twice

  let cfg = null;
  let flushTimer = 0;
  let retryMs = 0;
  let inflight = false;
  let lastUrl = '';
  let memory = {}; // when localStorage is unavailable (privacy modes)

  const get = (k) => {
    try { const v = w.localStorage.getItem(STORE + k); return v === null ? memory[k] : JSON.parse(v); }
    catch (e) { return memory[k]; }
  };
  const set = (k, v) => {
    memory[k] = v;
    try { w.localStorage.setItem(STORE + k, JSON.stringify(v)); } catch (e) { /* memory only */ }
  };
  const del = (k) => {
    delete memory[k];
    try { w.localStorage.removeItem(STORE + k); } catch (e) { /* nothing stored */ }
  };
  const hex = (n) => {
    const b = new Uint8Array(n);
    w.crypto.getRandomValues(b);
    return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  };

  const disabled = () => !cfg || get('optout') === true ||
    (cfg.respectDoNotTrack && (navigator.doNotTrack === '1' || w.doNotTrack === '1'));

  // The session: a new one after 30 minutes without an event; it keeps the landing page's utm_*.
  function session() {
    const now = Date.now();
    let s = get('session');
    if (!s || now - s.last > SESSION_IDLE_MS) {
      const q = new URLSearchParams(w.location.search);
      s = { id: 'ses_' + hex(12), utm: {} };
      ['utm_source', 'utm_medium', 'utm_campaign'].forEach((k) => { if (q.get(k)) s.utm[k] = q.get(k).slice(0, 256); });
    }
    s.last = now;
    set('session', s);
    return s;
  }

  // The queue: events and identify calls not yet acknowledged, oldest first, bounded.
  const queue = () => get('queue') || [];
  function enqueue(item) {
    const q = queue();
    q.push(item);
    while (q.length > cfg.maxQueue) q.shift();
    set('queue', q);
    schedule(q.length >= cfg.batchSize ? 0 : cfg.flushInterval);
  }
  function forget(ids) {
    set('queue', queue().filter((item) => !ids.includes(item.id)));
  }

  function schedule(ms) {
    if (flushTimer) { if (ms > 0) return; clearTimeout(flushTimer); }
    flushTimer = setTimeout(() => { flushTimer = 0; flush(); }, ms);
  }

  // The next request: the leading run of events as one batch, or one identify call.
  function nextRequest(q) {
    if (!q.length) return null;
    if (q[0].kind === 'identify') return { path: '/v1/identify', items: [q[0]], body: q[0].body };
    const items = [];
    for (const item of q) {
      if (item.kind !== 'event' || items.length >= cfg.batchSize) break;
      items.push(item);
    }
    return { path: '/v1/events', items, body: { batch: items.map((i) => i.body) } };
  }

  const endpoint = (path) => cfg.host + path + '?key=' + encodeURIComponent(cfg.key);

  // Sends what is queued, one request at a time. 2xx or a refusal that a retry cannot mend (4xx
  // but 408/429) forgets the items; anything else keeps them and retries with backoff.
  async function flush() {
    if (inflight || disabled()) return;
    const req = nextRequest(queue());
    if (!req) return;
    inflight = true;
    let again = false;
    try {
      // text/plain keeps the request CORS-simple: no preflight.
      const body = JSON.stringify(req.body);
      const res = await fetch(endpoint(req.path), {
        method: 'POST', body, keepalive: body.length <= MAX_BEACON_BYTES, // keepalive bodies are capped
        headers: { 'Content-Type': 'text/plain' }, credentials: 'omit', mode: 'cors',
      });
      if (res.ok || (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429)) {
        if (!res.ok && w.console) w.console.warn('eventsd: refused', res.status, await res.text());
        forget(req.items.map((i) => i.id));
        retryMs = 0;
        again = true;
      } else {
        const after = Number(res.headers.get('Retry-After')) * 1000;
        retryMs = Math.max(after || 0, Math.min(60000, retryMs ? retryMs * 2 : 1000));
      }
    } catch (e) {
      retryMs = Math.min(60000, retryMs ? retryMs * 2 : 1000); // offline, or the server is down
    } finally {
      inflight = false;
    }
    if (again) { if (queue().length) schedule(0); } else { schedule(retryMs); }
  }

  // On page hide: a beacon with what is queued. Items stay queued until a fetch is acknowledged,
  // so whatever the beacon did not deliver goes again on the next page, under the same ids.
  function beacon() {
    if (disabled()) return;
    const req = nextRequest(queue());
    if (!req) return;
    const body = JSON.stringify(req.body);
    if (body.length > MAX_BEACON_BYTES) return;
    if (!(navigator.sendBeacon && navigator.sendBeacon(endpoint(req.path), new Blob([body], { type: 'text/plain' })))) {
      fetch(endpoint(req.path), { method: 'POST', body, keepalive: true, headers: { 'Content-Type': 'text/plain' }, credentials: 'omit' })
        .catch(() => {});
    }
  }

  function track(name, data) {
    if (disabled()) return null;
    const s = session();
    const body = {
      id: 'web_' + hex(12), event: String(name), timestamp: new Date().toISOString(),
      url: w.location.href, session_id: s.id, data: Object.assign({}, data || {}),
    };
    const referrer = get('referrer');
    if (referrer) body.referrer = referrer;
    Object.assign(body, s.utm);
    const contact = get('contact');
    if (contact) body.contact_id = contact;
    enqueue({ kind: 'event', id: body.id, body });
    return body.id;
  }

  function page(data) {
    const url = w.location.href;
    const referrer = lastUrl || d.referrer;
    if (referrer) set('referrer', referrer); else del('referrer');
    lastUrl = url;
    return track('page_view', Object.assign({ path: w.location.pathname, title: d.title }, data || {}));
  }

  function identify(contactId, traits) {
    if (disabled() || !contactId) return;
    set('contact', String(contactId));
    if (traits && Object.keys(traits).length) {
      enqueue({ kind: 'identify', id: 'idn_' + hex(8), body: { contact_id: String(contactId), traits } });
    }
  }

  // Single-page apps: a page_view when history moves to another URL.
  function watchHistory() {
    // After the app's own handler: the title it sets with the route is the new page's.
    const changed = () => setTimeout(() => { if (w.location.href !== lastUrl) page(); }, 0);
    ['pushState', 'replaceState'].forEach((m) => {
      const original = w.history[m];
      w.history[m] = function () { const r = original.apply(this, arguments); changed(); return r; };
    });
    w.addEventListener('popstate', changed);
    w.addEventListener('hashchange', changed);
  }

  const label = (el) => (el.getAttribute('aria-label') || el.innerText || el.value || '').trim().slice(0, 100);

  function autocapture(opts) {
    if (opts.forms) {
      d.addEventListener('submit', (e) => {
        const f = e.target;
        track('form_submit', { form_id: f.id || null, form_name: f.getAttribute('name'), action: f.getAttribute('action'), path: w.location.pathname });
        beacon(); // the page may be leaving
      }, true);
    }
    if (opts.clicks) {
      d.addEventListener('click', (e) => {
        const b = e.target.closest && e.target.closest('button, [role=button], input[type=button], input[type=submit]');
        if (b) track('button_click', { text: label(b), id: b.id || null, path: w.location.pathname });
      }, true);
    }
    if (opts.videos) {
      d.addEventListener('play', (e) => {
        const v = e.target;
        if (v instanceof HTMLVideoElement) track('video_play', { src: v.currentSrc || null, id: v.id || null, position: Math.round(v.currentTime) });
      }, true); // media events do not bubble: listen while capturing
    }
  }

  function init(options) {
    if (cfg) return;
    if (!options || !options.key || !options.host) throw new Error('eventsd.init needs {key, host}');
    cfg = Object.assign({
      autoPageViews: true, autocapture: {}, respectDoNotTrack: false,
      batchSize: 20, flushInterval: 2000, maxQueue: 500,
    }, options);
    cfg.host = String(cfg.host).replace(/\/+$/, '');
    if (disabled()) return;
    if (!get('visited')) { set('visited', true); track('first_visit'); }
    if (cfg.autoPageViews) { page(); watchHistory(); }
    autocapture(cfg.autocapture || {});
    d.addEventListener('visibilitychange', () => { if (d.visibilityState === 'hidden') beacon(); });
    w.addEventListener('pagehide', beacon);
    w.addEventListener('online', () => schedule(0));
    schedule(0); // what earlier pages left queued
  }

  const api = {
    version: '1',
    init,
    track,
    identify,
    page,
    flush: () => { schedule(0); },
    // Stops tracking in this browser (remembered) and drops what is queued.
    optOut: () => { set('optout', true); del('queue'); },
    optIn: () => { del('optout'); },
    isOptedOut: () => get('optout') === true,
    // Forgets the contact and the session (a logout on the site).
    reset: () => { del('contact'); del('session'); },
    // Events and identify calls not yet acknowledged by the server.
    pending: () => queue().length,
    // The delay before the next retry after a failed send, in ms (0: not retrying).
    backoff: () => retryMs,
  };
  w.eventsd = api;
  // Calls made through the snippet's stub before this file loaded.
  if (prev && Array.isArray(prev.q)) prev.q.forEach((call) => { api[call[0]].apply(api, call[1]); });
})(window, document);
