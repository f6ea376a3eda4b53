import { describe, expect, it } from 'vitest'
import { planExtraTrials, type TrialState } from '../../src/gate/adaptive.js'
import { compareRuns } from '../../src/gate/compare.js'
import { foldBaselineHistory } from '../../src/record/baseline-history.js'
import { run, stable } from './records.js'

const noState: TrialState = { candidateTrials: {}, baselineTrials: {}, spent: 0 }
const candidateOf = (tasks: Record<string, string>) => run(tasks, { harness: { name: 'candidate', id: 'h-cand' } })

describe('planExtraTrials', () => {
  it('gives a suspected regression more candidate trials, and a too-short baseline side the trials the next look needs', () => {
    const pad = stable(6, 'p')
    const verdict = compareRuns(run({ ...pad, a: 'p' }), candidateOf({ ...pad, a: 'f' }))
    expect(verdict.suspectedRegressions).toEqual(['a'])
    const plan = planExtraTrials(verdict, noState, { budget: 40 })
    expect(plan.stop).toBeNull()
    expect(plan.candidate).toEqual([{ id: 'a', trials: 3 }])
    // 3 candidate trials reach the next look's alpha (0.015) only against at least 6 baseline trials: 1/84 = 0.012.
    expect(plan.baseline).toEqual([{ id: 'a', trials: 6 }])
    expect(plan.cost).toBe(2 + 5)
    expect(plan.reason).toContain('look 2')
  })

  it('extends only the candidate when the baseline history is long enough', () => {
    const baseline = run({ ...stable(6, 'p'), a: 'p' })
    let history = foldBaselineHistory(undefined, baseline)
    for (let i = 0; i < 19; i++) history = foldBaselineHistory(history, { ...baseline, createdAt: `2026-01-0${i % 9}T00:00:${String(i).padStart(2, '0')}Z` })
    const verdict = compareRuns(baseline, candidateOf({ ...stable(6, 'p'), a: 'f' }), {}, { history })
    expect(verdict.baselineEvidence).toMatchObject({ source: 'history', runs: 20, trials: 140 })
    const plan = planExtraTrials(verdict, noState, { budget: 40 })
    expect(plan.candidate).toEqual([{ id: 'a', trials: 3 }])
    expect(plan.baseline).toEqual([])
  })

  it('respects the budget, counting what earlier rounds spent, and stops when nothing is suspected', () => {
    const pad = stable(6, 'p')
    const verdict = compareRuns(run({ ...pad, a: 'p' }), candidateOf({ ...pad, a: 'f' }))
    expect(planExtraTrials(verdict, { ...noState, spent: 40 }, { budget: 40 })).toMatchObject({ cost: 0, stop: 'budget' })
    const accepted = compareRuns(run({ ...pad, a: 'p' }), candidateOf({ ...pad, a: 'p' }))
    expect(planExtraTrials(accepted, noState, { budget: 40 })).toMatchObject({ cost: 0, stop: 'decided' })
  })

  it('stops at the per-task cap', () => {
    const pad = stable(6, 'ppppppppp')
    const verdict = compareRuns(run({ ...pad, a: 'ppppppppp' }), candidateOf({ ...pad, a: 'pppppffff' }))
    const capped = planExtraTrials(verdict, { candidateTrials: { a: 9 }, baselineTrials: { a: 9 }, spent: 0 }, { budget: 40 })
    expect(capped.stop).not.toBeNull()
    expect(capped.cost).toBe(0)
  })

  it('refuses bad options, naming the field', () => {
    const verdict = compareRuns(run({ a: 'p' }), candidateOf({ a: 'f' }))
    expect(() => planExtraTrials(verdict, noState, { budget: -1 })).toThrow(/`budget`/)
    expect(() => planExtraTrials(verdict, noState, { budget: 5, step: 0 })).toThrow(/`step`/)
    expect(() => planExtraTrials(verdict, noState, { budget: 5, maxTrialsPerTask: 1.5 })).toThrow(/`maxTrialsPerTask`/)
  })
})

describe('follow-up looks', () => {
  it('settles a stable task that drops to zero: suspected at k = 1, a regression two trials later', () => {
    const baseline = run({ ...stable(8, 'p'), x: 'p' })
    let history = foldBaselineHistory(undefined, baseline)
    for (let i = 1; i < 30; i++) history = foldBaselineHistory(history, { ...baseline, createdAt: `run-${i}` })
    const first = compareRuns(baseline, candidateOf({ ...stable(8, 'p'), x: 'f' }), {}, { history })
    expect(first.status).toBe('insufficient-evidence')
    expect(first.exitCode).toBe(3)
    expect(evidence(first, 'x')).toMatchObject({ change: 'suspected-regression', stability: 'stable' })
    const second = compareRuns(baseline, candidateOf({ ...stable(8, 'p'), x: 'fff' }), {}, { history, look: 2 })
    expect(second.status).toBe('regression')
    expect(second.regressions).toEqual(['x'])
    expect(second.lookAlpha).toBeCloseTo(0.015)
  })

  it('keeps a regression found at look 1: no follow-up look can turn it back into insufficient evidence', () => {
    // `greeting` is a regression at look 1 (6/6 -> 0/3, p = 1/84 under alpha 0.02) while `b` is only suspected.
    const pad = stable(5, 'ppp')
    const baseline = run({ ...pad, greeting: 'pppppp', b: 'pppppf' }, { trials: 3 })
    const first = compareRuns(baseline, candidateOf({ ...pad, greeting: 'fff', b: 'fff' }))
    expect(first).toMatchObject({ status: 'regression', exitCode: 1, regressions: ['greeting'], suspectedRegressions: ['b'] })
    // Planning stops there: the rejection spent look 1's alpha and is final.
    expect(planExtraTrials(first, noState, { budget: 40 })).toMatchObject({ stop: 'decided', cost: 0, candidate: [], baseline: [] })
    // Why it must: had the rounds gone on to look 4 (alpha 0.00375), `b`'s new trials put its floor (9/3003) beside
    // `greeting`'s (1/462), both within alpha but not alpha / 2, so Tarone's family is empty and nothing is named.
    const later = compareRuns(
      { ...baseline, tasks: baseline.tasks.map((t) => (t.id === 'b' ? run({ b: 'pppppfppp' }).tasks[0]! : t)) },
      candidateOf({ ...pad, greeting: 'fffff', b: 'fffff' }),
      {},
      { look: 4 },
    )
    expect(evidence(later, 'greeting').pValue).toBeLessThan(later.lookAlpha!)
    expect(later).toMatchObject({ status: 'insufficient-evidence', method: { regressionFamily: 0 } })
  })

  it('labels at k = 1 symmetrically: a failing task that passes once is a suspected fix, never blocking', () => {
    const verdict = compareRuns(run({ ...stable(8, 'p'), y: 'f' }), candidateOf({ ...stable(8, 'p'), y: 'p' }))
    expect(verdict.suspectedFixes).toEqual(['y'])
    expect(evidence(verdict, 'y')).toMatchObject({ change: 'suspected-fix', stability: 'failing' })
    expect(verdict.status).toBe('accepted') // mode check: no gain required, nothing suspected against it
  })
})

function evidence(verdict: ReturnType<typeof compareRuns>, id: string) {
  return verdict.tasks.find((t) => t.id === id)!
}
