import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSimServer, type SimServer } from '../../fixtures/sim/server.js'
import { createModelClient, resolveModelOptions } from '../../src/agent/model.js'
import { createVitestTaskRunner } from '../../src/cli/vitest-task-runner.js'
import { openLedger, type LedgerEntry } from '../../src/evolve/ledger.js'
import { evolve, type EvolveResult } from '../../src/evolve/loop.js'
import { taskPasses, withAbsoluteTraces } from '../../src/evolve/port.js'
import { validateCandidate } from '../../src/evolve/validate.js'
import { applyPatch } from '../../src/harness/patch.js'
import { harnessId, loadHarness, parseHarness, type HarnessVersion } from '../../src/harness/version.js'
import { readRecord } from '../../src/record/store.js'

// The self-harness loop end to end: real vitest runs of a small task suite (test/fixtures/evolve-project), the
// simulated model over HTTP as the agent, the miner's namer and the proposer, a fixed seed.

const project = resolve(import.meta.dirname, '../fixtures/evolve-project')
let sim: SimServer
let out: string
let baseline: HarnessVersion
let result: EvolveResult
let entries: LedgerEntry[]

const of = <K extends LedgerEntry['kind']>(kind: K) => entries.filter((e): e is Extract<LedgerEntry, { kind: K }> => e.kind === kind)
const env = () => ({ OPENAI_BASE_URL: sim.url, OPENAI_API_KEY: 'k', SELF_HARNESS_MODEL: 'sim-steady' })

beforeAll(async () => {
  sim = await startSimServer({ solutionsDir: join(project, 'solutions'), seed: 5 })
  out = await mkdtemp(join(tmpdir(), 'evolve-e2e-'))
  baseline = await loadHarness('baseline', join(project, 'harnesses'))
  const dir = join(out, 'evolve')
  result = await evolve({
    runner: createVitestTaskRunner({ projectDir: project, workDir: join(dir, 'work'), env: env() }),
    client: createModelClient(resolveModelOptions({ baseURL: sim.url, apiKey: 'k', model: 'sim-steady' })),
    baseline,
    dir,
    maxIterations: 3,
    weaknessesPerIteration: 1,
    proposalsPerWeakness: 3,
  })
  entries = [...(await openLedger(result.ledgerFile)).entries]
}, 180_000)

afterAll(async () => {
  await sim?.close()
  if (out) await rm(out, { recursive: true, force: true })
  for (const name of await readdir(project)) if (name.startsWith('.self-harness')) await rm(join(project, name), { recursive: true, force: true })
})

