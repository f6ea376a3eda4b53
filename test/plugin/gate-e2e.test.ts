import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSimServer } from '../../fixtures/sim/server.js'
import { RunRecordSchema, type RunRecord } from '../../src/record/schema.js'

// Real vitest runs of a small fixture project, started through the `self-harness` command as a process,
// against the simulated model server over HTTP.

const project = resolve(import.meta.dirname, '../fixtures/gate-project')
const cli = resolve(import.meta.dirname, '../../dist/src/cli/bin.js')
let sim: Awaited<ReturnType<typeof startSimServer>>
let out: string
let env: Record<string, string>

beforeAll(async () => {
  sim = await startSimServer({ solutionsDir: join(project, 'solutions'), seed: 1 })
  out = await mkdtemp(join(tmpdir(), 'gate-e2e-'))
  env = { OPENAI_BASE_URL: sim.url, OPENAI_API_KEY: 'test-key', SELF_HARNESS_MODEL: 'sim-steady', NO_COLOR: '1' }
})
afterAll(async () => {
  await sim?.close()
  await rm(out, { recursive: true, force: true })
  await rm(join(project, '.self-harness'), { recursive: true, force: true })
})

function selfHarness(args: string[]) {
  return execa(process.execPath, [cli, ...args], { cwd: project, env, reject: false, all: true })
}

async function record(name: string): Promise<RunRecord> {
  return RunRecordSchema.parse(JSON.parse(await readFile(join(project, '.self-harness', 'runs', `${name}.json`), 'utf8')))
}

const outcomeOf = (rec: RunRecord, stem: string) => rec.tasks.find((t) => t.file.includes(stem))?.trials.map((t) => t.outcome)

