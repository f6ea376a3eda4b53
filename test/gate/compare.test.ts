import { describe, expect, it } from 'vitest'
import { compareRuns as compareNow } from '../../src/gate/compare.js'
import type { GatePolicyInput } from '../../src/gate/policy.js'
import type { RunRecord as Rec } from '../../src/record/schema.js'

// These cases pin the per-look test itself: one look at the full alpha, in mode promote (a net gain required).
const compareRuns = (b: Rec, c: Rec, p: GatePolicyInput = {}) => compareNow(b, c, { mode: 'promote', followUpShare: 0, ...p })
import { VerdictSchema, type Verdict } from '../../src/gate/verdict.js'
import type { RunRecord } from '../../src/record/schema.js'
import { run, stable, task } from './records.js'

const candidateOf = (tasks: Record<string, string>, overrides: Partial<RunRecord> = {}) =>
  run(tasks, { harness: { name: 'candidate', id: 'h-cand' }, ...overrides })

function evidence(verdict: Verdict, id: string) {
  const found = verdict.tasks.find((t) => t.id === id)
  if (!found) throw new Error(`no evidence for ${id}`)
  return found
}

describe('compareRuns: statuses and exit codes', () => {
  const pad = stable(10, 'ppppp')

  it('accepts a candidate that fixes a task and breaks none (exit 0)', () => {
    const verdict = compareRuns(run({ ...pad, a: 'fffff' }), candidateOf({ ...pad, a: 'ppppp' }))
    expect(verdict.status).toBe('accepted')
    expect(verdict.exitCode).toBe(0)
    expect(verdict.fixes).toEqual(['a'])
    expect(verdict.regressions).toEqual([])
    expect(verdict.counts).toMatchObject({ tasks: 11, gating: 11, baselinePasses: 10, candidatePasses: 11, fixes: 1 })
    expect(verdict.unchanged).toBe(10)
  })

  it('reports a task that went from 5/5 to 0/5 as a regression (exit 1)', () => {
    const verdict = compareRuns(run({ ...pad, a: 'ppppp' }), candidateOf({ ...pad, a: 'fffff' }))
    expect(verdict.status).toBe('regression')
    expect(verdict.exitCode).toBe(1)
    expect(verdict.regressions).toEqual(['a'])
    const a = evidence(verdict, 'a')
    expect(a.change).toBe('regression')
    expect(a.baseline).toEqual({ pass: 5, fail: 0, error: 0, rate: 1 })
    expect(a.candidate).toEqual({ pass: 0, fail: 5, error: 0, rate: 0 })
    expect(a.pValue).toBeCloseTo(1 / 252, 10)
    expect(a.adjustedPValue).toBeCloseTo(1 / 252, 10)
  })

  it('refuses a candidate with no net gain (exit 1), unless no gain is required', () => {
    const same = compareRuns(run({ ...pad, a: 'ppfff' }), candidateOf({ ...pad, a: 'ppfff' }))
    expect(same.status).toBe('no-gain')
    expect(same.exitCode).toBe(1)
    const relaxed = compareRuns(run({ ...pad, a: 'ppfff' }), candidateOf({ ...pad, a: 'ppfff' }), { requireGain: false })
    expect(relaxed.status).toBe('accepted')
    expect(relaxed.exitCode).toBe(0)
  })

  it('produces verdicts that parse with the verdict schema and survive JSON', () => {
    const verdict = compareRuns(run({ ...pad, a: 'ppppp', b: 'ppfff' }), candidateOf({ ...pad, a: 'fffff', b: 'pffff' }))
    const parsed = VerdictSchema.parse(JSON.parse(JSON.stringify(verdict)))
    expect(parsed).toEqual(verdict)
    expect(parsed.schemaVersion).toBe(1)
    expect(parsed.kind).toBe('self-harness/verdict')
  })

  it('finds tasks by id whatever their order', () => {
    const baseline = run({ ...pad, a: 'ppppp', b: 'fffff' })
    const shuffled = candidateOf({ b: 'ppppp', a: 'fffff', ...pad })
    const verdict = compareRuns(baseline, shuffled)
    expect(verdict.regressions).toEqual(['a'])
    expect(verdict.fixes).toEqual(['b'])
  })
})

