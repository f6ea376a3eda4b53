import { readFile, rm, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startSimServer, type SimServer } from '../../fixtures/sim/server.js'
import { JournalEntrySchema } from '../../src/record/journal.js'
import { readRecord } from '../../src/record/store.js'

// A real run killed with SIGKILL midway, then started again: it finishes only what is missing and loses nothing.

const project = resolve(import.meta.dirname, '../fixtures/gate-project')
const cli = resolve(import.meta.dirname, '../../dist/src/cli/bin.js')
const out = join(project, '.self-harness-kill')
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

const env = () => ({ OPENAI_BASE_URL: sim.url, OPENAI_API_KEY: 'k', SELF_HARNESS_MODEL: 'sim-oracle', SELF_HARNESS_OUTPUT_DIR: out })
const lines = async () => (await readFile(journal, 'utf8').catch(() => '')).split('\n').filter(Boolean)

it('resumes a run killed with SIGKILL without redoing finished trials', async () => {
  const child = execa(process.execPath, [cli, 'vitest', 'run', '--harness=baseline', '--trials=6', '--no-gate'], { cwd: project, env: env(), detached: true, reject: false })
  // Kill the whole process group once a few trials are journaled, well before the run can end.
  while ((await lines()).length < 4) {
    if (child.exitCode !== null) throw new Error('the run ended before it could be killed')
    await new Promise((r) => setTimeout(r, 50))
  }
  process.kill(-child.pid!, 'SIGKILL')
  await child
  const kept = (await lines()).flatMap((line) => {
    try {
      return [JournalEntrySchema.parse(JSON.parse(line))]
    } catch {
      return [] // a line cut short by the kill
    }
  })
  expect(kept.length).toBeGreaterThanOrEqual(4)
  expect(kept.length).toBeLessThan(18)
  await expect(stat(join(out, 'runs', 'baseline.json'))).rejects.toThrow() // no record from the killed run

  const requestsBefore = sim.stats().completions
  const resumed = await execa(process.execPath, [cli, 'vitest', 'run', '--harness=baseline', '--trials=6', '--no-gate'], { cwd: project, env: env(), reject: false, all: true })
  expect(resumed.all).toContain('resuming an interrupted run')
  const record = await readRecord(join(out, 'runs', 'baseline.json'))
  expect(record.tasks).toHaveLength(3)
  for (const task of record.tasks) expect(task.trials.map((t) => t.index).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5])
  // Each trial is shown once: those run now one line each, those kept one line per task that says so.
  expect(resumed.all.match(/\(trial \d\/6\): (pass|fail|error)/g) ?? []).toHaveLength(18 - kept.length)
  const keptTasks = new Set(kept.map((entry) => entry.taskId))
  expect(resumed.all.match(/trial\(s\) kept from the journal/g) ?? []).toHaveLength(keptTasks.size)
  // The pass rate counts the kept trials' tasks as they ended.
  const passedTasks = record.tasks.filter((t) => t.trials.every((trial) => trial.outcome === 'pass')).length
  expect(resumed.all).toContain(`[3/3] baseline: pass rate ${Math.round((100 * passedTasks) / 3)}%`)
  // Every journaled trial is in the record as it was, not run again.
  for (const entry of kept) {
    const trial = record.tasks.find((t) => t.id === entry.taskId)!.trials.find((t) => t.index === entry.trial.index)!
    expect(trial.durationMs).toBe(entry.trial.durationMs)
  }
  // The second run asked the model only for the missing trials.
  const callsPerTrial = record.tasks.reduce((n, t) => n + t.trials.reduce((m, x) => m + x.turns, 0), 0) / 18
  expect(sim.stats().completions - requestsBefore).toBeLessThanOrEqual(Math.ceil((18 - kept.length + 1) * callsPerTrial) + 2)
  await expect(stat(journal)).rejects.toThrow() // the journal is gone once the record holds everything
})
