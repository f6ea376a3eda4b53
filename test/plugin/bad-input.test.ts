import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSimServer, type SimServer } from '../../fixtures/sim/server.js'

// Bad input gets one clear message naming the file and the field, and the design's exit code.

const broken = resolve(import.meta.dirname, '../fixtures/broken-project')
const cli = resolve(import.meta.dirname, '../../dist/src/cli/bin.js')
let sim: SimServer
let out: string

beforeAll(async () => {
  sim = await startSimServer({ solutionsDir: join(broken, 'solutions'), seed: 1 })
  out = await mkdtemp(join(tmpdir(), 'bad-input-'))
})
afterAll(async () => {
  await sim?.close()
  await rm(out, { recursive: true, force: true })
})

const selfHarness = (args: string[], cwd = broken, env: Record<string, string> = {}) =>
  execa(process.execPath, [cli, ...args], {
    cwd,
    env: { OPENAI_BASE_URL: sim.url, OPENAI_API_KEY: 'k', SELF_HARNESS_MODEL: 'sim-oracle', SELF_HARNESS_OUTPUT_DIR: out, NO_COLOR: '1', ...env },
    reject: false,
    all: true,
  })

describe('bad input', () => {
  it('refuses to gate when a task file throws on import, naming the file (exit 2)', async () => {
    const first = await selfHarness(['vitest', 'run', '--harness=baseline', '--no-gate'])
    expect(first.all).toContain('task file tasks/throws-on-import.test.ts failed to load')
    await selfHarness(['accept', join(out, 'runs', 'baseline.json'), `--to=${join(out, 'b.json')}`])
    const gated = await selfHarness(['vitest', 'run', '--harness=baseline', `--baseline=${join(out, 'b.json')}`])
    expect(gated.exitCode).toBe(2)
    expect(gated.all).toContain('tasks/throws-on-import.test.ts')
    // Said when the file is collected, and the gated run stops there instead of spending model calls on a verdict it would refuse.
    expect(gated.all).toContain('stopping the gated run')
  })

  it('refuses a missing baseline record, naming the file (exit 2)', async () => {
    const run = await selfHarness(['vitest', 'run', '--harness=baseline', `--baseline=${join(out, 'missing.json')}`, 'tasks/write-note'])
    expect(run.exitCode).toBe(2)
    expect(run.all).toContain(`No run record at ${join(out, 'missing.json')}`)
  })

  it('refuses trials below one (exit 2)', async () => {
    const run = await selfHarness(['vitest', 'run', '--harness=baseline', '--trials=0'])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('Expected `--trials` to be a positive integer, got `0`.')
  })

  it('refuses an unknown sandbox, naming the setting (exit 2)', async () => {
    const sandbox = await selfHarness(['vitest', 'run', '--harness=baseline', '--no-gate', 'tasks/write-note'], broken, { SELF_HARNESS_SANDBOX: 'chroot' })
    expect(sandbox.exitCode).toBe(2)
    expect(sandbox.all).toContain('Expected `sandbox` to be auto, bwrap or none, got `chroot`.')
  })

  it('refuses a record of another schema version (exit 3) and a truncated one (exit 2)', async () => {
    const record = JSON.parse(await readFile(join(out, 'b.json'), 'utf8'))
    await writeFile(join(out, 'v2.json'), JSON.stringify({ ...record, schemaVersion: 2 }))
    const text = await readFile(join(out, 'b.json'), 'utf8')
    await writeFile(join(out, 'cut.json'), text.slice(0, Math.floor(text.length / 2)))
    const v2 = await selfHarness(['compare', join(out, 'b.json'), join(out, 'v2.json')])
    expect(v2.exitCode).toBe(3)
    expect(v2.stderr).toContain('schemaVersion 2')
    const cut = await selfHarness(['compare', join(out, 'b.json'), join(out, 'cut.json')])
    expect(cut.exitCode).toBe(2)
    expect(cut.stderr).toContain(`Corrupt run record ${join(out, 'cut.json')}`)
  })

  it('refuses an unknown command and a compare without records (exit 2)', async () => {
    expect((await selfHarness(['frobnicate'])).exitCode).toBe(2)
    const run = await selfHarness(['compare', 'only-one.json'])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('Expected two record files')
  })
})
