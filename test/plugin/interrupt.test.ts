import { readFile, rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startSimServer, type SimServer } from '../../fixtures/sim/server.js'

// A run stopped with Ctrl-C (SIGINT to the whole process group, as a terminal sends it).

const project = resolve(import.meta.dirname, '../fixtures/gate-project')
const cli = resolve(import.meta.dirname, '../../dist/src/cli/bin.js')
const out = join(project, '.self-harness-interrupt')
const journal = join(out, 'runs', 'baseline@sim-oracle.journal.jsonl')
let sim: SimServer

beforeAll(async () => {
  await rm(out, { recursive: true, force: true })
  sim = await startSimServer({ solutionsDir: join(project, 'solutions'), seed: 5, latencyMs: 120 })
})
afterAll(async () => {
  await sim?.close()
  await rm(out, { recursive: true, force: true })
})

it('says once that the run was interrupted and that the finished trials are kept', async () => {
  const env = { OPENAI_BASE_URL: sim.url, OPENAI_API_KEY: 'k', SELF_HARNESS_MODEL: 'sim-oracle', SELF_HARNESS_OUTPUT_DIR: out, NO_COLOR: '1' }
  const child = execa(process.execPath, [cli, 'vitest', 'run', '--harness=baseline', '--trials=6', '--no-gate'], { cwd: project, env, detached: true, reject: false, all: true })
  while ((await readFile(journal, 'utf8').catch(() => '')).split('\n').filter(Boolean).length < 2) {
    if (child.exitCode !== null) throw new Error('the run ended before it could be interrupted')
    await new Promise((r) => setTimeout(r, 50))
  }
  process.kill(-child.pid!, 'SIGINT')
  const result = await child
  expect(result.exitCode, result.all).toBe(130)
  expect(result.all.match(/self-harness: interrupted\. The finished trials are kept in the journal/g) ?? []).toHaveLength(1)
  expect(result.all).not.toMatch(/^\s+at /m)
})
