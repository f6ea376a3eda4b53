import type { Verdict } from '../../gate/verdict.js'
import { escapeHtml as h, percent } from './escape.js'
import type { ReportData } from './types.js'
import type { ReportView, RunView } from './view.js'

/** Items shown per list in the overview; the task list has them all. */
const LIST_CAP = 100

const STATUS_TONE: Record<string, string> = {
  accepted: 'good', regression: 'bad', 'no-gain': 'bad', 'not-comparable': 'warn', 'insufficient-evidence': 'warn',
}

const n = (value: number) => value.toLocaleString('en-US')
const seconds = (ms: number) => (ms >= 60_000 ? `${(ms / 60_000).toFixed(1)} min` : `${(ms / 1000).toFixed(1)} s`)

/** A link to a task's page in the report. */
export function taskLink(view: ReportView, index: number, extra = ''): string {
  const task = view.tasks[index]!
  return `<a class="task-link" href="#task/${index}">${h(task.id)}</a>${extra}`
}

/** The overview: the verdict, the two runs, and the pass-set diff. */
export function overviewSection(data: ReportData, view: ReportView): string {
  const index = new Map(view.tasks.map((t, i) => [t.id, i]))
  const parts = [data.verdict ? verdictBlock(data.verdict, view, index) : noVerdict(data)]
  parts.push(`<h2>Runs</h2><div class="cards">${view.baseline ? runCard('Baseline', view.baseline) : ''}${runCard('Candidate', view.candidate)}</div>`)
  parts.push(passSetBlock(view))
  return parts.join('\n')
}

function noVerdict(data: ReportData): string {
  const why = data.baseline ? 'No verdict was given: the pass-set diff below compares the two records directly.' : 'No baseline and no verdict were given: this report shows one run.'
  return `<div class="banner neutral" id="verdict"><div class="status">No verdict</div><p>${h(why)}</p></div>`
}

function verdictBlock(verdict: Verdict, view: ReportView, index: Map<string, number>): string {
  const tone = STATUS_TONE[verdict.status] ?? 'warn'
  const c = verdict.counts
  const method = `mode ${verdict.policy.mode ?? 'promote'} · rule ${verdict.policy.rule} · ${verdict.method.test}${verdict.method.correction === 'none' ? '' : ` · ${verdict.method.correction}`} · alpha ${verdict.policy.alpha}${verdict.look ? ` · look ${verdict.look}` : ''}`
  const pct = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : `${(100 * x).toFixed(1)}%`)
  const pk = verdict.passK
  const stats: Array<[string, string, string?]> = [
    ['tasks', n(c.tasks)], ['gating', n(c.gating)], ['passes', `${fmt(c.baselinePasses)} → ${fmt(c.candidatePasses)}`],
    ['regressions', n(c.regressions), c.regressions ? 'bad' : undefined], ['fixes', n(c.fixes), c.fixes ? 'good' : undefined],
    ['flaky', n(c.flaky)], ['undecided', n(c.undecided)], ['invalid', n(c.invalid), c.invalid ? 'warn' : undefined], ['errored', n(c.errored)],
    ['suspected', n(c.suspectedRegressions ?? 0), c.suspectedRegressions ? 'warn' : undefined],
  ]
  if (pk) {
    stats.push([`pass@${pk.k}`, `${pct(pk.baseline.passAtK)} → ${pct(pk.candidate.passAtK)}`], [`pass^${pk.k}`, `${pct(pk.baseline.passHatK)} → ${pct(pk.candidate.passHatK)}`])
  }
  if (verdict.stability) {
    const st = verdict.stability
    stats.push(['stability', `${n(st.stable)} stable · ${n(st.flaky)} flaky · ${n(st.tooFlaky)} too flaky · ${n(st.failing)} failing`])
  }
  const evidence = new Map(verdict.tasks.map((e) => [e.id, e]))
  const counts = (id: string) => {
    const e = evidence.get(id)
    if (!e) return ''
    const side = (t: typeof e.baseline) => (t ? `${t.pass}/${t.pass + t.fail + t.error}` : '–')
    const p = e.adjustedPValue ?? e.pValue
    const k = e.passK?.candidate
    const passes = k && k.passAtK !== null ? ` · pass@k ${pct(k.passAtK)} · pass^k ${pct(k.passHatK)}` : ''
    return ` <span class="dim">${side(e.baseline)} → ${side(e.candidate)}${e.stability ? ` · ${h(e.stability)}` : ''}${p === undefined ? '' : ` · p=${p.toPrecision(2)}`}${passes}</span>`
  }
  const list = (title: string, ids: string[], tone?: string) => {
    if (!ids.length) return ''
    const items = ids.slice(0, LIST_CAP).map((id) => {
      const i = index.get(id)
      return `<li>${i === undefined ? h(id) : taskLink(view, i)}${counts(id)}</li>`
    })
    const more = ids.length > LIST_CAP ? `<li class="dim">and ${n(ids.length - LIST_CAP)} more: see Tasks</li>` : ''
    return `<div class="list ${tone ?? ''}" data-list="${h(title.toLowerCase())}"><h3>${h(title)} (${n(ids.length)})</h3><ul>${items.join('')}${more}</ul></div>`
  }
  const splits = verdict.splits.length
    ? `<table class="splits"><thead><tr><th>split</th><th>tasks</th><th>baseline passes</th><th>candidate passes</th><th>gating</th><th>change</th></tr></thead><tbody>${verdict.splits
        .map((s) => `<tr><td>${h(s.split)}</td><td>${n(s.tasks)}</td><td>${fmt(s.baselinePasses)}</td><td>${fmt(s.candidatePasses)}</td><td>${s.gating ? 'yes' : 'no'}</td><td class="change-${h(s.change)}">${h(s.change)}</td></tr>`)
        .join('')}</tbody></table>`
    : ''
  return [
    `<div class="banner ${tone}" id="verdict" data-status="${h(verdict.status)}">`,
    `<div class="status">${h(verdict.status.replace('-', ' '))}<span class="exit">exit ${verdict.exitCode}</span></div>`,
    `<div class="method">${h(`${verdict.baseline.harness.name} (${verdict.baseline.harness.id}) → ${verdict.candidate.harness.name} (${verdict.candidate.harness.id}) · ${method}`)}</div>`,
    `<dl class="stats">${stats.map(([k, v, t]) => `<div class="${t ?? ''}"><dt>${k}</dt><dd>${v}</dd></div>`).join('')}</dl></div>`,
    verdict.followUp ? `<p class="follow-up" data-follow-up>Suspected regression: ${n(verdict.followUp.extraTrials)} more trial(s) would settle it: <code>${h(verdict.followUp.command)}</code></p>` : '',
    `<h2>Why</h2><ul class="reasons">${verdict.reasons.map((r) => `<li>${h(r)}</li>`).join('')}</ul>`,
    splits,
    `<div class="lists">${list('Regressions', verdict.regressions, 'bad')}${list('Suspected regressions', verdict.suspectedRegressions ?? [], 'warn')}${list('Fixes', verdict.fixes, 'good')}${list('Suspected fixes', verdict.suspectedFixes ?? [])}${list('Invalid', verdict.invalid, 'warn')}${list('Undecided', verdict.undecided, 'warn')}${list('Flaky', verdict.flaky)}${list('Disputed', verdict.disputed)}</div>`,
  ].join('\n')
}

