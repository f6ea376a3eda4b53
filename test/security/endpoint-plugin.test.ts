import { join, resolve } from 'node:path'
import { execa } from 'execa'
import { beforeAll, describe, expect, it } from 'vitest'
import { readRecord } from '../../src/record/store.js'
import { readTrace } from '../../src/trace/reader.js'
import { cliPath, useFixtureProject } from '../support/fixture-project.js'

// A misbehaving endpoint, end to end through the plugin (the `self-harness` command, vitest, the runner, the
// reporter) against the simulator's fault injection: the record reads back, the trial is `error` naming what went
// wrong, and no trial runs past its time limit.

const fixture = useFixtureProject({ project: 'gate-project', output: '.self-harness-endpoint', seed: 11 })
const task = 'tasks/write-note.test.ts > writes a note'

async function run(name: string, env: Record<string, string>) {
  const out = join(fixture.out, name)
  const child = await execa(process.execPath, [cliPath, 'vitest', 'run', 'tasks/write-note.test.ts', '--harness=baseline', '--no-gate'], {
    cwd: fixture.project,
    env: { OPENAI_BASE_URL: fixture.sim.url, OPENAI_API_KEY: 'k', SELF_HARNESS_MODEL: 'sim-oracle', SELF_HARNESS_OUTPUT_DIR: out, NO_COLOR: '1', ...env },
    reject: false,
    all: true,
  })
  const recordFile = join(out, 'runs', 'baseline.json')
  const record = await readRecord(recordFile)
  const trial = record.tasks.find((t) => t.id === task)!.trials[0]!
  const events = trial.tracePath ? await readTrace(resolve(join(out, 'runs'), trial.tracePath)) : []
  return { child, record, trial, events }
}

describe('a misbehaving endpoint through the plugin', () => {
  beforeAll(() => fixture.sim.setFaults({}))

  it('bad usage numbers: the record reads back and the trial is error naming the field', async () => {
    fixture.sim.setFaults({ tamper: { probability: 1, set: { '/usage/prompt_tokens': '12' } } })
    const { record, trial, events, child } = await run('usage', {})
    expect(record.tasks).toHaveLength(1)
    expect(trial, child.all).toMatchObject({ outcome: 'error', status: 'error', reason: expect.stringContaining('`usage.prompt_tokens` to be a non-negative integer') })
    expect(trial.reason).toContain('got `"12"`')
    expect(events.at(-1)).toMatchObject({ kind: 'trial-end', status: 'error' })
  })

  it('an HTML page instead of an answer: error saying so, not a TypeError', async () => {
    fixture.sim.setFaults({ rawBody: { probability: 1, contentType: 'text/html', body: '<html><body>Bad gateway</body></html>' } })
    const { trial } = await run('html', {})
    expect(trial).toMatchObject({ outcome: 'error', reason: expect.stringMatching(/an HTML or XML page/) })
    expect(trial.reason).not.toMatch(/TypeError/)
  })

  it('Retry-After: 100000 ends the trial as error within its run limit, and the record holds the run settings', async () => {
    fixture.sim.setFaults({ rateLimit: { probability: 1, retryAfterMs: 100_000_000 } })
    const { record, trial } = await run('retry-after', { SELF_HARNESS_RUN_TIMEOUT_MS: '5000' })
    expect(trial).toMatchObject({ outcome: 'error', reason: expect.stringMatching(/asked to wait 100000000 ms before retrying \(HTTP 429\)/) })
    expect(trial.durationMs).toBeLessThan(5_000)
    expect(record.settings).toEqual({ runTimeoutMs: 5_000, requestTimeoutMs: 60_000, timeScale: 1 })
  })

  it('1,000 tool calls in one answer are bounded: at most 32 run, and the run ends at its limit as timeout with trace and tokens', async () => {
    fixture.sim.setFaults({ floodToolCalls: { probability: 1, calls: 1_000, command: 'sleep 0.3' } })
    const { trial, events } = await run('flood', { SELF_HARNESS_RUN_TIMEOUT_MS: '4000' })
    expect(trial).toMatchObject({ outcome: 'error', status: 'timeout' })
    expect(trial.tokens.prompt).toBeGreaterThan(0)
    expect(trial.toolCalls).toBeLessThan(32)
    expect(events.find((e) => e.kind === 'model-response')).toMatchObject({ toolCallsDropped: 968 })
    expect(events.at(-1)).toMatchObject({ kind: 'trial-end', status: 'timeout' })
    // The limit, plus the workspace's setup and removal: far below vitest's test timeout (60 s here).
    expect(trial.durationMs).toBeLessThan(4_000 + 4_000)
  })

  it('a context overflow is the trial failing with that reason (fail, not error)', async () => {
    fixture.sim.setFaults({ rejectOutput: { probability: 1, status: 400, message: 'the request exceeds the available context size, try increasing it' } })
    const { trial } = await run('context', {})
    expect(trial).toMatchObject({ outcome: 'fail', status: 'failed', reason: expect.stringMatching(/no longer fits the model's context/) })
  })

  it("a server 500 blaming the model's output is one turn of the model: the trial goes on and passes", async () => {
    fixture.sim.setFaults({ rejectOutput: { count: 1 } })
    const { trial, events } = await run('rejected-once', {})
    expect(trial).toMatchObject({ outcome: 'pass', status: 'finished' })
    expect(events.filter((e) => e.kind === 'error')).toMatchObject([{ source: 'model', code: 'MODEL_OUTPUT_REJECTED' }])
  })
})
