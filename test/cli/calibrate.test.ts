import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startSimServer, type SimServer } from '../../fixtures/sim/server.js'
import { CalibrationSchema } from '../../src/gate/calibrate.js'
import { FlakeHistorySchema } from '../../src/record/flake-history.js'

// `self-harness calibrate` as a process: the baseline against itself on the fixture project, over HTTP.

const project = resolve(import.meta.dirname, '../fixtures/gate-project')
const cli = resolve(import.meta.dirname, '../../dist/src/cli/bin.js')
let sim: SimServer
let out: string

beforeAll(async () => {
  sim = await startSimServer({ solutionsDir: join(project, 'solutions'), seed: 11 })
  out = await mkdtemp(join(tmpdir(), 'calibrate-'))
})
afterAll(async () => {
  await sim?.close()
  await rm(out, { recursive: true, force: true })
})

it('reports flip rates and the false-alarm rate, and keeps a flake history', async () => {
  const run = await execa(process.execPath, [cli, 'calibrate', '--harness=baseline', '--trials=3', '--runs=2', '--resamples=200', `--output-dir=${out}`, '--json'], {
    cwd: project,
    env: { OPENAI_BASE_URL: sim.url, OPENAI_API_KEY: 'k', SELF_HARNESS_MODEL: 'sim-steady' },
    reject: false,
  })
  expect(run.exitCode, run.stderr).toBe(0)
  const calibration = CalibrationSchema.parse(JSON.parse(run.stdout))
  expect(calibration.records).toBe(2)
  expect(calibration.tasks).toHaveLength(3)
  for (const task of calibration.tasks) expect(task.valid).toBe(6)
  expect(calibration.tasks.find((t) => t.id.includes('commit-file'))!.passRate).toBe(0)
  expect(calibration.falseAlarm.resamples).toBe(200)
  expect(calibration.falseAlarm.rate).toBeLessThanOrEqual(0.05)
  const history = FlakeHistorySchema.parse(JSON.parse(await readFile(join(out, 'flakes', `${calibration.harness.id}.json`), 'utf8')))
  expect(history.runs).toBe(2)
  expect(history.tasks).toHaveLength(3)
})