const fmt = (value: number) => (Number.isInteger(value) ? n(value) : value.toFixed(2))

function runCard(title: string, run: RunView): string {
  const trials = run.outcomes.pass + run.outcomes.fail + run.outcomes.error
  const rows: Array<[string, string]> = [
    ['harness', `${run.harness.name} (${run.harness.id})`], ['model', run.model], ['recorded', run.createdAt],
    ['tasks passed', `${n(run.tasksPassed)} of ${n(run.tasks)} (${percent(run.tasks ? run.tasksPassed / run.tasks : null)})`],
    ['trials', `${n(trials)} (${run.trials} per task): ${n(run.outcomes.pass)} pass, ${n(run.outcomes.fail)} fail, ${n(run.outcomes.error)} error`],
    ['tokens', n(run.tokens)], ['time', seconds(run.durationMs)],
  ]
  return `<div class="card run" data-side="${title.toLowerCase()}"><h3>${title}</h3><dl>${rows.map(([k, v]) => `<dt>${k}</dt><dd>${h(v)}</dd>`).join('')}</dl></div>`
}

function passSetBlock(view: ReportView): string {
  if (!view.baseline) return ''
  const { both, neither, baselineOnly, candidateOnly } = view.passSet
  const items = (ids: number[]) =>
    ids.length ? `<ul>${ids.slice(0, LIST_CAP).map((i) => `<li>${taskLink(view, i)}</li>`).join('')}${ids.length > LIST_CAP ? `<li class="dim">and ${n(ids.length - LIST_CAP)} more</li>` : ''}</ul>` : '<p class="dim">none</p>'
  return [
    '<h2 id="pass-set">Pass-set diff</h2>',
    '<p class="dim">A task is in a pass set when at least one of its trials passed.</p>',
    '<div class="passset">',
    `<div class="cell bad" data-cell="baseline-only"><h3>Passed before, not now (${n(baselineOnly.length)})</h3>${items(baselineOnly)}</div>`,
    `<div class="cell good" data-cell="candidate-only"><h3>Passes now, not before (${n(candidateOnly.length)})</h3>${items(candidateOnly)}</div>`,
    `<div class="cell"><h3>Passed in both</h3><p class="big">${n(both)}</p></div>`,
    `<div class="cell"><h3>Passed in neither</h3><p class="big">${n(neither)}</p></div>`,
    '</div>',
  ].join('\n')
}
