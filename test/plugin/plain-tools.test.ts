import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startSimServer, type SimServer } from '../../fixtures/sim/server.js'
import { readRecord } from '../../src/record/store.js'

// vitest's own reporters, `--project` and watch mode alongside self-harness: the record and the gate stay whole.

const project = resolve(import.meta.dirname, '../fixtures/gate-project')
const cli = resolve(import.meta.dirname, '../../dist/src/cli/bin.js')
let sim: SimServer
let out: string

beforeAll(async () => {
  sim = await startSimServer({ solutionsDir: join(project, 'solutions'), seed: 1 })
  out = await mkdtemp(join(tmpdir(), 'plain-tools-'))
})
afterAll(async () => {
  await sim?.close()
  await rm(out, { recursive: true, force: true })
})

const env = (dir: string) => ({ OPENAI_BASE_URL: sim.url, OPENAI_API_KEY: 'k', SELF_HARNESS_MODEL: 'sim-steady', SELF_HARNESS_OUTPUT_DIR: dir, NO_COLOR: '1' })
const selfHarness = (args: string[], dir: string) => execa(process.execPath, [cli, ...args], { cwd: project, env: env(dir), reject: false, all: true })

it('keeps the record and the gate with the default, junit and json reporters alongside', async () => {
  const dir = join(out, 'reporters')
  await selfHarness(['vitest', 'run', '--harness=baseline', '--no-gate'], dir)
  const baseline = join(dir, 'runs', 'baseline.json')
  const run = await selfHarness(['vitest', 'run', '--harness=breaker', `--baseline=${baseline}`, '--report', '--reporter=default', '--reporter=junit', '--reporter=json', `--outputFile.junit=${join(dir, 'junit.xml')}`, `--outputFile.json=${join(dir, 'vitest.json')}`], dir)
  expect(run.exitCode, run.all).toBe(1)
  expect(run.stdout).toMatch(/REGRESSION/)
  expect(await readFile(join(dir, 'junit.xml'), 'utf8')).toContain('<testsuites')
  expect(JSON.parse(await readFile(join(dir, 'vitest.json'), 'utf8')).numTotalTests).toBe(3)
  expect((await readRecord(join(dir, 'runs', 'breaker.json'))).tasks).toHaveLength(3)
  const html = await readFile(join(dir, 'runs', 'breaker.report.html'), 'utf8') // written on request
  expect(html).toMatch(/^<!doctype html>/i)
  expect(html).toContain('count-lines')
})

it('works with --project', async () => {
  const dir = join(out, 'project')
  const run = await selfHarness(['vitest', 'run', '--config=vitest.projects.config.ts', '--project=agent-tasks', '--harness=baseline', '--no-gate'], dir)
  expect(run.all).toContain('self-harness baseline')
  const record = await readRecord(join(dir, 'runs', 'baseline.json'))
  expect(record.tasks.map((t) => t.file).sort()).toEqual(['tasks/commit-file.test.ts', 'tasks/count-lines.test.ts', 'tasks/write-note.test.ts'])
})

it('keeps every task in the record when watch mode re-runs one file', async () => {
  const dir = join(out, 'watch')
  const child = execa(process.execPath, [cli, 'vitest', 'watch', '--harness=baseline', '--no-gate'], { cwd: project, env: env(dir), reject: false, all: true, detached: true })
  const recordFile = join(dir, 'runs', 'baseline.json')
  const waitFor = async (check: () => Promise<boolean>) => {
    for (let i = 0; i < 300; i++) {
      if (await check().catch(() => false)) return
      await new Promise((r) => setTimeout(r, 100))
    }
    throw new Error(`timed out waiting; output:\n${child.all}`)
  }
  try {
    await waitFor(async () => (await readRecord(recordFile)).tasks.length === 3)
    const first = await readRecord(recordFile)
    const file = join(project, 'tasks', 'write-note.test.ts')
    const text = await readFile(file, 'utf8')
    await writeFile(file, text) // touch: watch mode re-runs this file only
    await waitFor(async () => (await readRecord(recordFile)).createdAt !== first.createdAt)
    const second = await readRecord(recordFile)
    expect(second.tasks).toHaveLength(3)
    expect(second.taskSetHash).toBe(first.taskSetHash)
  } finally {
    try {
      process.kill(-child.pid!, 'SIGKILL')
    } catch {
      // already ended
    }
    await child
  }
})
