import { ConfigurationError } from '../errors.js'
import { lookAlpha, resolveGatePolicy } from './policy.js'
import { FOLLOW_UP_STEP, baselineTrialsFor } from './rule-exact.js'
import type { TrialCounts, Verdict } from './verdict.js'

/**
 * One suspected task's next look: `step` more candidate trials (to at most `cap`), and the baseline side
 * taken to the fewest trials with which the candidate's new count can reach the next look's alpha, when shorter.
 */
export function followUpOf(
  baselineValid: number,
  candidateTrials: number,
  nextAlpha: number,
  step: number,
  cap: number,
): { candidateAdd: number; baselineTo: number } {
  const candidateAdd = Math.min(step, Math.max(0, cap - candidateTrials))
  const needed = baselineTrialsFor(nextAlpha, candidateTrials + candidateAdd, cap)
  return { candidateAdd, baselineTo: Math.max(baselineValid, needed) }
}

/** Trials each side holds now, per task (asked for, errors included), and the extra trials already spent. */
export interface TrialState {
  candidateTrials: Record<string, number>
  baselineTrials: Record<string, number>
  /** Extra task trials already run in earlier rounds, counted against the budget. */
  spent: number
}

/** Options of {@link planExtraTrials}. */
export interface AdaptiveOptions {
  /** Extra task trials allowed in total, over all rounds and both sides. */
  budget: number
  /**
   * Extra candidate trials per suspected task per round.
   * @default 2
   */
  step?: number
  /**
   * No side of a task is taken beyond this many trials.
   * @default the policy's `maxTrialsPerTask` (9)
   */
  maxTrialsPerTask?: number
}

/** One task's new total trial count on one side. */
export interface PlannedTrials {
  id: string
  trials: number
}

/** Why planning stopped: nothing disputed, the budget is spent, or every disputed task is at the trial cap. */
export type AdaptiveStop = null | 'decided' | 'budget' | 'max-trials'

/** The next round of extra trials. */
export interface TrialPlan {
  /** Disputed tasks to run again on the candidate side, with their new total trial count. */
  candidate: PlannedTrials[]
  /** Tasks whose baseline side is too short for the test to reach alpha, with their new total trial count. */
  baseline: PlannedTrials[]
  /** Tasks whose error trials could change the verdict (`invalid`): rerun those trials, do not add more. */
  retry: string[]
  /** Extra task trials this round costs (retries not included). */
  cost: number
  /** Null while there is a round to run. */
  stop: AdaptiveStop
  /** One sentence on what was planned or why planning stopped. */
  reason: string
}

/**
 * Plans the next look from a verdict. Only the verdict's suspected regressions get trials (most suspicious
 * first, then tasks `undecided` by an older verdict): `step` more candidate trials each, capped by
 * `maxTrialsPerTask` and the budget left, and, when the baseline side is too short for the next look's alpha
 * ({@link followUpOf}), baseline trials too, only if the whole extension fits. Stops with `decided` when
 * nothing is suspected, the verdict is a regression (a rejection at any look is final, as in `simulateGate`,
 * whose measured false-alarm rates are those of this procedure) or not comparable, `max-trials` when no suspected
 * task can grow, `budget` when none is left. The caller runs the plan and compares again with `look` + 1,
 * so each look tests at its own share of alpha. Pure.
 */
