import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { useFixtureProject } from '../support/fixture-project.js'
import { readRecord } from '../../src/record/store.js'

// Adaptive trials through the CLI: one trial per task cannot tell a drop from noise (exit 3); `--adaptive` runs
// more trials of the disputed task only, on both sides, until the gate can decide.

const fixture = useFixtureProject({ project: 'gate-project', output: '.self-harness-adaptive', seed: 2, env: { GATE_UNDERPOWERED: 'insufficient-evidence' } })
const { out } = fixture
const selfHarness = fixture.run

it('turns an undecided drop into a decision by running more trials of that task only', async () => {
  await selfHarness(['vitest', 'run', '--harness=baseline', '--no-gate'])
  const baselineFile = join(out, 'committed-baseline.json')
  expect((await selfHarness(['accept', join(out, 'runs', 'baseline.json'), `--to=${baselineFile}`])).exitCode).toBe(0)

  const plain = await selfHarness(['vitest', 'run', '--harness=breaker', `--baseline=${baselineFile}`])
  expect(plain.exitCode, plain.all).toBe(3) // one trial each side: the drop cannot be told from noise
  expect(plain.stdout).toMatch(/INSUFFICIENT EVIDENCE/)

  const adaptive = await selfHarness(['vitest', 'run', '--harness=breaker', `--baseline=${baselineFile}`, '--adaptive=20'])
  expect(adaptive.exitCode, adaptive.all).toBe(1)
  expect(adaptive.stdout).toMatch(/self-harness adaptive round 1/)
  expect(adaptive.stdout).toMatch(/Spent \d+ extra task trial\(s\) of 20/)
  expect(adaptive.stdout).toMatch(/REGRESSION/)
  const candidate = await readRecord(join(out, 'runs', 'breaker.json'))
  const trialsOf = (stem: string) => candidate.tasks.find((t) => t.file.includes(stem))!.trials.length
  expect(trialsOf('count-lines')).toBeGreaterThanOrEqual(3) // the disputed task got more trials
  expect(trialsOf('write-note')).toBe(1) // the others did not
  // The record still asks for one trial per task: the extra trials of one task never make the others' count as errors.
  expect(candidate.trials).toBe(1)
  const verdict = JSON.parse(await readFile(join(out, 'runs', 'breaker.verdict.json'), 'utf8'))
  expect(verdict.counts.errored).toBe(0)
  expect(verdict.look).toBeGreaterThan(1)
  expect(verdict.regressions).toEqual([expect.stringContaining('counts lines')])
  const compared = await selfHarness(['compare', join(out, 'adaptive-baseline', 'runs', 'baseline.json'), join(out, 'runs', 'breaker.json'), '--json', `--look=${verdict.look}`])
  expect(JSON.parse(compared.stdout).counts.errored).toBe(0)
  const committed = JSON.parse(await readFile(baselineFile, 'utf8'))
  expect(committed.tasks.every((t: { trials: unknown[] }) => t.trials.length === 1)).toBe(true) // never changed
})
