import {
  FIX,
  FLAKY,
  REGRESSION,
  SAME,
  hasBothSides,
  nameTasks,
  tasksWith,
  varies,
  type Decision,
  type Rule,
} from './decision.js'
import type { Tally } from './tally.js'

/**
 * The article's per-task code: `regression` when the task passed in the baseline (any trial) and never in the
 * candidate, `fix` the reverse, `flaky` when outcomes varied otherwise, `same` when they did not.
 */
export function strictChange(t: Tally, i: number): number {
  if (!hasBothSides(t, i)) return SAME
  const before = t.bPass[i]! > 0
  const after = t.cPass[i]! > 0
  if (before && !after) return REGRESSION
  if (!before && after) return FIX
  return varies(t, i) ? FLAKY : SAME
}

/**
 * The article's rule: zero regressions (a task that passed at least once before and never now), and a
 * larger pass set (tasks with at least one pass) unless `requireGain` is off. No noise test.
 */
export const decideStrict: Rule = (t, policy, look) => {
  const change = new Uint8Array(t.size)
  let before = 0
  let after = 0
  for (let i = 0; i < t.size; i++) {
    change[i] = strictChange(t, i)
    if (!t.gating[i] || !hasBothSides(t, i)) continue
    if (t.bPass[i]! > 0) before++
    if (t.cPass[i]! > 0) after++
  }
  const regressions = tasksWith(t, change, REGRESSION)
  const reasons = [
    'Rule `strict`: a task that passed at least once in the baseline and never in the candidate is a regression; ' +
      'no test separates a real drop from noise.',
  ]
  let status: Decision['status']
  if (regressions.length > 0) {
    status = 'regression'
    reasons.push(`${regressions.length} task(s) passed before and never now: ${nameTasks(t, regressions)}.`)
  } else if (after > before) {
    status = 'accepted'
    reasons.push(`No regression, and the candidate passes more tasks (${before} -> ${after}).`)
  } else if (policy.requireGain) {
    status = 'no-gain'
    reasons.push(`No regression, but no net gain: the candidate passes ${after} task(s), the baseline ${before}.`)
  } else {
    status = 'accepted'
    reasons.push(`No regression; no gain required (${before} -> ${after} tasks passing).`)
  }
  return {
    status,
    change,
    reasons,
    look,
    lookAlpha: policy.alpha,
    baselinePasses: before,
    candidatePasses: after,
    method: { test: 'any-pass', correction: 'none' },
  }
}
