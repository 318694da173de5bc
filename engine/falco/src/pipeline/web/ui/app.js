// The alerts UI. Every piece of alert data reaches the page through textContent or an
// attribute value, never as markup: a rule output may hold anything an attacker wrote.
'use strict';

const PRIORITIES = ['Emergency', 'Alert', 'Critical', 'Error', 'Warning', 'Notice', 'Informational', 'Debug'];
const SVG = 'http://www.w3.org/2000/svg';
const BUCKETS = 30;

const state = {
  alerts: [],          // oldest first, at most maxAlerts
  maxAlerts: 10000,
  lastId: 0,
  priorities: new Set(),
  page: 0,
  view: 'dashboard',
  source: null,
  pending: false,
  lastRender: 0,
  shed: 0,
};

// Under a flood of live alerts the page redraws at most this often.
const RENDER_EVERY_MS = 200;

const $ = (id) => document.getElementById(id);

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = String(text);
  return e;
}

function pclass(p) {
  const name = String(p || '').toLowerCase();
  return PRIORITIES.some((x) => x.toLowerCase() === name) ? name : 'debug';
}

// Falco's times carry nanoseconds; Date takes milliseconds.
function millis(a) {
  if (a._ms === undefined) {
    const t = Date.parse(String(a.time || '').replace(/(\.\d{3})\d+/, '$1'));
    a._ms = Number.isFinite(t) ? t : 0;
  }
  return a._ms;
}

function field(a, ...names) {
  const f = a.output_fields || {};
  for (const n of names) {
    const v = f[n];
    if (v !== undefined && v !== null && v !== '' && v !== '<NA>') return String(v);
  }
  return '';
}

const container = (a) => field(a, 'container.name', 'container.id');
const pod = (a) => field(a, 'k8s.pod.name');

function searchText(a) {
  if (a._text === undefined) {
    const parts = [a.output, a.rule, a.source, a.hostname, (a.tags || []).join(' ')];
    for (const [k, v] of Object.entries(a.output_fields || {})) parts.push(k + '=' + v);
    a._text = parts.join('\n').toLowerCase();
  }
  return a._text;
}

function filters() {
  return {
    source: $('f-source').value,
    hostname: $('f-hostname').value,
    rule: $('f-rule').value,
    tag: $('f-tag').value,
    container: $('f-container').value,
    pod: $('f-pod').value,
    since: Number($('f-since').value) * 1000,
    search: $('f-search').value.trim().toLowerCase(),
  };
}

// Every filter but the priorities, which the counters show per priority.
function matchesExceptPriority(a, f, now) {
  if (f.source && a.source !== f.source) return false;
  if (f.hostname && a.hostname !== f.hostname) return false;
  if (f.rule && a.rule !== f.rule) return false;
  if (f.tag && !(a.tags || []).includes(f.tag)) return false;
  if (f.container && container(a) !== f.container) return false;
  if (f.pod && pod(a) !== f.pod) return false;
  if (f.since && millis(a) < now - f.since) return false;
  if (f.search && !searchText(a).includes(f.search)) return false;
  return true;
}

function fillSelect(id, values) {
  const s = $(id);
  const keep = s.value;
  const sorted = [...values].filter((v) => v !== '').sort();
  const have = [...s.options].slice(1).map((o) => o.value);
  if (have.length === sorted.length && have.every((v, i) => v === sorted[i])) return;
  while (s.options.length > 1) s.remove(1);
  for (const v of sorted) {
    const o = document.createElement('option');
    o.value = v;
    o.textContent = v;
    s.appendChild(o);
  }
  s.value = sorted.includes(keep) ? keep : '';
}

