import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { useFixtureProject } from '../support/fixture-project.js'

// A harness that allows one turn: the simulated model sets up git on its first turn and needs more to commit.

const fixture = useFixtureProject({ project: 'gate-project', output: '.self-harness-out-of-turns', seed: 1 })
let harnessDir: string

beforeAll(async () => {
  harnessDir = await mkdtemp(join(tmpdir(), 'self-harness-one-turn-'))
  const spec = JSON.parse(await readFile(join(fixture.project, 'harnesses', 'baseline.json'), 'utf8'))
  await writeFile(join(harnessDir, 'one-turn.json'), JSON.stringify({ ...spec, name: 'one-turn', limits: { ...spec.limits, maxTurns: 1 } }))
})
afterAll(async () => {
  await rm(harnessDir, { recursive: true, force: true })
})

describe('a run that uses every turn', () => {
  it('says per trial that the run ran out of turns, with the limit', async () => {
    const run = await fixture.run(['vitest', 'run', '--harness=one-turn', '--no-gate', '--trials=2'], { SELF_HARNESS_DIR: harnessDir })
    expect(run.exitCode, run.all).toBe(0)
    expect(run.stdout).toMatch(/✗ tasks\/commit-file\.test\.ts > .* \(trial 1\/2\): fail, 1 turn, .*: ran out of turns \(maxTurns 1\)/)
  })
})
