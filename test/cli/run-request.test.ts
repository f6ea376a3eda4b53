import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readRunOutcome, readRunRequest, RUN_REQUEST_ENV, writeRunOutcome } from '../../src/run/request.js'
import { runSuite } from '../../src/cli/run-suite.js'
import { readRecord } from '../../src/record/store.js'
import { useFixtureProject } from '../support/fixture-project.js'

// The one typed seam between the `self-harness` command (and evolve, adaptive, calibrate) and the plugin: a run
// request file in, a run outcome file out, both validated.

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'self-harness-request-'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

describe('the run request', () => {
  it('is refused naming the file and the field when it is not what the schema says', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ version: 1, trials: 0 }, /trials: /],
      [{ version: 1, harness: 7 }, /harness: /],
      [{ version: 1, taskIds: ['a', ''] }, /taskIds\.1: /],
      [{ version: 1, settings: { concurrency: 1000 } }, /settings\.concurrency: /],
      [{ version: 1, onlyFile: 'x' }, /\(root\): .*onlyFile/],
      [{ version: 2 }, /version: /],
    ]
    for (const [body, field] of cases) {
      const file = join(dir, 'request.json')
      await writeFile(file, JSON.stringify(body))
      expect(() => readRunRequest(file)).toThrow(new RegExp(`Invalid run request ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(${RUN_REQUEST_ENV}\\): ${field.source}`))
    }
    await writeFile(join(dir, 'broken.json'), '{"version": 1,')
    expect(() => readRunRequest(join(dir, 'broken.json'))).toThrow(/Cannot read the run request .*broken\.json/)
  })

  it('has an outcome that is validated when written and when read', async () => {
    const file = join(dir, 'outcome.json')
    expect(() => writeRunOutcome(file, { kind: 'run', recordFile: '' } as never)).toThrow()
    writeRunOutcome(file, { kind: 'run', recordFile: '/r.json', verdictFile: '/v.json' })
    expect(readRunOutcome(file)).toEqual({ kind: 'run', recordFile: '/r.json', verdictFile: '/v.json' })
    await writeFile(file, JSON.stringify({ kind: 'run', recordFile: 3 }))
    expect(() => readRunOutcome(file)).toThrow(/Invalid run outcome .*recordFile/)
    expect(readRunOutcome(join(dir, 'none.json'))).toBeUndefined()
  })
})

describe('runSuite', () => {
  const fixture = useFixtureProject({ project: 'gate-project', output: '.self-harness-run-suite', seed: 1 })

  it('runs only the requested tasks under the requested harness and hands back where the record is', async () => {
    const result = await runSuite(
      { harness: 'baseline', outputDir: fixture.out, taskIds: ['tasks/write-note.test.ts > writes a note'], trials: 2, gate: false },
      { cwd: fixture.project, vitestArgs: ['run'], env: { OPENAI_BASE_URL: fixture.sim.url, OPENAI_API_KEY: 'k', SELF_HARNESS_MODEL: 'sim-steady', NO_COLOR: '1' } },
    )
    expect(result.exitCode, result.stdout + result.stderr).toBe(0)
    expect(result.outcome?.kind).toBe('run')
    const record = await readRecord((result.outcome as { recordFile: string }).recordFile)
    expect(record.tasks.map((t) => [t.id, t.trials.length])).toEqual([['tasks/write-note.test.ts > writes a note', 2]])
  })

  it('hands back why a run did not start (an unknown harness), with the code', async () => {
    const result = await runSuite(
      { harness: 'no-such-harness', outputDir: fixture.out, gate: false },
      { cwd: fixture.project, vitestArgs: ['run'], env: { OPENAI_BASE_URL: fixture.sim.url, OPENAI_API_KEY: 'k', SELF_HARNESS_MODEL: 'sim-steady', NO_COLOR: '1' } },
    )
    expect(result.exitCode).not.toBe(0)
    expect(result.outcome).toMatchObject({ kind: 'startup-error' })
    expect((result.outcome as { message: string }).message).toContain('no-such-harness')
  })
})
