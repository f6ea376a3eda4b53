import { FIX, INVALID, REGRESSION, fmt, nameTasks, type Decision, type Rule } from './decision.js'
import type { GatePolicy, GateRule } from './policy.js'
import { decideExact } from './rule-exact.js'
import { decideSplit } from './rule-split.js'
import { decideStrict } from './rule-strict.js'
import type { Tally } from './tally.js'

const RULES: Record<GateRule, Rule> = { exact: decideExact, strict: decideStrict, split: decideSplit }

/** A decision after the error trials were weighed. */
export interface ErrorAwareDecision extends Decision {
  /** Gating tasks holding at least one error trial. */
  errored: number
}

/**
 * Applies the policy's rule, then weighs error trials. Errors block only when they could change the verdict:
 * the rule is run again with every error trial of every task filled as the worst case for the candidate
 * (baseline errors as passes, candidate errors as fails) and as the best case (the reverse). When both give
 * the verdict reached without the errors, they cannot change it and are only reported. Otherwise, if error
 * trials exceed `maxErrorRate` of the gating tasks' trials, the verdict is `insufficient-evidence` and the
 * tasks whose own outcome differs between the two fills are `invalid` (all tasks with errors, when the
 * difference only shows in the totals).
 */
export function decide(t: Tally, policy: GatePolicy, look = 1): ErrorAwareDecision {
  const rule = RULES[policy.rule]
  const observed = rule(t, policy, look)
  let errorTrials = 0
  let trials = 0
  const errored: number[] = []
  for (let i = 0; i < t.size; i++) {
    if (!t.gating[i]) continue
    const e = t.bErr[i]! + t.cErr[i]!
    trials += e + t.bPass[i]! + t.bFail[i]! + t.cPass[i]! + t.cFail[i]!
    if (e === 0) continue
    errorTrials += e
    errored.push(i)
  }
  if (errored.length === 0) return { ...observed, errored: 0 }
  const worst = rule(fill(t, errored, 'worst'), policy, look)
  const best = rule(fill(t, errored, 'best'), policy, look)
  const share = `${errorTrials} of ${trials} trials (${fmt((100 * errorTrials) / trials)}%)`
  if (worst.status === observed.status && best.status === observed.status) {
    const note =
      `${errored.length} task(s) hold error trials, ${share}; counting them all as passes or all as fails ` +
      'gives the same verdict, so they do not block.'
    return { ...observed, reasons: [...observed.reasons, note], errored: errored.length }
  }
  let blocking = errored.filter((i) => outcomeOf(worst.change[i]!) !== outcomeOf(best.change[i]!))
  if (blocking.length === 0) blocking = errored
  const detail =
    `Error trials could change the verdict (${worst.status} if they had gone against the candidate, ` +
    `${best.status} if for it): ${nameTasks(t, blocking)}.`
  if (errorTrials <= policy.maxErrorRate * trials) {
    const note =
      `${detail} They are ${share}, within \`maxErrorRate\` ${policy.maxErrorRate}, ` +
      'so the verdict stands on the other trials.'
    return { ...observed, reasons: [...observed.reasons, note], errored: errored.length }
  }
  const change = observed.change.slice()
  for (const i of blocking) change[i] = INVALID
  return {
    ...observed,
    status: 'insufficient-evidence',
    change,
    reasons: [
      ...observed.reasons,
      `${detail} Error trials are ${share}, above \`maxErrorRate\` ${policy.maxErrorRate}: rerun those trials.`,
    ],
    errored: errored.length,
  }
}

function outcomeOf(code: number): number {
  return code === REGRESSION || code === FIX ? code : 0
}

/** A copy of the tally with the listed tasks' error trials turned into passes or fails. */
function fill(t: Tally, tasks: readonly number[], mode: 'worst' | 'best'): Tally {
  const out: Tally = {
    ...t,
    bPass: t.bPass.slice(),
    bFail: t.bFail.slice(),
    bErr: t.bErr.slice(),
    cPass: t.cPass.slice(),
    cFail: t.cFail.slice(),
    cErr: t.cErr.slice(),
  }
  const [bTo, cTo] = mode === 'worst' ? [out.bPass, out.cFail] : [out.bFail, out.cPass]
  for (const i of tasks) {
    bTo[i]! += out.bErr[i]!
    cTo[i]! += out.cErr[i]!
    out.bErr[i] = 0
    out.cErr[i] = 0
  }
  return out
}
