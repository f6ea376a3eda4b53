import { cp, readFile, rm } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSimServer, type SimServer } from '../../fixtures/sim/server.js'
import { RunRecordSchema } from '../../src/record/schema.js'

// The plugin, runner and reporter on vitest 5 under Node 22, installed as a user would (packed package).
// `.ci/run` prepares the project with test/compat/setup-vitest5.sh and names it in SELF_HARNESS_VITEST5_DIR.

const dir = process.env.SELF_HARNESS_VITEST5_DIR ? resolve(process.env.SELF_HARNESS_VITEST5_DIR) : undefined
const ready = Boolean(dir && existsSync(join(dir, 'node_modules', 'vitest')))
const fixture = resolve(import.meta.dirname, '../fixtures/gate-project')

describe.skipIf(!ready)(`vitest 5 on Node 22${ready ? '' : ' (skipped: SELF_HARNESS_VITEST5_DIR does not name a project prepared by test/compat/setup-vitest5.sh, as .ci/run does)'}`, () => {
  const project = join(dir ?? '', 'gate-project')
  const node = join(dir ?? '', 'node_modules', '.bin', 'node')
  const cli = join(dir ?? '', 'node_modules', 'self-harness', 'dist', 'src', 'cli', 'bin.js')
  let sim: SimServer
  let env: Record<string, string>

  beforeAll(async () => {
    await rm(project, { recursive: true, force: true })
    await cp(fixture, project, { recursive: true, filter: (src) => !src.includes('.self-harness') })
    sim = await startSimServer({ solutionsDir: join(project, 'solutions'), seed: 1 })
    env = { OPENAI_BASE_URL: sim.url, OPENAI_API_KEY: 'k', SELF_HARNESS_MODEL: 'sim-steady', NO_COLOR: '1' }
  })
  afterAll(async () => {
    await sim?.close()
  })

  const selfHarness = (args: string[]) => execa(node, [cli, ...args], { cwd: project, env, reject: false, all: true })

  it('runs on vitest 5 and Node 22', async () => {
    const version = await execa(node, [join(dir!, 'node_modules', 'vitest', 'vitest.mjs'), '--version'], { cwd: project })
    expect(version.stdout).toMatch(/5\.\d+\.\d+/)
    expect((await execa(node, ['--version'])).stdout).toMatch(/^v22\./)
  })

  it('records every trial with --trials=3', async () => {
    const run = await selfHarness(['vitest', 'run', '--harness=baseline', '--trials=3', '--no-gate'])
    expect(run.all).toContain('self-harness baseline')
    const record = RunRecordSchema.parse(JSON.parse(await readFile(join(project, '.self-harness', 'runs', 'baseline.json'), 'utf8')))
    expect(record.trials).toBe(3)
    expect(record.tasks).toHaveLength(3)
    for (const task of record.tasks) expect(task.trials.map((t) => t.index)).toEqual([0, 1, 2])
    expect(record.tasks.find((t) => t.file.includes('commit-file'))!.trials.every((t) => t.outcome === 'fail')).toBe(true)
  })

  it('merges three shards into the record of an unsharded run', async () => {
    const blobs = join(project, '.vitest-reports')
    for (const i of [1, 2, 3]) await selfHarness(['vitest', 'run', '--harness=baseline', '--no-gate', `--shard=${i}/3`, '--reporter=blob', `--outputFile=${join(blobs, `blob-${i}.json`)}`])
    const whole = RunRecordSchema.parse(JSON.parse(await readFile(join(project, '.self-harness', 'runs', 'baseline.json'), 'utf8')))
    await rm(join(project, '.self-harness', 'runs', 'baseline.json'))
    const merged = await selfHarness(['vitest', 'run', '--harness=baseline', '--no-gate', `--merge-reports=${blobs}`])
    expect(merged.all).toContain('self-harness baseline')
    const record = RunRecordSchema.parse(JSON.parse(await readFile(join(project, '.self-harness', 'runs', 'baseline.json'), 'utf8')))
    expect(record.tasks.map((t) => t.id)).toEqual(whole.tasks.map((t) => t.id))
    expect(record.taskSetHash).toBe(whole.taskSetHash)
  })

  it('gates: a fix is accepted (0) and a regression blocked (1)', async () => {
    expect((await selfHarness(['vitest', 'run', '--harness=baseline', '--no-gate'])).exitCode).toBe(0) // failing tasks are data; the gate decides
    const accepted = await selfHarness(['accept', '.self-harness/runs/baseline.json', '--to=baseline.record.json'])
    expect(accepted.exitCode, accepted.all).toBe(0)
    const fixer = await selfHarness(['vitest', 'run', '--harness=fixer', '--baseline=baseline.record.json'])
    expect(fixer.exitCode, fixer.all).toBe(0)
    const breaker = await selfHarness(['vitest', 'run', '--harness=breaker', '--baseline=baseline.record.json'])
    expect(breaker.exitCode, breaker.all).toBe(1)
    expect(breaker.stdout).toContain('count-lines')
  })
})
