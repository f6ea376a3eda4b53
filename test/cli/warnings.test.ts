import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSimServer, type SimServer } from '../../fixtures/sim/server.js'
import { cliPath } from '../support/fixture-project.js'

// The no-sandbox warning reaches the user's console once per command: not once per vitest worker, and not lost
// when the command captures vitest's output (calibrate, evolve). Bubblewrap is made unusable here by a `bwrap` on
// PATH that fails, so the test runs the same with and without a real one.

const project = resolve(import.meta.dirname, '../fixtures/gate-project')
const out = join(project, '.self-harness-warnings')
let sim: SimServer
let bin: string

beforeAll(async () => {
  sim = await startSimServer({ solutionsDir: join(project, 'solutions'), seed: 1 })
  bin = await mkdtemp(join(tmpdir(), 'self-harness-fake-bwrap-'))
  await writeFile(join(bin, 'bwrap'), '#!/bin/sh\necho "bwrap: setting up uid map: Permission denied" >&2\nexit 1\n')
  await chmod(join(bin, 'bwrap'), 0o755)
})
afterAll(async () => {
  await sim?.close()
  await rm(out, { recursive: true, force: true })
  await rm(bin, { recursive: true, force: true })
})

const run = (args: string[]) =>
  execa(process.execPath, [cliPath, ...args], {
    cwd: project,
    env: {
      PATH: `${bin}:${process.env.PATH}`,
      OPENAI_BASE_URL: sim.url,
      OPENAI_API_KEY: 'k',
      SELF_HARNESS_MODEL: 'sim-steady',
      SELF_HARNESS_OUTPUT_DIR: out,
      SELF_HARNESS_SANDBOX_WARNED: '',
      NO_COLOR: '1',
    },
    reject: false,
    all: true,
  })

const warnings = (text: string) => text.split('\n').filter((line) => line.includes('WARNING: no sandbox')).length

// Commands fall back only where it is safe (as root they run as a user of their own); elsewhere the run refuses.
describe.skipIf(process.getuid?.() !== 0)('the no-sandbox warning (as root: commands fall back to a user of their own)', () => {
  it('appears once for a run with three vitest workers', async () => {
    const result = await run(['vitest', 'run', '--harness=baseline', '--no-gate', '--maxWorkers=3'])
    expect(result.exitCode, result.all).toBe(0)
    expect(warnings(result.all), result.all).toBe(1)
    expect(result.all).toContain('bubblewrap')
  })

  it('appears once for calibrate, whose two vitest runs are captured', async () => {
    const result = await run(['calibrate', '--harness=baseline', '--runs=2', '--trials=1', `--output-dir=${out}`])
    expect(result.exitCode, result.all).toBe(0)
    expect(warnings(result.stderr), result.all).toBe(1)
  })
})
