import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { useFixtureProject } from '../support/fixture-project.js'
import { readRecord } from '../../src/record/store.js'

// Infrastructure errors: a model endpoint that keeps refusing ends trials as `error` (never `fail`), blocks
// promotion and the gate (exit 3, naming the tasks), and one command re-runs only the errored trials.

const fixture = useFixtureProject({ project: 'gate-project', output: '.self-harness-errors', seed: 1 })
const { out } = fixture
const selfHarness = fixture.run

it('records errors as errors, refuses to decide on them, and re-runs only them', async () => {
  await selfHarness(['vitest', 'run', '--harness=baseline', '--no-gate'])
  const baselineFile = join(out, 'baseline.record.json')
  expect((await selfHarness(['accept', join(out, 'runs', 'baseline.json'), `--to=${baselineFile}`])).exitCode).toBe(0)

  fixture.sim.setFaults({ rateLimit: { probability: 1, retryAfterMs: 5 } }) // the endpoint refuses every request
  const failing = await selfHarness(['vitest', 'run', '--harness=fixer', `--baseline=${baselineFile}`])
  expect(failing.exitCode, failing.all).toBe(3)
  expect(failing.stdout).toMatch(/INSUFFICIENT EVIDENCE|infrastructure|error/i)
  const errored = await readRecord(join(out, 'runs', 'fixer.json'))
  expect(errored.tasks.flatMap((t) => t.trials.map((x) => x.outcome))).toEqual(['error', 'error', 'error'])
  expect(errored.tasks[0]!.trials[0]!.reason).toMatch(/429|retries/)
  const refused = await selfHarness(['accept', join(out, 'runs', 'fixer.json'), `--to=${join(out, 'never.json')}`])
  expect(refused.exitCode).toBe(3)
  expect(refused.stderr).toContain('infrastructure errors')

  fixture.sim.setFaults({})
  const requestsBefore = fixture.sim.stats().completions
  const retried = await selfHarness(['vitest', 'run', '--harness=fixer', `--baseline=${baselineFile}`, '--retry-errors'])
  expect(retried.exitCode, retried.all).toBe(0)
  const record = await readRecord(join(out, 'runs', 'fixer.json'))
  expect(record.tasks.flatMap((t) => t.trials.map((x) => x.outcome)).filter((o) => o === 'error')).toEqual([])
  expect(fixture.sim.stats().completions).toBeGreaterThan(requestsBefore)

  // Only the errored trials run again: mark one trial of one task as an error, retry, and the others stay as they were.
  const recordFile = join(out, 'runs', 'fixer.json')
  const text = await readFile(recordFile, 'utf8')
  const edited = JSON.parse(text)
  edited.tasks[1].trials[0].outcome = 'error'
  await writeFile(recordFile, JSON.stringify(edited))
  const before = fixture.sim.stats().completions
  const again = await selfHarness(['vitest', 'run', '--harness=fixer', '--no-gate', '--retry-errors'])
  expect(again.all).toContain('resuming an interrupted run: 2 finished trial(s) kept')
  const after = await readRecord(recordFile)
  expect(after.tasks[0]!.trials[0]!.durationMs).toBe(record.tasks[0]!.trials[0]!.durationMs)
  expect(after.tasks[2]!.trials[0]!.durationMs).toBe(record.tasks[2]!.trials[0]!.durationMs)
  expect(after.tasks[1]!.trials[0]!.outcome).not.toBe('error')
  expect(fixture.sim.stats().completions - before).toBe(after.tasks[1]!.trials[0]!.turns)
})
