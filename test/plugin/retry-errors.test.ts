import { readFile, rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startSimServer, type SimServer } from '../../fixtures/sim/server.js'
import { readRecord } from '../../src/record/store.js'

// Infrastructure errors: a model endpoint that keeps refusing ends trials as `error` (never `fail`), blocks
// promotion and the gate (exit 3, naming the tasks), and one command re-runs only the errored trials.

const project = resolve(import.meta.dirname, '../fixtures/gate-project')
const cli = resolve(import.meta.dirname, '../../dist/src/cli/bin.js')
const out = join(project, '.self-harness-errors')
let sim: SimServer

beforeAll(async () => {
  await rm(out, { recursive: true, force: true })
  sim = await startSimServer({ solutionsDir: join(project, 'solutions'), seed: 1 })
})
afterAll(async () => {
  await sim?.close()
  await rm(out, { recursive: true, force: true })
})

const selfHarness = (args: string[]) =>
  execa(process.execPath, [cli, ...args], {
    cwd: project,
    env: { OPENAI_BASE_URL: sim.url, OPENAI_API_KEY: 'k', SELF_HARNESS_MODEL: 'sim-steady', SELF_HARNESS_OUTPUT_DIR: out, NO_COLOR: '1' },
    reject: false,
    all: true,
  })

it('records errors as errors, refuses to decide on them, and re-runs only them', async () => {
  await selfHarness(['vitest', 'run', '--harness=baseline', '--no-gate'])
  const baselineFile = join(out, 'baseline.record.json')
  expect((await selfHarness(['accept', join(out, 'runs', 'baseline.json'), `--to=${baselineFile}`])).exitCode).toBe(0)

  sim.setFaults({ rateLimit: { probability: 1, retryAfterMs: 5 } }) // the endpoint refuses every request
  const failing = await selfHarness(['vitest', 'run', '--harness=fixer', `--baseline=${baselineFile}`])
  expect(failing.exitCode, failing.all).toBe(3)
  expect(failing.stdout).toMatch(/INSUFFICIENT EVIDENCE|infrastructure|error/i)
  const errored = await readRecord(join(out, 'runs', 'fixer.json'))
  expect(errored.tasks.flatMap((t) => t.trials.map((x) => x.outcome))).toEqual(['error', 'error', 'error'])
  expect(errored.tasks[0]!.trials[0]!.reason).toMatch(/429|retries/)
  const refused = await selfHarness(['accept', join(out, 'runs', 'fixer.json'), `--to=${join(out, 'never.json')}`])
  expect(refused.exitCode).toBe(3)
  expect(refused.stderr).toContain('infrastructure errors')

  sim.setFaults({})
  const requestsBefore = sim.stats().completions
  const retried = await selfHarness(['vitest', 'run', '--harness=fixer', `--baseline=${baselineFile}`, '--retry-errors'])
  expect(retried.exitCode, retried.all).toBe(0)
  const record = await readRecord(join(out, 'runs', 'fixer.json'))
  expect(record.tasks.flatMap((t) => t.trials.map((x) => x.outcome)).filter((o) => o === 'error')).toEqual([])
  expect(sim.stats().completions).toBeGreaterThan(requestsBefore)

  // Only the errored trials run again: mark one trial of one task as an error, retry, and the others stay as they were.
  const recordFile = join(out, 'runs', 'fixer.json')
  const text = await readFile(recordFile, 'utf8')
  const edited = JSON.parse(text)
  edited.tasks[1].trials[0].outcome = 'error'
  await writeFile(recordFile, JSON.stringify(edited))
  const before = sim.stats().completions
  const again = await selfHarness(['vitest', 'run', '--harness=fixer', '--no-gate', '--retry-errors'])
  expect(again.all).toContain('resuming an interrupted run: 2 finished trial(s) kept')
  const after = await readRecord(recordFile)
  expect(after.tasks[0]!.trials[0]!.durationMs).toBe(record.tasks[0]!.trials[0]!.durationMs)
  expect(after.tasks[2]!.trials[0]!.durationMs).toBe(record.tasks[2]!.trials[0]!.durationMs)
  expect(after.tasks[1]!.trials[0]!.outcome).not.toBe('error')
  expect(sim.stats().completions - before).toBe(after.tasks[1]!.trials[0]!.turns)
})
