/**
 * The page's script, trace part: one trial's trace as a timeline, and a flipped task's two trials side by side.
 * Plain ES2019 without template literals, so it can live in this string as is.
 */
export const CLIENT_TRACE_JS = String.raw`
function argText(args) {
  if (args && typeof args === 'object' && !Array.isArray(args)) {
    if (typeof args.command === 'string') return args.command;
    if (typeof args.path === 'string' && Object.keys(args).length === 1) return args.path;
  }
  return typeof args === 'string' ? args : JSON.stringify(args, null, 2);
}

function pre(text) { return text ? '<pre>' + esc(text) + '</pre>' : ''; }

function eventItem(e) {
  var label = e.kind, body = '', bad = false;
  switch (e.kind) {
    case 'trial-start':
      label = 'start';
      body = '<div class="meta">model ' + esc(e.model) + ' · harness ' + esc(e.harnessId) + ' · trial #' + e.trial + '</div>' + pre(e.instruction);
      break;
    case 'model-request':
      label = 'request';
      body = 'turn ' + e.turn + ' · ' + e.messages + ' message(s) sent';
      break;
    case 'model-response':
      label = 'model';
      body = pre(e.content) + (e.toolCalls.length ? '<div>calls ' + e.toolCalls.map(function (c) { return '<code>' + esc(c.name) + '</code>'; }).join(', ') + '</div>' : '') +
        '<div class="meta">turn ' + e.turn + ' · ' + num(e.tokens.prompt) + ' prompt + ' + num(e.tokens.completion) + ' completion tokens · ' + ms(e.durationMs) + '</div>';
      break;
    case 'tool-call':
      label = 'call';
      body = '<code>' + esc(e.name) + '</code>' + pre(argText(e.arguments));
      break;
    case 'tool-result':
      label = e.ok ? 'result' : 'result ✗';
      bad = !e.ok;
      body = '<div class="meta"><code>' + esc(e.name) + '</code> · ' + (e.ok ? 'ok' : 'failed') + ' · ' + ms(e.durationMs) + (e.truncated ? ' · output truncated' : '') + '</div>' + pre(e.output);
      break;
    case 'harness-step':
      label = 'harness';
      bad = !e.ok;
      body = '<b>' + esc(e.step) + '</b>' + (e.ok ? '' : ' (failed)') + pre(e.detail);
      break;
    case 'error':
      bad = true;
      body = '<b>' + esc(e.source) + '</b> <code>' + esc(e.code) + '</code>' + pre(e.message);
      break;
    case 'trial-end':
      label = 'end';
      body = '<b>' + esc(e.status) + '</b> · ' + e.turns + ' turn(s) · ' + e.toolCalls + ' tool call(s) · ' + num(e.tokens.prompt + e.tokens.completion) + ' tokens · ' + ms(e.durationMs);
      break;
    default:
      body = pre(JSON.stringify(e));
  }
  return '<li class="ev ' + esc(e.kind) + (bad ? ' bad' : '') + '"><span class="t">' + ms(e.t) + '</span><span class="k">' + esc(label) + '</span><div class="body">' + body + '</div></li>';
}

function renderTimeline(sel, t) {
  var trial = trialOf(t, sel);
  var head = '<h3 id="timeline-title">Trace of the ' + sel.side + ' trial #' + sel.trial + (trial ? ' (' + trial.outcome + ')' : '') + '</h3>';
  if (!trial || trial.trace == null) return head + '<p class="dim">No trace was loaded for this trial.</p>';
  var slice = block(trial.trace);
  if (!slice) return head + '<p class="dim">The trace block is missing from this file.</p>';
  if (slice.error) return head + '<p class="ev bad">' + esc(slice.error) + '</p>';
  var items = [], turns = 0, calls = 0, tokens = 0, errors = 0;
  for (var i = 0; i < slice.events.length; i++) {
    var e = slice.events[i];
    if (slice.omittedAt === i) items.push('<li class="ev omitted">… ' + num(slice.omitted) + ' event(s) left out here: the report keeps ' + num(data.maxTraceEvents) + ' events per trace, from its start and its end …</li>');
    if (e.kind === 'model-response') { turns++; tokens += e.tokens.prompt + e.tokens.completion; }
    if (e.kind === 'tool-call') calls++;
    if (e.kind === 'error') errors++;
    items.push(eventItem(e));
  }
  var shown = slice.events.length === slice.total ? num(slice.total) + ' events' : num(slice.events.length) + ' of ' + num(slice.total) + ' events';
  var facts = shown + ' · ' + turns + ' model turn(s) · ' + calls + ' tool call(s) · ' + num(tokens) + ' tokens · ' + errors + ' error(s) · ' + ms(trial.durationMs);
  return head + '<p class="dim">' + facts + '</p><ol class="timeline">' + items.join('') + '</ol>';
}

function stepCell(step, cls) {
  if (!step) return '<div class="gap ' + cls + '"><span class="dim">no step</span></div>';
  var notes = step.notes.length ? '<div class="notes">' + step.notes.map(esc).join('<br>') + '</div>' : '';
  return '<div class="step ' + cls + (step.ok === false ? ' failed' : '') + '"><div class="dim">step ' + step.n + ' · ' + ms(step.t) + '</div><div class="call"><b>' + esc(step.tool) + '</b> ' + esc(step.argument) +
    '</div>' + (step.output ? '<div class="out">' + esc(step.output) + '</div>' : '') + notes + '</div>';
}

function renderSideBySide(f) {
  if (!f) return '';
  var head = '<h3 id="side-by-side">Baseline and candidate, step by step</h3>';
  var which = 'baseline trial #' + f.baseline.trial + ' (' + f.baseline.outcome + ') and candidate trial #' + f.candidate.trial + ' (' + f.candidate.outcome + ')';
  if (!f.aligned) return head + '<p class="dim">Comparing ' + which + ': ' + esc(f.missing) + '</p>';
  var a = f.aligned;
  var intro = a.divergeAt < 0
    ? 'Comparing ' + which + ': every step matches; they differ only in how they ended.'
    : 'Comparing ' + which + ': ' + (a.divergeAt === 0 ? 'they part at the first step' : 'the first ' + a.divergeAt + ' step(s) match') + ' (' + esc(a.divergence) + ').';
  var html = '<p>' + intro + '</p><div class="sbs" id="sbs"><div class="head"></div><div class="head">Baseline #' + f.baseline.trial + ' · ' + f.baseline.outcome +
    '</div><div class="head">Candidate #' + f.candidate.trial + ' · ' + f.candidate.outcome + '</div>';
  for (var i = 0; i < a.rows.length; i++) {
    var r = a.rows[i];
    var cls = r.same ? 'same' : i === a.divergeAt ? 'diverge' : a.divergeAt >= 0 && i > a.divergeAt ? 'after' : '';
    if (i === a.divergeAt) html += '<div class="marker" id="divergence">▼ first divergence: ' + esc(a.divergence) + '</div>';
    html += '<div class="n ' + cls + '">' + (i + 1) + '</div>' + stepCell(r.baseline, cls) + stepCell(r.candidate, cls);
  }
  html += '<div class="n">end</div><div class="end">' + a.ends.baseline.map(esc).join('<br>') + '</div><div class="end">' + a.ends.candidate.map(esc).join('<br>') + '</div></div>';
  return head + html;
}
`
