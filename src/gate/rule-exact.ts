import {
  FIX,
  FLAKY,
  REGRESSION,
  SAME,
  UNDECIDED,
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
import { strictChange } from './rule-strict.js'
import type { Tally } from './tally.js'

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

function adjustedByTask(family: TestedFamily): Map<number, number> {
  const out = new Map<number, number>()
  for (let j = 0; j < family.members.length; j++) out.set(family.members[j]!, family.adjusted[j]!)
  return out
}

/**
 * The default rule. Per task, a one-sided Fisher exact test on passes versus fails (errors excluded), in
 * each direction; p-values corrected with Holm's step-down method over Tarone's testable family, so the
 * chance of any false regression stays at or under `alpha`. A regression is a task whose corrected
 * "candidate worse" p is at or under `alpha`; a fix the reverse. A drop on a task whose trial counts can
 * never reach `alpha` (k = 1 or 2 at alpha 0.05) is `undecided` and makes the verdict
 * `insufficient-evidence`, unless `underpowered: 'strict'` judges such tasks by the article's per-task rule.
 * Net gain: the candidate's summed pass rate exceeds the baseline's.
 */
export const decideExact: Rule = (t, policy) => {
  const { alpha } = policy
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
    // A task whose trial counts can never reach alpha is never in a tested family.
    if (!atOrBelow(tests.best(i), alpha)) {
      unreachable++
      if (judgedStrictly) change[i] = strictChange(t, i)
      else change[i] = rateDirection(t, i) < 0 ? UNDECIDED : varies(t, i) ? FLAKY : SAME
      continue
    }
    if (atOrBelow(adjWorse.get(i) ?? 1, alpha)) change[i] = REGRESSION
    else if (atOrBelow(adjBetter.get(i) ?? 1, alpha)) change[i] = FIX
    else change[i] = varies(t, i) ? FLAKY : SAME
  }
  const sums = rateSums(t)
  const reasons = [
    `Rule \`exact\`: one-sided Fisher exact test per task, Holm-corrected over the ${worseFamily.members.length} ` +
      `task(s) whose margins allow significance (Tarone), family-wise alpha ${alpha}.`,
  ]
  const regressions = tasksWith(t, change, REGRESSION)
  const undecided = tasksWith(t, change, UNDECIDED)
  const gain = sums.candidate > sums.baseline + sumSlack(sums.tasks)
  const passes = `${fmt(sums.baseline)} -> ${fmt(sums.candidate)} summed pass rate over ${sums.tasks} task(s)`
  let status: Decision['status']
  if (judgedStrictly && unreachable > 0) {
    reasons.push(
      `${unreachable} task(s) have too few trials for the test to ever reach alpha ${alpha} (at least ` +
        `${minTrialsFor(alpha)} per side are needed) and were judged by the article's per-task rule ` +
        "(`underpowered: 'strict'`): passed before and never now is a regression, with no noise test.",
    )
  }
  if (regressions.length > 0) {
    status = 'regression'
    reasons.push(`${regressions.length} task(s) got worse: ${nameTasks(t, regressions)}.`)
  } else if (undecided.length > 0) {
    status = 'insufficient-evidence'
    const first = undecided[0]!
    reasons.push(
      `${undecided.length} task(s) dropped, but with ${t.bPass[first]! + t.bFail[first]!} vs ` +
        `${t.cPass[first]! + t.cFail[first]!} valid trial(s) the smallest attainable p-value is ` +
        `${fmt(tests.best(first))} > alpha ${alpha}, so no drop there can be told from noise: ` +
        `${nameTasks(t, undecided)}. The article's per-task rule (\`strict\`) would count them as regressions ` +
        `where they never pass now. Rerun with at least ${minTrialsFor(alpha)} trials per task (5 or more ` +
        "recommended), or set `underpowered: 'strict'` (or rule `strict`) to judge them without a noise test.",
    )
  } else if (gain || !policy.requireGain) {
    status = 'accepted'
    reasons.push(
      gain
        ? `No significant regression, and a net gain: ${passes}.`
        : `No significant regression; no gain required (${passes}).`,
    )
  } else {
    status = 'no-gain'
    reasons.push(`No significant regression, but no net gain: ${passes}.`)
  }
  if (unreachable > 0 && unreachable === valid && !judgedStrictly && status !== 'insufficient-evidence') {
    reasons.push(
      `With these trial counts the test cannot flag any task (at least ${minTrialsFor(alpha)} per side are needed); ` +
        "the verdict rests on no task's pass rate having dropped.",
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
  }
}
