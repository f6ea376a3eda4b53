import { CLIENT_CORE_JS } from './client.js'
import { CLIENT_TRACE_JS } from './client-trace.js'
import { escapeHtml as h, jsonForScript } from './escape.js'
import { lineageSection } from './lineage-section.js'
import { overviewSection } from './overview.js'
import { REPORT_CSS } from './style.js'
import type { ReportData } from './types.js'
import { buildView } from './view.js'
import { weaknessesSection } from './weaknesses-section.js'

// Nothing may leave the page: no fetches, no fonts, no images from elsewhere.
const CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"

/**
 * Renders the report as one self-contained HTML file: inline CSS and script, no external URL. The data travels as
 * JSON blocks; the script builds the task list a page at a time and parses a trace only when its task is opened.
 */
export function renderHtmlReport(data: ReportData): string {
  const { view, lazy } = buildView(data)
  const c = data.candidate
  const title = data.baseline ? `${c.harness.name} vs ${data.baseline.harness.name}` : c.harness.name
  const nav = [
    '<a href="#overview" data-nav="overview">Overview</a>',
    `<a href="#tasks" data-nav="tasks">Tasks<span class="count">${view.tasks.length.toLocaleString('en-US')}</span></a>`,
    data.weaknesses ? `<a href="#weaknesses" data-nav="weaknesses">Weaknesses<span class="count">${data.weaknesses.weaknesses.length}</span></a>` : '',
    data.lineage ? '<a href="#lineage" data-nav="lineage">Lineage</a>' : '',
  ].join('')
  const sub = [
    `candidate <b>${h(c.harness.name)}</b> <code>${h(c.harness.id)}</code>`,
    data.baseline ? ` against baseline <b>${h(data.baseline.harness.name)}</b> <code>${h(data.baseline.harness.id)}</code>` : '',
    ` · model ${h(c.model)} · ${c.trials} trial(s) per task`,
    data.generatedAt ? ` · generated ${h(data.generatedAt)}` : '',
  ].join('')
  const notes = [
    `Traces: ${view.traces.toLocaleString('en-US')} loaded (${data.traceTrials === 'all' ? 'every trial' : 'failed and flipped trials only'}), at most ${data.maxTraceEvents} events each (the start and the end of longer traces).`,
    ...(data.notes ?? []),
  ]
  const blocks = lazy.map((block, i) => `<script type="application/json" id="lazy-${i}">${jsonForScript(block)}</script>`)
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>self-harness report: ${h(title)}</title>`,
    `<style>${REPORT_CSS}</style></head><body>`,
    `<header class="top"><h1>self-harness report: ${h(title)}</h1><div class="sub">${sub}</div><nav>${nav}</nav></header>`,
    '<main>',
    `<section id="view-overview" data-view="overview">${overviewSection(data, view)}</section>`,
    '<section id="view-tasks" data-view="tasks" hidden>',
    '<div class="toolbar"><input id="task-search" type="search" placeholder="Search tasks by id, file or name" aria-label="Search tasks">',
    '<select id="task-filter" aria-label="Filter tasks"></select></div>',
    '<table class="tasks"><colgroup><col style="width:110px"><col><col style="width:90px"><col style="width:90px"><col style="width:90px"><col style="width:90px"><col style="width:80px"></colgroup>',
    '<thead><tr><th>change</th><th>task</th><th>baseline</th><th>candidate</th><th class="num">passed</th><th class="num">tokens</th><th class="num">time</th></tr></thead>',
    '<tbody id="task-rows"></tbody></table>',
    '<div class="pager"><button id="page-prev" type="button">← Previous</button><span id="page-info"></span><button id="page-next" type="button">Next →</button></div>',
    '</section>',
    '<section id="view-task" data-view="task" hidden><div id="task-view"></div></section>',
    data.weaknesses ? `<section id="view-weaknesses" data-view="weaknesses" hidden><h2>Weaknesses mined</h2>${weaknessesSection(data.weaknesses, view)}</section>` : '',
    data.lineage ? `<section id="view-lineage" data-view="lineage" hidden><h2>Lineage of harness versions</h2>${lineageSection(data.lineage)}</section>` : '',
    `<noscript><p>The task list and the traces need JavaScript; the overview above is complete without it.</p></noscript>`,
    `<footer>${notes.map((note) => `<p>${h(note)}</p>`).join('')}</footer>`,
    '</main>',
    `<script type="application/json" id="report-data">${jsonForScript(view)}</script>`,
    ...blocks,
    `<script>(function () {\n'use strict';\n${CLIENT_CORE_JS}\n${CLIENT_TRACE_JS}\nstart();\n})();</script>`,
    '</body></html>',
  ].join('\n')
}
