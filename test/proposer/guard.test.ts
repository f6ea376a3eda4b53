import { describe, expect, it } from 'vitest'
import type { PatchOp } from '../../src/harness/patch.js'
import { harnessId } from '../../src/harness/version.js'
import { guardProposal, type GuardContext, type GuardReason } from '../../src/proposer/guard.js'
import { resolveGuardBounds } from '../../src/proposer/guard-bounds.js'
import { baselineSpec, checkedSpec, proposal } from './helpers.js'

const INSTRUCTION =
  'Create a file README.md containing the single line "# Inventory service" and commit it to the git repository with the message "docs: add readme".'
const context: GuardContext = {
  taskIds: ['tasks/git-commit-readme.test.ts > commits a new README', 'tasks/data-csv-to-json.test.ts > converts'],
  instructions: [INSTRUCTION],
}
const base = baselineSpec()

function refusedWith(ops: PatchOp[], reason: GuardReason, spec = base, ctx = context): string {
  const result = guardProposal(proposal(ops), spec, ctx)
  if (result.ok) throw new Error(`expected ${reason}, the proposal passed: ${JSON.stringify(ops).slice(0, 200)}`)
  expect({ reason: result.reason, ops }).toEqual({ reason, ops })
  expect(result.detail.length).toBeGreaterThan(10)
  return result.detail
}

