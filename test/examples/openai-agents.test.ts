import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSimServer, type SimServer } from '../../fixtures/sim/server.js'
import type { EvolveResult } from '../../src/evolve/loop.js'
import { readRecord } from '../../src/record/store.js'
import { readTrace } from '../../src/trace/reader.js'
import { VerdictSchema } from '../../src/gate/verdict.js'
import agent from '../../examples/openai-agents/agent.js'

// The worked example end to end: an agent built with the OpenAI Agents SDK (examples/openai-agents), run by real
// vitest processes through the `self-harness` command against the simulated model over HTTP. The steady profile
// forgets the git identity before commits; the example's baseline instructions do not mention it.

const project = resolve(import.meta.dirname, '../../examples/openai-agents')
const cli = resolve(import.meta.dirname, '../../dist/src/cli/bin.js')
let sim: SimServer
let out: string
const env = () => ({ OPENAI_BASE_URL: sim.url, OPENAI_API_KEY: 'k', SELF_HARNESS_MODEL: 'sim-steady', NO_COLOR: '1', SELF_HARNESS_OUTPUT_DIR: join(out, 'runs-out') })
const selfHarness = (args: string[], extra: Record<string, string> = {}) => execa(process.execPath, [cli, ...args], { cwd: project, env: { ...env(), ...extra }, reject: false, all: true })
const baselineJson = async () => JSON.parse(await readFile(join(project, 'harnesses', 'baseline.json'), 'utf8')) as { instructions: string }

beforeAll(async () => {
  sim = await startSimServer({ solutionsDir: join(project, 'solutions'), seed: 3 })
  out = await mkdtemp(join(tmpdir(), 'openai-agents-example-'))
})
afterAll(async () => {
  await sim?.close()
  if (out) await rm(out, { recursive: true, force: true })
  for (const name of await readdir(project)) if (name.startsWith('.self-harness')) await rm(join(project, name), { recursive: true, force: true })
})

describe('the OpenAI Agents SDK example', () => {
  it('runs the SDK agent under its own harness data; the trace comes from its recorder', async () => {
    const run = await selfHarness(['vitest', 'run', '--no-gate'])
    expect(run.exitCode, run.all).toBe(0)
    const recordFile = join(out, 'runs-out', 'runs', 'baseline.json')
    const record = await readRecord(recordFile)
    // The id is the content hash of the agent's harness data, validated by the agent's own schema.
    expect(record.harness).toEqual({ name: 'baseline', id: agent.format.parse(await baselineJson(), 'baseline.json', 'baseline').id })
    const outcome = (stem: string) => record.tasks.find((t) => t.file.includes(stem))?.trials.map((t) => t.outcome)
    expect(outcome('count-words')).toEqual(['pass'])
    expect(outcome('commit-changelog')).toEqual(['fail'])
    expect(outcome('tag-release')).toEqual(['fail'])
    const trial = record.tasks.find((t) => t.file.includes('tag-release'))!.trials[0]!
    expect(trial.tokens.prompt).toBeGreaterThan(0)
    expect(trial.turns).toBeGreaterThanOrEqual(2)
    const events = await readTrace(join(out, 'runs-out', 'runs', trial.tracePath!))
    expect(events[0]).toMatchObject({ kind: 'trial-start', harnessId: record.harness.id, model: 'sim-steady' })
    expect(events.some((e) => e.kind === 'model-response' && e.toolCalls.some((c) => c.name === 'run_command'))).toBe(true)
    expect(events.some((e) => e.kind === 'tool-result' && e.name === 'run_command' && !e.ok && /Author identity unknown/.test(e.output))).toBe(true)
    expect(events.findLast((e) => e.kind === 'trial-end')).toMatchObject({ status: 'finished' })
  })

  it('blocks a candidate harness that breaks a passing task (exit 1)', async () => {
    const accepted = await selfHarness(['accept', join(out, 'runs-out', 'runs', 'baseline.json'), `--to=${join(out, 'baseline.json')}`])
    expect(accepted.exitCode, accepted.all).toBe(0)
    const run = await selfHarness(['vitest', 'run', '--harness=fewer-turns', `--baseline=${join(out, 'baseline.json')}`])
    expect(run.exitCode, run.all).toBe(1)
    expect(run.all).toContain('REGRESSION')
    const verdict = VerdictSchema.parse(JSON.parse(await readFile(join(out, 'runs-out', 'runs', 'fewer-turns.verdict.json'), 'utf8')))
    expect(verdict.regressions).toEqual(['tasks/count-words.test.ts > counts the words of the notes @validation'])
  })

  it("refuses a harness file the agent's schema rejects, naming the file and the field (exit 2)", async () => {
    const dir = join(out, 'bad-harnesses')
    await mkdir(dir, { recursive: true })
    await writeFile(join(dir, 'broken.json'), JSON.stringify({ ...(await baselineJson()), maxTurns: 'many' }))
    const run = await selfHarness(['vitest', 'run', '--harness=broken'], { SELF_HARNESS_DIR: dir })
    expect(run.exitCode, run.all).toBe(2)
    expect(run.all).toMatch(/broken\.json: field `maxTurns`/)
  })

  it("evolve improves the agent's instructions with the same model: an edit that fixes the weakness is accepted with no regression", async () => {
    const dir = join(out, 'evolve')
    const run = await selfHarness(['evolve', '--agent=./agent.ts', `--dir=${dir}`, '--max-iterations=2', '--weaknesses=1', '--proposals=5', '--json'])
    expect(run.exitCode, run.stderr).toBe(0)
    const result = JSON.parse(run.stdout) as EvolveResult
    expect(result.baseline.summary.train).toEqual({ passed: 0, tasks: 2 })
    expect(result.final.summary.train).toEqual({ passed: 2, tasks: 2 })
    expect(result.final.summary.validation).toEqual({ passed: 1, tasks: 1 })
    expect(result.accepted.length).toBeGreaterThanOrEqual(1)
    const paths = result.accepted.flatMap((step) => step.proposals.flatMap((p) => p.patch.map((op) => op.path)))
    expect(paths).toContain('/instructions')
    // The accepted version is the team's data, valid under its schema, and the grow-only instructions only grew.
    const final = agent.format.parse(JSON.parse(await readFile(result.final.file!, 'utf8')), result.final.file!, 'final')
    expect(final.id).toBe(result.final.harnessId)
    const instructions = (final.spec as { instructions: string }).instructions
    expect(instructions.startsWith((await baselineJson()).instructions)).toBe(true)
    expect(instructions).toMatch(/user\.name/)
    expect(Object.keys(final.spec as object).sort()).toEqual(['commandTimeoutMs', 'instructions', 'maxTurns', 'tools'])
  }, 300_000)
})
