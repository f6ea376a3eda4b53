import { ConfigurationError } from '../errors.js'
import { minTrialsFor } from './rule-exact.js'
import type { TrialCounts, Verdict } from './verdict.js'

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
   * Extra candidate trials per disputed task per round.
   * @default 2
   */
  step?: number
  /**
   * No side of a task is taken beyond this many trials.
   * @default 10
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
 * Plans the next round of extra trials from a verdict. Tasks are taken `undecided` first, then `disputed`
 * (most suspicious first, as the verdict ranks them). Each gets `step` more candidate trials (capped by
 * `maxTrialsPerTask` and what is left of the budget); when its baseline side holds fewer valid trials than
 * `minTrialsFor(alpha)`, the baseline is extended to that minimum too, only if the whole extension fits in the
 * budget left. Stops with `decided` when nothing is disputed (or the verdict is a regression or not comparable),
 * `max-trials` when no disputed task can grow, `budget` when no budget is left. Pure.
 */
export function planExtraTrials(verdict: Verdict, state: TrialState, options: AdaptiveOptions): TrialPlan {
  const { budget } = options
  const step = options.step ?? 2
  const max = options.maxTrialsPerTask ?? 10
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
  if (verdict.status === 'regression') return done('decided', 'The verdict is a regression beyond noise; no task is left to settle.')
  const queue = disputedOrder(verdict)
  if (queue.length === 0) return done('decided', 'No task is disputed: the evidence is decisive.')
  const evidence = new Map(verdict.tasks.map((t) => [t.id, t]))
  const needed = minTrialsFor(verdict.policy.alpha)
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
    const cRoom = Math.max(0, max - c)
    const bNeed = bValid < needed ? Math.min(needed - bValid, Math.max(0, max - b)) : 0
    if (cRoom === 0 && bNeed === 0) continue
    growable++
    if (left <= 0) continue
    const cAdd = Math.min(step, cRoom, left)
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
    return done('max-trials', `Every disputed task is at ${max} trials a side (or needs a retry, not more trials).`)
  }
  if (cost === 0) return done('budget', `The budget of ${budget} extra trials is spent.`)
  return {
    candidate,
    baseline,
    retry,
    cost,
    stop: null,
    reason:
      `${candidate.length} disputed task(s) get more candidate trials and ${baseline.length} more baseline trials, ` +
      `${cost} trial(s); ${budget - state.spent - cost} of the budget of ${budget} left.`,
  }
}

/** Undecided tasks first, then the other disputed ones, each in the verdict's most-suspicious-first order. */
function disputedOrder(verdict: Verdict): string[] {
  const undecided = new Set(verdict.undecided)
  const first = verdict.disputed.filter((id) => undecided.has(id))
  const ranked = new Set(first)
  for (const id of verdict.undecided) if (!ranked.has(id)) first.push(id)
  return [...first, ...verdict.disputed.filter((id) => !undecided.has(id))]
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
