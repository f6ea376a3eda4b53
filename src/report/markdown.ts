import type { TaskEvidence, TrialCounts, Verdict } from '../gate/verdict.js'
import type { RunRecord } from '../record/schema.js'

const STATUS: Record<Verdict['status'], string> = {
  accepted: 'Accepted: no regression',
  regression: 'Blocked: regression',
  'no-gain': 'Blocked: no net gain',
  'not-comparable': 'Not comparable',
  'insufficient-evidence': 'Not enough evidence',
}

const trials = (c: TrialCounts | undefined) => (c ? `${c.pass}/${c.pass + c.fail}${c.error ? ` (+${c.error} error)` : ''}` : 'n/a')
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ')

/** Totals of tokens and trial time in a record. */
function totals(record: RunRecord): { tokens: number; ms: number } {
  let tokens = 0
  let ms = 0
  for (const task of record.tasks) for (const t of task.trials) {
    tokens += t.tokens.prompt + t.tokens.completion
    ms += t.durationMs
  }
  return { tokens, ms }
}

const delta = (a: number, b: number) => `${b >= a ? '+' : ''}${a ? (((b - a) / a) * 100).toFixed(1) : 'n/a'}%`

/**
 * The verdict as GitHub-flavoured markdown for a pull request's step summary: status, counts, regressions and fixes
 * with baseline vs candidate trials, flaky and errored tasks, token and time deltas.
 */
export function renderVerdictMarkdown(verdict: Verdict, records?: { baseline: RunRecord; candidate: RunRecord }): string {
  const c = verdict.counts
  const lines = [
    `## self-harness: ${STATUS[verdict.status]} (exit ${verdict.exitCode})`,
    '',
    `Candidate \`${verdict.candidate.harness.name}\` (${verdict.candidate.harness.id}) against baseline \`${verdict.baseline.harness.name}\` (${verdict.baseline.harness.id}) on \`${verdict.candidate.model}\`, rule \`${verdict.policy.rule}\`.`,
    '',
    '| tasks | baseline passes | candidate passes | regressions | fixes | flaky | errored |',
    '|---|---|---|---|---|---|---|',
    `| ${c.tasks} | ${c.baselinePasses} | ${c.candidatePasses} | ${c.regressions} | ${c.fixes} | ${c.flaky} | ${c.errored} |`,
  ]
  const byId = new Map(verdict.tasks.map((t) => [t.id, t]))
  const table = (title: string, ids: string[]) => {
    if (!ids.length) return
    lines.push('', `### ${title} (${ids.length})`, '', '| task | baseline | candidate | p |', '|---|---|---|---|')
    for (const id of ids) {
      const e: TaskEvidence | undefined = byId.get(id)
      lines.push(`| ${cell(id)} | ${trials(e?.baseline)} | ${trials(e?.candidate)} | ${e?.pValue === undefined ? '' : e.pValue.toPrecision(2)} |`)
    }
  }
  table('Regressions', verdict.regressions)
  table('Fixes', verdict.fixes)
  table('Undecided: dropped, too few trials to tell', verdict.undecided)
  table('Blocked by infrastructure errors', verdict.invalid)
  table('Flaky, no significant change', verdict.flaky)
  if (records) {
    const a = totals(records.baseline)
    const b = totals(records.candidate)
    lines.push('', `Tokens ${a.tokens.toLocaleString('en-US')} -> ${b.tokens.toLocaleString('en-US')} (${delta(a.tokens, b.tokens)}); trial time ${(a.ms / 1000).toFixed(1)} s -> ${(b.ms / 1000).toFixed(1)} s (${delta(a.ms, b.ms)}).`)
  }
  if (verdict.reasons.length) lines.push('', '<details><summary>Why</summary>', '', ...verdict.reasons.map((r) => `- ${r}`), '', '</details>')
  return `${lines.join('\n')}\n`
}

/** GitHub workflow commands: an error annotation on the task file of each regressing task. */
export function githubAnnotations(verdict: Verdict, fileOf: (evidence: TaskEvidence) => string): string[] {
  const byId = new Map(verdict.tasks.map((t) => [t.id, t]))
  const escape = (text: string) => text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
  return verdict.regressions.flatMap((id) => {
    const e = byId.get(id)
    if (!e) return []
    const message = `${id} regressed: baseline ${trials(e.baseline)}, candidate ${trials(e.candidate)}`
    return [`::error file=${escape(fileOf(e))},title=self-harness regression::${escape(message)}`]
  })
}
