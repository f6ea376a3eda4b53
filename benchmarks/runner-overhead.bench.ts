import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { readRecord, readTrace } from 'self-harness'
import { startSimServer } from '../fixtures/sim/server.js'
import { summarizeProfiles } from './support/cpu-profile.js'
import { benchRoot, writeTaskProject, type TaskKind } from './support/task-project.js'
import { runVitest, type VitestRun } from './support/vitest-process.js'

/** One measured suite run. */
export interface Row {
  tasks: number
  /** `plain vitest`, `self-harness, no model` or `self-harness + agent`. */
  mode: string
  wallMs: number
  perTaskMs: number
  /** Time per task beyond plain vitest doing the same workspace work. */
  overheadPerTaskMs: number
  /** Wall time over plain vitest's. */
  ratio: number
  /** CPU of vitest and its workers per task, sampled (approximate). */
  cpuPerTaskMs: number
  /** Peak resident set of vitest and its workers together, in MiB. */
  peakRssMB: number
  /** Model calls the simulator answered. */
  modelCalls: number
  /** Time per task spent waiting for the model's answers (round trips to the simulator, from the traces). */
  modelWaitPerTaskMs: number
  /** Overhead per task beyond plain vitest, model waits left out: what the runner, agent loop and traces cost. */
  overheadExModelMs: number
  passed: number
}

/** Options of {@link benchRunnerOverhead}. */
export interface BenchRunnerOverheadOptions {
  /** Tests per file. @default 10 */
  testsPerFile?: number
  /** vitest workers. @default 2 (the cores here) */
  maxWorkers?: number
  /** Runs of each mode, alternating; the fastest is kept (the machine may be busy). @default 1 */
  repeats?: number
  /** Sandbox of every command. @default 'auto' */
  sandbox?: 'auto' | 'bwrap' | 'none'
  /** Keep the generated projects. @default false */
  keep?: boolean
  /** Write CPU profiles of the workers of each run to `<dir>/<mode>-<N>/` (`--cpu-prof`). */
  profileDir?: string
}

const MODES: Array<{ kind: TaskKind; label: string }> = [
  { kind: 'plain', label: 'plain vitest' },
  { kind: 'workspace', label: 'self-harness, no model' },
  { kind: 'agent', label: 'self-harness + agent' },
]

/** The workspace work of every task, on both sides: one command, then a file check. */
const COMMANDS = ['echo ok > marker.txt']
const CHECK = { file: 'marker.txt', content: 'ok\n' }

/**
 * Runs the same suite of N trivial tasks three ways, each as one vitest process: plain vitest tests doing the
 * workspace work themselves; the self-harness runner with the test doing that work (no model); and the runner with
 * the agent playing it against the simulated model (oracle, no latency: one shell call, then finish).
 */
export async function benchRunnerOverhead(sizes: number[], options: BenchRunnerOverheadOptions = {}): Promise<Row[]> {
  const rows: Row[] = []
  for (const tasks of sizes) {
    const best = new Map<TaskKind, Measured>()
    for (let r = 0; r < (options.repeats ?? 1); r++) {
      for (const mode of MODES) {
        const measured = await measure(mode.kind, tasks, options)
        const prev = best.get(mode.kind)
        if (!prev || measured.run.wallMs < prev.run.wallMs) best.set(mode.kind, measured)
      }
    }
    const plain = best.get('plain')!
    for (const mode of MODES) {
      const m = best.get(mode.kind)!
      rows.push({
        tasks,
        mode: mode.label,
        wallMs: Math.round(m.run.wallMs),
        perTaskMs: round(m.run.wallMs / tasks),
        overheadPerTaskMs: round((m.run.wallMs - plain.run.wallMs) / tasks),
        ratio: round(m.run.wallMs / plain.run.wallMs, 2),
        cpuPerTaskMs: round(m.run.cpuMs / tasks),
        peakRssMB: Math.round(m.run.peakRssMB),
        modelCalls: m.calls,
        modelWaitPerTaskMs: round(m.modelWaitMs / tasks),
        overheadExModelMs: round((m.run.wallMs - plain.run.wallMs - m.modelWaitMs / (options.maxWorkers ?? 2)) / tasks),
        passed: m.passed,
      })
    }
  }
  return rows
}