describe('compareRuns: comparability', () => {
  it('refuses records of different task sets (exit 3)', () => {
    const verdict = compareRuns(run({ a: 'p', b: 'p' }), candidateOf({ a: 'p', c: 'p' }))
    expect(verdict.status).toBe('not-comparable')
    expect(verdict.exitCode).toBe(3)
    expect(verdict.reasons.join(' ')).toContain('different task sets')
  })

  it('refuses records made with different models unless allowed', () => {
    const baseline = run({ a: 'ppp', b: 'fff' })
    const candidate = candidateOf({ a: 'ppp', b: 'ppp' }, { model: 'other-model' })
    const refused = compareRuns(baseline, candidate)
    expect(refused.status).toBe('not-comparable')
    expect(refused.reasons[0]).toContain('`sim-model` vs `other-model`')
    expect(compareRuns(baseline, candidate, { allowModelChange: true }).status).toBe('accepted')
  })

  it('refuses a record of another schema version', () => {
    const future = { ...candidateOf({ a: 'p' }), schemaVersion: 2 } as unknown as RunRecord
    const verdict = compareRuns(run({ a: 'p' }), future)
    expect(verdict.status).toBe('not-comparable')
    expect(verdict.reasons.join(' ')).toContain('schema versions')
  })

  it('refuses records whose task lists differ even when the hashes match', () => {
    const baseline = run({ a: 'p', b: 'p' })
    const candidate = candidateOf({ a: 'p', c: 'p' }, { taskSetHash: baseline.taskSetHash })
    const verdict = compareRuns(baseline, candidate)
    expect(verdict.status).toBe('not-comparable')
    expect(verdict.reasons.join(' ')).toContain('`b`')
    expect(verdict.reasons.join(' ')).toContain('`c`')
  })

  it('compares shared tasks and reports added and removed ones when task-set changes are allowed', () => {
    const verdict = compareRuns(run({ a: 'fff', b: 'ppp' }), candidateOf({ a: 'ppp', c: 'ppp' }), {
      allowTaskSetChange: true,
    })
    expect(verdict.status).toBe('accepted')
    expect(verdict.counts).toMatchObject({ tasks: 1, added: 1, removed: 1 })
    expect(evidence(verdict, 'b')).toMatchObject({ change: 'removed', gating: false, baseline: { pass: 3 } })
    expect(evidence(verdict, 'c')).toMatchObject({ change: 'added', gating: false, candidate: { pass: 3 } })
  })

  it('refuses a record that lists a task twice', () => {
    const baseline = run({ a: 'p', b: 'p' })
    baseline.tasks.push(task('a', 'f'))
    const verdict = compareRuns(baseline, candidateOf({ a: 'p', b: 'p' }))
    expect(verdict.status).toBe('not-comparable')
    expect(verdict.reasons.join(' ')).toContain('more than once')
  })

  it('has nothing to decide when every task is ignored', () => {
    const verdict = compareRuns(run({ a: 'ppp' }), candidateOf({ a: 'fff' }), { ignore: ['a'] })
    expect(verdict.status).toBe('insufficient-evidence')
    expect(verdict.exitCode).toBe(3)
  })
})

describe('compareRuns: one trial per task', () => {
  const pad = stable(5, 'p')

  it('reports insufficient evidence for a single pass-to-fail flip, naming the task and the way out', () => {
    const verdict = compareRuns(run({ ...pad, a: 'p', b: 'f' }), candidateOf({ ...pad, a: 'f', b: 'p' }))
    expect(verdict.status).toBe('insufficient-evidence')
    expect(verdict.exitCode).toBe(3)
    expect(verdict.suspectedRegressions).toEqual(['a'])
    expect(evidence(verdict, 'a').change).toBe('suspected-regression')
    expect(evidence(verdict, 'a').stability).toBe('stable')
    const why = verdict.reasons.join(' ')
    expect(why).toContain('Suspected regression')
    expect(why).toContain('`a`')
    expect(verdict.followUp?.tasks).toEqual(['a'])
    expect(verdict.followUp?.command).toMatch(/^self-harness vitest run --harness=candidate --trials=1 --baseline=<baseline\.json> --adaptive=\d+$/)
  })

  it('accepts when nothing dropped and something rose, and says the test could not have flagged a task', () => {
    const verdict = compareRuns(run({ ...pad, b: 'f' }), candidateOf({ ...pad, b: 'p' }))
    expect(verdict.status).toBe('accepted')
    expect(verdict.reasons.join(' ')).toContain('cannot flag any task')
  })
})

