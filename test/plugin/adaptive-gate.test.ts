import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { useFixtureProject } from '../support/fixture-project.js'

// `--adaptive` through the command as a process: the printed follow-up command can be run as it stands, the step
// summary and the annotations end with the verdict the process exits with, a regression found at the first look
// stands, and `--adaptive` on an ungated run is refused instead of passing for a settled gate.

const fixture = useFixtureProject({ project: 'gate-project', output: '.self-harness-adaptive-gate', seed: 3, env: { GATE_UNDERPOWERED: 'insufficient-evidence' } })
const { out } = fixture
const selfHarness = fixture.run
const baselineFile = () => join(out, 'self-harness.baseline.json')

it('prints a follow-up command that names the baseline, and following it settles the gate', async () => {
  expect((await selfHarness(['vitest', 'run', '--harness=baseline', '--trials=3', '--no-gate'])).exitCode).toBe(0)
  const accepted = await selfHarness(['accept', join(out, 'runs', 'baseline.json'), `--to=${baselineFile()}`])
  expect(accepted.exitCode, accepted.all).toBe(0)
  // 3/3 -> 0/3 without a longer history: suspected, and the advice carries the baseline.
  const first = await selfHarness(['vitest', 'run', '--harness=swapper', '--trials=3', `--baseline=${baselineFile()}`])
  expect(first.exitCode, first.all).toBe(3)
  const verdict = JSON.parse(await readFile(join(out, 'runs', 'swapper.verdict.json'), 'utf8'))
  expect(verdict.followUp.command).toMatch(/^self-harness vitest run --harness=swapper --trials=3 --baseline=\S+ --adaptive=\d+$/)
  expect(first.stdout).toContain(verdict.followUp.command)
  const advised = verdict.followUp.command.split(' ').slice(1) as string[]
  const followed = await selfHarness(advised)
  expect(followed.exitCode, followed.all).toBe(1)
  expect(followed.stdout).toMatch(/self-harness adaptive round 1/)
  expect(followed.stdout).toMatch(/REGRESSION/)
})

it('ends the step summary and the annotations with the final verdict after follow-up looks', async () => {
  const summary = join(out, 'step-summary.md')
  await writeFile(summary, '')
  const github = { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary, GITHUB_WORKSPACE: fixture.project }
  const result = await selfHarness(['vitest', 'run', '--harness=swapper', '--trials=3', `--baseline=${baselineFile()}`, '--adaptive=20'], github)
  expect(result.exitCode, result.all).toBe(1)
  const text = await readFile(summary, 'utf8')
  const first = text.indexOf('## self-harness: Not enough evidence (exit 3)')
  const final = text.indexOf('## self-harness final verdict: Blocked: regression (exit 1)')
  expect(first, text).toBeGreaterThanOrEqual(0)
  expect(final, text).toBeGreaterThan(first)
  expect(text.slice(final)).toContain('supersedes the look 1 verdict above')
  expect(text.slice(final)).toContain('### Regressions (1)')
  // The error annotation names the regression, and comes after the rounds that found it.
  const rounds = result.stdout.lastIndexOf('self-harness adaptive')
  const annotation = result.stdout.indexOf('::error file=tasks/count-lines.test.ts,title=self-harness regression::')
  expect(annotation, result.stdout).toBeGreaterThan(rounds)
})

it('keeps a regression found at the first look: --adaptive runs no round and exits 1', async () => {
  // Two gated baseline runs give the history 9 trials a task: then 9/9 -> 0/3 is a regression at look 1.
  for (let i = 0; i < 2; i++) {
    const main = await selfHarness(['vitest', 'run', '--harness=baseline', '--trials=3', `--baseline=${baselineFile()}`])
    expect(main.exitCode, main.all).toBe(0)
  }
  const result = await selfHarness(['vitest', 'run', '--harness=swapper', '--trials=3', `--baseline=${baselineFile()}`, '--adaptive=40'])
  expect(result.exitCode, result.all).toBe(1)
  expect(result.stdout).toContain('it stands, and more trials cannot undo it')
  expect(result.stdout).not.toMatch(/self-harness adaptive round/)
  const verdict = JSON.parse(await readFile(join(out, 'runs', 'swapper.verdict.json'), 'utf8'))
  expect(verdict).toMatchObject({ status: 'regression', exitCode: 1, look: 1 })
})

it('refuses --adaptive on a run that is not gated, naming the missing baseline (exit 2)', async () => {
  const result = await selfHarness(['vitest', 'run', '--harness=swapper', '--trials=1', '--adaptive=12'])
  expect(result.exitCode, result.all).toBe(2)
  expect(result.stderr).toContain('`--adaptive` needs a gated run')
  expect(result.stderr).toContain('--baseline=<file>')
})
