// The dashboard page of awsdl-cluster and awsdl-sagemaker: renders /api/snapshot (fetched
// whenever the stream announces a new one) and appends the log lines and events the stream
// (/api/events, Server-Sent Events) pushes. Read-only: it sends nothing but GETs.
// Counts are kept in data- attributes for tests and scripts (body[data-snapshots],
// #log[data-lines], .metric[data-points], tr.node[data-state]).
'use strict';

const kMaxLogLines = 1000;
const charts = {};  // metric name -> Chart
let logLines = 0;
let eventCount = 0;

function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function duration(ms) {
  if (ms === null || ms === undefined || ms < 0) return '-';
  let s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400); s -= d * 86400;
  const h = Math.floor(s / 3600); s -= h * 3600;
  const m = Math.floor(s / 60); s -= m * 60;
  if (d) return `${d}d ${h}h ${m}m`;
  if (h) return `${h}h ${m}m`;
  if (m) return `${m}m ${s}s`;
  return `${s}s`;
}

function bytes(n) {
  if (n === null || n === undefined) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

function time(ms) {
  return ms ? new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-';
}

function renderFacts(s) {
  const facts = document.getElementById('facts');
  facts.replaceChildren();
  const add = (label, value, id) => {
    const f = el('span', {class: 'fact'});
    f.append(el('b', {}, label + ' '), el('span', id ? {id} : {}, value));
    facts.append(f);
  };
  add('status', s.status || '-', 'status');
  if (s.started) add('age', duration(s.at - s.started), 'age');
  if (s.cost) add('cost so far', `$${s.cost.usd.toFixed(2)}`, 'cost');
  for (const [label, value] of s.facts || []) add(label, value);
  add('updated', `${time(s.at)} (took ${s.took_ms} ms)`);
  document.getElementById('footer').textContent = s.cost ? s.cost.basis : (s.cost_note || '');
}

function gpuBars(gpus) {
  const cell = el('td', {class: 'gpus'});
  if (!gpus || !gpus.length) { cell.textContent = '-'; return cell; }
  for (const g of gpus) {
    const bar = el('div', {class: 'gpu', 'data-util': String(g.util),
                           title: `GPU ${g.index}: ${g.util}% busy, ${g.mem_used} of ${g.mem_total} MiB`});
    const fill = el('div', {class: 'fill'});
    fill.style.width = `${Math.max(0, Math.min(100, g.util))}%`;
    bar.append(fill, el('span', {}, `${g.index}: ${g.util}%`));
    cell.append(bar);
  }
  return cell;
}

function renderNodes(nodes) {
  const section = document.getElementById('nodes-section');
  if (!nodes) { section.hidden = true; return; }
  section.hidden = false;
  const body = document.querySelector('#nodes tbody');
  body.replaceChildren();
  for (const n of nodes) {
    const tr = el('tr', {class: 'node ' + n.state, 'data-id': n.id, 'data-state': n.state, 'data-role': n.role});
    const load = n.load >= 0 ? `${n.load.toFixed(2)} / ${n.cpus} CPUs` : '-';
    tr.append(el('td', {}, n.role), el('td', {}, n.address || '-'), el('td', {}, n.id), el('td', {}, n.type),
              el('td', {}, n.zone), el('td', {class: 'state'}, n.detail ? `${n.state}: ${n.detail}` : n.state),
              el('td', {}, load + (n.shared_free !== undefined ? `, ${bytes(n.shared_free)} free` : '')),
              gpuBars(n.gpus));
    body.append(tr);
  }
}

function renderList(sectionId, listId, items) {
  const section = document.getElementById(sectionId);
  section.hidden = !items || !items.length;
  const list = document.getElementById(listId);
  list.replaceChildren();
  for (const j of items || []) list.append(el('li', {'data-state': j.state}, `${j.id}: ${j.text}`));
}

function renderTransitions(ts) {
  const section = document.getElementById('transitions-section');
  section.hidden = !ts;
  if (!ts) return;
  const body = document.querySelector('#transitions tbody');
  body.replaceChildren();
  for (const t of ts) {
    body.append(Object.assign(el('tr', {class: 'transition', 'data-status': t.status}), {}));
    body.lastChild.append(el('td', {}, t.status), el('td', {}, time(t.start)), el('td', {}, time(t.end)),
                          el('td', {}, t.message || ''));
  }
}

function renderMetrics(metrics) {
  const box = document.getElementById('metrics');
  const note = document.getElementById('charts-note');
  const names = Object.keys(metrics || {});
  note.textContent = names.length ? '' : 'No metric definitions (--metric NAME=REGEX).';
  if (typeof Chart === 'undefined' && names.length) note.textContent = 'Chart.js is not installed (libjs-chart.js): latest values only.';
  for (const name of names) {
    const points = metrics[name];
    let div = box.querySelector(`.metric[data-name="${CSS.escape(name)}"]`);
    if (!div) {
      div = el('div', {class: 'metric', 'data-name': name, 'data-points': '0'});
      div.append(el('h3', {}, name), el('div', {class: 'latest'}), el('canvas', {}));
      box.append(div);
    }
    div.setAttribute('data-points', String(points.length));
    const last = points.length ? points[points.length - 1] : null;
    div.querySelector('.latest').textContent = last ? `latest ${last[1]} (log line ${last[0]}), ${points.length} points` : 'no value yet';
    if (typeof Chart === 'undefined') continue;
    const data = points.map(([x, y]) => ({x, y}));
    if (!charts[name]) {
      charts[name] = new Chart(div.querySelector('canvas'), {
        type: 'line',
        data: {datasets: [{label: name, data, borderColor: '#2563eb', borderWidth: 1.5, pointRadius: 0, tension: 0}]},
        options: {animation: false, responsive: true, maintainAspectRatio: false, parsing: true,
                  plugins: {legend: {display: false}},
                  scales: {x: {type: 'linear', title: {display: true, text: 'log line'}}, y: {title: {display: true, text: name}}}},
      });
    } else {
      charts[name].data.datasets[0].data = data;
      charts[name].update('none');
    }
  }
}

function render(s) {
  if (!s || s.waiting) return;
  document.title = s.title;
  document.getElementById('title').textContent = s.title;
  document.body.dataset.exists = String(s.exists !== false);
  const gone = document.getElementById('gone');
  gone.hidden = s.exists !== false;
  gone.textContent = s.exists === false ? s.gone : '';
  const problem = document.getElementById('problem');
  problem.hidden = !s.problem;
  problem.textContent = s.problem || '';
  if (s.log_label) document.getElementById('log-heading').textContent = s.log_label;
  if (s.events_label) document.getElementById('events-heading').textContent = s.events_label;
  renderFacts(s);
  renderTransitions(s.transitions);
  renderNodes(s.nodes);
  renderList('jobs-section', 'jobs', s.jobs);
  renderMetrics(s.metrics);
  document.body.dataset.snapshots = String(Number(document.body.dataset.snapshots) + 1);
}

async function refresh() {
  try {
    const r = await fetch('/api/snapshot', {credentials: 'same-origin', cache: 'no-store'});
    if (r.ok) render(await r.json());
  } catch (e) {
    document.body.dataset.stream = 'error';
  }
}

function appendLog(lines) {
  const log = document.getElementById('log');
  const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
  for (const l of lines) {
    const line = el('div', {class: 'line'});
    if (l.source) line.append(el('span', {class: 'source'}, l.source + ' '));
    line.append(document.createTextNode(l.text));
    log.append(line);
  }
  while (log.childNodes.length > kMaxLogLines) log.removeChild(log.firstChild);
  logLines += lines.length;
  log.dataset.lines = String(logLines);
  if (atBottom) log.scrollTop = log.scrollHeight;
}

function appendEvents(events) {
  const list = document.getElementById('events');
  for (const e of events) list.prepend(el('li', {}, `${e.time}  ${e.text}`));
  while (list.childNodes.length > 200) list.removeChild(list.lastChild);
  eventCount += events.length;
  list.dataset.count = String(eventCount);
}

function connect() {
  const stream = new EventSource('/api/events');
  stream.onopen = () => { document.body.dataset.stream = 'open'; };
  stream.onerror = () => { document.body.dataset.stream = 'reconnecting'; };
  stream.addEventListener('log', (m) => appendLog(JSON.parse(m.data).lines));
  stream.addEventListener('events', (m) => appendEvents(JSON.parse(m.data).events));
  stream.addEventListener('snapshot', () => refresh());
}

refresh();
connect();
