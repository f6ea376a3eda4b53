import { passRateChart } from './chart.js'
import { escapeHtml as h, percent } from './escape.js'
import { rateOf, type Lineage, type LineageSummary } from './types.js'

const split = (name: string, summary: LineageSummary, key: keyof LineageSummary) => {
  const count = summary[key]
  return count ? `<span class="split">${name} ${count.passed}/${count.tasks} (${percent(rateOf(count))})</span>` : ''
}

/** One `describePatch` line as a diff line: additions, changes and removals marked. */
function diffLine(edit: string): string {
  const kind = edit.startsWith('add ') ? 'add' : edit.startsWith('remove ') ? 'remove' : 'set'
  const mark = kind === 'add' ? '+' : kind === 'remove' ? '−' : '~'
  return `<div class="diff-line ${kind}"><span class="mark">${mark}</span>${h(edit)}</div>`
}

/** The evolve lineage: how the run went, the pass-rate chart, and each accepted version with its edits as a diff. */
export function lineageSection(lineage: Lineage): string {
  const end = lineage.end
  const head = [
    `<p>Model <b>${h(lineage.model)}</b>, starting from <b>${h(lineage.harnessName)}</b> (${h(lineage.steps[0]?.harnessId ?? '')}):`,
    ` ${lineage.iterations} iteration(s), ${lineage.steps.length - 1} accepted version(s), ${lineage.refused} candidate(s) refused.`,
    end ? ` Ended: ${h(end.reason)}, final harness ${h(end.harnessId)}; ${end.trialsRun.toLocaleString('en-US')} task trials run (a naive loop: ${end.naiveTrials.toLocaleString('en-US')}).` : ' The run has not ended (or was cut short).',
    '</p>',
  ].join('')
  const steps = lineage.steps.map((step) => {
    const summary = step.harnessId === end?.harnessId ? { ...end.summary, ...step.summary, sealed: step.summary.sealed ?? end.summary.sealed } : step.summary
    const proposals = step.proposals.map((p) => `<li><span class="tag">${h(p.kind)}</span> ${h(p.rationale)} <code class="dim">${h(p.id)}</code></li>`).join('')
    return [
      `<article class="card version" data-iteration="${step.iteration}">`,
      `<header><b>${step.iteration === 0 ? 'start' : `iteration ${step.iteration}`}</b> <code>${h(step.harnessId)}</code>`,
      step.parent ? ` <span class="dim">from <code>${h(step.parent)}</code></span>` : '',
      step.file ? ` <span class="dim">${h(step.file)}</span>` : '',
      `</header><div class="splits-line">${split('train', summary, 'train')}${split('validation', summary, 'validation')}${split('sealed', summary, 'sealed')}</div>`,
      proposals ? `<ul class="proposals">${proposals}</ul>` : '',
      step.edits.length ? `<div class="diff">${step.edits.map(diffLine).join('')}</div>` : step.iteration === 0 ? '<p class="dim">The starting harness.</p>' : '',
      '</article>',
    ].join('')
  })
  return `${head}<figure class="chart-box">${passRateChart(lineage)}<figcaption>Pass rate per iteration. Validation decides acceptance; sealed tasks decide nothing and are measured at the start and the end.</figcaption></figure><h3>Versions</h3>${steps.join('\n')}`
}
