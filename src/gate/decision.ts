import type { GatePolicy } from './policy.js'
import type { Tally } from './tally.js'

/** Per-task change codes, indexed by the numbers rules write into `Decision.change`. */
export const CHANGES = ['same', 'flaky', 'regression', 'fix', 'undecided', 'invalid', 'suspected-regression', 'suspected-fix'] as const

/** Code of `same`: every valid trial on both sides ended the same way. */
export const SAME = 0
/** Code of `flaky`: outcomes varied, but no change the rule counts. */
export const FLAKY = 1
/** Code of `regression`. */
export const REGRESSION = 2
/** Code of `fix`. */
export const FIX = 3
/** Code of `undecided`: the pass rate dropped, and with these trial counts the test could never tell. */
export const UNDECIDED = 4
/** Code of `invalid`: error trials left on the task could change the verdict. */
export const INVALID = 5
/** Code of `suspected-regression`: a drop not yet significant that more candidate trials can settle. */
export const SUSPECTED_REGRESSION = 6
/** Code of `suspected-fix`: a rise not yet significant that more trials can settle. */
export const SUSPECTED_FIX = 7

/** Stability classes of a task, from its baseline evidence (history included), indexed by code. */
export const STABILITIES = ['unknown', 'stable', 'flaky', 'too-flaky', 'failing'] as const

/** What a rule concludes, before comparability and presentation. */
export type DecisionStatus = 'accepted' | 'regression' | 'no-gain' | 'insufficient-evidence'

/** The statistical method a rule used, recorded in the verdict. */
export interface Method {
  test: 'fisher-exact-one-sided' | 'any-pass' | 'split-pass-counts'
  correction: 'holm-tarone' | 'none'
  /** Tasks in the corrected family for "candidate worse" (exact rule). */
  regressionFamily?: number
  /** Tasks in the corrected family for "candidate better" (exact rule). */
  fixFamily?: number
}

/** Pass counts of one split. */
export interface SplitSummary {
  split: 'none' | 'train' | 'validation' | 'sealed'
  tasks: number
  baselinePasses: number
  candidatePasses: number
  /** False for `sealed`, which is reported and never decides. */
  gating: boolean
  change: 'worse' | 'same' | 'better'
}

/** What a follow-up look would need: the suspected tasks and the extra trials that could settle them. */
export interface FollowUp {
  /** Indices of the suspected regressions, most suspicious first (they block: exit 3). */
  tasks: number[]
  /** Stable tasks that dipped without a suspected drop: follow-up looks check them too, they never block. */
  dips: number[]
  /** Extra task trials of the next look (candidate side, and baseline side where it is too short). */
  extraTrials: number
}

/** A rule's result over a tally. */
export interface Decision {
  status: DecisionStatus
  /** One code of {@link CHANGES} per task. */
  change: Uint8Array
  /** One-sided p-value of task `i` in the direction of its observed change; NaN when none. */
  pValueOf?: (i: number) => number
  /** Corrected p-value of task `i`; NaN when it was not in the tested family. */
  adjustedOf?: (i: number) => number
  reasons: string[]
  /** Baseline passes as this rule counts them over gating tasks. */
  baselinePasses: number
  candidatePasses: number
  method: Method
  /** The look this decision is (1: the run; 2, 3, ...: follow-up looks) and the alpha it tested at. */
  look: number
  lookAlpha: number
  /** Suspected regressions and what would settle them; absent when none. */
  followUp?: FollowUp
}

/** A decision rule: pure, over flat counts, at one look. */
export type Rule = (tally: Tally, policy: GatePolicy, look: number) => Decision

/** Floating-point slack for comparing sums of pass rates. */
export function sumSlack(tasks: number): number {
  return 1e-9 * Math.max(1, tasks)
}

/** True when the task has valid (non-error) trials on both sides. */
export function hasBothSides(t: Tally, i: number): boolean {
  return t.bPass[i]! + t.bFail[i]! > 0 && t.cPass[i]! + t.cFail[i]! > 0
}

/** Sign of candidate rate minus baseline rate, in integers: -1 dropped, 0 equal, 1 rose. */
export function rateDirection(t: Tally, i: number): -1 | 0 | 1 {
  const nb = t.bPass[i]! + t.bFail[i]!
  const nc = t.cPass[i]! + t.cFail[i]!
  const d = t.cPass[i]! * nb - t.bPass[i]! * nc
  return d < 0 ? -1 : d > 0 ? 1 : 0
}

/** True when some valid trials passed and some failed, on either side or across the two. */
export function varies(t: Tally, i: number): boolean {
  const bp = t.bPass[i]!
  const bf = t.bFail[i]!
  const cp = t.cPass[i]!
  const cf = t.cFail[i]!
  return (bp > 0 || cp > 0) && (bf > 0 || cf > 0)
}

/** Sums of pass rates over gating tasks with valid trials on both sides. */
export function rateSums(t: Tally): { baseline: number; candidate: number; tasks: number } {
  let baseline = 0
  let candidate = 0
  let tasks = 0
  for (let i = 0; i < t.size; i++) {
    if (!t.gating[i] || !hasBothSides(t, i)) continue
    tasks++
    baseline += t.bPass[i]! / (t.bPass[i]! + t.bFail[i]!)
    candidate += t.cPass[i]! / (t.cPass[i]! + t.cFail[i]!)
  }
  return { baseline, candidate, tasks }
}

/** Names a list of tasks for a reason line, at most `max` of them. */
export function nameTasks(t: Tally, indices: readonly number[], max = 10): string {
  const shown = indices.slice(0, max).map((i) => `\`${t.idOf(i)}\``)
  const more = indices.length - shown.length
  return more > 0 ? `${shown.join(', ')} and ${more} more` : shown.join(', ')
}

/** Indices of gating tasks with the given change code. */
export function tasksWith(t: Tally, change: Uint8Array, code: number): number[] {
  const out: number[] = []
  for (let i = 0; i < t.size; i++) if (t.gating[i] && change[i] === code) out.push(i)
  return out
}

/** Formats a number for a reason line. */
export function fmt(x: number): string {
  if (x === 0 || (Math.abs(x) >= 0.001 && Math.abs(x) < 1e6)) return String(Number(x.toPrecision(3)))
  return x.toExponential(2)
}