interface Measured {
  run: VitestRun
  passed: number
  calls: number
  /** Sum over trials of the model round trips. */
  modelWaitMs: number
}

async function measure(kind: TaskKind, tasks: number, options: BenchRunnerOverheadOptions): Promise<Measured> {
  const dir = join(benchRoot, `overhead-${kind}-${tasks}`)
  const { solutionsDir } = writeTaskProject({
    dir,
    kind,
    tasks,
    testsPerFile: options.testsPerFile ?? 10,
    commands: COMMANDS,
    check: CHECK,
    maxWorkers: options.maxWorkers ?? 2,
    sandbox: options.sandbox ?? 'auto',
    ...(options.profileDir ? { execArgv: ['--cpu-prof', `--cpu-prof-dir=${join(options.profileDir, `${kind}-${tasks}`)}`] } : {}),
  })
  const sim = await startSimServer({ solutionsDir, seed: 1 })
  try {
    const jsonFile = join(dir, 'vitest.json')
    const run = await runVitest({
      cwd: dir,
      args: ['run', '--reporter=json', `--outputFile=${jsonFile}`],
      env: { OPENAI_BASE_URL: sim.url, OPENAI_API_KEY: 'bench', SELF_HARNESS_MODEL: 'sim-oracle' },
    })
    const passed = await countPassed(dir, kind, jsonFile)
    if (run.exitCode !== 0 || passed !== tasks) {
      throw new Error(`${kind} run of ${tasks} tasks: exit ${run.exitCode}, ${passed} passed\n${run.stderr.slice(-3000)}\n${run.stdout.slice(-2000)}`)
    }
    return { run, passed, calls: sim.stats().completions, modelWaitMs: await modelWait(join(dir, '.self-harness', 'traces')) }
  } finally {
    await sim.close()
    if (!options.keep) rmSync(dir, { recursive: true, force: true })
  }
}

/** Passed tasks: from the self-harness record when there is one, else from vitest's JSON report. */
async function countPassed(dir: string, kind: TaskKind, jsonFile: string): Promise<number> {
  if (kind !== 'plain') {
    const record = await readRecord(join(dir, '.self-harness', 'runs', 'baseline.json'))
    return record.tasks.filter((task) => task.trials.every((trial) => trial.outcome === 'pass')).length
  }
  if (!existsSync(jsonFile)) return 0
  return (JSON.parse(readFileSync(jsonFile, 'utf8')) as { numPassedTests: number }).numPassedTests
}

/** Sum of the model round trips recorded in a run's traces. */
async function modelWait(traceDir: string): Promise<number> {
  if (!existsSync(traceDir)) return 0
  let total = 0
  for (const file of readdirSync(traceDir, { recursive: true }).map(String).filter((name) => name.endsWith('.jsonl'))) {
    for (const event of await readTrace(join(traceDir, file))) if (event.kind === 'model-response') total += event.durationMs
  }
  return total
}

function round(x: number, digits = 1): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

async function main(): Promise<void> {
  const large = process.argv.includes('--large')
  const keep = process.argv.includes('--keep')
  if (process.argv.includes('--profile')) {
    // One worker, one file of 300 tasks: where the per-trial time goes, in the workers.
    const profileDir = join(benchRoot, 'profiles')
    rmSync(profileDir, { recursive: true, force: true })
    console.table(await benchRunnerOverhead([300], { keep, profileDir, maxWorkers: 1, testsPerFile: 300 }))
    for (const kind of ['workspace', 'agent']) {
      const summary = summarizeProfiles(join(profileDir, `${kind}-300`))
      console.log(`${kind}: ${summary.sampledMs} ms sampled in the worker, ${summary.idleMs} ms idle; self time by package, then our functions (inclusive)`)
      console.table(summary.selfByPackage)
      console.table(summary.ours)
    }
    return
  }
  console.log('runner overhead: N trivial tasks, self-harness vs plain vitest doing the same workspace work')
  console.table(await benchRunnerOverhead(large ? [100, 1_000] : [100], { keep, repeats: 2 }))
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main()
