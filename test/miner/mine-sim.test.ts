import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSimServer, type SimServer } from '../../fixtures/sim/server.js'
import { createModelClient, resolveModelOptions } from '../../src/agent/model.js'
import { mineFailures } from '../../src/miner/mine.js'
import { craftTrace, gitIdentityFailure, timeoutFailure, unverifiedWriteFailure, writeTrace } from './traces.js'

const solutionsDir = fileURLToPath(new URL('../../fixtures/suite/solutions', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'miner-sim-'))
let sim: SimServer
beforeAll(async () => {
  sim = await startSimServer({ solutionsDir, seed: 1 })
})
afterAll(async () => {
  await sim.close()
  rmSync(dir, { recursive: true, force: true })
})

function failures() {
  const out: Array<{ taskId: string; trial: number; tracePath: string }> = []
  const add = (taskId: string, events: ReturnType<typeof craftTrace>) => out.push({ taskId, trial: 0, tracePath: writeTrace(dir, taskId, events) })
  for (const id of ['git-amend-message', 'git-commit-readme', 'git-tag-release']) add(id, gitIdentityFailure(id))
  for (const id of ['build-configure-make', 'build-release-tarball']) add(id, timeoutFailure(id))
  for (const id of ['config-logrotate', 'config-ini-section']) add(id, unverifiedWriteFailure(id))
  return out
}

describe('mining against the simulated model over HTTP', () => {
  it('has the model name and explain each cluster', async () => {
    const client = createModelClient(resolveModelOptions({ baseURL: sim.url, apiKey: 'x', model: 'sim-steady' }))
    const result = await mineFailures({ failures: failures(), totalTasks: 20, workers: 0, client })
    expect(result.weaknesses.map((w) => [w.category, w.namedBy])).toEqual([
      ['prerequisite-missing', 'model'],
      ['error-recovery', 'model'],
      ['verification-missing', 'model'],
    ])
    const git = result.weaknesses[0]!
    expect(git.pattern).toBe('git identity not configured before commit')
    expect(git.explanation).toMatch(/user\.name and user\.email/)
    expect(git.evidence[0]).toMatch(/Author identity unknown$/)
    expect(sim.stats().byModel['sim-steady']).toBeGreaterThanOrEqual(3)
  })
})
