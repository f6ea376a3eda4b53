import { rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startSimServer, type SimServer } from '../../fixtures/sim/server.js'
import { readRecord } from '../../src/record/store.js'
import type { RunRecord } from '../../src/record/schema.js'

// `vitest --shard=i/3` with the blob reporter, then `--merge-reports`: one record and one verdict, equal to an
// unsharded run of the same tasks.

const project = resolve(import.meta.dirname, '../fixtures/gate-project')
const cli = resolve(import.meta.dirname, '../../dist/src/cli/bin.js')
const out = join(project, '.self-harness-shards')
const blobs = join(project, '.vitest-reports-shards')
let sim: SimServer

beforeAll(async () => {
  sim = await startSimServer({ solutionsDir: join(project, 'solutions'), seed: 1 })
})
afterAll(async () => {
  await sim?.close()
  await rm(out, { recursive: true, force: true })
  await rm(blobs, { recursive: true, force: true })
})

const run = (args: string[], outputDir: string) =>
  execa(process.execPath, [cli, 'vitest', 'run', ...args], {
    cwd: project,
    env: { OPENAI_BASE_URL: sim.url, OPENAI_API_KEY: 'k', SELF_HARNESS_MODEL: 'sim-steady', SELF_HARNESS_OUTPUT_DIR: outputDir, NO_COLOR: '1' },
    reject: false,
    all: true,
  })

const outcomes = (record: RunRecord) => record.tasks.map((t) => [t.id, t.trials.map((x) => x.outcome)])

it('merges three shards into the record and verdict of an unsharded run', async () => {
  const whole = join(out, 'whole')
  await run(['--harness=baseline', '--no-gate'], whole)
  const baselineFile = join(whole, 'runs', 'baseline.json')
  const unsharded = await run(['--harness=breaker', `--baseline=${baselineFile}`], whole)
  expect(unsharded.exitCode, unsharded.all).toBe(1)

  const sharded = join(out, 'sharded')
  for (const i of [1, 2, 3]) {
    const shard = await run(['--harness=breaker', `--baseline=${baselineFile}`, `--shard=${i}/3`, '--reporter=blob', `--outputFile=${join(blobs, `blob-${i}.json`)}`], sharded)
    expect(shard.all).not.toMatch(/tasks?, .* errors?; record /) // a shard writes its blob, not a record
  }
  const merged = await run(['--harness=breaker', `--baseline=${baselineFile}`, `--merge-reports=${blobs}`], sharded)
  expect(merged.exitCode, merged.all).toBe(1)

  const a = await readRecord(join(whole, 'runs', 'breaker.json'))
  const b = await readRecord(join(sharded, 'runs', 'breaker.json'))
  expect(b.taskSetHash).toBe(a.taskSetHash)
  expect(outcomes(b)).toEqual(outcomes(a))
  const verdictOf = async (dir: string) => JSON.parse(await (await import('node:fs/promises')).readFile(join(dir, 'runs', 'breaker.verdict.json'), 'utf8'))
  const [va, vb] = [await verdictOf(whole), await verdictOf(sharded)]
  expect(vb.status).toBe(va.status)
  expect(vb.regressions).toEqual(va.regressions)
  expect(vb.fixes).toEqual(va.fixes)
})

it('keeps the trial count of 3-trial shards through a merge without --trials', async () => {
  const dir = join(out, 'three')
  const blobs3 = join(blobs, 'three')
  for (const i of [1, 2]) {
    const shard = await run(['--harness=baseline', '--no-gate', '--trials=3', `--shard=${i}/2`, '--reporter=blob', `--outputFile=${join(blobs3, `blob-${i}.json`)}`], dir)
    expect(shard.exitCode === 0 || shard.exitCode === 1, shard.all).toBe(true)
  }
  await run(['--harness=baseline', '--no-gate', `--merge-reports=${blobs3}`], dir)
  const merged = await readRecord(join(dir, 'runs', 'baseline.json'))
  expect(merged.tasks.every((t) => t.trials.length === 3)).toBe(true)
  expect(merged.trials).toBe(3) // was 1: the merge step has no --trials, the count comes from the trials' metadata
})
