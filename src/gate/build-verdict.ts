import type { RunRecord, TaskRecord } from '../record/schema.js'
import type { ErrorAwareDecision } from './decide.js'
import { CHANGES, FIX, FLAKY, INVALID, REGRESSION, SAME, UNDECIDED, rateDirection } from './decision.js'
import { EVIDENCE_ALL_LIMIT, type GatePolicy } from './policy.js'
import { splitSummaries } from './rule-split.js'
import { SPLIT_CODES, type Alignment, type Tally } from './tally.js'
import {
  VERDICT_SCHEMA_VERSION,
  exitCodeFor,
  type TaskEvidence,
  type TrialCounts,
  type Verdict,
} from './verdict.js'

const SEALED = 3

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
): Verdict {
  const t = alignment.tally
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
      else unchanged++
      if ((code === FLAKY || code === UNDECIDED) && rateDirection(t, i) < 0) disputed.push(i)
    } else if (t.split[i] !== SEALED) {
      ignored.push(t.idOf(i))
    }
    if (evidence === 'all' || code !== SAME || errors > 0) tasks.push(taskEvidence(t, i, decision, cache))
  }
  for (const task of alignment.removed) tasks.push(oneSided(task, 'removed', baseline.trials))
  for (const task of alignment.added) tasks.push(oneSided(task, 'added', candidate.trials))
  return {
    ...header(baseline, candidate, policy),
    status: decision.status,
    exitCode: exitCodeFor(decision.status),
    reasons: decision.reasons,
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
    splits: policy.rule === 'split' || Object.keys(policy.splits).length > 0 ? splitSummaries(t) : [],
    evidence,
    tasks,
  }
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
