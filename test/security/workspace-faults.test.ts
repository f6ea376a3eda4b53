import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, rmSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSimServer, type SimServer } from '../../fixtures/sim/server.js'
import { readRecord } from '../../src/record/store.js'
import { isRoot, token } from '../workspace/helpers.js'

// Faults of the machine met by a run through the plugin: a disk too full to make the workspace, or to write the
// model's file. Each trial stays in the record, as `error` with the file named, and no workspace is left behind.

const project = resolve(import.meta.dirname, '../fixtures/workspace-probe-project')
const cli = resolve(import.meta.dirname, '../../dist/src/cli/bin.js')

/** Mounts a tmpfs with `options` at a fresh directory; a string says why it cannot. */
function mountTiny(options: string): { dir: string; unmount: () => void } | string {
  if (!isRoot) return 'needs root to mount a tmpfs'
  const dir = join(tmpdir(), `full-${token()}`)
  mkdirSync(dir)
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'pipe' })
  } catch (error) {
    rmSync(dir, { recursive: true, force: true })
    return `cannot mount a tmpfs here: ${String((error as Error).message).split('\n')[0]}`
  }
  return { dir, unmount: () => (execFileSync('umount', ['-l', dir]), rmSync(dir, { recursive: true, force: true })) }
}

const probe = mountTiny('size=64k')
if (typeof probe !== 'string') probe.unmount()
const why = typeof probe === 'string' ? ` (skipped: ${probe})` : ''

describe.skipIf(why !== '')(`a full disk during a run${why}`, () => {
  let sim: SimServer
  beforeAll(async () => {
    sim = await startSimServer({ solutionsDir: join(project, 'solutions'), seed: 1 })
  })
  afterAll(() => sim?.close())

  async function runOn(disk: string, task: string) {
    const out = join(project, `.self-harness-faults-${token()}`)
    try {
      const result = await execa(process.execPath, [cli, 'vitest', 'run', '--harness=baseline', '--no-gate', '--trials=2', `tasks/${task}`], {
        cwd: project,
        env: { OPENAI_BASE_URL: sim.url, OPENAI_API_KEY: 'k', SELF_HARNESS_MODEL: 'sim-oracle', SELF_HARNESS_OUTPUT_DIR: out, PROBE_WORKSPACE_ROOT: disk, NO_COLOR: '1' },
        reject: false,
        all: true,
        timeout: 100_000,
      })
      return { result, record: await readRecord(join(out, 'runs', 'baseline.json')) }
    } finally {
      await rm(out, { recursive: true, force: true })
    }
  }

  it('records every trial as `error` naming the directory when no workspace can be made, and leaves none', async () => {
    const disk = mountTiny('size=64k,nr_inodes=3') as Exclude<ReturnType<typeof mountTiny>, string>
    try {
      const { result, record } = await runOn(disk.dir, 'link-out')
      const trials = record.tasks[0]?.trials ?? []
      expect(trials.map((trial) => trial.outcome), result.all).toEqual(['error', 'error'])
      for (const trial of trials) expect(trial.reason).toMatch(new RegExp(`Could not create the trial's workspace at ${disk.dir}/trial-\\w+.*ENOSPC`))
      expect(readdirSync(disk.dir)).toEqual([])
    } finally {
      disk.unmount()
    }
  })

  it('ends a trial whose write meets a full disk as `error` naming the file, and removes its workspace', async () => {
    const disk = mountTiny('size=256k') as Exclude<ReturnType<typeof mountTiny>, string>
    try {
      const { result, record } = await runOn(disk.dir, 'full-disk')
      const trials = record.tasks[0]?.trials ?? []
      expect(trials.map((trial) => trial.outcome), result.all).toEqual(['error', 'error'])
      for (const trial of trials) expect(trial.reason).toMatch(/Could not write `notes.txt` in the workspace: ENOSPC/)
      expect(readdirSync(disk.dir)).toEqual([])
    } finally {
      disk.unmount()
    }
  })
})