describe('evolve on a small suite against the simulated model', () => {
  it('splits the tasks by the tags in their names and runs the baseline once', () => {
    const [start] = of('start')
    const splits = Object.values(start!.splits)
    expect(splits.filter((s) => s === 'train')).toHaveLength(8)
    expect(splits.filter((s) => s === 'validation')).toHaveLength(5)
    expect(splits.filter((s) => s === 'sealed')).toHaveLength(1)
    expect(of('baseline')).toHaveLength(1)
    expect(result.baseline.harnessId).toBe(baseline.id)
    expect(result.model).toBe('sim-steady')
  })

  it('accepts an edit that makes a target task pass', () => {
    const accepted = of('validation').filter((v) => v.accepted)
    expect(accepted.length).toBeGreaterThanOrEqual(1)
    for (const v of accepted) {
      expect(v.targetFixed.length).toBeGreaterThanOrEqual(1)
      expect(v.regressions).toEqual([])
    }
    // The steady model forgets the git identity: the fixed targets are the commit tasks.
    const fixed = accepted.flatMap((v) => v.targetFixed)
    expect(fixed.some((id) => id.startsWith('tasks/commit-file.test.ts'))).toBe(true)
    expect(fixed.every((id) => /commit|git-/.test(id))).toBe(true)
  })

  it('rejects edits that fix no target task, after running only the target tasks', () => {
    const rejected = of('validation').filter((v) => !v.accepted)
    expect(rejected.length).toBeGreaterThanOrEqual(1)
    const missed = rejected.filter((v) => v.reason.startsWith('no task showing the target weakness passes now'))
    expect(missed.length).toBeGreaterThanOrEqual(1)
    for (const v of missed) {
      expect(v.stoppedEarly).toBe(true)
      expect(v.trialsRun).toBeLessThan(v.trialsReused) // the target tasks only, not the decision set
    }
  })

  it('writes each accepted version as a harness file whose parent is the version before it', async () => {
    expect(result.accepted.length).toBeGreaterThanOrEqual(1)
    let parent = baseline.id
    for (const step of result.accepted) {
      expect(step.parent).toBe(parent)
      const version = parseHarness(JSON.parse(await readFile(step.file, 'utf8')), step.file)
      expect(version.spec.parent).toBe(parent)
      expect(harnessId(version.spec)).toBe(step.harnessId)
      expect(step.proposals.length).toBeGreaterThanOrEqual(1)
      parent = step.harnessId
    }
    expect(of('accepted').map((a) => [a.harnessId, a.parent])).toEqual(result.accepted.map((s) => [s.harnessId, s.parent]))
    expect(result.final.harnessId).toBe(parent)
    expect(result.final.file).toBe(result.accepted.at(-1)!.file)
  })

  it('gains on the validation split, stops by itself, and runs fewer trials than a naive loop', () => {
    const before = result.baseline.summary
    const after = result.final.summary
    expect(after.validation.passed).toBeGreaterThanOrEqual(before.validation.passed)
    expect(after.train.passed).toBeGreaterThan(before.train.passed)
    expect(after.sealed).toBeDefined()
    expect(['converged', 'iteration-limit']).toContain(result.stopReason)
    expect(of('end')).toEqual([expect.objectContaining({ reason: result.stopReason, harnessId: result.final.harnessId })])
    expect(result.trialsRun).toBeGreaterThan(0)
    expect(result.trialsRun).toBeLessThan(result.naiveTrials)
    expect(result.proposalsTried).toBe(of('validation').filter((v) => v.proposalIds.length === 1).length)
  })

  it('rejects a hand-written edit that fixes the commit tasks but cuts the turn limit, naming a task that regressed', async () => {
    // Set the git identity in a shell wrapper (the two target tasks then commit by their second turn) and allow only
    // two turns: the tasks whose work takes three commands regress.
    const spec = applyPatch(baseline.spec, [
      { op: 'add', path: '/tools/shell/before/-', value: { match: '\\bgit\\b.*\\bcommit\\b', run: 'git config user.name Agent && git config user.email agent@localhost' } },
      { op: 'replace', path: '/limits/maxTurns', value: 2 },
    ])
    const candidate: HarnessVersion = { name: 'turn-cut', id: harnessId(spec), spec: { ...spec, name: 'turn-cut', parent: baseline.id } }
    const [start] = of('start')
    const [base] = of('baseline')
    const baseRecord = resolve(dirname(result.ledgerFile), base!.record) // ledger paths are relative to its folder
    const current = new Map(withAbsoluteTraces(await readRecord(baseRecord), baseRecord).map((t) => [t.id, t]))
    const decisionTasks = Object.keys(start!.splits).filter((id) => start!.splits[id] !== 'sealed')
    const needThree = ['files-delete-tmp', 'files-permissions'].map((stem) => decisionTasks.find((id) => id.startsWith(`tasks/${stem}.test.ts`))!)
    for (const id of needThree) expect(taskPasses(current.get(id)), id).toBe(true)
    const targets = new Set(decisionTasks.filter((id) => start!.splits[id] === 'train' && /^tasks\/(commit-file|git-amend-message)\./.test(id)))
    expect(targets.size).toBe(2)

    const workDir = join(out, 'turn-cut')
    const v = await validateCandidate({
      candidate,
      current,
      decisionTasks,
      targets,
      runner: createVitestTaskRunner({ projectDir: project, workDir, env: env() }),
      trials: 1,
      label: 'turn-cut',
      fragility: new Map(),
    })
    expect(v.accepted).toBe(false)
    expect(v.targetFixed.length).toBeGreaterThanOrEqual(1)
    expect(v.regressions.length).toBeGreaterThanOrEqual(1)
    for (const id of v.regressions) expect(needThree).toContain(id)
    expect(v.reason).toBe(`${v.regressions.length} task(s) that passed now fail`)
    // The run stopped at the regression: the other failing tasks never ran.
    expect(v.stoppedEarly).toBe(true)
    expect((await readdir(join(workDir, 'runs'))).sort()).toEqual(['turn-cut-regress', 'turn-cut-target'])
  }, 60_000)
})
