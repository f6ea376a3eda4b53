import { describe, expect, it } from 'vitest'
import { ConfigurationError } from '../../src/errors.js'
import { HARNESS_BOUNDS } from '../../src/harness/spec.js'
import { parseHarness } from '../../src/harness/version.js'

const minimal = {
  schemaVersion: 1,
  name: 'bounds',
  systemPrompt: 'You are an agent.',
  tools: {
    shell: { description: 'Run a command.' },
    read_file: { description: 'Read a file.' },
    write_file: { description: 'Write a file.' },
    finish: { description: 'Finish.' },
  },
}
type Raw = Record<string, unknown>
const withShell = (fields: Raw): Raw => ({ ...minimal, tools: { ...minimal.tools, shell: { ...minimal.tools.shell, ...fields } } })

/** The error parseHarness throws for a raw harness, or undefined when it accepts it. */
function refusal(raw: Raw): ConfigurationError | undefined {
  try {
    parseHarness(raw, '/project/harnesses/bounds.json')
    return undefined
  } catch (error) {
    if (error instanceof ConfigurationError) return error
    throw error
  }
}

const cases: Array<[field: string, build: (value: unknown) => Raw, min: number, max: number]> = [
  ['limits.maxTurns', (v) => ({ ...minimal, limits: { maxTurns: v } }), 1, HARNESS_BOUNDS.maxTurns],
  ['limits.commandTimeoutMs', (v) => ({ ...minimal, limits: { commandTimeoutMs: v } }), 1, HARNESS_BOUNDS.commandTimeoutMs],
  ['limits.toolResultMaxChars', (v) => ({ ...minimal, limits: { toolResultMaxChars: v } }), 1, HARNESS_BOUNDS.toolResultMaxChars],
  ['context.maxMessages', (v) => ({ ...minimal, context: { maxMessages: v } }), 1, HARNESS_BOUNDS.maxMessages],
  ['context.restateInstructionEvery', (v) => ({ ...minimal, context: { restateInstructionEvery: v } }), 0, HARNESS_BOUNDS.restateInstructionEvery],
  ['tools.shell.timeoutMs', (v) => withShell({ timeoutMs: v }), 1, HARNESS_BOUNDS.toolTimeoutMs],
  ['tools.shell.retries', (v) => withShell({ retries: v }), 0, HARNESS_BOUNDS.retries],
  ['maxFinishRejections', (v) => ({ ...minimal, maxFinishRejections: v }), 0, HARNESS_BOUNDS.maxFinishRejections],
]

describe('harness limits', () => {
  it.each(cases)('accepts `%s` at both ends of its range', (_field, build, min, max) => {
    expect(refusal(build(min))).toBeUndefined()
    expect(refusal(build(max))).toBeUndefined()
  })

  it.each(cases)('refuses `%s` out of range, naming the file, the field and the range', (field, build, min, max) => {
    for (const value of [max + 1, min - 1, 1e308, 3_000_000_000, 1.5, '10', null]) {
      const error = refusal(build(value))
      expect(error, `${field} = ${String(value)}`).toBeInstanceOf(ConfigurationError)
      expect(error!.code).toBe('HARNESS_INVALID')
      expect(error!.field).toBe(field)
      expect(error!.file).toBe('/project/harnesses/bounds.json')
      expect(error!.message).toContain(`/project/harnesses/bounds.json: field \`${field}\`: expected an integer from ${min} to ${max}`)
    }
  })

  it('bounds the lists and texts a run walks through', () => {
    const steps = Array.from({ length: HARNESS_BOUNDS.steps + 1 }, () => ({ run: 'true' }))
    expect(refusal(withShell({ before: steps }))?.field).toBe('tools.shell.before')
    expect(refusal({ ...minimal, finalChecks: steps.map((s) => ({ kind: 'command', ...s })) })?.field).toBe('finalChecks')
    expect(refusal({ ...minimal, rules: Array.from({ length: HARNESS_BOUNDS.rules + 1 }, (_, i) => `rule ${i}`) })?.field).toBe('rules')
    expect(refusal({ ...minimal, systemPrompt: 'x'.repeat(HARNESS_BOUNDS.textChars + 1) })?.field).toBe('systemPrompt')
    expect(refusal(withShell({ before: steps.slice(1) }))).toBeUndefined()
  })

  it('leaves the run time limit to its own rules', () => {
    expect(refusal({ ...minimal, limits: { runTimeoutMs: 120_000 } })).toBeUndefined()
  })
})
