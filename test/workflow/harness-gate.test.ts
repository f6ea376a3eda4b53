import { chmod, cp, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { existsSync, readdirSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { startSimServer, type SimServer } from '../../fixtures/sim/server.js'
import { cliPath } from '../support/fixture-project.js'

// The example workflow's steps, run in order on a fixture project, as GitHub would run them: every `run:` line
// verbatim (with `npx`, `npm ci`, `sudo` and `gh` as small stand-ins), `uses:` steps for checkout and artifacts
// simulated, `if:` and `${{ }}` evaluated. The candidate harness regresses a task, so the verdict must be 1, while
// the shard jobs, which only run tasks, succeed.

interface Step {
  name?: string
  id?: string
  uses?: string
  run?: string
  if?: string
  with?: Record<string, unknown>
  env?: Record<string, string>
  'continue-on-error'?: boolean
}
interface Job {
  if?: string
  needs?: string | string[]
  strategy?: { matrix: Record<string, unknown[]> }
  steps: Step[]
}
interface Workflow {
  env?: Record<string, string>
  jobs: Record<string, Job>
}
interface StepResult {
  job: string
  step: string
  skipped: boolean
  exitCode: number
  stdout: string
  /** stdout and stderr, for failure messages. */
  all: string
  summary: string
}

const workflowFile = resolve(import.meta.dirname, '../../examples/harness-gate.yml')
const fixture = resolve(import.meta.dirname, '../fixtures/gate-project')
// Inside the repository, so the project's `self-harness/plugin` import resolves to this package.
const base = resolve(import.meta.dirname, `../fixtures/.workflow-${process.pid}`)
const repo = join(base, 'repo') // what a checkout gives
const checkout = join(base, 'checkout') // the job's workspace; the same path for every job, as on GitHub's runners
const artifacts = join(base, 'artifacts')
const shims = join(base, 'bin')
let sim: SimServer
const results: StepResult[] = []

/** Replaces `${{ ... }}` with the value of its expression. */
function substitute(text: string, context: Record<string, string>): string {
  return text.replace(/\$\{\{\s*(.+?)\s*\}\}/g, (_, expr: string) => String(evaluate(expr, context)))
}

/** Evaluates the small expression language of `if:` and `${{ }}` that the workflow uses. */
function evaluate(expr: string, context: Record<string, string>): unknown {
  const js = expr
    .replace(/always\(\)/g, 'true')
    .replace(/[a-z_]+(?:\.[\w-]+)+/gi, (name) => JSON.stringify(context[name] ?? ''))
  return new Function(`return (${js})`)()
}

async function copyTree(from: string, to: string): Promise<void> {
  if (!existsSync(from)) return
  await mkdir(to, { recursive: true })
  await cp(from, to, { recursive: true })
}

/** Runs one job as GitHub would: steps in order, a failed step skips the rest unless `if: always()`. */
async function runJob(name: string, job: Job, workflow: Workflow, context: Record<string, string>): Promise<void> {
  let failed = false
  const outputs: Record<string, string> = {}
  await rm(checkout, { recursive: true, force: true })
  for (const [index, step] of job.steps.entries()) {
    const label = step.name ?? step.uses ?? step.run ?? `step ${index}`
    const scope = { ...context, ...Object.fromEntries(Object.entries(outputs).map(([k, v]) => [`steps.${k}`, v])) }
    const wanted = step.if ? (step.if.includes('always()') || !failed) && Boolean(evaluate(step.if, scope)) : !failed
    if (!wanted) {
      results.push({ job: name, step: label, skipped: true, exitCode: 0, stdout: '', all: '', summary: '' })
      continue
    }
    const summaryFile = join(base, `summary-${results.length}.md`)
    const outputFile = join(base, `output-${results.length}.txt`)
    await writeFile(summaryFile, '')
    await writeFile(outputFile, '')
    let exitCode = 0
    let stdout = ''
    let all = ''
    const inputs = Object.fromEntries(Object.entries(step.with ?? {}).map(([k, v]) => [k, substitute(String(v), scope)]))
    if (step.uses?.startsWith('actions/checkout')) await cp(repo, checkout, { recursive: true })
    else if (step.uses?.startsWith('actions/upload-artifact')) {
      const store = join(artifacts, inputs.name!)
      const paths = inputs.path!.split('\n').filter(Boolean)
      for (const path of paths) {
        const from = join(checkout, path)
        if (!existsSync(from)) continue
        // Several paths keep their place under the workspace; a single folder is stored by its content.
        const to = paths.length > 1 ? join(store, path) : (await stat(from)).isDirectory() ? store : join(store, basename(path))
        await mkdir(dirname(to), { recursive: true })
        await cp(from, to, { recursive: true })
      }
    } else if (step.uses?.startsWith('actions/download-artifact')) {
      const pattern = new RegExp(`^${(inputs.pattern ?? inputs.name!).replace(/\*/g, '.*')}$`)
      const names = existsSync(artifacts) ? (await readdir(artifacts)).filter((n) => pattern.test(n)) : []
      if (!names.length) exitCode = 1
      for (const artifact of names) await copyTree(join(artifacts, artifact), join(checkout, inputs.path!))
    } else if (step.run) {
      const env = Object.fromEntries(Object.entries({ ...workflow.env, ...step.env }).map(([k, v]) => [k, substitute(v, scope)]))
      const shell = await execa('bash', ['-e', '-c', substitute(step.run, scope)], {
        cwd: checkout,
        reject: false,
        all: true,
        env: {
          ...env,
          PATH: `${shims}:${process.env.PATH}`,
          CI: 'true',
          GITHUB_ACTIONS: 'true',
          GITHUB_WORKSPACE: checkout,
          GITHUB_STEP_SUMMARY: summaryFile,
          GITHUB_OUTPUT: outputFile,
          NO_COLOR: '1',
        },
      })
      exitCode = shell.exitCode ?? 1
      stdout = shell.stdout
      all = shell.all ?? ''
    }
    if (step.id) {
      for (const line of (await readFile(outputFile, 'utf8')).split('\n')) {
        const eq = line.indexOf('=')
        if (eq > 0) outputs[`${step.id}.outputs.${line.slice(0, eq)}`] = line.slice(eq + 1)
      }
    }
    results.push({ job: name, step: label, skipped: false, exitCode, stdout, all, summary: await readFile(summaryFile, 'utf8') })
    if (exitCode !== 0 && !step['continue-on-error']) failed = true
  }
}

/** Runs every job of an event in the order of `needs`, each matrix entry as its own job. */
async function runEvent(workflow: Workflow, event: string): Promise<void> {
  const done = new Set<string>()
  const order = Object.keys(workflow.jobs)
  while (done.size < order.length) {
    for (const name of order) {
      const job = workflow.jobs[name]!
      const needs = [job.needs ?? []].flat()
      if (done.has(name) || !needs.every((n) => done.has(n))) continue
      done.add(name)
      const context = { 'github.event_name': event, 'github.token': 'token', 'vars.OPENAI_BASE_URL': sim.url, 'secrets.OPENAI_API_KEY': 'k', 'vars.SELF_HARNESS_MODEL': 'sim-steady' }
      if (job.if && !evaluate(job.if, context)) continue
      const matrix = Object.entries(job.strategy?.matrix ?? {})
      const combos = matrix.length ? matrix[0]![1].map((value) => ({ [`matrix.${matrix[0]![0]}`]: String(value) })) : [{}]
      for (const combo of combos) await runJob(`${name}${Object.values(combo).join('')}`, job, workflow, { ...context, ...combo })
    }
  }
}

const ofJob = (prefix: string) => results.filter((r) => r.job.startsWith(prefix))
const stepOf = (job: string, text: string) => results.find((r) => r.job === job && r.step.includes(text))!

beforeAll(async () => {
  await rm(base, { recursive: true, force: true })
  await cp(fixture, repo, { recursive: true, filter: (src) => !src.includes('.self-harness') && !src.includes('.vitest-reports') })
  // The pull request's harness: the shell tool turned off, so the task that counts lines regresses.
  const breaker = JSON.parse(await readFile(join(repo, 'harnesses', 'breaker.json'), 'utf8'))
  await writeFile(join(repo, 'harnesses', 'candidate.json'), JSON.stringify({ ...breaker, name: 'candidate' }, null, 2))
  await mkdir(shims, { recursive: true })
  const shim = async (name: string, body: string) => {
    await writeFile(join(shims, name), `#!/bin/sh\n${body}\n`)
    await chmod(join(shims, name), 0o755)
  }
  await shim('npx', `if [ "$1" = self-harness ]; then shift; exec "${process.execPath}" "${cliPath}" "$@"; fi; exit 127`)
  await shim('npm', 'if [ "$1" = ci ]; then exit 0; fi; exit 127') // node_modules is there already
  await shim('sudo', 'exit 0') // bubblewrap is installed, or the run says it is not
  // gh: the newest successful baseline run is the one whose artifact the test stored.
  await shim('gh', `if [ -d "${join(artifacts, 'self-harness-baseline')}" ]; then echo 1; fi`)
  sim = await startSimServer({ solutionsDir: join(repo, 'solutions'), seed: 1 })
  const workflow = parse(await readFile(workflowFile, 'utf8')) as Workflow

  await runEvent(workflow, 'workflow_dispatch')
  // The team commits the baseline record the run uploaded.
  await cp(join(artifacts, 'self-harness-baseline', 'self-harness.baseline.json'), join(repo, 'self-harness.baseline.json'))
  await runEvent(workflow, 'pull_request')
}, 300_000)

afterAll(async () => {
  await sim?.close()
  await rm(base, { recursive: true, force: true })
})

describe('the example GitHub workflow, step by step', () => {
  it('the baseline job records the baseline and keeps its record and traces as an artifact', () => {
    for (const r of ofJob('baseline')) expect(r.exitCode, `${r.step}\n${r.all}`).toBe(0)
    expect(existsSync(join(artifacts, 'self-harness-baseline', 'self-harness.baseline.json'))).toBe(true)
    expect(existsSync(join(artifacts, 'self-harness-baseline', 'self-harness.baseline.history.json'))).toBe(true)
    const traces = readdirSync(join(artifacts, 'self-harness-baseline', '.self-harness', 'traces'))
    expect(traces.some((name) => name.startsWith('baseline@'))).toBe(true)
  })

  it('shard jobs succeed although a task fails in them: the verdict job decides', () => {
    const shards = ofJob('shards')
    expect(new Set(shards.map((r) => r.job))).toEqual(new Set(['shards1', 'shards2', 'shards3']))
    expect(shards.filter((r) => r.skipped)).toEqual([])
    for (const r of shards) expect(r.exitCode, `${r.job} > ${r.step}\n${r.all}`).toBe(0)
    expect(shards.some((r) => /✗ .*count-lines/.test(r.stdout))).toBe(true)
  })

  it('the verdict job blocks the regression (exit 1) with the verdict first and only the gate’s annotations as errors', () => {
    const gate = stepOf('verdict', 'Merge the shards')
    expect(gate.exitCode, gate.all).toBe(1)
    expect(gate.stdout).toContain('3 trial(s)')
    expect(gate.stdout).not.toContain('1 trial(s)')
    expect(gate.summary.trimStart().startsWith('## self-harness: ')).toBe(true)
    expect(gate.summary).toContain('Regressions (1)')
    const annotations = gate.stdout.split('\n').filter((line) => line.startsWith('::'))
    const errors = annotations.filter((line) => line.startsWith('::error'))
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatch(/^::error file=tasks\/count-lines\.test\.ts,title=self-harness regression::/)
    expect(annotations.filter((line) => line.startsWith('::notice')).some((line) => line.includes('count-lines'))).toBe(true)
  })

  it('brings the baseline’s traces beside the candidate’s and writes the report even though the gate failed', async () => {
    expect(stepOf('verdict', 'Find the newest baseline run').exitCode).toBe(0)
    expect(stepOf('verdict', 'Put the baseline').exitCode).toBe(0)
    const report = stepOf('verdict', 'HTML report')
    expect(report.skipped).toBe(false)
    expect(report.exitCode).toBe(0)
    const uploaded = results.find((r) => r.job === 'verdict' && r.step.startsWith('actions/upload-artifact'))!
    expect(uploaded.skipped).toBe(false)
    expect(existsSync(join(artifacts, 'self-harness-report', 'self-harness-report.html'))).toBe(true)
    const traces = await readdir(join(checkout, '.self-harness', 'traces'))
    expect(traces.some((name) => name.startsWith('baseline@'))).toBe(true)
    const candidate = traces.find((name) => name.startsWith('candidate@'))!
    expect((await readdir(join(checkout, '.self-harness', 'traces', candidate))).length).toBe(3) // a folder per shard's run
    // The report found every trace of both sides: the side-by-side view has what it needs.
    expect(report.stdout).not.toMatch(/could not be read/)
  })
})
