import {
  FIX,
  FLAKY,
  REGRESSION,
  SAME,
  SUSPECTED_FIX,
  SUSPECTED_REGRESSION,
  fmt,
  hasBothSides,
  nameTasks,
  rateDirection,
  rateSums,
  sumSlack,
  tasksWith,
  varies,
  type Decision,
  type Rule,
} from './decision.js'
import { FisherTables, fisherBest, fisherFloor, fisherOneSided, type FisherResult } from './fisher.js'
import { atOrBelow, taroneHolm, type Candidates, type TestedFamily } from './holm.js'
import { lookAlpha, type GatePolicy } from './policy.js'
import { strictChange } from './rule-strict.js'
import { FAILING, STABLE } from './stability.js'
import type { Tally } from './tally.js'

/** A drop (or rise) whose one-sided p-value is at most this is suspected: more trials may settle it. */
export const SUSPECT_P = 0.25

/** A stable task that dipped with a one-sided p-value at most this is checked again by follow-up looks. */
export const DIP_P = 0.4

/** Extra candidate trials a suspected task gets per follow-up look. */
export const FOLLOW_UP_STEP = 2

/** Growable list of testable tasks; typed arrays, so a million tasks cost no per-task objects. */
class CandidateList implements Candidates {
  index = new Int32Array(64)
  floor = new Float64Array(64)
  p = new Float64Array(64)
  length = 0

  push(i: number, floor: number, p: number): void {
    if (this.length === this.index.length) {
      const grow = <T extends Int32Array | Float64Array>(a: T): T => {
        const next = new (a.constructor as new (n: number) => T)(a.length * 2)
        next.set(a)
        return next
      }
      this.index = grow(this.index)
      this.floor = grow(this.floor)
      this.p = grow(this.p)
    }
    this.index[this.length] = i
    this.floor[this.length] = floor
    this.p[this.length++] = p
  }
}

/** Per-task Fisher p-values, looked up from cached tables on demand instead of stored per task. */
class TaskTests {
  readonly tables = new FisherTables()
  constructor(private readonly t: Tally) {}

  /** One-sided p-values of task `i` (both 1 when it has no valid trials on a side). */
  p(i: number): FisherResult {
    const t = this.t
    const bp = t.bPass[i]!
    const bf = t.bFail[i]!
    const cp = t.cPass[i]!
    const cf = t.cFail[i]!
    const nc = cp + cf
    if (bp + bf === 0 || nc === 0) return { worse: 1, better: 1 }
    const table = this.tables.get(bp + bf, nc)
    if (!table) return fisherOneSided(bp, bf, cp, cf, this.tables.lf)
    const cell = bp * (nc + 1) + cp
    return { worse: table.worse[cell]!, better: table.better[cell]! }
  }

  /** The one-sided p-value of task `i` in one direction, without allocating. */
  directional(i: number, direction: -1 | 1): number {
    const t = this.t
    const bp = t.bPass[i]!
    const cp = t.cPass[i]!
    const nc = cp + t.cFail[i]!
    const table = this.tables.get(bp + t.bFail[i]!, nc)
    if (!table) return direction < 0 ? this.p(i).worse : this.p(i).better
    return (direction < 0 ? table.worse : table.better)[bp * (nc + 1) + cp]!
  }

  /** Attainable floors of task `i`'s p-values, fixed by its margins. */
  floor(i: number): FisherResult {
    const t = this.t
    const nb = t.bPass[i]! + t.bFail[i]!
    const nc = t.cPass[i]! + t.cFail[i]!
    const passes = t.bPass[i]! + t.cPass[i]!
    const table = this.tables.get(nb, nc)
    if (!table) return fisherFloor(nb, nc, passes, this.tables.lf)
    return { worse: table.floorWorse[passes]!, better: table.floorBetter[passes]! }
  }

