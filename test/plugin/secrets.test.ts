import { readdir, readFile, rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startSimServer, type SimServer } from '../../fixtures/sim/server.js'

// Secrets of the runner's environment stay out of the sandbox, the traces, the record and the report.

const project = resolve(import.meta.dirname, '../fixtures/secrets-project')
const cli = resolve(import.meta.dirname, '../../dist/src/cli/bin.js')
const out = join(project, '.self-harness-secrets')
const TOKEN = 'dtok-9f8e7d6c5b4a1234'
const KEY = 'sk-test-0123456789abcdefghijklmnop'
let sim: SimServer

beforeAll(async () => {
  await rm(out, { recursive: true, force: true })
  sim = await startSimServer({ solutionsDir: join(project, 'solutions'), seed: 1 })
})
afterAll(async () => {
  await sim?.close()
  await rm(out, { recursive: true, force: true })
})

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true })
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name))
}

it('keeps secrets out of the sandbox, the traces, the record and the report', async () => {
  const run = await execa(process.execPath, [cli, 'vitest', 'run', '--harness=baseline', '--no-gate', '--report'], {
    cwd: project,
    env: { OPENAI_BASE_URL: sim.url, OPENAI_API_KEY: KEY, DEPLOY_TOKEN: TOKEN, SELF_HARNESS_MODEL: 'sim-oracle', SELF_HARNESS_OUTPUT_DIR: out, NO_COLOR: '1' },
    reject: false,
    all: true,
  })
  expect(run.exitCode, run.all).toBe(0) // the task passed: the agent did use the token it was given
  const files = await filesUnder(out)
  expect(files.some((f) => f.endsWith('.jsonl'))).toBe(true)
  expect(files.some((f) => f.endsWith('.report.html'))).toBe(true)
  for (const file of files) {
    const text = await readFile(file, 'utf8')
    expect(text, file).not.toContain(TOKEN)
    expect(text, file).not.toContain(KEY)
  }
  const trace = await readFile(files.find((f) => f.endsWith('.jsonl'))!, 'utf8')
  expect(trace).toContain('[REDACTED]') // the instruction's token, redacted
  expect(trace).toContain('PATH=') // the env dump reached the trace, without the runner's secrets
})
