import type { RunRecord, TaskRecord } from '../record/schema.js'
import type { ErrorAwareDecision } from './decide.js'
import {
  CHANGES,
  FIX,
  FLAKY,
  INVALID,
  REGRESSION,
  SAME,
  SUSPECTED_FIX,
  SUSPECTED_REGRESSION,
  UNDECIDED,
  rateDirection,
} from './decision.js'
import { PassKMean, passK } from './pass-k.js'
import { EVIDENCE_ALL_LIMIT, type GatePolicy } from './policy.js'
import { splitSummaries } from './rule-split.js'
import { stabilityName } from './stability.js'
import { SPLIT_CODES, type Alignment, type Tally } from './tally.js'
import {
  VERDICT_SCHEMA_VERSION,
  exitCodeFor,
  type TaskEvidence,
  type TrialCounts,
  type Verdict,
} from './verdict.js'

const SEALED = 3

/** Where the baseline side's trials came from. */
export interface BaselineEvidence {
  source: 'record' | 'history'
  runs: number
  trials: number
}

/** The command that runs the follow-up trials of a candidate, gated against `baselineFile` (a placeholder when unknown). */
export function followUpCommand(candidate: RunRecord, budget: number, baselineFile?: string): string {
  const baseline = baselineFile === undefined ? '<baseline.json>' : shellWord(baselineFile)
  return `self-harness vitest run --harness=${candidate.harness.name} --trials=${candidate.trials} --baseline=${baseline} --adaptive=${budget}`
}

