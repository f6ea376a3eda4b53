import { cp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { execa } from 'execa'
import { describe, expect, it } from 'vitest'
import { readRecord } from '../../src/record/store.js'
import type { RunRecord } from '../../src/record/schema.js'
import { cliPath, useFixtureProject } from '../support/fixture-project.js'

// Records through the plugin in a real vitest run: no finished trial is lost or misfiled, whatever dies, whatever
// the run is limited to, whichever model runs.

const fixture = useFixtureProject({ project: 'records-project', output: '.self-harness-records', seed: 1, model: 'sim-oracle' })
const { project, out } = fixture

const run = (dir: string, args: string[], env: Record<string, string> = {}) =>
  execa(process.execPath, [cliPath, 'vitest', 'run', '--harness=baseline', '--no-gate', ...args], {
    cwd: project,
    env: { OPENAI_BASE_URL: fixture.sim.url, OPENAI_API_KEY: 'k', SELF_HARNESS_MODEL: 'sim-oracle', SELF_HARNESS_OUTPUT_DIR: dir, NO_COLOR: '1', ...env },
    reject: false,
    all: true,
  })
const cli = (args: string[]) => execa(process.execPath, [cliPath, ...args], { cwd: project, env: { NO_COLOR: '1' }, reject: false, all: true })
const record = (dir: string, name = 'baseline@sim-oracle') => readRecord(join(dir, 'runs', `${name}.json`))
const outcomes = (r: RunRecord) => Object.fromEntries(r.tasks.map((t) => [t.id.split(' > ')[0], t.trials.map((x) => x.outcome)]))
const exists = (file: string) => readFile(file).then(() => true, () => false)
const WRITE = 'tasks/write-note.test.ts > writes a note'
const COUNT = 'tasks/count-lines.test.ts > counts lines into a report'
const DIES = 'tasks/worker-dies.test.ts > survives its worker'

describe('machine faults are errors in the record', () => {
  it('records a trial whose worker died as an error with the reason, and --retry-errors runs it again', async () => {
    const dir = join(out, 'killed')
    const killed = await run(dir, ['--trials=2'], { RECORDS_KILL_WORKER: '1' })
    expect(killed.all).toContain('1 task(s) never finished')
    const first = await record(dir)
    expect(outcomes(first)).toEqual({ 'tasks/count-lines.test.ts': ['pass', 'pass'], 'tasks/worker-dies.test.ts': ['error', 'error'], 'tasks/write-note.test.ts': ['pass', 'pass'] })
    expect(first.tasks.find((t) => t.id === DIES)!.trials[0]!.reason).toMatch(/never finished: the worker process running it exited/)
    expect(await exists(join(dir, 'runs', 'baseline@sim-oracle.journal.jsonl'))).toBe(false)

    const retried = await run(dir, ['--trials=2', '--retry-errors'])
    expect(retried.exitCode, retried.all).toBe(0)
    const second = await record(dir)
    expect(outcomes(second)['tasks/worker-dies.test.ts']).toEqual(['pass', 'pass'])
    expect(second.tasks.find((t) => t.id === WRITE)!.trials).toEqual(first.tasks.find((t) => t.id === WRITE)!.trials)
  })

  it('records trials whose workspace cannot be created as errors with the reason', async () => {
    const dir = join(out, 'no-workspace')
    await mkdir(dir, { recursive: true })
    const notADir = join(dir, 'a-file')
    await writeFile(notADir, '')
    const result = await run(dir, [], { RECORDS_WORKSPACE_ROOT: notADir })
    expect(result.all).toContain('0 passed, 0 failed, 3 errors')
    const r = await record(dir)
    expect(r.tasks).toHaveLength(3)
    for (const task of r.tasks) {
      expect(task.trials).toHaveLength(1)
      expect(task.trials[0]).toMatchObject({ outcome: 'error', turns: 0 })
      expect(task.trials[0]!.reason).toMatch(/could not be set up/)
    }
  })
})

describe('journals and filtered runs', () => {
  it('resumes from a journal whose final newline an editor removed, and appends after it on a line of its own', async () => {
    const dir = join(out, 'no-newline')
    await run(dir, [])
    const done = await record(dir)
    const journal = join(dir, 'runs', 'baseline@sim-oracle.journal.jsonl')
    const count = done.tasks.find((t) => t.id === COUNT)!
    await writeFile(journal, JSON.stringify({ schemaVersion: 1, harnessId: done.harness.id, model: done.model, taskId: COUNT, trial: count.trials[0] })) // no newline
    // A run that appends to it and is killed: the next resume must still read every line.
    fixture.sim.setFaults({ slow: { probability: 1, delayMs: 150 } })
    const child = execa(process.execPath, [cliPath, 'vitest', 'run', '--harness=baseline', '--no-gate', '--trials=3'], {
      cwd: project,
      env: { OPENAI_BASE_URL: fixture.sim.url, OPENAI_API_KEY: 'k', SELF_HARNESS_MODEL: 'sim-oracle', SELF_HARNESS_OUTPUT_DIR: dir },
      detached: true,
      reject: false,
    })
    const initial = (await readFile(journal, 'utf8')).length
    while (!((await readFile(journal, 'utf8').catch(() => '')).length > initial + 10)) {
      if (child.exitCode !== null) throw new Error('the run ended before it could be killed')
      await new Promise((r) => setTimeout(r, 20))
    }
    process.kill(-child.pid!, 'SIGKILL')
    await child
    fixture.sim.setFaults({})
    const resumed = await run(dir, ['--trials=3'])
    expect(resumed.exitCode, resumed.all).toBe(0)
    expect(resumed.all).toContain('resuming an interrupted run')
    const after = await record(dir)
    expect(after.tasks.map((t) => t.trials.length)).toEqual([3, 3, 3])
    expect(after.tasks.find((t) => t.id === COUNT)!.trials[0]).toEqual(count.trials[0])
    expect(await exists(journal)).toBe(false)
  })

  it('keeps the full record after a run filtered with -t or a file filter', async () => {
    const dir = join(out, 'filtered')
    await run(dir, [])
    const full = await record(dir)
    const byName = await run(dir, ['-t', 'writes a note'])
    expect(byName.all).toContain('a filtered run: 1 task(s) ran, 2 other task(s) keep their trials')
    const afterName = await record(dir)
    expect(afterName.tasks.map((t) => t.id)).toEqual(full.tasks.map((t) => t.id))
    expect(afterName.taskSetHash).toBe(full.taskSetHash)
    expect(afterName.tasks.find((t) => t.id === COUNT)!.trials).toEqual(full.tasks.find((t) => t.id === COUNT)!.trials)
    expect(afterName.tasks.find((t) => t.id === WRITE)!.trials[0]!.tracePath).not.toBe(full.tasks.find((t) => t.id === WRITE)!.trials[0]!.tracePath)

    await run(dir, ['tasks/count-lines'])
    const afterFile = await readRecord(join(dir, 'runs', 'baseline.json'))
    expect(afterFile.tasks.map((t) => t.id)).toEqual(full.tasks.map((t) => t.id))
    expect(afterFile.tasks.find((t) => t.id === WRITE)!.trials).toEqual(afterName.tasks.find((t) => t.id === WRITE)!.trials)
    // Every trace a kept trial names is still there.
    for (const trial of afterFile.tasks.flatMap((t) => t.trials)) expect(await exists(resolve(dir, 'runs', trial.tracePath!))).toBe(true)
  })
})

describe('records are keyed by harness and model', () => {
  it('keeps the record of one model when another model runs the same harness', async () => {
    const dir = join(out, 'models')
    await run(dir, [])
    const oracle = await record(dir)
    await run(dir, [], { SELF_HARNESS_MODEL: 'sim-steady' })
    const steady = await record(dir, 'baseline@sim-steady')
    expect(steady.model).toBe('sim-steady')
    expect(await record(dir)).toEqual(oracle)
    expect((await readRecord(join(dir, 'runs', 'baseline.json'))).model).toBe('sim-steady') // the latest run of the harness
    const models = await readdir(join(dir, 'traces'))
    expect(models.sort()).toEqual(['baseline@sim-oracle', 'baseline@sim-steady'])
  })

  it('runs everything again on --retry-errors after the harness file changed', async () => {
    const dir = join(out, 'changed')
    const harnesses = join(dir, 'harnesses')
    await cp(join(project, 'harnesses'), harnesses, { recursive: true })
    const env = { SELF_HARNESS_DIR: harnesses }
    await run(dir, [], env)
    const old = await record(dir)
    const spec = JSON.parse(await readFile(join(harnesses, 'baseline.json'), 'utf8'))
    await writeFile(join(harnesses, 'baseline.json'), JSON.stringify({ ...spec, systemPrompt: `${spec.systemPrompt} Check your work.` }))
    const before = fixture.sim.stats().completions
    const retried = await run(dir, ['--retry-errors'], env)
    expect(retried.all).toMatch(/--retry-errors: .* was made with harness \w+, not \w+; its trials are dropped and every trial runs again/)
    const now = await record(dir)
    expect(now.harness.id).not.toBe(old.harness.id)
    const trials = now.tasks.flatMap((t) => t.trials)
    expect(trials).toHaveLength(3)
    expect(fixture.sim.stats().completions - before).toBe(trials.reduce((n, t) => n + t.turns, 0))
    const oldTraces = new Set(old.tasks.flatMap((t) => t.trials.map((x) => x.tracePath)))
    for (const trial of trials) expect(oldTraces.has(trial.tracePath)).toBe(false)
  })
})

describe('accepted baselines', () => {
  it('keeps the trace paths of an accepted record valid, and the report names a trace that is missing', async () => {
    const dir = join(out, 'accepted')
    await run(dir, [])
    const accepted = join(dir, 'committed', 'deep', 'baseline.record.json')
    await mkdir(dirname(accepted), { recursive: true })
    expect((await cli(['accept', join(dir, 'runs', 'baseline.json'), `--to=${accepted}`])).exitCode).toBe(0)
    const gated = await run(dir, [`--baseline=${accepted}`, '--gate'].filter((a) => a !== '--gate'), { SELF_HARNESS_GATE: '1', SELF_HARNESS_BASELINE: accepted })
    expect(gated.exitCode, gated.all).toBe(0)
    const report = await cli(['report', join(dir, 'runs', 'baseline.json'), `--baseline=${accepted}`, `--out=${join(dir, 'report.html')}`])
    expect(report.exitCode, report.all).toBe(0)
    expect(report.all).not.toContain('could not be read')

    const base = await readRecord(accepted)
    const gone = base.tasks.find((t) => t.id === WRITE)!.trials[0]!
    await rm(resolve(dirname(accepted), gone.tracePath!))
    const missing = await cli(['report', join(dir, 'runs', 'baseline.json'), `--baseline=${accepted}`, `--out=${join(dir, 'report.html')}`])
    expect(missing.exitCode).toBe(0)
    const notes = missing.all.split('\n').filter((line) => line.includes('could not be read'))
    expect(notes).toHaveLength(1)
    expect(notes[0]).toContain(`1 trace(s) could not be read; 1 not found: baseline ${WRITE} trial 0`)
    // The written report counts only the traces it holds.
    const written = (text: string) => Number(/^Wrote .*: .*?(\d+) trace\(s\)/m.exec(text)?.[1])
    expect(written(report.all)).toBeGreaterThan(0)
    expect(written(missing.all)).toBe(written(report.all) - 1)
  })
})
