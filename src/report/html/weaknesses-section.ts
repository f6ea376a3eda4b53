import type { MiningReport } from '../../miner/schema.js'
import { escapeHtml as h, percent } from './escape.js'
import { taskLink } from './overview.js'
import type { ReportView } from './view.js'

/** The mined weaknesses, ranked, with their example tasks linked to the task pages. */
export function weaknessesSection(report: MiningReport, view: ReportView): string {
  const index = new Map(view.tasks.map((t, i) => [t.id, i]))
  const t = report.traces
  const head = `<p>${report.weaknesses.length} recurring weakness(es) in ${t.failures} failed trial(s) over ${report.totalTasks} task(s); ${t.read} trace(s) read${t.unreadable ? `, ${t.unreadable} unreadable` : ''}${t.corruptLines ? `, ${t.corruptLines} corrupt line(s) skipped` : ''}.</p>`
  const cards = report.weaknesses.map((w, rank) => {
    const examples = w.exampleTasks.map((id) => {
      const i = index.get(id)
      return `<li>${i === undefined ? h(id) : taskLink(view, i)}</li>`
    })
    return [
      `<article class="card weakness" data-weakness="${h(w.id)}">`,
      `<header><span class="rank">#${rank + 1}</span> <code>${h(w.id)}</code> <span class="tag">${h(w.category)}</span> <span class="dim">named by ${h(w.namedBy)}</span></header>`,
      `<h3>${h(w.pattern)}</h3>`,
      `<p>${h(w.explanation)}</p>`,
      `<div class="impact"><div class="bar"><span style="width:${Math.max(1, Math.round(w.impact * 100))}%"></span></div>`,
      `<span>impact ${percent(w.impact)} · ${w.frequency.failures} failure(s) across ${w.frequency.tasks} of ${w.frequency.ofTasks} task(s)</span></div>`,
      examples.length ? `<h4>Example tasks</h4><ul>${examples.join('')}</ul>` : '',
      w.evidence.length ? `<h4>Evidence</h4>${w.evidence.map((e) => `<pre class="evidence">${h(e)}</pre>`).join('')}` : '',
      `<p class="dim">signature <code>${h(w.signature)}</code>${w.note ? ` · ${h(w.note)}` : ''}</p>`,
      '</article>',
    ].join('')
  })
  const warnings = report.warnings.length ? `<h3>Warnings</h3><ul class="warnings">${report.warnings.map((w) => `<li>${h(w)}</li>`).join('')}</ul>` : ''
  return `${head}${cards.join('\n') || '<p class="dim">No recurring weakness was found.</p>'}${warnings}`
}
