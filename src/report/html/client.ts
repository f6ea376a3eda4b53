/**
 * The page's script, core part: routing between views, the task list (filtered, searched, one page at a time)
 * and the task page. Traces and side-by-side views are parsed from their own blocks only when a task is opened.
 * Plain ES2019 without template literals, so it can live in this string as is.
 */
export const CLIENT_CORE_JS = String.raw`
var started = performance.now();
var data = JSON.parse(document.getElementById('report-data').textContent);
var tasks = data.tasks;
var PAGE = 50;
var state = { q: '', filter: 'all', page: 0 };
var blocks = {};
var timings = { firstRenderMs: 0, lastRenderMs: 0 };
window.__report = timings;

function $(id) { return document.getElementById(id); }
function esc(s) {
  return String(s == null ? '' : s).replace(/[&<>"']/g, function (c) { return '&#' + c.charCodeAt(0) + ';'; });
}
function num(n) { return Number(n).toLocaleString('en-US'); }
function ms(n) { return n >= 60000 ? (n / 60000).toFixed(1) + ' min' : n >= 1000 ? (n / 1000).toFixed(1) + ' s' : Math.round(n) + ' ms'; }
function block(i) {
  if (i == null) return null;
  if (!(i in blocks)) { var el = $('lazy-' + i); blocks[i] = el ? JSON.parse(el.textContent) : null; }
  return blocks[i];
}
function passes(trials) { for (var i = 0; i < trials.length; i++) if (trials[i].outcome === 'pass') return true; return false; }
function has(trials, outcome) { for (var i = 0; i < trials.length; i++) if (trials[i].outcome === outcome) return true; return false; }

var FILTERS = [
  ['all', 'All tasks', function () { return true; }],
  ['changed', 'Changed', function (t) { return t.change !== 'same' && t.change !== 'ignored'; }],
  ['regressions', 'Regressions', function (t) { return t.change === 'regression' || t.change === 'lost'; }],
  ['fixes', 'Fixes', function (t) { return t.change === 'fix' || t.change === 'gained'; }],
  ['flipped', 'Pass set flipped', function (t) { return t.flip != null; }],
  ['failing', 'Failing now', function (t) { return has(t.c, 'fail') || has(t.c, 'error'); }],
  ['errors', 'With errors', function (t) { return has(t.c, 'error') || (t.b != null && has(t.b, 'error')); }]
];
var lowerIds = tasks.map(function (t) { return t.id.toLowerCase(); });

function matching() {
  var test = FILTERS[0][2];
  for (var f = 0; f < FILTERS.length; f++) if (FILTERS[f][0] === state.filter) test = FILTERS[f][2];
  var q = state.q.trim().toLowerCase();
  var out = [];
  for (var i = 0; i < tasks.length; i++) if ((!q || lowerIds[i].indexOf(q) >= 0) && test(tasks[i])) out.push(i);
  return out;
}

function dots(trials) {
  if (!trials) return '<span class="dim">–</span>';
  var html = '';
  for (var i = 0; i < trials.length; i++) {
    var t = trials[i];
    html += '<span class="dot o-' + t.outcome + '" title="trial #' + t.index + ': ' + t.outcome + (t.reason ? ' – ' + esc(t.reason) : '') + '"></span>';
  }
  return '<span class="dots">' + html + '</span>';
}
function rate(trials) {
  if (!trials || !trials.length) return '–';
  var p = 0; for (var i = 0; i < trials.length; i++) if (trials[i].outcome === 'pass') p++;
  return p + '/' + trials.length;
}
function totals(trials) {
  var tokens = 0, time = 0;
  for (var i = 0; i < trials.length; i++) { tokens += trials[i].tokens[0] + trials[i].tokens[1]; time += trials[i].durationMs; }
  return { tokens: tokens, time: time };
}
function badge(change) { return '<span class="badge ' + esc(change) + '">' + esc(change) + '</span>'; }

function renderList() {
  var t0 = performance.now();
  var found = matching();
  var pages = Math.max(1, Math.ceil(found.length / PAGE));
  if (state.page >= pages) state.page = pages - 1;
  var from = state.page * PAGE;
  var rows = [];
  for (var k = from; k < Math.min(found.length, from + PAGE); k++) {
    var i = found[k], t = tasks[i], sum = totals(t.c);
    rows.push('<tr data-task="' + i + '"><td>' + badge(t.change) + '</td><td class="name" title="' + esc(t.id) + '"><a href="#task/' + i + '">' + esc(t.name) +
      '</a> <span class="dim">' + esc(t.file) + '</span></td><td>' + dots(t.b) + '</td><td>' + dots(t.c) + '</td><td class="num">' + rate(t.b) + ' → ' + rate(t.c) +
      '</td><td class="num">' + num(sum.tokens) + '</td><td class="num">' + ms(sum.time) + '</td></tr>');
  }
  $('task-rows').innerHTML = rows.join('') || '<tr><td colspan="7" class="dim">No task matches.</td></tr>';
  var range = found.length ? (from + 1) + '–' + Math.min(found.length, from + PAGE) : '0';
  $('page-info').textContent = range + ' of ' + num(found.length) + (found.length !== tasks.length ? ' (of ' + num(tasks.length) + ')' : '') + ' · page ' + (state.page + 1) + ' of ' + pages;
  $('page-prev').disabled = state.page === 0;
  $('page-next').disabled = state.page >= pages - 1;
  void document.body.offsetHeight; // layout included in the measured time
  timings.lastRenderMs = performance.now() - t0;
}

function trialRows(side, trials, selected) {
  if (!trials) return '';
  var rows = trials.map(function (t) {
    var sel = selected && selected.side === side && selected.trial === t.index;
    return '<tr data-side="' + side + '" data-trial="' + t.index + '"' + (sel ? ' class="selected"' : '') + '><td>#' + t.index + '</td><td>' + dots([t]) + ' ' + t.outcome +
      '</td><td>' + esc(t.status || '') + '</td><td class="num">' + t.turns + '</td><td class="num">' + t.toolCalls + '</td><td class="num">' + num(t.tokens[0]) + ' + ' + num(t.tokens[1]) +
      '</td><td class="num">' + ms(t.durationMs) + '</td><td class="reason">' + esc(t.reason || '') + '</td><td>' + (t.trace == null ? '<span class="dim">no trace</span>' : '<span class="link">timeline</span>') + '</td></tr>';
  });
  return '<h3>' + (side === 'candidate' ? 'Candidate' : 'Baseline') + ' trials (' + rate(trials) + ' passed)</h3><table class="trials" data-side="' + side + '"><thead><tr><th>trial</th><th>outcome</th><th>status</th><th>turns</th><th>tool calls</th><th>tokens (prompt + completion)</th><th>time</th><th>reason</th><th></th></tr></thead><tbody>' + rows.join('') + '</tbody></table>';
}

function defaultTrial(t) {
  var order = [['candidate', t.c], ['baseline', t.b || []]];
  for (var pass = 0; pass < 2; pass++) {
    for (var s = 0; s < order.length; s++) {
      var list = order[s][1];
      for (var i = 0; i < list.length; i++) if (list[i].trace != null && (pass === 1 || list[i].outcome !== 'pass')) return { side: order[s][0], trial: list[i].index };
    }
  }
  return null;
}

function renderTask(i, selected) {
  var t = tasks[i];
  if (!t) { $('task-view').innerHTML = '<p>No such task. <a href="#tasks">All tasks</a></p>'; return; }
  selected = selected || defaultTrial(t);
  var facts = [badge(t.change)];
  if (t.split) facts.push('<span class="tag">split ' + esc(t.split) + '</span>');
  if (t.gating === false) facts.push('<span class="tag">not gating</span>');
  if (t.pValue != null) facts.push('<span class="dim">p=' + t.pValue.toPrecision(2) + (t.adjustedPValue != null ? ', adjusted ' + t.adjustedPValue.toPrecision(2) : '') + '</span>');
  var html = '<a class="back" href="#tasks">← All tasks</a><h2 id="task-title">' + esc(t.name) + '</h2><div class="dim">' + esc(t.id) + '</div><p>' + facts.join(' ') + '</p>';
  if (t.flip != null) html += renderSideBySide(block(t.flip));
  html += trialRows('candidate', t.c, selected) + trialRows('baseline', t.b, selected);
  html += '<div id="timeline">' + (selected ? renderTimeline(selected, t) : '<p class="dim">No trace was loaded for this task (the report loads ' + (data.traceTrials === 'all' ? 'all traces' : 'traces of failed and flipped trials') + ').</p>') + '</div>';
  $('task-view').innerHTML = html;
}

function trialOf(t, sel) {
  var list = sel.side === 'candidate' ? t.c : (t.b || []);
  for (var i = 0; i < list.length; i++) if (list[i].index === sel.trial) return list[i];
  return null;
}

function show(view) {
  var sections = document.querySelectorAll('[data-view]');
  for (var i = 0; i < sections.length; i++) sections[i].hidden = sections[i].getAttribute('data-view') !== view;
  var links = document.querySelectorAll('nav a');
  for (var j = 0; j < links.length; j++) links[j].classList.toggle('active', links[j].getAttribute('data-nav') === (view === 'task' ? 'tasks' : view));
}

function route() {
  var hash = decodeURIComponent(location.hash.slice(1));
  var m = /^task\/(\d+)$/.exec(hash);
  if (m) { show('task'); renderTask(Number(m[1])); window.scrollTo(0, 0); return; }
  if (hash === 'tasks') { show('tasks'); renderList(); return; }
  if (hash === 'weaknesses' || hash === 'lineage') { if ($('view-' + hash)) { show(hash); return; } }
  show('overview');
  var target = hash && $(hash);
  if (target) target.scrollIntoView();
}

function start() {
  $('task-search').addEventListener('input', function (e) { state.q = e.target.value; state.page = 0; renderList(); });
  $('task-filter').addEventListener('change', function (e) { state.filter = e.target.value; state.page = 0; renderList(); });
  $('page-prev').addEventListener('click', function () { state.page--; renderList(); });
  $('page-next').addEventListener('click', function () { state.page++; renderList(); });
  $('task-rows').addEventListener('click', function (e) {
    var row = e.target.closest('tr[data-task]');
    if (row && !e.target.closest('a')) location.hash = 'task/' + row.getAttribute('data-task');
  });
  $('task-view').addEventListener('click', function (e) {
    var row = e.target.closest('tr[data-trial]');
    var m = /^#task\/(\d+)$/.exec(location.hash);
    if (!row || !m) return;
    var t = tasks[Number(m[1])];
    var sel = { side: row.getAttribute('data-side'), trial: Number(row.getAttribute('data-trial')) };
    var rows = document.querySelectorAll('.trials tr[data-trial]');
    for (var i = 0; i < rows.length; i++) rows[i].classList.toggle('selected', rows[i] === row);
    $('timeline').innerHTML = renderTimeline(sel, t);
  });
  var options = FILTERS.map(function (f) {
    var n = 0; for (var i = 0; i < tasks.length; i++) if (f[2](tasks[i])) n++;
    return '<option value="' + f[0] + '">' + f[1] + ' (' + num(n) + ')</option>';
  });
  $('task-filter').innerHTML = options.join('');
  window.addEventListener('hashchange', route);
  route();
  void document.body.offsetHeight;
  timings.firstRenderMs = performance.now() - started;
  performance.mark('report-rendered');
}
`