function render() {
  state.pending = false;
  state.lastRender = performance.now();
  // Trimmed here, once per redraw, rather than once per alert.
  if (state.alerts.length > state.maxAlerts) state.alerts.splice(0, state.alerts.length - state.maxAlerts);
  const f = filters();
  const now = Date.now();
  const byPriority = new Map(PRIORITIES.map((p) => [p, 0]));
  const sets = { source: new Set(), hostname: new Set(), rule: new Set(), tag: new Set(), container: new Set(), pod: new Set() };
  const shown = [];
  for (const a of state.alerts) {
    sets.source.add(a.source || '');
    sets.hostname.add(a.hostname || '');
    sets.rule.add(a.rule || '');
    for (const t of a.tags || []) sets.tag.add(t);
    sets.container.add(container(a));
    sets.pod.add(pod(a));
    if (!matchesExceptPriority(a, f, now)) continue;
    const p = PRIORITIES[PRIORITIES.map((x) => x.toLowerCase()).indexOf(pclass(a.priority))];
    byPriority.set(p, byPriority.get(p) + 1);
    if (state.priorities.size && !state.priorities.has(p)) continue;
    shown.push(a);
  }
  for (const k of Object.keys(sets)) fillSelect('f-' + k, sets[k]);
  renderCounters(byPriority);
  shown.reverse(); // newest first
  document.body.dataset.shown = String(shown.length);
  document.body.dataset.total = String(state.alerts.length);
  if (state.view === 'dashboard') {
    renderTimeChart(shown);
    renderRuleChart(shown);
  } else {
    renderTable(shown);
  }
}

function schedule() {
  if (state.pending) return;
  state.pending = true;
  const wait = Math.max(0, state.lastRender + RENDER_EVERY_MS - performance.now());
  setTimeout(() => requestAnimationFrame(render), wait);
}

function renderCounters(byPriority) {
  const box = $('priorities');
  box.replaceChildren();
  for (const p of PRIORITIES) {
    const b = el('button', 'chip p-' + p.toLowerCase(), p);
    b.type = 'button';
    b.dataset.priority = p;
    b.dataset.count = String(byPriority.get(p));
    b.setAttribute('aria-pressed', state.priorities.has(p) ? 'true' : 'false');
    if (state.priorities.has(p)) b.classList.add('selected');
    b.appendChild(el('span', 'n', byPriority.get(p)));
    b.addEventListener('click', () => {
      if (state.priorities.has(p)) state.priorities.delete(p); else state.priorities.add(p);
      state.page = 0;
      schedule();
    });
    box.appendChild(b);
  }
}

function renderTimeChart(shown) {
  const chart = $('time-chart');
  const W = Math.max(chart.clientWidth || 800, 300);
  const H = 220;
  const left = 40;
  const bottom = 22;
  chart.setAttribute('viewBox', `0 0 ${W} ${H}`);
  chart.setAttribute('height', H);
  chart.replaceChildren();
  const legend = $('time-legend');
  legend.replaceChildren();
  if (!shown.length) {
    chart.appendChild(svg('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle' }, 'No alerts'));
    return;
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (const a of shown) { const t = millis(a); if (t < lo) lo = t; if (t > hi) hi = t; }
  const span = Math.max(hi - lo, 1);
  const buckets = Array.from({ length: BUCKETS }, () => new Map());
  for (const a of shown) {
    const i = Math.min(BUCKETS - 1, Math.floor(((millis(a) - lo) / span) * BUCKETS));
    const p = pclass(a.priority);
    buckets[i].set(p, (buckets[i].get(p) || 0) + 1);
  }
  const max = Math.max(...buckets.map((b) => [...b.values()].reduce((x, y) => x + y, 0)), 1);
  const bw = (W - left - 4) / BUCKETS;
  const ph = H - bottom - 6;
  chart.appendChild(svg('line', { class: 'axis', x1: left, y1: H - bottom, x2: W, y2: H - bottom }));
  chart.appendChild(svg('text', { x: left - 4, y: 12, 'text-anchor': 'end' }, max));
  chart.appendChild(svg('text', { x: left - 4, y: H - bottom, 'text-anchor': 'end' }, 0));
  const totals = new Map();
  buckets.forEach((b, i) => {
    let y = H - bottom;
    for (const p of PRIORITIES.map((x) => x.toLowerCase()).reverse()) {
      const n = b.get(p) || 0;
      if (!n) continue;
      totals.set(p, (totals.get(p) || 0) + n);
      const h = Math.max((n / max) * ph, 1);
      y -= h;
      const r = svg('rect', { class: 'bar f-' + p, x: left + i * bw + 1, y, width: Math.max(bw - 2, 1), height: h, 'data-count': n, 'data-priority': p });
      r.appendChild(svg('title', {}, `${n} ${p} at ${new Date(lo + (i * span) / BUCKETS).toISOString()}`));
      chart.appendChild(r);
    }
  });
  chart.appendChild(svg('text', { x: left, y: H - 6 }, new Date(lo).toISOString().replace('T', ' ').slice(0, 19)));
  chart.appendChild(svg('text', { x: W - 2, y: H - 6, 'text-anchor': 'end' }, new Date(hi).toISOString().replace('T', ' ').slice(0, 19)));
  for (const p of PRIORITIES) {
    const n = totals.get(p.toLowerCase());
    if (n) legend.appendChild(el('span', 'chip p-' + p.toLowerCase(), `${p} ${n}`));
  }
}

