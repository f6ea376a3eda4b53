import pc from 'picocolors'
import type { TaskEvidence, TrialCounts, Verdict } from '../gate/verdict.js'

/** Options of {@link renderVerdict}. */
export interface RenderVerdictOptions {
  /** Use ANSI colours. */
  color: boolean
  /**
   * Most tasks listed per section; the rest are counted.
   * @default 50
   */
  limit?: number
}

type Colors = ReturnType<typeof pc.createColors>

const HEADLINE: Record<Verdict['status'], { mark: string; text: string; tone: 'green' | 'red' | 'yellow' }> = {
  accepted: { mark: '✔', text: 'ACCEPTED', tone: 'green' },
  regression: { mark: '✖', text: 'REGRESSION', tone: 'red' },
  'no-gain': { mark: '✖', text: 'NO GAIN', tone: 'red' },
  'not-comparable': { mark: '?', text: 'NOT COMPARABLE', tone: 'yellow' },
  'insufficient-evidence': { mark: '?', text: 'INSUFFICIENT EVIDENCE', tone: 'yellow' },
}

/** Renders a verdict for a terminal: status line, counts, tasks by change with their trials, and the reasons. */
export function renderVerdict(verdict: Verdict, options: RenderVerdictOptions): string {
  const c = pc.createColors(options.color)
  const limit = options.limit ?? 50
  const head = HEADLINE[verdict.status]
  const lines: string[] = []
  const status = c.bold(c[head.tone](`${head.mark} ${head.text}`))
  lines.push(`${status} ${c.dim(`exit ${verdict.exitCode} · ${method(verdict)}`)}`)
  for (const side of ['baseline', 'candidate'] as const) {
    const run = verdict[side]
    lines.push(
      `  ${side.padEnd(9)} ${run.harness.name} ${c.dim(`(${run.harness.id})`)} · ${run.model} · ${run.trials} trial(s)`,
    )
  }
  if (verdict.status !== 'not-comparable') {
    lines.push(`  ${summary(verdict)}`)
    if (verdict.baselineEvidence?.source === 'history') {
      lines.push(c.dim(`  baseline side: history of ${verdict.baselineEvidence.runs} run(s), ${verdict.baselineEvidence.trials} valid trial(s)`))
    }
    if (verdict.stability) {
      const st = verdict.stability
      lines.push(`  stability: ${st.stable} stable · ${st.flaky} flaky · ${st.tooFlaky} too flaky to judge · ${st.failing} failing${st.unknown ? ` · ${st.unknown} unknown` : ''}`)
    }
    if (verdict.passK) {
      const { k, baseline, candidate } = verdict.passK
      lines.push(`  pass@${k} ${pct(baseline.passAtK)} → ${pct(candidate.passAtK)} · pass^${k} ${pct(baseline.passHatK)} → ${pct(candidate.passHatK)}`)
    }
  }
  const byId = new Map(verdict.tasks.map((t) => [t.id, t]))
  const section = (title: string, ids: readonly string[], mark: string, showP: boolean): void => {
    if (ids.length === 0) return
    lines.push('', c.bold(`${title} (${ids.length})`))
    const shown = ids.slice(0, limit)
    const width = Math.min(60, Math.max(...shown.map((id) => id.length)))
    for (const id of shown) lines.push(`  ${mark} ${taskLine(byId.get(id), id, width, showP, c)}`)
    if (ids.length > shown.length) lines.push(c.dim(`  … and ${ids.length - shown.length} more`))
  }
  section('Regressions', verdict.regressions, c.red('✖'), true)
  section('Suspected regressions: not yet significant, more trials settle them', verdict.suspectedRegressions ?? [], c.yellow('?'), true)
  section('Fixes', verdict.fixes, c.green('✔'), true)
  section('Suspected fixes', verdict.suspectedFixes ?? [], c.green('?'), true)
  section('Undecided: dropped, too few trials to tell', verdict.undecided, c.yellow('?'), false)
  section('Invalid: error trials could change the verdict', verdict.invalid, c.yellow('!'), false)
  if (verdict.flaky.length > 0) {
    const names = verdict.flaky.slice(0, limit).join(', ')
    const more = verdict.flaky.length > limit ? ` … and ${verdict.flaky.length - limit} more` : ''
    lines.push('', c.bold(`Flaky, no significant change (${verdict.flaky.length})`), `  ${c.dim(names + more)}`)
  }
  if (verdict.ignored.length > 0) {
    lines.push('', c.bold(`Ignored (${verdict.ignored.length})`), `  ${c.dim(verdict.ignored.slice(0, limit).join(', '))}`)
  }
  if (verdict.splits.length > 0) {
    lines.push('', c.bold('Splits'))
    for (const s of verdict.splits) {
      const name = s.split === 'none' ? '(no split)' : s.split
      const tone = s.change === 'worse' ? c.red : s.change === 'better' ? c.green : c.dim
      const note = s.gating ? '' : c.dim(' (reported only)')
      lines.push(
        `  ${name.padEnd(11)} ${String(s.tasks).padStart(6)} tasks  ` +
          `${num(s.baselinePasses)} → ${num(s.candidatePasses)}  ${tone(s.change)}${note}`,
      )
    }
  }
  if (verdict.followUp) {
    lines.push('', c.bold(c.yellow(`Suspected regression: ${verdict.followUp.extraTrials} more trial(s) of these tasks would settle it`)), `  ${verdict.followUp.command}`)
  }
  if (verdict.reasons.length > 0) {
    lines.push('', c.bold('Why'))
    for (const reason of verdict.reasons) lines.push(`  · ${reason}`)
  }
  return lines.join('\n')
}

