import { readFile, rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { readRecord } from '../../src/record/store.js'
import { readTrace } from '../../src/trace/reader.js'
import { cliPath } from '../support/fixture-project.js'
import { startScriptedEndpoint, type ScriptedEndpoint } from './scripted-endpoint.js'

// `(a+)+$` as a before step's pattern, tested on a long `aaaa...!` command: a backtracking engine would need about
// 2^n steps and block the main thread past every limit. The harness is accepted and the pattern matched in one pass.
// A pattern the linear-time engine cannot compile (a backreference) is refused when the harness is read.

const project = resolve(import.meta.dirname, '../fixtures/regex-project')
const out = join(project, '.self-harness-regex')
const LONG = `true ${'a'.repeat(50_000)}!`

let endpoint: ScriptedEndpoint
beforeAll(async () => {
  await rm(out, { recursive: true, force: true })
  endpoint = await startScriptedEndpoint(({ turn }) => {
    if (turn === 0) return { toolCalls: [{ name: 'shell', arguments: JSON.stringify({ command: LONG }) }] }
    if (turn === 1) return { toolCalls: [{ name: 'shell', arguments: JSON.stringify({ command: 'echo aaaa' }) }] }
    if (turn === 2) return { toolCalls: [{ name: 'finish', arguments: JSON.stringify({ summary: 'done' }) }] }
    throw new Error(`unexpected turn ${turn}`)
  })
})
afterAll(async () => {
  await endpoint?.close()
  await rm(out, { recursive: true, force: true })
})

const selfHarness = (harness: string) =>
  execa(process.execPath, [cliPath, 'vitest', 'run', `--harness=${harness}`, '--no-gate'], {
    cwd: project,
    env: { OPENAI_BASE_URL: endpoint.url, OPENAI_API_KEY: 'k', SELF_HARNESS_MODEL: 'scripted', SELF_HARNESS_OUTPUT_DIR: out, NO_COLOR: '1' },
    reject: false,
    all: true,
    // A guard against a hang, not a speed target: the run takes seconds.
    timeout: 120_000,
  })

it('matches a catastrophic-backtracking pattern against a long command in linear time: the run ends and passes', async () => {
  const run = await selfHarness('backtrack')
  expect(run.timedOut).toBe(false)
  expect(run.exitCode, run.all).toBe(0)
  expect(endpoint.failures).toEqual([])
  const record = await readRecord(join(out, 'runs', 'backtrack.json'))
  expect(record.tasks[0]!.trials.map((t) => t.outcome)).toEqual(['pass'])
  const events = await readTrace(resolve(out, 'runs', record.tasks[0]!.trials[0]!.tracePath!))
  // Matched, not skipped: the step ran once, for `echo aaaa`, and not for the long command.
  const steps = events.filter((e) => e.kind === 'harness-step' && e.step === 'before')
  expect(steps).toHaveLength(1)
  const calls = events.filter((e) => e.kind === 'tool-call').map((e) => (e.kind === 'tool-call' ? (e.arguments as { command?: string }).command : ''))
  expect(calls).toEqual([LONG, 'echo aaaa', undefined])
})

it('refuses at load a pattern the linear-time engine cannot compile, naming the file and the field', async () => {
  const run = await selfHarness('backref')
  expect(run.exitCode, run.all).toBe(2)
  expect(run.all).toContain(join(project, 'harnesses', 'backref.json'))
  expect(run.all).toContain('tools.shell.before[0].match')
  expect(run.all).toMatch(/RE2 syntax: no backreferences or lookarounds/)
  await expect(readFile(join(out, 'runs', 'backref.json'))).rejects.toThrow(/ENOENT/)
})
