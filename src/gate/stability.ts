import { estimateFlipRate } from '../record/flake-history.js'
import { STABILITIES } from './decision.js'
import type { GatePolicy } from './policy.js'
import type { Tally } from './tally.js'

/** Code of `unknown`: no valid baseline trial. */
export const UNKNOWN = 0
/** Code of `stable`: the baseline pass rate is at or above `stableRate`. */
export const STABLE = 1
/** Code of `flaky`: between stable and failing, judgeable. */
export const FLAKY_TASK = 2
/** Code of `too-flaky`: the baseline flip rate is above `maxFlipRate` over at least {@link TOO_FLAKY_MIN_TRIALS}. */
export const TOO_FLAKY = 3
/** Code of `failing`: the baseline pass rate is at or below `1 - stableRate`. */
export const FAILING = 4

/** Fewest valid baseline trials before a task can be called too flaky to judge. */
export const TOO_FLAKY_MIN_TRIALS = 6

/** The stability label of a code. */
export function stabilityName(code: number): (typeof STABILITIES)[number] {
  return STABILITIES[code] ?? 'unknown'
}

/**
 * Classifies each task from its baseline side (history included), before the candidate is looked at:
 * `stable`, `failing`, `flaky`, or `too-flaky` (flip rate above `maxFlipRate`), which then stops gating.
 * The class depends on the baseline only, so it cannot be steered by the candidate's outcomes.
 */
export function classifyTasks(t: Tally, policy: GatePolicy): void {
  for (let i = 0; i < t.size; i++) {
    const passes = t.bPass[i]!
    const n = passes + t.bFail[i]!
    let code = UNKNOWN
    if (n > 0) {
      const rate = passes / n
      const flip = estimateFlipRate(passes, n)
      if (n >= TOO_FLAKY_MIN_TRIALS && flip !== null && flip > policy.maxFlipRate) code = TOO_FLAKY
      else if (rate >= policy.stableRate) code = STABLE
      else if (rate <= 1 - policy.stableRate) code = FAILING
      else code = FLAKY_TASK
    }
    t.stability[i] = code
    if (code === TOO_FLAKY) t.gating[i] = 0
  }
}