function method(v: Verdict): string {
  const m = v.method
  if (m.test === 'fisher-exact-one-sided') {
    const look = v.look ? `, look ${v.look} at alpha ${pValue(v.lookAlpha ?? v.policy.alpha)}` : ''
    return `mode ${v.policy.mode ?? 'promote'} · rule exact: one-sided Fisher, Holm over ${m.regressionFamily ?? 0} testable task(s), family-wise alpha ${v.policy.alpha}${look}`
  }
  if (m.test === 'any-pass') return 'rule strict: per-task pass sets'
  if (m.test === 'split-pass-counts') return 'rule split: pass counts per split'
  return `rule ${v.policy.rule}`
}

function summary(v: Verdict): string {
  const n = v.counts
  const parts = [
    `${n.tasks} tasks${n.gating !== n.tasks ? ` (${n.gating} gating)` : ''}`,
    `passes ${num(n.baselinePasses)} → ${num(n.candidatePasses)}`,
    `${n.regressions} regression(s)`,
    `${n.fixes} fix(es)`,
    `${n.flaky} flaky`,
  ]
  if (n.suspectedRegressions) parts.push(`${n.suspectedRegressions} suspected regression(s)`)
  if (n.suspectedFixes) parts.push(`${n.suspectedFixes} suspected fix(es)`)
  if (n.undecided) parts.push(`${n.undecided} undecided`)
  if (n.invalid) parts.push(`${n.invalid} invalid`)
  if (n.errored) parts.push(`${n.errored} with errors`)
  if (n.added || n.removed) parts.push(`${n.added} added, ${n.removed} removed`)
  return parts.join(' · ')
}

function taskLine(task: TaskEvidence | undefined, id: string, width: number, showP: boolean, c: Colors): string {
  const name = id.length > width ? `${id.slice(0, width - 1)}…` : id.padEnd(width)
  if (!task) return name
  let line = `${name}  ${trials(task.baseline)} → ${trials(task.candidate)}`
  if (showP && task.pValue !== undefined) {
    const adj = task.adjustedPValue !== undefined ? ` (adj ${pValue(task.adjustedPValue)})` : ''
    line += c.dim(`  p=${pValue(task.pValue)}${adj}`)
  }
  if (task.stability) line += c.dim(`  ${task.stability}`)
  const pk = task.passK?.candidate
  if (pk && pk.passAtK !== null) line += c.dim(`  pass@k ${pct(pk.passAtK)} pass^k ${pct(pk.passHatK)}`)
  return line
}

function trials(side: TrialCounts | undefined): string {
  if (!side) return '—'
  const base = `${side.pass}/${side.pass + side.fail}`
  return side.error > 0 ? `${base} +${side.error} err` : base
}

function pValue(p: number): string {
  return p >= 0.001 ? String(Number(p.toPrecision(2))) : p.toExponential(1)
}

function pct(x: number | null): string {
  return x === null ? 'n/a' : `${(100 * x).toFixed(1)}%`
}

function num(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(1)
}