function renderRuleChart(shown) {
  const chart = $('rule-chart');
  chart.replaceChildren();
  const counts = new Map();
  for (const a of shown) counts.set(a.rule, (counts.get(a.rule) || 0) + 1);
  const rows = [...counts.entries()].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1));
  const W = Math.max(chart.clientWidth || 800, 300);
  const rowH = 22;
  const H = Math.max(rows.length * rowH + 4, 30);
  chart.setAttribute('viewBox', `0 0 ${W} ${H}`);
  chart.setAttribute('height', H);
  if (!rows.length) {
    chart.appendChild(svg('text', { x: W / 2, y: 18, 'text-anchor': 'middle' }, 'No alerts'));
    return;
  }
  const labelW = Math.min(360, W * 0.4);
  const max = rows[0][1];
  rows.forEach(([rule, n], i) => {
    const y = i * rowH + 2;
    chart.appendChild(svg('text', { class: 'rule-label', x: labelW - 6, y: y + 15, 'text-anchor': 'end' }, rule.length > 55 ? rule.slice(0, 54) + '…' : rule));
    const w = Math.max(((W - labelW - 50) * n) / max, 1);
    const r = svg('rect', { class: 'rule-bar', x: labelW, y: y + 3, width: w, height: rowH - 6, 'data-count': n, 'data-rule': rule });
    r.appendChild(svg('title', {}, `${rule}: ${n}`));
    r.addEventListener('click', () => { $('f-rule').value = rule; state.page = 0; schedule(); });
    chart.appendChild(r);
    chart.appendChild(svg('text', { x: labelW + w + 4, y: y + 15 }, n));
  });
}

function renderTable(shown) {
  const size = Number($('page-size').value);
  const pages = Math.max(Math.ceil(shown.length / size), 1);
  state.page = Math.min(state.page, pages - 1);
  const start = state.page * size;
  const rows = $('rows');
  rows.replaceChildren();
  for (const a of shown.slice(start, start + size)) {
    const tr = el('tr', 'row');
    tr.dataset.id = String(a.id);
    tr.dataset.priority = String(a.priority);
    tr.appendChild(el('td', '', String(a.time || '').replace('T', ' ').replace(/(\.\d{6})\d+/, '$1')));
    const src = el('td');
    src.appendChild(chipFilter('chip src', a.source, 'f-source'));
    tr.appendChild(src);
    const pr = el('td');
    pr.appendChild(el('span', 'chip p-' + pclass(a.priority), a.priority));
    tr.appendChild(pr);
    tr.appendChild(el('td', 'rule', a.rule));
    const out = el('td', 'output-cell');
    out.appendChild(el('div', 'text', a.output));
    const kvs = el('div');
    for (const [k, v] of Object.entries(a.output_fields || {})) {
      const kv = el('span', 'kv');
      kv.appendChild(el('span', 'k', k));
      kv.appendChild(el('span', 'v', v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : v));
      kvs.appendChild(kv);
    }
    out.appendChild(kvs);
    tr.appendChild(out);
    const tags = el('td');
    for (const t of a.tags || []) tags.appendChild(chipFilter('chip tag', t, 'f-tag'));
    tr.appendChild(tags);
    tr.addEventListener('click', () => showDetail(a));
    rows.appendChild(tr);
  }
  const shed = state.shed ? `; ${state.shed} not kept: the store fell behind` : '';
  $('shown').textContent = `${shown.length} alerts (${state.alerts.length} kept, at most ${state.maxAlerts}${shed})`;
  $('page').textContent = `${state.page + 1} / ${pages}`;
}

function chipFilter(cls, value, select) {
  const c = el('span', cls, value);
  c.addEventListener('click', (e) => {
    e.stopPropagation();
    $(select).value = value;
    state.page = 0;
    schedule();
  });
  return c;
}

