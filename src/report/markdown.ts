import type { TaskEvidence, TrialCounts, Verdict } from '../gate/verdict.js'
import type { RunRecord } from '../record/schema.js'

const STATUS: Record<Verdict['status'], string> = {
  accepted: 'Accepted: no regression',
  regression: 'Blocked: regression',
  'no-gain': 'Blocked: no net gain',
  'not-comparable': 'Not comparable',
  'insufficient-evidence': 'Not enough evidence',
}

const pct = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : `${(100 * x).toFixed(1)}%`)
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

/** Options of {@link renderVerdictMarkdown}. */
export interface VerdictMarkdownOptions {
  /** The look of an earlier verdict already in the summary, which this one (after follow-up looks) replaces. */
  supersedes?: number
}

/** Pass sums as the console shows them: whole numbers as they are, others to one decimal. */
const num = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(1))

/**
 * The verdict as GitHub-flavoured markdown for a pull request's step summary: status, counts, regressions and fixes
 * with baseline vs candidate trials, flaky and errored tasks, token and time deltas.
 */
export function renderVerdictMarkdown(verdict: Verdict, records?: { baseline: RunRecord; candidate: RunRecord }, options: VerdictMarkdownOptions = {}): string {
  const c = verdict.counts
  const final = options.supersedes !== undefined
  const lines = [
    `## self-harness${final ? ' final verdict' : ''}: ${STATUS[verdict.status]} (exit ${verdict.exitCode})`,
    '',
    ...(final
      ? [`**This final verdict, after follow-up looks, supersedes the look ${options.supersedes} verdict above**: the job exits ${verdict.exitCode}.`, '']
      : []),
    `Candidate \`${verdict.candidate.harness.name}\` (${verdict.candidate.harness.id}) against baseline \`${verdict.baseline.harness.name}\` (${verdict.baseline.harness.id}) on \`${verdict.candidate.model}\`, rule \`${verdict.policy.rule}\`, mode \`${verdict.policy.mode ?? 'promote'}\`${verdict.look ? `, look ${verdict.look} at alpha ${Number((verdict.lookAlpha ?? 0).toPrecision(3))}` : ''}${verdict.baselineEvidence?.source === 'history' ? `; baseline history of ${verdict.baselineEvidence.runs} run(s), ${verdict.baselineEvidence.trials} trials` : ''}.`,
    '',
    '| tasks | baseline passes | candidate passes | regressions | fixes | flaky | errored |',
    '|---|---|---|---|---|---|---|',
    `| ${c.tasks} | ${num(c.baselinePasses)} | ${num(c.candidatePasses)} | ${c.regressions} | ${c.fixes} | ${c.flaky} | ${c.errored} |`,
  ]
  if (verdict.passK) {
    const { k, baseline, candidate } = verdict.passK
    lines.push('', `| k = ${k} | pass@${k} | pass^${k} |`, '|---|---|---|', `| baseline | ${pct(baseline.passAtK)} | ${pct(baseline.passHatK)} |`, `| candidate | ${pct(candidate.passAtK)} | ${pct(candidate.passHatK)} |`)
  }
  if (verdict.stability) {
    const st = verdict.stability
    lines.push('', `Tasks by baseline stability: ${st.stable} stable, ${st.flaky} flaky, ${st.tooFlaky} too flaky to judge, ${st.failing} failing${st.unknown ? `, ${st.unknown} unknown` : ''}.`)
  }
  if (verdict.followUp) lines.push('', `**Suspected regression**: ${verdict.followUp.extraTrials} more trial(s) of ${verdict.followUp.tasks.length} task(s) would settle it: \`${verdict.followUp.command}\``)
  const byId = new Map(verdict.tasks.map((t) => [t.id, t]))
  const table = (title: string, ids: string[]) => {
    if (!ids.length) return
    lines.push('', `### ${title} (${ids.length})`, '', '| task | stability | baseline | candidate | p | pass@k | pass^k |', '|---|---|---|---|---|---|---|')
    for (const id of ids) {
      const e: TaskEvidence | undefined = byId.get(id)
      const pk = e?.passK?.candidate
      lines.push(`| ${cell(id)} | ${e?.stability ?? ''} | ${trials(e?.baseline)} | ${trials(e?.candidate)} | ${e?.pValue === undefined ? '' : e.pValue.toPrecision(2)} | ${pct(pk?.passAtK)} | ${pct(pk?.passHatK)} |`)
    }
  }
  table('Regressions', verdict.regressions)
  table('Suspected regressions', verdict.suspectedRegressions ?? [])
  table('Fixes', verdict.fixes)
  table('Suspected fixes', verdict.suspectedFixes ?? [])
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
