import { cp, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises'
import { chmodSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSimServer, type SimServer } from '../../fixtures/sim/server.js'
import { readRecord } from '../../src/record/store.js'
import { isRoot } from '../workspace/helpers.js'

// A runner that is not root, without bubblewrap, with a secret in its environment: the run refuses at startup
// unless `sandbox: none` was set. Played by running the command as `nobody` with no bubblewrap on PATH.

const repo = resolve(import.meta.dirname, '../..')
const cli = join(repo, 'dist/src/cli/bin.js')
const KEY = 'sk-probe-0123456789abcdefghij'

describe.skipIf(!isRoot)('the fallback as a runner that is not root (needs root, to run the command as nobody)', () => {
  let sim: SimServer
  let project: string
  beforeAll(async () => {
    sim = await startSimServer({ solutionsDir: join(repo, 'test/fixtures/workspace-probe-project/solutions'), seed: 1 })
    // A copy nobody can write to (vite writes its bundled config beside it), using this package as installed.
    project = await mkdtemp(join(tmpdir(), 'refusal-'))
    for (const part of ['harnesses', 'tasks', 'vitest.config.ts']) await cp(join(repo, 'test/fixtures/workspace-probe-project', part), join(project, part), { recursive: true })
    await mkdir(join(project, 'node_modules'))
    await symlink(repo, join(project, 'node_modules', 'self-harness'))
    await symlink(join(repo, 'node_modules', 'vitest'), join(project, 'node_modules', 'vitest'))
    await execa('chmod', ['-R', 'a+rwX', project])
    chmodSync(project, 0o777)
  })
  afterAll(async () => {
    await sim?.close()
    await rm(project, { recursive: true, force: true })
  })

  const runAsNobody = (env: Record<string, string>) =>
    execa(process.execPath, [cli, 'vitest', 'run', '--harness=baseline', '--no-gate', 'tasks/link-out'], {
      cwd: project,
      uid: 65534,
      gid: 65534,
      // No bubblewrap on the runner's PATH (commands get a PATH of their own).
      env: { PATH: '/nonexistent', HOME: project, OPENAI_BASE_URL: sim.url, OPENAI_API_KEY: KEY, SELF_HARNESS_MODEL: 'sim-oracle', SELF_HARNESS_OUTPUT_DIR: join(project, 'out'), NO_COLOR: '1', ...env },
      extendEnv: false,
      reject: false,
      all: true,
      timeout: 100_000,
    })

  it('refuses to start under `auto`, with exit code 2, naming the secret variable and not its value', async () => {
    const run = await runAsNobody({})
    expect(run.exitCode, run.all).toBe(2)
    expect(run.all).toContain('holds secrets (OPENAI_API_KEY)')
    expect(run.all).toContain('set `sandbox: none` to accept this')
    expect(run.all).not.toContain(KEY)
    expect(run.all).toContain('self-harness: WARNING: no sandbox') // the fallback's warning reaches the console
  })

  it('stops at startup under `bwrap` without bubblewrap (exit 2), before any trial', async () => {
    const run = await runAsNobody({ SELF_HARNESS_SANDBOX: 'bwrap' })
    expect(run.exitCode, run.all).toBe(2)
    expect(run.all).toContain('The `sandbox: bwrap` setting needs a working bubblewrap')
  })

  it('runs when `sandbox: none` was set explicitly', async () => {
    const run = await runAsNobody({ SELF_HARNESS_SANDBOX: 'none' })
    expect(run.all).not.toContain('holds secrets')
    const record = await readRecord(join(project, 'out', 'runs', 'baseline.json'))
    expect(record.tasks[0]?.trials[0]?.outcome, run.all).toBe('pass')
  })
})