describe('a task suite run under harness versions and gated', () => {
  it('records a passing and a failing task under the baseline', async () => {
    const run = await selfHarness(['vitest', 'run', '--harness=baseline', '--no-gate'])
    expect(run.exitCode, run.all).toBe(0) // a task failed, but the run completed: without a gate, failing tasks are data
    const rec = await record('baseline')
    expect(rec.harness.name).toBe('baseline')
    expect(rec.model).toBe('sim-steady')
    expect(rec.tasks).toHaveLength(3)
    expect(outcomeOf(rec, 'write-note')).toEqual(['pass'])
    expect(outcomeOf(rec, 'count-lines')).toEqual(['pass'])
    expect(outcomeOf(rec, 'commit-file')).toEqual(['fail'])
    const trial = rec.tasks.find((t) => t.file.includes('commit-file'))!.trials[0]!
    expect(trial.tokens.prompt).toBeGreaterThan(0)
    expect(trial.reason).toContain('chore: version file')
    const trace = await readFile(join(project, '.self-harness', 'runs', trial.tracePath!), 'utf8')
    const events = trace.trim().split('\n').map((line) => JSON.parse(line))
    expect(events[0].kind).toBe('trial-start')
    expect(events.map((e) => e.kind)).toContain('tool-result')
    expect(events.some((e) => e.kind === 'tool-result' && /Author identity unknown/.test(e.output))).toBe(true)
    expect(events.at(-2).kind).toBe('trial-end')
    expect(events.at(-1)).toMatchObject({ kind: 'error', source: 'assertion' }) // why the trial failed
  })

  it('makes the baseline record the committed baseline with accept', async () => {
    const accepted = await selfHarness(['accept', '.self-harness/runs/baseline.json', `--to=${join(out, 'baseline.json')}`])
    expect(accepted.exitCode, accepted.all).toBe(0)
    expect(accepted.stdout).toContain('Accepted')
  })

  it('accepts a candidate that fixes a task and breaks nothing (exit 0)', async () => {
    const run = await selfHarness(['vitest', 'run', '--harness=fixer', `--baseline=${join(out, 'baseline.json')}`])
    expect(run.exitCode, run.all).toBe(0)
    expect(run.stdout).toMatch(/accepted/i)
    expect(run.stdout).toContain('commit-file')
    const verdict = JSON.parse(await readFile(join(project, '.self-harness', 'runs', 'fixer.verdict.json'), 'utf8'))
    expect(verdict.status).toBe('accepted')
    expect(verdict.fixes.join()).toContain('commit-file')
  })

  it('blocks a candidate that breaks a task the baseline passed (exit 1)', async () => {
    const run = await selfHarness(['vitest', 'run', '--harness=breaker', `--baseline=${join(out, 'baseline.json')}`])
    expect(run.exitCode, run.all).toBe(1)
    expect(run.stdout).toMatch(/regression/i)
    expect(run.stdout).toContain('count-lines')
    const compared = await selfHarness(['compare', join(out, 'baseline.json'), '.self-harness/runs/breaker.json', '--json', '--underpowered=strict'])
    expect(compared.exitCode).toBe(1)
    const verdict = JSON.parse(compared.stdout)
    expect(verdict.status).toBe('regression')
    expect(verdict.regressions.join()).toContain('count-lines')
  })

  it('writes a step summary and annotates the regressing task file in GitHub Actions', async () => {
    const summary = join(out, 'step-summary.md')
    const run = await execa(process.execPath, [cli, 'vitest', 'run', '--harness=breaker', `--baseline=${join(out, 'baseline.json')}`], {
      cwd: project,
      env: { ...env, GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary, GITHUB_WORKSPACE: resolve(project, '../../..') },
      reject: false,
      all: true,
    })
    expect(run.exitCode, run.all).toBe(1)
    const markdown = await readFile(summary, 'utf8')
    expect(markdown).toContain('## self-harness: Blocked: regression (exit 1)')
    expect(markdown).toMatch(/### Regressions \(1\)[\s\S]*count-lines[\s\S]*\| 1\/1 \| 0\/1 \|/)
    expect(markdown).toMatch(/Tokens [\d,]+ -> [\d,]+/)
    expect(run.stdout).toContain('::error file=test/fixtures/gate-project/tasks/count-lines.test.ts,title=self-harness regression::')
  })

  it('refuses a record whose harness file changed after it was written (exit 3)', async () => {
    const dir = join(out, 'changed-harnesses')
    await mkdir(dir, { recursive: true })
    const spec = JSON.parse(await readFile(join(project, 'harnesses', 'baseline.json'), 'utf8'))
    await writeFile(join(dir, 'baseline.json'), JSON.stringify({ ...spec, rules: ['An edit made after the record.'] }))
    const compared = await selfHarness(['compare', join(out, 'baseline.json'), '.self-harness/runs/fixer.json', `--harness-dir=${dir}`])
    expect(compared.exitCode, compared.all).toBe(3)
    expect(compared.all).toContain('the harness changed after its record was written')
  })

  it('refuses a malformed harness file with the file and the field (exit 2)', async () => {
    const run = await selfHarness(['vitest', 'run', '--harness=malformed'])
    expect(run.exitCode).toBe(2)
    expect(run.all).toContain('malformed.json')
    expect(run.all).toContain('limits.maxTurns')
  })

  it('refuses an unknown harness name (exit 2)', async () => {
    const run = await selfHarness(['vitest', 'run', '--harness=nonexistent'])
    expect(run.exitCode).toBe(2)
    expect(run.all).toContain('Unknown harness `nonexistent`')
  })

  it('refuses to compare records of different task sets (exit 3)', async () => {
    // A filtered run merges into the full record before it; in an output folder of its own it holds only what ran.
    const partial = join(out, 'partial')
    const run = await execa(process.execPath, [cli, 'vitest', 'run', '--harness=fixer', '--no-gate', 'tasks/write-note'], { cwd: project, env: { ...env, SELF_HARNESS_OUTPUT_DIR: partial }, reject: false, all: true })
    expect(run.exitCode, run.all).toBe(0)
    const compared = await selfHarness(['compare', join(out, 'baseline.json'), join(partial, 'runs', 'fixer.json')])
    expect(compared.exitCode).toBe(3)
    expect(compared.all).toMatch(/task set/i)
  })
})
