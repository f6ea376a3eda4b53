import { describe, expect, it } from 'vitest'
import { applyPatch, describePatch, PatchError, PatchOpSchema, parsePointer, pointerLabel, type PatchOp } from '../../src/harness/patch.js'
import type { HarnessSpec } from '../../src/harness/spec.js'
import { parseHarness } from '../../src/harness/version.js'

const spec: HarnessSpec = parseHarness(
  {
    schemaVersion: 1,
    name: 'base',
    systemPrompt: 'You are an agent.',
    rules: ['Be brief.'],
    tools: {
      shell: { description: 'Run a command.' },
      read_file: { description: 'Read a file.' },
      write_file: { description: 'Write a file.', after: [{ kind: 'read-back' }] },
      finish: { description: 'Finish.' },
    },
  },
  'base.json',
).spec

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const item of Object.values(value)) deepFreeze(item)
    Object.freeze(value)
  }
  return value
}

function refusal(ops: PatchOp[], on: HarnessSpec = spec): PatchError {
  try {
    applyPatch(on, ops)
  } catch (error) {
    expect(error).toBeInstanceOf(PatchError)
    return error as PatchError
  }
  throw new Error('expected the patch to be refused')
}

describe('applyPatch', () => {
  it('adds, replaces and removes, appending with `-` and inserting at an index', () => {
    const next = applyPatch(spec, [
      { op: 'add', path: '/rules/-', value: 'Check your work.' },
      { op: 'add', path: '/rules/0', value: 'Read the task.' },
      { op: 'add', path: '/tools/shell/before/-', value: { match: 'git commit', run: 'git config user.name A' } },
      { op: 'replace', path: '/planning/enabled', value: true },
      { op: 'add', path: '/context/maxMessages', value: 12 },
    ])
    expect(next.rules).toEqual(['Read the task.', 'Be brief.', 'Check your work.'])
    expect(next.tools.shell.before).toEqual([{ match: 'git commit', run: 'git config user.name A' }])
    expect(next.planning.enabled).toBe(true)
    expect(next.context.maxMessages).toBe(12)
    const removed = applyPatch(next, [
      { op: 'remove', path: '/rules/1' },
      { op: 'remove', path: '/context/maxMessages' },
    ])
    expect(removed.rules).toEqual(['Read the task.', 'Check your work.'])
    expect(removed.context).toEqual({ restateInstructionEvery: 0 })
  })

  it('never mutates the spec or the operations, and does not share values with them', () => {
    const frozen = deepFreeze(structuredClone(spec))
    const value = { match: 'x', run: 'true' }
    const ops = deepFreeze<PatchOp[]>([
      { op: 'add', path: '/tools/shell/before/-', value },
      { op: 'remove', path: '/rules/0' },
    ])
    const before = JSON.stringify(frozen)
    const next = applyPatch(frozen, ops)
    expect(JSON.stringify(frozen)).toBe(before)
    expect(next.rules).toEqual([])
    expect(next.tools.shell.before[0]).toEqual(value)
    expect(next.tools.shell.before[0]).not.toBe(value)
    expect(next.tools.read_file).not.toBe(frozen.tools.read_file)
  })

  it('fills defaults in the result', () => {
    const next = applyPatch(spec, [{ op: 'add', path: '/tools/shell/after/-', value: { kind: 'exit-code' } }])
    expect(next.tools.shell.retries).toBe(0)
    expect(next.limits.maxTurns).toBe(20)
  })

  it('refuses prototype keys in paths and leaves Object.prototype alone', () => {
    for (const path of ['/__proto__/polluted', '/tools/constructor/prototype', '/rules/prototype', '/tools/shell/__proto__']) {
      expect(refusal([{ op: 'add', path, value: 'yes' }]).message).toMatch(/Refused the pointer/)
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('refuses values that carry prototype keys', () => {
    const value: unknown = JSON.parse('{"restateInstructionEvery": 2, "__proto__": {"polluted": true}}')
    const error = refusal([{ op: 'replace', path: '/context', value } as PatchOp])
    expect(error.message).toMatch(/the key `__proto__`/)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('refuses traversal and empty segments', () => {
    expect(refusal([{ op: 'add', path: '/tools/../sandbox', value: 'none' }]).message).toMatch(/`\.\.`/)
    expect(refusal([{ op: 'add', path: '/tools/./shell', value: {} }]).message).toMatch(/`\.`/)
    expect(refusal([{ op: 'add', path: '/rules//x', value: 'r' }]).message).toMatch(/empty segment/)
    expect(refusal([{ op: 'replace', path: '/', value: {} }]).message).toMatch(/empty segment/)
    expect(refusal([{ op: 'add', path: '/rules/~2', value: 'r' }]).message).toMatch(/Invalid escape/)
    expect(refusal([{ op: 'add', path: 'rules/-', value: 'r' }]).message).toMatch(/starting with/)
  })

  it('refuses missing parents, missing targets and bad indices, naming the pointer and the operation', () => {
    const missingParent = refusal([{ op: 'add', path: '/rules/-', value: 'ok' }, { op: 'add', path: '/sandbox/mode', value: 'none' }])
    expect(missingParent.message).toMatch(/Cannot add `\/sandbox\/mode`: its parent `sandbox` does not exist/)
    expect(missingParent.field).toBe('/sandbox/mode')
    expect(missingParent.opIndex).toBe(1)
    expect(refusal([{ op: 'replace', path: '/tools/nope/description', value: 'x' }]).message).toMatch(/parent `nope`/)
    expect(refusal([{ op: 'replace', path: '/context/maxMessages', value: 3 }]).message).toMatch(/`maxMessages` does not exist/)
    expect(refusal([{ op: 'remove', path: '/rules/5' }]).message).toMatch(/no element 5/)
    expect(refusal([{ op: 'add', path: '/rules/7', value: 'x' }]).message).toMatch(/past the end/)
    expect(refusal([{ op: 'add', path: '/rules/01', value: 'x' }]).message).toMatch(/not an array index/)
    expect(refusal([{ op: 'remove', path: '/rules/-' }]).message).toMatch(/not an array index/)
    expect(refusal([{ op: 'add', path: '/toString/x', value: 1 }]).message).toMatch(/parent `toString`/)
  })

  it('refuses a result that is not a valid harness, naming the field', () => {
    const zero = refusal([{ op: 'replace', path: '/limits/maxTurns', value: 0 }])
    expect(zero.field).toBe('limits.maxTurns')
    expect(zero.message).toMatch(/field `limits.maxTurns`/)
    expect(zero.code).toBe('HARNESS_INVALID')
    expect(refusal([{ op: 'add', path: '/rules/-', value: 42 }]).field).toBe('rules[1]')
    expect(refusal([{ op: 'remove', path: '/systemPrompt' }]).field).toBe('systemPrompt')
    expect(refusal([{ op: 'add', path: '/sandbox', value: 'none' }]).message).toMatch(/sandbox/)
    expect(refusal([{ op: 'add', path: '/tools/shell/before/-', value: { run: 'x', match: '(' } }]).field).toBe('tools.shell.before[0].match')
  })
})

describe('patch operations', () => {
  it('parse with zod: add and replace need a JSON value, paths are pointers', () => {
    expect(PatchOpSchema.safeParse({ op: 'add', path: '/rules/-', value: 'x' }).success).toBe(true)
    expect(PatchOpSchema.safeParse({ op: 'remove', path: '/rules/0' }).success).toBe(true)
    expect(PatchOpSchema.safeParse({ op: 'add', path: '/rules/-' }).success).toBe(false)
    expect(PatchOpSchema.safeParse({ op: 'move', path: '/rules/0', from: '/rules/1' }).success).toBe(false)
    expect(PatchOpSchema.safeParse({ op: 'add', path: 'rules', value: 'x' }).success).toBe(false)
    expect(PatchOpSchema.safeParse({ op: 'add', path: '/rules/-', value: () => 1 }).success).toBe(false)
  })

  it('unescape pointer segments', () => {
    expect(parsePointer('/a~1b/c~0d/-')).toEqual(['a/b', 'c~d', '-'])
  })

  it('read as one line per operation', () => {
    const lines = describePatch([
      { op: 'add', path: '/rules/-', value: 'Check the git identity.' },
      { op: 'replace', path: '/tools/shell/timeoutMs', value: 30000 },
      { op: 'remove', path: '/finalChecks/0' },
      { op: 'add', path: '/rules/-', value: 'x'.repeat(500) },
    ])
    expect(lines.slice(0, 3)).toEqual([
      'add rules[end]: "Check the git identity."',
      'set tools.shell.timeoutMs = 30000',
      'remove finalChecks[0]',
    ])
    expect(lines[3]!.length).toBeLessThan(140)
    expect(pointerLabel('/tools/write_file/after/0')).toBe('tools.write_file.after[0]')
  })
})