  /** Smallest p-value the test could ever give with task `i`'s trial counts. */
  best(i: number): number {
    const t = this.t
    const nb = t.bPass[i]! + t.bFail[i]!
    const nc = t.cPass[i]! + t.cFail[i]!
    return this.tables.get(nb, nc)?.best ?? fisherBest(nb, nc, this.tables.lf)
  }
}

/** Fewest trials per side with which the one-sided test can reach `alpha` at all. */
export function minTrialsFor(alpha: number): number {
  let k = 1
  while (!atOrBelow(fisherBest(k, k), alpha)) k++
  return k
}

/** Fewest baseline trials with which `nc` candidate trials can reach `alpha` (all pass against all fail). */
export function baselineTrialsFor(alpha: number, nc: number, cap: number): number {
  let n = 1
  while (n < cap && !atOrBelow(fisherBest(n, nc), alpha)) n++
  return n
}

function adjustedByTask(family: TestedFamily): Map<number, number> {
  const out = new Map<number, number>()
  for (let j = 0; j < family.members.length; j++) out.set(family.members[j]!, family.adjusted[j]!)
  return out
}

/**
 * The default rule, at one look. Per task, a one-sided Fisher exact test of the baseline side (its history
 * included) against the candidate, in each direction; p-values corrected with Holm's step-down method over
 * Tarone's testable family at the look's alpha ({@link lookAlpha}), so the chance of any false regression over
 * every look stays at or under `alpha`. A regression is a task whose corrected "candidate worse" p is at or
 * under the look's alpha; a fix the reverse. A drop that is not (yet) significant is a `suspected-regression`
 * when more trials could settle it: the task is `stable` and its candidate rate fell by 0.2 or more, or its
 * p-value is at most {@link SUSPECT_P}, or its trial counts can never reach alpha; suspected regressions make
 * the verdict `insufficient-evidence`. Rises likewise give `suspected-fix`, which never blocks.
 * `underpowered: 'strict'` judges tasks whose trial counts can never reach alpha by the article's rule instead.
 * Net gain: the candidate's summed pass rate exceeds the baseline's.
 */