describe('guardProposal', () => {
  it('passes a small edit on the surface and returns the patched harness', () => {
    const result = guardProposal(proposal([{ op: 'add', path: '/rules/-', value: 'Set the git identity before committing.' }]), base, context)
    expect(result.ok).toBe(true)
    if (!result.ok) return
    expect(result.spec.rules).toEqual(['Set the git identity before committing.'])
    expect(result.harnessId).toBe(harnessId(result.spec))
    expect(base.rules).toEqual([])
  })

  it('passes every kind of editable path', () => {
    const ops: PatchOp[][] = [
      [{ op: 'replace', path: '/systemPrompt', value: 'You are a careful agent.' }],
      [{ op: 'replace', path: '/planning/enabled', value: true }, { op: 'replace', path: '/planning/template', value: 'Plan:\n{steps}\nCheck.' }],
      [{ op: 'replace', path: '/tools/shell/description', value: 'Run bash.' }, { op: 'replace', path: '/tools/shell/retries', value: 1 }],
      [{ op: 'add', path: '/tools/shell/timeoutMs', value: 30_000 }, { op: 'add', path: '/tools/shell/after/-', value: { kind: 'exit-code' } }],
      [{ op: 'add', path: '/tools/shell/before/-', value: { match: 'git commit', run: 'git config --global user.name A' } }],
      [{ op: 'replace', path: '/limits/maxTurns', value: 4 }, { op: 'replace', path: '/limits/toolResultMaxChars', value: 60 }],
      [{ op: 'replace', path: '/limits/commandTimeoutMs', value: 20_000 }],
      [{ op: 'replace', path: '/context/restateInstructionEvery', value: 2 }, { op: 'add', path: '/context/maxMessages', value: 6 }],
      [{ op: 'add', path: '/finalChecks/-', value: { kind: 'reflect', prompt: 'Review your work.' } }],
      [{ op: 'replace', path: '/maxFinishRejections', value: 4 }],
    ]
    for (const patch of ops) expect({ patch, result: guardProposal(proposal(patch), base, context) }).toMatchObject({ patch, result: { ok: true } })
  })

  describe('outside-surface', () => {
    it('refuses path traversal, also when escaped', () => {
      expect(refusedWith([{ op: 'add', path: '/tools/../sandbox', value: 'none' }], 'outside-surface')).toMatch(/`\.\.`/)
      refusedWith([{ op: 'add', path: '/tools/shell~1..~1..~1sandbox/x', value: 'none' }], 'outside-surface')
    })

    it('refuses prototype pollution and leaves Object.prototype clean', () => {
      refusedWith([{ op: 'add', path: '/__proto__/polluted', value: 'yes' }], 'outside-surface')
      refusedWith([{ op: 'add', path: '/constructor/prototype/polluted', value: 'yes' }], 'outside-surface')
      const value: unknown = JSON.parse('{"__proto__": {"polluted": "yes"}, "restateInstructionEvery": 2}')
      expect(refusedWith([{ op: 'replace', path: '/context', value } as PatchOp], 'outside-surface')).toMatch(/__proto__/)
      expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    })

    it('refuses what the harness does not own: sandbox, trials, gate, splits, tasks', () => {
      expect(refusedWith([{ op: 'add', path: '/sandbox', value: 'none' }], 'outside-surface')).toMatch(/not part of the editable surface/)
      for (const path of ['/trials', '/gate', '/splits', '/tasks', '/sandbox/network']) {
        refusedWith([{ op: 'add', path, value: 1 }], 'outside-surface')
      }
    })

    it('refuses identity fields, tool switches and whole tools', () => {
      refusedWith([{ op: 'replace', path: '/schemaVersion', value: 2 }], 'outside-surface')
      refusedWith([{ op: 'replace', path: '/name', value: 'mine' }], 'outside-surface')
      refusedWith([{ op: 'add', path: '/parent', value: 'abc' }], 'outside-surface')
      refusedWith([{ op: 'add', path: '/description', value: 'x' }], 'outside-surface')
      expect(refusedWith([{ op: 'replace', path: '/tools/shell/enabled', value: false }], 'outside-surface')).toMatch(/switched on or off/)
      refusedWith([{ op: 'remove', path: '/tools/shell' }], 'outside-surface')
      refusedWith([{ op: 'add', path: '/tools/browser', value: { description: 'Browse.' } }], 'outside-surface')
      refusedWith([{ op: 'add', path: '/tools/sandbox/description', value: 'x' }], 'outside-surface')
    })

    it('refuses limits outside their bounds and limits that are not editable', () => {
      expect(refusedWith([{ op: 'replace', path: '/limits/maxTurns', value: 1000 }], 'outside-surface')).toMatch(/within \[2, 100\]/)
      refusedWith([{ op: 'replace', path: '/limits/maxTurns', value: 2.5 }], 'outside-surface')
      refusedWith([{ op: 'replace', path: '/limits/commandTimeoutMs', value: 10 }], 'outside-surface')
      refusedWith([{ op: 'replace', path: '/tools/shell/timeoutMs', value: 600_000 }], 'outside-surface')
      refusedWith([{ op: 'replace', path: '/limits/runTimeoutMs', value: 600_000 }], 'outside-surface')
      refusedWith([{ op: 'replace', path: '/limits', value: { maxTurns: 50 } }], 'outside-surface')
      refusedWith([{ op: 'remove', path: '/limits/maxTurns' }], 'outside-surface')
    })

    it('honours custom bounds', () => {
      const tight = { ...context, bounds: { maxTurns: { min: 10, max: 30 } } }
      refusedWith([{ op: 'replace', path: '/limits/maxTurns', value: 4 }], 'outside-surface', base, tight)
      expect(() => resolveGuardBounds({ maxOps: 0 })).toThrow(/`bounds.maxOps` to be a positive integer/)
    })
  })

  describe('too-large', () => {
    it('refuses a 1 MB payload before looking at anything else', () => {
      const detail = refusedWith([{ op: 'add', path: '/rules/-', value: 'x'.repeat(1024 * 1024) }], 'too-large')
      expect(detail).toMatch(/at most 2048/)
      refusedWith([{ op: 'add', path: '/sandbox', value: 'y'.repeat(1024 * 1024) }], 'too-large')
    })

    it('refuses more operations than allowed', () => {
      const ops = Array.from({ length: 5 }, (_, i) => ({ op: 'add' as const, path: '/rules/-', value: `Rule ${i}.` }))
      expect(refusedWith(ops, 'too-large')).toMatch(/5 operations; at most 4/)
    })
  })

  describe('names-task', () => {
    it('refuses an edit naming a task by id, file or file stem, in any case', () => {
      refusedWith([{ op: 'add', path: '/rules/-', value: 'For git-commit-readme, set the identity first.' }], 'names-task')
      refusedWith([{ op: 'add', path: '/rules/-', value: 'In TASKS/GIT-COMMIT-README.TEST.TS commit carefully.' }], 'names-task')
      refusedWith([{ op: 'add', path: '/tools/shell/before/-', value: { match: 'data-csv-to-json', run: 'true' } }], 'names-task')
    })

    it('does not count a name inside a longer word', () => {
      const ok = guardProposal(proposal([{ op: 'add', path: '/rules/-', value: 'Use mydata-csv-to-jsonl tools.' }]), base, context)
      expect(ok.ok).toBe(true)
    })
  })

  describe('quotes-instruction', () => {
    it('refuses six consecutive words of an instruction, whatever the case, spacing or punctuation', () => {
      const detail = refusedWith(
        [{ op: 'add', path: '/rules/-', value: 'Always COMMIT IT TO THE GIT\n  repository, with care.' }],
        'quotes-instruction',
      )
      expect(detail).toMatch(/"commit it to the git repository"/)
    })

    it('refuses forty consecutive characters of an instruction', () => {
      const ctx = { ...context, instructions: ['Check that sums.txt lists 3f786850e387550fdab836ed7e6dc881de23001b.'] }
      const patch: PatchOp[] = [{ op: 'add', path: '/finalChecks/-', value: { kind: 'command', run: 'grep -q 3F786850E387550FDAB836ED7E6DC881DE23001B sums.txt' } }]
      expect(refusedWith(patch, 'quotes-instruction', base, ctx)).toMatch(/3f786850e387550fdab836ed7e6dc881de2300/)
    })

    it('lets shorter overlaps through, and text the harness already holds', () => {
      expect(guardProposal(proposal([{ op: 'add', path: '/rules/-', value: 'Commit to the git repository.' }]), base, context).ok).toBe(true)
      const own = { ...context, instructions: [`${base.systemPrompt} Then do the task.`] }
      const longer = guardProposal(proposal([{ op: 'replace', path: '/systemPrompt', value: `${base.systemPrompt} Be careful.` }]), base, own)
      expect(longer.ok).toBe(true)
    })
  })

  describe('weakens-checks', () => {
    const spec = checkedSpec()
    it('refuses removing or replacing a final check', () => {
      refusedWith([{ op: 'remove', path: '/finalChecks/0' }], 'weakens-checks', spec)
      refusedWith([{ op: 'replace', path: '/finalChecks/0', value: { kind: 'reflect', prompt: 'ok?' } }], 'weakens-checks', spec)
      refusedWith([{ op: 'replace', path: '/finalChecks', value: [] }], 'weakens-checks', spec)
      refusedWith([{ op: 'add', path: '/finalChecks/0/run', value: 'true' }], 'weakens-checks', spec)
      expect(refusedWith([{ op: 'add', path: '/finalChecks', value: [] }], 'weakens-checks', spec)).toMatch(/final check/)
    })

    it('refuses removing or swapping out an after-check, and lowering maxFinishRejections', () => {
      refusedWith([{ op: 'remove', path: '/tools/write_file/after/0' }], 'weakens-checks', spec)
      refusedWith([{ op: 'remove', path: '/tools/write_file/after' }], 'weakens-checks', spec)
      expect(refusedWith([{ op: 'replace', path: '/tools/write_file/after', value: [{ kind: 'exit-code' }] }], 'weakens-checks', spec)).toMatch(
        /after-check .*read-back.* of write_file/,
      )
      refusedWith([{ op: 'replace', path: '/maxFinishRejections', value: 0 }], 'weakens-checks', spec)
      refusedWith([{ op: 'remove', path: '/maxFinishRejections' }], 'weakens-checks', spec)
    })

    it('allows adding checks around the existing ones', () => {
      const more = guardProposal(
        proposal([
          { op: 'replace', path: '/tools/write_file/after', value: [{ kind: 'exit-code' }, { kind: 'read-back' }] },
          { op: 'add', path: '/finalChecks/0', value: { kind: 'reflect', prompt: 'Review.' } },
        ]),
        spec,
        context,
      )
      expect(more.ok).toBe(true)
    })
  })

  describe('invalid-patch', () => {
    it('refuses a patch that does not apply or makes an invalid harness, naming the field', () => {
      expect(refusedWith([{ op: 'add', path: '/rules/-', value: 7 }], 'invalid-patch')).toMatch(/field `rules\[0\]`/)
      refusedWith([{ op: 'replace', path: '/context/maxMessages', value: 6 }], 'invalid-patch')
      refusedWith([{ op: 'replace', path: '/planning/enabled', value: 'yes' }], 'invalid-patch')
      refusedWith([{ op: 'replace', path: '/tools/shell/retries', value: 50 }], 'invalid-patch')
      refusedWith([{ op: 'remove', path: '/systemPrompt' }], 'invalid-patch')
    })
  })

  describe('no-op', () => {
    it('refuses a patch that leaves the harness as it is', () => {
      refusedWith([], 'no-op')
      refusedWith([{ op: 'replace', path: '/limits/maxTurns', value: base.limits.maxTurns }], 'no-op')
      refusedWith([{ op: 'add', path: '/rules/-', value: 'Temporary.' }, { op: 'remove', path: '/rules/0' }], 'no-op')
      refusedWith([{ op: 'replace', path: '/planning/enabled', value: false }], 'no-op')
    })
  })
})