function showDetail(a) {
  $('detail-priority').className = 'chip p-' + pclass(a.priority);
  $('detail-priority').textContent = a.priority;
  $('detail-rule').textContent = a.rule;
  $('detail-output').textContent = a.output;
  const body = $('detail-fields');
  body.replaceChildren();
  const add = (k, v) => {
    const tr = el('tr');
    tr.appendChild(el('th', '', k));
    tr.appendChild(el('td', '', v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : v));
    body.appendChild(tr);
  };
  add('time', a.time);
  add('priority', a.priority);
  add('rule', a.rule);
  add('source', a.source);
  add('hostname', a.hostname);
  add('tags', (a.tags || []).join(', '));
  for (const [k, v] of Object.entries(a.output_fields || {})) add(k, v);
  $('detail').hidden = false;
  $('detail-close').focus();
}

function setView(view) {
  state.view = view;
  for (const t of document.querySelectorAll('.tab')) t.classList.toggle('active', t.dataset.view === view);
  $('view-dashboard').hidden = view !== 'dashboard';
  $('view-events').hidden = view !== 'events';
  schedule();
}

function setStatus(text, cls) {
  const s = $('status');
  s.textContent = text;
  s.className = 'status ' + (cls || '');
}

function add(alert) {
  if (!alert || typeof alert !== 'object' || alert.id <= state.lastId) return;
  state.lastId = alert.id;
  state.alerts.push(alert);
  schedule();
}

async function load() {
  let r;
  try {
    r = await fetch('api/alerts', { credentials: 'same-origin', cache: 'no-store' });
  } catch (e) {
    setStatus('offline', 'down');
    setTimeout(load, 2000);
    return;
  }
  if (r.status === 401) {
    $('login').hidden = false;
    $('app').hidden = true;
    setStatus('signed out', 'down');
    return;
  }
  if (!r.ok) {
    setStatus('error ' + r.status, 'down');
    return;
  }
  const data = await r.json();
  $('login').hidden = true;
  $('app').hidden = false;
  state.maxAlerts = data.max_alerts || state.maxAlerts;
  state.shed = data.shed || 0;
  for (const a of data.alerts || []) add(a);
  document.body.dataset.loaded = 'true';
  follow();
}

function follow() {
  if (state.source) state.source.close();
  const es = new EventSource('api/stream?after=' + encodeURIComponent(state.lastId));
  state.source = es;
  es.onopen = () => setStatus('live', 'live');
  es.onerror = () => setStatus('reconnecting', 'down');
  es.onmessage = (m) => {
    try { add(JSON.parse(m.data)); } catch (e) { /* not an alert */ }
  };
}

function init() {
  for (const t of document.querySelectorAll('.tab')) t.addEventListener('click', () => setView(t.dataset.view));
  for (const id of ['f-source', 'f-hostname', 'f-rule', 'f-tag', 'f-container', 'f-pod', 'f-since', 'page-size']) {
    $(id).addEventListener('change', () => { state.page = 0; schedule(); });
  }
  let debounce = null;
  $('f-search').addEventListener('input', () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => { state.page = 0; schedule(); }, 200);
  });
  $('f-clear').addEventListener('click', () => {
    for (const id of ['f-source', 'f-hostname', 'f-rule', 'f-tag', 'f-container', 'f-pod']) $(id).value = '';
    $('f-since').value = '0';
    $('f-search').value = '';
    state.priorities.clear();
    state.page = 0;
    schedule();
  });
  $('prev').addEventListener('click', () => { state.page = Math.max(state.page - 1, 0); schedule(); });
  $('next').addEventListener('click', () => { state.page += 1; schedule(); });
  $('detail-close').addEventListener('click', () => { $('detail').hidden = true; });
  $('detail').addEventListener('click', (e) => { if (e.target === $('detail')) $('detail').hidden = true; });
  document.addEventListener('keydown', (e) => { if (e.key === 'Escape') $('detail').hidden = true; });
  $('login').addEventListener('submit', (e) => {
    e.preventDefault();
    const t = $('token').value;
    document.cookie = 'falco_ui_token=' + encodeURIComponent(t) + '; path=/ui/; SameSite=Strict' + (location.protocol === 'https:' ? '; Secure' : '');
    $('token').value = '';
    load();
  });
  window.addEventListener('resize', schedule);
  schedule();
  load();
}

document.addEventListener('DOMContentLoaded', init);