describe('compareRuns: strict and exact on the same data', () => {
  // Three trials: `a` drops from 2/3 to 0/3 (p = 0.2), `b` rises from 0/3 to 3/3 (p = 0.05).
  const baseline = run({ ...stable(10, 'ppp'), a: 'ppf', b: 'fff' })
  const candidate = candidateOf({ ...stable(10, 'ppp'), a: 'fff', b: 'ppp' })

  it('strict counts any lost task as a regression', () => {
    const verdict = compareRuns(baseline, candidate, { rule: 'strict' })
    expect(verdict.status).toBe('regression')
    expect(verdict.regressions).toEqual(['a'])
    expect(verdict.method.test).toBe('any-pass')
  })

  it('exact sees a drop that noise may explain (suspected, exit 3), and a fix that it does not', () => {
    const verdict = compareRuns(baseline, candidate)
    expect(verdict.status).toBe('insufficient-evidence')
    expect(verdict.regressions).toEqual([])
    expect(verdict.suspectedRegressions).toEqual(['a'])
    expect(verdict.disputed).toEqual(['a'])
    expect(verdict.fixes).toEqual(['b'])
    expect(evidence(verdict, 'a').pValue).toBeCloseTo(0.2, 10)
  })
})

describe('compareRuns: Holm correction', () => {
  // Six trials: 5/6 -> 1/6 has p = 37/924 = 0.040, under alpha alone, over alpha / 2.
  const pad = stable(20, 'pppppp')

  it('counts one borderline drop as a regression when it is the only testable task', () => {
    const verdict = compareRuns(run({ ...pad, a: 'pppppf' }), candidateOf({ ...pad, a: 'pfffff' }))
    expect(verdict.regressions).toEqual(['a'])
    expect(verdict.method.regressionFamily).toBe(1)
  })

  it('clears two borderline drops once both count in the correction', () => {
    const verdict = compareRuns(
      run({ ...pad, a: 'pppppf', b: 'pppppf' }),
      candidateOf({ ...pad, a: 'pfffff', b: 'pfffff' }),
    )
    expect(verdict.regressions).toEqual([])
    expect(verdict.status).toBe('insufficient-evidence')
    expect(verdict.suspectedRegressions).toEqual(['a', 'b'])
    expect(evidence(verdict, 'a').pValue).toBeCloseTo(37 / 924, 10)
    expect(evidence(verdict, 'a').adjustedPValue).toBeCloseTo((2 * 37) / 924, 10)
  })

  it('steps down: after a clear regression, the borderline one is tested at alpha, not alpha / 2', () => {
    const verdict = compareRuns(
      run({ ...pad, a: 'pppppf', c: 'pppppp' }),
      candidateOf({ ...pad, a: 'pfffff', c: 'ffffff' }),
    )
    expect(verdict.regressions).toEqual(['a', 'c'])
    expect(verdict.method.regressionFamily).toBe(2)
  })
})

describe('compareRuns: errors', () => {
  const pad = stable(10, 'ppppp')

  it('blocks when error trials could turn the verdict, naming the tasks (exit 3)', () => {
    const verdict = compareRuns(run({ ...pad, a: 'ppppp' }), candidateOf({ ...pad, a: 'fffee' }))
    expect(verdict.status).toBe('insufficient-evidence')
    expect(verdict.exitCode).toBe(3)
    expect(verdict.invalid).toEqual(['a'])
    expect(evidence(verdict, 'a')).toMatchObject({ change: 'invalid', candidate: { pass: 0, fail: 3, error: 2 } })
    expect(verdict.reasons.join(' ')).toContain('`a`')
    expect(verdict.counts.errored).toBe(1)
  })

  it('lets errors pass that could not change the verdict', () => {
    const verdict = compareRuns(run({ ...pad, a: 'ppppp', b: 'fffff' }), candidateOf({ ...pad, a: 'ppppe', b: 'ppppp' }))
    expect(verdict.status).toBe('accepted')
    expect(verdict.invalid).toEqual([])
    expect(verdict.counts.errored).toBe(1)
    expect(verdict.reasons.join(' ')).toContain('do not block')
  })

  it('decides on the other trials when errors stay within maxErrorRate', () => {
    const verdict = compareRuns(run({ ...pad, a: 'ppppp' }), candidateOf({ ...pad, a: 'fffee' }), { maxErrorRate: 0.05 })
    expect(verdict.status).toBe('regression')
    expect(verdict.reasons.join(' ')).toContain('maxErrorRate')
  })

  it('counts trials a record asked for but does not hold as errors', () => {
    const short = candidateOf({ ...pad, a: 'fff' }, { trials: 5 })
    const verdict = compareRuns(run({ ...pad, a: 'ppppp' }), short)
    expect(verdict.status).toBe('insufficient-evidence')
    expect(evidence(verdict, 'a').candidate).toMatchObject({ fail: 3, error: 2 })
  })

  it('blocks a strict comparison on a single errored trial that passed before', () => {
    const verdict = compareRuns(run({ a: 'p', b: 'f' }), candidateOf({ a: 'e', b: 'p' }), { rule: 'strict' })
    expect(verdict.status).toBe('insufficient-evidence')
    expect(verdict.invalid).toEqual(['a'])
  })
})

