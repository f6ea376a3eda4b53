import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { execa } from 'execa'
import { describe, expect, it } from 'vitest'
import { readRecord } from '../../src/record/store.js'
import { cliPath, useFixtureProject } from '../support/fixture-project.js'

// The way in: what stops a run before it spends model calls, and what a user sees per task while it runs.

const fixture = useFixtureProject({ project: 'adopt-project', output: '.self-harness-fail-fast', seed: 1 })
const { out, project } = fixture
const selfHarness = fixture.run

/** A port on this machine where nothing listens. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

describe('before any task runs', () => {
  it('stops with the reason when the model endpoint does not answer (exit 2, no record)', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/v1`
    const run = await execa(process.execPath, [cliPath, 'vitest', 'run', '--harness=baseline', '--no-gate'], {
      cwd: project,
      env: { OPENAI_BASE_URL: url, OPENAI_API_KEY: 'k', SELF_HARNESS_MODEL: 'sim-steady', SELF_HARNESS_OUTPUT_DIR: out, NO_COLOR: '1' },
      reject: false,
      all: true,
    })
    expect(run.exitCode, run.all).toBe(2)
    expect(run.all).toContain(`The model endpoint at ${url} does not answer: ECONNREFUSED. Start it, or set OPENAI_BASE_URL`)
    expect(run.all).not.toContain('AssertionError')
    expect(run.all).not.toMatch(/^\s+at /m) // one message, no stack
    expect(existsSync(join(out, 'runs', 'baseline.json'))).toBe(false)
  })

  it('refuses a missing baseline before calling the model, and names accept as the fix (exit 2)', async () => {
    const before = fixture.sim.stats().completions
    const missing = join(out, 'missing.baseline.json')
    const run = await selfHarness(['vitest', 'run', '--harness=baseline', `--baseline=${missing}`])
    expect(run.exitCode, run.all).toBe(2)
    expect(run.all).toContain(`No run record at ${missing}`)
    expect(run.all).toContain(`self-harness accept <record> --to=${missing}`)
    expect(run.all).not.toContain('Run the suite first')
    expect(fixture.sim.stats().completions).toBe(before)
  })
})

describe('while tasks run', () => {
  it('shows per trial that the simulator has no solution for a task, and mine files it as no tool call', async () => {
    const run = await selfHarness(['vitest', 'run', '--harness=baseline', '--no-gate'])
    // A completed run ends 0 without a gate, however many tasks failed: the gate decides.
    expect(run.exitCode, run.all).toBe(0)
    expect(run.stdout).toMatch(/✗ tasks\/unknown-task\.test\.ts > renders the quarterly report \(trial 1\/1\): fail, .*made no tool call: the simulator has no solution for this task/)
    expect(run.stdout).toMatch(/✓ tasks\/write-note\.test\.ts > writes a note \(trial 1\/1\): pass, \d+ turns?, [\d,]+ tokens/)
    const mined = await selfHarness(['mine', join(out, 'runs', 'baseline.json'), '--no-model'])
    expect(mined.exitCode, mined.all).toBe(0)
    expect(mined.stdout).toContain('Makes no tool call')
    expect(mined.stdout).toContain('[no tool call]')
    expect(mined.stdout).not.toContain('planning')
  })

  it('accept warns about a baseline in which nothing passes', async () => {
    const only = join(out, 'only-unknown.json')
    const record = await readRecord(join(out, 'runs', 'baseline.json'))
    const { writeRecord } = await import('../../src/record/store.js')
    await writeRecord(only, { ...record, tasks: record.tasks.filter((t) => t.id.includes('unknown')) })
    const accepted = await selfHarness(['accept', only, `--to=${join(out, 'zero.json')}`])
    expect(accepted.exitCode).toBe(0)
    expect(accepted.stderr).toContain('warning: no task of')
    const good = await selfHarness(['accept', join(out, 'runs', 'baseline.json'), `--to=${join(out, 'good.json')}`])
    expect(good.stderr).not.toContain('warning')
  })

  it('an endpoint that keeps failing ends the trial as an infrastructure error, not as the task failing', async () => {
    fixture.sim.setFaults({ rateLimit: { probability: 1, retryAfterMs: 5 } })
    try {
      const run = await selfHarness(['vitest', 'run', '--harness=baseline', '--no-gate', 'tasks/write-note'])
      expect(run.all).toContain('TrialInfrastructureError: The agent run ended in an infrastructure error, so the task was not judged')
      expect(run.all).not.toContain('AssertionError')
      expect(run.stdout).toMatch(/! tasks\/write-note\.test\.ts > writes a note \(trial 1\/1\): error/)
      const record = await readRecord(join(out, 'runs', 'baseline.json'))
      // A run of one file merges into the full record: the other tasks keep their trials.
      expect(record.tasks.find((t) => t.id.includes('write-note'))?.trials.map((x) => x.outcome)).toEqual(['error'])
    } finally {
      fixture.sim.setFaults({})
    }
  })

  it('shows a live status while a trial waits on a slow model', async () => {
    fixture.sim.setFaults({ slow: { probability: 1, delayMs: 2_500 } })
    try {
      const run = await selfHarness(['vitest', 'run', '--harness=baseline', '--no-gate', 'tasks/write-note'], { SELF_HARNESS_PROGRESS: 'live', SELF_HARNESS_PROGRESS_MS: '500' })
      expect(run.stdout).toMatch(/… tasks\/write-note\.test\.ts > writes a note \(trial 1\/1, turn 1, 0 tokens, [\d.]+ s\): waiting on the model for [\d.]+ s/)
      expect(run.stdout).toMatch(/✓ tasks\/write-note\.test\.ts > writes a note \(trial 1\/1\): pass/)
    } finally {
      fixture.sim.setFaults({})
    }
  })
})
