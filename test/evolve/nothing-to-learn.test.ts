import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { nothingLearned, type EvolveResult } from '../../src/evolve/loop.js'
import { useFixtureProject } from '../support/fixture-project.js'

// An evolve run that cannot learn anything says why and exits 1 (promotion needs a net gain), and every place
// that counts iterations gives the same number.

const fixture = useFixtureProject({ project: 'evolve-project', output: '.self-harness-nothing', seed: 3, model: 'sim-oracle' })

describe('evolve with nothing to learn', () => {
  it('exits 1 and says that every train task passes already; the log and the summary count one iteration', async () => {
    const run = await fixture.run(['evolve', `--dir=${join(fixture.out, 'evolve')}`, '--max-iterations=3'])
    expect(run.exitCode, run.all).toBe(1)
    expect(run.stderr).toMatch(/nothing to learn from: all \d+ train task\(s\) pass under the baseline harness already/)
    expect(run.stdout).toContain('1 iteration(s), stopped: nothing learned')
    expect(run.stderr).toContain('iteration 1:')
    expect(run.stderr).not.toContain('iteration 2:')
    expect(run.stdout).not.toContain('converged')
  }, 240_000)
})

const result = (over: Partial<EvolveResult>): EvolveResult => ({
  model: 'm',
  baseline: { harnessId: 'h0', summary: { train: { passed: 0, tasks: 4 }, validation: { passed: 0, tasks: 2 } } },
  final: { harnessId: 'h0', file: undefined, summary: { train: { passed: 0, tasks: 4 }, validation: { passed: 0, tasks: 2 } } },
  iterations: 1,
  stopReason: 'converged',
  accepted: [],
  proposalsTried: 0,
  proposalsRefused: 0,
  trialsRun: 6,
  naiveTrials: 6,
  modelCalls: 10,
  ledgerFile: 'ledger.jsonl',
  ...over,
})

describe('nothingLearned', () => {
  it('names each way a loop learns nothing, and nothing when an edit was accepted', () => {
    expect(nothingLearned(result({ proposalsRefused: 5 }))).toBe('nothing learned: all 5 proposal(s) were refused by the guards, so no edit was validated.')
    expect(nothingLearned(result({ proposalsTried: 3, proposalsRefused: 1 }))).toBe('nothing learned: 3 proposal(s) validated and none accepted, 1 more refused by the guards; the harness is unchanged.')
    expect(nothingLearned(result({ stopReason: 'no-weaknesses' }))).toContain('show no weakness that recurs across tasks')
    expect(nothingLearned(result({ baseline: { harnessId: 'h0', summary: { train: { passed: 0, tasks: 0 }, validation: { passed: 0, tasks: 2 } } } }))).toContain('no task is in the train split')
    expect(nothingLearned(result({ accepted: [{ iteration: 1, harnessId: 'h1', parent: 'h0', file: 'f', proposals: [] }] }))).toBeUndefined()
  })
})
