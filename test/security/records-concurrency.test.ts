import { readFile, writeFile, mkdir } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { execa } from 'execa'
import { expect, it } from 'vitest'
import { readRecord } from '../../src/record/store.js'
import { cliPath, useFixtureProject } from '../support/fixture-project.js'

// Two runs in one output directory: the second is refused with the holder's pid and start time, the first loses
// nothing; a lock left by a killed run is taken over.

const fixture = useFixtureProject({ project: 'records-project', output: '.self-harness-concurrency', seed: 2, model: 'sim-oracle' })
const { project, out } = fixture

const start = (args: string[]) =>
  execa(process.execPath, [cliPath, 'vitest', 'run', '--harness=baseline', '--no-gate', ...args], {
    cwd: project,
    env: { OPENAI_BASE_URL: fixture.sim.url, OPENAI_API_KEY: 'k', SELF_HARNESS_MODEL: 'sim-oracle', SELF_HARNESS_OUTPUT_DIR: out, NO_COLOR: '1' },
    reject: false,
    all: true,
  })
const lockFile = join(out, 'self-harness.lock')

it('refuses a second run in the same output directory while the first runs, and the first loses no trial', async () => {
  fixture.sim.setFaults({ slow: { probability: 1, delayMs: 100 } })
  const first = start(['--trials=3'])
  let holder: { pid: number; startedAt: string } | undefined
  while (!holder) {
    if (first.exitCode !== null) throw new Error('the first run ended before the second started')
    holder = await readFile(lockFile, 'utf8').then((text) => JSON.parse(text), () => undefined)
    await new Promise((r) => setTimeout(r, 20))
  }
  const second = await start(['--trials=3'])
  expect(second.exitCode).toBe(2)
  expect(second.all).toContain(`another self-harness run (pid ${holder.pid}, started ${holder.startedAt}) is using ${out}; wait for it to end`)
  const done = await first
  fixture.sim.setFaults({})
  expect(done.exitCode, done.all).toBe(0)
  const record = await readRecord(join(out, 'runs', 'baseline@sim-oracle.json'))
  expect(record.tasks.map((t) => t.trials.map((x) => x.outcome))).toEqual([['pass', 'pass', 'pass'], ['pass', 'pass', 'pass'], ['pass', 'pass', 'pass']])
  await expect(readFile(join(out, 'runs', 'baseline@sim-oracle.journal.jsonl'))).rejects.toThrow()
  await expect(readFile(lockFile)).rejects.toThrow() // released at the end
})

it('takes over a lock left by a run that was killed', async () => {
  const dead = execa(process.execPath, ['-e', ''])
  await dead
  await mkdir(out, { recursive: true })
  await writeFile(lockFile, JSON.stringify({ pid: dead.pid, startedAt: '2026-01-01T00:00:00.000Z', host: hostname() }))
  const run = await start([])
  expect(run.exitCode, run.all).toBe(0)
  expect(run.all).toContain(`took over the lock of ${out} from a run that is gone (pid ${dead.pid}`)
})
