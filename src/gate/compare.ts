import type { RunRecord } from '../record/schema.js'
import { buildVerdict, refusedVerdict } from './build-verdict.js'
import { alignmentProblems, headerProblems } from './comparable.js'
import { decide } from './decide.js'
import { resolveGatePolicy, type GatePolicyInput } from './policy.js'
import { alignRuns } from './tally.js'
import type { Verdict } from './verdict.js'

/**
 * The gate: compares a candidate run record with a baseline one under a policy and returns the verdict.
 * Pure: reads only its arguments. Throws a `ConfigurationError` only for an invalid policy.
 */
export function compareRuns(baseline: RunRecord, candidate: RunRecord, policy?: GatePolicyInput): Verdict {
  const resolved = resolveGatePolicy(policy)
  const problems = headerProblems(baseline, candidate, resolved)
  if (problems.length > 0) return refusedVerdict(baseline, candidate, resolved, 'not-comparable', problems)
  const alignment = alignRuns(baseline, candidate, resolved)
  const mismatch = alignmentProblems(alignment, resolved)
  if (mismatch.length > 0) return refusedVerdict(baseline, candidate, resolved, 'not-comparable', mismatch)
  const { tally } = alignment
  let gating = 0
  for (let i = 0; i < tally.size; i++) gating += tally.gating[i]!
  if (gating === 0) {
    const why = tally.size === 0 ? 'The records share no task.' : 'Every shared task is ignored or sealed.'
    return refusedVerdict(baseline, candidate, resolved, 'insufficient-evidence', [`${why} Nothing can decide.`])
  }
  return buildVerdict(baseline, candidate, resolved, alignment, decide(tally, resolved))
}