export const decideExact: Rule = (t, policy, look) => {
  const alpha = lookAlpha(policy, look)
  // Without follow-up looks, a suspected change is settled by a new run with more trials, at the first look's alpha.
  const nextAlpha = policy.followUpShare > 0 ? lookAlpha(policy, look + 1) : lookAlpha(policy, 1)
  const tests = new TaskTests(t)
  const worse = new CandidateList()
  const better = new CandidateList()
  for (let i = 0; i < t.size; i++) {
    if (!t.gating[i] || !hasBothSides(t, i) || !varies(t, i)) continue
    const floor = tests.floor(i)
    if (!atOrBelow(floor.worse, alpha) && !atOrBelow(floor.better, alpha)) continue
    const p = tests.p(i)
    if (atOrBelow(floor.worse, alpha)) worse.push(i, floor.worse, p.worse)
    if (atOrBelow(floor.better, alpha)) better.push(i, floor.better, p.better)
  }
  const worseFamily = taroneHolm(worse, alpha)
  const fixFamily = taroneHolm(better, alpha)
  const adjWorse = adjustedByTask(worseFamily)
  const adjBetter = adjustedByTask(fixFamily)
  const change = new Uint8Array(t.size)
  let unreachable = 0
  let valid = 0
  const judgedStrictly = policy.underpowered === 'strict'
  for (let i = 0; i < t.size; i++) {
    if (!hasBothSides(t, i)) continue
    if (!t.gating[i]) {
      // Reported only: judged with the uncorrected test.
      const p = varies(t, i) ? tests.p(i) : { worse: 1, better: 1 }
      if (atOrBelow(p.worse, alpha)) change[i] = REGRESSION
      else if (atOrBelow(p.better, alpha)) change[i] = FIX
      else change[i] = varies(t, i) ? FLAKY : SAME
      continue
    }
    valid++
    const reachable = atOrBelow(tests.best(i), alpha)
    if (!reachable) unreachable++
    if (!reachable && judgedStrictly) {
      change[i] = strictChange(t, i)
      continue
    }
    if (atOrBelow(adjWorse.get(i) ?? 1, alpha)) change[i] = REGRESSION
    else if (atOrBelow(adjBetter.get(i) ?? 1, alpha)) change[i] = FIX
    else change[i] = suspicion(t, i, tests, policy, reachable, nextAlpha)
  }
  const sums = rateSums(t)
  const reasons = [
    `Rule \`exact\`, look ${look}: one-sided Fisher exact test per task against the baseline side's trials, ` +
      `Holm-corrected over the ${worseFamily.members.length} task(s) whose margins allow significance ` +
      `(Tarone), at alpha ${fmt(alpha)} of the family-wise ${policy.alpha} (${lookShare(look)}).`,
  ]
  const regressions = tasksWith(t, change, REGRESSION)
  const suspected = rankBy(tasksWith(t, change, SUSPECTED_REGRESSION), (i) => tests.directional(i, -1))
  const gain = sums.candidate > sums.baseline + sumSlack(sums.tasks)
  const passes = `${fmt(sums.baseline)} -> ${fmt(sums.candidate)} summed pass rate over ${sums.tasks} task(s)`
  let status: Decision['status']
  let followUp: Decision['followUp']
  if (judgedStrictly && unreachable > 0) {
    reasons.push(
      `${unreachable} task(s) have too few trials for the test to ever reach alpha ${fmt(alpha)} and were judged by ` +
        "the article's per-task rule (`underpowered: 'strict'`): passed before and never now is a regression, with no noise test.",
    )
  }
  const dips = rankBy(
    tasksWith(t, change, FLAKY).filter(
      (i) =>
        t.stability[i] === STABLE &&
        rateDirection(t, i) < 0 &&
        tests.directional(i, -1) <= DIP_P &&
        settleable(t, i, policy, -1, nextAlpha),
    ),
    (i) => tests.directional(i, -1),
  )
  if (suspected.length > 0 || dips.length > 0) {
    followUp = { tasks: suspected, dips, extraTrials: followUpTrials(t, suspected, policy, nextAlpha) }
  }
  if (regressions.length > 0) {
    status = 'regression'
    reasons.push(`${regressions.length} task(s) got worse beyond noise: ${nameTasks(t, regressions)}.`)
  } else if (suspected.length > 0) {
    status = 'insufficient-evidence'
    reasons.push(
      `Suspected regression: ${suspected.length} task(s) dropped without reaching significance yet: ` +
        `${nameTasks(t, suspected)}. ${followUp!.extraTrials} more trial(s) of these tasks would settle it ` +
        `(look ${look + 1}, alpha ${fmt(nextAlpha)}).`,
    )
  } else if (gain || !policy.requireGain) {
    status = 'accepted'
    reasons.push(
      gain
        ? `No regression, and a net gain: ${passes}.`
        : `No regression; mode \`${policy.mode}\` requires no gain (${passes}).`,
    )
  } else {
    status = 'no-gain'
    reasons.push(`No regression, but mode \`${policy.mode}\` requires a net gain and there is none: ${passes}.`)
  }
  if (unreachable > 0 && unreachable === valid && !judgedStrictly && status !== 'insufficient-evidence') {
    reasons.push(
      `With these trial counts the test cannot flag any task at alpha ${fmt(alpha)}; the verdict rests on no task ` +
        'having dropped. A baseline history (accept, and gated runs of the baseline) gives the test its power.',
    )
  }
  const pValueOf = (i: number): number => {
    if (!hasBothSides(t, i)) return Number.NaN
    const direction = rateDirection(t, i)
    return direction === 0 ? Number.NaN : tests.directional(i, direction)
  }
  const adjustedOf = (i: number): number => {
    const direction = hasBothSides(t, i) ? rateDirection(t, i) : 0
    const value = direction < 0 ? adjWorse.get(i) : direction > 0 ? adjBetter.get(i) : undefined
    return value ?? Number.NaN
  }
  return {
    status,
    change,
    pValueOf,
    adjustedOf,
    reasons,
    baselinePasses: sums.baseline,
    candidatePasses: sums.candidate,
    method: {
      test: 'fisher-exact-one-sided',
      correction: 'holm-tarone',
      regressionFamily: worseFamily.members.length,
      fixFamily: fixFamily.members.length,
    },
    look,
    lookAlpha: alpha,
    ...(followUp ? { followUp } : {}),
  }
}

