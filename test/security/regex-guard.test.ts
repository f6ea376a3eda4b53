import { describe, expect, it } from 'vitest'
import type { PatchOp } from '../../src/harness/patch.js'
import { guardProposal, type GuardContext } from '../../src/proposer/guard.js'
import { baselineSpec, proposal } from '../proposer/helpers.js'

// The proposer may edit the harness's patterns; the guard lets through only what the linear-time engine compiles.

const context: GuardContext = { taskIds: ['tasks/a.test.ts > does a'], instructions: ['Do the thing in the workspace.'] }
const base = baselineSpec()
const guard = (ops: PatchOp[]) => guardProposal(proposal(ops, 'tool-wrapper'), base, context)

describe('the proposal guard on harness patterns', () => {
  it.each([
    ['a whole before step', { op: 'add', path: '/tools/shell/before/-', value: { match: 'git(?=\\s+commit)', run: 'git config user.name x' } }, '/tools/shell/before/-/match'],
    ['a before list', { op: 'replace', path: '/tools/shell/before', value: [{ match: '(a)\\1', run: 'true' }] }, '/tools/shell/before/0/match'],
    ['an after check', { op: 'add', path: '/tools/shell/after/-', value: { kind: 'run', match: '(?<!x)y', run: 'true' } }, '/tools/shell/after/-/match'],
    ['a pattern longer than allowed', { op: 'add', path: '/tools/shell/before/-', value: { match: 'x'.repeat(1001), run: 'true' } }, '/tools/shell/before/-/match'],
  ] as Array<[string, PatchOp, string]>)('refuses %s with a pattern the engine refuses, naming where', (_name, op, at) => {
    const result = guardProposal(proposal([op], 'tool-wrapper'), base, context)
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.reason).toBe('unsafe-pattern')
    expect(result.detail).toContain(`at \`${at}\``)
  })

  it('refuses a pattern set directly on an existing step', () => {
    const withStep = guard([{ op: 'add', path: '/tools/shell/before/-', value: { match: '^git commit', run: 'true' } }])
    expect(withStep.ok).toBe(true)
    if (!withStep.ok) return
    const result = guardProposal(proposal([{ op: 'replace', path: '/tools/shell/before/0/match', value: '(x+)\\1' }], 'tool-wrapper'), withStep.spec, context)
    expect(result).toMatchObject({ ok: false, reason: 'unsafe-pattern' })
  })

  it('lets through a pattern that would backtrack catastrophically elsewhere: here it is matched in linear time', () => {
    expect(guard([{ op: 'add', path: '/tools/shell/before/-', value: { match: '(a+)+$', run: 'true' } }]).ok).toBe(true)
  })
})
