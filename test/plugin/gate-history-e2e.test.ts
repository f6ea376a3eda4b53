import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { useFixtureProject } from '../support/fixture-project.js'

// The README's workflow at --trials=3 with the gate's default policy: the baseline is accepted, baseline runs on
// main add their trials to its history, an unchanged harness passes the check, and a candidate that breaks a task
// that passed every trial is blocked by name even though it fixes another; `compare` agrees with the run.

const fixture = useFixtureProject({ project: 'gate-project', output: '.self-harness-history', seed: 3, env: { GATE_UNDERPOWERED: 'insufficient-evidence' } })
const { out } = fixture
const selfHarness = fixture.run
const verdictOf = async (name: string) => JSON.parse(await readFile(join(out, 'runs', `${name}.verdict.json`), 'utf8'))

it('blocks a candidate that breaks a 3/3 task (exit 1, named) though it fixes another, and compare agrees', async () => {
  const baselineFile = join(out, 'self-harness.baseline.json')
  const first = await selfHarness(['vitest', 'run', '--harness=baseline', '--trials=3', '--no-gate'])
  // commit-file fails under the baseline harness; a run that completed without a gate exits 0 (the gate decides)
  expect(first.exitCode, first.all).toBe(0)
  expect(first.all).toContain('3 failed')
  const accepted = await selfHarness(['accept', join(out, 'runs', 'baseline.json'), `--to=${baselineFile}`])
  expect(accepted.exitCode, accepted.all).toBe(0)
  expect(accepted.stdout).toContain('starting a new history')

  // Baseline runs on main: an unchanged harness passes the check (exit 0) and adds its trials to the history.
  for (const round of [1, 2]) {
    const main = await selfHarness(['vitest', 'run', '--harness=baseline', '--trials=3', `--baseline=${baselineFile}`])
    expect(main.exitCode, main.all).toBe(0)
    expect(main.stdout, `round ${round}`).toContain('ACCEPTED')
    expect(main.stdout).toContain('added to the baseline history')
  }
  const history = JSON.parse(await readFile(join(out, 'self-harness.baseline.history.json'), 'utf8'))
  expect(history.runs).toBe(3)
  expect(history.tasks.every((t: { trials: number }) => t.trials === 9)).toBe(true)

  const run = await selfHarness(['vitest', 'run', '--harness=swapper', '--trials=3', `--baseline=${baselineFile}`])
  expect(run.exitCode, run.all).toBe(1)
  expect(run.stdout).toContain('REGRESSION')
  const verdict = await verdictOf('swapper')
  expect(verdict.regressions).toEqual([expect.stringContaining('counts lines')])
  expect(verdict.fixes).toEqual([expect.stringContaining('commits a file')])
  expect(verdict.baselineEvidence).toMatchObject({ source: 'history', runs: 3, trials: 27 })
  expect(verdict.policy).toMatchObject({ mode: 'check', underpowered: 'insufficient-evidence' })
  const lost = verdict.tasks.find((t: { id: string }) => t.id.includes('counts lines'))
  expect(lost).toMatchObject({ stability: 'stable', baseline: { pass: 9, fail: 0 }, candidate: { pass: 0, fail: 3 } })
  expect(lost.passK.candidate).toEqual({ passAtK: 0, passHatK: 0 })
  expect(verdict.passK.k).toBe(3)

  // The same pair through compare: the policy the run recorded and the history beside the baseline.
  const compared = await selfHarness(['compare', baselineFile, join(out, 'runs', 'swapper.json'), '--json'])
  expect(compared.exitCode, compared.all).toBe(1)
  const again = JSON.parse(compared.stdout)
  for (const key of ['status', 'exitCode', 'regressions', 'fixes', 'suspectedRegressions', 'policy', 'baselineEvidence', 'passK']) {
    expect(again[key], key).toEqual(verdict[key])
  }

  // Without the history, 3/3 -> 0/3 cannot be told from noise at the first look: a suspected regression, never "flaky".
  const alone = await selfHarness(['compare', baselineFile, join(out, 'runs', 'swapper.json'), '--json', `--history=${join(out, 'none.json')}`])
  expect(alone.exitCode, alone.all).toBe(3)
  const suspected = JSON.parse(alone.stdout)
  expect(suspected.suspectedRegressions).toEqual([expect.stringContaining('counts lines')])
  expect(suspected.flaky).toEqual([])
  expect(suspected.followUp.command).toMatch(/^self-harness vitest run --harness=swapper --trials=3 --baseline=\S+self-harness\.baseline\.json --adaptive=\d+$/)

  // Promoting the swapper over the baseline is refused: it regresses.
  const promote = await selfHarness(['accept', join(out, 'runs', 'swapper.json'), `--to=${baselineFile}`])
  expect(promote.exitCode, promote.all).toBe(1)
  expect(promote.stdout).toContain('mode promote')
})
