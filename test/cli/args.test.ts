import { describe, expect, it } from 'vitest'
import { parseArgs } from '../../src/cli/args.js'
import { selectRun } from '../../plugin/options.js'

describe('command line', () => {
  it('keeps its own flags and passes every other vitest flag through', () => {
    const args = parseArgs(['vitest', 'run', '--harness=candidate', '--shard=1/3', '--trials', '3', '--reporter=dot', 'tasks/git'])
    expect(args.flags).toEqual({ harness: 'candidate', trials: '3' })
    expect(args.rest).toEqual(['run', '--shard=1/3', '--reporter=dot', 'tasks/git'])
  })

  it('parses positional arguments and flags of other commands', () => {
    const args = parseArgs(['compare', 'a.json', 'b.json', '--json'])
    expect(args.positional).toEqual(['a.json', 'b.json'])
    expect(args.flags.json).toBe(true)
  })
})

describe('harness selection', () => {
  it('prefers `-- --harness`, then SELF_HARNESS, then the option, then baseline', () => {
    expect(selectRun(['node', 'vitest', 'run', '--', '--harness=x'], { SELF_HARNESS: 'y' }, { harness: 'z' }).harness).toBe('x')
    expect(selectRun(['node', 'vitest', 'run'], { SELF_HARNESS: 'y' }, { harness: 'z' }).harness).toBe('y')
    expect(selectRun(['node', 'vitest'], {}, { harness: 'z' }).harness).toBe('z')
    expect(selectRun(['node', 'vitest'], {}, {}).harness).toBe('baseline')
  })

  it('gates only when a baseline is set and the gate is not turned off', () => {
    expect(selectRun([], {}, {}).gate).toBe(false)
    expect(selectRun([], {}, { baseline: 'b.json' }).gate).toBe(true)
    expect(selectRun([], { SELF_HARNESS_GATE: '0' }, { baseline: 'b.json' }).gate).toBe(false)
  })

  it('takes the sandbox from the environment before the option', () => {
    expect(selectRun([], { SELF_HARNESS_SANDBOX: 'none' }, { sandbox: 'bwrap' }).sandbox).toBe('none')
    expect(selectRun([], {}, { sandbox: 'bwrap' }).sandbox).toBe('bwrap')
    expect(selectRun([], {}, {}).sandbox).toBe('auto')
  })

  it('refuses trials below one', () => {
    expect(() => selectRun([], { SELF_HARNESS_TRIALS: '0' }, {})).toThrow('Expected `trials` to be a positive integer, got `0`.')
  })
})
