import type { BaselineHistory } from '../record/baseline-history.js'
import { historyHolds, historyMatches } from '../record/baseline-history.js'
import type { RunRecord } from '../record/schema.js'
import { buildVerdict, refusedVerdict, type BaselineEvidence } from './build-verdict.js'
import { alignmentProblems, headerProblems } from './comparable.js'
import { decide } from './decide.js'
import { resolveGatePolicy, type GatePolicyInput } from './policy.js'
import { classifyTasks } from './stability.js'
import { alignRuns } from './tally.js'
import type { Verdict } from './verdict.js'

/** What else the gate weighs besides the two records. */
export interface CompareContext {
  /**
   * Trials of the baseline's harness version and model accumulated over baseline runs (`accept` and gated
   * runs of the baseline harness); used only when its harness id and model match the baseline record's.
   */
  history?: BaselineHistory
  /**
   * Which look this is: 1 for the run, 2, 3, ... for adaptive follow-up looks; each tests at its own share of alpha.
   * @default 1
   */
  look?: number
  /**
   * The baseline record's file as the user names it, for the follow-up command the verdict prints.
   * @default `<baseline.json>`, a placeholder
   */
  baselineFile?: string
}

/**
 * The gate: compares a candidate run record with a baseline one (and the baseline's history) under a policy
 * and returns the verdict. Pure: reads only its arguments. Throws a `ConfigurationError` only for an invalid
 * policy or look.
 */
export function compareRuns(
  baseline: RunRecord,
  candidate: RunRecord,
  policy?: GatePolicyInput,
  context: CompareContext = {},
): Verdict {
  const resolved = resolveGatePolicy(policy)
  const look = context.look ?? 1
  const problems = headerProblems(baseline, candidate, resolved)
  if (problems.length > 0) return refusedVerdict(baseline, candidate, resolved, 'not-comparable', problems)
  const history = historyMatches(context.history, baseline) ? context.history : undefined
  const alignment = alignRuns(baseline, candidate, resolved, history)
  const mismatch = alignmentProblems(alignment, resolved)
  if (mismatch.length > 0) return refusedVerdict(baseline, candidate, resolved, 'not-comparable', mismatch)
  const { tally } = alignment
  classifyTasks(tally, resolved)
  let gating = 0
  let trials = 0
  for (let i = 0; i < tally.size; i++) {
    gating += tally.gating[i]!
    trials += tally.bPass[i]! + tally.bFail[i]!
  }
  if (gating === 0) {
    const why = tally.size === 0 ? 'The records share no task.' : 'Every shared task is ignored, sealed or too flaky to judge.'
    return refusedVerdict(baseline, candidate, resolved, 'insufficient-evidence', [`${why} Nothing can decide.`])
  }
  const evidence: BaselineEvidence = history
    ? { source: 'history', runs: history.runs + (historyHolds(history, baseline) ? 0 : 1), trials }
    : { source: 'record', runs: 1, trials }
  const verdict = buildVerdict(baseline, candidate, resolved, alignment, decide(tally, resolved, look), evidence, context.baselineFile)
  if (history) {
    verdict.reasons.unshift(
      `The baseline side is the history of ${verdict.baseline.harness.name} (${evidence.runs} run(s), ${trials} valid trial(s)).`,
    )
  }
  return verdict
}