describe('compareRuns: ignore list and evidence', () => {
  it('reports ignored tasks without letting them gate', () => {
    const pad = stable(10, 'ppppp')
    const verdict = compareRuns(run({ ...pad, a: 'ppppp', b: 'fffff' }), candidateOf({ ...pad, a: 'fffff', b: 'ppppp' }), {
      ignore: ['a'],
    })
    expect(verdict.status).toBe('accepted')
    expect(verdict.regressions).toEqual([])
    expect(verdict.ignored).toEqual(['a'])
    expect(verdict.counts).toMatchObject({ ignored: 1, gating: 11 })
    expect(evidence(verdict, 'a')).toMatchObject({ gating: false, change: 'regression' })
    expect(verdict.policy.ignore).toEqual(['a'])
  })

  it('lists only changed tasks when asked, and by default past the size limit', () => {
    const small = compareRuns(run({ ...stable(5, 'pp'), a: 'ff' }), candidateOf({ ...stable(5, 'pp'), a: 'pp' }), {
      evidence: 'changed',
    })
    expect(small.evidence).toBe('changed')
    expect(small.tasks.map((t) => t.id)).toEqual(['a'])

    const pad = stable(10_001, 'ppp')
    const big = compareRuns(run({ ...pad, a: 'fff' }), candidateOf({ ...pad, a: 'ppp' }))
    expect(big.evidence).toBe('changed')
    expect(big.tasks.map((t) => t.id)).toEqual(['a'])
    expect(big.unchanged).toBe(10_001)
  })
})

describe('compareRuns: tasks with too few trials, judged strictly on request', () => {
  const pad = stable(5, 'p')
  const policy = { underpowered: 'strict' as const }

  it('counts a single pass-to-fail flip as a regression, and says no noise test was applied', () => {
    const verdict = compareRuns(run({ ...pad, a: 'p', b: 'f' }), candidateOf({ ...pad, a: 'f', b: 'p' }), policy)
    expect(verdict.status).toBe('regression')
    expect(verdict.exitCode).toBe(1)
    expect(verdict.regressions).toEqual(['a'])
    expect(verdict.fixes).toEqual(['b'])
    expect(verdict.policy.underpowered).toBe('strict')
    expect(verdict.reasons.join(' ')).toContain('no noise test')
  })

  it('lists a single fail-to-pass flip as a fix of an accepted candidate', () => {
    const verdict = compareRuns(run({ ...pad, b: 'f' }), candidateOf({ ...pad, b: 'p' }), policy)
    expect(verdict.status).toBe('accepted')
    expect(verdict.fixes).toEqual(['b'])
  })

  it('still tests tasks with enough trials', () => {
    // 2/3 -> 0/3 has p = 0.2: suspected under the test (more trials settle it), not a regression as strict says.
    const verdict = compareRuns(
      run({ ...stable(10, 'ppp'), a: 'ppf', b: 'fff' }),
      candidateOf({ ...stable(10, 'ppp'), a: 'fff', b: 'ppp' }),
      policy,
    )
    expect(verdict.status).toBe('insufficient-evidence')
    expect(verdict.suspectedRegressions).toEqual(['a'])
  })
})
