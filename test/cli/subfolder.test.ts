import { join } from 'node:path'
import { execa } from 'execa'
import { describe, expect, it } from 'vitest'
import { cliPath, useFixtureProject } from '../support/fixture-project.js'

const fixture = useFixtureProject({ project: 'adopt-project', output: '.self-harness-subfolder', seed: 1 })

describe('self-harness vitest from a subfolder of the project', () => {
  it('runs the project from the folder of its vitest config: harnesses and tasks found', async () => {
    const run = await execa(process.execPath, [cliPath, 'vitest', 'run', 'write-note', '--no-gate'], {
      cwd: join(fixture.project, 'tasks'),
      env: { OPENAI_BASE_URL: fixture.sim.url, OPENAI_API_KEY: 'k', SELF_HARNESS_MODEL: 'sim-steady', SELF_HARNESS_OUTPUT_DIR: fixture.out, NO_COLOR: '1' },
      reject: false,
      all: true,
    })
    expect(run.exitCode, run.all).toBe(0)
    expect(run.all).not.toContain('Unknown harness')
    expect(run.stdout).toContain(': 1 task, 1 passed, 0 failed, 0 errors;')
    expect(run.stdout).toMatch(/✓ tasks\/write-note\.test\.ts > writes a note \(trial 1\/1\): pass/)
  })
})