function lookShare(look: number): string {
  return look === 1 ? 'the first look' : `follow-up look ${look}`
}

/** The label of a gating task with no significant change: suspected, flaky or same. */
function suspicion(t: Tally, i: number, tests: TaskTests, policy: GatePolicy, reachable: boolean, next: number): number {
  const direction = rateDirection(t, i)
  if (direction === 0) return varies(t, i) ? FLAKY : SAME
  const nc = t.cPass[i]! + t.cFail[i]!
  const after = t.cPass[i]! / nc
  const p = tests.directional(i, direction)
  if (direction < 0) {
      // A stable task that fell to under half its runs passing (to zero at k = 1, 2 or 3) is never just flaky.
    const stableDrop = t.stability[i] === STABLE && after < 0.5
    if (stableDrop || p <= SUSPECT_P || !reachable) return settleable(t, i, policy, -1, next) ? SUSPECTED_REGRESSION : FLAKY
    return FLAKY
  }
  const failingRise = t.stability[i] === FAILING && after > 0.5
  if (failingRise || p <= SUSPECT_P || !reachable) return settleable(t, i, policy, 1, next) ? SUSPECTED_FIX : FLAKY
  return FLAKY
}

/**
 * True when trials up to `maxTrialsPerTask` a side could make the change significant at the next look: the
 * candidate's further trials all going the way of the change, the baseline side extended at its observed rate.
 */
function settleable(t: Tally, i: number, policy: GatePolicy, direction: -1 | 1, next: number): boolean {
  const cap = policy.maxTrialsPerTask
  const nb = t.bPass[i]! + t.bFail[i]!
  const nc = t.cPass[i]! + t.cFail[i]!
  if (nc >= cap) return false
  const nb2 = Math.max(nb, cap)
  const bPass = Math.round((t.bPass[i]! / nb) * nb2)
  const extra = Math.max(0, cap - nc)
  const cPass = t.cPass[i]! + (direction > 0 ? extra : 0)
  const cFail = t.cFail[i]! + (direction < 0 ? extra : 0)
  const p = fisherOneSided(bPass, nb2 - bPass, cPass, cFail)
  return atOrBelow(direction < 0 ? p.worse : p.better, next)
}

/** Extra trials of the next look for the suspected tasks: a candidate step each, the baseline side where too short. */
function followUpTrials(t: Tally, suspected: readonly number[], policy: GatePolicy, nextAlpha: number): number {
  let total = 0
  for (const i of suspected) {
    const nc = t.cPass[i]! + t.cFail[i]! + t.cErr[i]!
    const add = Math.min(FOLLOW_UP_STEP, Math.max(0, policy.maxTrialsPerTask - nc))
    total += add
    const nb = t.bPass[i]! + t.bFail[i]!
    const needed = baselineTrialsFor(nextAlpha, nc + add, policy.maxTrialsPerTask)
    if (nb < needed) total += needed - nb
  }
  return total
}

function rankBy(indices: number[], key: (i: number) => number): number[] {
  const keys = new Map(indices.map((i) => [i, key(i)]))
  return indices.sort((a, b) => keys.get(a)! - keys.get(b)! || a - b)
}
