import { describe, expect, it } from 'vitest'
import { planExtraTrials, type TrialState } from '../../src/gate/adaptive.js'
import { compareRuns as compareNow } from '../../src/gate/compare.js'
import type { GatePolicyInput } from '../../src/gate/policy.js'
import type { RunRecord as Rec } from '../../src/record/schema.js'

// These cases pin the per-look test itself: one look at the full alpha, in mode promote (a net gain required).
const compareRuns = (b: Rec, c: Rec, p: GatePolicyInput = {}) => compareNow(b, c, { mode: 'promote', followUpShare: 0, ...p })
import { seededRandom } from '../../src/gate/prng.js'
import type { RunRecord } from '../../src/record/schema.js'
import { run, stable, trial } from './records.js'

const noState: TrialState = { candidateTrials: {}, baselineTrials: {}, spent: 0 }
const candidateOf = (tasks: Record<string, string>) => run(tasks, { harness: { name: 'candidate', id: 'h-cand' } })
const verdictOf = (before: Record<string, string>, after: Record<string, string>, policy = {}) =>
  compareRuns(run(before), candidateOf(after), policy)

describe('planExtraTrials', () => {
  it('picks the undecided task and extends its baseline to the minimum the test needs', () => {
    const pad = stable(6, 'pp')
    const verdict = verdictOf({ ...pad, a: 'pp' }, { ...pad, a: 'ff' })
    expect(verdict.undecided).toEqual(['a'])
    const plan = planExtraTrials(verdict, noState, { budget: 20 })
    // Two valid baseline trials; minTrialsFor(0.05) is 3, so the baseline gets one more.
    expect(plan).toMatchObject({
      candidate: [{ id: 'a', trials: 4 }],
      baseline: [{ id: 'a', trials: 3 }],
      retry: [],
      cost: 3,
      stop: null,
    })
  })

  it('extends only the candidate when the baseline already has enough valid trials', () => {
    const pad = stable(6, 'ppppp')
    const verdict = verdictOf({ ...pad, a: 'ppppp' }, { ...pad, a: 'pppff' })
    expect(verdict.disputed).toEqual(['a'])
    const plan = planExtraTrials(verdict, noState, { budget: 20, step: 3 })
    expect(plan).toMatchObject({ candidate: [{ id: 'a', trials: 8 }], baseline: [], cost: 3, stop: null })
  })

  it('takes undecided tasks before other disputed ones, whatever their p-values', () => {
    const before = { u: 'ppeee', d: 'ppppp', ...stable(4, 'ppppp') }
    const after = { u: 'ffeee', d: 'ppfff', ...stable(4, 'ppppp') }
    const verdict = verdictOf(before, after, { maxErrorRate: 1 })
    expect(verdict.undecided).toEqual(['u'])
    expect(verdict.disputed).toEqual(['d', 'u'])
    const plan = planExtraTrials(verdict, noState, { budget: 2 })
    // The budget covers the undecided task's candidate step only, not its baseline extension.
    expect(plan).toMatchObject({ candidate: [{ id: 'u', trials: 7 }], baseline: [], cost: 2, stop: null })
    const more = planExtraTrials(verdict, noState, { budget: 10 })
    expect(more.candidate.map((t) => t.id)).toEqual(['u', 'd'])
    expect(more.baseline).toEqual([{ id: 'u', trials: 6 }])
    expect(more.cost).toBe(5)
  })

  it('respects the budget, counting what earlier rounds spent', () => {
    const pad = stable(4, 'ppppp')
    const verdict = verdictOf(
      { ...pad, a: 'ppppp', b: 'ppppp', c: 'ppppp' },
      { ...pad, a: 'ppfff', b: 'pppff', c: 'ppppf' },
    )
    expect(verdict.disputed).toEqual(['a', 'b', 'c'])
    const plan = planExtraTrials(verdict, { ...noState, spent: 5 }, { budget: 10 })
    expect(plan.candidate).toEqual([
      { id: 'a', trials: 7 },
      { id: 'b', trials: 7 },
      { id: 'c', trials: 6 },
    ])
    expect(plan.cost).toBe(5)
    const spent = planExtraTrials(verdict, { ...noState, spent: 10 }, { budget: 10 })
    expect(spent).toMatchObject({ candidate: [], baseline: [], cost: 0, stop: 'budget' })
  })

  it('reads current trial counts from the state and stops at the per-task cap', () => {
    const pad = stable(6, 'ppppp')
    const verdict = verdictOf({ ...pad, a: 'ppppp' }, { ...pad, a: 'pppff' })
    const state = { candidateTrials: { a: 9 }, baselineTrials: { a: 5 }, spent: 4 }
    expect(planExtraTrials(verdict, state, { budget: 20 }).candidate).toEqual([{ id: 'a', trials: 10 }])
    const capped = planExtraTrials(verdict, { ...state, candidateTrials: { a: 10 } }, { budget: 20 })
    expect(capped).toMatchObject({ candidate: [], cost: 0, stop: 'max-trials' })
  })

  it('stops when nothing is disputed or the verdict is already a regression', () => {
    const pad = stable(6, 'ppppp')
    const accepted = verdictOf({ ...pad, a: 'fffff' }, { ...pad, a: 'ppppp' })
    expect(planExtraTrials(accepted, noState, { budget: 20 })).toMatchObject({ cost: 0, stop: 'decided' })
    const regression = verdictOf({ ...pad, a: 'ppppp', b: 'ppppp' }, { ...pad, a: 'fffff', b: 'pppff' })
    expect(regression.status).toBe('regression')
    expect(planExtraTrials(regression, noState, { budget: 20 })).toMatchObject({ cost: 0, stop: 'decided' })
  })

  it('lists errored tasks for a retry, not for more trials', () => {
    const pad = stable(6, 'ppppp')
    const verdict = verdictOf({ ...pad, a: 'ppppp' }, { ...pad, a: 'eeeee' })
    expect(verdict.invalid).toEqual(['a'])
    const plan = planExtraTrials(verdict, noState, { budget: 20 })
    expect(plan).toMatchObject({ candidate: [], baseline: [], retry: ['a'], cost: 0, stop: 'decided' })
  })

  it('refuses bad options, naming the field', () => {
    const verdict = verdictOf({ a: 'pp' }, { a: 'ff' })
    expect(() => planExtraTrials(verdict, noState, { budget: -1 })).toThrow(/`budget`/)
    expect(() => planExtraTrials(verdict, noState, { budget: 5, step: 0 })).toThrow(/`step`/)
    expect(() => planExtraTrials(verdict, noState, { budget: 5, maxTrialsPerTask: 1.5 })).toThrow(/`maxTrialsPerTask`/)
  })

  it('settles a dropped task within the budget when rounds run as planned', () => {
    const random = seededRandom(21)
    const draw = (rate: number) => (random() < rate ? 'p' : 'f')
    // Two trials a side: too few for the test, so the first verdict cannot decide.
    const pad = stable(8, 'pp')
    const baseline = run({ ...pad, x: draw(0.95) + draw(0.95) })
    const candidate = candidateOf({ ...pad, x: draw(0.1) + draw(0.1) })
    expect(compareRuns(baseline, candidate).status).toBe('insufficient-evidence')
    const grow = (record: RunRecord, id: string, trials: number, rate: number) => {
      const task = record.tasks.find((t) => t.id === id)!
      while (task.trials.length < trials) task.trials.push(trial(task.trials.length, draw(rate) === 'p' ? 'pass' : 'fail'))
    }
    const budget = 16
    let spent = 0
    let stop = null
    for (let round = 0; round < 20 && stop === null; round++) {
      const count = (r: RunRecord) => Object.fromEntries(r.tasks.map((t) => [t.id, t.trials.length]))
      const state = { candidateTrials: count(candidate), baselineTrials: count(baseline), spent }
      const plan = planExtraTrials(compareRuns(baseline, candidate), state, { budget })
      stop = plan.stop
      for (const { id, trials } of plan.candidate) grow(candidate, id, trials, 0.1)
      for (const { id, trials } of plan.baseline) grow(baseline, id, trials, 0.95)
      spent += plan.cost
    }
    expect(spent).toBeGreaterThan(0)
    expect(spent).toBeLessThanOrEqual(budget)
    expect(stop).not.toBeNull()
    const final = compareRuns(baseline, candidate)
    expect(final.status).toBe('regression')
    expect(final.regressions).toEqual(['x'])
  })

  it('keeps false alarms on A/A pairs near alpha when rounds run until they stop', () => {
    // 60 tasks at true pass rates 0, 0.1, 0.5, 0.9 and 1, k = 5, budget 40: the same pairs judged at the
    // first look and after the adaptive rounds.
    const random = seededRandom(99)
    const rates = [0, 0.1, 0.5, 0.9, 1].flatMap((r) => Array<number>(12).fill(r))
    const rateOf = (id: string) => rates[Number(id.slice(1))]!
    const record = (name: string) => {
      const tasks: Record<string, string> = {}
      rates.forEach((rate, i) => {
        tasks[`t${String(i).padStart(2, '0')}`] = Array.from({ length: 5 }, () => (random() < rate ? 'p' : 'f')).join('')
      })
      return run(tasks, { harness: { name, id: name } })
    }
    const grow = (r: RunRecord, id: string, trials: number) => {
      const task = r.tasks.find((t) => t.id === id)!
      while (task.trials.length < trials) task.trials.push(trial(task.trials.length, random() < rateOf(id) ? 'pass' : 'fail'))
    }
    const count = (r: RunRecord) => Object.fromEntries(r.tasks.map((t) => [t.id, t.trials.length]))
    const pairs = 400
    let firstLook = 0
    let afterRounds = 0
    for (let pair = 0; pair < pairs; pair++) {
      const baseline = record('baseline')
      const candidate = record('candidate')
      let verdict = compareRuns(baseline, candidate)
      if (verdict.status === 'regression') firstLook++
      let spent = 0
      for (;;) {
        const state = { candidateTrials: count(candidate), baselineTrials: count(baseline), spent }
        const plan = planExtraTrials(verdict, state, { budget: 40 })
        if (plan.stop !== null) break
        for (const { id, trials } of plan.candidate) grow(candidate, id, trials)
        for (const { id, trials } of plan.baseline) grow(baseline, id, trials)
        spent += plan.cost
        verdict = compareRuns(baseline, candidate)
      }
      if (verdict.status === 'regression') afterRounds++
    }
    const alpha = 0.05
    expect(afterRounds).toBeGreaterThanOrEqual(firstLook)
    expect(afterRounds / pairs).toBeLessThanOrEqual(alpha + 3 * Math.sqrt((alpha * (1 - alpha)) / pairs))
  })
})
