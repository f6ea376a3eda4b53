import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { readRecord } from 'self-harness'
import { startSimServer } from '../fixtures/sim/server.js'
import { benchRoot, writeTaskProject } from './support/task-project.js'
import { runVitest } from './support/vitest-process.js'

/** How the concurrency is reached. */
export type Layout =
  /** One task per file, `maxWorkers` = concurrency: one worker process per task in flight. */
  | 'files'
  /** Two worker processes (the cores here), each running its file's tests concurrently (`sequence.concurrent`). */
  | 'concurrent'

/** One measured run at one concurrency. */
export interface Row {
  tasks: number
  /** Tasks in flight at once. */
  concurrency: number
  /** Layout, pool and faults of the run. */
  setup: string
  modelCalls: number
  /** Total model latency over the concurrency: the wall time of a perfect scheduler with free everything else. */
  idealMs: number
  wallMs: number
  /** ideal / wall. */
  efficiency: number
  /** From starting vitest to the first model request (vitest's start, collection, the plugin, the workers). */
  startupMs: number
  /** ideal / the span from the first model request to the last answer: how busy the agents kept the concurrency. */
  runEfficiency: number
  /**
   * The most `runEfficiency` can be for any runner: tasks of equal length fill the slots in whole rounds
   * (200 tasks on 32 slots take 7 rounds, not 6.25), so ideal / (rounds x task latency).
   */
  roundsBound: number
  /** 429 answers the simulator gave (each retried by the client). */
  rateLimited: number
  pass: number
  fail: number
  error: number
  /** CPU of vitest and its workers per task, sampled (approximate). */
  cpuPerTaskMs: number
  peakRssMB: number
}

/** One run of {@link benchParallel}. */
export interface ParallelRun {
  layout: Layout
  concurrency: number
  /** Share of requests the simulator answers 429 (Retry-After 100 ms). @default 0 */
  rateLimit?: number
  /** vitest pool. @default 'forks' */
  pool?: 'forks' | 'threads'
  /** Sandbox of the agent's commands. @default 'auto' (bubblewrap here) */
  sandbox?: 'auto' | 'none'
}

/** Options of {@link benchParallel}. */
export interface BenchParallelOptions {
  /** Tasks of the suite. @default 200 */
  tasks?: number
  /** Simulated model latency per call. @default 200 */
  latencyMs?: number
  /** The runs. @default {@link DEFAULT_RUNS} */
  runs?: ParallelRun[]
}

/** The default runs: both layouts side by side, one without the sandbox, and one with rate limiting. */
export const DEFAULT_RUNS: ParallelRun[] = [
  { layout: 'concurrent', concurrency: 8 },
  { layout: 'concurrent', concurrency: 32 },
  { layout: 'concurrent', concurrency: 64 },
  { layout: 'files', concurrency: 32 },
  { layout: 'concurrent', concurrency: 32, sandbox: 'none' },
  { layout: 'concurrent', concurrency: 32, rateLimit: 0.1 },
]

/** The work of every task: four commands, each one model turn, then `finish` (five turns). */
const COMMANDS = ['mkdir -p out', 'echo a > out/a.txt', 'echo b > out/b.txt', 'cat out/a.txt out/b.txt > out/all.txt']
const CHECK = { file: 'out/all.txt', content: 'a\nb\n' }
const CORES = 2

/**
 * Runs a suite of agent tasks against the simulated model with latency, one vitest process per run (`isolate:
 * false`), and compares the wall time with the ideal (total model latency / concurrency). A run with the simulator
 * answering 429 with Retry-After to a share of requests must only slow down, every trial still passing.
 */
