import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startSimServer, type SimServer } from '../../fixtures/sim/server.js'
import { readRecord } from '../../src/record/store.js'

// The opt-in model-response cache through the plugin: a replay asks the model nothing and gives the same record.

const project = resolve(import.meta.dirname, '../fixtures/gate-project')
const cli = resolve(import.meta.dirname, '../../dist/src/cli/bin.js')
let sim: SimServer
let dir: string

beforeAll(async () => {
  sim = await startSimServer({ solutionsDir: join(project, 'solutions'), seed: 4 })
  dir = await mkdtemp(join(tmpdir(), 'cache-'))
})
afterAll(async () => {
  await sim?.close()
  await rm(dir, { recursive: true, force: true })
})

const run = (outputDir: string, mode?: string) =>
  execa(process.execPath, [cli, 'vitest', 'run', '--harness=baseline', '--no-gate', '--fresh'], {
    cwd: project,
    env: { OPENAI_BASE_URL: sim.url, OPENAI_API_KEY: 'k', SELF_HARNESS_MODEL: 'sim-steady', SELF_HARNESS_OUTPUT_DIR: outputDir, SELF_HARNESS_CACHE: join(dir, 'cache'), ...(mode ? { SELF_HARNESS_CACHE_MODE: mode } : {}) },
    reject: false,
    all: true,
  })

it('replays a run from the cache without asking the model', async () => {
  await run(join(dir, 'live'))
  const live = await readRecord(join(dir, 'live', 'runs', 'baseline.json'))
  const before = sim.stats().completions
  await run(join(dir, 'replay'), 'read-only')
  expect(sim.stats().completions).toBe(before)
  const replay = await readRecord(join(dir, 'replay', 'runs', 'baseline.json'))
  const outcomes = (r: typeof live) => r.tasks.map((t) => [t.id, t.trials.map((x) => [x.outcome, x.turns, x.tokens.prompt])])
  expect(outcomes(replay)).toEqual(outcomes(live))
})
