import { describe, expect, it } from 'vitest'
import { compareRuns as compareNow } from '../../src/gate/compare.js'
import type { GatePolicyInput } from '../../src/gate/policy.js'
import type { RunRecord as Rec } from '../../src/record/schema.js'

// These cases pin the per-look test itself: one look at the full alpha, in mode promote (a net gain required).
const compareRuns = (b: Rec, c: Rec, p: GatePolicyInput = {}) => compareNow(b, c, { mode: 'promote', followUpShare: 0, ...p })
import type { TaskSplit } from '../../src/gate/policy.js'
import { run } from './records.js'

const splits: Record<string, TaskSplit> = { t1: 'train', t2: 'train', v1: 'validation', v2: 'validation', s1: 'sealed' }
const before = { t1: 'pp', t2: 'ff', v1: 'pp', v2: 'ff', s1: 'pp', u1: 'pf' }

function gate(after: Record<string, string>, extra: object = {}) {
  const candidate = run({ ...before, ...after }, { harness: { name: 'candidate', id: 'h-cand' } })
  return compareRuns(run(before), candidate, { rule: 'split', splits, ...extra })
}

describe("compareRuns: the paper's split rule", () => {
  it('accepts when no split falls and one rises', () => {
    const verdict = gate({ t2: 'pp' })
    expect(verdict.status).toBe('accepted')
    expect(verdict.splits.map((s) => [s.split, s.change])).toEqual([
      ['none', 'same'],
      ['train', 'better'],
      ['validation', 'same'],
      ['sealed', 'same'],
    ])
  })

  it('refuses when any split falls, even if another rises, naming the split and the task', () => {
    const verdict = gate({ t2: 'pp', v1: 'pf' })
    expect(verdict.status).toBe('regression')
    expect(verdict.exitCode).toBe(1)
    const why = verdict.reasons.join(' ')
    expect(why).toContain('validation 1 -> 0.5')
    expect(why).toContain('`v1`')
  })

  it('tolerates a per-task regression inside a split whose count did not fall', () => {
    const verdict = gate({ v1: 'ff', v2: 'pp', t2: 'pp' })
    expect(verdict.status).toBe('accepted')
    expect(verdict.regressions).toEqual(['v1'])
    expect(verdict.reasons[0]).toContain('reported, not gating')
  })

  it('never lets the sealed split decide, but reports it', () => {
    const verdict = gate({ s1: 'ff', t2: 'pp' })
    expect(verdict.status).toBe('accepted')
    const sealed = verdict.splits.find((s) => s.split === 'sealed')
    expect(sealed).toMatchObject({ gating: false, change: 'worse', baselinePasses: 1, candidatePasses: 0 })
    expect(verdict.tasks.find((t) => t.id === 's1')).toMatchObject({ split: 'sealed', gating: false })
  })

  it('asks for a gain unless told not to', () => {
    expect(gate({}).status).toBe('no-gain')
    expect(gate({}, { requireGain: false }).status).toBe('accepted')
  })

  it('treats tasks without a split as one group', () => {
    const base = run({ a: 'p', b: 'f', c: 'f' })
    const swap = compareRuns(base, run({ a: 'f', b: 'p', c: 'f' }), { rule: 'split' })
    expect(swap.status).toBe('no-gain')
    const net = compareRuns(base, run({ a: 'f', b: 'p', c: 'p' }), { rule: 'split' })
    expect(net.status).toBe('accepted')
    expect(net.regressions).toEqual(['a'])
  })

  it('keeps sealed tasks out of the decision under the other rules too', () => {
    const verdict = compareRuns(
      run({ a: 'ppppp', b: 'fffff', s: 'ppppp' }),
      run({ a: 'ppppp', b: 'ppppp', s: 'fffff' }),
      { splits: { s: 'sealed' } },
    )
    expect(verdict.status).toBe('accepted')
    expect(verdict.regressions).toEqual([])
    expect(verdict.counts.gating).toBe(2)
  })
})