export async function benchParallel(options: BenchParallelOptions = {}): Promise<Row[]> {
  const tasks = options.tasks ?? 200
  const latencyMs = options.latencyMs ?? 200
  const rows: Row[] = []
  for (const spec of options.runs ?? DEFAULT_RUNS) {
    const { layout, concurrency } = spec
    const pool = spec.pool ?? 'forks'
    const workers = layout === 'files' ? concurrency : Math.min(CORES, concurrency)
    const dir = join(benchRoot, `parallel-${layout}-${concurrency}${spec.rateLimit ? '-429' : ''}`)
    const { solutionsDir } = writeTaskProject({
      dir,
      kind: 'agent',
      tasks,
      testsPerFile: layout === 'files' ? 1 : Math.ceil(tasks / workers),
      ...(layout === 'concurrent' ? { concurrentPerFile: Math.ceil(concurrency / workers) } : {}),
      commands: COMMANDS,
      check: CHECK,
      maxWorkers: workers,
      pool,
      sandbox: spec.sandbox ?? 'auto',
    })
    const sim = await startSimServer({
      solutionsDir,
      seed: 1,
      latencyMs,
      ...(spec.rateLimit ? { faults: { rateLimit: { probability: spec.rateLimit, retryAfterMs: 100 } } } : {}),
    })
    try {
      const startedAt = Date.now()
      const run = await runVitest({
        cwd: dir,
        args: ['run', '--reporter=dot'],
        env: { OPENAI_BASE_URL: sim.url, OPENAI_API_KEY: 'bench', SELF_HARNESS_MODEL: 'sim-oracle' },
        sampleMs: 250,
      })
      const record = await readRecord(join(dir, '.self-harness', 'runs', 'baseline.json')).catch((cause: unknown) => {
        throw new Error(`parallel run ${layout} at ${concurrency} left no record (exit ${run.exitCode}): ${String(cause)}\n${run.stderr.slice(-3000)}`)
      })
      const outcomes = record.tasks.flatMap((task) => task.trials.map((trial) => trial.outcome))
      const stats = sim.stats()
      const idealMs = (stats.completions * latencyMs) / concurrency
      const perWorker = layout === 'files' ? 1 : Math.ceil(concurrency / workers)
      const rounds = Math.ceil(Math.ceil(tasks / workers) / perWorker)
      const spanMs = (stats.lastCompletionAt ?? 0) - (stats.firstCompletionAt ?? 0)
      const setup = layout === 'files' ? `1 task/file, ${workers} workers` : `${workers} workers x ${Math.ceil(concurrency / workers)} concurrent`
      rows.push({
        tasks,
        concurrency,
        setup: `${setup}, ${pool}${spec.sandbox === 'none' ? ', no sandbox' : ''}${spec.rateLimit ? `, 429 on ${spec.rateLimit * 100}%` : ''}`,
        modelCalls: stats.completions,
        idealMs: Math.round(idealMs),
        wallMs: Math.round(run.wallMs),
        efficiency: round2(idealMs / run.wallMs),
        startupMs: (stats.firstCompletionAt ?? startedAt) - startedAt,
        runEfficiency: round2(idealMs / spanMs),
        roundsBound: round2(idealMs / ((rounds * stats.completions * latencyMs) / tasks)),
        rateLimited: stats.faults.rateLimit,
        pass: outcomes.filter((o) => o === 'pass').length,
        fail: outcomes.filter((o) => o === 'fail').length,
        error: outcomes.filter((o) => o === 'error').length,
        cpuPerTaskMs: Math.round(run.cpuMs / tasks),
        peakRssMB: Math.round(run.peakRssMB),
      })
    } finally {
      await sim.close()
      rmSync(dir, { recursive: true, force: true })
    }
  }
  return rows
}

const round2 = (x: number): number => Math.round(100 * x) / 100

/** The runs of `--large` (with 1,000 tasks): both layouts at every concurrency, no sandbox, the threads pool, 429s. */
export const LARGE_RUNS: ParallelRun[] = [
  ...[8, 32, 64].flatMap((concurrency) => [
    { layout: 'concurrent' as const, concurrency },
    { layout: 'files' as const, concurrency },
  ]),
  { layout: 'concurrent', concurrency: 32, sandbox: 'none' },
  { layout: 'files', concurrency: 32, pool: 'threads' },
  { layout: 'concurrent', concurrency: 32, rateLimit: 0.1 },
]

async function main(): Promise<void> {
  const large = process.argv.includes('--large')
  console.log('parallel efficiency: agent tasks of 5 model turns, simulated latency 200 ms per call')
  console.table(await benchParallel(large ? { tasks: 1_000, runs: LARGE_RUNS } : {}))
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main()
