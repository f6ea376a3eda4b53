import {
  fmt,
  hasBothSides,
  nameTasks,
  rateDirection,
  sumSlack,
  type Decision,
  type Rule,
  type SplitSummary,
} from './decision.js'
import { strictChange } from './rule-strict.js'
import { SPLIT_CODES, type Tally } from './tally.js'

const SEALED = 3

/**
 * Summed pass rates per split (with one trial, pass counts), over tasks with valid trials on both sides;
 * ignored tasks are left out. Only splits that hold tasks are listed, in the order none, train, validation, sealed.
 */
export function splitSummaries(t: Tally): SplitSummary[] {
  const tasks = new Float64Array(4)
  const before = new Float64Array(4)
  const after = new Float64Array(4)
  for (let i = 0; i < t.size; i++) {
    const split = t.split[i]!
    const ignored = !t.gating[i] && split !== SEALED
    if (ignored || !hasBothSides(t, i)) continue
    tasks[split]!++
    before[split]! += t.bPass[i]! / (t.bPass[i]! + t.bFail[i]!)
    after[split]! += t.cPass[i]! / (t.cPass[i]! + t.cFail[i]!)
  }
  const out: SplitSummary[] = []
  for (let s = 0; s < 4; s++) {
    if (tasks[s] === 0) continue
    const slack = sumSlack(tasks[s]!)
    const d = after[s]! - before[s]!
    out.push({
      split: SPLIT_CODES[s]!,
      tasks: tasks[s]!,
      baselinePasses: before[s]!,
      candidatePasses: after[s]!,
      gating: s !== SEALED,
      change: d < -slack ? 'worse' : d > slack ? 'better' : 'same',
    })
  }
  return out
}

/**
 * The paper's split-level rule: in every gating split (train, validation, and the group of tasks without a
 * split) the candidate's pass count is not lower, and in at least one it is higher (unless `requireGain` is
 * off). Per-task changes follow the strict rule and are reported, not gating.
 */
export const decideSplit: Rule = (t, policy, look) => {
  const change = new Uint8Array(t.size)
  for (let i = 0; i < t.size; i++) change[i] = strictChange(t, i)
  const splits = splitSummaries(t).filter((s) => s.gating)
  const worse = splits.filter((s) => s.change === 'worse')
  const better = splits.filter((s) => s.change === 'better')
  const show = (s: SplitSummary): string =>
    `${s.split === 'none' ? 'tasks without a split' : s.split} ${fmt(s.baselinePasses)} -> ${fmt(s.candidatePasses)}`
  const reasons = [
    'Rule `split`: pass counts per split must not fall in any split and must rise in one; ' +
      'per-task changes are reported, not gating.',
  ]
  let status: Decision['status']
  if (splits.length === 0) {
    status = 'insufficient-evidence'
    reasons.push('No gating split holds a task with valid trials on both sides.')
  } else if (worse.length > 0) {
    status = 'regression'
    const fell = new Set(worse.map((w) => SPLIT_CODES.indexOf(w.split)))
    const dropped: number[] = []
    for (let i = 0; i < t.size; i++) {
      if (t.gating[i] && fell.has(t.split[i]!) && hasBothSides(t, i) && rateDirection(t, i) < 0) dropped.push(i)
    }
    reasons.push(`Pass count fell in ${worse.map(show).join('; ')}. Tasks that dropped there: ${nameTasks(t, dropped)}.`)
  } else if (better.length > 0 || !policy.requireGain) {
    status = 'accepted'
    reasons.push(`No split fell: ${splits.map(show).join('; ')}.`)
  } else {
    status = 'no-gain'
    reasons.push(`No split fell, but none rose: ${splits.map(show).join('; ')}.`)
  }
  const total = splits.reduce((acc, s) => ({ b: acc.b + s.baselinePasses, c: acc.c + s.candidatePasses }), { b: 0, c: 0 })
  return {
    status,
    change,
    reasons,
    look,
    lookAlpha: policy.alpha,
    baselinePasses: total.b,
    candidatePasses: total.c,
    method: { test: 'split-pass-counts', correction: 'none' },
  }
}
