import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSimServer, type SimServer } from '../../fixtures/sim/server.js'
import { runAgent } from '../../src/agent/loop.js'
import { createModelClient, resolveModelOptions } from '../../src/agent/model.js'
import { parseHarness } from '../../src/harness/version.js'
import { createTraceRecorder } from '../../src/trace/writer.js'
import { createWorkspace } from '../../src/workspace/workspace.js'
import baselineSpec from '../fixtures/gate-project/harnesses/baseline.json' with { type: 'json' }

// Fault injection against the simulated server over HTTP: each fault ends as a retried success or as an `error`
// run, never as a crash and never as the task failing.

const solutions = resolve(import.meta.dirname, '../fixtures/gate-project/solutions')
const harness = parseHarness(baselineSpec, 'baseline.json')
const instruction = 'Create the file notes/todo.txt with the single line "buy milk".'
let sim: SimServer

beforeAll(async () => {
  sim = await startSimServer({ solutionsDir: solutions, seed: 3 })
})
afterAll(() => sim?.close())

async function attempt(model: { timeoutMs?: number; maxRetries?: number } = {}) {
  const workspace = await createWorkspace({ exec: { sandbox: 'none' } })
  const client = createModelClient(resolveModelOptions({ baseURL: sim.url, apiKey: 'k', model: 'sim-oracle', timeoutMs: 2_000, maxRetries: 2, ...model }))
  const run = await runAgent({ instruction, harness, client, workspace, trace: createTraceRecorder(), taskId: 'faults', trial: 0 })
  const written = await workspace.read('notes/todo.txt').catch(() => undefined)
  await workspace.dispose()
  return { run, written }
}

describe('model faults', () => {
  it('retries a 429, honouring Retry-After, and succeeds', async () => {
    sim.setFaults({ rateLimit: { count: 2, retryAfterMs: 300 } })
    const started = performance.now()
    const { run, written } = await attempt()
    expect(run.status).toBe('finished')
    expect(written).toBe('buy milk\n')
    expect(performance.now() - started).toBeGreaterThanOrEqual(500) // two waits of Retry-After
    expect(sim.stats().faults.rateLimit).toBe(2)
  })

  it('retries 500s and succeeds', async () => {
    sim.setFaults({ serverError: { count: 2, status: 500 } })
    const { run } = await attempt()
    expect(run.status).toBe('finished')
  })

  it('ends as error when 5xx outlast the retries', async () => {
    sim.setFaults({ serverError: { count: 10, status: 503 } })
    const { run } = await attempt({ maxRetries: 1 })
    expect(run.status).toBe('error')
    expect(run.error?.code).toBe('MODEL_FAILED')
    expect(run.trace.at(-2)).toMatchObject({ kind: 'error', source: 'model' })
    sim.setFaults({})
  })

  it('times out a hung response, then retries', async () => {
    sim.setFaults({ hang: { count: 1 } })
    const { run } = await attempt({ timeoutMs: 500, maxRetries: 2 })
    expect(run.status).toBe('finished')
    expect(sim.stats().faults.hang).toBeGreaterThanOrEqual(1)
  })

  it('ends as error when every response hangs', async () => {
    sim.setFaults({ hang: { count: 5 } })
    const { run } = await attempt({ timeoutMs: 300, maxRetries: 1 })
    expect(run.status).toBe('error')
    sim.setFaults({})
  })

  it('retries a dropped connection', async () => {
    sim.setFaults({ dropConnection: { count: 1 } })
    const { run } = await attempt()
    expect(run.status).toBe('finished')
  })

  it('gives malformed tool arguments back to the model as a tool error and goes on', async () => {
    sim.setFaults({ malformedArguments: { count: 1 } })
    const { run, written } = await attempt()
    const results = run.trace.filter((e) => e.kind === 'tool-result')
    expect(results[0]).toMatchObject({ ok: false })
    expect(results[0]?.kind === 'tool-result' && results[0].output).toMatch(/not valid JSON/)
    expect(run.status).toBe('finished')
    expect(written).toBe('buy milk\n')
  })
})

void join