/** A word the shell reads back as itself: as it is when plain, else single-quoted. */
function shellWord(text: string): string {
  return /^[\w./@:+-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`
}

/** The verdict for records the gate refuses to decide on, before any task is compared. */
export function refusedVerdict(
  baseline: RunRecord,
  candidate: RunRecord,
  policy: GatePolicy,
  status: 'not-comparable' | 'insufficient-evidence',
  reasons: string[],
): Verdict {
  const zero = { tasks: 0, gating: 0, baselinePasses: 0, candidatePasses: 0, regressions: 0, fixes: 0 }
  return {
    ...header(baseline, candidate, policy),
    status,
    exitCode: exitCodeFor(status),
    reasons,
    method: { test: 'none', correction: 'none' },
    counts: { ...zero, flaky: 0, undecided: 0, invalid: 0, errored: 0, ignored: 0, added: 0, removed: 0 },
    regressions: [],
    fixes: [],
    flaky: [],
    undecided: [],
    invalid: [],
    disputed: [],
    ignored: [],
    unchanged: 0,
    splits: [],
    evidence: 'changed',
    tasks: [],
  }
}

/** Turns a decision over aligned records into the verdict, with per-task evidence. */
export function buildVerdict(
  baseline: RunRecord,
  candidate: RunRecord,
  policy: GatePolicy,
  alignment: Alignment,
  decision: ErrorAwareDecision,
  baselineEvidence: BaselineEvidence,
  baselineFile?: string,
): Verdict {
  const t = alignment.tally
  const k = candidate.trials
  const suspectedRegressions: string[] = []
  const suspectedFixes: string[] = []
  const classes = { stable: 0, flaky: 0, tooFlaky: 0, failing: 0, unknown: 0 }
  const meanBaseline = new PassKMean()
  const meanCandidate = new PassKMean()
  const evidence = policy.evidence === 'auto' ? (t.size <= EVIDENCE_ALL_LIMIT ? 'all' : 'changed') : policy.evidence
  const lists = { regressions: [] as string[], fixes: [] as string[], flaky: [] as string[] }
  const undecided: string[] = []
  const invalid: string[] = []
  const ignored: string[] = []
  const disputed: number[] = []
  let unchanged = 0
  let gating = 0
  const tasks: TaskEvidence[] = []
  const cache = new CountsCache()
  for (let i = 0; i < t.size; i++) {
    const code = decision.change[i]!
    const errors = t.bErr[i]! + t.cErr[i]!
    if (t.gating[i]) {
      gating++
      if (code === REGRESSION) lists.regressions.push(t.idOf(i))
      else if (code === FIX) lists.fixes.push(t.idOf(i))
      else if (code === FLAKY) lists.flaky.push(t.idOf(i))
      else if (code === UNDECIDED) undecided.push(t.idOf(i))
      else if (code === INVALID) invalid.push(t.idOf(i))
      else if (code === SUSPECTED_FIX) suspectedFixes.push(t.idOf(i))
      else if (code !== SUSPECTED_REGRESSION) unchanged++
      if ((code === FLAKY || code === UNDECIDED || code === SUSPECTED_REGRESSION) && rateDirection(t, i) < 0) disputed.push(i)
    } else if (t.split[i] !== SEALED) {
      ignored.push(t.idOf(i))
    }
    const stability = stabilityName(t.stability[i]!)
    classes[stability === 'too-flaky' ? 'tooFlaky' : stability]++
    const pk = {
      baseline: passK(t.bPass[i]! + t.bFail[i]!, t.bPass[i]!, k),
      candidate: passK(t.cPass[i]! + t.cFail[i]!, t.cPass[i]!, k),
    }
    if (t.gating[i]) {
      meanBaseline.add(pk.baseline)
      meanCandidate.add(pk.candidate)
    }
    if (evidence === 'all' || code !== SAME || errors > 0) tasks.push({ ...taskEvidence(t, i, decision, cache), stability, passK: pk })
  }
  for (const i of decision.followUp?.tasks ?? []) suspectedRegressions.push(t.idOf(i))
  const dips = (decision.followUp?.dips ?? []).map((i) => t.idOf(i))
  const followUp = decision.followUp && decision.followUp.tasks.length > 0
    ? {
        tasks: suspectedRegressions,
        extraTrials: decision.followUp.extraTrials,
        command: followUpCommand(candidate, followUpBudget(t, decision.followUp.tasks, policy), baselineFile),
      }
    : undefined
  const reasons = followUp ? [...decision.reasons, `Run them: \`${followUp.command}\`.`] : decision.reasons
  for (const task of alignment.removed) tasks.push(oneSided(task, 'removed', baseline.trials))
  for (const task of alignment.added) tasks.push(oneSided(task, 'added', candidate.trials))
  return {
    ...header(baseline, candidate, policy),
    status: decision.status,
    exitCode: exitCodeFor(decision.status),
    reasons,
    method: decision.method,
    counts: {
      tasks: t.size,
      gating,
      baselinePasses: decision.baselinePasses,
      candidatePasses: decision.candidatePasses,
      regressions: lists.regressions.length,
      fixes: lists.fixes.length,
      flaky: lists.flaky.length,
      undecided: undecided.length,
      suspectedRegressions: decision.followUp?.tasks.length ?? 0,
      suspectedFixes: suspectedFixes.length,
      invalid: invalid.length,
      errored: decision.errored,
      ignored: ignored.length,
      added: alignment.added.length,
      removed: alignment.removed.length,
    },
    ...lists,
    undecided,
    invalid,
    disputed: rankDisputed(t, disputed, decision.pValueOf),
    ignored,
    unchanged,
    suspectedRegressions,
    suspectedFixes,
    dips,
    look: decision.look,
    lookAlpha: decision.lookAlpha,
    ...(followUp ? { followUp } : {}),
    baselineEvidence,
    stability: classes,
    passK: { k, baseline: meanBaseline.get(), candidate: meanCandidate.get() },
    splits: policy.rule === 'split' || Object.keys(policy.splits).length > 0 ? splitSummaries(t) : [],
    evidence,
    tasks,
  }
}

