import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseArgs, parseCommandLine } from '../../src/cli/args.js'
import { COMMANDS, commandSpec, flagNames } from '../../src/cli/spec.js'
import { closest } from '../../src/suggest.js'

const commandsDir = resolve(import.meta.dirname, '../../src/cli/commands')

/** The commands whose flags a command file reads (a file shared by several serves each of them). */
const READERS: Record<string, string[]> = { 'mine.ts': ['mine', 'propose'], 'adaptive.ts': ['vitest'] }

/** Flag names a command file reads: `stringFlag(args, 'x')`, `int(args, 'x', ...)`, `args.flags.x`, `args.flags['x']`. */
function flagsRead(text: string): string[] {
  const found = [
    ...text.matchAll(/\(args, '([a-z][\w-]*)'/g),
    ...text.matchAll(/args\.flags\.([a-zA-Z]\w*)/g),
    ...text.matchAll(/args\.flags\[['"]([\w-]+)['"]\]/g),
  ].map((m) => m[1]!)
  return [...new Set(found)]
}

describe('the command specs', () => {
  it('declare every flag that a command file reads, so no flag a command uses is refused as unknown', () => {
    const undeclared: string[] = []
    for (const file of readdirSync(commandsDir).filter((f) => f.endsWith('.ts'))) {
      const commands = READERS[file] ?? [file.replace(/\.ts$/, '')]
      for (const name of commands) {
        const spec = commandSpec(name)
        if (!spec) {
          undeclared.push(`${file}: no command \`${name}\` in src/cli/spec.ts`)
          continue
        }
        const declared = new Set(spec.flags.flatMap(flagNames))
        for (const flag of flagsRead(readFileSync(join(commandsDir, file), 'utf8'))) {
          if (!declared.has(flag)) undeclared.push(`${file} reads --${flag}, which \`${name}\` does not declare in src/cli/spec.ts`)
        }
      }
    }
    expect(undeclared).toEqual([])
  })

  it('give every command a summary and every flag a description', () => {
    for (const command of COMMANDS) {
      expect(command.summary.length, command.name).toBeGreaterThan(10)
      for (const flag of command.flags) expect(flag.description.length, `${command.name} ${flag.flag}`).toBeGreaterThan(5)
    }
  })
})

describe('parsing the command line', () => {
  it('answers --help and -h anywhere before `--` with the usage of the command, and runs nothing', () => {
    for (const argv of [['evolve', '--help'], ['evolve', '-h'], ['calibrate', '--trials=2', '-h'], ['schemas', '--out=x', '--help'], ['vitest', 'run', '--help']]) {
      const line = parseCommandLine(argv)
      expect(line.kind, argv.join(' ')).toBe('help')
      expect(line.kind === 'help' && line.text).toContain(`$ self-harness ${argv[0]}`)
    }
    expect(parseCommandLine(['-h'])).toMatchObject({ kind: 'help', exitCode: 0 })
    expect(parseCommandLine([])).toMatchObject({ kind: 'help', exitCode: 2 })
    expect(parseCommandLine(['help', 'compare'])).toMatchObject({ kind: 'help', text: expect.stringContaining('--policy <rule>') })
    // After `--` a -h belongs to vitest.
    expect(parseCommandLine(['vitest', 'run', '--', '-h']).kind).toBe('run')
  })

  it('refuses an unknown flag with the closest known one', () => {
    expect(() => parseArgs(['compare', 'a', 'b', '--polcy=strict'])).toThrow('unknown flag `--polcy` for `self-harness compare`; did you mean `--policy`?')
    expect(() => parseArgs(['evolve', '--max-iteratons', '2'])).toThrow('did you mean `--max-iterations`?')
    expect(() => parseArgs(['accept', 'r.json', '--zzzzzz'])).toThrow(/unknown flag `--zzzzzz` for `self-harness accept`\. Run/)
    expect(() => parseArgs(['mine', 'r.json', '-x'])).toThrow('unknown flag `-x`')
    expect(() => parseArgs(['comapre', 'a', 'b'])).toThrow('unknown command `comapre`; did you mean `self-harness compare`?')
    expect(() => parseArgs(['--polcy'])).toThrow('Expected a command first')
  })

  it('reads values, negated flags and positional arguments by the names the commands use', () => {
    expect(parseArgs(['evolve', '--max-iterations=3', '--trials', '2', '--json'])).toMatchObject({ flags: { 'max-iterations': '3', trials: '2', json: true }, positional: [] })
    expect(parseArgs(['mine', 'r.json', '--no-model'])).toMatchObject({ positional: ['r.json'], flags: { 'no-model': true } })
    expect(parseArgs(['mine', 'r.json']).flags).toEqual({})
    expect(parseArgs(['accept', 'r.json', '--to', 'b.json']).flags).toEqual({ to: 'b.json' })
    // A value keeps its text: no number conversion that would turn `0.050` into `0.05` or `007` into `7`.
    expect(parseArgs(['compare', 'a', 'b', '--alpha=0.050', '--harness-dir', '007']).flags).toEqual({ alpha: '0.050', 'harness-dir': '007' })
    expect(parseArgs(['compare', 'a', 'b', '--policy', 'strict', '--', 'x'])).toMatchObject({ positional: ['a', 'b'], flags: { policy: 'strict' }, rest: ['x'] })
  })

  it('passes every flag it does not own through to vitest, in order', () => {
    const args = parseArgs(['vitest', 'run', '--harness', 'candidate', '--shard=1/3', '--no-gate', '--adaptive', 'tasks/git', '--reporter', 'dot', '--debug'])
    expect(args.flags).toEqual({ harness: 'candidate', 'no-gate': true, adaptive: true })
    expect(args.rest).toEqual(['run', '--shard=1/3', 'tasks/git', '--reporter', 'dot'])
    expect(parseArgs(['vitest', '--adaptive=60']).flags.adaptive).toBe('60')
    expect(() => parseArgs(['vitest', 'run', '--trials'])).toThrow('Expected a value after `--trials`')
    expect(parseCommandLine(['vitest', 'run', '--debug'])).toMatchObject({ kind: 'run', debug: true })
  })
})

describe('suggestions', () => {
  it('suggests a close name and nothing for a distant one', () => {
    expect(closest('polcy', ['policy', 'json'])).toBe('policy')
    expect(closest('jsno', ['policy', 'json'])).toBe('json')
    expect(closest('harn', ['harness', 'harness-dir'])).toBe('harness')
    expect(closest('zzzzzz', ['policy', 'json'])).toBeUndefined()
  })
})