export function planExtraTrials(verdict: Verdict, state: TrialState, options: AdaptiveOptions): TrialPlan {
  const { budget } = options
  const policy = resolveGatePolicy(verdict.policy)
  const step = options.step ?? FOLLOW_UP_STEP
  const max = options.maxTrialsPerTask ?? policy.maxTrialsPerTask
  if (!Number.isInteger(budget) || budget < 0) invalid('budget', 'a non-negative integer', budget)
  if (!Number.isInteger(step) || step < 1) invalid('step', 'a positive integer', step)
  if (!Number.isInteger(max) || max < 1) invalid('maxTrialsPerTask', 'a positive integer', max)
  if (!Number.isInteger(state.spent) || state.spent < 0) invalid('spent', 'a non-negative integer', state.spent)
  const retry = [...verdict.invalid]
  const done = (stop: AdaptiveStop, reason: string): TrialPlan => ({
    candidate: [],
    baseline: [],
    retry,
    cost: 0,
    stop,
    reason: retry.length > 0 ? `${reason} Rerun the error trials of ${retry.length} invalid task(s).` : reason,
  })
  if (verdict.status === 'not-comparable') return done('decided', 'The records are not comparable; more trials cannot help.')
  // A regression found at a look stands: that look spent its share of alpha on it. A later look tests a family
  // grown by the other tasks' new trials at a smaller alpha, and could drop it only by forgetting that rejection.
  if (verdict.status === 'regression') {
    return done('decided', 'The verdict is a regression beyond noise; it stands, and more trials cannot undo it.')
  }
  const queue = suspectedOrder(verdict)
  if (queue.length === 0) return done('decided', 'No regression is suspected: the evidence is decisive.')
  const evidence = new Map(verdict.tasks.map((t) => [t.id, t]))
  const nextAlpha = lookAlpha(policy, (verdict.look ?? 1) + 1)
  let left = budget - state.spent
  let growable = 0
  const candidate: PlannedTrials[] = []
  const baseline: PlannedTrials[] = []
  let cost = 0
  for (const id of queue) {
    const task = evidence.get(id)
    const c = current(state.candidateTrials, id, task?.candidate, verdict.candidate.trials)
    const b = current(state.baselineTrials, id, task?.baseline, verdict.baseline.trials)
    const bValid = task?.baseline ? task.baseline.pass + task.baseline.fail : b
    const next = followUpOf(bValid, c, nextAlpha, step, max)
    const bNeed = Math.min(next.baselineTo - bValid, Math.max(0, max - b))
    if (next.candidateAdd === 0 && bNeed <= 0) continue
    growable++
    if (left <= 0) continue
    const cAdd = Math.min(next.candidateAdd, left)
    if (cAdd > 0) {
      candidate.push({ id, trials: c + cAdd })
      left -= cAdd
      cost += cAdd
    }
    if (bNeed > 0 && bNeed <= left) {
      baseline.push({ id, trials: b + bNeed })
      left -= bNeed
      cost += bNeed
    }
  }
  if (growable === 0) {
    return done('max-trials', `Every suspected task is at ${max} trials a side (or needs a retry, not more trials).`)
  }
  if (cost === 0) return done('budget', `The budget of ${budget} extra trials is spent.`)
  return {
    candidate,
    baseline,
    retry,
    cost,
    stop: null,
    reason:
      `${candidate.length} suspected task(s) get more candidate trials and ${baseline.length} more baseline trials, ` +
      `${cost} trial(s), for look ${(verdict.look ?? 1) + 1} at alpha ${Number(nextAlpha.toPrecision(3))}; ` +
      `${budget - state.spent - cost} of the budget of ${budget} left.`,
  }
}

/** Suspected regressions first (most suspicious first), then any `undecided` task of an older verdict. */
function suspectedOrder(verdict: Verdict): string[] {
  const first = [...(verdict.suspectedRegressions ?? [])]
  const seen = new Set(first)
  for (const id of [...verdict.undecided, ...(verdict.dips ?? [])]) if (!seen.has(id)) (seen.add(id), first.push(id))
  return first
}

function current(
  state: Record<string, number>,
  id: string,
  counts: TrialCounts | undefined,
  requested: number,
): number {
  if (Object.hasOwn(state, id)) {
    const n = state[id]!
    if (!Number.isInteger(n) || n < 0) invalid(`trials[${JSON.stringify(id)}]`, 'a non-negative integer', n)
    return n
  }
  return counts ? Math.max(requested, counts.pass + counts.fail + counts.error) : requested
}

function invalid(field: string, expected: string, got: unknown): never {
  throw new ConfigurationError('CONFIG_INVALID', `Expected \`${field}\` to be ${expected}, got \`${String(got)}\``, {
    field,
  })
}