/** Extra trials that take every suspected task to the trial cap (candidate side, and a short baseline side). */
function followUpBudget(t: Tally, suspected: readonly number[], policy: GatePolicy): number {
  let total = 0
  for (const i of suspected) {
    total += Math.max(0, policy.maxTrialsPerTask - (t.cPass[i]! + t.cFail[i]! + t.cErr[i]!))
    const nb = t.bPass[i]! + t.bFail[i]!
    if (nb < policy.maxTrialsPerTask) total += policy.maxTrialsPerTask - nb
  }
  return Math.max(1, total)
}

function header(baseline: RunRecord, candidate: RunRecord, policy: GatePolicy) {
  const { splits: _splits, ...rest } = policy
  return {
    schemaVersion: VERDICT_SCHEMA_VERSION,
    kind: 'self-harness/verdict' as const,
    policy: { ...rest, ignore: [...rest.ignore] },
    baseline: summary(baseline),
    candidate: summary(candidate),
  }
}

function summary(record: RunRecord) {
  const { harness, model, taskSetHash, trials } = record
  return { harness: { name: harness.name, id: harness.id }, model, taskSetHash, trials }
}

/** Shares one frozen counts object per distinct (pass, fail, error), so a million tasks cost few objects. */
class CountsCache {
  private readonly cache = new Map<number, TrialCounts>()

  get(pass: number, fail: number, error: number): TrialCounts {
    if (pass >= 1024 || fail >= 1024 || error >= 1024) return counts(pass, fail, error)
    const key = (pass * 1024 + fail) * 1024 + error
    let out = this.cache.get(key)
    if (!out) this.cache.set(key, (out = Object.freeze(counts(pass, fail, error))))
    return out
  }
}

function counts(pass: number, fail: number, error: number): TrialCounts {
  return { pass, fail, error, rate: pass + fail > 0 ? pass / (pass + fail) : null }
}

function taskEvidence(t: Tally, i: number, decision: ErrorAwareDecision, cache: CountsCache): TaskEvidence {
  const out: TaskEvidence = {
    id: t.idOf(i),
    file: t.fileOf(i),
    gating: t.gating[i] === 1,
    baseline: cache.get(t.bPass[i]!, t.bFail[i]!, t.bErr[i]!),
    candidate: cache.get(t.cPass[i]!, t.cFail[i]!, t.cErr[i]!),
    change: CHANGES[decision.change[i]!]!,
  }
  const split = SPLIT_CODES[t.split[i]!]
  if (split && split !== 'none') out.split = split
  const p = decision.pValueOf?.(i)
  if (p !== undefined && !Number.isNaN(p)) out.pValue = p
  const adjusted = decision.adjustedOf?.(i)
  if (adjusted !== undefined && !Number.isNaN(adjusted)) out.adjustedPValue = adjusted
  return out
}

function oneSided(task: TaskRecord, change: 'added' | 'removed', requested: number): TaskEvidence {
  let pass = 0
  let fail = 0
  let error = Math.max(0, requested - task.trials.length)
  for (const trial of task.trials) {
    if (trial.outcome === 'pass') pass++
    else if (trial.outcome === 'fail') fail++
    else error++
  }
  const side = counts(pass, fail, error)
  const sides = change === 'added' ? { candidate: side } : { baseline: side }
  return { id: task.id, file: task.file, gating: false, change, ...sides }
}

/** Dropped tasks, most suspicious first: smallest p-value, else largest drop in pass rate. */
function rankDisputed(t: Tally, indices: number[], pValueOf: ((i: number) => number) | undefined): string[] {
  const drop = (i: number): number =>
    t.bPass[i]! / (t.bPass[i]! + t.bFail[i]!) - t.cPass[i]! / (t.cPass[i]! + t.cFail[i]!)
  const order = Array.from(indices.keys())
  const key = Float64Array.from(indices, (i) => (pValueOf ? pValueOf(i) : -drop(i)))
  order.sort((a, b) => key[a]! - key[b]! || a - b)
  return order.map((j) => t.idOf(indices[j]!))
}
