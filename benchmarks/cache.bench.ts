import { readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { readRecord, type RunRecord } from 'self-harness'
import { startSimServer } from '../fixtures/sim/server.js'
import { benchRoot, packageRoot, writeTaskProject } from './support/task-project.js'
import { runVitest } from './support/vitest-process.js'

/** One run of a suite. */
export interface Row {
  suite: string
  /** `live` (fills the cache) or `replay` (read-only from it). */
  run: string
  tasks: number
  wallMs: number
  /** Wall time over the live run's. */
  ratio: number
  /** Requests the simulated model answered during this run. */
  modelCalls: number
  /** Entries in the cache after the run. */
  cacheEntries: number
  passed: number
  /** The replay ended every task as the live run did. */
  sameOutcomes: boolean
}

/** Options of {@link benchCache}. */
export interface BenchCacheOptions {
  /** Tasks of the generated suite. @default 100 */
  generatedTasks?: number
}

const SUITE = join(packageRoot, 'fixtures', 'suite')

interface Scenario {
  suite: string
  cwd: string
  solutionsDir: string
  latencyMs: number
  model: string
  seed: number
}

/**
 * Runs a suite live against the simulated model (with latency) through the response cache, which fills it, then
 * replays the same run read-only from the cache: time, model calls and whether every task ended the same. Two
 * suites: the bundled one (real commands: git, make, gcc; some tool outputs, such as commit hashes, differ from run
 * to run, so the turns after them miss) and a generated one whose tasks are deterministic (5 turns each).
 */
export async function benchCache(options: BenchCacheOptions = {}): Promise<Row[]> {
  const root = join(benchRoot, 'cache')
  rmSync(root, { recursive: true, force: true })
  const generatedDir = join(root, 'generated-project')
  const generated = writeTaskProject({
    dir: generatedDir,
    kind: 'agent',
    tasks: options.generatedTasks ?? 100,
    commands: ['mkdir -p out', 'echo a > out/a.txt', 'echo b > out/b.txt', 'cat out/a.txt out/b.txt > out/all.txt'],
    check: { file: 'out/all.txt', content: 'a\nb\n' },
    maxWorkers: 8,
  })
  const scenarios: Scenario[] = [
    { suite: 'bundled (sim-steady, 100 ms)', cwd: SUITE, solutionsDir: join(SUITE, 'solutions'), latencyMs: 100, model: 'sim-steady', seed: 7 },
    { suite: 'generated (5 turns, 200 ms)', cwd: generatedDir, solutionsDir: generated.solutionsDir, latencyMs: 200, model: 'sim-oracle', seed: 1 },
  ]
  const rows: Row[] = []
  for (const [i, scenario] of scenarios.entries()) rows.push(...(await liveThenReplay(scenario, join(root, `suite-${i}`))))
  return rows
}

async function liveThenReplay(scenario: Scenario, root: string): Promise<Row[]> {
  const cacheDir = join(root, 'entries')
  const sim = await startSimServer({ solutionsDir: scenario.solutionsDir, seed: scenario.seed, latencyMs: scenario.latencyMs })
  try {
    const runOnce = async (label: string, mode: string) => {
      const before = sim.stats().completions
      const outputDir = join(root, label)
      const run = await runVitest({
        cwd: scenario.cwd,
        args: ['run', '--reporter=dot'],
        env: {
          OPENAI_BASE_URL: sim.url,
          OPENAI_API_KEY: 'bench',
          SELF_HARNESS_MODEL: scenario.model,
          SELF_HARNESS_OUTPUT_DIR: outputDir,
          SELF_HARNESS_GATE: '0',
          SELF_HARNESS_CACHE: cacheDir,
          SELF_HARNESS_CACHE_MODE: mode,
        },
      })
      const record = await readRecord(join(outputDir, 'runs', 'baseline.json')).catch((cause: unknown) => {
        throw new Error(`The ${label} run of ${scenario.suite} left no record (exit ${run.exitCode}): ${String(cause)}\n${run.stderr.slice(-3000)}`)
      })
      return { run, record, calls: sim.stats().completions - before, entries: countFiles(cacheDir) }
    }
    const live = await runOnce('live', 'read-write')
    const replay = await runOnce('replay', 'read-only')
    if (live.entries === 0) console.warn('cache bench: the live run stored nothing: is the cache wired into the plugin (SELF_HARNESS_CACHE)?')
    const same = sameOutcomes(live.record, replay.record)
    const row = (label: string, r: typeof live): Row => ({
      suite: scenario.suite,
      run: label,
      tasks: r.record.tasks.length,
      wallMs: Math.round(r.run.wallMs),
      ratio: Math.round((100 * r.run.wallMs) / live.run.wallMs) / 100,
      modelCalls: r.calls,
      cacheEntries: r.entries,
      passed: r.record.tasks.filter((task) => task.trials.every((trial) => trial.outcome === 'pass')).length,
      sameOutcomes: label === 'live' ? true : same,
    })
    return [row('live', live), row('replay', replay)]
  } finally {
    await sim.close()
  }
}

function sameOutcomes(a: RunRecord, b: RunRecord): boolean {
  const outcomes = (record: RunRecord) => new Map(record.tasks.map((task) => [task.id, task.trials.map((trial) => trial.outcome).join()]))
  const left = outcomes(a)
  const right = outcomes(b)
  return left.size === right.size && [...left].every(([id, outcome]) => right.get(id) === outcome)
}

function countFiles(dir: string): number {
  try {
    return readdirSync(dir, { recursive: true }).filter((name) => String(name).endsWith('.json')).length
  } catch {
    return 0
  }
}

async function main(): Promise<void> {
  console.log('model-call cache: a live run (filling the cache) vs its replay from the cache')
  console.table(await benchCache())
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main()
